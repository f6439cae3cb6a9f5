"""MQTT ingest through the real Mosquitto broker on loopback into a real DuckDB file."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest

from csm.ingest.mqtt import MqttIngestConsumer, counts_topic, parse_topic
from csm.runtime import Runtime
from tests.conftest import NOON, mqtt_publish
from tests.test_ingest_http import item

pytestmark = pytest.mark.services


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def consumer(tiny_runtime: Runtime, mqtt_broker: str) -> Iterator[MqttIngestConsumer]:
    running = MqttIngestConsumer(
        tiny_runtime, mqtt_broker, client_id=f"csm-test-{uuid.uuid4().hex[:8]}", batch_seconds=0.05,
        session_expiry=30,
    )
    running.start()
    assert running.connected.wait(10), "could not connect to the MQTT broker"
    yield running
    running.stop()


def publish(client: mqtt.Client, sensor: str, payload: object, raw: bytes | None = None) -> None:
    mqtt_publish(client, counts_topic("tiny", sensor), raw if raw is not None else json.dumps(payload))


def test_topic_contract() -> None:
    assert counts_topic("scheveningen", "cam-1") == "csm/scheveningen/sensors/cam-1/counts"
    assert parse_topic("csm/scheveningen/sensors/cam-1/counts") == ("scheveningen", "cam-1")
    assert parse_topic("csm/scheveningen/cam-1/counts") is None


def test_counts_arrive_once_even_when_resent(
    tiny_runtime: Runtime, consumer: MqttIngestConsumer, publisher: mqtt.Client
) -> None:
    for minutes in range(2, 12):
        payload = {k: v for k, v in item("lc-b", minutes, **{"in": 4, "out": 1}).items() if k != "sensor_id"}
        publish(publisher, "lc-b", payload)
        publish(publisher, "lc-b", payload)  # QoS 1 may deliver twice: must not double count
    publish(publisher, "cam-a", [item("cam-a", m, occupancy=50) for m in (2, 3)])
    assert wait_for(lambda: tiny_runtime.store.count_observations("tiny") == 22)
    assert wait_for(lambda: consumer.totals.duplicates == 20)
    time.sleep(0.3)
    assert tiny_runtime.store.count_observations("tiny") == 22
    states = {s.zone_id: s for s in tiny_runtime.sites["tiny"].picture.compute(NOON)}
    assert states["pier"].occupancy == pytest.approx(30)


def test_bad_messages_become_dead_letters_and_good_ones_are_kept(
    tiny_runtime: Runtime, consumer: MqttIngestConsumer, publisher: mqtt.Client
) -> None:
    publish(publisher, "cam-a", None, raw=b"\x00\x01 not json")
    publish(publisher, "cam-a", {**item("cam-a", 2), "interval_seconds": 900})
    publish(publisher, "ghost", item("ghost", 2))
    publish(publisher, "cam-a", item("cam-a", 3, occupancy=-2))
    publish(publisher, "cam-a", item("cam-a", 4, occupancy=20))
    assert wait_for(lambda: len(tiny_runtime.store.list_dead_letters("tiny")) == 4)
    reasons = sorted(d.reason for d in tiny_runtime.store.list_dead_letters("tiny"))
    assert reasons == ["bad_json", "interval_mismatch", "negative_count", "unknown_sensor"]
    assert {d.channel for d in tiny_runtime.store.list_dead_letters("tiny")} == {"mqtt"}
    assert wait_for(lambda: tiny_runtime.store.count_observations("tiny") == 1)
    (value,) = tiny_runtime.store.latest_values("tiny", NOON)
    assert value.value == 20 and value.interval_start == NOON - timedelta(minutes=4)
