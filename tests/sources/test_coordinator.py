"""The coordinator with a real runtime (DuckDB file, FixedClock): poll, store, fail, retry, stale."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from csm.clock import FixedClock
from csm.domain.model import Observation
from csm.runtime import Runtime, build_runtime
from csm.sources.coordinator import coordinators_of, replay_shift
from tests.conftest import NOON
from tests.sources.conftest import coordinator_of, fixture_sources, write_sources


def stored(rt: Runtime, prefix: str) -> set[str]:
    frame = rt.store.observations_frame("scheveningen", NOON - timedelta(days=2), NOON + timedelta(days=90))
    return {s for s in frame["sensor_id"] if s.startswith(prefix)}


def test_every_fixture_source_polls_ok_and_lands_in_the_store(runtime: Runtime) -> None:
    coordinator = coordinator_of(runtime)
    statuses = {name: coordinator.poll(name) for name in coordinator.states}
    assert {n: s.status for n, s in statuses.items()} == dict.fromkeys(statuses, "ok"), statuses
    assert stored(runtime, "parking:") == {"parking:kurhaus", "parking:palace-promenade", "parking:haven"}
    assert stored(runtime, "traffic:") == {"traffic:GDH01_SCHEVENINGSEWEG_IN", "traffic:GDH01_ZWOLSESTRAAT_IN"}
    assert {"weather:scheveningen", "weather-forecast:scheveningen"} <= stored(runtime, "weather")
    assert "transit:2232101" in stored(runtime, "transit:")
    assert stored(runtime, "event:") >= {"event:strand-kurhaus", "event:gevers-deynootplein"}
    assert stored(runtime, "calendar:") == {"calendar:*"}
    # visitor estimates went through the ingest path: people counts for the est-* sensors
    assert stored(runtime, "est-") == {"est-strand-zuid", "est-strand-kurhaus", "est-haven"}
    metrics = runtime.metrics.render().decode()
    assert 'csm_observations_ingested_total{channel="source:visitors",site="scheveningen"} 12.0' in metrics
    assert statuses["parking"].age_seconds == 0.0  # updated 09:58: its 5-minute interval ends at noon


def test_polling_again_is_idempotent(runtime: Runtime) -> None:
    coordinator = coordinator_of(runtime)
    coordinator.poll("weather")
    count = runtime.store.count_observations("scheveningen")
    assert coordinator.poll("weather").summary == "38 values (0 new)"
    assert runtime.store.count_observations("scheveningen") == count


def test_malformed_feed_marks_only_that_source_failing(runtime: Runtime, source_site: Path) -> None:
    (source_site / "feeds" / "ndw_measurements.xml").write_bytes(b"<mc:messageContainer><mc:payl")
    coordinator = coordinator_of(runtime)
    statuses = {name: coordinator.poll(name) for name in coordinator.states}
    traffic = statuses.pop("traffic")
    assert traffic.status == "failing" and traffic.last_error is not None
    assert traffic.last_error.startswith("bad_format: not well-formed XML")
    assert traffic.last_success is None
    assert traffic.summary == "no good poll yet"  # the error is said once, in last_error
    assert {s.status for s in statuses.values()} == {"ok"}
    letters = runtime.store.list_dead_letters("scheveningen")
    assert [(d.channel, d.reason) for d in letters] == [("source:traffic", "bad_format")]
    assert letters[0].payload.startswith("<mc:messageContainer>")
    metrics = runtime.metrics.render().decode()
    assert 'csm_observations_rejected_total{channel="source:traffic",reason="bad_format",site="scheveningen"} 1.0' \
        in metrics
    assert 'csm_source_failing{site="scheveningen",source="traffic"} 1.0' in metrics
    assert stored(runtime, "traffic:") == set()


def test_wrong_protobuf_is_dead_lettered_as_base64(runtime: Runtime, source_site: Path) -> None:
    (source_site / "feeds" / "tripupdates.pb").write_bytes(b"\xff\xfe\x00garbage\x80")
    status = coordinator_of(runtime).poll("gtfs_realtime")
    assert status.status == "failing" and "GTFS-Realtime" in (status.last_error or "")
    assert runtime.store.list_dead_letters("scheveningen")[0].payload.startswith("base64:")


def test_missing_file_is_a_fetch_error_retried_with_backoff(source_site: Path, tmp_path: Path,
                                                            clock: FixedClock) -> None:
    sources = fixture_sources()
    sources["weather"].update(retries=3, backoff_seconds=0.5)
    write_sources(source_site, sources)
    rt = build_runtime([source_site], f"duckdb:{tmp_path / 'r.duckdb'}", clock=clock)
    (source_site / "feeds" / "buienradar.json").unlink()
    sleeps: list[float] = []
    status = coordinator_of(rt, sleeps).poll("weather")
    assert status.status == "failing" and (status.last_error or "").startswith("fetch failed: cannot read")
    assert len(sleeps) == 3
    for attempt, slept in enumerate(sleeps):  # 0.5, 1, 2 s plus up to 0.5 s jitter
        assert 0.5 * 2**attempt <= slept <= 0.5 * 2**attempt + 0.5
    rt.close()


def test_staleness_follows_the_clock_and_recovery_clears_the_error(runtime: Runtime, source_site: Path) -> None:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    coordinator = coordinator_of(runtime)
    assert coordinator.status("parking").status == "stale"  # never polled
    good_summary = coordinator.poll("parking").summary
    assert coordinator.status("parking").status == "ok"
    clock.advance(minutes=20)  # stale after 3 × 300 s without newer data
    assert coordinator.status("parking").status == "stale"
    feed = source_site / "feeds" / "parking" / "haven-dynamic.json"
    good = feed.read_text()
    feed.write_text(good.replace('"vacantSpaces": 141', '"vacantSpaces": "veel"'))
    failing = coordinator.poll("parking")
    assert failing.status == "failing" and "haven" in (failing.last_error or "")
    assert "good values kept" in (failing.last_error or "")
    assert failing.summary == f"last good poll: {good_summary}"  # not the error again
    assert coordinator.poll("parking").summary == failing.summary  # failing twice: said once
    feed.write_text(good)
    assert coordinator.poll("parking").last_error is None


def test_disabled_source_is_never_polled(source_site: Path, tmp_path: Path, clock: FixedClock) -> None:
    sources = fixture_sources()
    sources["weather"]["enabled"] = False
    write_sources(source_site, sources)
    rt = build_runtime([source_site], f"duckdb:{tmp_path / 'd.duckdb'}", clock=clock)
    coordinator = coordinator_of(rt)
    assert not coordinator.due("weather", clock.now())
    assert coordinator.status("weather").status == "disabled"
    rt.close()


def test_replay_moves_a_feed_to_the_clock_keeping_alignment() -> None:
    start = datetime(2026, 7, 18, 9, 55, tzinfo=UTC)
    feed = [Observation("s", "parking:x", "vacant", start, 300, 1.0),
            Observation("s", "weather:s", "temperature_c", datetime(2026, 7, 18, 9, 50, tzinfo=UTC), 600, 20.0),
            Observation("s", "weather-forecast:s", "day_sunshine_pct", datetime(2026, 7, 18, 22, tzinfo=UTC),
                        86_400, 80.0)]
    now = datetime(2026, 7, 18, 7, 33, tzinfo=UTC)
    moved = replay_shift(feed, now, "past")
    assert moved[0].interval_start == datetime(2026, 7, 18, 7, 25, tzinfo=UTC)  # ends 07:30, ≤ now
    assert moved[1].interval_start == datetime(2026, 7, 18, 7, 20, tzinfo=UTC)
    assert moved[2] == feed[2]  # day-level forecasts keep their day


async def test_coordinator_job_runs_with_the_runtime(runtime: Runtime) -> None:
    await runtime.start()
    try:
        coordinator = coordinators_of(runtime)["scheveningen"]
        for _ in range(100):
            if all(s.last_success or s.last_error for s in coordinator.statuses()):
                break
            await asyncio.sleep(0.05)
        assert {s.name: s.status for s in coordinator.statuses()} == dict.fromkeys(coordinator.states, "ok")
    finally:
        await runtime.stop()


def test_a_frozen_weather_feed_goes_stale_despite_its_day_forecasts(runtime: Runtime) -> None:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    coordinator = coordinator_of(runtime)
    assert coordinator.poll("weather").status == "ok"
    clock.advance(hours=13)  # 01:00 local on 19 July: the feed's first forecast day has begun
    status = coordinator.poll("weather")  # same file: observations still from 18 July 11:50
    assert status.status == "stale" and status.last_error is None
    assert status.age_seconds == 13 * 3600
