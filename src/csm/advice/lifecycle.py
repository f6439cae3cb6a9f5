"""The alert lifecycle as an append-only log: raised → acknowledged → measure taken → resolved.

Every step is one event in the store's "alerts" stream; the current state is a fold over it, so
several API workers see the same alerts and nothing is ever overwritten (an audit trail for the
evaluation after a busy day). Stable zone levels are logged in the same stream (`level_changed`)
so that a restarted engine and every API worker know them without recomputing the hysteresis.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from csm.bus import Bus
from csm.context import Services, Slot
from csm.domain.alerts import Alert, AlertStep, MeasureTaken
from csm.domain.model import Level
from csm.domain.zone_view import LevelName
from csm.store.base import Store, StoredEvent
from csm.topics import ALERTS_TOPIC, AlertMessage

log = logging.getLogger(__name__)
STREAM = "alerts"
RAISED, ACKNOWLEDGED, MEASURE_TAKEN, RESOLVED = "raised", "acknowledged", "measure_taken", "resolved"
UPDATED = "updated"
LEVEL_CHANGE, PREDICTED_CROSSING = "level_change", "predicted_crossing"
SYSTEM = "csm"
StepStatus = Literal["acknowledged", "measure_taken", "resolved"]
# Which step may follow which (resolve is always allowed until resolved).
_ALLOWED_FROM = {
    ACKNOWLEDGED: {RAISED},
    MEASURE_TAKEN: {RAISED, ACKNOWLEDGED, MEASURE_TAKEN},
    RESOLVED: {RAISED, ACKNOWLEDGED, MEASURE_TAKEN},
}


class AlertNotFound(KeyError):
    pass


class AlertTransitionError(ValueError):
    pass


# -- the logged events, typed (keys of older releases that nothing reads are ignored) ---------
class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    at: datetime


class LevelChanged(_Event):
    """The engine committed a zone's stable level (after hysteresis and dwell)."""

    type: Literal["level_changed"] = "level_changed"
    zone_id: str
    previous: LevelName = "unknown"
    level: LevelName


class AlertRaised(_Event):
    type: Literal["raised"] = "raised"
    alert_id: str
    zone_id: str
    level: LevelName
    kind: str
    message: str
    expected_at: datetime | None = None
    probability: float | None = None
    previous_level: LevelName | None = None
    lead_time_minutes: int | None = None


class AlertUpdated(_Event):
    """A predicted alert's expectation moved (only the fields sent change)."""

    type: Literal["updated"] = "updated"
    alert_id: str
    message: str | None = None
    expected_at: datetime | None = None
    probability: float | None = None


class AlertStepped(_Event):
    """A person (or the engine, resolving) took a lifecycle step."""

    type: StepStatus
    alert_id: str
    by: str | None = None
    note: str | None = None
    measure: str | None = None


AlertEvent = Annotated[LevelChanged | AlertRaised | AlertUpdated | AlertStepped, Field(discriminator="type")]
_EVENT = TypeAdapter(AlertEvent)


def read_event(event: StoredEvent) -> AlertEvent | None:
    """The typed event of a stored payload; None (logged) for one this release cannot read."""
    try:
        return _EVENT.validate_python(event.payload)
    except ValidationError as exc:
        log.warning("alert log event %d skipped: %s", event.id, "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in exc.errors()[:3]))
        return None


@dataclass
class Ledger:
    """The fold: alerts by id and the stable level of each zone."""

    alerts: dict[str, Alert] = field(default_factory=dict)
    levels: dict[str, tuple[Level, datetime]] = field(default_factory=dict)
    last_id: int = 0


def apply_event(ledger: Ledger, event: StoredEvent) -> None:
    """Fold one logged event into the ledger (pure: no I/O)."""
    ledger.last_id = max(ledger.last_id, event.id)
    typed = read_event(event)
    if typed is None:
        return
    if isinstance(typed, LevelChanged):
        ledger.levels[typed.zone_id] = (Level(typed.level), typed.at)
    elif isinstance(typed, AlertRaised):
        ledger.alerts[typed.alert_id] = _raised(typed)
    elif (alert := ledger.alerts.get(typed.alert_id)) is not None:
        ledger.alerts[typed.alert_id] = _updated(alert, typed) if isinstance(typed, AlertUpdated) \
            else _stepped(alert, typed)


def _raised(e: AlertRaised) -> Alert:
    return Alert(
        id=e.alert_id, zone_id=e.zone_id, level=e.level, kind=e.kind, status=RAISED, raised_at=e.at,
        message=e.message, expected_at=e.expected_at, probability=e.probability, acknowledged_by=None,
        acknowledged_at=None, measures_taken=[], resolved_at=None, resolved_by=None, updated_at=e.at,
        history=[AlertStep(status=RAISED, at=e.at, by=SYSTEM)], previous_level=e.previous_level,
        lead_time_minutes=e.lead_time_minutes,
    )


def _updated(alert: Alert, e: AlertUpdated) -> Alert:
    changes: dict[str, object] = {k: getattr(e, k) for k in ("expected_at", "probability", "message")
                                  if k in e.model_fields_set}
    return alert.model_copy(update={**changes, "updated_at": e.at})


def _stepped(alert: Alert, e: AlertStepped) -> Alert:
    step = AlertStep(status=e.type, at=e.at, by=e.by, note=e.note,
                     measure=e.measure if e.type == MEASURE_TAKEN else None)
    changes: dict[str, object] = {"status": e.type, "updated_at": e.at, "history": [*alert.history, step]}
    if e.type == ACKNOWLEDGED:
        changes |= {"acknowledged_by": e.by, "acknowledged_at": e.at}
    elif e.type == MEASURE_TAKEN:
        taken = MeasureTaken(measure=e.measure, by=e.by, at=e.at, note=e.note)
        changes["measures_taken"] = [*alert.measures_taken, taken]
    else:
        changes |= {"resolved_by": e.by, "resolved_at": e.at}
    return alert.model_copy(update=changes)


@dataclass(frozen=True, slots=True)
class IncidentStep:
    """One lifecycle step of one alert: the incident log's row."""

    at: datetime
    alert_id: str
    zone_id: str
    level: str
    kind: str
    step: str
    actor: str
    measure: str | None
    note: str | None
    message: str


def incident_steps(alerts: Iterable[Alert], since: datetime, until: datetime) -> list[IncidentStep]:
    """Every lifecycle step of these alerts within [since, until), oldest first: the incident log
    the control room keeps as its record of the day (who did what, when, for which alert)."""
    steps = [
        IncidentStep(at=step.at, alert_id=alert.id, zone_id=alert.zone_id, level=alert.level, kind=alert.kind,
                     step=step.status, actor=step.by or SYSTEM, measure=step.measure, note=step.note,
                     message=alert.message)
        for alert in alerts for step in alert.history if since <= step.at < until
    ]
    steps.sort(key=lambda s: (s.at, s.alert_id))
    return steps


class AlertBook:
    """One site's alerts: appends lifecycle steps to the log and keeps the fold up to date."""

    def __init__(self, store: Store, site_id: str, bus: Bus | None = None) -> None:
        self.store = store
        self.site_id = site_id
        self.bus = bus
        self._ledger = Ledger()
        self._lock = threading.RLock()

    def refresh(self) -> Ledger:
        """Fold in what was logged since the last look (by this or another process)."""
        with self._lock:
            while True:
                events = self.store.read_events(self.site_id, STREAM, after_id=self._ledger.last_id)
                for event in events:
                    apply_event(self._ledger, event)
                if len(events) < 1000:
                    return self._ledger

    def _append(self, event: _Event) -> None:
        with self._lock:
            self.store.append_event(self.site_id, STREAM, event.at, event.model_dump(mode="json", exclude_none=True))
            self.refresh()

    # -- reading ------------------------------------------------------------------------------
    def alerts(self, status: str | None = None, limit: int = 200) -> list[Alert]:
        """Newest first; open ones are those not resolved."""
        ledger = self.refresh()
        found = [a for a in ledger.alerts.values() if status is None or a.status == status]
        found.sort(key=lambda a: a.raised_at, reverse=True)
        return found[:limit]

    def get(self, alert_id: str) -> Alert:
        alert = self.refresh().alerts.get(alert_id)
        if alert is None:
            raise AlertNotFound(alert_id)
        return alert

    def unresolved(self, kind: str, zone_id: str | None = None) -> list[Alert]:
        """Every alert of this kind (of this zone) that is not resolved, newest first, however many
        the site has (`alerts` gives the newest 200 of all, for a page)."""
        found = [a for a in self.refresh().alerts.values()
                 if a.kind == kind and a.status != RESOLVED and (zone_id is None or a.zone_id == zone_id)]
        found.sort(key=lambda a: a.raised_at, reverse=True)
        return found

    def open_alert(self, zone_id: str, level: Level, kind: str) -> Alert | None:
        for alert in self.refresh().alerts.values():
            if (alert.zone_id, alert.level, alert.kind) == (zone_id, level.value, kind) and alert.status != RESOLVED:
                return alert
        return None

    def recently_resolved(self, zone_id: str, level: Level, kind: str, since: datetime) -> bool:
        return any(
            (a.zone_id, a.level, a.kind) == (zone_id, level.value, kind)
            and a.resolved_at is not None and a.resolved_at >= since
            for a in self.refresh().alerts.values()
        )

    def levels(self) -> dict[str, tuple[Level, datetime]]:
        return dict(self.refresh().levels)

    # -- writing ------------------------------------------------------------------------------
    def record_level(self, zone_id: str, previous: Level, level: Level, at: datetime) -> None:
        self._append(LevelChanged(zone_id=zone_id, previous=previous.value, level=level.value, at=at))

    def raise_alert(
        self,
        zone_id: str,
        level: Level,
        kind: str,
        message: str,
        at: datetime,
        dedup: timedelta = timedelta(0),
        *,
        expected_at: datetime | None = None,
        probability: float | None = None,
        previous_level: Level | None = None,
        lead_time_minutes: int | None = None,
    ) -> Alert | None:
        """Raise unless the same (zone, level, kind) is open, or was resolved within `dedup`."""
        with self._lock:
            if self.open_alert(zone_id, level, kind) is not None:
                return None
            if dedup > timedelta(0) and self.recently_resolved(zone_id, level, kind, at - dedup):
                return None
            alert_id = uuid.uuid4().hex[:12]
            self._append(AlertRaised(
                alert_id=alert_id, zone_id=zone_id, level=level.value, kind=kind, message=message, at=at,
                expected_at=expected_at, probability=probability,
                previous_level=previous_level.value if previous_level else None, lead_time_minutes=lead_time_minutes,
            ))
            return self._published(alert_id, RAISED)

    def update(self, alert_id: str, at: datetime, *, message: str, expected_at: datetime | None,
               probability: float | None) -> Alert:
        """A predicted alert's new expectation (message, expected time, probability)."""
        self._append(AlertUpdated(alert_id=alert_id, at=at, message=message, expected_at=expected_at,
                                  probability=probability))
        return self._published(alert_id, UPDATED)

    def transition(
        self, alert_id: str, status: str, by: str, at: datetime, note: str | None = None,
        measure: str | None = None,
    ) -> Alert:
        """Acknowledge, record a measure taken, or resolve; refuses steps out of order."""
        with self._lock:
            alert = self.get(alert_id)
            if status not in _ALLOWED_FROM:
                raise AlertTransitionError(f"{status!r} is not a step; expected one of {sorted(_ALLOWED_FROM)}")
            if alert.status not in _ALLOWED_FROM[status]:
                raise AlertTransitionError(f"alert {alert_id} is {alert.status}: cannot be {status}")
            self._append(AlertStepped.model_validate(
                {"type": status, "alert_id": alert_id, "by": by, "note": note, "measure": measure, "at": at}))
            return self._published(alert_id, status)

    def _published(self, alert_id: str, event: str) -> Alert:
        alert = self.get(alert_id)
        if self.bus is not None:
            self.bus.publish(ALERTS_TOPIC, AlertMessage(site=self.site_id, event=event, alert=alert))
        return alert


class AlertBooks:
    """The books of one runtime by site: engine and API share one fold, kept incrementally. Each
    book folds the store's log, so every worker's books agree."""

    def __init__(self) -> None:
        self._books: dict[str, AlertBook] = {}
        self._lock = threading.Lock()

    def of(self, store: Store, site_id: str, bus: Bus | None) -> AlertBook:
        with self._lock:
            book = self._books.get(site_id)
            if book is None:
                book = self._books[site_id] = AlertBook(store, site_id, bus)
            return book


ALERT_BOOKS = Slot("advice.alert_books", AlertBooks)


def alert_book_of(services: Services, site_id: str) -> AlertBook:
    """The runtime's book of a site."""
    return services.state.get(ALERT_BOOKS).of(services.store, site_id, services.bus)
