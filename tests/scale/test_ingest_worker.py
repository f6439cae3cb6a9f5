"""Ingest workers against the real Mosquitto and PostgreSQL: a shared subscription spreads the
messages over two workers and every message is stored exactly once; SIGTERM-style shutdown stores
and acknowledges the batch in flight."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from csm.cli.ingest_worker_cmd import run_ingest_worker
from csm.ingest.mqtt import MqttIngestConsumer, counts_topic
from csm.runtime import build_runtime
from tests.scale.conftest import wait_for

pytestmark = pytest.mark.services


def recent_items(count: int, sensor: str = "cam-a") -> list[dict[str, Any]]:
    """`count` one-minute readings ending a few minutes ago (the workers use the real clock)."""
    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    return [
        {"interval_start": (end - timedelta(minutes=n)).isoformat(), "interval_seconds": 60,
         "counts": {"occupancy": n % 97}}
        for n in range(count)
    ]


def publish_all(client: mqtt.Client, site: str, items: list[dict[str, Any]], sensor: str = "cam-a") -> None:
    infos = [client.publish(counts_topic(site, sensor), json.dumps(i), qos=1) for i in items]
    for info in infos:
        info.wait_for_publish(5)


def site_with_id(tiny_site_dir: Path, site_id: str) -> Path:
    """The tiny site under a unique id, so no other consumer of the system broker shares its topics."""
    text = (tiny_site_dir / "site.yaml").read_text(encoding="utf-8")
    (tiny_site_dir / "site.yaml").write_text(text.replace("id: tiny", f"id: {site_id}"), encoding="utf-8")
    return tiny_site_dir


def test_two_workers_share_the_stream_and_store_each_message_exactly_once(
    tiny_site_dir: Path, pg_schema_url: str, mqtt_broker: str, publisher: mqtt.Client
) -> None:
    site_id = f"t{uuid.uuid4().hex[:8]}"
    folder = site_with_id(tiny_site_dir, site_id)
    group = f"g{uuid.uuid4().hex[:6]}"
    stop = threading.Event()
    results: dict[str, dict[str, int]] = {}

    def worker(name: str) -> None:
        results[name] = run_ingest_worker(
            [folder], pg_schema_url, mqtt_broker, group=group, client_id=f"{group}-{name}",
            batch_size=50, batch_seconds=0.05, stop=stop, session_expiry=30,
        )

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    store = build_runtime([folder], pg_schema_url).store
    try:
        # Both workers must hold their subscription before the first message, or one takes all.
        time.sleep(1.0)
        items = recent_items(400)
        publish_all(publisher, site_id, items)
        publish_all(publisher, site_id, items[:50])  # resent: QoS 1 may deliver twice
        assert wait_for(lambda: store.count_observations(site_id) == 400, timeout=10)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    frame = store.observations_frame(site_id, datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))
    store.close()
    assert len(frame) == 400 and frame["interval_start"].is_unique
    assert frame["value"].sum() == sum(n % 97 for n in range(400))  # checksum of what was sent
    assert results["w1"]["received"] > 0 and results["w2"]["received"] > 0  # the group shared the load
    assert results["w1"]["accepted"] + results["w2"]["accepted"] == 400
    assert results["w1"]["received"] + results["w2"]["received"] == 450


def test_graceful_stop_stores_and_acks_the_batch_in_flight(
    tiny_site_dir: Path, pg_schema_url: str, mqtt_broker: str, publisher: mqtt.Client
) -> None:
    site_id = f"t{uuid.uuid4().hex[:8]}"
    folder = site_with_id(tiny_site_dir, site_id)
    runtime = build_runtime([folder], pg_schema_url)
    client_id = f"graceful-{uuid.uuid4().hex[:6]}"
    # A long batch window: messages are taken but not yet stored when the stop comes.
    consumer = MqttIngestConsumer(runtime, mqtt_broker, client_id=client_id, batch_size=10_000,
                                  batch_seconds=30, session_expiry=30)
    consumer.start()
    try:
        assert consumer.connected.wait(5)
        publish_all(publisher, site_id, recent_items(100))
        assert wait_for(lambda: consumer.taken == 100, timeout=5)
        assert runtime.store.count_observations(site_id) == 0
        consumer.stop()  # what SIGTERM does in `csm ingest-worker`
        assert runtime.store.count_observations(site_id) == 100
        # The acks went out before the disconnect: the resumed session redelivers nothing.
        again = MqttIngestConsumer(runtime, mqtt_broker, client_id=client_id, batch_seconds=0.05, session_expiry=1)
        again.start()
        assert again.connected.wait(5)
        wait_for(lambda: again.taken > 0, timeout=1.0)
        again.stop()
        assert again.taken == 0
    finally:
        runtime.close()


def test_sigterm_flushes_the_batch_in_flight_of_the_ingest_worker_process(
    tiny_site_dir: Path, pg_schema_url: str, mqtt_broker: str, publisher: mqtt.Client
) -> None:
    site_id = f"t{uuid.uuid4().hex[:8]}"
    folder = site_with_id(tiny_site_dir, site_id)
    csm = str(Path(sys.executable).with_name("csm"))
    process = subprocess.Popen(
        [csm, "ingest-worker", "--site", str(folder), "--store", pg_schema_url, "--mqtt", mqtt_broker,
         "--client-id", f"sigterm-{site_id}", "--batch-seconds", "60", "--session-expiry", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    store = build_runtime([folder], pg_schema_url).store
    try:
        output = ""
        assert process.stdout is not None
        for line in process.stdout:  # wait until it holds its subscription
            output += line
            if "subscribed to" in line:
                break
        publish_all(publisher, site_id, recent_items(50))
        time.sleep(1.5)  # delivered and taken into a batch that would wait a minute to fill
        assert store.count_observations(site_id) == 0
        process.send_signal(signal.SIGTERM)
        output += process.communicate(timeout=12)[0]
    finally:
        if process.poll() is None:
            process.kill()
        stored = store.count_observations(site_id)
        store.close()
    assert process.returncode == 0, output
    assert stored == 50
    assert "ingest worker stopped: received 50, accepted 50" in output
