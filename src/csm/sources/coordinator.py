"""One coordinator per site polls its sources: schedule, timeout, retry with exponential backoff
and jitter, staleness and last error per source (Home Assistant's DataUpdateCoordinator idea).

Connectors stay pure parsers; everything that can go wrong around them is handled here, so one
failing feed is marked failing, dead-lettered and counted without disturbing the others.

Only the leader process polls; after every poll the source's state (last success, last error,
summary, description) is written to the store, and the API answers from there (`stored_statuses`,
`stored_descriptions`), so every worker shows the same sources; then the bus topic "sources" says
so, and every API worker tells its live-stream clients to reread them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
from pydantic import BaseModel

from csm.clock import Clock
from csm.context import Job, Services, SiteRuntime, Slot
from csm.domain.model import Observation
from csm.jobs import job_failed, job_succeeded
from csm.sources import sink
from csm.sources.protocol import DataTime, FetchError, SourceError
from csm.sources.registry import ConfiguredSource, configured_sources
from csm.topics import SOURCES_TOPIC, SourcesMessage

log = logging.getLogger(__name__)
StatusName = Literal["ok", "empty", "stale", "failing", "disabled"]
EMPTY_REASON = "empty_feed"
DAY_SECONDS = 86_400
TICK_SECONDS = 0.5
SOURCE_STATE_KIND = "source"
LAST_GOOD = "last good poll: "


class SourceStatus(BaseModel):
    """One source as the API and the sources panel show it."""

    name: str
    kind: str
    status: StatusName
    last_success: datetime | None
    last_attempt: datetime | None
    last_error: str | None
    age_seconds: float | None
    summary: str


@dataclass
class SourceState:
    configured: ConfiguredSource
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    next_due: datetime | None = None
    newest_data: datetime | None = None
    summary: str = "not polled yet"
    empty_reason: str | None = None  # the last poll parsed but gave nothing for this site
    latest: list[Observation] = field(default_factory=list)
    description: dict[str, Any] = field(default_factory=dict)

    def shared(self) -> dict[str, Any]:
        """What every worker needs to show this source (written to the store after each poll)."""
        return {
            "last_success": _iso(self.last_success), "last_attempt": _iso(self.last_attempt),
            "last_error": self.last_error, "failures": self.failures, "newest_data": _iso(self.newest_data),
            "summary": self.summary, "description": self.description, "empty_reason": self.empty_reason,
        }

    def load(self, shared: dict[str, Any]) -> None:
        self.last_success = _moment(shared.get("last_success"))
        self.last_attempt = _moment(shared.get("last_attempt"))
        self.last_error = shared.get("last_error")
        self.failures = int(shared.get("failures", 0))
        self.newest_data = _moment(shared.get("newest_data"))
        self.summary = str(shared.get("summary", self.summary))
        self.description = dict(shared.get("description") or {})
        self.empty_reason = shared.get("empty_reason")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def status_of(state: SourceState, now: datetime) -> SourceStatus:
    """A source's status at `now`: disabled, failing (last poll failed), stale or ok."""
    configured = state.configured
    reference = state.newest_data or state.last_success
    age = (now - reference).total_seconds() if reference is not None else None
    status: StatusName
    if not configured.settings.enabled:
        status = "disabled"
    elif state.last_error is not None:
        status = "failing"
    elif state.empty_reason is not None:
        status = "empty"
    elif age is None or age > configured.settings.stale_after:
        status = "stale"
    else:
        status = "ok"
    return SourceStatus(
        name=configured.name, kind=configured.kind, status=status, last_success=state.last_success,
        last_attempt=state.last_attempt, last_error=state.last_error,
        age_seconds=None if age is None else round(age, 1),
        summary="disabled in site.yaml" if status == "disabled" else state.summary,
    )


def stored_states(site_runtime: SiteRuntime) -> dict[str, SourceState]:
    """The site's configured sources with the state the polling process last stored."""
    states = {c.name: SourceState(c) for c in configured_sources(site_runtime.site)}
    for entry in site_runtime.ingest.store.read_state(site_runtime.site.id, SOURCE_STATE_KIND):
        if entry.key in states:
            states[entry.key].load(entry.payload)
    return states


def stored_statuses(site_runtime: SiteRuntime, now: datetime) -> list[SourceStatus]:
    """Every configured source's status, as any worker answers it."""
    return [status_of(state, now) for state in stored_states(site_runtime).values()]


def stored_descriptions(site_runtime: SiteRuntime, *kinds: str) -> list[dict[str, Any]]:
    """The last `describe` of each source of these kinds (stop names, garages, road sites)."""
    return [s.description for s in stored_states(site_runtime).values() if s.configured.kind in kinds]


def replay_shift(observations: Sequence[Observation], now: datetime, data_time: DataTime) -> list[Observation]:
    """Move a replayed feed's sub-daily intervals so it looks current at `now`.

    Measured feeds end just before now, predictions start just before now; the shift is a whole
    multiple of every interval in the feed, so interval alignment holds.
    """
    movable = [o for o in observations if o.interval_seconds < DAY_SECONDS]
    if not movable:
        return list(observations)
    if data_time == "past":
        anchor = max(o.interval_start + timedelta(seconds=o.interval_seconds) for o in movable)
    else:
        anchor = min(o.interval_start for o in movable)
    step = timedelta(seconds=math.lcm(*{o.interval_seconds for o in movable}))
    shift = step * ((now - anchor) // step)
    return [
        dataclasses.replace(o, interval_start=o.interval_start + shift)
        if o.interval_seconds < DAY_SECONDS else o
        for o in observations
    ]


def newest_measured(observations: Sequence[Observation], now: datetime) -> datetime | None:
    """End of the newest sub-daily interval that has started.

    Forecast parts of a feed do not count: neither intervals ahead of now nor day-level values
    (Buienradar's five-day forecast), which would otherwise keep a frozen feed "fresh" all day.
    """
    ends = [
        o.interval_start + timedelta(seconds=o.interval_seconds)
        for o in observations if o.interval_start <= now and o.interval_seconds < DAY_SECONDS
    ]
    return max(ends) if ends else None


class SourceCoordinator:
    """Polls the sources of one site; `poll` is synchronous (tests call it), `run` schedules."""

    def __init__(
        self,
        site_runtime: SiteRuntime,
        clock: Clock,
        sources: Sequence[ConfiguredSource],
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.site_runtime = site_runtime
        self.clock = clock
        self.states = {c.name: SourceState(c) for c in sources}
        self._client = client
        self.sleep = sleep
        self.metrics = sink.source_metrics(site_runtime.ingest.metrics)

    @property
    def client(self) -> httpx.Client:
        """Created on first use and again after `run` closed it (the runtime may restart)."""
        if self._client is None or self._client.is_closed:
            self._client = httpx.Client(follow_redirects=True, headers={"User-Agent": "csm-sources"})
        return self._client

    @property
    def site_id(self) -> str:
        return self.site_runtime.site.id

    # -- one poll ---------------------------------------------------------------------------
    def poll(self, name: str) -> SourceStatus:
        state = self.states[name]
        configured = state.configured
        source, settings, site = configured.source, configured.settings, self.site_runtime.site
        now = self.clock.now()
        state.last_attempt = now
        try:
            raw = self._fetch_with_retries(state)
        except FetchError as exc:
            self._failed(state, now, "fetch_error", f"fetch failed: {exc}")
            return self.status(name)
        error: SourceError | None = None
        try:
            observations = source.parse(raw, settings, site, now)
        except SourceError as exc:
            error, observations = exc, exc.partial
        except Exception as exc:  # a parser bug must not stop the coordinator; keep the input
            log.exception("source %s/%s: parser crashed", self.site_id, name)
            error = SourceError("parser_error", None, f"{type(exc).__name__}: {exc}")
            observations = []
        if settings.replay:
            observations = replay_shift(observations, now, source.data_time)
        inserted, rejected = sink.write(self.site_runtime, name, source.people_counts, observations, now)
        with contextlib.suppress(Exception):
            state.description = source.describe(raw, settings, site)
        if observations:
            state.latest = list(observations)
            if source.data_time == "past":
                state.newest_data = newest_measured(observations, now) or state.newest_data
        if error is not None and error.reason == EMPTY_REASON and not observations:
            empty_reason: str | None = error.detail  # parsed fine, nothing for this site: not a failure
            error = None
        else:
            empty_reason = None if observations else "the feed parsed but yielded nothing for this site"
        if error is not None:
            sink.dead_letter(self.site_runtime, name, error.reason, error.field, error.detail, raw, now)
            where = f" at {error.field}" if error.field else ""
            kept = f"; {len(observations)} good values kept" if observations else ""
            self._failed(state, now, "parse_error", f"{error.reason}{where}: {error.detail}{kept}")
            return self.status(name)
        state.last_success = now
        state.last_error = None
        state.empty_reason = empty_reason
        state.failures = 0
        state.next_due = now + timedelta(seconds=settings.poll_seconds)
        state.summary = empty_reason or f"{len(observations)} values ({inserted} new" + (
            f", {rejected} refused)" if rejected else ")"
        )
        self.metrics.polls.labels(self.site_id, name, "empty" if empty_reason else "ok").inc()
        self.metrics.status.labels(self.site_id, name).set(0)
        self._share(state, inserted)
        return self.status(name)

    def _share(self, state: SourceState, stored: int = 0) -> None:
        """Write the source's state to the store for every worker (a store outage is logged), then
        tell them on the bus."""
        name = state.configured.name
        try:
            self.site_runtime.ingest.store.put_state(
                self.site_id, SOURCE_STATE_KIND, name, state.shared(), self.clock.now()
            )
        except Exception as exc:
            job_failed(exc, f"recording the state of source {self.site_id}/{name}")
            return
        self.site_runtime.ingest.bus.publish(SOURCES_TOPIC, SourcesMessage(site=self.site_id, source=name,
                                                                           stored=stored))

    def _fetch_with_retries(self, state: SourceState) -> bytes:
        configured = state.configured
        settings = configured.settings
        attempt = 0
        while True:
            try:
                return configured.source.fetch(settings, self.site_runtime.site, self.client)
            except FetchError:
                if attempt >= settings.retries:
                    raise
            except (OSError, httpx.HTTPError) as exc:  # connectors with their own fetch
                if attempt >= settings.retries:
                    raise FetchError(str(exc)) from exc
            delay = settings.backoff_seconds * 2**attempt
            self.sleep(delay + random.uniform(0, settings.backoff_seconds))
            attempt += 1

    def _failed(self, state: SourceState, now: datetime, outcome: str, message: str) -> None:
        settings = state.configured.settings
        state.last_error = message
        state.failures += 1
        # The error itself is `last_error`; the summary never repeats it, it says what is still known.
        if state.last_success is None:
            state.summary = "no good poll yet"
        elif not state.summary.startswith(LAST_GOOD):
            state.summary = f"{LAST_GOOD}{state.summary}"
        retry_in = min(settings.poll_seconds, settings.backoff_seconds * 2**state.failures)
        state.next_due = now + timedelta(seconds=max(retry_in, 1.0))
        self.metrics.polls.labels(self.site_id, state.configured.name, outcome).inc()
        self.metrics.status.labels(self.site_id, state.configured.name).set(1)
        log.warning("source %s/%s failing: %s", self.site_id, state.configured.name, message)
        self._share(state)

    # -- status -----------------------------------------------------------------------------
    def status(self, name: str, now: datetime | None = None) -> SourceStatus:
        found = status_of(self.states[name], now or self.clock.now())
        if found.age_seconds is not None:
            self.site_runtime.ingest.metrics.source_age.labels(self.site_id, sink.channel_of(name)).set(
                found.age_seconds
            )
        return found

    def statuses(self) -> list[SourceStatus]:
        now = self.clock.now()
        return [self.status(name, now) for name in self.states]

    def of_kind(self, *kinds: str) -> list[SourceState]:
        return [s for s in self.states.values() if s.configured.kind in kinds]

    # -- schedule ---------------------------------------------------------------------------
    def due(self, name: str, now: datetime) -> bool:
        state = self.states[name]
        if not state.configured.settings.enabled:
            return False
        if state.next_due is None or state.last_attempt is None:
            return True
        return now >= state.next_due or now < state.last_attempt  # clock jumped back: poll again

    async def run(self, stop: asyncio.Event) -> None:
        busy: dict[str, asyncio.Task[SourceStatus]] = {}
        try:
            while not stop.is_set():
                now = self.clock.now()
                for name in self.states:
                    task = busy.get(name)
                    if task is not None and not task.done():
                        continue
                    if task is not None:
                        self._outcome(name, busy.pop(name))
                    if self.due(name, now):
                        busy[name] = asyncio.create_task(asyncio.to_thread(self.poll, name))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=TICK_SECONDS)
        finally:
            for name, task in busy.items():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([task])
                    self._outcome(name, task)
            if self._client is not None:
                self._client.close()

    def _outcome(self, name: str, task: asyncio.Task[SourceStatus]) -> None:
        """A finished poll: a crash of the coordinator's own code is logged and counted, never lost."""
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            job_failed(exc, f"polling source {self.site_id}/{name}")
        else:
            job_succeeded()


# -- wiring -----------------------------------------------------------------------------------
COORDINATORS = Slot("sources.coordinators", dict[str, SourceCoordinator])


def coordinators_of(runtime: Services) -> dict[str, SourceCoordinator]:
    """The coordinators of this runtime (used by the process that polls), by site id."""
    coordinators = runtime.state.get(COORDINATORS)
    if not coordinators:
        coordinators.update({
            site_id: SourceCoordinator(sr, runtime.clock, configured_sources(sr.site))
            for site_id, sr in runtime.sites.items() if sr.site.config.sources
        })
    return coordinators


def source_jobs(runtime: Services) -> list[Job]:
    """JOB_FACTORIES entry: one coordinator job per site that has sources."""
    jobs: list[Job] = []
    for site_id, coordinator in coordinators_of(runtime).items():
        async def run(_: Services, stop: asyncio.Event, coordinator: SourceCoordinator = coordinator) -> None:
            await coordinator.run(stop)

        jobs.append(Job(f"sources:{site_id}", run))
    return jobs
