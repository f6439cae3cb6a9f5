"""Retention: raw observations and dead letters older than the site's `privacy.retention_days`
are purged on schedule. Zone aggregates (history, forecasts) are kept; they hold no per-sensor
detail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from csm.auth.service import AUDIT_STREAM
from csm.context import Job, Services, SiteRuntime
from csm.jobs import job_failed, job_succeeded

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(hours=1)


def purge_site(site_runtime: SiteRuntime, now: datetime) -> int:
    """Delete what is past retention and say so in the audit log; returns the observations removed.

    Dead letters go at the same age: a replay would store observations the next purge removes."""
    site = site_runtime.site
    store = site_runtime.ingest.store
    cutoff = now - timedelta(days=site.privacy.retention_days)
    removed = store.purge_observations(site.id, cutoff)
    letters = store.purge_dead_letters(site.id, cutoff)
    if removed or letters:
        what = [f"{removed} observations"] if removed else []
        what += [f"{letters} dead letters"] if letters else []
        store.append_event(
            site.id, AUDIT_STREAM, now,
            {"user": "system", "role": "system", "action": "retention purge",
             "detail": f"{' and '.join(what)} before {cutoff.isoformat()}"},
        )
    return removed


def retention_jobs(runtime: Services) -> list[Job]:
    async def run(rt: Services, stop: asyncio.Event) -> None:
        last: datetime | None = None
        while not stop.is_set():
            now = rt.clock.now()
            if last is None or now - last >= PURGE_EVERY or now < last:
                failed = False
                for site_runtime in rt.sites.values():
                    try:
                        await asyncio.to_thread(purge_site, site_runtime, now)
                    except Exception as exc:  # retried at the next run; logged and counted
                        failed = True
                        job_failed(exc, f"retention purge of {site_runtime.site.id}")
                if not failed:
                    job_succeeded()
                last = now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=5.0)

    return [Job("retention", run)]
