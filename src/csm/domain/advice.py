"""A ranked advice item, typed: the ranking builds it, the API answers it and the bus carries it
(low in the layers so `csm.topics` can name it)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_serializer

from csm.domain.model import Level


class AccessRouteSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    post: str
    post_name: str
    service: str
    mode: str
    length_m: float
    avoids: list[str]
    passes_orange: list[str]


class AdviceAlternatives(BaseModel):
    model_config = ConfigDict(frozen=True)

    redirect_to: list[str]
    access_routes: list[AccessRouteSummary]


class AdviceItem(BaseModel):
    """A measure to start, for which zone and level, by when, and why. The API adds what the caller
    needs to show it (`owner_label`, `stale_zones`) as extra keys."""

    model_config = ConfigDict(frozen=True, extra="allow")

    measure_id: str
    measure: str
    owner: str
    level: Level
    zone_id: str
    zones: tuple[str, ...]
    start_by: datetime
    expected_at: datetime
    lead_time_minutes: int
    probability: float
    status: str
    trigger: str
    reason: str
    sources: tuple[str, ...]
    where: str | None = None
    transit: list[str] | None = None
    alternatives: AdviceAlternatives | None = None

    @field_serializer("probability")
    def _shown_probability(self, value: float) -> float:
        """Ranked on the exact value, shown to three decimals."""
        return round(value, 3)
