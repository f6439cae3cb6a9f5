"""Issue 12 items 1 and 7 over real Mosquitto: poison is dead-lettered and acknowledged (never
retried forever, not redelivered after a restart); topic and payload must name a sensor of the site."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from csm.clock import FixedClock
from csm.ingest.mqtt import MqttIngestConsumer, counts_topic
from csm.runtime import Runtime, build_runtime
from tests.conftest import TINY_SITE, TINY_ZONES, mqtt_publish, write_site
from tests.hardening.items import MALFORMED, good, good_text

pytestmark = pytest.mark.services


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def site_id() -> str:
    """A site id of this test alone: the broker is shared with other test runs."""
    return f"tiny-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def runtime(tmp_path: Path, site_id: str, clock: FixedClock, any_store_url: str) -> Iterator[Runtime]:
    folder = write_site(tmp_path / site_id, {**TINY_SITE, "id": site_id}, TINY_ZONES)
    opened = build_runtime([folder], any_store_url, clock=clock)
    yield opened
    opened.close()


def start_consumer(runtime: Runtime, broker: str, client_id: str) -> MqttIngestConsumer:
    consumer = MqttIngestConsumer(runtime, broker, client_id=client_id, batch_seconds=0.05, session_expiry=60)
    consumer.start()
    assert consumer.connected.wait(10), "could not connect to the MQTT broker"
    return consumer


POISON = ["metric as list", "5000-digit integer", "10**400", "year 0001", "year 9999 local",
          "sensor_id NUL", "sensor_id lone surrogate", "nested 60 deep"]


def test_poison_is_dead_lettered_acked_and_not_redelivered(
    runtime: Runtime, site_id: str, mqtt_broker: str, publisher: mqtt.Client
) -> None:
    client_id = f"csm-poison-{uuid.uuid4().hex[:8]}"
    consumer = start_consumer(runtime, mqtt_broker, client_id)
    try:
        topic = counts_topic(site_id, "cam-a")
        for minutes, name in enumerate(POISON, start=2):
            mqtt_publish(publisher, topic, MALFORMED[name].encode())
            mqtt_publish(publisher, topic, good_text(minutes).encode())
        assert wait_for(lambda: runtime.store.count_observations(site_id) == len(POISON)), (
            f"stored {runtime.store.count_observations(site_id)} of {len(POISON)} valid messages"
        )
        assert wait_for(lambda: len(runtime.store.list_dead_letters(site_id)) == len(POISON))
        assert wait_for(lambda: consumer.pending == 0 and consumer.taken == 2 * len(POISON))
        time.sleep(0.3)  # acknowledgements reach the broker
    finally:
        consumer.stop(timeout=5)
    again = start_consumer(runtime, mqtt_broker, client_id)
    try:
        time.sleep(1.5)  # anything unacknowledged would be redelivered now
        assert again.taken == 0
        assert len(runtime.store.list_dead_letters(site_id)) == len(POISON)
    finally:
        again.stop(timeout=5)


def test_topic_sensor_must_be_in_the_site_and_match_the_payload(
    runtime: Runtime, site_id: str, mqtt_broker: str, publisher: mqtt.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    consumer = start_consumer(runtime, mqtt_broker, f"csm-topic-{uuid.uuid4().hex[:8]}")
    try:
        mqtt_publish(publisher, counts_topic(site_id, "ghost"), json.dumps(good("cam-a", 2)).encode())
        mqtt_publish(publisher, counts_topic(site_id, "lc-b"), json.dumps(good("cam-a", 3)).encode())
        mqtt_publish(publisher, counts_topic(site_id, "cam-a"), json.dumps(good("cam-a", 4)).encode())
        mqtt_publish(publisher, counts_topic(site_id, "jan.jansen@example.nl"), json.dumps(good("cam-a", 5)).encode())
        assert wait_for(lambda: len(runtime.store.list_dead_letters(site_id)) == 3)
        assert wait_for(lambda: runtime.store.count_observations(site_id) == 1)
        letters = runtime.store.list_dead_letters(site_id)
        assert sorted((d.reason, d.field) for d in letters) == [
            ("sensor_mismatch", "sensor_id"), ("unknown_sensor", "topic"), ("unknown_sensor", "topic")]
        kept = "\n".join(f"{d.payload}\t{d.detail}" for d in letters)
        assert "jan.jansen@example.nl" not in kept + caplog.text
    finally:
        consumer.stop(timeout=5)
