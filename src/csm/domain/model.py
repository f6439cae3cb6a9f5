"""Domain types shared by every layer (ingest, store, picture, api)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Level(StrEnum):
    """Crowd level colour codes as used by Dutch crowd managers."""

    GREEN = "green"
    YELLOW = "yellow"
    ORANGE = "orange"
    RED = "red"
    UNKNOWN = "unknown"  # no usable data ever: never shown as calm

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {
    Level.UNKNOWN: -1,
    Level.GREEN: 0,
    Level.YELLOW: 1,
    Level.ORANGE: 2,
    Level.RED: 3,
}

ORDERED_LEVELS = (Level.GREEN, Level.YELLOW, Level.ORANGE, Level.RED)


class SensorKind(StrEnum):
    """How a sensor's numbers turn into a zone occupancy."""

    LINE_COUNTER = "line_counter"  # counts crossings of a line, in and out
    AREA_COUNTER = "area_counter"  # counts persons present in (part of) an area
    VISITOR_ESTIMATE = "visitor_estimate"  # anonymous aggregated estimate per area (Resono-style)


# Metrics each kind of people-counting sensor may report.
METRICS_BY_KIND: dict[SensorKind, frozenset[str]] = {
    SensorKind.LINE_COUNTER: frozenset({"in", "out"}),
    SensorKind.AREA_COUNTER: frozenset({"occupancy"}),
    SensorKind.VISITOR_ESTIMATE: frozenset({"visitors"}),
}


@dataclass(frozen=True, slots=True)
class Observation:
    """One aggregated number for one interval from one sensor (or source).

    Idempotency key: (site_id, sensor_id, interval_start, metric).
    `interval_start` is timezone-aware UTC.
    """

    site_id: str
    sensor_id: str
    metric: str
    interval_start: datetime
    interval_seconds: int
    value: float

    @property
    def key(self) -> tuple[str, str, datetime, str]:
        return (self.site_id, self.sensor_id, self.interval_start, self.metric)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one input item was refused: a reason code, the offending field and a human detail."""

    reason: str
    field: str | None
    detail: str
    index: int | None = None


@dataclass(frozen=True, slots=True)
class SourceFreshness:
    """How recent a sensor's data is, relative to what it promises."""

    sensor_id: str
    last_interval_end: datetime | None
    age_seconds: float | None
    stale: bool


@dataclass(frozen=True, slots=True)
class ZoneState:
    """The live picture of one zone at one moment."""

    zone_id: str
    name: str
    occupancy: float | None
    density_per_m2: float | None
    level: Level
    capacity: float
    walkable_area_m2: float
    stale: bool
    as_of: datetime
    last_data_at: datetime | None
    sources: tuple[SourceFreshness, ...] = field(default_factory=tuple)

    @property
    def utilisation(self) -> float | None:
        if self.occupancy is None or self.capacity <= 0:
            return None
        return self.occupancy / self.capacity
