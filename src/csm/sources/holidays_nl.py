"""Public holidays and Dutch school holidays (the `holidays` package; school regions Noord,
Midden, Zuid — The Hague is Midden). No feed to fetch: the calendar is computed.

→ sensor "calendar:*" per local day (interval 86400 from local midnight): public_holiday and
school_holiday (1 or 0).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import holidays
import httpx
from pydantic import Field

from csm.domain.model import Observation
from csm.forecast.calendar import holiday_region, public_holidays
from csm.site.model import Site
from csm.sources.parsing import local_days, local_midnight
from csm.sources.protocol import BaseSource, SourceSettings

CALENDAR_SENSOR = "calendar:*"


class HolidaysSettings(SourceSettings):
    country: str | None = Field(None, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
                                description="default: the site's country and subdivision (e.g. DE-SL)")
    school_region: Literal["Noord", "Midden", "Zuid"] | None = Field(
        None, description="Dutch school holiday region; none = no school holidays"
    )
    days_back: int = Field(7, ge=0, le=366)
    days_ahead: int = Field(60, ge=1, le=730)
    poll_seconds: float = Field(6 * 3600.0, gt=0)


def holiday_names(country: str, school_region: str | None, day: date) -> tuple[str | None, str | None]:
    """(public holiday name, school holiday name) of a local date; None where it is neither.
    `country` may name a subdivision too ('DE-BY'), whose own public holidays then count."""
    public = public_holidays(country, day.year).get(day)
    school = None
    if school_region is not None and holiday_region(country)[0] == "NL":
        school = holidays.country_holidays(
            "NL", subdiv=school_region, years=day.year, categories=("school",)
        ).get(day)
    return public, school


def region_of(settings: HolidaysSettings, site: Site) -> str:
    """Whose public holidays count: the settings' country, else the site's country and subdivision."""
    return settings.country or site.config.holiday_region


def settings_of(site: Site) -> HolidaysSettings:
    """The site's holidays settings (defaults when it configures none)."""
    for name, raw in site.config.sources.items():
        if isinstance(raw, dict) and raw.get("kind", name) == HolidaysSource.kind:
            return HolidaysSettings.model_validate(raw)
    return HolidaysSettings()


class HolidaysSource(BaseSource):
    kind = "holidays_nl"
    settings_model = HolidaysSettings
    data_time = "future"

    def fetch(self, settings: Any, site: Site, client: httpx.Client) -> bytes:
        return b""  # computed from the holidays package, nothing to fetch

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        country = region_of(settings, site)
        observations = []
        for day in local_days(now, site.tz, settings.days_back, settings.days_ahead):
            public, school = holiday_names(country, settings.school_region, day)
            start = local_midnight(day, site.tz)
            for metric, name in (("public_holiday", public), ("school_holiday", school)):
                observations.append(
                    Observation(site.id, CALENDAR_SENSOR, metric, start, 86_400, 1.0 if name else 0.0)
                )
        return observations

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        return {"country": region_of(settings, site), "school_region": settings.school_region}
