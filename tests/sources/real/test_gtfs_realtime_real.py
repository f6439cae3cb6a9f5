"""Real GTFS-Realtime feeds from three publishers (Logroño vehicles with stops and occupancy,
Estonian vehicles with positions only, Carris Metropolitana alerts); values decoded by hand with
`protoc --decode` / print(FeedMessage)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from csm.site.loader import load_site
from csm.site.model import Site
from csm.sources.gtfs_realtime import GtfsRealtimeSettings, GtfsRealtimeSource, decode_feed, feed_types
from csm.sources.protocol import SourceError
from csm.sources.transit_alerts import active_disruptions
from tests.sources.real.conftest import real_sample, write_point_site

LOGRONO = "almanes_vehiclePositions.pb"
ESTONIA = "maanteeamet_VehiclePositions.pb"
LISBON = "cmet_alerts.pb"


def site_at(tmp_path_factory: pytest.TempPathFactory, name: str, lat: float, lon: float) -> Site:
    return load_site(write_point_site(tmp_path_factory.mktemp(name), name, lat, lon))


def test_feed_types_are_recognised() -> None:
    assert feed_types(decode_feed(real_sample("gtfs_realtime", LOGRONO).read_bytes())) == ["VehiclePositions"]
    assert feed_types(decode_feed(real_sample("gtfs_realtime", LISBON).read_bytes())) == ["Alerts"]


def test_vehicles_at_stops_with_occupancy(tmp_path_factory: pytest.TempPathFactory) -> None:
    site = site_at(tmp_path_factory, "logrono", 42.4653, -2.4450)
    settings = GtfsRealtimeSettings(stops=["33", "108"], vehicle_capacity=100)
    raw = real_sample("gtfs_realtime", LOGRONO).read_bytes()
    got = {(o.sensor_id, o.metric): (o.interval_start, o.value)
           for o in GtfsRealtimeSource().parse(raw, settings, site, datetime.now(UTC))}
    # entity "0": stop 33 INCOMING_AT at 1764703396, occupancy EMPTY
    assert got[("transit:33", "vehicles_approaching")] == (datetime(2025, 12, 2, 19, 15, tzinfo=UTC), 1)
    assert got[("transit:33", "passengers_est")][1] == 0
    # entity "22": stop 108 INCOMING_AT at 1764703400, FEW_SEATS_AVAILABLE: the band's middle, 60 of 100
    assert got[("transit:108", "passengers_est")][1] == 60


def test_vehicles_known_only_by_position(tmp_path_factory: pytest.TempPathFactory) -> None:
    raw = real_sample("gtfs_realtime", ESTONIA).read_bytes()
    tallinn = site_at(tmp_path_factory, "tallinn", 59.4324, 24.7230)  # entity at 59.43242, 24.72299
    got = GtfsRealtimeSource().parse(raw, GtfsRealtimeSettings(radius_m=300), tallinn, datetime.now(UTC))
    assert [(o.sensor_id, o.metric, o.value) for o in got] == [("transit:near-zone", "vehicles_approaching", 1)]


def test_a_feed_with_nothing_for_the_site_is_empty_with_the_reason(tmp_path_factory: pytest.TempPathFactory) -> None:
    raw = real_sample("gtfs_realtime", ESTONIA).read_bytes()
    far = site_at(tmp_path_factory, "far", 52.11, 4.27)
    with pytest.raises(SourceError) as caught:
        GtfsRealtimeSource().parse(raw, GtfsRealtimeSettings(), far, datetime.now(UTC))
    assert caught.value.reason == "empty_feed"
    assert caught.value.detail == ("GTFS-Realtime VehiclePositions (7 entities): no vehicle at a listed stop "
                                   "or within 500 m of any zone")


def test_alerts_become_disruptions() -> None:
    feed = decode_feed(real_sample("gtfs_realtime", LISBON).read_bytes())
    every = active_disruptions(feed, GtfsRealtimeSettings(), feed.header.timestamp)
    assert (len(feed.entity), len(every)) == (82, 79)  # three start in August 2023
    (loures,) = active_disruptions(feed, GtfsRealtimeSettings(routes=["2002_0"]), feed.header.timestamp)
    assert (loures.id, loures.cause, loures.effect, loures.removes_service) == (
        "CarrisMetropolitanaGTFSAlerts-5399", "DEMONSTRATION", "DETOUR", True)
    assert loures.header == "Área 2: Condicionamento Feira de Loures"
    assert loures.start == datetime.fromtimestamp(1689966000, UTC)
    # an open end written as the largest uint64 is "no end"
    (odivelas,) = [d for d in every if d.id == "CarrisMetropolitanaGTFSAlerts-5499"]
    assert (odivelas.effect, odivelas.end) == ("STOP_MOVED", None)


def test_alerts_feed_reports_the_count_for_the_site(tmp_path_factory: pytest.TempPathFactory) -> None:
    site = site_at(tmp_path_factory, "loures", 38.8309, -9.1685)
    settings = GtfsRealtimeSettings(routes=["2002_0", "2533_0"])
    (count,) = GtfsRealtimeSource().parse(real_sample("gtfs_realtime", LISBON).read_bytes(), settings, site,
                                          datetime.now(UTC))
    # 5399 (Feira de Loures, route 2002_0), 5358 and 5223 (route 2533_0) are active at the feed time
    assert (count.sensor_id, count.metric, count.value) == ("transit:disruptions", "active_disruptions", 3)
