"""No connector reports `ok` with nothing parsed for the site: a feed that parses but holds
nothing for the site's stops, sites, areas or window gets status `empty` with the reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from csm.site.model import Site
from csm.sources.protocol import SourceError
from tests.sources.conftest import coordinator_of, fixture_sources, write_sources


def test_feeds_with_nothing_for_the_site_are_empty(source_site: Path, tmp_path: Path, clock: FixedClock) -> None:
    sources = fixture_sources()
    sources["gtfs"]["routes"] = ["tram 99"]
    sources["gtfs_realtime"]["stops"] = ["no-such-stop"]
    sources["vehicles"]["stops"] = ["no-such-stop"]
    sources["traffic"]["sites"] = {"NOT_IN_THE_FEED": "Nowhere"}
    sources["visitors"]["areas"] = {"an-area-the-feed-lacks": "est-haven"}
    sources["events"]["days_back"] = 0
    sources["events"]["days_ahead"] = 1
    clock.advance(minutes=60 * 24 * 30)  # a month after the fixtures' events
    write_sources(source_site, sources)
    rt = build_runtime([source_site], f"duckdb:{tmp_path / 'e.duckdb'}", clock=clock)
    try:
        coordinator = coordinator_of(rt)
        statuses = {name: coordinator.poll(name) for name in
                    ("gtfs", "gtfs_realtime", "vehicles", "traffic", "visitors", "events")}
        assert {name: s.status for name, s in statuses.items()} == dict.fromkeys(statuses, "empty")
        assert all(s.summary and s.last_error is None for s in statuses.values())
        assert "for routes tram 99" in statuses["gtfs"].summary
        assert "no event between" in statuses["events"].summary
    finally:
        rt.close()


def test_weather_without_stations_and_a_forecast_beyond_the_horizon_are_empty(site: Site) -> None:
    """The two weather connectors: a response with no station, and a forecast whose hours all lie
    past `horizon_hours`, give `empty_feed` with the reason, not an `ok` with nothing."""
    from csm.sources.weather_buienradar import BuienradarSettings, BuienradarSource
    from csm.sources.weather_forecast import BuienradarHourlyForecastSource, HourlyForecastSettings

    now = datetime(2026, 7, 18, 10, tzinfo=UTC)
    with pytest.raises(SourceError) as caught:
        BuienradarSource().parse(b'{"actual": {"stationmeasurements": []}}', BuienradarSettings(), site, now)
    assert (caught.value.reason, caught.value.detail) == ("empty_feed", "no station measurements")
    far = {"datetime": "2026-07-25T12:00:00", "datetimeutc": "2026-07-25T10:00:00", "temperature": 21.0}
    raw = json.dumps({"days": [{"datetime": "2026-07-25T00:00:00", "hours": [far]}]}).encode()
    with pytest.raises(SourceError) as caught:
        BuienradarHourlyForecastSource().parse(raw, HourlyForecastSettings(), site, now)
    assert (caught.value.reason, caught.value.detail) == ("empty_feed", "no forecast hours within the horizon")


def test_a_connector_that_returns_nothing_is_empty_not_ok(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The coordinator's own guard, for any connector (present or future) that returns [] instead
    of raising `empty_feed`: the status is `empty` with a generic reason, never a silent `ok`."""
    from csm.sources.holidays_nl import HolidaysSource

    monkeypatch.setattr(HolidaysSource, "parse", lambda *_: [])
    status = coordinator_of(runtime).poll("holidays")
    assert (status.status, status.last_error) == ("empty", None)
    assert status.summary and "yielded nothing for this site" in status.summary
