"""Levels with hysteresis and dwell: no flapping at a threshold, slow to stand down."""

from __future__ import annotations

from datetime import timedelta

from csm.advice.hysteresis import HysteresisSettings, TrackedLevel, candidate_level, step_level
from csm.domain.levels import DensityThresholds
from csm.domain.model import Level
from tests.advice.conftest import NOW

T = DensityThresholds(0.43, 1.11, 2.0)
S = HysteresisSettings(band=0.1, up_dwell=timedelta(minutes=2), down_dwell=timedelta(minutes=10))


def run(densities: list[float], start: Level = Level.YELLOW) -> tuple[list[Level], int]:
    """Feed one density per minute; returns the committed level after each and the change count."""
    tracked = TrackedLevel(start, NOW)
    levels, changes = [], 0
    for minute, density in enumerate(densities):
        cand = candidate_level(tracked.level, density, T, band=S.band)
        tracked, change = step_level("z", tracked, cand, NOW + timedelta(minutes=minute), S)
        changes += change is not None
        levels.append(tracked.level)
    return levels, changes


def test_going_up_waits_for_the_up_dwell() -> None:
    levels, changes = run([1.2, 1.2, 1.2, 1.2])
    assert levels == [Level.YELLOW, Level.YELLOW, Level.ORANGE, Level.ORANGE]
    assert changes == 1


def test_hovering_at_a_threshold_does_not_flap() -> None:
    # Alternates just above and just below orange (1.11) every minute for an hour.
    levels, changes = run([1.12, 1.09] * 30)
    assert changes == 0  # never 2 minutes in a row above: the up clock restarts each time
    levels, changes = run([1.12, 1.12, 1.12] + [1.05, 1.12] * 30)
    assert changes == 1 and levels[-1] is Level.ORANGE  # up once, and 1.05 is inside the band


def test_going_down_needs_the_band_and_the_down_dwell() -> None:
    # Orange ends at 1.11; with a 10 % band a zone stands down only below 0.999.
    levels, _ = run([1.0] * 30, start=Level.ORANGE)
    assert set(levels) == {Level.ORANGE}
    levels, changes = run([0.9] * 12, start=Level.ORANGE)
    assert levels[9] is Level.ORANGE and levels[10] is Level.YELLOW and changes == 1


def test_interrupted_wait_starts_again() -> None:
    levels, _ = run([1.2, 0.5, 1.2, 1.2, 1.2])
    assert levels == [Level.YELLOW, Level.YELLOW, Level.YELLOW, Level.YELLOW, Level.ORANGE]


def test_escalation_keeps_its_clock_when_it_gets_worse() -> None:
    levels, _ = run([1.2, 2.5, 2.5])
    assert levels == [Level.YELLOW, Level.YELLOW, Level.RED]


def test_capacity_makes_red_and_unknown_keeps_the_level() -> None:
    assert candidate_level(Level.GREEN, 0.5, T, occupancy=1000, capacity=900) is Level.RED
    tracked = TrackedLevel(Level.RED, NOW, Level.ORANGE, NOW)
    tracked, change = step_level("z", tracked, Level.UNKNOWN, NOW + timedelta(hours=1), S)
    assert change is None and tracked.level is Level.RED and tracked.pending is None


def test_first_reading_is_committed_at_once() -> None:
    tracked, change = step_level("z", TrackedLevel(), Level.ORANGE, NOW, S)
    assert tracked.level is Level.ORANGE and change is not None and change.previous is Level.UNKNOWN
