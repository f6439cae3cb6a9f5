"""One coordinator per site polls its sources: schedule, timeout, retry with exponential backoff
and jitter, staleness and last error per source (Home Assistant's DataUpdateCoordinator idea).

Connectors stay pure parsers; everything that can go wrong around them is handled here, so one
failing feed is marked failing, dead-lettered and counted without disturbing the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import random
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
from pydantic import BaseModel

from csm.clock import Clock
from csm.domain.model import Observation
from csm.runtime import BackgroundJob, Runtime, SiteRuntime
from csm.sources import sink
from csm.sources.protocol import DataTime, FetchError, SourceError
from csm.sources.registry import ConfiguredSource, configured_sources

log = logging.getLogger(__name__)
StatusName = Literal["ok", "empty", "stale", "failing", "disabled"]
EMPTY_REASON = "empty_feed"
DAY_SECONDS = 86_400
TICK_SECONDS = 0.5


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
        return self.status(name)

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
        state.summary = message
        retry_in = min(settings.poll_seconds, settings.backoff_seconds * 2**state.failures)
        state.next_due = now + timedelta(seconds=max(retry_in, 1.0))
        self.metrics.polls.labels(self.site_id, state.configured.name, outcome).inc()
        self.metrics.status.labels(self.site_id, state.configured.name).set(1)
        log.warning("source %s/%s failing: %s", self.site_id, state.configured.name, message)

    # -- status -----------------------------------------------------------------------------
    def status(self, name: str, now: datetime | None = None) -> SourceStatus:
        state = self.states[name]
        configured = state.configured
        now = now or self.clock.now()
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
        if age is not None:
            self.site_runtime.ingest.metrics.source_age.labels(self.site_id, sink.channel_of(name)).set(age)
        return SourceStatus(
            name=name, kind=configured.kind, status=status, last_success=state.last_success,
            last_attempt=state.last_attempt, last_error=state.last_error,
            age_seconds=None if age is None else round(age, 1),
            summary="disabled in site.yaml" if status == "disabled" else state.summary,
        )

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
                    if self.due(name, now):
                        busy[name] = asyncio.create_task(asyncio.to_thread(self.poll, name))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=TICK_SECONDS)
        finally:
            for task in busy.values():
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await task
            if self._client is not None:
                self._client.close()


# -- wiring -----------------------------------------------------------------------------------
_COORDINATORS: dict[int, tuple[weakref.ref[Runtime], dict[str, SourceCoordinator]]] = {}


def coordinators_of(runtime: Runtime) -> dict[str, SourceCoordinator]:
    """The coordinators built for this runtime (by `source_jobs`), by site id."""
    entry = _COORDINATORS.get(id(runtime))
    if entry is None or entry[0]() is not runtime:
        coordinators = {
            site_id: SourceCoordinator(sr, runtime.clock, configured_sources(sr.site))
            for site_id, sr in runtime.sites.items() if sr.site.config.sources
        }
        _COORDINATORS[id(runtime)] = (weakref.ref(runtime), coordinators)
        return coordinators
    return entry[1]


def descriptions_of(site_id: str, *kinds: str) -> list[dict[str, Any]]:
    """The last `describe` of each source of these kinds of a site, for readers without the
    runtime at hand (advice): read-only, from the coordinators built by `source_jobs`."""
    found: list[dict[str, Any]] = []
    for reference, coordinators in list(_COORDINATORS.values()):
        coordinator = coordinators.get(site_id) if reference() is not None else None
        if coordinator is not None:
            found += [dict(state.description) for state in coordinator.of_kind(*kinds)]
    return found


def source_jobs(runtime: Runtime) -> list[BackgroundJob]:
    """JOB_FACTORIES entry: one coordinator job per site that has sources."""
    jobs: list[BackgroundJob] = []
    for coordinator in coordinators_of(runtime).values():
        async def job(_: Runtime, stop: asyncio.Event, coordinator: SourceCoordinator = coordinator) -> None:
            await coordinator.run(stop)

        jobs.append(job)
    return jobs
