"""The demo site runs with every configured source on its replayed feeds, and they stay fresh."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from csm.clock import SimulatedClock
from csm.demo.runner import demo_start
from csm.runtime import build_runtime
from csm.sources.coordinator import coordinators_of
from tests.conftest import DEMO_SITE


async def test_demo_site_sources_all_report_ok_while_simulated_time_runs(tmp_path: Path) -> None:
    clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC), speed=60)  # `csm demo`'s default speed
    runtime = build_runtime([DEMO_SITE], f"duckdb:{tmp_path / 'demo.duckdb'}", clock=clock)
    clock.jump_to(demo_start(runtime.sites["scheveningen"], None, None))  # the demo's day, as `csm demo`
    coordinator = coordinators_of(runtime)["scheveningen"]
    assert len(coordinator.states) >= 9  # every kind but visitors (the simulator feeds est-*)
    await runtime.start()
    try:
        for _ in range(200):  # first poll of each source (GTFS takes longest)
            if all(s.last_success or s.last_error for s in coordinator.statuses()):
                break
            await asyncio.sleep(0.1)
        first_traffic = coordinator.states["traffic"].last_success
        until = clock.now() + timedelta(minutes=2)  # two more traffic polls (every 60 s)
        while clock.now() < until:
            await asyncio.sleep(0.1)
        statuses = {s.name: s for s in coordinator.statuses()}
    finally:
        await runtime.stop()
        runtime.close()
    not_ok = {n: s for n, s in statuses.items() if s.status != "ok"}
    assert not not_ok, not_ok
    assert first_traffic is not None and statuses["traffic"].last_success is not None
    assert statuses["traffic"].last_success > first_traffic  # polled again on the simulated clock
    assert statuses["traffic"].age_seconds is not None and statuses["traffic"].age_seconds < 180
