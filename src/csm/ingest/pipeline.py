"""The one ingest path every channel (HTTP, MQTT, CSV, demo feeds, connectors) goes through."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from csm.bus import Bus
from csm.clock import Clock
from csm.domain.model import Observation, Rejection
from csm.ingest.columns import validate_into
from csm.ingest.deadletters import PAYLOAD_LIMIT, DeadLetterBatch
from csm.ingest.payload import PayloadRefusal, split_items
from csm.ingest.validate import ItemError, Reason, rejection_of, trusted_words, validate_item
from csm.metrics import Metrics
from csm.site.model import Site
from csm.store.base import Store
from csm.store.columns import ObservationColumns
from csm.topics import OBSERVATIONS_TOPIC, ObservationsMessage

log = logging.getLogger(__name__)
DEFAULT_MAX_LATENESS = timedelta(days=7)
DEAD_LETTER_PAYLOAD_LIMIT = PAYLOAD_LIMIT  # kept for connectors (sources.sink)
# A flood of refusals must not starve reads of the GIL (issue 12, item 4): after this many refused
# items of a batch the ingest thread sleeps briefly, so a waiting thread (the event loop serving
# /readyz and reads) gets the interpreter. Accepted items never wait.
YIELD_EVERY_REFUSALS = 16
YIELD_SECONDS = 0.0002


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
        self.trusted = trusted_words(site)

    def ingest_items(
        self,
        items: Sequence[Any],
        channel: str,
        allowed_sensors: frozenset[str] | None = None,
        expected_sensors: Sequence[str] | None = None,
    ) -> IngestReport:
        """Validate each item on its own: good items are stored even when others are refused.

        `allowed_sensors` (from a signed ingest token) limits which sensors this caller may write;
        `expected_sensors` (from MQTT topics, one per item) is the sensor each item must name. No item can
        make this raise: whatever goes wrong with one item refuses that item alone. The item cap is
        enforced where untrusted batches enter (`payload.split_items`, the CSV reader).
        """
        started = time.perf_counter()
        now = self.clock.now()
        report = IngestReport(received=len(items))
        columns = ObservationColumns(self.site.id)
        letters = DeadLetterBatch(self.site.id, channel, now, self.trusted)

        def full_validation(index: int, item: Any) -> None:
            try:
                expected = expected_sensors[index] if expected_sensors is not None else None
                validated = self._validate(item, now, allowed_sensors, expected)
            except ItemError as error:
                report.rejected.append(rejection_of(error, index))
                letters.add(error.reason, error.field, error.detail, item)
                if len(report.rejected) % YIELD_EVERY_REFUSALS == 0:
                    time.sleep(YIELD_SECONDS)
            else:
                for observation in validated:
                    columns.append_observation(observation)

        validate_into(items, columns, self.site, now, self.max_lateness, full_validation,
                      allowed_sensors, expected_sensors)
        if columns:
            result = self.store.write_observations(columns, received_at=now)
            report.accepted = result.inserted
            report.duplicates = result.duplicates
        self._account(channel, report, letters)
        self.metrics.batch_seconds.labels(channel).observe(time.perf_counter() - started)
        if report.accepted:
            self.bus.publish(
                OBSERVATIONS_TOPIC,
                ObservationsMessage(site=self.site.id, sensors=columns.sensors()),
            )
        return report

    def _validate(
        self, item: Any, now: datetime, allowed_sensors: frozenset[str] | None, expected_sensor: str | None
    ) -> list[Observation]:
        try:
            validated = validate_item(item, self.site, now, self.max_lateness, self.trusted)
        except ItemError:
            raise
        except Exception as exc:  # defence in depth: a validation bug refuses one item, never the batch
            # The message of an unexpected error may quote the input: log only its type.
            log.warning("refusing an item that failed validation unexpectedly (%s)", type(exc).__name__)
            raise ItemError(
                Reason.MALFORMED, None, f"the item could not be validated ({type(exc).__name__})"
            ) from None
        sensor_id = validated[0].sensor_id
        if expected_sensor is not None and sensor_id != expected_sensor:
            raise ItemError(
                Reason.SENSOR_MISMATCH, "sensor_id",
                f"the item names sensor {sensor_id!r}, its topic another sensor",
            )
        if allowed_sensors is not None and sensor_id not in allowed_sensors:
            raise ItemError(
                Reason.SENSOR_NOT_AUTHORISED, "sensor_id",
                f"this ingest token may not write sensor {sensor_id!r}",
            )
        return validated

    def ingest_json(
        self, payload: bytes | str, channel: str, allowed_sensors: frozenset[str] | None = None
    ) -> IngestReport:
        """A raw JSON body: a list of items, an object with `observations`, or one item."""
        items = split_items(payload)
        if isinstance(items, PayloadRefusal):
            return self.refuse_whole(payload, channel, items.reason, items.detail)
        return self.ingest_items(items, channel, allowed_sensors)

    def refuse_whole(
        self, payload: bytes | str | Any, channel: str, reason: str, detail: str, field_name: str | None = None
    ) -> IngestReport:
        """A payload that could not even be split into items: one dead letter for all of it."""
        report = IngestReport(received=1, rejected=[Rejection(reason, field_name, detail, None)])
        letters = DeadLetterBatch(self.site.id, channel, self.clock.now(), self.trusted)
        letters.add(reason, field_name, detail, payload)
        self._account(channel, report, letters)
        return report

    def _account(self, channel: str, report: IngestReport, letters: DeadLetterBatch) -> None:
        site = self.site.id
        if report.accepted:
            self.metrics.ingested.labels(site, channel).inc(report.accepted)
        if report.duplicates:
            self.metrics.duplicates.labels(site, channel).inc(report.duplicates)
        for reason, count in Counter(r.reason for r in report.rejected).items():
            self.metrics.rejected.labels(site, channel, reason).inc(count)
        kept = letters.letters()
        if kept:
            self.store.write_dead_letters(kept)
