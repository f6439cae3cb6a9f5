"""Occupancy and density maths of the live picture: counters, balances, fusion, staleness."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from csm.domain.model import Level
from csm.picture.nowcast import compute_zone_states, last_reset
from csm.site.loader import load_site
from csm.store.base import LatestValue, LineBalance
from tests.conftest import NOON, TINY_SITE, TINY_ZONES, write_site


def _value(sensor: str, metric: str, value: float, minutes_ago: float = 1, secs: int = 60) -> LatestValue:
    start = NOON - timedelta(minutes=minutes_ago) - timedelta(seconds=secs)
    return LatestValue(sensor, metric, start, secs, value)


def _states(site_dir: Path, latest: list[LatestValue], balances: list[LineBalance]) -> dict[str, object]:
    site = load_site(site_dir)
    return {s.zone_id: s for s in compute_zone_states(site, NOON, latest, balances)}


def test_area_counter_is_scaled_by_the_share_in_view(tiny_site_dir: Path) -> None:
    states = _states(tiny_site_dir, [_value("cam-a", "occupancy", 300)], [])
    plein = states["plein"]
    assert plein.occupancy == pytest.approx(600)  # coverage 0.5
    assert plein.density_per_m2 == pytest.approx(0.6)  # 1000 m² walkable
    assert plein.level is Level.YELLOW
    assert not plein.stale


def test_visitor_estimate_is_scaled(tiny_site_dir: Path) -> None:
    est = LatestValue("est-c", "visitors", NOON - timedelta(minutes=15), 900, 1000)
    strand = _states(tiny_site_dir, [est], [])["strand"]
    assert strand.occupancy == pytest.approx(2000)  # scale 2
    assert strand.density_per_m2 == pytest.approx(0.4)


def test_line_counter_balance_adds_to_its_zone_and_subtracts_from_the_other(tiny_site_dir: Path) -> None:
    latest = [
        _value("lc-b", "in", 5), _value("lc-b", "out", 3), _value("cam-a", "occupancy", 100),
    ]
    balances = [LineBalance("lc-b", inflow=900, outflow=300, last_interval_end=NOON)]
    states = _states(tiny_site_dir, latest, balances)
    assert states["pier"].occupancy == pytest.approx(600)
    # plein has a camera (weight 1.0) and the border counter (weight 0.8, balance -600 → 0)
    assert states["plein"].occupancy == pytest.approx((200 * 1.0 + 0 * 0.8) / 1.8)


def test_balance_never_goes_negative(tiny_site_dir: Path) -> None:
    latest = [_value("lc-b", "in", 1), _value("lc-b", "out", 1)]
    balances = [LineBalance("lc-b", inflow=10, outflow=50, last_interval_end=NOON)]
    assert _states(tiny_site_dir, latest, balances)["pier"].occupancy == 0


def test_stale_sensor_marks_zone_stale_but_keeps_last_estimate(tiny_site_dir: Path) -> None:
    old = LatestValue("cam-a", "occupancy", NOON - timedelta(minutes=10), 60, 300)
    plein = _states(tiny_site_dir, [old], [])["plein"]
    assert plein.stale
    assert plein.occupancy == pytest.approx(600)
    assert plein.level is Level.YELLOW
    (source,) = [s for s in plein.sources if s.sensor_id == "cam-a"]
    assert source.stale and source.age_seconds == pytest.approx(540)


def test_fresh_sources_win_over_stale_ones(tmp_path: Path) -> None:
    site = dict(TINY_SITE)
    site["sensors"] = [
        *TINY_SITE["sensors"],  # type: ignore[misc]
        {"id": "cam-z", "kind": "area_counter", "zone": "plein", "interval_seconds": 60},
    ]
    folder = write_site(tmp_path / "s", site, TINY_ZONES)
    stale = LatestValue("cam-a", "occupancy", NOON - timedelta(minutes=30), 60, 900)
    fresh = _value("cam-z", "occupancy", 150)
    plein = _states(folder, [stale, fresh], [])["plein"]
    assert not plein.stale
    assert plein.occupancy == pytest.approx(150)


def test_zone_without_any_data_is_unknown_and_stale(tiny_site_dir: Path) -> None:
    strand = _states(tiny_site_dir, [], [])["strand"]
    assert strand.level is Level.UNKNOWN
    assert strand.stale
    assert strand.occupancy is None and strand.density_per_m2 is None


def test_staleness_threshold_is_two_intervals_by_default(tiny_site_dir: Path) -> None:
    # A 60 s sensor whose newest interval ended exactly 120 s ago is still fresh, 121 s is stale.
    at_limit = LatestValue("cam-a", "occupancy", NOON - timedelta(seconds=180), 60, 10)
    assert not _states(tiny_site_dir, [at_limit], [])["plein"].stale
    beyond = LatestValue("cam-a", "occupancy", NOON - timedelta(seconds=181), 60, 10)
    assert _states(tiny_site_dir, [beyond], [])["plein"].stale


def test_counter_reset_uses_site_local_time_across_dst(tiny_site_dir: Path) -> None:
    site = load_site(tiny_site_dir)
    summer = last_reset(datetime(2026, 7, 18, 10, 0, tzinfo=UTC), time(5), site)
    assert summer == datetime(2026, 7, 18, 3, 0, tzinfo=UTC)  # 05:00 CEST
    winter = last_reset(datetime(2026, 1, 10, 3, 0, tzinfo=UTC), time(5), site)
    assert winter == datetime(2026, 1, 9, 4, 0, tzinfo=UTC)  # before 05:00 CET: yesterday's
    after_dst_change = last_reset(datetime(2026, 3, 29, 6, 0, tzinfo=UTC), time(5), site)
    assert after_dst_change == datetime(2026, 3, 29, 3, 0, tzinfo=UTC)  # the day clocks go forward
