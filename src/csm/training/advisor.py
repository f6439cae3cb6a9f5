"""The sandbox's alerts: the live engine's level rule (hysteresis, dwell, raise above green, stand
down when the level drops) evaluated at fixed moments of the session's day, plus the alerts of
free-text incidents.

Pure and deterministic: the same readings and incidents give the same alerts with the same ids on
every worker and after every rewind, so trainees' actions (kept in the store by alert id) stay
attached to the alert they were about. Trainees' actions never feed back into it: a sandbox alert
is what the playbook advised; what trainees did is overlaid when it is shown (csm.training.actions).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from csm.advice.hysteresis import HysteresisSettings, TrackedLevel, candidate_level, step_level
from csm.advice.lifecycle import LEVEL_CHANGE, RAISED, RESOLVED
from csm.advice.playbook import load_playbook, measures_for
from csm.domain.model import Level, ZoneState
from csm.site.model import Site
from csm.training.incidents import Incident

INCIDENT_ALERT = "incident"
SYSTEM = "csm"


def alert_id(zone_id: str, level: str, kind: str, at: datetime) -> str:
    """The same alert gets the same id on every worker and in every replay of the day."""
    return hashlib.sha1(f"{zone_id}|{level}|{kind}|{at.astimezone(UTC).isoformat()}".encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Crossing:
    """A zone's stable level went up (the moments the debrief measures lead times against)."""

    zone_id: str
    previous: str
    level: str
    at: datetime


@dataclass
class SandboxAdvisor:
    site: Site
    settings: HysteresisSettings
    trackers: dict[str, TrackedLevel] = field(default_factory=dict)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    crossings: list[Crossing] = field(default_factory=list)
    stood_down: list[Crossing] = field(default_factory=list)
    evaluated_until: datetime | None = None

    @classmethod
    def for_site(cls, site: Site) -> SandboxAdvisor:
        return cls(site, load_playbook(site).hysteresis())

    def step(self, now: datetime, states: list[ZoneState], incidents: list[Incident]) -> None:
        """One evaluation at `now` (a moment on the session's feed grid)."""
        for state in states:
            self._judge(state, now)
        self._incidents(now, incidents)
        self.evaluated_until = now

    def _judge(self, state: ZoneState, now: datetime) -> None:
        zone = self.site.zones.get(state.zone_id)
        if zone is None:
            return
        tracked = self.trackers.get(zone.id, TrackedLevel())
        cand = candidate_level(tracked.level, state.density_per_m2, zone.thresholds, state.occupancy,
                               zone.capacity, self.settings.band)
        self.trackers[zone.id], change = step_level(zone.id, tracked, cand, now, self.settings)
        if change is None:
            return
        if change.level.rank > change.previous.rank and change.previous is not Level.UNKNOWN:
            self.crossings.append(Crossing(zone.id, change.previous.value, change.level.value, now))
        elif change.level.rank < change.previous.rank:
            self.stood_down.append(Crossing(zone.id, change.previous.value, change.level.value, now))
        for alert in self.alerts.values():
            if (alert["zone_id"], alert["kind"]) == (zone.id, LEVEL_CHANGE) and alert["status"] != RESOLVED \
                    and Level(alert["level"]).rank > change.level.rank:
                self._resolve(alert, now, f"{zone.name} back to {change.level.value}")
        if change.level.rank > max(change.previous.rank, Level.GREEN.rank):
            density = state.density_per_m2 or 0.0
            message = (f"{zone.name} is {change.level.value}: {density:.2f} persons/m²,"
                       f" {state.occupancy or 0:.0f} persons")
            self._raise(zone.id, change.level.value, LEVEL_CHANGE, message, now)

    def _incidents(self, now: datetime, incidents: list[Incident]) -> None:
        """A free-text incident is an alert of its own from its start, stood down at its end."""
        for incident in incidents:
            spec = incident.spec
            if spec.kind != "free" or spec.zone is None:
                continue
            started = incident.start <= now and (self.evaluated_until is None or incident.start > self.evaluated_until)
            if started:
                self._raise(spec.zone, spec.level, INCIDENT_ALERT, spec.note or "incident", incident.start,
                            incident=incident.id)
            if incident.end is not None and incident.end <= now and (
                    self.evaluated_until is None or incident.end > self.evaluated_until):
                found = self.alerts.get(alert_id(spec.zone, spec.level, INCIDENT_ALERT, incident.start))
                if found is not None and found["status"] != RESOLVED:
                    self._resolve(found, incident.end, "the incident is over")

    def _raise(self, zone_id: str, level: str, kind: str, message: str, at: datetime, **extra: Any) -> None:
        if any((a["zone_id"], a["level"], a["kind"]) == (zone_id, level, kind) and a["status"] != RESOLVED
               for a in self.alerts.values()):
            return  # the same alert is open: no second one (as live)
        at = at.astimezone(UTC)
        new_id = alert_id(zone_id, level, kind, at)
        measures = [{"id": m.id, "measure": m.measure, "owner": m.owner, "lead_time_minutes": m.lead_time_minutes}
                    for m in measures_for(load_playbook(self.site), self.site, zone_id, Level(level))]
        self.alerts[new_id] = {
            "id": new_id, "zone_id": zone_id, "level": level, "kind": kind, "status": RAISED,
            "raised_at": at.isoformat(), "message": message, "resolved_at": None, "resolved_by": None,
            "advised": measures, **extra,
        }

    @staticmethod
    def _resolve(alert: dict[str, Any], at: datetime, note: str) -> None:
        alert.update(status=RESOLVED, resolved_at=at.astimezone(UTC).isoformat(), resolved_by=SYSTEM,
                     resolved_note=note)
