"""An alert as the advice stage folds it from the alert log, typed: the engine, the API, the
bus and the webhooks pass this one frozen model (low in the layers so `csm.topics` can name it)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from csm.domain.zone_view import LevelName

AlertStatus = Literal["raised", "acknowledged", "measure_taken", "resolved"]


class AlertStep(BaseModel):
    """One lifecycle step: what happened, when, by whom (with a measure for `measure_taken`)."""

    model_config = ConfigDict(frozen=True)

    status: str
    at: datetime
    by: str | None
    note: str | None = None
    measure: str | None = None


class MeasureTaken(BaseModel):
    model_config = ConfigDict(frozen=True)

    measure: str | None
    by: str | None
    at: datetime
    note: str | None = None


class Alert(BaseModel):
    """One alert as folded from the log. `previous_level` (level alerts) and `lead_time_minutes`
    (predicted crossings) are what the engine logged when it raised the alert."""

    model_config = ConfigDict(frozen=True)

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
    previous_level: LevelName | None = None
    lead_time_minutes: int | None = None
