"""The incremental picture refresh (only the sensors that reported are read, only the zones they
feed recomputed) gives the same zone states as a full refresh, on random sequences of changes."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from csm.bus import LocalBus
from csm.clock import FixedClock
from csm.metrics import Metrics
from csm.picture.live import BUSY_SPACING, PictureService
from csm.runtime import Runtime, build_runtime
from tests.conftest import NOON, write_site

SITE: dict[str, object] = {
    "id": "grid",
    "name": "Incremental test site",
    "timezone": "Europe/Amsterdam",
    # A leak makes line balances decay with time: an incremental refresh moves kept balances on.
    "defaults": {"line_counter_reset": "05:00", "line_counter_leak_per_hour": 0.2},
    "sensors": [
        {"id": "cam-1", "kind": "area_counter", "zone": "z1", "interval_seconds": 60, "coverage": 0.5},
        {"id": "cam-2", "kind": "area_counter", "zone": "z2", "interval_seconds": 60},
        {"id": "lc-12", "kind": "line_counter", "zone": "z1", "opposite_zone": "z2", "interval_seconds": 60},
        {"id": "lc-23", "kind": "line_counter", "zone": "z2", "opposite_zone": "z3", "interval_seconds": 60},
        {"id": "lc-4", "kind": "line_counter", "zone": "z4", "interval_seconds": 60},
        {"id": "lc-4b", "kind": "line_counter", "zone": "z4", "direction": "out", "interval_seconds": 60},
        {"id": "est-5", "kind": "visitor_estimate", "zone": "z5", "interval_seconds": 900, "scale": 2.0},
    ],
}
ZONES = [{"id": f"z{i}", "name": f"Zone {i}", "walkable_area_m2": 400 * i} for i in range(1, 7)]
METRICS = {"cam-1": ["occupancy"], "cam-2": ["occupancy"], "est-5": ["visitors"]}


@pytest.fixture(autouse=True)
def incremental_for_any_subset(monkeypatch: pytest.MonkeyPatch) -> None:
    """This site has 7 sensors: without this, most random subsets would take the full path."""
    monkeypatch.setattr("csm.picture.live.WHOLE_READ_SHARE", 1.0)


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    folder = write_site(tmp_path / "grid", SITE, ZONES)
    rt = build_runtime([folder], f"duckdb:{tmp_path / 'grid.duckdb'}", clock=FixedClock(NOON))
    yield rt
    rt.close()


def random_items(rng: random.Random, now: Any, sensors: list[str]) -> list[dict[str, Any]]:
    items = []
    for sensor in sensors:
        seconds = 900 if sensor == "est-5" else 60
        end_floor = int(now.timestamp()) // seconds * seconds
        start = end_floor - seconds * rng.randint(1, 40)
        metrics = METRICS.get(sensor, ["in", "out"])
        items.append({"sensor_id": sensor, "interval_seconds": seconds,
                      "interval_start": now.fromtimestamp(start, now.tzinfo).isoformat(),
                      "counts": {m: rng.randint(0, 300) for m in metrics}})
    return items


def full_picture(runtime: Runtime) -> dict[str, dict[str, Any]]:
    sr = runtime.sites["grid"]
    fresh = PictureService(sr.site, runtime.store, runtime.clock, LocalBus(), Metrics())
    fresh.refresh()
    return {z["zone_id"]: z for z in fresh.snapshot()[1]}


def same(a: Any, b: Any) -> bool:
    """Equal, floats to 1e-9 relative (a balance moved on by a factor instead of re-summed)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_equals_full_while_the_clock_stands(runtime: Runtime, seed: int) -> None:
    rng = random.Random(seed)
    sr = runtime.sites["grid"]
    sr.picture.refresh()
    sensors = list(sr.site.sensors)
    for _ in range(30):
        changed = rng.sample(sensors, rng.randint(1, 3))
        report = sr.ingest.ingest_items(random_items(rng, runtime.clock.now(), changed), "test")
        assert not report.rejected
        sr.picture.refresh(changed)
        mine = {z["zone_id"]: z for z in sr.picture.snapshot()[1]}
        assert same(mine, full_picture(runtime))


@pytest.mark.parametrize("seed", [4, 5])
def test_incremental_equals_full_for_the_zones_it_recomputes_as_time_moves(runtime: Runtime, seed: int) -> None:
    rng = random.Random(seed)
    sr = runtime.sites["grid"]
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    sr.picture.refresh()
    sensors = list(sr.site.sensors)
    for _ in range(30):
        clock.advance(seconds=rng.randint(0, 50))
        changed = rng.sample(sensors, rng.randint(1, 2))
        sr.ingest.ingest_items(random_items(rng, clock.now(), changed), "test")
        sr.picture.refresh(changed)
        mine = {z["zone_id"]: z for z in sr.picture.snapshot()[1]}
        full = full_picture(runtime)
        touched = {z for s in changed for z in sr.site.zones_of_sensor(s)}
        for zone in touched:
            assert same(mine[zone], full[zone]), zone
        assert mine.keys() == full.keys()
    sr.picture.refresh()  # the tick's full refresh catches every zone up
    assert same({z["zone_id"]: z for z in sr.picture.snapshot()[1]}, full_picture(runtime))


@pytest.mark.parametrize("seed", [6, 7])
def test_a_tick_moves_every_zone_on_from_the_inputs_kept_as_a_full_refresh_would(
        runtime: Runtime, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Between store reads the tick recomputes every zone for the new moment (ages, staleness, the
    decay of line balances) without reading the store, and matches a full refresh to 1e-9."""
    rng = random.Random(seed)
    sr = runtime.sites["grid"]
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    sr.ingest.ingest_items(random_items(rng, clock.now(), list(sr.site.sensors)), "test")
    sr.picture.refresh()
    reads: list[Any] = []
    for name in ("latest_values", "line_balances"):
        original = getattr(runtime.store, name)
        monkeypatch.setattr(runtime.store, name,
                            lambda *a, _original=original, **k: reads.append(a) or _original(*a, **k))
    for _ in range(5):
        clock.advance(seconds=rng.randint(1, 50))  # within one 5-minute history slot
        reads.clear()
        sr.picture.refresh(set(), every_zone=True)
        assert reads == []
        mine = {z["zone_id"]: z for z in sr.picture.snapshot()[1]}
        assert all(z["as_of"] == clock.now().isoformat() for z in mine.values())
        assert same(mine, full_picture(runtime))


def test_ticks_read_the_store_only_every_resync_interval(tiny_runtime: Runtime,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import contextlib

    picture = tiny_runtime.sites["tiny"].picture
    picture.refresh()
    whole_reads: list[Any] = []
    read = tiny_runtime.store.latest_values

    def spy(site_id: str, as_of: Any, sensors: Any = None) -> Any:
        if sensors is None:
            whole_reads.append(as_of)
        return read(site_id, as_of, sensors)

    monkeypatch.setattr(tiny_runtime.store, "latest_values", spy)

    async def ticking() -> int:
        stop = asyncio.Event()
        before = picture.version
        task = asyncio.create_task(picture.run(stop, tick_seconds=0.02, resync_seconds=0.5))
        await asyncio.sleep(1.2)
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return picture.version - before

    ticks = asyncio.run(ticking())
    assert ticks >= 10  # the picture moved on at every tick ...
    assert 1 <= len(whole_reads) <= 3  # ... and read the store at about 0.5, 1.0 s


def test_a_sensor_without_data_and_an_unknown_one_change_nothing_wrongly(runtime: Runtime) -> None:
    sr = runtime.sites["grid"]
    sr.picture.refresh()
    version = sr.picture.version
    assert sr.picture.refresh(["no-such-sensor"]) == []
    assert sr.picture.version > version
    assert same({z["zone_id"]: z for z in sr.picture.snapshot()[1]}, full_picture(runtime))


def test_a_new_history_slot_or_reset_forces_a_full_refresh(runtime: Runtime) -> None:
    sr = runtime.sites["grid"]
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    sr.picture.refresh()
    before = len(runtime.store.zone_history("grid", NOON - timedelta(hours=1), NOON + timedelta(hours=1)))
    clock.advance(minutes=5)
    sr.picture.refresh(["cam-1"])  # the 5-minute history slot moved on: every zone is written
    after = runtime.store.zone_history("grid", NOON - timedelta(hours=1), NOON + timedelta(hours=1))
    assert len(after) == before + len(ZONES)
    mine = {z["zone_id"]: z for z in sr.picture.snapshot()[1]}
    assert all(z["as_of"] == clock.now().isoformat() for z in mine.values())


def test_new_data_after_a_quiet_spell_is_refreshed_at_once_and_a_burst_waits_for_the_debounce(
        tiny_runtime: Runtime) -> None:
    """The debounce limits how often data refreshes the picture; it no longer delays every change."""
    import asyncio
    import contextlib

    from csm.topics import OBSERVATIONS_TOPIC, ObservationsMessage

    picture = tiny_runtime.sites["tiny"].picture
    notice = ObservationsMessage(site="tiny", sensors=["cam-a"])

    async def versions() -> tuple[int, int, int]:
        stop = asyncio.Event()
        task = asyncio.create_task(picture.run(stop, tick_seconds=60, debounce=30))
        while tiny_runtime.bus.subscriber_count(OBSERVATIONS_TOPIC) == 0:
            await asyncio.sleep(0.01)
        before = picture.version
        tiny_runtime.bus.publish(OBSERVATIONS_TOPIC, notice)
        for _ in range(200):  # well within the 30 s debounce
            if picture.version != before:
                break
            await asyncio.sleep(0.025)
        first = picture.version
        tiny_runtime.bus.publish(OBSERVATIONS_TOPIC, notice)  # right after a refresh: waits
        await asyncio.sleep(0.5)
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return before, first, picture.version

    before, first, after = asyncio.run(versions())
    assert first != before and after == first


def test_a_refresh_naming_most_sensors_reads_them_all_at_once(runtime: Runtime,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("csm.picture.live.WHOLE_READ_SHARE", 0.25)
    sr = runtime.sites["grid"]
    sr.picture.refresh()
    subsets: list[Any] = []
    read = runtime.store.latest_values

    def spy(site_id: str, as_of: Any, sensors: Any = None) -> Any:
        subsets.append(sensors)
        return read(site_id, as_of, sensors)

    monkeypatch.setattr(runtime.store, "latest_values", spy)
    sensors = sorted(sr.site.sensors)
    sr.picture.refresh(sensors[:1])
    sr.picture.refresh(sensors)  # every sensor: one read of the whole site
    assert subsets == [sensors[:1], None]
    assert same({z["zone_id"]: z for z in sr.picture.snapshot()[1]}, full_picture(runtime))


def test_under_sustained_data_refreshes_are_spaced_by_their_own_cost(
        tiny_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refresh taking 50 ms under a stream of data runs at most every BUSY_SPACING × 50 ms (10 × 50 ms:
    at most a tenth of the time goes to refreshing), not every debounce."""
    import asyncio
    import contextlib
    import time

    from csm.topics import OBSERVATIONS_TOPIC, ObservationsMessage

    picture = tiny_runtime.sites["tiny"].picture
    refresh = picture.refresh
    started: list[float] = []

    def slow_refresh(sensors: Any = None, every_zone: bool = False) -> Any:
        started.append(time.monotonic())
        time.sleep(0.05)
        return refresh(sensors, every_zone=every_zone)

    monkeypatch.setattr(picture, "refresh", slow_refresh)
    notice = ObservationsMessage(site="tiny", sensors=["cam-a"])

    async def flood() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(picture.run(stop, tick_seconds=60, debounce=0.01))
        while tiny_runtime.bus.subscriber_count(OBSERVATIONS_TOPIC) == 0:
            await asyncio.sleep(0.01)
        until = time.monotonic() + 1.6
        while time.monotonic() < until:
            tiny_runtime.bus.publish(OBSERVATIONS_TOPIC, notice)
            await asyncio.sleep(0.005)
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(flood())
    gaps = [b - a for a, b in itertools.pairwise(started)]
    assert 2 <= len(started) <= 4, started  # with the 10 ms debounce alone: about 25
    assert min(gaps) >= BUSY_SPACING * 0.05 - 0.02
