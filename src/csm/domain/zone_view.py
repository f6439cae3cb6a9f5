"""One zone of the live picture as the API, the live stream and the bus carry it (rounded as the
dashboard shows it). Low in the layers so the bus messages (`csm.topics`) can name it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

LevelName = Literal["green", "yellow", "orange", "red", "unknown"]


class SourceFreshnessModel(BaseModel):
    model_config = ConfigDict(frozen=True)

    sensor_id: str
    kind: str
    last_interval_end: datetime | None
    age_seconds: float | None
    stale: bool


class ZoneStateModel(BaseModel):
    """One zone of the live picture, rounded as the dashboard shows it. `suppressed` marks a state
    whose small counts are hidden from the caller (k-anonymity)."""

    model_config = ConfigDict(frozen=True)

    zone_id: str
    name: str
    occupancy: float | None
    density_per_m2: float | None
    level: LevelName
    capacity: float
    walkable_area_m2: float
    utilisation: float | None
    stale: bool
    as_of: datetime
    last_data_at: datetime | None
    sources: list[SourceFreshnessModel]
    suppressed: bool | None = None
