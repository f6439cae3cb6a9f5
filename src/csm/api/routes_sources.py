"""Covariate sources: their status (sources panel) and their recent values and forecasts.

Thin: statuses and static context (stop names, garage zones: each source's last `describe`) come
from the state the polling process stored, values from the store; so every worker answers alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from csm.api.deps import get_runtime, get_site_runtime
from csm.api.schemas.common import GUARDED, errors
from csm.api.schemas.sources import EventsAnswer, ParkingAnswer, TrafficAnswer, TransitAnswer, WeatherAnswer
from csm.runtime import Runtime, SiteRuntime
from csm.sources.coordinator import SourceStatus, stored_descriptions, stored_statuses
from csm.sources.disruptions import site_disruptions
from csm.sources.events import site_events
from csm.sources.holidays_nl import holiday_names
from csm.sources.holidays_nl import region_of as holiday_region_of
from csm.sources.holidays_nl import settings_of as holiday_settings_of
from csm.sources.transit_alerts import Disruption

router = APIRouter(prefix="/api/v1", tags=["sources"])
SITE_ERRORS = {**GUARDED, **errors(404)}
HOURS = Query(6.0, gt=0, le=24 * 14, description="history window, hours before now")
AHEAD = Query(48.0, ge=0, le=24 * 14, description="forecast window, hours after now")


def _series(runtime: Runtime, sr: SiteRuntime, prefix: str, start: datetime, end: datetime) -> dict[str, Any]:
    """{sensor: {metric: {"latest": {...}, "series": [{t, seconds, value}]}}} for ids with `prefix`."""
    frame = sr.ingest.store.observations_frame(sr.site.id, start, end)
    frame = frame[frame["sensor_id"].str.startswith(prefix)] if not frame.empty else frame
    now = runtime.clock.now()
    result: dict[str, Any] = {}
    for (sensor, metric), group in frame.groupby(["sensor_id", "metric"], sort=True):
        series = [
            {"t": pd.Timestamp(t).isoformat(), "seconds": int(s), "value": float(v)}
            for t, s, v in zip(group["interval_start"], group["interval_seconds"], group["value"], strict=True)
        ]
        past = [p for p in series if pd.Timestamp(p["t"]) <= now]
        result.setdefault(sensor.removeprefix(prefix), {})[metric] = {
            "latest": past[-1] if past else None, "series": series,
        }
    return result


def _described(runtime: Runtime, sr: SiteRuntime, *kinds: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for description in stored_descriptions(sr, *kinds):
        for key, value in description.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return merged


def _window(runtime: Runtime, hours: float, ahead: float) -> tuple[datetime, datetime]:
    now = runtime.clock.now()
    return now - timedelta(hours=hours), now + timedelta(hours=ahead)


@router.get("/sites/{site_id}/sources", summary="Status of each data source (ok, stale, failing, disabled)",
            response_model=list[SourceStatus], responses=SITE_ERRORS)
def get_sources(runtime: Runtime = Depends(get_runtime),
                sr: SiteRuntime = Depends(get_site_runtime)) -> list[SourceStatus]:
    return stored_statuses(sr, runtime.clock.now())


@router.get("/sites/{site_id}/weather", summary="Observed weather and weather forecasts for the site",
            response_model=WeatherAnswer, responses=SITE_ERRORS)
def get_weather(hours: float = HOURS, ahead: float = AHEAD, runtime: Runtime = Depends(get_runtime),
                sr: SiteRuntime = Depends(get_site_runtime)) -> dict[str, Any]:
    start, end = _window(runtime, hours, ahead)
    site_id = sr.site.id
    observed = _series(runtime, sr, "weather:", start, end).get(site_id, {})
    forecast = _series(runtime, sr, "weather-forecast:", start, end + timedelta(days=5)).get(site_id, {})
    return {"site": site_id, "as_of": runtime.clock.now().isoformat(), "observed": observed,
            "forecast": forecast, "station": _described(runtime, sr, "weather_buienradar")}


@router.get("/sites/{site_id}/transit", summary="Expected and scheduled arrivals and delays per stop near zones",
            response_model=TransitAnswer, responses=SITE_ERRORS)
def get_transit(hours: float = HOURS, ahead: float = Query(2.0, ge=0, le=48),
                runtime: Runtime = Depends(get_runtime), sr: SiteRuntime = Depends(get_site_runtime)) -> dict[str, Any]:
    start, end = _window(runtime, hours, ahead)
    stops = _described(runtime, sr, "gtfs").get("stops", {})
    values = _series(runtime, sr, "transit:", start, end)
    return {"site": sr.site.id, "as_of": runtime.clock.now().isoformat(), "stops": [
        {"stop_id": stop_id, **stops.get(stop_id, {}), "metrics": values.get(stop_id, {})}
        for stop_id in sorted(set(stops) | set(values))
    ]}


class DisruptionsResponse(BaseModel):
    """Service disruptions (GTFS-Realtime Alerts) that concern the site's stops or routes."""

    site: str
    as_of: datetime
    disruptions: list[Disruption]


@router.get("/sites/{site_id}/disruptions", summary="Transit service disruptions affecting the site's zones",
            response_model=DisruptionsResponse, responses=SITE_ERRORS)
def get_disruptions(runtime: Runtime = Depends(get_runtime),
                    sr: SiteRuntime = Depends(get_site_runtime)) -> DisruptionsResponse:
    disruptions = site_disruptions(sr)
    return DisruptionsResponse(site=sr.site.id, as_of=runtime.clock.now(), disruptions=disruptions)


@router.get("/sites/{site_id}/parking", summary="Occupancy per garage over time, with the zones it serves",
            response_model=ParkingAnswer, responses=SITE_ERRORS)
def get_parking(hours: float = HOURS, runtime: Runtime = Depends(get_runtime),
                sr: SiteRuntime = Depends(get_site_runtime)) -> dict[str, Any]:
    start, end = _window(runtime, hours, 0)
    facilities = _described(runtime, sr, "parking_spdp").get("facilities", {})
    values = _series(runtime, sr, "parking:", start, end + timedelta(seconds=1))
    return {"site": sr.site.id, "as_of": runtime.clock.now().isoformat(), "facilities": [
        {"id": fid, **facilities.get(fid, {}), "metrics": values.get(fid, {})}
        for fid in sorted(set(facilities) | set(values))
    ]}


@router.get("/sites/{site_id}/traffic", summary="Vehicle flow and speed on the access roads",
            response_model=TrafficAnswer, responses=SITE_ERRORS)
def get_traffic(hours: float = HOURS, runtime: Runtime = Depends(get_runtime),
                sr: SiteRuntime = Depends(get_site_runtime)) -> dict[str, Any]:
    start, end = _window(runtime, hours, 0)
    roads = _described(runtime, sr, "traffic_ndw").get("sites", {})
    values = _series(runtime, sr, "traffic:", start, end + timedelta(seconds=1))
    return {"site": sr.site.id, "as_of": runtime.clock.now().isoformat(), "measurement_sites": [
        {"id": sid, **roads.get(sid, {}), "metrics": values.get(sid, {})} for sid in sorted(set(roads) | set(values))
    ]}


@router.get("/sites/{site_id}/events", summary="Events and public/school holidays ahead",
            response_model=EventsAnswer, responses=SITE_ERRORS)
def get_events(days: int = Query(14, ge=1, le=366), runtime: Runtime = Depends(get_runtime),
               sr: SiteRuntime = Depends(get_site_runtime)) -> dict[str, Any]:
    site = sr.site
    now = runtime.clock.now()
    until = now + timedelta(days=days)
    events = [e for e in site_events(site) if e.end > now - timedelta(days=1) and e.start < until]
    settings = holiday_settings_of(site)
    today = now.astimezone(site.tz).date()
    calendar = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        public, school = holiday_names(holiday_region_of(settings, site), settings.school_region, day)
        if public or school:
            calendar.append({"date": day.isoformat(), "public_holiday": public, "school_holiday": school})
    return {"site": site.id, "as_of": now.isoformat(),
            "events": [e.model_dump(mode="json") for e in sorted(events, key=lambda e: e.start)],
            "holidays": calendar}
