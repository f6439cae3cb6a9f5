"""Real Buienradar feed responses (data.buienradar.nl/2.0/feed/json of 4 Feb 2019 21:00 and
15 Dec 2019 14:00, kept by python-buienradar); values read by hand from the JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from csm.site.loader import load_site
from csm.site.model import Site
from csm.sources.weather_buienradar import BuienradarSettings, BuienradarSource
from tests.sources.real.conftest import real_sample, write_point_site


@pytest.fixture(scope="module")
def ijmuiden(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A site at the IJmuiden station (52.47, 4.57), which measures wind but no temperature."""
    return load_site(write_point_site(tmp_path_factory.mktemp("ijmuiden"), "ijmuiden", 52.47, 4.57))


def observed(name: str, site: Site) -> dict[str, tuple[datetime, float]]:
    raw = real_sample("buienradar", name).read_bytes()
    return {o.metric: (o.interval_start, o.value) for o in BuienradarSource().parse(raw, BuienradarSettings(), site,
                                                                                   datetime.now(UTC))
            if o.interval_seconds == 600}


def test_each_measurement_from_the_nearest_station_that_has_it(ijmuiden: Site) -> None:
    got = observed("mjj4791_buienradar.json", ijmuiden)
    # IJmuiden 6225 (0 km): windspeed 12.95, no temperature; Wijk aan Zee 6257 (4 km): temperature 4.0,
    # humidity 94; both at 2019-02-04T21:00 local = 20:00 UTC
    assert got["wind_ms"] == (datetime(2019, 2, 4, 20, tzinfo=UTC), 12.95)
    assert got["temperature_c"] == (datetime(2019, 2, 4, 20, tzinfo=UTC), 4.0)
    assert got["humidity_pct"][1] == 94


def test_a_second_response_and_the_five_day_forecast(ijmuiden: Site) -> None:
    raw = real_sample("buienradar", "mjj4791_test.json").read_bytes()
    observations = BuienradarSource().parse(raw, BuienradarSettings(), ijmuiden, datetime.now(UTC))
    got = {o.metric: o.value for o in observations if o.interval_seconds == 600}
    assert (got["temperature_c"], got["wind_ms"], got["sunpower_w_m2"]) == (9.3, 14.7, 179)
    days = [o for o in observations if o.metric == "day_temperature_max_c"]
    assert len(days) == 5
    described = BuienradarSource().describe(raw, BuienradarSettings(), ijmuiden)
    assert described["stations"]["temperature_c"]["station_name"] == "Meetstation Wijk aan Zee"
    assert described["stations"]["wind_ms"]["station_name"] == "Meetstation IJmuiden"


def test_configured_station_without_temperature_is_still_refused(ijmuiden: Site) -> None:
    from csm.sources.protocol import SourceError

    raw = real_sample("buienradar", "mjj4791_buienradar.json").read_bytes()
    with pytest.raises(SourceError) as caught:
        BuienradarSource().parse(raw, BuienradarSettings(station_id=6225), ijmuiden, datetime.now(UTC))
    assert caught.value.reason == "missing_field"
