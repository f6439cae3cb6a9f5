"""Keeps the current picture of one site: recomputes on new data and on a timer, publishes changes,
and writes zone snapshots to the history that charts and forecasts use.

New data triggers an incremental refresh: only the sensors named by the ingest messages are read
from the store and only the zones they feed are recomputed (a 1,000-zone site no longer reads and
recomputes everything because one counter reported). The timer tick recomputes every zone at least
every `tick_seconds`, so ages, staleness and the decay of line balances move on — from the inputs
already read, since time alone moves them; the store is read in full only every `resync_seconds`
(and at a daily reset or a history slot), which catches writes no bus message announced.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from csm.bus import Bus
from csm.clock import Clock
from csm.domain.model import ZoneState
from csm.jobs import job_failed, job_succeeded
from csm.metrics import Metrics
from csm.picture.inputs import PictureInputs
from csm.picture.nowcast import compute_zone_states, last_reset, zone_states
from csm.picture.serialize import visible_change, zone_state_dicts, zones_message
from csm.site.model import Site
from csm.store.base import Store
from csm.topics import OBSERVATIONS_TOPIC, ZONES_TOPIC, BusMessage, ObservationsMessage

log = logging.getLogger(__name__)
# Process-wide, so a version never repeats, not even across PictureService instances.
_VERSIONS = itertools.count(1)
HISTORY_STEP = timedelta(minutes=5)
# An incremental refresh naming more than this share of a site's sensors becomes a full one.
WHOLE_READ_SHARE = 0.25
# Under sustained data, refreshes are spaced so that they take at most 1 / BUSY_SPACING of the time.
# (4 left a fifth of an ingesting process's time to refreshes of 1,000 sensors, 15 % of its CPU
# in a profile; at 10 a 50 ms refresh comes every half second, still four times per dashboard poll.)
BUSY_SPACING = 10.0
# A tick re-reads the whole store at most this often. Reading it on every 2-second tick was a third
# of the tick's cost at 1,000 zones (11 of ~35 ms, in every API worker), for data that the bus
# announces anyway; a write it did not announce (another process without the bus) shows within this.
RESYNC_SECONDS = 10.0


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
        self._states: dict[str, ZoneState] = {}
        self._as_of: datetime | None = None
        self._version = 0
        self._last_history_slot: datetime | None = None
        self._inputs: PictureInputs | None = None
        self._refresh_lock = threading.Lock()  # one refresh at a time: they share the inputs
        self._gauges: dict[Any, tuple[Any, Any]] = {}

    def compute(self, as_of: datetime) -> list[ZoneState]:
        reset = last_reset(as_of, self.site.defaults.line_counter_reset, self.site)
        latest = self.store.latest_values(self.site.id, as_of)
        balances = self.store.line_balances(
            self.site.id, reset, as_of, self.site.defaults.line_counter_leak_per_hour
        )
        return compute_zone_states(self.site, as_of, latest, balances)

    def refresh(self, changed_sensors: Iterable[str] | None = None, *,
                every_zone: bool = False) -> list[dict[str, Any]]:
        """Recompute now; returns the zones whose visible state changed (also published).

        With `changed_sensors`, only those sensors are read and only the zones they feed are
        recomputed (the others keep their state and its `as_of`) — or, with `every_zone`, every
        zone from the inputs kept (the tick: time alone moves ages, staleness and decay). Everything
        is read and recomputed when no earlier inputs exist, a daily reset or a history slot has
        passed, or on None."""
        with self._refresh_lock:
            as_of = self.clock.now()
            states = (self._incremental(as_of, changed_sensors, every_zone) if changed_sensors is not None
                      else None)
            whole = states is None or every_zone
            if states is None:
                states = self._full(as_of)
            fresh = zone_state_dicts(states, self.site)
            with self._lock:
                previous = self._current
                changed = [d for z, d in fresh.items() if visible_change(previous.get(z), d)]
                self._current = fresh if whole else {**previous, **fresh}
                recomputed = {s.zone_id: s for s in states}
                self._states = recomputed if whole else {**self._states, **recomputed}
                self._as_of = as_of
                self._version = next(_VERSIONS)
            self._update_metrics(states)
            if whole:
                self._maybe_write_history(as_of, states)
        if changed:
            self.bus.publish(ZONES_TOPIC, zones_message(self.site.id, as_of, changed))
        return changed

    def _full(self, as_of: datetime) -> list[ZoneState]:
        defaults = self.site.defaults
        reset = last_reset(as_of, defaults.line_counter_reset, self.site)
        latest = self.store.latest_values(self.site.id, as_of)
        balances = self.store.line_balances(self.site.id, reset, as_of, defaults.line_counter_leak_per_hour)
        self._inputs = PictureInputs.read(reset, as_of, 1.0 - defaults.line_counter_leak_per_hour, latest, balances)
        return zone_states(self.site, as_of, self._inputs.latest, self._inputs.balances)

    def _incremental(self, as_of: datetime, changed_sensors: Iterable[str],
                     every_zone: bool = False) -> list[ZoneState] | None:
        """States of the zones fed by `changed_sensors` (of every zone with `every_zone`), or None
        when a full refresh is due."""
        inputs = self._inputs
        defaults = self.site.defaults
        if (inputs is None or as_of < inputs.as_of
                or last_reset(as_of, defaults.line_counter_reset, self.site) != inputs.reset
                or floor_time(as_of, self.history_step) != self._last_history_slot):
            return None
        sensors = sorted({s for s in changed_sensors if s in self.site.sensors})
        if len(sensors) > len(self.site.sensors) * WHOLE_READ_SHARE:
            return None  # reading most sensors one by one costs more than reading them all
        if sensors:
            inputs.replace(
                sensors, as_of,
                self.store.latest_values(self.site.id, as_of, sensors),
                self.store.line_balances(self.site.id, inputs.reset, as_of, defaults.line_counter_leak_per_hour,
                                         sensors),
            )
        if every_zone:
            return zone_states(self.site, as_of, inputs.latest, inputs.balances_at(as_of, self.site.sensors))
        zones = list(dict.fromkeys(z for s in sensors for z in self.site.zones_of_sensor(s)))
        feeding = {s.id for z in zones for s in self.site.sensors_of_zone(z)}
        return zone_states(self.site, as_of, inputs.latest, inputs.balances_at(as_of, feeding), zones)

    def snapshot(self) -> tuple[datetime | None, list[dict[str, Any]]]:
        with self._lock:
            return self._as_of, list(self._current.values())

    def states(self) -> tuple[datetime | None, list[ZoneState]]:
        """The last computed zone states, typed and unrounded: what stages judging the picture
        (the advice engine) read, rather than the rounded answer of `snapshot`."""
        with self._lock:
            return self._as_of, list(self._states.values())

    @property
    def version(self) -> int:
        """The number of the current picture (an int read needs no lock)."""
        return self._version

    def versioned_snapshot(self) -> tuple[int, datetime | None, list[dict[str, Any]]]:
        """The snapshot and a number that changes with every refresh (for caching answers)."""
        with self._lock:
            return self._version, self._as_of, list(self._current.values())

    def _update_metrics(self, states: list[ZoneState]) -> None:
        for state in states:
            level, occupancy = self._zone_gauges(state.zone_id)
            level.set(state.level.rank)
            if state.occupancy is not None:
                occupancy.set(state.occupancy)
            for source in state.sources:
                age, stale = self._source_gauges(source.sensor_id)
                if source.age_seconds is not None:
                    age.set(source.age_seconds)
                stale.set(int(source.stale))

    def _zone_gauges(self, zone_id: str) -> tuple[Any, Any]:
        """A zone's gauge children, looked up once (a label look-up costs more than the set)."""
        found = self._gauges.get(zone_id)
        if found is None:
            site = self.site.id
            found = self._gauges[zone_id] = (self.metrics.zone_level.labels(site, zone_id),
                                             self.metrics.zone_occupancy.labels(site, zone_id))
        return found

    def _source_gauges(self, sensor_id: str) -> tuple[Any, Any]:
        found = self._gauges.get(("source", sensor_id))
        if found is None:
            site = self.site.id
            found = self._gauges[("source", sensor_id)] = (self.metrics.source_age.labels(site, sensor_id),
                                                           self.metrics.source_stale.labels(site, sensor_id))
        return found

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

    async def run(self, stop: asyncio.Event, tick_seconds: float = 2.0, debounce: float = 0.25,
                  resync_seconds: float = RESYNC_SECONDS) -> None:
        """Refresh on new observations (incremental) and every zone at least every tick (staleness
        and line-balance decay move on), reading the whole store again every `resync_seconds`.

        New data after a quiet spell is refreshed at once; while data keeps arriving, refreshes
        come at most every `debounce` seconds — or, when a refresh takes longer than a tenth of
        that, every BUSY_SPACING times its duration — and take in everything that arrived
        meanwhile. (A fixed wait before every refresh put `debounce` on top of every change's way
        to the screen; refreshing as often under a flood of data took half the CPU that the
        ingest itself needed.)"""
        last_tick = last_read = time.monotonic()
        last_refresh = -math.inf
        spacing = debounce
        async with self.bus.subscribe(OBSERVATIONS_TOPIC) as queue:
            while not stop.is_set():
                sensors: set[str] | None = set()
                data = False
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=tick_seconds)
                    wait = spacing - (time.monotonic() - last_refresh)
                    if wait > 0:
                        await asyncio.sleep(wait)
                    data = True
                    for msg in [message, *_drain(queue)]:
                        if isinstance(msg, ObservationsMessage):
                            if msg.site != self.site.id:
                                continue
                            if sensors is not None:
                                sensors.update(msg.sensors)
                        else:
                            sensors = None  # a resync (a bus that lost messages): read them all
                except TimeoutError:
                    pass
                now = time.monotonic()
                tick = now - last_tick >= tick_seconds
                if sensors is not None and tick and now - last_read >= resync_seconds:
                    sensors = None
                if sensors is None:
                    last_read = now
                if sensors is None or tick:
                    last_tick = now
                elif not sensors:
                    continue  # woken early, or by another site's data: nothing to recompute
                started = time.monotonic()
                try:
                    await asyncio.to_thread(self.refresh, sensors, every_zone=tick)
                except Exception as exc:  # keep the picture alive; logged, counted and retried
                    job_failed(exc, f"picture refresh of site {self.site.id}")
                else:
                    job_succeeded()
                if data:  # data-driven refreshes only: a tick does not delay data
                    last_refresh = time.monotonic()
                    spacing = max(debounce, BUSY_SPACING * (last_refresh - started))


def _drain(queue: asyncio.Queue[BusMessage]) -> list[BusMessage]:
    messages: list[BusMessage] = []
    while not queue.empty():
        messages.append(queue.get_nowait())
    return messages


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
