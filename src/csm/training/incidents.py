"""Incidents a trainer injects into a sandbox day, and what each does to the simulated world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

IncidentKind = Literal["sensor_failure", "surge", "tram_disruption", "free"]
AlertLevelName = Literal["yellow", "orange", "red"]
TRAM_WAITING_FACTOR = 3.0  # passengers pile up at a stop whose trams do not come


class IncidentSchema(BaseModel):
    """What a trainer sends: the kind, where, how strong, from when and for how long."""

    model_config = ConfigDict(extra="forbid")

    kind: IncidentKind
    zone: str | None = Field(
        None, description="surge: the zone; sensor_failure: every sensor of this zone; free: where it happens")
    sensor: str | None = Field(None, description="sensor_failure: one sensor id")
    stops: list[str] = Field(default_factory=list, description="tram_disruption: tram-stop zone ids")
    factor: float = Field(2.0, gt=0, le=20, description="surge: crowd multiplier in the zone")
    at: datetime | None = Field(None, description="simulated start (default: now in the session)")
    duration_minutes: float | None = Field(None, gt=0, le=24 * 60, description="default: until the end")
    note: str | None = Field(None, max_length=500, description="free: what happens (the trainees' alert text)")
    level: AlertLevelName = Field("orange", description="free: the level of the alert it raises")

    @model_validator(mode="after")
    def _where(self) -> IncidentSchema:
        if self.kind == "surge" and not self.zone:
            raise ValueError("a surge needs `zone`")
        if self.kind == "sensor_failure" and not (self.sensor or self.zone):
            raise ValueError("a sensor failure needs `sensor` or `zone`")
        if self.kind == "tram_disruption" and not self.stops:
            raise ValueError("a tram disruption needs `stops` (tram-stop zone ids)")
        if self.kind == "free" and not (self.zone and self.note and self.note.strip()):
            raise ValueError("a free incident needs `zone` and a `note` saying what happens")
        return self


# The catalogue the trainer console offers: what each kind does to the sandbox and what it needs.
CATALOGUE: list[dict[str, str]] = [
    {"kind": "surge", "label": "Sudden surge", "needs": "zone, factor",
     "effect": "the zone's crowd is multiplied by the factor (arriving over 5 minutes)"},
    {"kind": "sensor_failure", "label": "Sensor failure", "needs": "sensor or zone",
     "effect": "the sensor (or every sensor of the zone) stops reporting: the zone goes stale"},
    {"kind": "tram_disruption", "label": "Tram disruption", "needs": "stops",
     "effect": "passengers pile up at the tram stops (3x) while trams do not come"},
    {"kind": "free", "label": "Free incident", "needs": "zone, note, level",
     "effect": "an alert with the trainer's text at the zone (a fight, a lost child, a blocked exit...)"},
]


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    spec: IncidentSchema
    start: datetime
    end: datetime | None

    def active(self, moment: datetime) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, **self.spec.model_dump(mode="json", exclude={"at", "duration_minutes"}),
            "start": self.start.isoformat(), "end": self.end.isoformat() if self.end else None,
        }


def make_incident(number: int, spec: IncidentSchema, now: datetime) -> Incident:
    start = spec.at or now
    end = start + timedelta(minutes=spec.duration_minutes) if spec.duration_minutes else None
    return Incident(number, spec, start, end)


def surges_at(incidents: list[Incident], moment: datetime) -> dict[str, float]:
    """Zone → crowd multiplier from surges and tram disruptions active at `moment`."""
    surges: dict[str, float] = {}
    for incident in incidents:
        if not incident.active(moment):
            continue
        if incident.spec.kind == "surge" and incident.spec.zone:
            surges[incident.spec.zone] = surges.get(incident.spec.zone, 1.0) * incident.spec.factor
        elif incident.spec.kind == "tram_disruption":
            for stop in incident.spec.stops:
                surges[stop] = surges.get(stop, 1.0) * TRAM_WAITING_FACTOR
    return surges


def failed_sensors(incidents: list[Incident], moment: datetime, sensors_of_zone: dict[str, list[str]]
                   ) -> set[str]:
    failed: set[str] = set()
    for incident in incidents:
        if incident.spec.kind != "sensor_failure" or not incident.active(moment):
            continue
        if incident.spec.sensor:
            failed.add(incident.spec.sensor)
        if incident.spec.zone:
            failed |= set(sensors_of_zone.get(incident.spec.zone, []))
    return failed
