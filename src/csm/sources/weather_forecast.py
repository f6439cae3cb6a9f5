"""Buienradar hourly forecast (forecast.buienradar.nl/2.0/forecast/<location id>): the next days
hour by hour, for the forecaster's weather covariates.

→ sensor "weather-forecast:<site>", interval 3600 at each valid hour: temperature_c,
precipitation_mm (mm in the hour), precipitation_chance_pct, sunshine_pct (% of the hour), wind_ms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from csm.domain.model import Observation
from csm.site.model import Site
from csm.sources.parsing import SourceReason, floor_to, load_json, number, require, timestamp
from csm.sources.protocol import BaseSource, SourceError, SourceSettings
from csm.sources.weather_buienradar import forecast_sensor

UTC_ZONE = ZoneInfo("UTC")
HOUR_FIELDS: dict[str, tuple[str, float, float, str]] = {
    "temperature": ("temperature_c", -40, 50, "°C"),
    "precipitationmm": ("precipitation_mm", 0, 150, "mm"),
    "precipitation": ("precipitation_chance_pct", 0, 100, "%"),
    "sunshine": ("sunshine_pct", 0, 100, "%"),
    "windspeedms": ("wind_ms", 0, 75, "m/s"),
}


class HourlyForecastSettings(SourceSettings):
    poll_seconds: float = Field(1800.0, gt=0)
    horizon_hours: int = Field(48, ge=1, le=240, description="keep forecasts up to this far ahead")


def _valid_time(hour: Any, where: str, site: Site) -> datetime:
    """`datetimeutc` when the response has it (unambiguous around DST), else local `datetime`."""
    if isinstance(hour, dict) and hour.get("datetimeutc"):
        moment = timestamp(hour["datetimeutc"], f"{where}.datetimeutc", UTC_ZONE)
    else:
        moment = timestamp(require(hour, "datetime", where), f"{where}.datetime", site.tz)
    return moment


class BuienradarHourlyForecastSource(BaseSource):
    kind = "weather_forecast_buienradar"
    settings_model = HourlyForecastSettings
    data_time = "future"

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        document = load_json(raw, "Buienradar forecast")
        days = require(document, "days", "")
        if not isinstance(days, list) or not days:
            raise SourceError(SourceReason.EMPTY, "days", "the forecast has no days")
        observations = []
        sensor = forecast_sensor(site)
        if not any(isinstance(day, dict) and day.get("hours") for day in days):
            raise SourceError(SourceReason.MISSING_FIELD, "days[0].hours", "no day of the forecast has hours")
        for d, day in enumerate(days):
            # real responses give hours for the first days only; later days are day-level
            for h, hour in enumerate(day.get("hours") or [] if isinstance(day, dict) else []):
                where = f"days[{d}].hours[{h}]"
                valid = floor_to(_valid_time(hour, where, site), 3600)
                if (valid - now).total_seconds() > settings.horizon_hours * 3600:
                    continue
                require(hour, "temperature", where)
                for key, (metric, low, high, unit) in HOUR_FIELDS.items():
                    if hour.get(key) is not None:
                        value = number(hour[key], f"{where}.{key}", low, high, unit)
                        observations.append(Observation(site.id, sensor, metric, valid, 3600, value))
        if not observations:
            raise SourceError(SourceReason.EMPTY, "days", "no forecast hours within the horizon")
        return observations
