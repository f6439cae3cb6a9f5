"""Wiring: one Runtime holds the store, bus, clock, metrics, settings and, per site, its ingest
and picture; it starts every background job under one supervisor.

The API, the CLI, the demo and the MQTT consumer all work through a Runtime, so every channel
shares one ingest path and one picture per site. Features never import this module: they get
what they need through `csm.context` (SiteRuntime, Services, Job, FeatureState).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from csm.bus import Bus
from csm.bus_redis import open_bus
from csm.clock import Clock, SystemClock
from csm.context import BackgroundJob, FeatureState, Job, SiteRuntime
from csm.extensions import JOB_FACTORIES, resolve
from csm.ingest.pipeline import IngestService
from csm.ingest.totals import IngestTotals
from csm.jobs import Supervisor, stop_tasks
from csm.leader import Leadership, SoleLeader, leadership_for, run_while_leading
from csm.metrics import Metrics
from csm.picture.live import PictureService
from csm.settings import Settings
from csm.site.loader import load_site
from csm.site.model import Site
from csm.store.base import Store
from csm.store.factory import open_store

__all__ = ["BackgroundJob", "Job", "Runtime", "SiteRuntime", "build_runtime"]
log = logging.getLogger(__name__)


def as_job(job: Job | BackgroundJob) -> Job:
    """A bare job function is named after its module and function."""
    if isinstance(job, Job):
        return job
    module = getattr(job, "__module__", "job").removeprefix("csm.")
    return Job(f"{module}.{getattr(job, '__qualname__', 'run').replace('.<locals>', '')}", job)


@dataclass
class Runtime:
    store: Store
    bus: Bus
    clock: Clock
    metrics: Metrics
    sites: dict[str, SiteRuntime]
    jobs: list[Job | BackgroundJob] = field(default_factory=list)
    picture_tick_seconds: float = 2.0
    # Who runs `jobs` when several processes share the store (every process runs its pictures).
    leadership: Leadership = field(default_factory=SoleLeader)
    state: FeatureState = field(default_factory=FeatureState)
    settings: Settings = field(default_factory=Settings)
    # This process's ingest counters in the store, summed by /metrics (csm.ingest.totals).
    ingest_totals: IngestTotals | None = None
    supervisor: Supervisor = field(init=False)
    _stop: asyncio.Event | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.supervisor = Supervisor(self.clock, self.store)

    def site(self, site_id: str) -> SiteRuntime:
        return self.sites[site_id]

    def only_site(self) -> SiteRuntime | None:
        return next(iter(self.sites.values())) if len(self.sites) == 1 else None

    async def start(self) -> None:
        """Start the picture loops (every process) and the singleton jobs (the leader only)."""
        self._stop = asyncio.Event()
        for site_id, site_runtime in self.sites.items():
            await asyncio.to_thread(site_runtime.picture.refresh)
            picture = site_runtime.picture

            async def run_picture(stop: asyncio.Event, picture: PictureService = picture) -> None:
                await picture.run(stop, self.picture_tick_seconds)

            self._tasks.append(self.supervisor.start(f"picture:{site_id}", run_picture, self._stop))
        if isinstance(self.leadership, SoleLeader):
            self._tasks.extend(self._start_jobs(self._stop))
        elif self.jobs:
            self._tasks.append(asyncio.create_task(run_while_leading(self.leadership, self._stop, self._start_jobs)))

    def _start_jobs(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        tasks = []
        for job in map(as_job, self.jobs):
            async def body(job_stop: asyncio.Event, job: Job = job) -> None:
                await job.run(self, job_stop)

            tasks.append(self.supervisor.start(job.name, body, stop, shared=True))
        return tasks

    async def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        await stop_tasks(self._tasks, "runtime")
        self._tasks.clear()
        await asyncio.to_thread(self.supervisor.flush)

    def close(self) -> None:
        if self.ingest_totals is not None:
            self.ingest_totals.close()
        close_bus = getattr(self.bus, "close", None)
        if close_bus is not None:
            close_bus()
        self.store.close()


def site_runtime_for(site: Site, store: Store, metrics: Metrics, bus: Bus, clock: Clock) -> SiteRuntime:
    return SiteRuntime(
        site=site,
        ingest=IngestService(site, store, metrics, bus, clock),
        picture=PictureService(site, store, clock, bus, metrics),
    )


def build_runtime(
    site_dirs: Sequence[Path | str],
    store_url: str,
    clock: Clock | None = None,
    bus: Bus | None = None,
    bus_url: str | None = None,
    settings: Settings | None = None,
) -> Runtime:
    """Load the sites and open the store; the bus is `bus`, else opened from `bus_url`
    (`redis://...` for several processes), else the in-process LocalBus. `settings`: the
    process's settings (read from the environment when not given)."""
    clock = clock or SystemClock()
    bus = bus or open_bus(bus_url)
    metrics = Metrics()
    store = open_store(store_url)
    sites: dict[str, SiteRuntime] = {}
    for folder in site_dirs:
        site = load_site(folder)
        if site.id in sites:
            raise ValueError(f"two site folders share the id {site.id!r}")
        sites[site.id] = site_runtime_for(site, store, metrics, bus, clock)
    runtime = Runtime(
        store=store, bus=bus, clock=clock, metrics=metrics, sites=sites, leadership=leadership_for(store_url),
        settings=settings or Settings(), ingest_totals=IngestTotals(store, metrics, clock),
    )
    if not isinstance(runtime.leadership, SoleLeader) and runtime.ingest_totals is not None:
        runtime.ingest_totals.start()  # other processes share the store: keep our counts there
    for entry in JOB_FACTORIES:
        runtime.jobs.extend(resolve(entry)(runtime))
    return runtime
