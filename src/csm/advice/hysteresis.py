"""Stable zone levels: hysteresis and minimum dwell time, so a zone hovering at a threshold does
not flap between colours (each flap would page people and start or stop measures).

- Up: a zone moves up as soon as its density reaches the next threshold (no band) and stays
  there for `up_dwell`.
- Down: it moves down only when its density is `band` (e.g. 10 %) below the threshold it crossed,
  for `down_dwell` (longer than up: stopping measures too early is the costly mistake).
- No data (unknown) never lowers a level: it keeps the last stable one and clears what was pending.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from csm.domain.levels import DensityThresholds, level_for_density
from csm.domain.model import Level


@dataclass(frozen=True, slots=True)
class HysteresisSettings:
    band: float = 0.1
    up_dwell: timedelta = timedelta(minutes=2)
    down_dwell: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if not 0 <= self.band < 1:
            raise ValueError("band must be in [0, 1)")


@dataclass(frozen=True, slots=True)
class TrackedLevel:
    """A zone's committed level and the level it is waiting to move to."""

    level: Level = Level.UNKNOWN
    since: datetime | None = None
    pending: Level | None = None
    pending_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class LevelChange:
    zone_id: str
    previous: Level
    level: Level
    at: datetime


def candidate_level(
    current: Level,
    density_per_m2: float | None,
    thresholds: DensityThresholds,
    occupancy: float | None = None,
    capacity: float | None = None,
    band: float = 0.1,
) -> Level:
    """The level a zone would move to from `current`: thresholds as usual going up, lowered by
    `band` going down (scaling the density up by 1/(1-band) is the same as lowering them)."""
    raw = level_for_density(density_per_m2, thresholds, occupancy, capacity)
    if raw is Level.UNKNOWN or current is Level.UNKNOWN or raw.rank >= current.rank:
        return raw
    scale = 1 / (1 - band)
    assert density_per_m2 is not None
    relaxed = level_for_density(
        density_per_m2 * scale, thresholds, None if occupancy is None else occupancy * scale, capacity
    )
    return relaxed if relaxed.rank < current.rank else current


def _direction(level: Level, towards: Level) -> int:
    return (towards.rank > level.rank) - (towards.rank < level.rank)


def step_level(
    zone_id: str,
    tracked: TrackedLevel,
    candidate: Level,
    now: datetime,
    settings: HysteresisSettings,
) -> tuple[TrackedLevel, LevelChange | None]:
    """Advance one zone's tracker by one observation; returns the new tracker and a change, if any."""
    if candidate is Level.UNKNOWN:
        return replace(tracked, pending=None, pending_since=None), None
    if tracked.level is Level.UNKNOWN:  # first reading: nothing to flap from
        return TrackedLevel(candidate, now), LevelChange(zone_id, Level.UNKNOWN, candidate, now)
    if candidate is tracked.level:
        return replace(tracked, pending=None, pending_since=None), None
    direction = _direction(tracked.level, candidate)
    pending_since = now
    if (
        tracked.pending is not None
        and tracked.pending_since is not None
        and _direction(tracked.level, tracked.pending) == direction
    ):
        pending_since = tracked.pending_since  # still heading the same way: the clock keeps running
    dwell = settings.up_dwell if direction > 0 else settings.down_dwell
    if now - pending_since >= dwell:
        change = LevelChange(zone_id, tracked.level, candidate, now)
        return TrackedLevel(candidate, now), change
    return replace(tracked, pending=candidate, pending_since=pending_since), None
