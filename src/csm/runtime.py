"""Wiring: one Runtime holds the store, bus, clock, metrics and, per site, its ingest and picture.

The API, the CLI, the demo and the MQTT consumer all work through a Runtime, so every channel
shares one ingest path and one picture per site.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csm.bus import Bus
from csm.bus_redis import open_bus
from csm.clock import Clock, SystemClock
from csm.extensions import JOB_FACTORIES, resolve
from csm.ingest.service import IngestService
from csm.leader import Leadership, SoleLeader, leadership_for, run_while_leading
from csm.metrics import Metrics
from csm.picture.service import PictureService
from csm.site.loader import load_site
from csm.site.model import Site
from csm.store.base import Store
from csm.store.factory import open_store

log = logging.getLogger(__name__)
BackgroundJob = Callable[["Runtime", asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class SiteRuntime:
    site: Site
    ingest: IngestService
    picture: PictureService


@dataclass
class Runtime:
    store: Store
    bus: Bus
    clock: Clock
    metrics: Metrics
    sites: dict[str, SiteRuntime]
    jobs: list[BackgroundJob] = field(default_factory=list)
    picture_tick_seconds: float = 2.0
    # Who runs `jobs` when several processes share the store (every process runs its pictures).
    leadership: Leadership = field(default_factory=SoleLeader)
    _stop: asyncio.Event | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def site(self, site_id: str) -> SiteRuntime:
        return self.sites[site_id]

    def only_site(self) -> SiteRuntime | None:
        return next(iter(self.sites.values())) if len(self.sites) == 1 else None

    async def start(self) -> None:
        """Start picture loops and any extra background jobs (demo feeds, MQTT consumer, ...)."""
        self._stop = asyncio.Event()
        for site_runtime in self.sites.values():
            await asyncio.to_thread(site_runtime.picture.refresh)
            self._tasks.append(
                asyncio.create_task(site_runtime.picture.run(self._stop, self.picture_tick_seconds))
            )
        if isinstance(self.leadership, SoleLeader):
            self._tasks.extend(self._start_jobs(self._stop))
        elif self.jobs:
            self._tasks.append(asyncio.create_task(run_while_leading(self.leadership, self._stop, self._start_jobs)))

    def _start_jobs(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(job(self, stop)) for job in self.jobs]

    async def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    def close(self) -> None:
        close_bus = getattr(self.bus, "close", None)
        if close_bus is not None:
            close_bus()
        self.store.close()


def build_runtime(
    site_dirs: Sequence[Path | str],
    store_url: str,
    clock: Clock | None = None,
    bus: Bus | None = None,
    bus_url: str | None = None,
) -> Runtime:
    """Load the sites and open the store; the bus is `bus`, else opened from `bus_url`
    (`redis://...` for several processes), else the in-process LocalBus."""
    clock = clock or SystemClock()
    bus = bus or open_bus(bus_url)
    metrics = Metrics()
    store = open_store(store_url)
    sites: dict[str, SiteRuntime] = {}
    for folder in site_dirs:
        site = load_site(folder)
        if site.id in sites:
            raise ValueError(f"two site folders share the id {site.id!r}")
        sites[site.id] = SiteRuntime(
            site=site,
            ingest=IngestService(site, store, metrics, bus, clock),
            picture=PictureService(site, store, clock, bus, metrics),
        )
    runtime = Runtime(
        store=store, bus=bus, clock=clock, metrics=metrics, sites=sites, leadership=leadership_for(store_url)
    )
    for entry in JOB_FACTORIES:
        runtime.jobs.extend(resolve(entry)(runtime))
    return runtime
