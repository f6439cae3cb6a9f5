"""What features get from the wiring, without importing it: the per-site services, the shared
services (store, bus, clock, metrics), a typed place for each feature's state, and named jobs.

`csm.runtime` builds these and starts the jobs; features (advice, forecasts, sources, training,
retention) import only this module, so dependencies point one way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from csm.bus import Bus
from csm.clock import Clock
from csm.ingest.pipeline import IngestService
from csm.jobs import BackgroundJob, Job
from csm.metrics import Metrics
from csm.picture.live import PictureService
from csm.site.model import Site
from csm.store.base import Store

__all__ = ["BackgroundJob", "FeatureState", "Job", "Services", "SiteRuntime", "Slot"]
T = TypeVar("T")


@dataclass
class SiteRuntime:
    """One site's ingest path and live picture (every process has its own picture)."""

    site: Site
    ingest: IngestService
    picture: PictureService


class Slot(Generic[T]):
    """A typed key for one feature's state in `FeatureState` (made on first use by `factory`).

    State kept in a slot is a process-local cache of what the store holds, or process-local
    plumbing (HTTP clients, coordinators of the jobs this process runs): what users see is read
    from the store, so every worker answers the same.
    """

    def __init__(self, name: str, factory: Callable[[], T]) -> None:
        self.name = name
        self.factory = factory

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


class FeatureState:
    """Each feature's state in one runtime, under its typed `Slot` (no module-level registries)."""

    def __init__(self) -> None:
        self._values: dict[Slot[Any], Any] = {}
        self._lock = threading.Lock()

    def get(self, slot: Slot[T]) -> T:
        found: T | None = self._values.get(slot)  # a made value never changes: no lock to read it
        if found is not None:
            return found
        with self._lock:
            if slot not in self._values:
                self._values[slot] = slot.factory()
            value: T = self._values[slot]
            return value

    def peek(self, slot: Slot[T]) -> T | None:
        """The slot's value if a feature made it, else None (never creates it)."""
        with self._lock:
            found: T | None = self._values.get(slot)
            return found


class Services(Protocol):
    """What a job or feature may use of the runtime."""

    store: Store
    bus: Bus
    clock: Clock
    metrics: Metrics
    sites: dict[str, SiteRuntime]
    state: FeatureState

