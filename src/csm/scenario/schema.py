"""The scenario file: a day, a baseline and a list of changes, each with its own `kind`.

Validated with pydantic at the edge so every problem names the file, the path in it and what
was expected (see csm.scenario.loader), like the site files.
"""

from __future__ import annotations

import datetime as dt
from datetime import time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_ID = r"^[a-z0-9][a-z0-9_\-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProfilePoint(_Strict):
    at: time
    share: float = Field(ge=0, le=1, description="share of the expected visitors present at this time")


class EventChange(_Strict):
    """An event: `visitors` present at its height, at one zone or spread over several."""

    kind: Literal["event"]
    name: str | None = None
    zone: str | None = Field(None, description="zone id of the event location")
    zones: dict[str, float] | None = Field(None, description="zone id → share of the visitors (sums to 1)")
    visitors: int = Field(gt=0, le=2_000_000, description="visitors present at the height of the event")
    start: time
    end: time
    arrive_minutes: int = Field(90, ge=0, le=720, description="visitors build up over this before start")
    leave_minutes: int = Field(45, ge=0, le=720, description="... and leave over this after end")
    profile: list[ProfilePoint] | None = Field(
        None, description="explicit time profile (linear between points) instead of start/end ramps"
    )

    @model_validator(mode="after")
    def _where(self) -> EventChange:
        if (self.zone is None) == (self.zones is None):
            raise ValueError("give either `zone` (one location) or `zones` (shares per zone)")
        if self.zones is not None:
            total = sum(self.zones.values())
            if abs(total - 1.0) > 0.01 or any(v < 0 for v in self.zones.values()):
                raise ValueError(f"zone shares must be non-negative and sum to 1 (got {total:.3f})")
        if self.end == self.start:
            raise ValueError("end must differ from start (an event past midnight ends the next day)")
        return self


class HeatWaveChange(_Strict):
    """A hotter day than the baseline: more visitors where the weather draws them."""

    kind: Literal["heat_wave"]
    temperature_c: float = Field(ge=-20, le=50, description="expected maximum temperature on the day")
    baseline_temperature_c: float | None = Field(
        None, ge=-20, le=50, description="temperature the baseline assumed (default: the scenario's)"
    )
    zones: list[str] = Field(
        default_factory=lambda: ["beach", "beach_entrance"],
        description="zone ids, groups or kinds drawn by the heat (default: beaches and their entrances)",
    )


class _Window(_Strict):
    start: time = time(0, 0)
    end: time = time(23, 59)

    @model_validator(mode="after")
    def _order(self) -> _Window:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start}) on the same day")
        return self


class TramOutageChange(_Window):
    """Trams of a line do not run: nobody arrives or leaves by tram at its stops."""

    kind: Literal["tram_outage"]
    line: str = Field(description="line number or name, for the report")
    stops: list[str] = Field(min_length=1, description="zone ids of the tram stops it serves on the site")
    stay_home_share: float = Field(0.1, ge=0, le=1, description="share of its passengers who do not come")


class ClosedRouteChange(_Strict):
    """A walking connection between two zones is closed for the day (works, a cordon)."""

    kind: Literal["closed_route"]
    between: tuple[str, str]
    reason: str | None = None


class GarageFullChange(_Window):
    """A parking garage is full: its visitors park elsewhere and walk in from there."""

    kind: Literal["garage_full"]
    garage: str = Field(description="facility id from site.yaml sources.parking.facilities")
    stay_home_share: float = Field(0.05, ge=0, le=1, description="share of its drivers who give up")


Change = Annotated[
    EventChange | HeatWaveChange | TramOutageChange | ClosedRouteChange | GarageFullChange,
    Field(discriminator="kind"),
]


class ScenarioSchema(_Strict):
    """A scenario file."""

    id: str | None = Field(None, pattern=_ID)
    name: str
    description: str | None = None
    site: str | None = Field(None, description="site id; checked against the site it runs on")
    date: dt.date | None = Field(None, description="local date of the day (default: the site's demo date)")
    baseline: Literal["auto", "forecast", "demo"] = Field(
        "auto", description="stored forecast, the demo day's profiles, or auto (forecast if it covers the day)"
    )
    temperature_c: float | None = Field(None, ge=-20, le=50, description="temperature of the baseline day")
    changes: list[Change] = Field(default_factory=list)
