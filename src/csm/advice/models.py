"""Typed shapes of what the advice stage hands on: alerts (the fold of the alert log), ranked
advice and predicted crossings. The API declares them and the dashboard's types come from them.
Alerts and advice items live in `csm.domain` (the bus messages of `csm.topics` carry them)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from csm.domain.advice import AccessRouteSummary, AdviceAlternatives, AdviceItem
from csm.domain.alerts import Alert, AlertStatus, AlertStep, MeasureTaken
from csm.domain.zone_view import LevelName
from csm.topics import AdviceMessage, AlertMessage

__all__ = [
    "AccessRouteSummary", "AdviceAlternatives", "AdviceItem", "AdviceMessage", "Alert", "AlertMessage",
    "AlertStatus", "AlertStep", "Crossing", "LevelName", "MeasureTaken", "RedirectTarget", "ZoneAlternatives",
]


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
