"""Typed shapes of what the advice stage hands on: alerts (the fold of the alert log), ranked
advice and predicted crossings. The API declares them and the dashboard's types come from them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

LevelName = Literal["green", "yellow", "orange", "red", "unknown"]
AlertStatus = Literal["raised", "acknowledged", "measure_taken", "resolved"]


class AlertStep(BaseModel):
    status: str
    at: datetime
    by: str | None
    note: str | None = None


class MeasureTaken(BaseModel):
    measure: str | None
    by: str | None
    at: datetime
    note: str | None = None


class Alert(BaseModel):
    """One alert as folded from the log. Details the engine logged when raising it (e.g.
    `previous_level`, `lead_time_minutes`) are kept as extra keys."""

    model_config = ConfigDict(extra="allow")

    id: str
    zone_id: str
    level: LevelName
    kind: str
    status: AlertStatus
    raised_at: datetime
    message: str
    expected_at: datetime | None
    probability: float | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    measures_taken: list[MeasureTaken]
    resolved_at: datetime | None
    resolved_by: str | None
    updated_at: datetime
    history: list[AlertStep]


class AccessRouteSummary(BaseModel):
    post: str
    post_name: str
    service: str
    mode: str
    length_m: float
    avoids: list[str]
    passes_orange: list[str]


class AdviceAlternatives(BaseModel):
    redirect_to: list[str]
    access_routes: list[AccessRouteSummary]


class AdviceItem(BaseModel):
    """A measure to start, for which zone and level, by when, and why."""

    model_config = ConfigDict(extra="allow")

    measure_id: str
    measure: str
    owner: str
    level: LevelName
    zone_id: str
    zones: list[str]
    start_by: datetime
    expected_at: datetime
    lead_time_minutes: int
    probability: float
    status: str
    trigger: str
    reason: str
    sources: list[str]
    alternatives: AdviceAlternatives | None = None


class Crossing(BaseModel):
    zone_id: str
    level: LevelName
    expected_at: datetime
    lead_time_minutes: int
    probability: float
    peak_probability: float
    peak_at: datetime
    threshold_persons: float
    p50: float
    p90: float


class RedirectTarget(BaseModel):
    """A nearby zone with room to send visitors to."""

    zone_id: str
    name: str
    distance_m: float
    expected_persons: float
    spare_persons: float
    level: LevelName


class ZoneAlternatives(BaseModel):
    zone_id: str
    redirect_to: list[RedirectTarget]
    access_routes: list[AccessRouteSummary]
    no_route_from: list[str]


class AlertMessage(BaseModel):
    """Bus topic "alerts": one step of an alert's lifecycle (raised, updated, acknowledged, ...)."""

    site: str
    event: str
    alert: Alert


class AdviceMessage(BaseModel):
    """Bus topic "advice": the ranked advice of a site, when it changed."""

    site: str
    as_of: datetime
    advice: list[AdviceItem]
