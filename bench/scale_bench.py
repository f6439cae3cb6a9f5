"""Scale-out benchmarks and fault runs on private loopback services (PostgreSQL, Mosquitto, Redis).

    python bench/scale_bench.py ingest   # 2 ingest workers: MQTT → PostgreSQL, msgs/s, latency
    python bench/scale_bench.py api      # zone state, 200 concurrent clients, 1,000 zones, 2 API workers
    python bench/scale_bench.py ws       # one change fanned out to 500 WebSocket clients
    python bench/scale_bench.py faults   # kill -9 a worker, restart broker / PostgreSQL, drop Redis

Every run is bounded in time, targets 127.0.0.1 only, and starts its own PostgreSQL cluster,
Mosquitto and Redis on free ports, so the machine's services are never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _load import (
    Plan,
    Watcher,
    api_server,
    count_in_window,
    diagnose,
    ingest_worker,
    percentiles,
    plan_base,
    start_publisher,
    stop_process,
    stop_server,
    stored_figures,
    tokens,
    wait_ready,
    wait_subscribed,
    watch,
)
from _services import (
    PrivatePostgres,
    PrivateProcess,
    free_port,
    private_mosquitto,
    private_postgres,
    private_redis,
)
from _sites import make_site


def wait_stored(store_url: str, plan: Plan, n: int, timeout: float) -> float:
    """Seconds until all n messages are stored (or the timeout)."""
    started = time.monotonic()
    expected = 2 * n
    while time.monotonic() - started < timeout:
        try:
            if count_in_window(store_url, plan, n) >= expected:
                break
        except Exception:  # the database may be restarting
            pass
        time.sleep(0.2)
    return time.monotonic() - started


# -- (a) ingest ------------------------------------------------------------------------------
def bytes_per_row(store_url: str) -> float:
    import psycopg

    with psycopg.connect(store_url, autocommit=True) as conn:  # VACUUM runs outside a transaction
        conn.execute("VACUUM ANALYZE observations")
        row = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)), sum(c.reltuples) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'observations'::regclass"
        ).fetchone()
    size, tuples = row if row else (0, 0)
    return float(size or 0) / max(float(tuples or 0), 1.0)


def bench_ingest(args: argparse.Namespace) -> None:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        pg = stack.enter_context(private_postgres())
        broker = stack.enter_context(private_mosquitto())
        redis = stack.enter_context(private_redis())
        site = make_site(Path(tmp) / "site", zones=100, sensors_per_zone=10)
        bus = f"redis://127.0.0.1:{redis.port}/0"
        log = Path(tmp) / "workers.log"
        workers = [ingest_worker(site, pg.url, broker.port, bus, f"w{k}", log) for k in (1, 2)]
        try:
            wait_subscribed(log, ["w1", "w2"])
            plan = Plan("bench", [f"s{z}-{k}" for z in range(100) for k in range(10)], plan_base())
            n = int(args.rate * args.seconds)
            sent_file = Path(tmp) / "sent.npy"
            publisher, go = start_publisher(broker.port, plan, n, args.rate, sent_file)
            time.sleep(1.0)
            go.set()
            publisher.join(args.seconds + 180)
            waited = wait_stored(pg.url, plan, n, timeout=120)
            count, total, received = stored_figures(pg.url, plan, n)
            sent = np.load(sent_file)
            expected_count, expected_total = plan.checksum(n)
            latency = received - sent
            print(f"ingest: 2 ingest-worker processes, private Mosquitto + PostgreSQL 15 on loopback, "
                  f"{len(plan.sensors):,} sensors, QoS 1, one reading (in+out) per message")
            print(f"  offered {args.rate:,.0f} msg/s for {args.seconds:.0f} s: {n:,} messages; stored "
                  f"{count // 2:,} exactly once = {count:,} observations (expected {expected_count:,}), "
                  f"checksum {'ok' if total == expected_total and count == expected_count else 'MISMATCH'}")
            span = np.nanmax(received) - sent.min()
            print(f"  published at {n / (sent.max() - sent.min()):,.0f} msg/s; stored at {n / span:,.0f} msg/s "
                  f"(first publish → last message stored: {span:.1f} s; store caught up {waited:.1f} s after "
                  f"the publisher finished)")
            print(f"  latency publish → stored batch: {percentiles(latency[~np.isnan(latency)])}")
            if count != expected_count:
                diagnose(pg.url, log)
            print(f"  storage: {bytes_per_row(pg.url):,.0f} bytes per observation (table + primary key)")
        finally:
            for worker in workers:
                stop_process(worker)


# -- (b) API under load and WebSocket fan-out ---------------------------------------------------
class ApiDeployment:
    """PostgreSQL + Redis + `csm serve --workers 2` over a site of 1,000 zones with data."""

    def __init__(self, stack: ExitStack, tmp: Path, zones: int = 1000, workers: int = 2) -> None:
        self.pg: PrivatePostgres = stack.enter_context(private_postgres())
        self.redis: PrivateProcess = stack.enter_context(private_redis())
        # The balances' daily restart half a day away, so the half-hour-old data below never
        # straddles it, whenever the benchmark runs.
        reset = (datetime.now(ZoneInfo("Europe/Amsterdam")) + timedelta(hours=12)).strftime("%H:%M")
        self.site_dir = make_site(tmp / "site", zones=zones, sensors_per_zone=1, line_counter_reset=reset)
        # Data half an hour old: every zone is stale before a run starts. With fresh data all 1,000
        # zones went stale together a few minutes later — in the middle of a fan-out run, one
        # 400 kB update to 500 clients that the measured single-zone changes then queued behind.
        self.plan = Plan("bench", [f"s{z}-0" for z in range(zones)], plan_base() - timedelta(minutes=30))
        self.bus = f"redis://127.0.0.1:{self.redis.port}/0"
        self._seed()
        self.port = free_port()
        self.server = api_server(self.site_dir, self.pg.url, self.bus, self.port, workers, tmp / "api.log")
        stack.callback(stop_server, self.server)
        wait_ready(self.port)
        self.user, self.feed = tokens(self.pg.url, "bench")

    def _seed(self) -> None:
        from csm.runtime import build_runtime

        runtime = build_runtime([self.site_dir], self.pg.url)
        try:
            items = []
            for i in range(len(self.plan.sensors) * 5):
                sensor, payload = self.plan.message(i)
                items.append({**payload, "sensor_id": sensor})
            runtime.sites["bench"].ingest.ingest_items(items, "bench-seed")
        finally:
            runtime.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/sites/bench/zones/stream"


async def _api_load(base: str, token: str, clients: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                answer = await client.get("/api/v1/sites/bench/zones/state")
                if answer.status_code == 200 and answer.content.count(b'"zone_id"') == 1000:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies, errors


def _wrk(url: str, token: str, clients: int, seconds: float) -> str:
    """wrk (C, 2 threads, keep-alive) as the load generator: figures from its latency distribution."""
    result = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--timeout", "30s", "--latency",
         "-H", f"Authorization: Bearer {token}", url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )
    figures = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "90%", "99%"):
            figures[parts[0]] = parts[1]
        elif line.startswith("Requests/sec:"):
            figures["rps"] = parts[1]
        elif "requests in" in line:
            figures["total"] = parts[0]
        elif line.strip().startswith(("Non-2xx", "Socket errors")):
            figures.setdefault("errors", "")
            figures["errors"] += line.strip() + " "
    return (f"{figures.get('rps', '?')} requests/s ({figures.get('total', '?')} in {seconds:.0f} s); latency "
            f"p50 {figures.get('50%', '?')}, p90 {figures.get('90%', '?')}, p99 {figures.get('99%', '?')}; "
            f"errors: {figures.get('errors', 'none').strip()}")


def bench_api(args: argparse.Namespace) -> None:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        deployment = ApiDeployment(stack, Path(tmp))
        size = len(httpx.get(f"{deployment.base}/api/v1/sites/bench/zones/state",
                             headers={"Authorization": f"Bearer {deployment.user}"}).content)
        asyncio.run(_api_load(deployment.base, deployment.user, 20, 2))  # warm up both workers
        print(f"api: GET /api/v1/sites/bench/zones/state (1,000 zones, {size / 1000:,.0f} kB JSON), {args.clients} "
              f"concurrent clients for {args.seconds:.0f} s against `csm serve --workers 2` (load generator on the "
              "same 2 cores)")
        if shutil.which("wrk") and not args.httpx:
            print("  wrk: " + _wrk(f"{deployment.base}/api/v1/sites/bench/zones/state", deployment.user,
                                   args.clients, args.seconds))
        else:
            latencies, errors = asyncio.run(_api_load(deployment.base, deployment.user, args.clients, args.seconds))
            print(f"  httpx: {len(latencies) / args.seconds:,.0f} requests/s, {errors} errors; "
                  f"latency {percentiles(latencies)}")


async def _fanout(deployment: ApiDeployment, clients: int, rounds: int) -> tuple[list[float], list[int], int]:
    stop = asyncio.Event()
    watchers = [Watcher() for _ in range(clients)]
    tasks = []
    for index, watcher in enumerate(watchers):
        tasks.append(asyncio.create_task(watch(deployment.stream, deployment.user, watcher, stop)))
        if index % 50 == 49:
            await asyncio.sleep(0.2)  # connect in waves, as dashboards would over a minute
    for _ in range(100):
        if sum(w.connects for w in watchers) >= clients:
            break
        await asyncio.sleep(0.1)
    connected = sum(w.connects > 0 for w in watchers)
    for _ in range(600):  # every client has read its snapshot (1,000 zones; 500 of them in this process)
        if all(w.snapshots >= 1 for w in watchers if w.connects):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)  # let tick-driven updates settle
    delays: list[float] = []
    reached: list[int] = []
    async with httpx.AsyncClient(base_url=deployment.base, timeout=30,
                                 headers={"Authorization": f"Bearer {deployment.feed}"}) as client:
        for r in range(rounds):
            marks = [len(w.updates) for w in watchers]
            sensor, payload = deployment.plan.message(r)  # a new, higher count for one zone's sensor
            newer = deployment.plan.base + timedelta(minutes=1)  # after every seeded interval
            item = {**payload, "sensor_id": sensor, "interval_start": newer.isoformat(),
                    "counts": {"in": 400 + 50 * r, "out": 0}}
            sent = time.time()
            answer = await client.post("/api/v1/observations", json=[item])
            assert answer.status_code == 200, answer.text
            await asyncio.sleep(4)
            arrivals = [w.updates[m] for w, m in zip(watchers, marks, strict=True) if len(w.updates) > m]
            reached.append(len(arrivals))
            delays.extend(a - sent for a in arrivals)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return delays, reached, connected


def bench_ws(args: argparse.Namespace) -> None:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        deployment = ApiDeployment(stack, Path(tmp))
        delays, reached, connected = asyncio.run(_fanout(deployment, args.clients, args.rounds))
        print(f"ws: {connected} of {args.clients} WebSocket clients connected to `csm serve --workers 2` "
              f"(spread over both workers); {args.rounds} changes posted over HTTP")
        print(f"  clients reached per change: {reached}; POST → update received: {percentiles(delays)}")


# -- (c) faults --------------------------------------------------------------------------------
class FaultRig:
    """Private services, 2 ingest workers, `csm serve --workers 2`, 20 stream clients."""

    def __init__(self, stack: ExitStack, tmp: Path, group: str = "csm") -> None:
        self.tmp = tmp
        self.group = group
        self.pg = stack.enter_context(private_postgres())
        self.broker = stack.enter_context(private_mosquitto())
        self.redis = stack.enter_context(private_redis())
        # 1,000 sensors: a run of 10,000 messages spans 10 minutes of intervals, so successive runs
        # stay after the line counters' morning reset and keep moving the picture.
        self.site_dir = make_site(tmp / "site", zones=100, sensors_per_zone=10)
        self.sensors = [f"s{z}-{k}" for z in range(100) for k in range(10)]
        self.bus = f"redis://127.0.0.1:{self.redis.port}/0"
        self.log = tmp / "processes.log"
        self.workers = {name: ingest_worker(self.site_dir, self.pg.url, self.broker.port, self.bus, name, self.log,
                                            group)
                        for name in ("w1", "w2")}
        stack.callback(lambda: [stop_process(w) for w in self.workers.values()])
        wait_subscribed(self.log, list(self.workers))
        self.port = free_port()
        self.server = api_server(self.site_dir, self.pg.url, self.bus, self.port, 2, tmp / "api.log")
        stack.callback(stop_server, self.server)
        wait_ready(self.port)
        self.user, _ = tokens(self.pg.url, "bench")
        self.base = plan_base()
        self.block = 0

    def restart_worker(self, name: str) -> None:
        self.workers[name] = ingest_worker(self.site_dir, self.pg.url, self.broker.port, self.bus, name, self.log,
                                           self.group)


async def _fault_run(rig: FaultRig, name: str, fault: Callable[[], None], heal: Callable[[], None],
                     n: int, rate: float) -> dict[str, object]:
    plan = Plan("bench", rig.sensors, rig.base, block=rig.block)
    rig.block += (n + len(rig.sensors) - 1) // len(rig.sensors) + 1
    stop = asyncio.Event()
    watchers = [Watcher() for _ in range(20)]
    url = f"ws://127.0.0.1:{rig.port}/api/v1/sites/bench/zones/stream"
    tasks = [asyncio.create_task(watch(url, rig.user, w, stop)) for w in watchers]
    await asyncio.sleep(2)
    publisher, go = await asyncio.to_thread(start_publisher, rig.broker.port, plan, n, rate,
                                            rig.tmp / f"sent-{name}.npy")
    await asyncio.sleep(1)
    go.set()
    started = time.time()
    await asyncio.sleep(n / rate / 3)
    fault_at = time.time()
    await asyncio.to_thread(fault)
    await asyncio.sleep(3)
    await asyncio.to_thread(heal)
    healed_at = time.time()
    await asyncio.to_thread(publisher.join, n / rate + 180)
    waited = await asyncio.to_thread(wait_stored, rig.pg.url, plan, n, 60)
    done_at = time.time()
    await asyncio.sleep(3)  # tick-driven updates after the last data
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    count, total, _ = stored_figures(rig.pg.url, plan, n)
    expected_count, expected_total = plan.checksum(n)
    if count != expected_count:
        diagnose(rig.pg.url, rig.log)
    recovered = sum(any(t > healed_at for t in w.updates) for w in watchers)
    reconnects = sum(max(0, w.connects - 1) for w in watchers)
    return {
        "fault": name, "sent": n, "stored": count // 2,
        "exactly_once": count == expected_count and total == expected_total,
        "complete_s": round(done_at - started, 1), "fault_at_s": round(fault_at - started, 1),
        "drain_s": round(waited, 1), "streams_updated_after": f"{recovered}/20", "reconnects": reconnects,
    }


Scenario = tuple[str, Callable[[FaultRig], None], Callable[[FaultRig], None]]
SHARED_SCENARIOS: list[Scenario] = [
    ("none (baseline)", lambda rig: None, lambda rig: None),
    ("kill -9 ingest worker", lambda rig: rig.workers["w1"].kill(), lambda rig: rig.restart_worker("w1")),
    ("restart Mosquitto", lambda rig: rig.broker.stop(), lambda rig: rig.broker.start()),
    ("restart PostgreSQL", lambda rig: rig.pg.stop("fast"), lambda rig: rig.pg.start()),
    ("drop Redis", lambda rig: rig.redis.stop(kill=True), lambda rig: rig.redis.start()),
]
# Mosquitto 2.0 does not restore *shared* subscriptions from its persistence file: what sensors
# publish after a broker restart, before the workers re-subscribe, has no subscriber and is
# dropped. Durable per-worker subscriptions (`--group ''`) are restored and survive it.
DURABLE_SCENARIOS: list[Scenario] = [
    ("restart Mosquitto, --group ''", lambda rig: rig.broker.stop(), lambda rig: rig.broker.start()),
]


def bench_faults(args: argparse.Namespace) -> None:
    rows = []
    for group, scenarios in (("csm", SHARED_SCENARIOS), ("", DURABLE_SCENARIOS)):
        chosen = [s for s in scenarios if args.only in s[0]]
        if not chosen:
            continue
        with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
            rig = FaultRig(stack, Path(tmp), group)
            for name, fault, heal in chosen:
                run = _fault_run(rig, name, partial(fault, rig), partial(heal, rig), args.messages, args.rate)
                rows.append(asyncio.run(run))
                print(f"  {rows[-1]}", flush=True)
    print(f"faults: {args.messages:,} QoS 1 messages at {args.rate:,.0f}/s per run, fault after a third, "
          "healed 3 s later; 2 ingest workers, `csm serve --workers 2`, 20 stream clients")
    header = ["fault", "sent", "stored", "exactly_once", "complete_s", "drain_s", "streams_updated_after",
              "reconnects"]
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in header]
    print("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  " + "  ".join(str(row[h]).ljust(w) for h, w in zip(header, widths, strict=True)))
    if not all(r["exactly_once"] for r in rows):
        raise SystemExit("some run did not store every message exactly once")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="sustained MQTT ingest into PostgreSQL with 2 workers")
    ingest.add_argument("--rate", type=float, default=3000, help="messages per second offered")
    ingest.add_argument("--seconds", type=float, default=20)
    api = commands.add_parser("api", help="zone-state latency under concurrent clients")
    api.add_argument("--clients", type=int, default=200)
    api.add_argument("--seconds", type=float, default=15)
    api.add_argument("--httpx", action="store_true", help="use the Python load generator even if wrk exists")
    ws = commands.add_parser("ws", help="WebSocket fan-out")
    ws.add_argument("--clients", type=int, default=500)
    ws.add_argument("--rounds", type=int, default=5)
    faults = commands.add_parser("faults", help="fault runs: every message stored exactly once")
    faults.add_argument("--messages", type=int, default=10_000)
    faults.add_argument("--rate", type=float, default=1000)
    faults.add_argument("--only", default="", help="run only scenarios whose name contains this")
    args = parser.parse_args()
    {"ingest": bench_ingest, "api": bench_api, "ws": bench_ws, "faults": bench_faults}[args.command](args)


if __name__ == "__main__":
    main()
