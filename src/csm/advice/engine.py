"""The advice engine: a background job that turns the live picture and the newest forecast into
stable levels, alerts (raised and resolved by the system) and notifications.

Runs on every picture change and at least every tick; all times come from the runtime's clock,
so dwell and lead times are simulated minutes in the demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from csm.advice.crossings import PredictedCrossing
from csm.advice.hysteresis import TrackedLevel, candidate_level, step_level
from csm.advice.lifecycle import (
    LEVEL_CHANGE,
    PREDICTED_CROSSING,
    RAISED,
    RESOLVED,
    SYSTEM,
    AlertBook,
    alert_book_of,
)
from csm.advice.playbook import load_playbook
from csm.advice.queries import crossings_now, current_advice, stable_levels
from csm.advice.webhooks import notify
from csm.context import Job, Services, SiteRuntime
from csm.domain.advice import AdviceItem
from csm.domain.alerts import Alert
from csm.domain.model import Level
from csm.jobs import job_failed, job_succeeded
from csm.topics import ADVICE_TOPIC, ZONES_TOPIC, AdviceMessage

log = logging.getLogger(__name__)
TICK_SECONDS = 5.0
# A predicted alert is kept until P(crossing) falls below this share of min_probability
# (hysteresis on probability: forecasts wobble from run to run).
KEEP_PREDICTED_SHARE = 0.5
# A predicted alert is updated (and shown as such) when its probability moves this much.
UPDATE_PROBABILITY_STEP = 0.1


@dataclass
class AdviceEngine:
    site_runtime: SiteRuntime
    book: AlertBook
    trackers: dict[str, TrackedLevel] = field(default_factory=dict)
    last_advice: list[tuple[str, str, str, datetime]] = field(default_factory=list)

    @classmethod
    def for_site(cls, runtime: Services, site_runtime: SiteRuntime) -> AdviceEngine:
        book = alert_book_of(runtime, site_runtime.site.id)
        trackers = {z: TrackedLevel(lvl, since) for z, (lvl, since) in book.levels().items()}
        return cls(site_runtime, book, trackers)

    def evaluate(self, now: datetime) -> list[tuple[str, Alert]]:
        """One pass; returns the (event, alert) pairs to notify about."""
        events = self._update_levels(now)
        events += self._update_predictions(now)
        return events

    def _update_levels(self, now: datetime) -> list[tuple[str, Alert]]:
        site = self.site_runtime.site
        settings = load_playbook(site).hysteresis()
        _, states = self.site_runtime.picture.states()
        events: list[tuple[str, Alert]] = []
        for state in states:
            zone = site.zones.get(state.zone_id)
            if zone is None:
                continue
            tracked = self.trackers.get(zone.id, TrackedLevel())
            cand = candidate_level(
                tracked.level, state.density_per_m2, zone.thresholds, state.occupancy, zone.capacity,
                settings.band,
            )
            self.trackers[zone.id], change = step_level(zone.id, tracked, cand, now, settings)
            if change is None:
                continue
            self.book.record_level(zone.id, change.previous, change.level, now)
            # Every open one: the newest 200 of a busy site's alerts could leave an old one open.
            for alert in self.book.unresolved(LEVEL_CHANGE, zone.id):
                if Level(alert.level).rank > change.level.rank:
                    note = f"{zone.name} back to {change.level.value}"
                    events.append((RESOLVED, self.book.transition(alert.id, RESOLVED, SYSTEM, now, note)))
            if change.level.rank > max(change.previous.rank, Level.GREEN.rank):
                density = state.density_per_m2 or 0.0
                message = (f"{zone.name} is {change.level.value}: {density:.2f} persons/m²,"
                           f" {state.occupancy or 0:.0f} persons")
                raised = self.book.raise_alert(zone.id, change.level, LEVEL_CHANGE, message, now,
                                               previous_level=change.previous)
                if raised is not None:
                    events.append((RAISED, raised))
        return events

    def _update_predictions(self, now: datetime) -> list[tuple[str, Alert]]:
        site = self.site_runtime.site
        playbook = load_playbook(site)
        levels = stable_levels(self.site_runtime, self.book)
        _, likely = crossings_now(self.site_runtime, playbook, levels, now)
        _, plausible = crossings_now(
            self.site_runtime, playbook, levels, now, playbook.settings.min_probability * KEEP_PREDICTED_SHARE
        )
        keep = {(c.zone_id, c.level) for c in plausible}
        floor = Level(playbook.settings.predicted_alert_level).rank
        dedup = timedelta(minutes=playbook.notifications.dedup_minutes)
        events: list[tuple[str, Alert]] = []
        for alert in self.book.unresolved(PREDICTED_CROSSING):  # all of them, not the newest 200 of every kind
            level = Level(alert.level)
            current = levels.get(alert.zone_id, (Level.UNKNOWN, now))[0]
            if current.rank >= level.rank:
                note = f"reached {current.value}: see the level alert"
            elif (alert.zone_id, level) not in keep:
                note = "no longer expected by the forecast"
            else:
                continue
            events.append((RESOLVED, self.book.transition(alert.id, RESOLVED, SYSTEM, now, note)))
        for c in likely:
            if c.level.rank < floor:
                continue
            message = self._predicted_message(c, now)
            open_alert = self.book.open_alert(c.zone_id, c.level, PREDICTED_CROSSING)
            if open_alert is None:
                raised = self.book.raise_alert(c.zone_id, c.level, PREDICTED_CROSSING, message, now, dedup,
                                               lead_time_minutes=round(c.lead_time.total_seconds() / 60),
                                               expected_at=c.at, probability=c.peak_probability)
                if raised is not None:
                    events.append((RAISED, raised))
            elif abs((open_alert.probability or 0) - c.peak_probability) >= UPDATE_PROBABILITY_STEP or (
                open_alert.expected_at != c.at
            ):
                self.book.update(open_alert.id, now, message=message, expected_at=c.at,
                                 probability=c.peak_probability)
        return events

    def _predicted_message(self, c: PredictedCrossing, now: datetime) -> str:
        site = self.site_runtime.site
        local = c.at.astimezone(site.tz).strftime("%H:%M")
        minutes = round((c.at - now).total_seconds() / 60)
        return (f"{site.zones[c.zone_id].name} expected to reach {c.level.value} at {local}"
                f" (in {minutes} min), probability {c.peak_probability:.0%}")

    def advice_changed(self, now: datetime) -> list[AdviceItem] | None:
        """The ranked advice, when it differs from the last published one."""
        _, _, advice = current_advice(self.site_runtime, self.book, now)
        shown = [(a.measure_id, a.zone_id, a.status, a.start_by) for a in advice]
        if shown == self.last_advice:
            return None
        self.last_advice = shown
        return advice


def advice_jobs(runtime: Services) -> list[Job]:
    """JOB_FACTORIES entry: one job evaluating every site."""
    return [Job("advice", run_advice)] if runtime.sites else []


async def run_advice(runtime: Services, stop: asyncio.Event, tick_seconds: float = TICK_SECONDS) -> None:
    engines = {sid: AdviceEngine.for_site(runtime, sr) for sid, sr in runtime.sites.items()}
    deliveries: set[asyncio.Task[Any]] = set()
    async with runtime.bus.subscribe(ZONES_TOPIC) as queue:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.get(), timeout=tick_seconds)
            while not queue.empty():
                queue.get_nowait()
            failed = False
            for site_id, engine in engines.items():
                try:
                    now = runtime.clock.now()
                    events = await asyncio.to_thread(engine.evaluate, now)
                    advice = await asyncio.to_thread(engine.advice_changed, now)
                except Exception as exc:  # keep advising the other sites; logged, counted, retried next tick
                    failed = True
                    job_failed(exc, f"advice evaluation for site {site_id}")
                    continue
                if advice is not None:
                    runtime.bus.publish(ADVICE_TOPIC, AdviceMessage(site=site_id, as_of=now, advice=advice))
                site = engine.site_runtime.site
                local = now.astimezone(site.tz).time()
                notifications = load_playbook(site).notifications
                for event, alert in events:
                    if notifications.webhooks:
                        task = asyncio.create_task(notify(site_id, event, alert, local, notifications))
                        deliveries.add(task)
                        task.add_done_callback(deliveries.discard)
            if not failed:
                job_succeeded()
    for task in deliveries:
        task.cancel()
