"""The debrief of a training session: what trainees did against what the playbook advised, when.

Pure: a function of the sandbox's alerts and level crossings, the incidents, and the session's log.
Lead times are measured against crossings (a zone's stable level going up):

- an action's lead time: from the action to the next crossing of its zone at or above the alert's
  level (positive: it came before the zone got there; none when no crossing followed);
- a crossing is *ahead* when a trainee acted on its zone after the warning and before it, *late*
  when the first action came after it, *missed* with no action at all, and *unwarned* when no alert
  of that zone came before it (the alert raised at the crossing is then the warning);
- an alert is *missed* when no trainee acted on it (a rewound action does not count).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from csm.domain.model import Level
from csm.site.model import Site
from csm.training.actions import SessionLog
from csm.training.advisor import Crossing
from csm.training.incidents import Incident


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def _rank(level: str) -> int:
    return Level(level).rank if level in Level._value2member_map_ else 0


def build_debrief(site: Site, session: dict[str, Any], alerts: list[dict[str, Any]], crossings: list[Crossing],
                  stood_down: list[Crossing], incidents: list[Incident], log: SessionLog) -> dict[str, Any]:
    counted = log.counted()
    zone_of = {a["id"]: a["zone_id"] for a in alerts}
    actions = [_action_row(site, a, zone_of, alerts, crossings) for a in log.actions]
    alert_rows = [_alert_row(site, a, [x for x in counted if x["alert_id"] == a["id"]]) for a in alerts]
    crossing_rows = [_crossing_row(site, c, alerts, counted, zone_of, stood_down) for c in crossings]
    leads = [r["lead_minutes"] for r in crossing_rows if r["status"] in ("ahead", "late")]
    responses = [r["response_minutes"] for r in alert_rows if r["response_minutes"] is not None]
    return {
        "session": session["id"], "site": site.id, "timezone": str(site.tz), "start": session["start"],
        "now": session["now"],
        "timeline": _timeline(site, alerts, crossings, stood_down, incidents, log, actions),
        "alerts": sorted(alert_rows, key=lambda r: r["raised_at"]),
        "crossings": crossing_rows,
        "actions": actions,
        "summary": {
            "alerts": len(alert_rows), "handled": sum(not r["missed"] for r in alert_rows),
            "missed_alerts": sum(r["missed"] for r in alert_rows),
            "crossings": len(crossing_rows),
            "ahead": sum(r["status"] == "ahead" for r in crossing_rows),
            "late": sum(r["status"] == "late" for r in crossing_rows),
            "missed_crossings": sum(r["status"] == "missed" for r in crossing_rows),
            "actions": len(counted), "rewound_actions": len(log.actions) - len(counted),
            "mean_response_minutes": round(sum(responses) / len(responses), 1) if responses else None,
            "mean_lead_minutes": round(sum(leads) / len(leads), 1) if leads else None,
        },
    }


def _zone_name(site: Site, zone_id: str) -> str:
    zone = site.zones.get(zone_id)
    return zone.name if zone else zone_id


def _next_crossing(crossings: list[Crossing], zone_id: str, level: str, after: datetime) -> Crossing | None:
    for c in sorted(crossings, key=lambda c: c.at):
        if c.zone_id == zone_id and c.at >= after and _rank(c.level) >= _rank(level):
            return c
    return None


def _action_row(site: Site, action: dict[str, Any], zone_of: dict[str, str], alerts: list[dict[str, Any]],
                crossings: list[Crossing]) -> dict[str, Any]:
    at = _at(action["at"])
    alert = next((a for a in alerts if a["id"] == action["alert_id"]), None)
    zone_id = zone_of.get(action["alert_id"], action.get("zone_id", ""))
    following = _next_crossing(crossings, zone_id, alert["level"], at) if alert and not action["rewound"] else None
    return {
        "seq": action["seq"], "at": action["at"], "wall_at": action["wall_at"], "by": action["by"],
        "action": action["action"], "alert_id": action["alert_id"], "zone_id": zone_id,
        "zone_name": _zone_name(site, zone_id), "measure": action.get("measure"), "note": action.get("note"),
        "rewound": action["rewound"],
        "advised": bool(alert and action.get("measure") in {m["id"] for m in alert.get("advised", [])}),
        "before_crossing": following.at.isoformat() if following else None,
        "crossing_level": following.level if following else None,
        "lead_minutes": _minutes(following.at - at) if following else None,
    }


def _alert_row(site: Site, alert: dict[str, Any], actions: list[dict[str, Any]]) -> dict[str, Any]:
    raised = _at(alert["raised_at"])
    first = min((_at(a["at"]) for a in actions), default=None)
    taken = {a.get("measure") for a in actions if a["action"] == "measure_taken"}
    return {
        "alert_id": alert["id"], "zone_id": alert["zone_id"], "zone_name": _zone_name(site, alert["zone_id"]),
        "level": alert["level"], "kind": alert["kind"], "message": alert["message"], "raised_at": alert["raised_at"],
        "stood_down_at": alert["resolved_at"],
        "advised": [{**m, "taken": m["id"] in taken} for m in alert.get("advised", [])],
        "first_action_at": first.isoformat() if first else None,
        "response_minutes": _minutes(first - raised) if first else None,
        "actions": len(actions), "missed": not actions,
    }


def _episode_start(zone_id: str, before: datetime, stood_down: list[Crossing]) -> datetime | None:
    """When the zone last came back to green before `before` (None: not since the session began)."""
    downs = [d.at for d in stood_down if d.zone_id == zone_id and d.level == Level.GREEN.value and d.at < before]
    return max(downs, default=None)


def _crossing_row(site: Site, crossing: Crossing, alerts: list[dict[str, Any]], counted: list[dict[str, Any]],
                  zone_of: dict[str, str], stood_down: list[Crossing]) -> dict[str, Any]:
    since = _episode_start(crossing.zone_id, crossing.at, stood_down)
    in_episode = [a for a in alerts if a["zone_id"] == crossing.zone_id
                  and (since is None or _at(a["raised_at"]) >= since)]
    warned = min((_at(a["raised_at"]) for a in in_episode if _at(a["raised_at"]) < crossing.at), default=None)
    ids = {a["id"] for a in in_episode}
    acted = sorted(_at(a["at"]) for a in counted if a["alert_id"] in ids and zone_of.get(a["alert_id"]))
    first = acted[0] if acted else None
    if warned is None:
        status = "unwarned"
    elif first is None:
        status = "missed"
    else:
        status = "ahead" if first <= crossing.at else "late"
    return {
        "zone_id": crossing.zone_id, "zone_name": _zone_name(site, crossing.zone_id), "from": crossing.previous,
        "level": crossing.level, "at": crossing.at.isoformat(),
        "warned_at": warned.isoformat() if warned else None,
        "first_action_at": first.isoformat() if first else None,
        "lead_minutes": _minutes(crossing.at - first) if first is not None and warned is not None else None,
        "status": status,
    }


def _timeline(site: Site, alerts: list[dict[str, Any]], crossings: list[Crossing], stood_down: list[Crossing],
              incidents: list[Incident], log: SessionLog, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in incidents:
        what = i.spec.note if i.spec.kind == "free" else i.spec.kind.replace("_", " ")
        where = i.spec.zone or (i.spec.stops[0] if i.spec.stops else None)
        rows.append({"at": i.start.isoformat(), "kind": "incident", "zone_id": where,
                     "text": f"incident {i.id}: {what}"})
    for a in alerts:
        advised = ", ".join(m["id"] for m in a.get("advised", [])) or "no playbook measure"
        rows.append({"at": a["raised_at"], "kind": "alert", "zone_id": a["zone_id"], "alert_id": a["id"],
                     "level": a["level"], "text": f"{a['message']} · advised: {advised}"})
        if a["resolved_at"]:
            rows.append({"at": a["resolved_at"], "kind": "stood_down", "zone_id": a["zone_id"], "alert_id": a["id"],
                         "level": a["level"], "text": a.get("resolved_note") or "stood down"})
    for c in crossings:
        rows.append({"at": c.at.isoformat(), "kind": "crossing", "zone_id": c.zone_id, "level": c.level,
                     "text": f"{_zone_name(site, c.zone_id)} reached {c.level} (from {c.previous})"})
    for a in actions:
        text = a["action"].replace("_", " ") + (f": {a['measure']}" if a["measure"] else "")
        rows.append({"at": a["at"], "kind": "action", "zone_id": a["zone_id"], "alert_id": a["alert_id"],
                     "by": a["by"], "rewound": a["rewound"], "lead_minutes": a["lead_minutes"], "text": text})
    for e in log.entries:
        if e["type"] in ("control", "rewind"):
            text = f"jumped back from {e['from']} to {e['to']}" if e["type"] == "rewind" else e["what"]
            rows.append({"at": e["at"], "kind": "trainer", "by": e.get("by"), "text": text})
    rows.sort(key=lambda r: (_at(r["at"]), r["kind"]))
    return rows
