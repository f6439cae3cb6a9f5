"""Load parts for the scale benchmarks: a rate-limited QoS 1 sensor publisher (own process), the
`csm` processes under test, stream watchers that reconnect like the dashboard, and stats."""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

CSM = str(Path(sys.executable).with_name("csm"))
SECRET = "bench-secret-key-that-is-long-enough-for-hs256-0123456789abcdef"


# -- the messages ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """Message i: sensor i % S, interval (block + i // S) minutes before `base`; in/out counts."""

    site: str
    sensors: list[str]
    base: datetime
    block: int = 0  # minute offset, so successive runs write disjoint intervals

    def message(self, i: int) -> tuple[str, dict[str, Any]]:
        sensor = self.sensors[i % len(self.sensors)]
        start = self.base - timedelta(minutes=self.block + i // len(self.sensors))
        return sensor, {"interval_start": start.isoformat(), "interval_seconds": 60,
                        "counts": {"in": (i * 7) % 13, "out": (i * 3) % 5}}

    def checksum(self, n: int) -> tuple[int, float]:
        """(observations, sum of values) that n messages must leave in the store."""
        return 2 * n, float(sum((i * 7) % 13 + (i * 3) % 5 for i in range(n)))

    def window(self, n: int) -> tuple[datetime, datetime]:
        minutes = (n + len(self.sensors) - 1) // len(self.sensors)
        return (self.base - timedelta(minutes=self.block + minutes - 1),
                self.base - timedelta(minutes=self.block) + timedelta(seconds=1))


def plan_base() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)


def _publisher(port: int, plan: Plan, n: int, rate: float, out: str, ready: Any, go: Any) -> None:
    """Publish n messages at `rate`/s (0 = as fast as possible); write send times to `out`.

    Every message is tracked until the broker acknowledges it; after a broker restart the
    unacknowledged ones are sent again (at-least-once from the sensor side too).
    """
    import paho.mqtt.client as mqtt

    from csm.ingest.mqtt import counts_topic

    pending: dict[int, int] = {}
    sent = np.zeros(n)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{os.getpid()}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(0.2, 2)
    client.on_publish = lambda c, u, mid, rc, props: pending.pop(mid, None)
    client.on_connect = lambda c, u, flags, rc, props: ready.set()
    user, _, password = os.environ.get("CSM_BENCH_MQTT_PUBLISHER", "").partition(":")
    if user:  # the private broker requires authentication (bench/_services.py)
        client.username_pw_set(user, password)
    client.connect_async("127.0.0.1", port)
    client.loop_start()
    go.wait()

    def send(i: int) -> None:
        sensor, payload = plan.message(i)
        info = client.publish(counts_topic(plan.site, sensor), json.dumps(payload), qos=1)
        pending[info.mid] = i

    started = time.perf_counter()
    for i in range(n):
        if rate > 0:
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        sent[i] = time.time()
        send(i)
    deadline = time.monotonic() + 120
    last_progress, last_size = time.monotonic(), len(pending)
    while pending and time.monotonic() < deadline:
        time.sleep(0.2)
        if len(pending) != last_size:
            last_progress, last_size = time.monotonic(), len(pending)
        elif time.monotonic() - last_progress > 8 and client.is_connected():
            for i in list(pending.values()):  # unacknowledged across a broker restart: send again
                send(i)
            last_progress = time.monotonic()
    if pending:
        print(f"publisher: {len(pending)} messages never acknowledged by the broker", file=sys.stderr)
    np.save(out, sent)
    client.loop_stop()
    client.disconnect()


def start_publisher(port: int, plan: Plan, n: int, rate: float, out: Path) -> tuple[mp.Process, Any]:
    """The publisher process, connected to the broker; it starts sending when the event is set."""
    context = mp.get_context("spawn")
    ready, go = context.Event(), context.Event()
    process = context.Process(target=_publisher, args=(port, plan, n, rate, str(out), ready, go))
    process.start()
    if not ready.wait(120):
        process.kill()
        raise RuntimeError("the publisher could not connect to the broker")
    return process, go


# -- the processes under test ----------------------------------------------------------------
def env() -> dict[str, str]:
    return {**os.environ, "CSM_SECRET_KEY": SECRET, "PYTHONUNBUFFERED": "1"}


def ingest_worker(site: Path, store: str, mqtt_port: int, bus: str, name: str, log: Path,
                  group: str = "csm") -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [CSM, "ingest-worker", "--site", str(site), "--store", store, "--mqtt", f"mqtt://127.0.0.1:{mqtt_port}",
         "--bus", bus, "--client-id", f"bench-ingest-{name}", "--batch-size", "1000", "--max-inflight", "5000",
         "--group", group],
        stdout=handle, stderr=subprocess.STDOUT, env=env(),
    )


def wait_subscribed(log: Path, names: list[str], timeout: float = 60) -> None:
    """Until each worker logged its subscription: before that, MQTT drops what is published
    (no session subscribes yet), which is the broker's semantics, not a loss in CSM."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if all(f"bench-ingest-{name} subscribed" in text for name in names):
            time.sleep(0.5)  # the SUBSCRIBE reaches the broker
            return
        time.sleep(0.1)
    raise RuntimeError(f"ingest workers {names} did not subscribe within {timeout:.0f} s")


def api_server(site: Path, store: str, bus: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [CSM, "serve", "--site", str(site), "--store", store, "--bus", bus, "--workers", str(workers),
         "--port", str(port)],
        stdout=handle, stderr=subprocess.STDOUT, env=env(), start_new_session=True,
    )


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """uvicorn's supervisor and its workers form one process group (start_new_session)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_ready(port: int, timeout: float = 180) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"API on port {port} not ready after {timeout:.0f} s")


def tokens(store_url: str, site: str) -> tuple[str, str]:
    """(session token of a bench operator, ingest token for the site)."""
    os.environ["CSM_SECRET_KEY"] = SECRET
    from csm.auth.roles import Role
    from csm.auth.sessions import SessionBook
    from csm.auth.tokens import issue_ingest_token
    from csm.auth.users import UserDirectory
    from csm.store.factory import open_store

    store = open_store(store_url)
    try:
        directory = UserDirectory(store)
        user = directory.get("bench") or directory.add("bench", Role.MUNICIPALITY, [site], "bench-password-123")
        return SessionBook(store).open(user), issue_ingest_token("bench-feed", site, None)
    finally:
        store.close()


# -- live stream watchers (reconnect like the dashboard) -------------------------------------
@dataclass
class Watcher:
    updates: list[float] = field(default_factory=list)  # arrival times (time.time())
    payloads: list[dict[str, Any]] = field(default_factory=list)
    connects: int = 0
    snapshots: int = 0  # read and parsed: the client is ready for updates
    keep_payloads: bool = False


async def watch(url: str, token: str, watcher: Watcher, stop: asyncio.Event) -> None:
    """Reads one stream until `stop`, reconnecting like the dashboard. The arrival time is taken
    before the message is parsed, and the read is a plain `async for` (a `wait_for(recv(), 0.5)`
    loop made a thousand timeouts a second across 500 clients)."""
    import websockets

    delay = 0.2
    while not stop.is_set():
        try:
            async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                                          max_size=None, open_timeout=10) as ws:
                watcher.connects += 1
                delay = 0.2
                closer = asyncio.create_task(_close_when(stop, ws))
                try:
                    async for raw in ws:
                        arrived = time.time()
                        kind, update = _read(raw)
                        if kind == "snapshot":
                            watcher.snapshots += 1
                        elif update is not None:
                            watcher.updates.append(arrived)
                            if watcher.keep_payloads:
                                watcher.payloads.append(update)
                finally:
                    closer.cancel()
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
            pass
        if not stop.is_set():
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


def _read(raw: str | bytes) -> tuple[str | None, dict[str, Any] | None]:
    """The message's type, and the message if it is an update. A parsed snapshot (1,000 zones, some
    20,000 objects) is freed here, on return — kept in the loop's variable, it was freed only when
    the next message replaced it: 500 clients freeing their snapshots on the first change cost
    this one process 300-400 ms of CPU, which the first change's timing then showed as CSM's."""
    message = json.loads(raw)
    kind = message.get("type")
    return kind, message if kind == "update" else None


async def _close_when(stop: asyncio.Event, ws: Any) -> None:
    await stop.wait()
    await ws.close()


# -- figures -----------------------------------------------------------------------------------
def percentiles(values: list[float] | np.ndarray, scale: float = 1000.0) -> str:
    data = np.asarray(values, dtype=float) * scale
    if data.size == 0:
        return "no samples"
    p50, p99 = np.percentile(data, [50, 99])
    return f"p50 {p50:,.1f} ms, p99 {p99:,.1f} ms, max {data.max():,.1f} ms (n={data.size:,})"


def stored_figures(store_url: str, plan: Plan, n: int) -> tuple[int, float, np.ndarray]:
    """(observations, their value sum, latency per message: received_at - sent) in the plan window."""
    import psycopg

    lo, hi = plan.window(n)
    with psycopg.connect(store_url) as conn:
        count, total = conn.execute(
            "SELECT count(*), coalesce(sum(value), 0) FROM observations"
            " WHERE site_id = %s AND interval_start >= %s AND interval_start < %s", [plan.site, lo, hi],
        ).fetchone() or (0, 0)
        rows = conn.execute(
            "SELECT sensor_id, interval_start, received_at FROM observations"
            " WHERE site_id = %s AND metric = 'in' AND interval_start >= %s AND interval_start < %s",
            [plan.site, lo, hi],
        ).fetchall()
    index = {s: k for k, s in enumerate(plan.sensors)}
    received = np.full(n, np.nan)
    for sensor, start, at in rows:
        minute = round((plan.base - start).total_seconds() / 60) - plan.block
        i = minute * len(plan.sensors) + index[sensor]
        if 0 <= i < n:
            received[i] = at.timestamp()
    return int(count), float(total), received


def count_in_window(store_url: str, plan: Plan, n: int) -> int:
    import psycopg

    lo, hi = plan.window(n)
    with psycopg.connect(store_url, connect_timeout=2) as conn:
        row = conn.execute(
            "SELECT count(*) FROM observations WHERE site_id = %s AND interval_start >= %s AND interval_start < %s",
            [plan.site, lo, hi],
        ).fetchone()
    return int(row[0]) if row else 0


def diagnose(store_url: str, log: Path | None = None) -> None:
    """On a mismatch: dead letters by reason and the tail of the processes' log."""
    import psycopg

    with psycopg.connect(store_url) as conn:
        rows = conn.execute("SELECT reason, detail, count(*) FROM dead_letters GROUP BY 1, 2 ORDER BY 3 DESC"
                            " LIMIT 5").fetchall()
    for reason, detail, count in rows:
        print(f"  dead letters: {count} × {reason}: {detail}")
    if log is not None and log.exists():
        print("  log tail:\n    " + "\n    ".join(log.read_text(errors="replace").splitlines()[-40:]))
