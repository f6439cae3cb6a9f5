"""A training session: a site's day replayed in a sandbox with its own in-memory store, bus and
simulated clock, so nothing a trainee or trainer does can reach live data.

Readings come from the synthetic day model (csm.synthetic.day, a scripted day) or from the live store's recorded
observations of a past day (read once, never written). They go through the sandbox's own ingest
and picture, the same code as live, so the dashboard shows a sandbox zone exactly as a live one.
The session advances when asked (each state request, or a tick): readings up to the session's
clock are ingested, with active incidents applied, in whole FEED_STEP slices, and the sandbox's
alerts (csm.training.advisor) are judged at the end of each slice, so what a sandbox holds depends
on the session's clock only, not on when it was asked. A jump back rebuilds the sandbox and replays
the day to the earlier moment (`epoch` counts the rewinds, so other workers rebuild too).

What defines a session (site, mode, start, clock, incidents) is plain data (`spec`), kept in the
store by the registry: any API worker rebuilds the same sandbox from it (`restore_session`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import pandas as pd

from csm.bus import LocalBus
from csm.clock import SimulatedClock
from csm.domain.model import SensorKind
from csm.ingest.pipeline import IngestService
from csm.metrics import Metrics
from csm.picture.live import PictureService, floor_time
from csm.picture.nowcast import last_reset
from csm.site.model import Site
from csm.store.base import Store
from csm.store.factory import open_store
from csm.synthetic.day import DaySimulator
from csm.training.advisor import SandboxAdvisor
from csm.training.incidents import Incident, IncidentSchema, failed_sensors, make_incident, surges_at

Mode = Literal["scripted", "recorded"]
SURGE_RAMP = timedelta(minutes=5)  # a surge arrives (and leaves) over this
# One jump ahead replays at most this much: every minute is fed and judged (nothing skipped, so a
# sandbox at a moment is the same however it got there: on every worker, after every rewind).
MAX_JUMP_AHEAD = timedelta(hours=3)
FEED_STEP = timedelta(minutes=1)  # readings are fed in slices on this grid of simulated time
CHANNEL = "training"


class TrainingError(ValueError):
    pass


@dataclass
class TrainingSession:
    id: str
    site: Site
    mode: Mode
    clock: SimulatedClock
    store: Store
    ingest: IngestService
    picture: PictureService
    created_by: str | None = None
    sim: DaySimulator | None = None
    recorded: pd.DataFrame | None = None
    incidents: list[Incident] = field(default_factory=list)
    fed_until: datetime | None = None
    start: datetime | None = None
    revision: int = 0
    epoch: int = 0  # how many times the session was rewound (a rebuilt sandbox)
    advisor: SandboxAdvisor | None = None
    # Called after every change of the clock or the incidents (the registry stores the spec).
    on_change: Callable[[TrainingSession], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- control ------------------------------------------------------------------------------
    def pause(self) -> None:
        self.advance()
        self.clock.pause()
        self._changed()

    def resume(self) -> None:
        self.clock.resume()
        self._changed()

    def set_speed(self, speed: float) -> None:
        self.clock.set_speed(speed)
        self._changed()

    def jump_to(self, moment: datetime) -> bool:
        """Move the session's clock; back (before what was fed) rebuilds the sandbox and replays the
        day to `moment`. Returns True when it was a rewind."""
        assert self.start is not None
        if moment < self.start:
            raise TrainingError(f"the session starts at {self.start.isoformat()}: cannot jump before it")
        if moment > self.day_end():
            raise TrainingError(f"the session's day ends at {self.day_end().isoformat()}")
        rewind = self.fed_until is not None and moment < self.fed_until
        if not rewind and moment - self.clock.now() > MAX_JUMP_AHEAD:
            hours = MAX_JUMP_AHEAD.total_seconds() / 3600
            raise TrainingError(f"jump at most {hours:g} h ahead at a time (every minute is replayed)")
        if rewind:
            with self._lock:
                self._rebuild()
                self.epoch += 1
        self.clock.jump_to(moment)
        self.advance()
        self._changed()
        return rewind

    def day_end(self) -> datetime:
        """The end of the replayed day (local midnight): the furthest a session may go."""
        assert self.start is not None
        local = self.start.astimezone(self.site.tz).date() + timedelta(days=1)
        return datetime.combine(local, time(0), tzinfo=self.site.tz).astimezone(UTC)

    def inject(self, spec: IncidentSchema) -> Incident:
        self._check_incident(spec)
        if spec.at is not None and self.fed_until is not None and spec.at < self.fed_until:
            raise TrainingError("an incident starts now or later in the session (jump back first to place it earlier)")
        with self._lock:
            incident = make_incident(len(self.incidents) + 1, spec, self.clock.now())
            self.incidents.append(incident)
        self.advance()
        self._changed()
        return incident

    def _changed(self) -> None:
        self.revision += 1
        if self.on_change is not None:
            self.on_change(self)

    # -- as plain data, for every worker ----------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        assert self.start is not None
        return {
            "id": self.id, "site": self.site.id, "mode": self.mode, "created_by": self.created_by,
            "start": self.start.isoformat(), "clock": self.clock.anchor(), "revision": self.revision,
            "epoch": self.epoch,
            "incidents": [{"id": i.id, "spec": i.spec.model_dump(mode="json"), "start": i.start.isoformat(),
                           "end": i.end.isoformat() if i.end else None} for i in self.incidents],
        }

    def follow(self, spec: dict[str, Any]) -> None:
        """Take over the clock and incidents another worker stored (a newer revision); a rewind
        there (a newer epoch) rebuilds this worker's sandbox too."""
        with self._lock:
            epoch = int(spec.get("epoch", 0))
            if epoch != self.epoch:
                self._rebuild()
                self.epoch = epoch
            self.clock.follow(spec["clock"])
            self.incidents = [
                Incident(int(i["id"]), IncidentSchema.model_validate(i["spec"]), datetime.fromisoformat(i["start"]),
                         datetime.fromisoformat(i["end"]) if i["end"] else None)
                for i in spec["incidents"]
            ]
            self.revision = int(spec["revision"])

    def _check_incident(self, spec: IncidentSchema) -> None:
        zones = [z for z in [spec.zone, *spec.stops] if z]
        unknown = [z for z in zones if z not in self.site.zones]
        if unknown:
            raise TrainingError(f"unknown zone(s) {unknown}; expected ids from the site's zones")
        if spec.sensor and spec.sensor not in self.site.sensors:
            raise TrainingError(f"unknown sensor {spec.sensor!r}")
        not_stops = [s for s in spec.stops if self.site.zones[s].kind != "tram_stop"]
        if not_stops:
            raise TrainingError(f"not tram stops: {not_stops}")

    # -- the simulated world ---------------------------------------------------------------------
    def _items(self, after: datetime, until: datetime) -> list[dict[str, Any]]:
        if self.sim is not None:
            self.sim.surges = surges_at(self.incidents, until)
            items = self.sim.items_between(after, until)
            return _surge_crossings(items, self.incidents, self.sim, self.site)
        return _recorded_items(self.recorded, after, until, surges_at(self.incidents, until), self.site)

    def advance(self) -> datetime:
        """Ingest every reading up to the session's now; returns that moment."""
        with self._lock:
            now = self.clock.now()
            until = floor_time(now, FEED_STEP)
            start = self.fed_until or until
            if until > start:
                sensors = {z: [s.id for s in self.site.sensors_of_zone(z)] for z in self.site.zones}
                items, steps = [], []
                while start < until:
                    step_end = min(until, floor_time(start, FEED_STEP) + FEED_STEP)
                    failed = failed_sensors(self.incidents, step_end, sensors)
                    items += [i for i in self._items(start, step_end) if i["sensor_id"] not in failed]
                    steps.append(step_end)
                    start = step_end
                if items:
                    self.ingest.ingest_items(items, CHANNEL)
                # The picture is computed "as of" each step (intervals ended by then), so judging
                # after one batched write equals judging slice by slice.
                if self.advisor is not None:
                    for step_end in steps:
                        self.advisor.step(step_end, self.picture.compute(step_end), self.incidents)
                self.fed_until = until
            self.picture.refresh()
            return now

    def state(self) -> tuple[datetime | None, list[dict[str, Any]]]:
        self.advance()
        return self.picture.snapshot()

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id, "site": self.site.id, "mode": self.mode, "created_by": self.created_by,
            "now": self.clock.now().isoformat(),
            "local_time": self.clock.now().astimezone(self.site.tz).strftime("%Y-%m-%d %H:%M"),
            "speed": self.clock.speed, "paused": self.clock.paused,
            "incidents": [i.to_dict() for i in self.incidents],
            "observations": self.store.count_observations(self.site.id),
            "start": self.start.isoformat() if self.start else None,
            "day_end": self.day_end().isoformat(), "epoch": self.epoch,
            "timezone": str(self.site.tz),
        }

    def alerts(self) -> list[dict[str, Any]]:
        """The sandbox's alerts up to the session's now (as the system raised and stood them down)."""
        self.advance()
        return [dict(a) for a in self.advisor.alerts.values()] if self.advisor else []

    def _rebuild(self) -> None:
        """A fresh sandbox at the session's start (the same day, readings and incidents)."""
        assert self.start is not None
        self.store.close()
        self.store = open_store("duckdb::memory:")
        bus, metrics = LocalBus(), Metrics()
        self.ingest = IngestService(self.site, self.store, metrics, bus, self.clock)
        self.picture = PictureService(self.site, self.store, self.clock, bus, metrics)
        if self.sim is not None:
            self.sim = DaySimulator(self.site)
        _seed(self, self.start)

    def close(self) -> None:
        self.store.close()


def _surge_crossings(items: list[dict[str, Any]], incidents: list[Incident], sim: DaySimulator,
                     site: Site) -> list[dict[str, Any]]:
    """Line counters count crossings, not people present: a surge in their zone is a burst of
    extra entries over its first SURGE_RAMP, and of extra exits over the SURGE_RAMP after it ends."""
    for incident in incidents:
        zone = incident.spec.zone
        if incident.spec.kind != "surge" or zone is None:
            continue
        baseline_surges, sim.surges = sim.surges, {}
        extra = (incident.spec.factor - 1.0) * sim.truth(zone, incident.start)
        sim.surges = baseline_surges
        bursts = [(incident.start, "in")] + ([(incident.end, "out")] if incident.end else [])
        for item in items:
            sensor = site.sensors[item["sensor_id"]]
            if sensor.kind is not SensorKind.LINE_COUNTER or sensor.zone != zone:
                continue
            start = datetime.fromisoformat(item["interval_start"])
            end = start + timedelta(seconds=item["interval_seconds"])
            for at, way in bursts:
                overlap = (min(end, at + SURGE_RAMP) - max(start, at)).total_seconds()
                if overlap <= 0:
                    continue
                metric = way if sensor.direction == "in" else ("out" if way == "in" else "in")
                share = overlap / SURGE_RAMP.total_seconds()
                item["counts"][metric] = item["counts"].get(metric, 0.0) + round(extra * share)
    return items


def _recorded_items(frame: pd.DataFrame | None, after: datetime, until: datetime,
                    surges: dict[str, float], site: Site) -> list[dict[str, Any]]:
    """Recorded observations whose interval ended in (after, until], scaled by active surges."""
    if frame is None or frame.empty:
        return []
    ends = frame["interval_start"] + pd.to_timedelta(frame["interval_seconds"], unit="s")
    rows = frame[(ends > pd.Timestamp(after)) & (ends <= pd.Timestamp(until))]
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows.itertuples(index=False):
        sensor = site.sensors.get(str(row.sensor_id))
        if sensor is None:
            continue
        factor = surges.get(sensor.zone, 1.0)
        key = (str(row.sensor_id), pd.Timestamp(row.interval_start).isoformat())
        item = items.setdefault(key, {"sensor_id": str(row.sensor_id), "interval_start": key[1],
                                      "interval_seconds": int(row.interval_seconds), "counts": {}})
        item["counts"][str(row.metric)] = float(round(float(row.value) * factor))
    return list(items.values())


def create_session(site: Site, mode: Mode, start: datetime, speed: float, live_store: Store | None = None,
                   created_by: str | None = None, paused: bool = False, session_id: str | None = None,
                   ) -> TrainingSession:
    """A sandbox of `site` from `start` (aware) at `speed`; `recorded` reads the live store once."""
    if start.tzinfo is None:
        raise TrainingError("start must carry a timezone")
    clock = SimulatedClock(start, speed=speed)
    if paused:
        clock.pause()
    store = open_store("duckdb::memory:")
    bus, metrics = LocalBus(), Metrics()
    session = TrainingSession(
        id=session_id or uuid.uuid4().hex[:12], site=site, mode=mode, clock=clock, store=store,
        ingest=IngestService(site, store, metrics, bus, clock),
        picture=PictureService(site, store, clock, bus, metrics),
        created_by=created_by,
    )
    reset = last_reset(start, site.defaults.line_counter_reset, site)
    if mode == "scripted":
        session.sim = DaySimulator(site)
    else:
        if live_store is None:
            raise TrainingError("a recorded replay needs the live store to read from")
        day_end = datetime.combine(start.astimezone(site.tz).date() + timedelta(days=1), time(0), tzinfo=site.tz)
        session.recorded = live_store.observations_frame(site.id, reset - timedelta(hours=1), day_end)
        if session.recorded.empty:
            session.close()
            raise TrainingError(f"no recorded observations for {site.id} on {start.astimezone(site.tz).date()}")
    _seed(session, start)
    return session


def _seed(session: TrainingSession, start: datetime) -> None:
    """This morning's readings from the counters' reset, so line-counter balances are right; the
    advisor starts at `start` (what happened before it raised no alerts in the sandbox)."""
    site = session.site
    reset = last_reset(start, site.defaults.line_counter_reset, site)
    items = session._items(reset, start)
    if items:
        session.ingest.ingest_items(items, CHANNEL)
    session.picture.rebuild_history(reset, floor_time(start, session.picture.history_step))
    session.fed_until = start.astimezone(UTC)
    session.start = start
    session.advisor = SandboxAdvisor.for_site(site)
    session.picture.refresh()


def restore_session(spec: dict[str, Any], site: Site, live_store: Store | None = None) -> TrainingSession:
    """The sandbox another worker created, rebuilt from its stored spec."""
    start = datetime.fromisoformat(spec["start"])
    session = create_session(site, spec["mode"], start, float(spec["clock"]["speed"]), live_store,
                             spec.get("created_by"), session_id=str(spec["id"]))
    session.epoch = int(spec.get("epoch", 0))
    session.follow(spec)
    return session


def default_start(site: Site, day: date | None, at: time | None) -> datetime:
    demo = site.config.demo
    the_day = day or demo.date or date.today()
    the_time = at or demo.start or time(9, 0)
    return datetime.combine(the_day, the_time, tzinfo=site.tz)
