"""The demo day: realistic crowds, fed through the real ingest path, picture close to the truth."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from csm.clock import FixedClock, SimulatedClock
from csm.demo.runner import backfill_until, bus_feed_consumer, demo_start, feed_job, seed_history
from csm.domain.levels import level_for_density
from csm.domain.model import Level
from csm.runtime import build_runtime
from csm.synthetic.day import DaySimulator
from tests.conftest import DEMO_SITE


def test_hot_afternoon_turns_the_kurhaus_boulevard_red_and_the_morning_is_calm() -> None:
    runtime = build_runtime([DEMO_SITE], "duckdb::memory:")
    site = runtime.sites["scheveningen"].site
    sim = DaySimulator(site)
    zone = site.zones["boulevard-kurhaus"]

    def level_at(hour: int) -> Level:
        moment = datetime(2026, 7, 18, hour, 0, tzinfo=site.tz)
        occupancy = sim.truth(zone.id, moment)
        return level_for_density(occupancy / zone.walkable_area_m2, zone.thresholds, occupancy, zone.capacity)

    assert level_at(9) is Level.GREEN
    assert level_at(15) is Level.RED or level_at(16) is Level.RED
    assert level_at(23) in {Level.GREEN, Level.YELLOW}
    cool_weekday = DaySimulator(site, temperature_c=15)
    moment = datetime(2026, 7, 15, 15, 0, tzinfo=site.tz)
    assert cool_weekday.truth(zone.id, moment) < 0.3 * sim.truth(zone.id, moment.replace(day=18))
    runtime.close()


def test_line_counter_readings_balance_to_the_true_occupancy() -> None:
    runtime = build_runtime([DEMO_SITE], "duckdb::memory:")
    site = runtime.sites["scheveningen"].site
    sim = DaySimulator(site)
    sensor = site.sensors["lc-pier-entrance"]
    start = datetime(2026, 7, 18, 5, 0, tzinfo=site.tz).astimezone(UTC)
    total = 0.0
    for minute in range(10 * 60):
        reading = sim.reading(sensor, start + timedelta(minutes=minute))
        assert reading["in"] >= 0 and reading["out"] >= 0
        total += reading["in"] - reading["out"]
    truth = sim.truth("pier", start + timedelta(hours=10))
    assert total == pytest.approx(truth, abs=3)
    runtime.close()


def test_backfilled_picture_matches_the_simulated_truth(tmp_path: Path) -> None:
    runtime0 = build_runtime([DEMO_SITE], "duckdb::memory:")
    moment = demo_start(runtime0.sites["scheveningen"], "2026-07-18", "14:30")
    runtime0.close()
    clock = FixedClock(moment)
    runtime = build_runtime([DEMO_SITE], f"duckdb:{tmp_path / 'demo.duckdb'}", clock=clock)
    site_runtime = runtime.sites["scheveningen"]
    sim = DaySimulator(site_runtime.site)
    assert seed_history(site_runtime, sim, moment, days=2) > 0
    assert backfill_until(site_runtime, sim, moment) > 8_000  # 9½ h of 21 sensors
    states = {s.zone_id: s for s in site_runtime.picture.compute(moment)}
    for zone_id in ("boulevard-kurhaus", "pier", "strand-kurhaus", "gevers-deynootplein"):
        truth = sim.truth(zone_id, moment)
        assert states[zone_id].occupancy == pytest.approx(truth, rel=0.15), zone_id
        assert not states[zone_id].stale
    history = runtime.store.zone_history(
        "scheveningen", moment - timedelta(days=2), moment, ["boulevard-kurhaus"]
    )
    assert len(history) == 2 * 24 * 12 + 1  # 5-minute snapshots, no gap between archive and today
    runtime.close()


async def test_live_feed_moves_the_picture_through_the_bus(tmp_path: Path) -> None:
    start = datetime(2026, 7, 18, 13, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    clock = SimulatedClock(start, speed=120)  # two simulated minutes per second
    runtime = build_runtime([DEMO_SITE], f"duckdb:{tmp_path / 'live.duckdb'}", clock=clock)
    sims = {"scheveningen": DaySimulator(runtime.sites["scheveningen"].site)}
    runtime.jobs += [feed_job(sims, None, wall_period=0.1), bus_feed_consumer]
    runtime.picture_tick_seconds = 0.2
    await runtime.start()
    fresh: list[dict[str, object]] = []
    as_of = None
    try:  # poll rather than sleep a fixed time: a loaded CI machine is slower, not wrong
        for _ in range(150):
            await asyncio.sleep(0.2)
            as_of, zones = runtime.sites["scheveningen"].picture.snapshot()
            fresh = [z for z in zones if not z["stale"]]
            if as_of is not None and as_of > start + timedelta(minutes=6) and len(fresh) >= 12:
                break
    finally:
        await runtime.stop()
    assert runtime.store.count_observations("scheveningen") > 100
    assert as_of is not None and as_of > start + timedelta(minutes=6)
    assert len(fresh) >= 12  # every camera-fed zone is live; 15-min estimates may lag
    runtime.close()
