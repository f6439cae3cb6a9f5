"""The one ingest path every channel (HTTP, MQTT, CSV, demo feeds, connectors) goes through."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from csm.bus import Bus
from csm.clock import Clock
from csm.domain.model import Observation, Rejection
from csm.ingest.privacy import redact
from csm.ingest.validate import ItemError, Reason, rejection_of, validate_item
from csm.metrics import Metrics
from csm.site.model import Site
from csm.store.base import DeadLetter, Store
from csm.topics import OBSERVATIONS_TOPIC

DEFAULT_MAX_LATENESS = timedelta(days=7)
# Dead letters keep the offending input, cut to this size.
DEAD_LETTER_PAYLOAD_LIMIT = 64 * 1024


@dataclass(slots=True)
class IngestReport:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [
                {"index": r.index, "reason": r.reason, "field": r.field, "detail": r.detail}
                for r in self.rejected
            ],
        }

    def merge(self, other: IngestReport) -> None:
        self.received += other.received
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)


class IngestService:
    """Validate → store (idempotent) → dead-letter refusals → count → tell the picture."""

    def __init__(
        self,
        site: Site,
        store: Store,
        metrics: Metrics,
        bus: Bus,
        clock: Clock,
        max_lateness: timedelta = DEFAULT_MAX_LATENESS,
    ) -> None:
        self.site = site
        self.store = store
        self.metrics = metrics
        self.bus = bus
        self.clock = clock
        self.max_lateness = max_lateness

    def ingest_items(
        self, items: Sequence[Any], channel: str, allowed_sensors: frozenset[str] | None = None
    ) -> IngestReport:
        """Validate each item on its own: good items are stored even when others are refused.

        `allowed_sensors` (from a signed ingest token) limits which sensors this caller may write.
        """
        started = time.perf_counter()
        now = self.clock.now()
        report = IngestReport(received=len(items))
        observations: list[Observation] = []
        letters: list[DeadLetter] = []
        for index, item in enumerate(items):
            try:
                validated = validate_item(item, self.site, now, self.max_lateness)
                if allowed_sensors is not None and validated[0].sensor_id not in allowed_sensors:
                    raise ItemError(
                        Reason.SENSOR_NOT_AUTHORISED, "sensor_id",
                        f"this ingest token may not write sensor {validated[0].sensor_id!r}",
                    )
                observations.extend(validated)
            except ItemError as error:
                report.rejected.append(rejection_of(error, index))
                letters.append(self._dead_letter(channel, error.reason, error.field, error.detail, item))
        if observations:
            result = self.store.write_observations(observations, received_at=now)
            report.accepted = result.inserted
            report.duplicates = result.duplicates
        self._account(channel, report, letters)
        self.metrics.batch_seconds.labels(channel).observe(time.perf_counter() - started)
        if report.accepted:
            self.bus.publish(
                OBSERVATIONS_TOPIC,
                {"site": self.site.id, "sensors": sorted({o.sensor_id for o in observations})},
            )
        return report

    def ingest_json(
        self, payload: bytes | str, channel: str, allowed_sensors: frozenset[str] | None = None
    ) -> IngestReport:
        """A raw JSON body: a list of items, an object with `observations`, or one item."""
        try:
            document = json.loads(payload)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return self.refuse_whole(payload, channel, Reason.BAD_JSON, f"not valid JSON: {exc}")
        if isinstance(document, dict) and "observations" in document:
            document = document["observations"]
        items = document if isinstance(document, list) else [document]
        return self.ingest_items(items, channel, allowed_sensors)

    def refuse_whole(
        self, payload: bytes | str | Any, channel: str, reason: str, detail: str
    ) -> IngestReport:
        """A payload that could not even be split into items: one dead letter for all of it."""
        report = IngestReport(received=1, rejected=[Rejection(reason, None, detail, None)])
        self._account(channel, report, [self._dead_letter(channel, reason, None, detail, payload)])
        return report

    def _dead_letter(
        self, channel: str, reason: str, field_name: str | None, detail: str, item: Any
    ) -> DeadLetter:
        # Dead letters never keep personal data, whatever the reason an item was refused.
        if isinstance(item, bytes):
            text = redact(item.decode("utf-8", errors="replace"))
        elif isinstance(item, str):
            text = redact(item)
        else:
            try:
                text = json.dumps(redact(item), default=str)
            except (TypeError, ValueError):
                text = redact(repr(item))
        return DeadLetter(
            site_id=self.site.id,
            channel=channel,
            received_at=self.clock.now(),
            reason=reason,
            field=field_name,
            detail=detail,
            payload=text[:DEAD_LETTER_PAYLOAD_LIMIT],
        )

    def _account(self, channel: str, report: IngestReport, letters: list[DeadLetter]) -> None:
        site = self.site.id
        if report.accepted:
            self.metrics.ingested.labels(site, channel).inc(report.accepted)
        if report.duplicates:
            self.metrics.duplicates.labels(site, channel).inc(report.duplicates)
        for rejection in report.rejected:
            self.metrics.rejected.labels(site, channel, rejection.reason).inc()
        if letters:
            self.store.write_dead_letters(letters)
