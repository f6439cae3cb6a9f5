"""No connector reports `ok` with nothing parsed for the site: a feed that parses but holds
nothing for the site's stops, sites, areas or window gets status `empty` with the reason."""

from __future__ import annotations

from pathlib import Path

from csm.clock import FixedClock
from csm.runtime import build_runtime
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
