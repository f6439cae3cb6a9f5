"""Buienradar JSON feed (data.buienradar.nl/2.0/feed/json): observed weather at one KNMI station
and the five-day forecast.

Observed → sensor "weather:<site>" per 10 min: temperature_c, feel_temperature_c,
precipitation_mm_h, rain_last_hour_mm, sunpower_w_m2, wind_ms, wind_gust_ms, humidity_pct.
Forecast → "weather-forecast:<site>" per local day (interval 86400 from local midnight):
day_temperature_max_c, day_temperature_min_c, day_rain_chance_pct, day_precipitation_mm,
day_sunshine_pct, day_wind_bft.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pydantic import Field

from csm.domain.model import Observation
from csm.site.model import Site
from csm.sources.parsing import SourceReason, floor_to, load_json, local_midnight, number, require, timestamp
from csm.sources.protocol import BaseSource, SourceError, SourceSettings

OBSERVED_INTERVAL = 600  # KNMI stations report every 10 minutes

# field in the feed → (metric, low, high, unit); ranges catch wrong units (Kelvin, km/h, ...)
STATION_FIELDS: dict[str, tuple[str, float, float, str]] = {
    "temperature": ("temperature_c", -40, 50, "°C"),
    "feeltemperature": ("feel_temperature_c", -50, 60, "°C"),
    "precipitation": ("precipitation_mm_h", 0, 300, "mm/h"),
    "rainFallLastHour": ("rain_last_hour_mm", 0, 300, "mm"),
    "sunpower": ("sunpower_w_m2", 0, 1400, "W/m²"),
    "windspeed": ("wind_ms", 0, 75, "m/s"),
    "windgusts": ("wind_gust_ms", 0, 100, "m/s"),
    "humidity": ("humidity_pct", 0, 100, "%"),
}
FORECAST_FIELDS: dict[str, tuple[str, float, float, str]] = {
    "maxtemperatureMax": ("day_temperature_max_c", -40, 50, "°C"),
    "mintemperatureMin": ("day_temperature_min_c", -40, 50, "°C"),
    "rainChance": ("day_rain_chance_pct", 0, 100, "%"),
    "mmRainMax": ("day_precipitation_mm", 0, 500, "mm"),
    "sunChance": ("day_sunshine_pct", 0, 100, "%"),
    "wind": ("day_wind_bft", 0, 12, "Bft"),
}


class BuienradarSettings(SourceSettings):
    station_id: int | None = Field(
        None, description="KNMI station id in the feed (6330 Hoek van Holland); default nearest to the site"
    )
    poll_seconds: float = Field(600.0, gt=0)


def weather_sensor(site: Site) -> str:
    return f"weather:{site.id}"


def forecast_sensor(site: Site) -> str:
    return f"weather-forecast:{site.id}"


def _by_distance(stations: list[Any], site: Site) -> list[Any]:
    lon0, lat0 = site.config.center or next(iter(site.zones.values())).centroid

    def distance(station: Any) -> float:
        try:
            lat, lon = float(station["lat"]), float(station["lon"])
        except (KeyError, TypeError, ValueError):
            return math.inf
        return math.hypot((lon - lon0) * math.cos(math.radians(lat0)), lat - lat0)

    return sorted((s for s in stations if isinstance(s, dict)), key=distance)


def _stations(document: Any) -> list[Any]:
    actual = require(document, "actual", "")
    stations = require(actual, "stationmeasurements", "actual")
    if not isinstance(stations, list) or not stations:
        raise SourceError(SourceReason.EMPTY, "actual.stationmeasurements", "no station measurements")
    return stations


def stations_per_measurement(document: Any, settings: BuienradarSettings, site: Site) -> dict[str, Any]:
    """Feed field → the station it is read from: the configured one, or per measurement the
    nearest station that measures it (coastal and sea stations often lack temperature)."""
    stations = _stations(document)
    if settings.station_id is not None:
        for station in stations:
            if isinstance(station, dict) and station.get("stationid") == settings.station_id:
                return {key: station for key in STATION_FIELDS}
        raise SourceError(SourceReason.MISSING_FIELD, "actual.stationmeasurements",
                          f"station {settings.station_id} is not in the feed")
    ordered = _by_distance(stations, site)
    chosen = {}
    for key in STATION_FIELDS:
        station = next((s for s in ordered if s.get(key) is not None and s.get("timestamp")), None)
        if station is not None:
            chosen[key] = station
    return chosen


def parse_observed(document: Any, settings: BuienradarSettings, site: Site) -> list[Observation]:
    chosen = stations_per_measurement(document, settings, site)
    observations = []
    for key, (metric, low, high, unit) in STATION_FIELDS.items():
        station = chosen.get(key)
        if station is None or station.get(key) is None:
            continue  # stations do not all measure everything (sunpower, rain)
        where = f"actual.stationmeasurements[stationid={station.get('stationid')}]"
        measured = timestamp(require(station, "timestamp", where), f"{where}.timestamp", site.tz)
        value = number(station[key], f"{where}.{key}", low, high, unit)
        observations.append(Observation(site.id, weather_sensor(site), metric, floor_to(measured, OBSERVED_INTERVAL),
                                        OBSERVED_INTERVAL, value))
    if not any(o.metric == "temperature_c" for o in observations):
        where = f"actual.stationmeasurements[stationid={settings.station_id}]" if settings.station_id else \
            "actual.stationmeasurements"
        raise SourceError(SourceReason.MISSING_FIELD, f"{where}.temperature",
                          "no station in the feed measures temperature" if settings.station_id is None
                          else "station has no temperature")
    return observations


def parse_five_day(document: Any, site: Site) -> list[Observation]:
    forecast = document.get("forecast") if isinstance(document, dict) else None
    days = forecast.get("fivedayforecast") if isinstance(forecast, dict) else None
    if not isinstance(days, list):
        return []  # the forecast block is optional: observed weather alone is useful
    observations = []
    for index, day in enumerate(days):
        where = f"forecast.fivedayforecast[{index}]"
        valid = timestamp(require(day, "day", where), f"{where}.day", site.tz)
        start = local_midnight(valid.astimezone(site.tz).date(), site.tz)
        for key, (metric, low, high, unit) in FORECAST_FIELDS.items():
            if day.get(key) is None or day.get(key) == "":
                continue
            value = number(day[key], f"{where}.{key}", low, high, unit)
            observations.append(Observation(site.id, forecast_sensor(site), metric, start, 86_400, value))
    return observations


class BuienradarSource(BaseSource):
    kind = "weather_buienradar"
    settings_model = BuienradarSettings
    data_time = "past"

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        document = load_json(raw, "Buienradar feed")
        observed = parse_observed(document, settings, site)
        try:
            return observed + parse_five_day(document, site)
        except SourceError as exc:
            raise SourceError(exc.reason, exc.field, exc.detail, partial=observed) from None

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        chosen = stations_per_measurement(load_json(raw, "Buienradar feed"), settings, site)
        station: dict[str, Any] = chosen.get("temperature") or next(iter(chosen.values()), {})
        return {"station_id": station.get("stationid"), "station_name": station.get("stationname"),
                "description": station.get("weatherdescription"),
                "stations": {STATION_FIELDS[key][0]: {"station_id": s.get("stationid"), "station_name":
                                                      s.get("stationname")} for key, s in chosen.items()}}
