"""HTTP ingest through the real ASGI app and a real DuckDB file: good, bad, duplicated, late data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.clock import FixedClock
from csm.runtime import Runtime
from tests.conftest import NOON, AuthedClient


def item(sensor: str = "cam-a", minutes_ago: int = 2, **counts: float) -> dict[str, Any]:
    start = NOON - timedelta(minutes=minutes_ago)
    return {
        "sensor_id": sensor,
        "interval_start": start.isoformat().replace("+00:00", "Z"),
        "interval_seconds": 60 if sensor != "est-c" else 900,
        "counts": counts or {"occupancy": 100},
    }


@pytest.fixture
def client(tiny_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as test_client:
        yield AuthedClient(test_client, tiny_runtime)  # type: ignore[misc]


def metric_value(client: TestClient, name: str, **labels: str) -> float:
    text = client.get("/metrics").text
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_good_batch_is_stored(client: TestClient, tiny_runtime: Runtime) -> None:
    batch = [item(minutes_ago=m, occupancy=100 + m) for m in range(2, 12)]
    batch.append(item("lc-b", **{"in": 7, "out": 2}))
    response = client.post("/api/v1/observations", json=batch)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 11, "accepted": 12, "duplicates": 0, "rejected": []}
    assert tiny_runtime.store.count_observations("tiny") == 12
    assert metric_value(client, "csm_observations_ingested_total", channel="http") == 12


def test_resent_data_never_double_counts(client: TestClient, tiny_runtime: Runtime) -> None:
    batch = [item("lc-b", minutes_ago=m, **{"in": 10, "out": 0}) for m in range(2, 6)]
    assert client.post("/api/v1/observations", json=batch).json()["accepted"] == 8
    again = client.post("/api/v1/observations", json=batch + batch)
    assert again.status_code == 200
    assert again.json()["accepted"] == 0
    assert again.json()["duplicates"] == 16
    assert tiny_runtime.store.count_observations("tiny") == 8
    tiny_runtime.sites["tiny"].picture.refresh()
    state = client.get("/api/v1/sites/tiny/zones/state").json()
    pier = next(z for z in state["zones"] if z["zone_id"] == "pier")
    assert pier["occupancy"] == pytest.approx(40, abs=1)  # 4 × 10 in, leak 0 by default


@pytest.mark.parametrize(
    ("bad", "reason", "field"),
    [
        ({**item(), "sensor_id": "cam-unknown"}, "unknown_sensor", "sensor_id"),
        (item(occupancy=-4), "negative_count", "counts.occupancy"),
        ({**item(), "interval_start": "yesterday noon"}, "bad_timestamp", "interval_start"),
        ({**item(), "interval_seconds": 300}, "interval_mismatch", "interval_seconds"),
        ({**item(), "interval_start": "2026-07-18T09:58:30Z"}, "interval_misaligned", "interval_start"),
        (item(people=4), "unknown_metric", "counts.people"),
        ({**item(), "device_id": "a4:5e:60:e8:12:01"}, "personal_data", "device_id"),
        ({**item(), "weather": "sunny"}, "unexpected_field", "weather"),
        (item(minutes_ago=-30), "timestamp_in_future", "interval_start"),
        (item(minutes_ago=60 * 24 * 8), "too_late", "interval_start"),
        ({**item(), "counts": {"occupancy": "many"}}, "not_a_number", "counts.occupancy"),
        ({"interval_start": "2026-07-18T09:58:00Z"}, "missing_field", "sensor_id"),
        ("just a string", "not_an_object", None),
        ({**item(), "interval_start": "2026-03-29T02:30:00"}, "ambiguous_local_time", "interval_start"),
    ],
)
def test_bad_item_is_refused_with_reason_and_good_items_are_kept(
    client: TestClient, tiny_runtime: Runtime, bad: Any, reason: str, field: str | None
) -> None:
    good = item(minutes_ago=3)
    response = client.post("/api/v1/observations", json=[good, bad, item(minutes_ago=4)])
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert len(body["rejected"]) == 1
    rejection = body["rejected"][0]
    assert (rejection["index"], rejection["reason"], rejection["field"]) == (1, reason, field)
    assert rejection["detail"]
    assert tiny_runtime.store.count_observations("tiny") == 2
    letters = client.get("/api/v1/deadletters").json()
    assert [(d["reason"], d["channel"]) for d in letters] == [(reason, "http")]
    assert metric_value(client, "csm_observations_rejected_total", reason=reason) == 1


def test_garbage_json_is_refused_whole_and_kept(client: TestClient) -> None:
    response = client.post(
        "/api/v1/observations", content=b'[{"sensor_id": "cam-a",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["rejected"][0]["reason"] == "bad_json"
    (letter,) = client.get("/api/v1/deadletters").json()
    assert letter["payload"] == '[{"sensor_id": "cam-a",'
    assert metric_value(client, "csm_observations_rejected_total", reason="bad_json") == 1


def test_all_items_refused_answers_422(client: TestClient) -> None:
    response = client.post("/api/v1/observations", json=[item("nope"), item(occupancy=-1)])
    assert response.status_code == 422
    assert [r["reason"] for r in response.json()["rejected"]] == ["unknown_sensor", "negative_count"]


def test_object_with_observations_key_and_long_form_items(client: TestClient) -> None:
    start = (NOON - timedelta(minutes=2)).isoformat()
    body = {"observations": [{"sensor_id": "cam-a", "interval_start": start, "metric": "occupancy", "value": 5}]}
    assert client.post("/api/v1/observations", json=body).json()["accepted"] == 1


def test_naive_timestamps_are_site_local_time(client: TestClient, tiny_runtime: Runtime) -> None:
    local = "2026-07-18T11:58:00"  # CEST = 09:58 UTC
    response = client.post("/api/v1/observations", json=[{**item(), "interval_start": local}])
    assert response.json()["accepted"] == 1
    (value,) = tiny_runtime.store.latest_values("tiny", NOON)
    assert value.interval_start == NOON - timedelta(minutes=2)


def test_late_and_out_of_order_data_give_the_same_picture(tiny_runtime: Runtime, clock: FixedClock) -> None:
    flows = [item("lc-b", minutes_ago=m, **{"in": m % 7 + 3, "out": m % 3}) for m in range(2, 120)]
    ingest = tiny_runtime.sites["tiny"].ingest
    picture = tiny_runtime.sites["tiny"].picture
    ingest.ingest_items(flows[::2], "http")
    ingest.ingest_items(list(reversed(flows[1::2])), "http")  # late, newest first
    shuffled_state = {s.zone_id: s.occupancy for s in picture.compute(clock.now())}
    expected = sum(f["counts"]["in"] - f["counts"]["out"] for f in flows)
    assert shuffled_state["pier"] == pytest.approx(expected)


def test_unknown_site_query_is_404(client: TestClient) -> None:
    assert client.post("/api/v1/observations?site=elsewhere", json=[item()]).status_code == 404


def test_oversized_body_is_refused(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from csm.api import routes_observations

    monkeypatch.setattr(routes_observations, "MAX_BODY_BYTES", 100)
    response = client.post("/api/v1/observations", json=[item()] * 10)
    assert response.status_code == 413
    assert response.json()["rejected"][0]["reason"] == "payload_too_large"
