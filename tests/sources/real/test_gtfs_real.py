"""Real GTFS Schedule feeds of three Spanish operators (EMT València with frequencies.txt,
Logroño, Fuenlabrada); counts worked out by hand from the tables (see the comments)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from csm.site.loader import load_site
from csm.site.model import Site
from csm.sources.gtfs import GtfsSettings, GtfsStaticSource
from csm.sources.protocol import SourceError
from tests.sources.real.conftest import real_sample, write_point_site


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
