"""The zone-state endpoint, zone GeoJSON, history and the live WebSocket stream."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.runtime import Runtime
from tests.conftest import NOON, AuthedClient
from tests.test_ingest_http import item


@pytest.fixture
def client(tiny_runtime: Runtime) -> Iterator[TestClient]:
    tiny_runtime.picture_tick_seconds = 0.2
    with TestClient(create_app(tiny_runtime, web_dist=None)) as test_client:
        yield AuthedClient(test_client, tiny_runtime)  # type: ignore[misc]


def test_state_lists_every_zone_with_level_and_freshness(client: TestClient, tiny_runtime: Runtime) -> None:
    client.post("/api/v1/observations", json=[item(occupancy=1200)])
    tiny_runtime.sites["tiny"].picture.refresh()
    body = client.get("/api/v1/sites/tiny/zones/state").json()
    assert body["as_of"] == NOON.isoformat()
    zones = {z["zone_id"]: z for z in body["zones"]}
    assert set(zones) == {"plein", "pier", "strand"}
    plein = zones["plein"]
    assert plein["occupancy"] == 2400  # 1200 seen, half the zone in view
    assert plein["density_per_m2"] == 2.4
    assert plein["level"] == "red"
    assert plein["capacity"] == 2000 and plein["utilisation"] == 1.2
    assert plein["stale"] is False
    assert plein["sources"] == [
        {"sensor_id": "cam-a", "kind": "area_counter",
         "last_interval_end": (NOON - timedelta(minutes=1)).isoformat(), "age_seconds": 60.0,
         "stale": False},
        {"sensor_id": "lc-b", "kind": "line_counter", "last_interval_end": None,
         "age_seconds": None, "stale": True},
    ]
    assert zones["strand"]["level"] == "unknown" and zones["strand"]["stale"] is True


def test_unknown_site_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/sites/nowhere/zones/state").status_code == 404


def test_zones_geojson_and_site_legend(client: TestClient) -> None:
    geo = client.get("/api/v1/sites/tiny/zones").json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 3
    props = geo["features"][0]["properties"]
    assert {"id", "name", "walkable_area_m2", "capacity", "thresholds"} <= set(props)
    site = client.get("/api/v1/sites/tiny").json()
    assert [lvl["level"] for lvl in site["levels"]] == ["green", "yellow", "orange", "red"]
    assert client.get("/api/v1/sites").json()[0]["id"] == "tiny"


def test_history_records_snapshots(client: TestClient, tiny_runtime: Runtime) -> None:
    client.post("/api/v1/observations", json=[item(occupancy=300)])
    tiny_runtime.sites["tiny"].picture.refresh()
    history = client.get("/api/v1/sites/tiny/zones/history?hours=1&zone=plein").json()
    assert list(history["zones"]) == ["plein"]
    assert history["zones"]["plein"][-1]["level"] in {"yellow", "unknown"}
    assert client.get("/api/v1/sites/tiny/zones/history?zone=atlantis").status_code == 404


def test_stream_sends_snapshot_then_changes(client: TestClient) -> None:
    with client.websocket_connect("/api/v1/sites/tiny/zones/stream") as ws:
        first = ws.receive_json()
        assert first["type"] == "snapshot" and len(first["zones"]) == 3
        client.post("/api/v1/observations", json=[item(occupancy=1200)])
        update = ws.receive_json()
        assert update["type"] == "update"
        changed = {z["zone_id"]: z for z in update["zones"]}
        assert changed["plein"]["level"] == "red"


def test_health_readiness_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    client.post("/api/v1/observations", json=[item(), item("nope")])
    text = client.get("/metrics").text
    assert 'csm_observations_ingested_total{channel="http",site="tiny"} 1.0' in text
    assert 'csm_observations_rejected_total{channel="http",reason="unknown_sensor",site="tiny"} 1.0' in text
    assert "csm_source_age_seconds" in text and "csm_zone_level" in text
