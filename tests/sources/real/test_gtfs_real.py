"""Real GTFS Schedule feeds: three Spanish operators (EMT València with frequencies.txt, Logroño,
Fuenlabrada; repository files, $CSM_REAL_SAMPLES) and TransLink Cairns, MTA subway and Auckland
Transport (inside PyPI sdists, run in CI); counts worked out by hand from the tables with
`unzip -p | awk` (see the comments)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from csm.domain.model import Observation
from csm.site.loader import load_site
from csm.site.model import Site
from csm.sources.gtfs import GtfsSettings, GtfsStaticSource
from csm.sources.protocol import SourceError
from tests.sources.real.conftest import packaged_sample, real_sample, write_point_site


def site_at(tmp_path_factory: pytest.TempPathFactory, name: str, lat: float, lon: float) -> Site:
    return load_site(write_point_site(tmp_path_factory.mktemp(name), name, lat, lon, size_deg=0.0005))


def test_headway_trips_of_frequencies_txt_are_expanded(tmp_path_factory: pytest.TempPathFactory) -> None:
    # stop 2277 "Xàtiva - Institut Lluís Vives"; route 5 on Sundays (service FES) has two trips there:
    # 1018D2I (first stop, offset 0): 06:00 +1380 until 06:23 → 1; 06:23 +883 until 21:35 → 62;
    #   21:35 +1500 until 22:00 → 1;  1018D2V (offset 0:11:04): 1 + 62 (06:38 +873 until 21:26) + 1.
    site = site_at(tmp_path_factory, "valencia", 39.4679992203638, -0.37835456629932)
    raw = real_sample("gtfs", "emt_valencia_EMTvalid.zip").read_bytes()
    sunday = datetime(2025, 11, 16, 11, tzinfo=UTC)
    observations = GtfsStaticSource().parse(raw, GtfsSettings(routes=["5"], radius_m=30), site, sunday)
    at_stop = [o for o in observations if o.sensor_id == "transit:2277"]
    assert sum(o.value for o in at_stop) == 128
    # 10:00-11:00 local: 1018D2I at 06:23 + k·883 s (k = 15..18) and 1018D2V at 06:49:04 + k·873 s (k = 14..17)
    hour = [o.value for o in at_stop if datetime(2025, 11, 16, 9, tzinfo=UTC) <= o.interval_start
            < datetime(2025, 11, 16, 10, tzinfo=UTC)]
    assert sum(hour) == 8


def test_route_filter_by_long_name_and_describe(tmp_path_factory: pytest.TempPathFactory) -> None:
    # stop 228 "Las Norias" (42.473614, -2.453217), served only by route_id 9, short name
    # "PRAD-NORIA", long name "9-PRADOVIEJO-LAS NORIAS"
    site = site_at(tmp_path_factory, "logrono", 42.473614, -2.453217)
    raw = real_sample("gtfs", "logrono_20251016_gtfs.zip").read_bytes()
    settings = GtfsSettings(routes=["9-pradoviejo-las noRIAS"], radius_m=30)
    stops = GtfsStaticSource().describe(raw, settings, site)["stops"]
    assert stops["228"]["name"] == "Las Norias"
    assert stops["228"]["routes"] == ["PRAD-NORIA"] and stops["228"]["route_ids"] == ["9"]
    by_id = GtfsStaticSource().describe(raw, GtfsSettings(routes=["9"], radius_m=30), site)["stops"]
    assert by_id["228"]["route_ids"] == ["9"]
    with pytest.raises(SourceError) as caught:
        GtfsStaticSource().parse(raw, GtfsSettings(routes=["tram 99"], radius_m=30), site, datetime.now(UTC))
    assert caught.value.reason == "empty_feed" and "for routes tram 99" in caught.value.detail


def test_a_large_feed_reads_only_the_stops_near_the_site(tmp_path_factory: pytest.TempPathFactory) -> None:
    from csm.sources.gtfs import read_near

    raw = real_sample("gtfs", "fuenlabrada5.zip").read_bytes()
    site = site_at(tmp_path_factory, "nowhere", 52.11, 4.27)
    timetable = read_near(raw, site, 250, ())
    assert timetable.serving == {} and timetable.times.empty
    assert timetable.rows_read > 100_000  # every stop time was streamed past, none kept


# -- feeds shipped in PyPI sdists (see registry.py): TransLink Cairns, MTA subway, Auckland Transport --
def packaged_site(tmp_path_factory: pytest.TempPathFactory, name: str, lat: float, lon: float, tz: str) -> Site:
    return load_site(write_point_site(tmp_path_factory.mktemp(name), name, lat, lon, size_deg=0.0005, timezone=tz))


def arrivals(observations: list[Observation], stop: str, start: datetime | None = None,
             end: datetime | None = None) -> int:
    return int(sum(o.value for o in observations if o.sensor_id == f"transit:{stop}"
                   and (start is None or start <= o.interval_start) and (end is None or o.interval_start < end)))


def test_cairns_loop_stop_listed_twice_counts_one_bus(tmp_path_factory: pytest.TempPathFactory) -> None:
    # stop 750070 "Machans Beach (Prior St) N231" (-16.850758, 145.746978); Monday 2 June 2014 runs
    # service CNS2014-CNS_MUL-Weekday-00: 36 stop_times rows of 34 trips (routes 120 and 120N);
    # trips 4166462 and 4166463 list the stop twice at 22:26 / 23:26 (sequences 16 and 17)
    raw = packaged_sample("gtfs/cairns_gtfs.zip").read_bytes()
    site = packaged_site(tmp_path_factory, "machans", -16.850758, 145.746978, "Australia/Brisbane")
    monday = datetime(2014, 6, 2, 2, tzinfo=UTC)  # noon in Cairns
    observations = GtfsStaticSource().parse(raw, GtfsSettings(radius_m=10), site, monday)
    assert arrivals(observations, "750070") == 34
    # 17 trips at hh:58 from 05:58 to 21:58, 15 at hh:26 from 07:26 to 21:26: 08:00-09:00 local has 08:26, 08:58
    eight = (datetime(2014, 6, 1, 22, tzinfo=UTC), datetime(2014, 6, 1, 23, tzinfo=UTC))
    assert arrivals(observations, "750070", *eight) == 2
    stop = GtfsStaticSource().describe(raw, GtfsSettings(radius_m=10), site)["stops"]["750070"]
    assert (stop["name"], stop["routes"], stop["route_ids"]) == ("Machans Beach (Prior St) N231", ["120", "120N"],
                                                                 ["120-423", "120N-423"])


def test_cairns_untimed_stops_between_timepoints_are_skipped(tmp_path_factory: pytest.TempPathFactory) -> None:
    # stop 750068 "Oleander St N230": 34 weekday rows, 2 without any time (trips 4166462/4166463,
    # between timepoints) — before, the empty time refused the whole feed for this site
    raw = packaged_sample("gtfs/cairns_gtfs.zip").read_bytes()
    site = packaged_site(tmp_path_factory, "oleander", -16.846652, 145.73902, "Australia/Brisbane")
    observations = GtfsStaticSource().parse(raw, GtfsSettings(radius_m=10), site, datetime(2014, 6, 2, 2, tzinfo=UTC))
    assert arrivals(observations, "750068") == 32
    # the public holiday of 9 June 2014 (calendar_dates: Weekday removed, Sunday added) runs the Sunday timetable
    holiday = GtfsStaticSource().parse(raw, GtfsSettings(radius_m=10), site, datetime(2014, 6, 9, 2, tzinfo=UTC))
    sunday = GtfsStaticSource().parse(raw, GtfsSettings(radius_m=10), site, datetime(2014, 6, 8, 2, tzinfo=UTC))
    assert arrivals(holiday, "750068") == arrivals(sunday, "750068") != 32


def test_nyc_subway_times_square(tmp_path_factory: pytest.TempPathFactory) -> None:
    # gtfs-kit's excerpt of MTA's subway feed (routes 1 and 2 at Times Sq-42 St): platforms 127N and
    # 127S (40.75529, -73.987495); Wednesday 8 Jan 2025, service Weekday: route 1 stops 231 times at
    # each platform, route 2 162 times; 08:00-09:00 local 23 northbound and 29 southbound
    raw = packaged_sample("gtfs/nyc_subway_gtfs.zip").read_bytes()
    site = packaged_site(tmp_path_factory, "timessq", 40.75529, -73.987495, "America/New_York")
    wednesday = datetime(2025, 1, 8, 17, tzinfo=UTC)
    observations = GtfsStaticSource().parse(raw, GtfsSettings(radius_m=10), site, wednesday)
    assert (arrivals(observations, "127N"), arrivals(observations, "127S")) == (393, 393)
    hour = (datetime(2025, 1, 8, 13, tzinfo=UTC), datetime(2025, 1, 8, 14, tzinfo=UTC))
    assert (arrivals(observations, "127N", *hour), arrivals(observations, "127S", *hour)) == (23, 29)
    express = GtfsStaticSource().parse(raw, GtfsSettings(routes=["7 Avenue Express"], radius_m=10), site, wednesday)
    assert arrivals(express, "127N") == 162
    stops = GtfsStaticSource().describe(raw, GtfsSettings(radius_m=10), site)["stops"]
    assert stops["127N"]["name"] == "Times Sq-42 St"


def test_auckland_services_added_by_calendar_dates(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Auckland Transport (gtfsr-kit's test feed, May 2016): stop 8019 "22 Pt Chevalier Rd"
    # (-36.870360, 174.709640); Thursday 19 May 2016: 39 arrivals, all route 007 (short name with a
    # leading zero), 4 of them 08:00-09:00 local; services come from calendar.txt and calendar_dates.txt
    raw = packaged_sample("gtfs/auckland_test_gtfs.zip").read_bytes()
    site = packaged_site(tmp_path_factory, "ptchev", -36.870360, 174.709640, "Pacific/Auckland")
    thursday = datetime(2016, 5, 19, 0, tzinfo=UTC)
    observations = GtfsStaticSource().parse(raw, GtfsSettings(radius_m=10), site, thursday)
    assert arrivals(observations, "8019") == 39
    eight = (datetime(2016, 5, 18, 20, tzinfo=UTC), datetime(2016, 5, 18, 21, tzinfo=UTC))
    assert arrivals(observations, "8019", *eight) == 4
    stop = GtfsStaticSource().describe(raw, GtfsSettings(routes=["007"], radius_m=10), site)["stops"]["8019"]
    assert (stop["name"], stop["routes"]) == ("22 Pt Chevalier Rd", ["007"])
