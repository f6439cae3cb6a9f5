"""Pydantic schemas of the two site files. Every field says what it expects, so errors can too."""

from __future__ import annotations

import datetime as dt
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from csm.domain.levels import (
    FRUIN_LOS_C_FROM,
    FRUIN_LOS_E_FROM,
    FRUIN_LOS_F_FROM,
    SAFE_DENSITY_MOVING,
)
from csm.domain.model import SensorKind

_ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ThresholdsSchema(Strict):
    """Densities (persons/m² walkable) from which a zone is yellow, orange, red."""

    yellow: float = Field(FRUIN_LOS_C_FROM, gt=0)
    orange: float = Field(FRUIN_LOS_E_FROM, gt=0)
    red: float = Field(FRUIN_LOS_F_FROM, gt=0)

    @model_validator(mode="after")
    def _rising(self) -> ThresholdsSchema:
        if not (self.yellow < self.orange < self.red):
            raise ValueError(
                f"must rise: yellow ({self.yellow}) < orange ({self.orange}) < red ({self.red})"
            )
        return self


class DefaultsSchema(Strict):
    thresholds: ThresholdsSchema = ThresholdsSchema()
    safe_density_per_m2: float = Field(SAFE_DENSITY_MOVING, gt=0, le=6)
    stale_after_intervals: float = Field(
        2.0, ge=1, description="a sensor is stale when its newest interval ended this many"
        " of its own intervals ago"
    )
    line_counter_reset: time = Field(
        time(5, 0), description="local time at which line-counter balances restart from zero"
    )
    line_counter_leak_per_hour: float = Field(
        0.0, ge=0, lt=1, description="fraction of a line-counter balance assumed to have left"
        " unseen per hour (drift correction)"
    )


class PrivacySchema(Strict):
    k_anonymity: int = Field(5, ge=1, description="counts below k are suppressed for roles"
                             " without the right to see small counts")
    retention_days: int = Field(30, ge=1, description="raw observations older than this are purged")


class SensorSchema(Strict):
    """A counting sensor and the zone it feeds."""

    id: str = Field(pattern=_ID_PATTERN)
    kind: SensorKind
    zone: str
    interval_seconds: int = Field(60, ge=10, le=86_400)
    name: str | None = None
    direction: Literal["in", "out"] = Field(
        "in", description="line counters: which metric counts persons entering `zone`"
    )
    opposite_zone: str | None = Field(
        None, description="line counters on a zone border: the zone a person entering `zone` leaves"
    )
    coverage: float = Field(
        1.0, gt=0, le=1, description="area counters: share of the zone's walkable area in view"
    )
    scale: float = Field(
        1.0, gt=0, description="visitor estimates: factor from the panel estimate to all visitors"
    )
    weight: float | None = Field(None, gt=0, description="weight when fusing with other sources")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)

    @model_validator(mode="after")
    def _kind_fields(self) -> SensorSchema:
        if self.opposite_zone is not None and self.kind is not SensorKind.LINE_COUNTER:
            raise ValueError("opposite_zone applies to line_counter sensors only")
        if self.opposite_zone == self.zone:
            raise ValueError("opposite_zone must differ from zone")
        return self


class DemoPeakSchema(Strict):
    density: float = Field(gt=0, description="persons/m² walkable the zone reaches at the day's height")
    profile: str = Field("boulevard", description="daily profile name (csm.synthetic.day.PROFILES)")


class DemoSchema(Strict):
    """The synthetic day of the demo, training sandboxes and scenario baselines."""

    date: dt.date | None = Field(None, description="local date of the demo day (default: today)")
    start: dt.time | None = Field(None, description="local start time of the demo (default 09:00)")
    temperature_c: float | None = Field(None, description="air temperature of the day (hot days are busier)")
    peaks: dict[str, DemoPeakSchema] = Field(default_factory=dict, description="per zone id")


# Sections owned by a capability below or beside the site layer stay plain JSON here and are
# validated by their owner (csm.extensions.SECTION_VALIDATORS): sources by the source registry,
# the playbook by csm.advice.playbook. `csm site validate` reports both in one run.
RawSection = dict[str, JsonValue]


class SiteSchema(Strict):
    """site.yaml"""

    id: str = Field(pattern=_ID_PATTERN)
    name: str
    timezone: str
    country: str = Field("NL", pattern=r"^[A-Z]{2}$")
    subdivision: str | None = Field(None, pattern=r"^[A-Z0-9]{1,3}$",
                                    description="ISO 3166-2 subdivision (e.g. ZH, BY): its public holidays count too")
    center: tuple[float, float] | None = Field(None, description="[lon, lat] map centre")
    zoom: float = 15.0
    basemap_style_url: str | None = Field(
        None, description="optional MapLibre style URL; the dashboard works offline without one"
    )
    # What the map draws under the zones; typed and checked by csm.site.basemap.
    basemap: RawSection | None = None
    defaults: DefaultsSchema = DefaultsSchema()
    privacy: PrivacySchema = PrivacySchema()
    sensors: list[SensorSchema] = Field(default_factory=list)
    # Sections owned by other capabilities; each validates its own section.
    sources: dict[str, RawSection] = Field(default_factory=dict)
    playbook: RawSection | list[JsonValue] | None = None
    demo: DemoSchema = DemoSchema()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}, e.g. 'Europe/Amsterdam'") from exc
        return value

    @property
    def holiday_region(self) -> str:
        """Whose public holidays the forecast and the holiday covariates count: 'NL', or with a
        subdivision 'DE-BY' (a crowd follows the holidays of where it is)."""
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country


class ZonePropertiesSchema(Strict):
    """Properties of one zone feature in zones.geojson."""

    id: str = Field(pattern=_ID_PATTERN)
    name: str
    walkable_area_m2: float = Field(gt=0, description="area people can stand or walk on, m²")
    capacity: float | None = Field(None, gt=0, description="persons; default area × safe density")
    kind: str = "area"
    group: str | None = None
    static: bool = Field(False, description="static event area: safe density 4 p/m² by default")
    thresholds: ThresholdsSchema | None = None
    safe_density_per_m2: float | None = Field(None, gt=0, le=6)
