"""Where parsed observations go: covariates straight to the store, people counts through ingest.

Visitor estimates describe people in zones, so they take the one ingest path (validation,
de-duplication, the picture); transit, parking, traffic, weather and calendars are covariates
with namespaced sensor ids that the picture does not read.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Gauge

from csm.domain.model import Observation
from csm.ingest.pipeline import DEAD_LETTER_PAYLOAD_LIMIT
from csm.ingest.ports import IngestSite
from csm.ingest.privacy import redact
from csm.metrics import Metrics
from csm.store.base import DeadLetter


@dataclass(frozen=True)
class SourceMetrics:
    """Metrics of the coordinator (part of the runtime's registry)."""

    polls: Counter
    status: Gauge


def source_metrics(metrics: Metrics) -> SourceMetrics:
    return SourceMetrics(polls=metrics.source_polls, status=metrics.source_failing)


def channel_of(name: str) -> str:
    return f"source:{name}"


def write(site_runtime: IngestSite, name: str, people_counts: bool,
          observations: Sequence[Observation], now: datetime) -> tuple[int, int]:
    """Store observations; returns (new, rejected)."""
    if not observations:
        return 0, 0
    if people_counts:
        items = [_as_item(o) for o in observations]
        report = site_runtime.ingest.ingest_items(items, channel=channel_of(name))
        return report.accepted, len(report.rejected)
    ingest = site_runtime.ingest
    result = ingest.store.write_observations(observations, received_at=now)
    if result.inserted:
        ingest.metrics.ingested.labels(site_runtime.site.id, channel_of(name)).inc(result.inserted)
    if result.duplicates:
        ingest.metrics.duplicates.labels(site_runtime.site.id, channel_of(name)).inc(result.duplicates)
    return result.inserted, 0


def _as_item(observation: Observation) -> dict[str, Any]:
    return {
        "sensor_id": observation.sensor_id,
        "interval_start": observation.interval_start.isoformat(),
        "interval_seconds": observation.interval_seconds,
        "counts": {observation.metric: observation.value},
    }


def dead_letter(site_runtime: IngestSite, name: str, reason: str, field: str | None,
                detail: str, raw: bytes, now: datetime) -> None:
    """Keep a refused feed for inspection and count it: never silently dropped."""
    try:
        text = redact(raw.decode("utf-8")[:DEAD_LETTER_PAYLOAD_LIMIT])
    except UnicodeDecodeError:
        text = "base64:" + base64.b64encode(raw[: DEAD_LETTER_PAYLOAD_LIMIT // 2]).decode("ascii")
    site_id = site_runtime.site.id
    site_runtime.ingest.store.write_dead_letters([DeadLetter(
        site_id=site_id, channel=channel_of(name), received_at=now, reason=reason,
        field=field, detail=detail, payload=text[:DEAD_LETTER_PAYLOAD_LIMIT],
    )])
    site_runtime.ingest.metrics.rejected.labels(site_id, channel_of(name), reason).inc()
