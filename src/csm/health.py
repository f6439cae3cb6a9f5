"""Readiness and the shared part of /metrics, answered alike by every worker.

The leader's jobs (advice, forecasts, retention, sources) write their health and the sources
their status to the store; this module reads them back, so a worker that runs no jobs reports
the same jobs and sources as the one that does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from csm.ingest.totals import deployment_totals
from csm.jobs import JobHealth, stored_job_health
from csm.runtime import Runtime
from csm.sources.coordinator import stored_statuses
from csm.sources.sink import channel_of


@dataclass(frozen=True)
class Readiness:
    ready: bool
    document: dict[str, Any]


def all_job_health(runtime: Runtime) -> list[JobHealth]:
    """This process's own jobs (its picture loops) and the deployment's jobs as stored."""
    found = {name: health for name, health in runtime.supervisor.health.items() if name.startswith("picture:")}
    try:
        shared = stored_job_health(runtime.store)
    except Exception:  # the store problem itself is reported by readiness
        shared = [h for n, h in runtime.supervisor.health.items() if n not in found]
    for health in shared:
        found.setdefault(health.name, health)
    return sorted(found.values(), key=lambda h: h.name)


def readiness(runtime: Runtime) -> Readiness:
    """Not ready (503) when the store is unreachable or a picture is not computed yet; "degraded"
    (still 200: the worker can serve) when a background job is failing, with its last error."""
    problems: list[str] = []
    try:
        runtime.store.count_observations()
    except Exception as exc:  # any store failure means not ready
        problems.append(f"store: {exc}")
    for site_id, site_runtime in runtime.sites.items():
        as_of, _ = site_runtime.picture.snapshot()
        if as_of is None:
            problems.append(f"site {site_id}: picture not computed yet")
    jobs = all_job_health(runtime)
    failing = [f"job {j.name}: {j.last_error}" for j in jobs if j.failing]
    status = "not ready" if problems else "degraded" if failing else "ready"
    document: dict[str, Any] = {"status": status}
    if problems:
        document["problems"] = problems
    if failing:
        document["failing"] = failing
    document["jobs"] = {j.name: j.to_dict() for j in jobs}
    return Readiness(not problems, document)


def refresh_shared_metrics(runtime: Runtime) -> None:
    """Set the gauges of what the leader's jobs record (job health, source status) and of the
    deployment's ingest totals (every worker's counters) from the store."""
    metrics = runtime.metrics
    for job in all_job_health(runtime):
        metrics.job_last_success.labels(job.name).set(job.last_success.timestamp() if job.last_success else 0)
        metrics.job_last_error.labels(job.name).set(job.last_error_at.timestamp() if job.last_error_at else 0)
        metrics.job_errors.labels(job.name).set(job.errors)
        metrics.job_restarts.labels(job.name).set(job.restarts)
        metrics.job_failing.labels(job.name).set(int(job.failing))
    now = runtime.clock.now()
    for site_id, site_runtime in runtime.sites.items():
        for status in stored_statuses(site_runtime, now):
            metrics.source_failing.labels(site_id, status.name).set(int(status.status == "failing"))
            if status.age_seconds is not None:
                metrics.source_age.labels(site_id, channel_of(status.name)).set(status.age_seconds)
    refresh_ingest_totals(runtime)


def refresh_ingest_totals(runtime: Runtime) -> None:
    """This process's counters into the store, then the sums of every process's into the gauges."""
    if runtime.ingest_totals is not None:
        runtime.ingest_totals.flush()
    totals = deployment_totals(runtime.store)
    metrics = runtime.metrics
    for gauge, name in ((metrics.deployment_ingested, "ingested"), (metrics.deployment_duplicates, "duplicates"),
                        (metrics.deployment_rejected, "rejected")):
        for labels, value in totals[name].items():
            if len(labels) == len(gauge._labelnames):  # an entry of another release may differ
                gauge.labels(*labels).set(value)
