"""The storage interface every backend implements, and the plain records it speaks.

Timestamps crossing this interface are timezone-aware UTC datetimes (or pandas UTC timestamps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from csm.domain.model import Observation

ZONE_HISTORY_COLUMNS = ["zone_id", "ts", "occupancy", "density", "level", "stale"]
FORECAST_COLUMNS = ["zone_id", "ts", "p10", "p50", "p90"]


@dataclass(frozen=True, slots=True)
class WriteResult:
    inserted: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected input kept for inspection and replay: never silently dropped."""

    site_id: str | None
    channel: str  # http, mqtt, csv, source:<name>
    received_at: datetime
    reason: str
    field: str | None
    detail: str
    payload: str
    id: int | None = None


@dataclass(frozen=True, slots=True)
class LatestValue:
    sensor_id: str
    metric: str
    interval_start: datetime
    interval_seconds: int
    value: float


@dataclass(frozen=True, slots=True)
class LineBalance:
    """Decay-weighted sums of a line counter's crossings since a reset moment."""

    sensor_id: str
    inflow: float
    outflow: float
    last_interval_end: datetime | None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One entry of an append-only log (alerts lifecycle, audit trail, ...)."""

    id: int
    site_id: str
    stream: str
    ts: datetime
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SharedState:
    """One entry of the state every worker answers alike (a source's status, a training session,
    a job's health): the newest payload under (site, kind, key)."""

    site_id: str
    kind: str
    key: str
    payload: dict[str, Any]
    updated_at: datetime


class Store(Protocol):
    """What the rest of CSM needs from storage. Both backends pass one shared test suite."""

    url: str

    def write_observations(self, observations: Sequence[Observation], received_at: datetime) -> WriteResult:
        """Insert; an existing (site, sensor, interval_start, metric) is a duplicate and kept as is."""
        ...

    def latest_values(
        self, site_id: str, as_of: datetime, sensor_ids: Sequence[str] | None = None
    ) -> list[LatestValue]:
        """Per (sensor, metric), the newest interval that ended at or before `as_of` (of these
        sensors only, when given: the picture's incremental refresh)."""
        ...

    def line_balances(
        self, site_id: str, since: datetime, as_of: datetime, leak_per_hour: float,
        sensor_ids: Sequence[str] | None = None,
    ) -> list[LineBalance]:
        """In/out sums of intervals in [since, as_of), each weighted by (1-leak)^(hours before as_of);
        of these sensors only, when given."""
        ...

    def observations_frame(
        self, site_id: str, start: datetime, end: datetime, sensor_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Observations with interval_start in [start, end): sensor_id, metric, interval_start, ..."""
        ...

    def count_observations(self, site_id: str | None = None) -> int: ...

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> None: ...

    def list_dead_letters(
        self, site_id: str | None = None, limit: int = 100, reason: str | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[DeadLetter]:
        """Newest first, optionally only those of one site, with one reason, or with these ids."""
        ...

    def delete_dead_letters(self, ids: Sequence[int]) -> int: ...

    def purge_dead_letters(self, site_id: str, older_than: datetime) -> int:
        """Delete a site's dead letters received before `older_than` (retention: past it, the
        observations a replay would store are purged too)."""
        ...

    def write_zone_history(self, site_id: str, rows: pd.DataFrame) -> int:
        """Upsert zone snapshots (columns ZONE_HISTORY_COLUMNS)."""
        ...

    def zone_history(
        self, site_id: str, start: datetime, end: datetime, zone_ids: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Zone snapshots with ts in [start, end], ordered by zone and time."""
        ...

    def write_forecast(self, site_id: str, issued_at: datetime, rows: pd.DataFrame) -> int:
        """Store one forecast run (columns FORECAST_COLUMNS)."""
        ...

    def latest_forecast(self, site_id: str) -> tuple[datetime | None, pd.DataFrame]:
        """The newest forecast run: its issue time and rows."""
        ...

    def purge_observations(self, site_id: str, older_than: datetime) -> int:
        """Delete raw observations whose interval started before `older_than` (retention)."""
        ...

    def append_event(
        self, site_id: str, stream: str, ts: datetime, payload: dict[str, Any]
    ) -> int:
        """Append to an append-only log stream; returns the new entry's id (ever increasing)."""
        ...

    def read_events(
        self, site_id: str | None, stream: str, after_id: int = 0, limit: int = 1000
    ) -> list[StoredEvent]:
        """Entries of a stream with id > after_id, oldest first."""
        ...

    def put_state(self, site_id: str, kind: str, key: str, payload: dict[str, Any], at: datetime) -> None:
        """Replace the entry (site, kind, key) with `payload` (JSON-serialisable)."""
        ...

    def read_state(self, site_id: str | None, kind: str, key: str | None = None) -> list[SharedState]:
        """Entries of one kind (of one site, or all sites; one key or all), ordered by site and key."""
        ...

    def delete_state(self, site_id: str, kind: str, key: str) -> bool:
        """Remove one entry; False when there was none."""
        ...

    def close(self) -> None: ...
