"""What happened in a training session, kept in the (live) store as an append-only log per session:
trainees' actions on sandbox alerts (acknowledge, measure taken, resolve), the trainer's steps
(start, incidents, pause, speed, jumps, end), each with the session's clock time and the wall time.

In the store, not in a sandbox, so every API worker shows the same log, and a rewind does not erase
it: actions after the moment jumped back to stay in the log, marked `rewound`, and no longer count
for the sandbox's alerts (the replay raises those alerts again, to be handled again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from csm.advice.lifecycle import ACKNOWLEDGED, MEASURE_TAKEN, RAISED, RESOLVED
from csm.store.base import Store

Step = Literal["acknowledged", "measure_taken", "resolved"]
ALLOWED_FROM: dict[str, set[str]] = {
    ACKNOWLEDGED: {RAISED},
    MEASURE_TAKEN: {RAISED, ACKNOWLEDGED, MEASURE_TAKEN},
    RESOLVED: {RAISED, ACKNOWLEDGED, MEASURE_TAKEN},
}
PAGE = 1000


class StepRefused(ValueError):
    """A trainee's step that the alert's state does not allow (as live: 409)."""


def stream_of(session_id: str) -> str:
    return f"training:{session_id}"


@dataclass
class SessionLog:
    """The fold of one session's log: entries oldest first, actions marked when rewound."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def actions(self) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["type"] == "action"]

    def counted(self) -> list[dict[str, Any]]:
        """The actions that still count (not rewound)."""
        return [a for a in self.actions if not a["rewound"]]


def read_log(store: Store, site_id: str, session_id: str) -> SessionLog:
    log = SessionLog()
    after = 0
    while True:
        events = store.read_events(site_id, stream_of(session_id), after_id=after, limit=PAGE)
        for event in events:
            entry = {**event.payload, "seq": event.id}
            if entry["type"] == "action":
                entry["rewound"] = False
            elif entry["type"] == "rewind":
                to = datetime.fromisoformat(entry["to"])
                for action in log.actions:
                    if not action["rewound"] and datetime.fromisoformat(action["at"]) > to:
                        action["rewound"] = True
                        action["rewound_at"] = entry["wall_at"]
            log.entries.append(entry)
        if len(events) < PAGE:
            return log
        after = events[-1].id


def append(store: Store, site_id: str, session_id: str, payload: dict[str, Any], wall: datetime) -> dict[str, Any]:
    entry = {**payload, "wall_at": wall.isoformat()}
    seq = store.append_event(site_id, stream_of(session_id), wall, entry)
    return {**entry, "seq": seq}


def overlay(alerts: list[dict[str, Any]], log: SessionLog) -> list[dict[str, Any]]:
    """The sandbox's alerts as trainees see them: the system's raise and stand-down, with the
    trainees' counted steps folded in (who acknowledged, measures taken, who resolved)."""
    by_id = {a["id"]: _fresh(a) for a in alerts}
    for action in log.counted():
        alert = by_id.get(action["alert_id"])
        if alert is None or alert["status"] not in ALLOWED_FROM[action["action"]]:
            continue
        if alert["system_resolved_at"] and _at(action["at"]) > _at(alert["system_resolved_at"]):
            continue  # the sandbox had stood it down by then
        _apply(alert, action)
    for alert in by_id.values():
        if alert["system_resolved_at"] and alert["status"] != RESOLVED:
            alert.update(status=RESOLVED, resolved_at=alert["system_resolved_at"], resolved_by="csm")
    return sorted(by_id.values(), key=lambda a: a["raised_at"], reverse=True)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _fresh(alert: dict[str, Any]) -> dict[str, Any]:
    return {
        **alert, "status": RAISED, "system_resolved_at": alert["resolved_at"], "resolved_at": None,
        "resolved_by": None, "acknowledged_at": None, "acknowledged_by": None, "measures_taken": [],
        "history": [{"status": RAISED, "at": alert["raised_at"], "by": "csm"}],
    }


def _apply(alert: dict[str, Any], action: dict[str, Any]) -> None:
    step = action["action"]
    alert["status"] = step
    alert["history"].append({"status": step, "at": action["at"], "by": action["by"], "note": action.get("note"),
                             "measure": action.get("measure")})
    if step == ACKNOWLEDGED:
        alert.update(acknowledged_at=action["at"], acknowledged_by=action["by"])
    elif step == MEASURE_TAKEN:
        alert["measures_taken"].append({"measure": action.get("measure"), "by": action["by"], "at": action["at"],
                                        "note": action.get("note")})
    else:
        alert.update(resolved_at=action["at"], resolved_by=action["by"])


def check_step(alert: dict[str, Any], step: str) -> None:
    if alert["status"] not in ALLOWED_FROM[step]:
        raise StepRefused(f"alert {alert['id']} is {alert['status']}: cannot be {step}")
