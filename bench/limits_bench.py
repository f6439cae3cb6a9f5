"""Each hot path of CSM next to the machine's own limit for the same work, measured in the same run.

    python bench/limits_bench.py api       # zone state: `csm serve --workers 2` vs bare uvicorn, same body
    python bench/limits_bench.py picture   # picture refresh, 1,000 zones, vs its two store reads alone
    python bench/limits_bench.py ingest    # HTTP ingest into DuckDB vs a raw DuckDB insert, same table and key
    python bench/limits_bench.py mqtt      # MQTT consumer vs a bare paho subscriber, same queued messages
    python bench/limits_bench.py ws        # change → 500 WebSocket clients (a goal, no limit)
    python bench/limits_bench.py all

Absolute figures on a shared two-core machine move with the load; the share of the limit, both
measured side by side in one run (medians of --rounds), is the figure that means something.
Loopback only; every service (PostgreSQL, Redis, Mosquitto) is a private one on a free port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _cpu import cpu_seconds, group_pids
from _load import SECRET, env, plan_base, stop_server, wait_ready
from _services import anonymous_mosquitto, free_port, private_postgres
from _sites import make_site

HERE = Path(__file__).resolve().parent


@dataclass
class Row:
    path: str
    csm: str
    limit: str
    share: float | None
    goal: str
    met: bool | None


ROWS: list[Row] = []


def report(row: Row) -> None:
    ROWS.append(row)
    share = f"{row.share:.0%}" if row.share is not None else "—"
    verdict = "" if row.met is None else ("goal met" if row.met else "goal NOT met")
    print(f"  => {row.path}: CSM {row.csm} | limit {row.limit} | share {share} | {row.goal} {verdict}", flush=True)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- wrk ------------------------------------------------------------------------------------------
@dataclass
class Wrk:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(url: str, clients: int, seconds: float, headers: dict[str, str] | None = None, threads: int = 2) -> Wrk:
    """wrk (C, keep-alive) as the load generator: throughput and latency percentiles."""
    command = ["wrk", f"-t{min(threads, clients)}", f"-c{clients}", f"-d{int(seconds)}s", "--timeout", "10s",
               "--latency", url]
    for name, value in (headers or {}).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return Wrk(rps, _ms(percentiles.get("50", "0ms")), _ms(percentiles.get("99", "0ms")), errors)


def median_wrk(runs: list[Wrk]) -> Wrk:
    return Wrk(statistics.median(r.rps for r in runs), statistics.median(r.p50_ms for r in runs),
               statistics.median(r.p99_ms for r in runs), sum(r.errors for r in runs))


# -- (1) the API read path ------------------------------------------------------------------------
def _uvicorn(args: list[str], extra_env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "uvicorn", *args, "--log-level", "warning"],
                            stdout=handle, stderr=subprocess.STDOUT, env={**env(), **extra_env},
                            start_new_session=True)


def _wait_http(port: int, path: str = "/", timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


def _idle_cpu_share(pgid: int, seconds: float) -> float:
    """CPU a server's processes use with no request at all (CSM's workers refresh the picture,
    evaluate advice and run jobs): counted in its CPU per request under load too."""
    pids = group_pids(pgid)
    before = cpu_seconds(pids)
    time.sleep(seconds)
    return (cpu_seconds(pids) - before) / seconds


def _raw_gzip(base: str, path: str, headers: dict[str, str]) -> bytes:
    """The compressed bytes CSM sends a client that accepts gzip, as they cross the wire."""
    with httpx.Client(base_url=base, headers=headers) as client, \
            client.stream("GET", path, headers={"accept-encoding": "gzip"}) as answer:
        if answer.headers.get("content-encoding") != "gzip":
            raise RuntimeError("CSM did not compress the zone state for a client accepting gzip")
        return b"".join(answer.iter_raw())


def bench_api(args: argparse.Namespace) -> None:
    from scale_bench import ApiDeployment

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        deployment = ApiDeployment(stack, tmp)
        url_path = "/api/v1/sites/bench/zones/state"
        auth = {"Authorization": f"Bearer {deployment.user}"}
        body = httpx.get(deployment.base + url_path, headers=auth).content
        (tmp / "body.json").write_bytes(body)
        (tmp / "body.json.gz").write_bytes(_raw_gzip(deployment.base, url_path, auth))
        # CSM as deployed (`csm serve --workers 2`: httptools with CSM's request-head limit) against
        # the bare app on the same parser (the limit) and on h11 (context: the slower parser); each
        # with the plain body and with the gzip body every browser asks for (the dashboard's form).
        csm_url = deployment.base + url_path
        servers: dict[str, tuple[str, dict[str, str]]] = {
            "csm": (csm_url, auth), "csm gzip": (csm_url, {**auth, "Accept-Encoding": "gzip"})}
        groups = {"csm": deployment.server.pid, "csm gzip": deployment.server.pid}  # process groups, for CPU
        bare_kinds = {"bare (httptools)": ("httptools", {"CSM_BARE_BODY": str(tmp / "body.json")}),
                      "bare gzip (httptools)": ("httptools", {"CSM_BARE_BODY": str(tmp / "body.json.gz"),
                                                              "CSM_BARE_ENCODING": "gzip"}),
                      "bare (h11)": ("h11", {"CSM_BARE_BODY": str(tmp / "body.json")})}
        for name, (parser, bare_env) in bare_kinds.items():
            port = free_port()
            process = _uvicorn(["_bare:app", "--app-dir", str(HERE), "--workers", "2", "--http", parser,
                                "--port", str(port)], bare_env, tmp / "bare.log")
            stack.callback(stop_server, process)
            _wait_http(port)
            servers[name] = (f"http://127.0.0.1:{port}/", {})
            groups[name] = process.pid
        for url, headers in servers.values():  # warm up every worker
            wrk(url, 20, 2, headers)
        print(f"api: GET {url_path}, 1,000 zones, {len(body) / 1000:,.0f} kB JSON "
              f"({(tmp / 'body.json.gz').stat().st_size / 1000:,.0f} kB gzip); 2 uvicorn workers each; wrk "
              f"-c{args.clients} for {args.seconds:.0f} s, {args.rounds} rounds interleaved; load {load_average()}")
        idle = {name: _idle_cpu_share(pgid, 5) for name, pgid in groups.items() if name != "csm gzip"}
        idle["csm gzip"] = idle["csm"]
        loaded: dict[str, list[Wrk]] = {name: [] for name in servers}
        single: dict[str, list[Wrk]] = {name: [] for name in servers}
        cpu_us: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(args.rounds):
            for name, (url, headers) in servers.items():
                pids = group_pids(groups[name])
                before = cpu_seconds(pids)
                loaded[name].append(wrk(url, args.clients, args.seconds, headers))
                spent = cpu_seconds(pids) - before
                cpu_us[name].append(spent / (loaded[name][-1].rps * args.seconds) * 1e6)
                single[name].append(wrk(url, 1, 3, headers, threads=1))
        figures = {name: median_wrk(runs) for name, runs in loaded.items()}
        alone = {name: median_wrk(runs) for name, runs in single.items()}
        per_request = {name: statistics.median(values) for name, values in cpu_us.items()}
        for name in servers:
            f, one = figures[name], alone[name]
            print(f"  {name:22s} {f.rps:9,.0f} req/s  p50 {f.p50_ms:7.1f} ms  p99 {f.p99_ms:7.1f} ms  "
                  f"errors {f.errors}   | one client: p50 {one.p50_ms:.2f} ms | server CPU per request "
                  f"{per_request[name]:,.0f} µs (idle: {idle[name]:.0%} of a core)")
        with httpx.Client(base_url=deployment.base, headers=auth) as client:
            first = client.get(url_path, headers={"accept-encoding": "gzip"})
            again = client.get(url_path, headers={"if-none-match": first.headers.get("etag", "-")})
        print(f"  gzip: {len(first.content):,} bytes → {int(first.headers.get('content-length', 0)):,} on the wire "
              f"(content-encoding {first.headers.get('content-encoding')}); If-None-Match → {again.status_code}")
        for csm_name, bare_name, label in (("csm", "bare (httptools)", "zone state, 200 connections"),
                                           ("csm gzip", "bare gzip (httptools)",
                                            "zone state, 200 connections, gzip (as browsers ask)")):
            csm, bare = figures[csm_name], figures[bare_name]
            report(Row(label, f"{csm.rps:,.0f} req/s, p99 {csm.p99_ms:.0f} ms",
                       f"bare uvicorn {bare.rps:,.0f} req/s, p99 {bare.p99_ms:.0f} ms", csm.rps / bare.rps,
                       "≥ 50 % and p99 < 50 ms", csm.rps / bare.rps >= 0.5 and csm.p99_ms < 50))
        csm = figures["csm"]
        slower = figures["bare (h11)"]
        report(Row("zone state, 200 connections vs bare h11", f"{csm.rps:,.0f} req/s",
                   f"bare uvicorn h11 {slower.rps:,.0f} req/s, p99 {slower.p99_ms:.0f} ms", csm.rps / slower.rps,
                   "(context)", None))
        report(Row("zone state, server CPU per request", f"{per_request['csm']:,.0f} µs "
                   f"(idle workers: {idle['csm']:.0%} of a core)",
                   f"bare uvicorn {per_request['bare (httptools)']:,.0f} µs",
                   per_request["bare (httptools)"] / per_request["csm"], "(context: moves less with load)", None))
        one_csm, one_bare = alone["csm"], alone["bare (httptools)"]
        report(Row("zone state, one client", f"p50 {one_csm.p50_ms:.2f} ms", f"bare p50 {one_bare.p50_ms:.2f} ms",
                   one_bare.p50_ms / one_csm.p50_ms if one_csm.p50_ms else None, "(context)", None))


# -- (2) the picture refresh ----------------------------------------------------------------------
def _seed_items(sensors: list[str], minutes: int, base: datetime) -> list[dict[str, Any]]:
    return [{"sensor_id": s, "interval_start": (base - timedelta(minutes=m)).isoformat(), "interval_seconds": 60,
             "counts": {"in": (k + m) % 13 + 1, "out": (k * 3 + m) % 5}}
            for m in range(minutes) for k, s in enumerate(sensors)]


def _median_ms(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds (CPU time moves less with the machine's load)."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def _store_reads(store: Any, site: Any) -> None:
    """What a full refresh reads: the newest values and the line balances since the reset."""
    now = datetime.now(UTC)
    store.latest_values(site.id, now)
    store.line_balances(site.id, now - timedelta(hours=6), now, site.defaults.line_counter_leak_per_hour)


def bench_picture(args: argparse.Namespace) -> None:
    from csm.runtime import build_runtime

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        site_dir = make_site(tmp / "site", zones=1000, sensors_per_zone=1)
        sensors = [f"s{z}-0" for z in range(1000)]
        stores = {"DuckDB": f"duckdb:{tmp}/picture.duckdb"}
        if not args.skip_postgres:
            stores["PostgreSQL"] = stack.enter_context(private_postgres()).url
        print(f"picture: 1,000 zones, 1,000 line counters, 30 minutes of data; medians of {args.repeat} refreshes; "
              f"load {load_average()}")
        for name, url in stores.items():
            runtime = build_runtime([site_dir], url)
            try:
                sr = runtime.sites["bench"]
                base = plan_base()
                sr.ingest.ingest_items(_seed_items(sensors, 30, base), "bench-seed")
                picture = sr.picture
                picture.refresh()
                full = _median_ms(picture.refresh, args.repeat)
                tick = _median_ms(partial(picture.refresh, set(), every_zone=True), args.repeat)
                limit = _median_ms(partial(_store_reads, runtime.store, sr.site), args.repeat)
                changed = [f"s{z}-0" for z in range(0, 1000, 100)]
                newer = base + timedelta(minutes=1)
                sr.ingest.ingest_items([{"sensor_id": s, "interval_start": newer.isoformat(), "interval_seconds": 60,
                                         "counts": {"in": 5, "out": 1}} for s in changed], "bench")
                incremental = _median_ms(partial(picture.refresh, changed), args.repeat)
                print(f"  {name:10s} full refresh {full[0]:6.1f} ms (CPU {full[1]:6.1f}); tick (every zone moved on "
                      f"from the inputs kept) {tick[0]:6.1f} ms (CPU {tick[1]:6.1f}); incremental refresh after 10 "
                      f"sensors reported {incremental[0]:6.1f} ms (CPU {incremental[1]:6.1f}); a full refresh's two "
                      f"store reads alone {limit[0]:6.1f} ms (CPU {limit[1]:6.1f})")
                report(Row(f"picture refresh on new data, 1,000 zones, {name}",
                           f"{incremental[0]:.1f} ms (CPU {incremental[1]:.1f}); full {full[0]:.1f} ms; "
                           f"tick {tick[0]:.1f} ms",
                           f"full refresh's store reads {limit[0]:.1f} ms", None, "< 20 ms",
                           incremental[0] < 20))
            finally:
                runtime.close()


# -- (3) HTTP ingest into DuckDB ------------------------------------------------------------------
INGEST_NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def ingest_batch(offset: int, size: int, sensors: int = 1000) -> list[dict[str, object]]:
    """`size` line-counter items (2 observations each), unique per offset, minutes before now."""
    items = []
    for i in range(size):
        n = offset * size + i
        start = INGEST_NOW - timedelta(minutes=2 + n // sensors)
        items.append({"sensor_id": f"s{n % sensors // 10}-{n % 10}", "interval_start": start.isoformat(),
                      "interval_seconds": 60, "counts": {"in": n % 13, "out": n % 5}})
    return items


def _raw_frames(batches: list[list[dict[str, Any]]]) -> list[Any]:
    import pandas as pd

    received = datetime.now(UTC).replace(tzinfo=None)
    frames = []
    for items in batches:
        rows = [("bench", it["sensor_id"], metric,
                 datetime.fromisoformat(str(it["interval_start"])).replace(tzinfo=None), 60, float(value), received)
                for it in items for metric, value in it["counts"].items()]  # type: ignore[attr-defined]
        frames.append(pd.DataFrame(rows, columns=["site_id", "sensor_id", "metric", "interval_start",
                                                  "interval_seconds", "value", "received_at"]))
    return frames


def raw_duckdb_rate(path: str, batches: list[list[dict[str, Any]]]) -> tuple[float, float]:
    """Rows/s of DuckDB alone: the same table (CSM's schema and primary key), frames built beforehand;
    and CPU ms per 10,000 rows (this process, DuckDB's threads included)."""
    from csm.store.factory import open_store

    store = open_store(f"duckdb:{path}")
    frames = _raw_frames(batches)
    con = store._con  # type: ignore[attr-defined]  # the limit is DuckDB itself, no CSM code in between
    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    for frame in frames:
        con.register("incoming_obs", frame)
        con.execute("INSERT INTO observations SELECT * FROM incoming_obs ON CONFLICT DO NOTHING")
        con.unregister("incoming_obs")
        rows += len(frame)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return rows / elapsed, cpu * 1000 * 10_000 / rows


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http_ingest_rate(site: Path, path: str, payloads: list[bytes], tmp: Path,
                     without_loops: bool = False) -> tuple[float, float]:
    """Observations/s through `csm serve` (its own process) with an ingest token, one client; and
    the server's CPU ms per 10,000 observations (every thread: ingest, picture loop, jobs).
    `without_loops`: the same app with the picture loop and jobs idle (`_serve_ingest_only.py`)."""
    from csm.auth.tokens import issue_ingest_token

    os.environ["CSM_SECRET_KEY"] = SECRET
    port = free_port()
    command = [str(Path(sys.executable).with_name("csm")), "serve", "--site", str(site), "--store", f"duckdb:{path}",
               "--port", str(port)]
    if without_loops:
        command = [sys.executable, str(HERE / "_serve_ingest_only.py"), str(site), f"duckdb:{path}", str(port)]
    server = subprocess.Popen(command, stdout=(tmp / "ingest.log").open("ab"), stderr=subprocess.STDOUT, env=env(),
                              start_new_session=True)
    try:
        wait_ready(port)
        headers = {"content-type": "application/json",
                   "authorization": f"Bearer {issue_ingest_token('bench-gateway', 'bench', None)}"}
        stored = 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            client.post("/api/v1/observations", content=payloads[0], headers=headers).raise_for_status()  # warm-up
            started, cpu = time.perf_counter(), process_cpu_seconds(server.pid)
            for payload in payloads[1:]:
                answer = client.post("/api/v1/observations", content=payload, headers=headers)
                answer.raise_for_status()
                stored += answer.json()["accepted"]
            elapsed, cpu = time.perf_counter() - started, process_cpu_seconds(server.pid) - cpu
        return stored / elapsed, cpu * 1000 * 10_000 / stored
    finally:
        stop_server(server)


def bench_ingest(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        site = make_site(tmp / "site", zones=100, sensors_per_zone=10)
        batches = [ingest_batch(i, args.batch) for i in range(args.batches + 1)]
        payloads = [json.dumps(b).encode() for b in batches]
        print(f"ingest: {args.batches} HTTP batches of {args.batch:,} line-counter items ({2 * args.batch:,} "
              f"observations) into a fresh DuckDB file, one client; {args.rounds} rounds; load {load_average()}")
        csm_rates, raw_rates, csm_cpu, raw_cpu, alone_rates, alone_cpu = [], [], [], [], [], []
        for r in range(args.rounds):
            rate, cpu = http_ingest_rate(site, f"{tmp}/csm-{r}.duckdb", payloads, tmp)
            csm_rates.append(rate)
            csm_cpu.append(cpu)
            if args.without_loops:
                rate, cpu = http_ingest_rate(site, f"{tmp}/alone-{r}.duckdb", payloads, tmp, without_loops=True)
                alone_rates.append(rate)
                alone_cpu.append(cpu)
                print(f"  round {r + 1}: CSM with the picture loop and jobs idle {rate:,.0f} observations/s "
                      f"(server CPU {cpu:.0f} ms per 10,000)", flush=True)
            rate, cpu = raw_duckdb_rate(f"{tmp}/raw-{r}.duckdb", batches[1:])
            raw_rates.append(rate)
            raw_cpu.append(cpu)
            print(f"  round {r + 1}: CSM {csm_rates[-1]:,.0f} observations/s (server CPU {csm_cpu[-1]:.0f} ms per "
                  f"10,000); raw DuckDB insert {raw_rates[-1]:,.0f} rows/s (CPU {raw_cpu[-1]:.0f} ms per 10,000); "
                  f"load {load_average()}", flush=True)
        csm, raw = statistics.median(csm_rates), statistics.median(raw_rates)
        share = statistics.median(c / r for c, r in zip(csm_rates, raw_rates, strict=True))  # pairs run back to back
        report(Row("HTTP ingest into DuckDB", f"{csm:,.0f} obs/s", f"raw DuckDB insert {raw:,.0f} rows/s", share,
                   "≥ 70 %", share >= 0.7))
        if alone_rates:
            report(Row("HTTP ingest into DuckDB, picture loop and jobs idle (context)",
                       f"{statistics.median(alone_rates):,.0f} obs/s, server CPU {statistics.median(alone_cpu):.0f} ms "
                       "per 10,000", f"raw DuckDB insert {raw:,.0f} rows/s",
                       statistics.median(a / r for a, r in zip(alone_rates, raw_rates, strict=True)), "(context)",
                       None))
        cpu_share = statistics.median(r / c for c, r in zip(csm_cpu, raw_cpu, strict=True))
        report(Row("HTTP ingest into DuckDB, CPU per 10,000 observations",
                   f"server {statistics.median(csm_cpu):.0f} ms (every thread: ingest, picture loop, jobs)",
                   f"raw DuckDB insert {statistics.median(raw_cpu):.0f} ms", cpu_share, "(context)", None))


# -- (4) MQTT -------------------------------------------------------------------------------------
def _publish_part(port: int, start: int, count: int, block: int, go: Any, done: Any) -> None:
    """One publisher process: messages start..start+count, QoS 1, payloads encoded before `go`."""
    import paho.mqtt.client as mqtt

    from csm.ingest.mqtt import counts_topic

    messages = []
    for n in range(start, start + count):
        item = ingest_batch(block * 1_000_000 + n, 1)[0]
        sensor = str(item.pop("sensor_id"))
        messages.append((counts_topic("bench", sensor), json.dumps(item).encode()))
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:8]}")
    client.max_inflight_messages_set(0)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    done.put("ready")
    go.wait()
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(120)
    client.loop_stop()
    client.disconnect()
    done.put(time.time())


def publish_queued(port: int, n: int, processes: int, block: int) -> float:
    """Publish n QoS 1 messages from several processes; messages/s until the broker acked all."""
    context = mp.get_context("spawn")
    go, done = context.Event(), context.Queue()
    share = n // processes
    workers = [context.Process(target=_publish_part, args=(port, k * share, share, block, go, done))
               for k in range(processes)]
    for w in workers:
        w.start()
    for _ in workers:  # each has encoded its messages and connected
        done.get(timeout=300)
    started = time.time()
    go.set()
    ends = [done.get(timeout=600) for _ in workers]
    for w in workers:
        w.join()
    return share * processes / (max(ends) - started)


def _bare_client(port: int, client_id: str) -> Any:
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 600
    properties.ReceiveMaximum = 10_000
    client.connect("127.0.0.1", port, clean_start=False, properties=properties)
    return client


def bare_drain(port: int, client_id: str, n: int) -> float:
    """A bare paho subscriber (acks automatically, counts): messages/s draining n queued messages."""
    received = 0
    finished = threading.Event()

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        nonlocal received
        received += 1
        if received >= n:
            finished.set()

    client = _bare_client(port, client_id)
    client.on_message = on_message
    started = time.perf_counter()
    client.loop_start()
    finished.wait(600)
    elapsed = time.perf_counter() - started
    client.loop_stop()
    client.disconnect()
    return received / elapsed


def bench_mqtt(args: argparse.Namespace) -> None:
    from csm.ingest.mqtt import MqttIngestConsumer, subscription_topics
    from csm.runtime import build_runtime

    n = args.messages
    with anonymous_mosquitto(10_000_000) as port, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        site = make_site(tmp / "site", zones=100, sensors_per_zone=10)
        bare_id, csm_id = f"bare-{uuid.uuid4().hex[:6]}", f"csm-{uuid.uuid4().hex[:6]}"
        bare = _bare_client(port, bare_id)  # a persistent session with its subscription, then offline
        bare.subscribe(subscription_topics(["bench"], None)[0], qos=1)
        bare.loop_start()
        time.sleep(0.5)
        bare.loop_stop()
        bare.disconnect()
        runtime = build_runtime([site], f"duckdb:{tmp}/mqtt.duckdb")

        def consumer() -> MqttIngestConsumer:
            return MqttIngestConsumer(runtime, f"mqtt://127.0.0.1:{port}", client_id=csm_id, batch_size=args.batch,
                                      max_inflight=10_000, session_expiry=600)

        first = consumer()
        first.start()
        first.connected.wait(10)
        first.stop()
        print(f"mqtt: {n:,} QoS 1 messages (one reading each) queued at a private Mosquitto for two offline persistent "
              f"sessions, published by {args.publishers} processes; then each subscriber drains its queue alone; "
              f"{args.rounds} rounds; load {load_average()}")
        pub_rates, bare_rates, csm_rates, bare_cpu, csm_cpu = [], [], [], [], []
        try:
            for r in range(args.rounds):
                pub_rates.append(publish_queued(port, n, args.publishers, block=r))
                cpu = time.process_time()
                bare_rates.append(bare_drain(port, bare_id, n))
                bare_cpu.append((time.process_time() - cpu) * 1e6 / n)
                before = runtime.store.count_observations("bench")
                worker = consumer()
                started, cpu = time.perf_counter(), time.process_time()
                worker.start()
                # The consumer's own count of what the store took (no store query every few ms
                # competing with it, as the bare subscriber counts in memory too); checked below.
                # New rows only: a message the broker delivers twice (after a keep-alive lapse
                # under load) is counted as a duplicate too, and counting those ended the wait
                # before every message was stored.
                while worker.totals.accepted < 2 * n:
                    if time.perf_counter() - started > 600:
                        raise RuntimeError("the CSM consumer did not store every message within 600 s")
                    time.sleep(0.005)
                csm_rates.append(n / (time.perf_counter() - started))
                csm_cpu.append((time.process_time() - cpu) * 1e6 / n)
                worker.stop()
                if runtime.store.count_observations("bench") - before != 2 * n:
                    raise RuntimeError("the CSM consumer reported observations the store does not hold")
                print(f"  round {r + 1}: publishers {pub_rates[-1]:,.0f} msg/s; bare paho {bare_rates[-1]:,.0f} msg/s; "
                      f"CSM consumer {csm_rates[-1]:,.0f} msg/s (all {n:,} stored, {worker.totals.duplicates:,} "
                      f"observations delivered twice); CPU per message: bare "
                      f"{bare_cpu[-1]:.0f} µs, CSM {csm_cpu[-1]:.0f} µs; load {load_average()}", flush=True)
        finally:
            runtime.close()
        csm, bare_rate = statistics.median(csm_rates), statistics.median(bare_rates)
        share = statistics.median(c / b for c, b in zip(csm_rates, bare_rates, strict=True))
        report(Row("MQTT consumer, one worker", f"{csm:,.0f} msg/s", f"bare paho subscriber {bare_rate:,.0f} msg/s",
                   share, "≥ 80 %", share >= 0.8))
        report(Row("MQTT consumer, CPU per message (this process, every thread)",
                   f"{statistics.median(csm_cpu):.0f} µs", f"bare paho subscriber {statistics.median(bare_cpu):.0f} µs",
                   statistics.median(b / c for c, b in zip(csm_cpu, bare_cpu, strict=True)), "(context)", None))
        # The messages are queued before either subscriber connects: the publishers' rate is
        # outside both drain measurements, whatever it is.
        report(Row("MQTT publishers (context: they finish before the drains start)",
                   f"{statistics.median(pub_rates):,.0f} msg/s published", f"bare paho drain {bare_rate:,.0f} msg/s",
                   None, "(not in the measurement)", None))


# -- (5) WebSocket fan-out ------------------------------------------------------------------------
def bench_ws(args: argparse.Namespace) -> None:
    import numpy as np

    from scale_bench import ApiDeployment, _fanout

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp_name:
        deployment = ApiDeployment(stack, Path(tmp_name))
        delays, reached, connected = asyncio.run(_fanout(deployment, args.clients, args.rounds_ws))
        p50, p99 = (float(x) for x in np.percentile(np.asarray(delays) * 1000, [50, 99])) if delays else (0.0, 0.0)
        print(f"ws: {connected} of {args.clients} clients on `csm serve --workers 2`; reached per change {reached}; "
              f"load {load_average()}")
        report(Row(f"WebSocket change → client, {args.clients} clients", f"p50 {p50:.0f} ms, p99 {p99:.0f} ms",
                   "—", None, "p99 < 350 ms", bool(delays) and p99 < 350 and min(reached) == args.clients))


def main() -> None:
    os.environ.setdefault("CSM_SECRET_KEY", SECRET)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=["all"], choices=["api", "picture", "ingest", "mqtt", "ws", "all"])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per path (the median is reported)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=30, help="picture refreshes timed per figure")
    parser.add_argument("--skip-postgres", action="store_true", help="picture: the embedded store only")
    parser.add_argument("--batch", type=int, default=5000, help="items per HTTP batch / MQTT consumer batch")
    parser.add_argument("--batches", type=int, default=60,
                        help="HTTP batches per round: 60 (about 3 s) measure sustained ingest, picture ticks "
                             "included; 10 last 0.3 s, mostly the first picture refresh")
    parser.add_argument("--without-loops", dest="without_loops", action="store_true",
                        help="ingest: also CSM with its picture loop and jobs idle (what they cost ingest)")
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--publishers", type=int, default=4)
    parser.add_argument("--ws-clients", dest="ws_clients", type=int, default=500)
    parser.add_argument("--ws-rounds", dest="rounds_ws", type=int, default=5)
    args = parser.parse_args()
    chosen = ["api", "picture", "ingest", "mqtt", "ws"] if "all" in args.paths else args.paths
    runners = {"api": bench_api, "picture": bench_picture, "ingest": bench_ingest, "mqtt": bench_mqtt,
               "ws": lambda a: bench_ws(argparse.Namespace(**{**vars(a), "clients": a.ws_clients}))}
    for name in chosen:
        runners[name](args)
    print(f"\nsummary (load average now {load_average()}):")
    print("| path | CSM | limit, same run | share of limit | goal |")
    print("|---|---|---|---|---|")
    for row in ROWS:
        share = f"{row.share:.0%}" if row.share is not None else "—"
        verdict = "" if row.met is None else (" ✓" if row.met else " ✗")
        print(f"| {row.path} | {row.csm} | {row.limit} | {share} | {row.goal}{verdict} |")


if __name__ == "__main__":
    main()
