"""Sustained ingest throughput into the embedded DuckDB store, through HTTP batches and MQTT.

Run: .venv/bin/python bench/ingest_bench.py [--seconds 10] [--mqtt-messages 50000]
Prints observations/s (HTTP) and messages/s (MQTT, QoS 1, one reading per message). Loopback only.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _services import anonymous_mosquitto, free_port
from _sites import make_site
from csm.api.app import create_app
from csm.auth.tokens import issue_ingest_token
from csm.clock import FixedClock
from csm.ingest.mqtt import MqttIngestConsumer, counts_topic
from csm.runtime import build_runtime

NOW = datetime(2026, 7, 18, 12, 0, tzinfo=UTC)
SENSORS = 1000


def batch(offset: int, size: int) -> list[dict[str, object]]:
    """`size` line-counter items (2 observations each), unique per offset."""
    items = []
    for i in range(size):
        n = offset * size + i
        start = NOW - timedelta(minutes=1 + n // SENSORS % 9000)
        items.append({"sensor_id": f"s{n % SENSORS // 10}-{n % 10}",
                      "interval_start": start.isoformat(), "interval_seconds": 60,
                      "counts": {"in": n % 13, "out": n % 5}})
    return items


def bench_http(site: Path, store: str, seconds: float, batch_size: int) -> None:
    runtime = build_runtime([site], store, clock=FixedClock(NOW))
    runtime.picture_tick_seconds = 5.0
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(runtime, web_dist=None), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    payloads = [json.dumps(batch(i, batch_size)).encode() for i in range(200)]
    headers = {"content-type": "application/json",
               "authorization": f"Bearer {issue_ingest_token('bench-gateway', 'bench', None)}"}
    stored, sent, started = 0, 0, time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        while time.perf_counter() - started < seconds and sent < len(payloads):
            response = client.post("/api/v1/observations", content=payloads[sent], headers=headers)
            response.raise_for_status()
            stored += response.json()["accepted"]
            sent += 1
    elapsed = time.perf_counter() - started
    print(f"HTTP  batches of {batch_size} items ({2 * batch_size} observations): "
          f"{stored:,} observations in {elapsed:.1f} s = {stored / elapsed:,.0f} observations/s")
    server.should_exit = True
    thread.join(timeout=10)
    runtime.close()


def _publish(port: int, count: int, ready: mp.Event) -> None:  # type: ignore[valid-type]
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    ready.wait()
    infos = []
    for n in range(count):
        item = batch(n, 1)[0]
        sensor = item.pop("sensor_id")
        infos.append(client.publish(counts_topic("bench", str(sensor)), json.dumps(item), qos=1))
    for info in infos:
        info.wait_for_publish(60)
    client.loop_stop()
    client.disconnect()


def bench_mqtt(site: Path, store: str, messages: int, port: int) -> None:
    runtime = build_runtime([site], store, clock=FixedClock(NOW))
    consumer = MqttIngestConsumer(runtime, f"mqtt://127.0.0.1:{port}",
                                  client_id=f"bench-{uuid.uuid4().hex[:6]}", batch_size=5000,
                                  max_inflight=10_000, session_expiry=60)
    consumer.start()
    if not consumer.connected.wait(10):
        print(f"MQTT  broker not reachable on 127.0.0.1:{port}: skipped")
        return
    ready = mp.Event()
    publisher = mp.Process(target=_publish, args=(port, messages, ready))
    publisher.start()
    started = time.perf_counter()
    ready.set()
    target = messages * 2
    deadline = started + 300
    while runtime.store.count_observations("bench") < target and time.perf_counter() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    publisher.join()
    stored = runtime.store.count_observations("bench")
    print(f"MQTT  QoS 1, one reading per message: {stored // 2:,} of {messages:,} messages stored in "
          f"{elapsed:.1f} s = {stored / 2 / elapsed:,.0f} messages/s ({stored / elapsed:,.0f} observations/s)")
    consumer.stop()
    runtime.close()


def main() -> None:
    # Sessions and ingest tokens are signed; a benchmark run signs with a throwaway key.
    os.environ.setdefault("CSM_SECRET_KEY", secrets.token_urlsafe(48))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--mqtt-messages", type=int, default=50_000)
    parser.add_argument("--skip-mqtt", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp) / "site", zones=100, sensors_per_zone=10)
        bench_http(site, f"duckdb:{tmp}/http.duckdb", args.seconds, args.batch)
        if not args.skip_mqtt:
            if shutil.which("mosquitto") is None:
                print("MQTT  the mosquitto binary is not installed: skipped")
                return
            with anonymous_mosquitto() as port:
                bench_mqtt(site, f"duckdb:{tmp}/mqtt.duckdb", args.mqtt_messages, port)


if __name__ == "__main__":
    main()
