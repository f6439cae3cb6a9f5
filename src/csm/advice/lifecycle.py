"""The alert lifecycle as an append-only log: raised → acknowledged → measure taken → resolved.

Every step is one event in the store's "alerts" stream; the current state is a fold over it, so
several API workers see the same alerts and nothing is ever overwritten (an audit trail for the
evaluation after a busy day). Stable zone levels are logged in the same stream (`level_changed`)
so that a restarted engine and every API worker know them without recomputing the hysteresis.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from csm.advice.models import AlertMessage
from csm.bus import Bus
from csm.context import Services, Slot
from csm.domain.model import Level
from csm.store.base import Store, StoredEvent
from csm.topics import ALERTS_TOPIC

STREAM = "alerts"
RAISED, ACKNOWLEDGED, MEASURE_TAKEN, RESOLVED = "raised", "acknowledged", "measure_taken", "resolved"
LEVEL_CHANGE, PREDICTED_CROSSING = "level_change", "predicted_crossing"
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


@dataclass
class Ledger:
    """The fold: alerts by id and the stable level of each zone."""

    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    levels: dict[str, tuple[Level, datetime]] = field(default_factory=dict)
    last_id: int = 0


def apply_event(ledger: Ledger, event: StoredEvent) -> None:
    """Fold one logged event into the ledger (pure: no I/O)."""
    p = event.payload
    kind = p.get("type")
    ledger.last_id = max(ledger.last_id, event.id)
    if kind == "level_changed":
        ledger.levels[p["zone_id"]] = (Level(p["level"]), datetime.fromisoformat(p["at"]))
        return
    if kind == RAISED:
        ledger.alerts[p["alert_id"]] = {
            "id": p["alert_id"],
            "zone_id": p["zone_id"],
            "level": p["level"],
            "kind": p["kind"],
            "status": RAISED,
            "raised_at": p["at"],
            "message": p["message"],
            "expected_at": p.get("expected_at"),
            "probability": p.get("probability"),
            "acknowledged_by": None,
            "acknowledged_at": None,
            "measures_taken": [],
            "resolved_at": None,
            "resolved_by": None,
            "updated_at": p["at"],
            "history": [{"status": RAISED, "at": p["at"], "by": "csm"}],
        }
        extra = {k: v for k, v in p.items() if k not in ("type", "alert_id", "at")}
        ledger.alerts[p["alert_id"]] = {**extra, **ledger.alerts[p["alert_id"]]}
        return
    alert = ledger.alerts.get(p.get("alert_id", ""))
    if alert is None:
        return
    alert["updated_at"] = p["at"]
    if kind == "updated":
        for key in ("expected_at", "probability", "message"):
            if key in p:
                alert[key] = p[key]
        return
    step = {"status": kind, "at": p["at"], "by": p.get("by"), "note": p.get("note")}
    if kind == MEASURE_TAKEN:
        step["measure"] = p.get("measure")
    alert["history"].append(step)
    alert["status"] = kind
    if kind == ACKNOWLEDGED:
        alert["acknowledged_by"], alert["acknowledged_at"] = p.get("by"), p["at"]
    elif kind == MEASURE_TAKEN:
        alert["measures_taken"].append({"measure": p.get("measure"), "by": p.get("by"), "at": p["at"],
                                        "note": p.get("note")})
    elif kind == RESOLVED:
        alert["resolved_by"], alert["resolved_at"] = p.get("by"), p["at"]


def incident_steps(alerts: Iterable[dict[str, Any]], since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Every lifecycle step of these alerts within [since, until), oldest first: the incident log
    the control room keeps as its record of the day (who did what, when, for which alert)."""
    steps: list[dict[str, Any]] = []
    for alert in alerts:
        for step in alert.get("history", []):
            at = datetime.fromisoformat(step["at"])
            if since <= at < until:
                steps.append({
                    "at": step["at"], "alert_id": alert["id"], "zone_id": alert["zone_id"], "level": alert["level"],
                    "kind": alert["kind"], "step": step["status"], "actor": step.get("by") or "csm",
                    "measure": step.get("measure"), "note": step.get("note"), "message": alert["message"],
                })
    steps.sort(key=lambda s: (datetime.fromisoformat(s["at"]), s["alert_id"]))
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

    def _append(self, payload: dict[str, Any], at: datetime) -> None:
        with self._lock:
            self.store.append_event(self.site_id, STREAM, at, payload)
            self.refresh()

    # -- reading ------------------------------------------------------------------------------
    def alerts(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Newest first; open ones are those not resolved."""
        ledger = self.refresh()
        found = [a for a in ledger.alerts.values() if status is None or a["status"] == status]
        found.sort(key=lambda a: a["raised_at"], reverse=True)
        return [dict(a) for a in found[:limit]]

    def get(self, alert_id: str) -> dict[str, Any]:
        alert = self.refresh().alerts.get(alert_id)
        if alert is None:
            raise AlertNotFound(alert_id)
        return dict(alert)

    def open_alert(self, zone_id: str, level: Level, kind: str) -> dict[str, Any] | None:
        for alert in self.refresh().alerts.values():
            if (alert["zone_id"], alert["level"], alert["kind"]) == (zone_id, level.value, kind) and (
                alert["status"] != RESOLVED
            ):
                return alert
        return None

    def recently_resolved(self, zone_id: str, level: Level, kind: str, since: datetime) -> bool:
        return any(
            (a["zone_id"], a["level"], a["kind"]) == (zone_id, level.value, kind)
            and a["resolved_at"] is not None
            and datetime.fromisoformat(a["resolved_at"]) >= since
            for a in self.refresh().alerts.values()
        )

    def levels(self) -> dict[str, tuple[Level, datetime]]:
        return dict(self.refresh().levels)

    # -- writing ------------------------------------------------------------------------------
    def record_level(self, zone_id: str, previous: Level, level: Level, at: datetime) -> None:
        self._append({"type": "level_changed", "zone_id": zone_id, "previous": previous.value,
                      "level": level.value, "at": at.isoformat()}, at)

    def raise_alert(
        self,
        zone_id: str,
        level: Level,
        kind: str,
        message: str,
        at: datetime,
        dedup: timedelta = timedelta(0),
        **details: Any,
    ) -> dict[str, Any] | None:
        """Raise unless the same (zone, level, kind) is open, or was resolved within `dedup`."""
        with self._lock:
            if self.open_alert(zone_id, level, kind) is not None:
                return None
            if dedup > timedelta(0) and self.recently_resolved(zone_id, level, kind, at - dedup):
                return None
            alert_id = uuid.uuid4().hex[:12]
            self._append({"type": RAISED, "alert_id": alert_id, "zone_id": zone_id, "level": level.value,
                          "kind": kind, "message": message, "at": at.isoformat(), **details}, at)
            return self._published(alert_id, RAISED)

    def update(self, alert_id: str, at: datetime, **changes: Any) -> dict[str, Any]:
        self._append({"type": "updated", "alert_id": alert_id, "at": at.isoformat(), **changes}, at)
        return self._published(alert_id, "updated")

    def transition(
        self, alert_id: str, status: str, by: str, at: datetime, note: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """Acknowledge, record a measure taken, or resolve; refuses steps out of order."""
        with self._lock:
            alert = self.get(alert_id)
            if alert["status"] not in _ALLOWED_FROM[status]:
                raise AlertTransitionError(f"alert {alert_id} is {alert['status']}: cannot be {status}")
            self._append({"type": status, "alert_id": alert_id, "by": by, "note": note,
                          "at": at.isoformat(), **extra}, at)
            return self._published(alert_id, status)

    def _published(self, alert_id: str, event: str) -> dict[str, Any]:
        alert = self.get(alert_id)
        if self.bus is not None:
            message = {"site": self.site_id, "event": event, "alert": alert}
            AlertMessage.model_validate(message)  # the shape subscribers rely on
            self.bus.publish(ALERTS_TOPIC, message)
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
