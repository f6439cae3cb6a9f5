"""Ingest workers on NATS JetStream (a private nats-server with its MQTT listener) and PostgreSQL:
sensors speak MQTT, workers share one durable consumer, and neither a broker restart nor every
worker being down loses a message — each is stored exactly once."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import paho.mqtt.client as mqtt
import pytest

from csm.cli.ingest_worker_cmd import run_ingest_worker
from csm.ingest.jetstream import STREAM, JetStreamIngestConsumer, counts_subject, parse_subject
from csm.ingest.mqtt import POISON_ATTEMPTS, counts_topic
from csm.runtime import build_runtime
from csm.store.factory import open_store
from tests.scale.conftest import wait_for
from tests.scale.test_ingest_worker import recent_items, site_with_id

pytestmark = pytest.mark.services

NATS_CONF = """
listen: 127.0.0.1:{port}
server_name: csm-test-{port}
jetstream {{ store_dir: "{data}" }}
mqtt {{ listen: 127.0.0.1:{mqtt_port} }}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, up: bool = True, timeout: float = 20.0) -> bool:
    def listening() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    return wait_for(lambda: listening() == up, timeout)


@dataclass
class PrivateNats:
    """A nats-server of our own (JetStream on disk, MQTT listener) that the test may restart."""

    config: Path
    port: int
    mqtt_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(["nats-server", "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        assert _wait_port(self.port) and _wait_port(self.mqtt_port), "nats-server did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)
            self.process = None
            _wait_port(self.port, up=False)


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    if shutil.which("nats-server") is None:
        pytest.skip("nats-server is not installed (Debian package nats-server)")
    port, mqtt_port = _free_port(), _free_port()
    config = tmp_path / "nats.conf"
    config.write_text(NATS_CONF.format(port=port, mqtt_port=mqtt_port, data=tmp_path / "js"), encoding="utf-8")
    server = PrivateNats(config, port, mqtt_port)
    server.start()
    yield server
    server.stop()


class Sensor:
    """A gateway that publishes QoS 1 and re-sends until the broker acknowledges (as real ones do)."""

    def __init__(self, mqtt_port: int) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"gw-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv311)
        self.client.reconnect_delay_set(min_delay=0.1, max_delay=1)  # type: ignore[arg-type]
        self.client.connect_async("127.0.0.1", mqtt_port)
        self.client.loop_start()

    def publish(self, topic: str, payload: dict[str, Any], deadline: float = 60.0) -> None:
        give_up = time.monotonic() + deadline
        while time.monotonic() < give_up:
            info = self.client.publish(topic, json.dumps(payload), qos=1)
            try:
                info.wait_for_publish(2)
            except RuntimeError:  # not connected (the broker is restarting): try again
                time.sleep(0.1)
                continue
            if info.is_published():
                return
        raise AssertionError(f"broker never acknowledged {topic}")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def consumers_ready(url: str, site_id: str) -> bool:
    """The stream exists and the site's durable consumer has its two workers' pull requests."""

    async def look() -> bool:
        client = await nats.connect(url, allow_reconnect=False, connect_timeout=1)
        try:
            info = await client.jetstream().consumer_info(STREAM, f"csm-{site_id}")
            return (info.num_waiting or 0) >= 2
        except Exception:
            return False
        finally:
            await client.close()

    try:
        return asyncio.run(look())
    except Exception:
        return False


def test_subjects_and_topics_name_the_same_sensor() -> None:
    assert parse_subject(counts_subject("scheveningen", "cam-7")) == ("scheveningen", "cam-7")
    assert counts_topic("scheveningen", "cam-7").replace("/", ".") == counts_subject("scheveningen", "cam-7")
    assert parse_subject("csm.scheveningen.sensors.cam-7") is None


def test_nothing_is_lost_across_a_broker_restart_and_all_workers_down(
    tiny_site_dir: Path, pg_schema_url: str, private_nats: PrivateNats
) -> None:
    site_id = f"t{uuid.uuid4().hex[:8]}"
    folder = site_with_id(tiny_site_dir, site_id)
    items = recent_items(600)
    topic = counts_topic(site_id, "cam-a")
    stops: list[threading.Event] = []
    results: list[dict[str, int]] = []

    def start_workers(count: int = 2) -> list[threading.Thread]:
        threads = []
        for _ in range(count):
            stop = threading.Event()
            stops.append(stop)
            thread = threading.Thread(target=lambda s=stop: results.append(run_ingest_worker(
                [folder], pg_schema_url, "mqtt://unused", nats=private_nats.url, group="csm", stop=s,
                batch_size=100, batch_seconds=0.05)))
            thread.start()
            threads.append(thread)
        return threads

    def stop_workers(threads: list[threading.Thread]) -> None:
        for stop in stops:
            stop.set()
        for thread in threads:
            thread.join(30)
        stops.clear()

    store = open_store(pg_schema_url)
    sensor = Sensor(private_nats.mqtt_port)
    try:
        # The stream must exist before sensors publish (the first worker creates it, or the
        # operator does: docs/deployment.md); then a first third while the workers run.
        workers = start_workers()
        assert wait_for(lambda: consumers_ready(private_nats.url, site_id), 60), "workers never pulled"
        for item in items[:200]:
            sensor.publish(topic, item)
        # Every worker down: the next third waits in the stream.
        stop_workers(workers)
        for item in items[200:400]:
            sensor.publish(topic, item)
        # The broker restarts (the sensor re-sends what it had not got acknowledged) ...
        private_nats.stop()
        private_nats.start()
        for item in items[400:]:
            sensor.publish(topic, item)
        # ... and the workers come back and drain everything.
        workers = start_workers()
        drained = wait_for(lambda: store.count_observations(site_id) >= 600, 90)
        letters = store.list_dead_letters(site_id, limit=5)
        assert drained, (store.count_observations(site_id), results, [(d.reason, d.detail) for d in letters])
        stop_workers(workers)
        assert store.count_observations(site_id) == 600  # N of N, each once
        stored = sum(r["accepted"] for r in results)
        assert stored == 600 and sum(r["rejected"] for r in results) == 0
    finally:
        sensor.close()
        store.close()


class RefusingStore:
    """The real store, except that it refuses (raises on) any batch holding the value 4242: a
    message the store cannot take, however often it is retried."""

    POISON = 4242.0

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def write_observations(self, observations: Any, received_at: Any = None) -> Any:
        if any(o.value == self.POISON for o in observations):
            raise ValueError("value out of range for this column")
        return self._store.write_observations(observations, received_at=received_at)


def ack_pending(url: str, durable: str) -> int | None:
    async def look() -> int | None:
        client = await nats.connect(url, allow_reconnect=False, connect_timeout=1)
        try:
            info = await client.jetstream().consumer_info(STREAM, durable)
            return int(info.num_ack_pending or 0) + int(info.num_pending or 0)
        finally:
            await client.close()

    try:
        return asyncio.run(look())
    except Exception:
        return None


def test_a_message_the_store_refuses_is_dead_lettered_and_acknowledged_not_retried_forever(
    tiny_site_dir: Path, pg_schema_url: str, private_nats: PrivateNats
) -> None:
    """As on MQTT: after POISON_ATTEMPTS failed tries the batch is stored message by message; the
    one the store refuses is dead-lettered (`store_refused`), the others are stored, all acknowledged."""
    site_id = f"t{uuid.uuid4().hex[:8]}"
    runtime = build_runtime([site_with_id(tiny_site_dir, site_id)], pg_schema_url)
    ingest = runtime.sites[site_id].ingest
    ingest.store = RefusingStore(ingest.store)  # type: ignore[assignment]
    durable = f"poison{uuid.uuid4().hex[:6]}"
    consumer = JetStreamIngestConsumer(runtime, private_nats.url, durable=durable, batch_size=50,
                                       batch_seconds=0.05)
    items = recent_items(9)
    items[4]["counts"] = {"occupancy": RefusingStore.POISON}

    async def publish_all() -> None:
        client = await nats.connect(private_nats.url)
        try:
            js = client.jetstream()
            for item in items:
                await js.publish(counts_subject(site_id, "cam-a"), json.dumps(item).encode())
        finally:
            await client.close()

    consumer.start()
    try:
        assert consumer.connected.wait(20), "the consumer never connected"
        asyncio.run(publish_all())
        assert wait_for(lambda: runtime.store.count_observations(site_id) == 8, 60), (
            runtime.store.count_observations(site_id), consumer.store_retries)
        assert wait_for(lambda: len(runtime.store.list_dead_letters(site_id)) == 1, 30)
        letter = runtime.store.list_dead_letters(site_id)[0]
        assert (letter.channel, letter.reason) == ("jetstream", "store_refused")
        assert items[4]["interval_start"] in letter.payload  # that one message, its counts redacted
        assert "ValueError" in letter.detail and "out of range" not in letter.detail  # the type, not the text
        assert consumer.store_retries >= POISON_ATTEMPTS
        assert wait_for(lambda: ack_pending(private_nats.url, f"{durable}-{site_id}") == 0, 30)  # all acked
        assert consumer.totals.accepted == 8 and len(consumer.totals.rejected) == 1
    finally:
        consumer.stop(timeout=10)
        runtime.close()
