"""Answers of the training routes: sessions, the sandbox's alerts with trainees' steps, the
session's log, the incident catalogue and the debrief."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from csm.api.schemas.common import LevelName, Open


class TrainingIncident(Open):
    id: int
    kind: str
    zone: str | None
    sensor: str | None
    stops: list[str]
    factor: float
    note: str | None
    level: str
    start: datetime
    end: datetime | None


class TrainingSessionInfo(BaseModel):
    id: str
    site: str
    mode: str
    created_by: str | None
    now: datetime
    local_time: str
    speed: float
    paused: bool
    incidents: list[TrainingIncident]
    observations: int
    start: datetime | None
    day_end: datetime
    epoch: int
    timezone: str
    may_run: bool = False


class CatalogueEntry(BaseModel):
    kind: str
    label: str
    needs: str
    effect: str


class AdvisedMeasure(Open):
    id: str
    measure: str
    owner: str
    lead_time_minutes: int


class TrainingStep(Open):
    status: str
    at: datetime
    by: str | None


class TakenMeasure(BaseModel):
    measure: str | None
    by: str | None
    at: datetime
    note: str | None


class TrainingAlert(Open):
    id: str
    zone_id: str
    zone_name: str
    level: LevelName
    kind: str
    status: str
    raised_at: datetime
    message: str
    advised: list[AdvisedMeasure]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    measures_taken: list[TakenMeasure]
    resolved_at: datetime | None
    resolved_by: str | None
    history: list[TrainingStep]


class TrainingAlerts(BaseModel):
    session: str
    training: bool
    now: datetime
    alerts: list[TrainingAlert]


class LogEntry(Open):
    seq: int
    type: str
    at: datetime
    wall_at: datetime
    by: str | None = None


class TrainingLog(BaseModel):
    session: str
    entries: list[LogEntry]


class DebriefAction(BaseModel):
    seq: int
    at: datetime
    wall_at: datetime
    by: str
    action: str
    alert_id: str
    zone_id: str
    zone_name: str
    measure: str | None
    note: str | None
    rewound: bool
    advised: bool
    before_crossing: datetime | None
    crossing_level: str | None
    lead_minutes: float | None


class DebriefAdvised(AdvisedMeasure):
    taken: bool


class DebriefAlert(BaseModel):
    alert_id: str
    zone_id: str
    zone_name: str
    level: str
    kind: str
    message: str
    raised_at: datetime
    stood_down_at: datetime | None
    advised: list[DebriefAdvised]
    first_action_at: datetime | None
    response_minutes: float | None
    actions: int
    missed: bool


class DebriefCrossing(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    zone_id: str
    zone_name: str
    from_: str = Field(alias="from")
    level: str
    at: datetime
    warned_at: datetime | None
    first_action_at: datetime | None
    lead_minutes: float | None
    status: str


class TimelineRow(Open):
    at: datetime
    kind: str
    text: str


class DebriefSummary(BaseModel):
    alerts: int
    handled: int
    missed_alerts: int
    crossings: int
    ahead: int
    late: int
    missed_crossings: int
    actions: int
    rewound_actions: int
    mean_response_minutes: float | None
    mean_lead_minutes: float | None


class Debrief(BaseModel):
    session: str
    site: str
    timezone: str
    start: datetime
    now: datetime
    ended: bool
    timeline: list[TimelineRow]
    alerts: list[DebriefAlert]
    crossings: list[DebriefCrossing]
    actions: list[DebriefAction]
    summary: DebriefSummary
