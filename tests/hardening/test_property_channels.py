"""Issue 12 item 1, property-based: arbitrary JSON values in every item field, on every channel
(HTTP, MQTT through real Mosquitto, CSV): nothing escapes as an error, valid neighbours are stored."""

from __future__ import annotations

import copy
import csv
import io
import json
import time
import uuid
from itertools import count
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csm.clock import FixedClock
from csm.ingest.mqtt import MqttIngestConsumer, counts_topic
from csm.runtime import Runtime, build_runtime
from tests.conftest import NOON, TINY_SITE, TINY_ZONES, AuthedClient, write_site
from tests.hardening.items import good

FIELDS = ["sensor_id", "interval_start", "interval_seconds", "counts", "metric", "value", "site_id",
          "counts.occupancy", "new field"]
scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=10**300, max_value=10**400)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=10,
)
mutations = st.tuples(st.sampled_from(FIELDS), st.text(max_size=12), json_values)
QUICK = settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def mutated(field: str, key: str, value: Any, minutes_ago: int = 5) -> dict[str, Any]:
    item = copy.deepcopy(good(minutes_ago=minutes_ago))
    if field == "counts.occupancy":
        item["counts"]["occupancy"] = value
    elif field == "new field":
        item[key] = value
    else:
        item[field] = value
    return item


def neighbours_stored(answer: dict[str, Any]) -> bool:
    refused = {r["index"] for r in answer["rejected"]}
    return not refused & {0, 2} and answer["accepted"] + answer["duplicates"] >= 2


DUCKDB_ONLY = pytest.mark.parametrize("any_store_url", ["duckdb"], indirect=True)  # keeps the suite quick


@DUCKDB_ONLY
def test_http_any_value_in_any_field(http: AuthedClient) -> None:
    @given(mutations)
    @settings(QUICK, max_examples=60)
    def check(mutation: tuple[str, str, Any]) -> None:
        body = json.dumps([good(minutes_ago=2), mutated(*mutation), good(minutes_ago=3)])
        response = http.post("/api/v1/observations", content=body.encode(),
                             headers={"content-type": "application/json"})
        assert response.status_code == 200, response.text[:300]  # type: ignore[attr-defined]
        assert neighbours_stored(response.json())  # type: ignore[attr-defined]

    check()


cells = st.text(max_size=30) | json_values.map(json.dumps)


@DUCKDB_ONLY
def test_csv_any_text_in_any_column(http: AuthedClient) -> None:
    header = ["sensor_id", "interval_start", "interval_seconds", "metric", "value"]

    def row(minutes_ago: int) -> list[str]:
        item = good(minutes_ago=minutes_ago)
        return [item["sensor_id"], item["interval_start"], "60", "occupancy", "10"]

    @given(st.lists(cells, min_size=1, max_size=7))
    @settings(QUICK, max_examples=40)
    def check(hostile: list[str]) -> None:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerows([header, row(2), hostile, row(3)])
        response = http.post("/api/v1/observations", content=out.getvalue().encode("utf-8", "surrogatepass"),
                             headers={"content-type": "text/csv"})
        assert response.status_code == 200, response.text[:300]  # type: ignore[attr-defined]
        answer = response.json()  # type: ignore[attr-defined]
        refused_lines = {r["line"] for r in answer["rejected"]}
        assert not refused_lines & {2} and answer["accepted"] + answer["duplicates"] >= 2, answer

    check()


@pytest.mark.services
def test_mqtt_any_value_in_any_field(
    tmp_path: Path, clock: FixedClock, any_store_url: str, mqtt_broker: str, publisher: mqtt.Client
) -> None:
    site_id = f"tiny-{uuid.uuid4().hex[:8]}"
    folder = write_site(tmp_path / site_id, {**TINY_SITE, "id": site_id}, TINY_ZONES)
    runtime: Runtime = build_runtime([folder], any_store_url, clock=clock)
    consumer = MqttIngestConsumer(runtime, mqtt_broker, client_id=f"csm-prop-{uuid.uuid4().hex[:8]}",
                                  batch_seconds=0.05, session_expiry=60)
    consumer.start()
    minutes = count(10)
    expected: set[str] = set()
    try:
        assert consumer.connected.wait(10)
        topic = counts_topic(site_id, "cam-a")

        @given(st.lists(mutations, min_size=5, max_size=5))
        @settings(QUICK, max_examples=4)
        def publish_all(batch: list[tuple[str, str, Any]]) -> None:
            for mutation in batch:
                neighbour = good(minutes_ago=next(minutes))
                expected.add(neighbour["interval_start"])
                publisher.publish(topic, json.dumps(mutated(*mutation)).encode(), qos=1).wait_for_publish(5)
                publisher.publish(topic, json.dumps(neighbour).encode(), qos=1).wait_for_publish(5)

        publish_all()
        deadline = time.monotonic() + 30
        stored: set[str] = set()
        while time.monotonic() < deadline and not expected <= stored:
            frame = runtime.store.observations_frame(site_id, NOON.replace(year=2025), NOON, ["cam-a"])
            stored = {ts.isoformat().replace("+00:00", "Z") for ts in frame["interval_start"]}
            time.sleep(0.2)
        assert expected <= stored, f"{len(expected - stored)} valid neighbours not stored"
        assert consumer.store_retries == 0
    finally:
        consumer.stop(timeout=5)
        runtime.close()
