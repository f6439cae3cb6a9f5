"""Alerts through the whole path: a GTFS-Realtime Alerts feed polled by the coordinator, served
by GET .../disruptions with the zones of the affected stops, and used by GET .../advice; and the
`empty` status of a feed that parses but has nothing for the site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from google.transit import gtfs_realtime_pb2

from csm.api.app import create_app
from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from csm.sources.coordinator import coordinators_of
from tests.conftest import NOON, AuthedClient
from tests.sources.conftest import fixture_sources, write_sources


def alerts_feed() -> bytes:
    """Tram 11 detours around Scheveningen Haven for the afternoon (self-made: an edge case the
    real Lisbon feed has no Scheveningen stops for)."""
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version = "2.0"
    feed.header.timestamp = int(NOON.timestamp())
    entity = feed.entity.add(id="htm-11-haven")
    alert = entity.alert
    period = alert.active_period.add()
    period.start, period.end = int(NOON.timestamp()) - 3600, int(NOON.timestamp()) + 6 * 3600
    alert.informed_entity.add(route_id="HTM:11")
    alert.cause, alert.effect = gtfs_realtime_pb2.Alert.CONSTRUCTION, gtfs_realtime_pb2.Alert.DETOUR
    alert.header_text.translation.add(text="Tram 11 rijdt niet naar Scheveningen Haven", language="nl")
    other = feed.entity.add(id="elsewhere").alert
    other.informed_entity.add(route_id="HTM:2")
    other.effect = gtfs_realtime_pb2.Alert.NO_SERVICE
    return feed.SerializeToString()


def far_vehicles() -> bytes:
    feed = gtfs_realtime_pb2.FeedMessage()
    feed.header.gtfs_realtime_version, feed.header.timestamp = "2.0", int(NOON.timestamp())
    vehicle = feed.entity.add(id="v1").vehicle
    vehicle.position.latitude, vehicle.position.longitude = 52.37, 4.89  # Amsterdam
    return feed.SerializeToString()


@pytest.fixture
def alerts_runtime(source_site: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    (source_site / "feeds" / "alerts.pb").write_bytes(alerts_feed())
    (source_site / "feeds" / "far.pb").write_bytes(far_vehicles())
    sources = fixture_sources()
    sources["alerts"] = {"kind": "gtfs_realtime", "url": "file:feeds/alerts.pb", "routes": ["HTM:11"], "retries": 0}
    sources["far_vehicles"] = {"kind": "gtfs_realtime", "url": "file:feeds/far.pb", "retries": 0}
    write_sources(source_site, sources)
    rt = build_runtime([source_site], f"duckdb:{tmp_path / 'd.duckdb'}", clock=clock)
    coordinator = coordinators_of(rt)["scheveningen"]
    for name in coordinator.states:
        coordinator.poll(name)
    yield rt
    rt.close()


def test_alerts_are_disruptions_in_the_zones_of_the_affected_stops(alerts_runtime: Runtime) -> None:
    with TestClient(create_app(alerts_runtime, web_dist=None)) as raw:
        client = AuthedClient(raw, alerts_runtime, site="scheveningen")
        body = client.get("/api/v1/sites/scheveningen/disruptions").json()  # type: ignore[attr-defined]
        (disruption,) = body["disruptions"]
        assert (disruption["id"], disruption["effect"], disruption["removes_service"]) == (
            "htm-11-haven", "DETOUR", True)
        assert disruption["header"] == "Tram 11 rijdt niet naar Scheveningen Haven"
        assert "haven" in disruption["zones"]  # stop 2232201 Scheveningen Haven, served by line 11
        advice = client.get("/api/v1/sites/scheveningen/advice").json()  # type: ignore[attr-defined]
        (transit,) = advice["transit"]
        assert transit["disruption_id"] == "htm-11-haven" and "haven" in transit["zones"]
        assert "detour" in transit["reason"] and "HTM:11" in transit["reason"]


def test_feed_with_nothing_for_the_site_is_empty_not_ok(alerts_runtime: Runtime) -> None:
    status = coordinators_of(alerts_runtime)["scheveningen"].status("far_vehicles")
    assert status.status == "empty"
    assert status.summary == ("GTFS-Realtime VehiclePositions (1 entities): no vehicle at a listed stop or within "
                              "500 m of any zone")
    assert status.last_error is None
