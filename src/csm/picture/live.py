"""Keeps the current picture of one site: recomputes on new data and on a timer, publishes changes,
and writes zone snapshots to the history that charts and forecasts use."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from csm.bus import Bus
from csm.clock import Clock
from csm.domain.model import ZoneState
from csm.jobs import job_failed, job_succeeded
from csm.metrics import Metrics
from csm.picture.nowcast import compute_zone_states, last_reset
from csm.picture.serialize import visible_change, zone_state_dict, zones_message
from csm.site.model import Site
from csm.store.base import Store
from csm.topics import OBSERVATIONS_TOPIC, ZONES_TOPIC

log = logging.getLogger(__name__)
# Process-wide, so a version never repeats, not even across PictureService instances.
_VERSIONS = itertools.count(1)
HISTORY_STEP = timedelta(minutes=5)


def floor_time(moment: datetime, step: timedelta) -> datetime:
    seconds = int(step.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=moment.tzinfo)


class PictureService:
    def __init__(
        self,
        site: Site,
        store: Store,
        clock: Clock,
        bus: Bus,
        metrics: Metrics,
        history_step: timedelta = HISTORY_STEP,
    ) -> None:
        self.site = site
        self.store = store
        self.clock = clock
        self.bus = bus
        self.metrics = metrics
        self.history_step = history_step
        self._lock = threading.Lock()
        self._current: dict[str, dict[str, Any]] = {}
        self._states: list[ZoneState] = []
        self._as_of: datetime | None = None
        self._version = 0
        self._last_history_slot: datetime | None = None

    def compute(self, as_of: datetime) -> list[ZoneState]:
        reset = last_reset(as_of, self.site.defaults.line_counter_reset, self.site)
        latest = self.store.latest_values(self.site.id, as_of)
        balances = self.store.line_balances(
            self.site.id, reset, as_of, self.site.defaults.line_counter_leak_per_hour
        )
        return compute_zone_states(self.site, as_of, latest, balances)

    def refresh(self) -> list[dict[str, Any]]:
        """Recompute now; returns the zones whose visible state changed (also published)."""
        as_of = self.clock.now()
        states = self.compute(as_of)
        snapshot = {s.zone_id: zone_state_dict(s, self.site) for s in states}
        with self._lock:
            changed = [d for z, d in snapshot.items() if visible_change(self._current.get(z), d)]
            self._current = snapshot
            self._states = states
            self._as_of = as_of
            self._version = next(_VERSIONS)
        self._update_metrics(states)
        self._maybe_write_history(as_of, states)
        if changed:
            self.bus.publish(ZONES_TOPIC, zones_message(self.site.id, as_of, changed))
        return changed

    def snapshot(self) -> tuple[datetime | None, list[dict[str, Any]]]:
        with self._lock:
            return self._as_of, list(self._current.values())

    def states(self) -> tuple[datetime | None, list[ZoneState]]:
        """The last computed zone states, typed and unrounded: what stages judging the picture
        (the advice engine) read, rather than the rounded answer of `snapshot`."""
        with self._lock:
            return self._as_of, list(self._states)

    def versioned_snapshot(self) -> tuple[int, datetime | None, list[dict[str, Any]]]:
        """The snapshot and a number that changes with every refresh (for caching answers)."""
        with self._lock:
            return self._version, self._as_of, list(self._current.values())

    def _update_metrics(self, states: list[ZoneState]) -> None:
        site = self.site.id
        for state in states:
            self.metrics.zone_level.labels(site, state.zone_id).set(state.level.rank)
            if state.occupancy is not None:
                self.metrics.zone_occupancy.labels(site, state.zone_id).set(state.occupancy)
            for source in state.sources:
                if source.age_seconds is not None:
                    self.metrics.source_age.labels(site, source.sensor_id).set(source.age_seconds)
                self.metrics.source_stale.labels(site, source.sensor_id).set(int(source.stale))

    def _maybe_write_history(self, as_of: datetime, states: list[ZoneState]) -> None:
        slot = floor_time(as_of, self.history_step)
        if slot == self._last_history_slot:
            return
        self._last_history_slot = slot
        self.store.write_zone_history(self.site.id, history_rows(slot, states))

    def rebuild_history(self, start: datetime, end: datetime) -> int:
        """Recompute snapshots at every history step in [start, end] (after late data or a backfill)."""
        slot = floor_time(start, self.history_step)
        frames = []
        while slot <= end:
            frames.append(history_rows(slot, self.compute(slot)))
            slot += self.history_step
        if not frames:
            return 0
        return self.store.write_zone_history(self.site.id, pd.concat(frames, ignore_index=True))

    async def run(self, stop: asyncio.Event, tick_seconds: float = 2.0, debounce: float = 0.25) -> None:
        """Refresh on new observations (debounced) and at least every tick (staleness moves on)."""
        async with self.bus.subscribe(OBSERVATIONS_TOPIC) as queue:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(queue.get(), timeout=tick_seconds)
                    await asyncio.sleep(debounce)
                    while not queue.empty():
                        queue.get_nowait()
                except TimeoutError:
                    pass
                try:
                    await asyncio.to_thread(self.refresh)
                except Exception as exc:  # keep the picture alive; logged, counted and retried
                    job_failed(exc, f"picture refresh of site {self.site.id}")
                else:
                    job_succeeded()


def history_rows(slot: datetime, states: list[ZoneState]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "zone_id": [s.zone_id for s in states],
            "ts": [slot] * len(states),
            "occupancy": pd.array([s.occupancy for s in states], dtype="Float64"),
            "density": pd.array([s.density_per_m2 for s in states], dtype="Float64"),
            "level": [s.level.value for s in states],
            "stale": [s.stale for s in states],
        }
    )
