"""A batch of observations of one site as columns: what ingest validation produces and what the
stores write, without building one Python object per row on the way (issue 17, item 3).

It is still a `Sequence[Observation]` (an item is built on demand), so every caller and wrapper
of `Store.write_observations` keeps working; the stores recognise it and take the columns as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import overload

from csm.domain.model import Observation


@dataclass(slots=True, eq=False)
class ObservationColumns(Sequence[Observation]):
    """Observations of site `site_id`, row i across the lists; `starts` are naive UTC (hashing and
    comparing naive datetimes never asks a time zone for its offset)."""

    site_id: str
    sensor_ids: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    starts: list[datetime] = field(default_factory=list)
    seconds: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    # (sensor, start) of every item appended; a repeat is the only way a key can repeat, so the
    # common batch skips the search for repeated keys.
    item_keys: set[tuple[str, datetime]] = field(default_factory=set)
    repeats: bool = False

    def add_item_key(self, sensor_id: str, start_naive_utc: datetime) -> None:
        """Note one item (all its metrics share the key); producers that bypass `append` call it."""
        key = (sensor_id, start_naive_utc)
        if key in self.item_keys:
            self.repeats = True
        else:
            self.item_keys.add(key)

    def append(self, sensor_id: str, metric: str, start_naive_utc: datetime, seconds: int, value: float) -> None:
        self.add_item_key(sensor_id, start_naive_utc)
        self.sensor_ids.append(sensor_id)
        self.metrics.append(metric)
        self.starts.append(start_naive_utc)
        self.seconds.append(seconds)
        self.values.append(value)

    def append_observation(self, observation: Observation) -> None:
        """One observation of this site (aware `interval_start`, any zone)."""
        start = observation.interval_start.astimezone(UTC).replace(tzinfo=None)
        self.append(observation.sensor_id, observation.metric, start, observation.interval_seconds,
                    float(observation.value))

    def first_of_each_key(self) -> list[int] | None:
        """Row numbers to keep when a key (sensor, start, metric) repeats in the batch (the first
        wins, as in every store), or None when every key is unique, the usual case."""
        if not self.repeats:
            return None
        keys = list(zip(self.sensor_ids, self.starts, self.metrics, strict=True))
        if len(set(keys)) == len(keys):
            return None
        seen: set[tuple[str, datetime, str]] = set()
        keep = []
        for row, key in enumerate(keys):
            if key not in seen:
                seen.add(key)
                keep.append(row)
        return keep

    def sensors(self) -> list[str]:
        """The distinct sensors of the batch, sorted."""
        return sorted(set(self.sensor_ids))

    def __len__(self) -> int:
        return len(self.sensor_ids)

    @overload
    def __getitem__(self, index: int) -> Observation: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Observation]: ...

    def __getitem__(self, index: int | slice) -> Observation | Sequence[Observation]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return Observation(self.site_id, self.sensor_ids[index], self.metrics[index],
                           self.starts[index].replace(tzinfo=UTC), self.seconds[index], self.values[index])

    def __iter__(self) -> Iterator[Observation]:
        for row in range(len(self)):
            yield self[row]
