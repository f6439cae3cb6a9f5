"""Real GTFS-Realtime feeds: Logroño vehicles with stops and occupancy, Estonian vehicles with
positions only, Carris Metropolitana alerts (repository files, $CSM_REAL_SAMPLES), and TripUpdates
of the Dutch national feed and Auckland Transport (inside gtfsr-kit's sdist, run in CI); values
decoded by hand with `protoc --decode` / print(FeedMessage)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from csm.site.loader import load_site
from csm.site.model import Site
from csm.sources.gtfs_realtime import GtfsRealtimeSettings, GtfsRealtimeSource, decode_feed, feed_types
from csm.sources.protocol import SourceError
from csm.sources.transit_alerts import active_disruptions
from tests.sources.real.conftest import packaged_sample, real_sample, write_point_site

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


# -- feeds shipped in gtfsr-kit 8.0.1's sdist (see registry.py) -----------------------------------------
def test_dutch_trip_updates(tmp_path_factory: pytest.TempPathFactory) -> None:
    # data/tripUpdates.pb: a Dutch national TripUpdates feed (operators CXX, VTN, ARR, QBUZZ, RET …;
    # 2,847 trips) of 30 Nov 2014 22:46:23 UTC. Stop 41320: 20 updates from 22:32:49 to 22:43:54
    # (delays -191, 50, -289, -49, -255, -306 s and fourteen 0 s: mean -1040/20 = -52.0) and 5 from
    # 22:46:09 to 22:54:00 (-51, -90, 107, 0, 0: mean -6.8)
    raw = packaged_sample("gtfs_realtime/tripUpdates.pb").read_bytes()
    assert feed_types(decode_feed(raw)) == ["TripUpdates"]
    site = site_at(tmp_path_factory, "nl", 52.37, 5.22)
    got = {(o.metric, o.interval_start): o.value for o in
           GtfsRealtimeSource().parse(raw, GtfsRealtimeSettings(stops=["41320"]), site, datetime.now(UTC))}
    assert got == {("arrivals", datetime(2014, 11, 30, 22, 30, tzinfo=UTC)): 20,
                   ("delay_s", datetime(2014, 11, 30, 22, 30, tzinfo=UTC)): -52.0,
                   ("arrivals", datetime(2014, 11, 30, 22, 45, tzinfo=UTC)): 5,
                   ("delay_s", datetime(2014, 11, 30, 22, 45, tzinfo=UTC)): -6.8}


def test_dutch_trip_updates_for_a_stop_it_does_not_serve_is_empty(tmp_path_factory: pytest.TempPathFactory) -> None:
    raw = packaged_sample("gtfs_realtime/tripUpdates.pb").read_bytes()
    with pytest.raises(SourceError) as caught:
        GtfsRealtimeSource().parse(raw, GtfsRealtimeSettings(stops=["no-such-stop"]),
                                   site_at(tmp_path_factory, "nl2", 52.37, 5.22), datetime.now(UTC))
    assert caught.value.reason == "empty_feed"
    assert caught.value.detail == ("GTFS-Realtime TripUpdates (2847 entities): no update for a listed stop "
                                   "within the horizon")


def test_auckland_trip_updates_from_its_json_form(tmp_path_factory: pytest.TempPathFactory) -> None:
    # data/test_gtfsr/20160519080020.json: Auckland Transport's TripUpdates of 18 May 2016 20:00:20 UTC
    # in protobuf's JSON form (650 entities, one update per trip), turned into the wire format here.
    # Stop 7091: 7 departures 19:56:29-19:58:52 (delays -1261, -255, -307, 547, 682, -806, 442:
    # mean -958/7) and 2 arrivals at 20:00:00 and 20:00:05 (-710, -1099: mean -904.5)
    from google.protobuf import json_format
    from google.transit import gtfs_realtime_pb2

    document = json.loads(packaged_sample("gtfs_realtime/auckland_20160519080020.json").read_text())
    raw = json_format.ParseDict(document, gtfs_realtime_pb2.FeedMessage()).SerializeToString()
    site = site_at(tmp_path_factory, "akl", -36.87, 174.71)
    got = {(o.metric, o.interval_start): o.value for o in
           GtfsRealtimeSource().parse(raw, GtfsRealtimeSettings(stops=["7091"]), site, datetime.now(UTC))}
    assert got[("arrivals", datetime(2016, 5, 18, 19, 45, tzinfo=UTC))] == 7
    assert got[("delay_s", datetime(2016, 5, 18, 19, 45, tzinfo=UTC))] == pytest.approx(-958 / 7)
    assert got[("arrivals", datetime(2016, 5, 18, 20, 0, tzinfo=UTC))] == 2
    assert got[("delay_s", datetime(2016, 5, 18, 20, 0, tzinfo=UTC))] == -904.5


def test_stops_near_the_zones_from_the_static_gtfs(tmp_path_factory: pytest.TempPathFactory) -> None:
    # No `stops` listed: the stops come from the static GTFS of the same publisher (data/test_gtfs.zip
    # in gtfsr-kit 8.0.1, 311 stops), those within 250 m of a zone around Victoria St West by the Sky
    # Tower (-36.8471…-36.8491, 174.759…174.761): 7104 "156 Victoria St West" (174.75888, ≈ 11 m),
    # 7099 "Victoria St West opp Sky Tower" (174.76239, ≈ 124 m) and 7105 "201 Victoria St West"
    # (174.75703, ≈ 175 m); 7051 "175 Queen St" (174.76556, ≈ 406 m) is out. The TripUpdates of
    # 18 May 2016 20:00:20 UTC: 7099 departs at 19:57:40, 19:58:58 and 19:59:08 (delays -320, 99,
    # -124 s), 7104 at 20:00:02 (257 s), 7105 arrives at 19:56:09, 19:56:13 and 19:57:50 (-831,
    # -1247, -130 s). Without the static GTFS every one of the feed's 490 stops would be stored.
    from google.protobuf import json_format
    from google.transit import gtfs_realtime_pb2

    document = json.loads(packaged_sample("gtfs_realtime/auckland_20160519080020.json").read_text())
    raw = json_format.ParseDict(document, gtfs_realtime_pb2.FeedMessage()).SerializeToString()
    site = site_at(tmp_path_factory, "sky-tower", -36.8481, 174.7600)
    static = packaged_sample("gtfs/auckland_test_gtfs.zip")
    settings = GtfsRealtimeSettings(static_gtfs=f"file:{static}", stop_radius_m=250)
    assert GtfsRealtimeSource().check(settings, site) == []
    got = {(o.sensor_id, o.metric, o.interval_start): o.value
           for o in GtfsRealtimeSource().parse(raw, settings, site, datetime.now(UTC))}
    quarter, next_quarter = datetime(2016, 5, 18, 19, 45, tzinfo=UTC), datetime(2016, 5, 18, 20, 0, tzinfo=UTC)
    assert got == {
        ("transit:7099", "arrivals", quarter): 3, ("transit:7099", "delay_s", quarter): -115.0,
        ("transit:7104", "arrivals", next_quarter): 1, ("transit:7104", "delay_s", next_quarter): 257.0,
        ("transit:7105", "arrivals", quarter): 3, ("transit:7105", "delay_s", quarter): -736.0,
    }
    every = GtfsRealtimeSource().parse(raw, GtfsRealtimeSettings(), site, datetime.now(UTC))
    assert len({o.sensor_id for o in every}) > 400


def test_a_static_gtfs_with_no_stop_near_the_zones_is_refused_with_the_reason(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    raw = packaged_sample("gtfs_realtime/tripUpdates.pb").read_bytes()
    far = site_at(tmp_path_factory, "far-from-auckland", 52.11, 4.27)
    settings = GtfsRealtimeSettings(static_gtfs=str(packaged_sample("gtfs/auckland_test_gtfs.zip")))
    with pytest.raises(SourceError) as caught:
        GtfsRealtimeSource().parse(raw, settings, far, datetime.now(UTC))
    assert (caught.value.reason, caught.value.detail) == (
        "empty_feed", "no stop of test_gtfs.zip within 250 m of any zone")
    missing = GtfsRealtimeSettings(static_gtfs="feeds/no-such-gtfs")
    assert GtfsRealtimeSource().check(missing, far) == [
        ("static_gtfs", f"file not found: {far.folder / 'feeds/no-such-gtfs'}")]
