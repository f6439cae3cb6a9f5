"""Scheduled per-zone forecasts in the running service: history → model → store → API.

Every `refresh` (site time) the zone-occupancy history is resampled to the forecast step and
handed to `csm.forecast.api.forecast_zones`; the run is stored with its issue time so that the
dashboard's time slider and the advice engine read the same numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from csm.domain.levels import level_for_density
from csm.runtime import BackgroundJob, Runtime, SiteRuntime

log = logging.getLogger(__name__)

STEP = "15min"
HORIZON = timedelta(hours=48)
HISTORY = timedelta(days=28)
REFRESH = timedelta(minutes=30)
MIN_HISTORY_POINTS = 8


def history_frame(site_runtime: SiteRuntime, until: datetime, history: timedelta = HISTORY) -> pd.DataFrame:
    """Zone occupancy resampled to the forecast step: columns timestamp (UTC), zone, count."""
    site = site_runtime.site
    raw = site_runtime.picture.store.zone_history(site.id, until - history, until)
    raw = raw[raw["occupancy"].notna()]
    if raw.empty:
        return pd.DataFrame(columns=["timestamp", "zone", "count"])
    raw = raw.assign(occupancy=raw["occupancy"].astype(float))
    frames = []
    for zone_id, rows in raw.groupby("zone_id"):
        series = rows.set_index("ts")["occupancy"].resample(STEP).mean().dropna()
        frames.append(pd.DataFrame({"timestamp": series.index, "zone": zone_id, "count": series.values}))
    frame = pd.concat(frames, ignore_index=True)
    # The newest step may be incomplete: forecast from the last complete one.
    last_complete = pd.Timestamp(until).floor(STEP) - pd.Timedelta(STEP)
    return frame[frame["timestamp"] <= last_complete]


def run_forecast(site_runtime: SiteRuntime, now: datetime) -> tuple[datetime, pd.DataFrame] | None:
    """Forecast every zone from its history; returns (issued_at, rows) or None without history."""
    from csm.forecast.api import forecast_zones

    history = history_frame(site_runtime, now)
    if history.empty or history.groupby("zone").size().max() < MIN_HISTORY_POINTS:
        return None
    steps = int(HORIZON / pd.Timedelta(STEP))
    site = site_runtime.site
    result = forecast_zones(
        history, horizon=steps, freq=STEP, country=site.config.country, tz=site.config.timezone
    )
    rows = pd.DataFrame(
        {
            "zone_id": result["zone"].astype(str),
            "ts": pd.to_datetime(result["timestamp"], utc=True),
            "p10": result["p10"].clip(lower=0),
            "p50": result["p50"].clip(lower=0),
            "p90": result["p90"].clip(lower=0),
        }
    )
    issued_at = now
    site_runtime.picture.store.write_forecast(site.id, issued_at, rows)
    return issued_at, rows


def forecast_payload(site_runtime: SiteRuntime) -> dict[str, Any]:
    """The stored newest run, per zone, with the level its p50 (and p90) would mean."""
    site = site_runtime.site
    issued_at, rows = site_runtime.picture.store.latest_forecast(site.id)
    zones: dict[str, list[dict[str, Any]]] = {}
    for zone_id, group in rows.groupby("zone_id"):
        zone = site.zones.get(str(zone_id))
        if zone is None:
            continue
        points = []
        for row in group.itertuples(index=False):
            p50, p90 = float(row.p50), float(row.p90)
            points.append(
                {
                    "ts": row.ts.isoformat(),
                    "p10": round(float(row.p10)),
                    "p50": round(p50),
                    "p90": round(p90),
                    "density_p50": round(p50 / zone.walkable_area_m2, 3),
                    "level": level_for_density(
                        p50 / zone.walkable_area_m2, zone.thresholds, p50, zone.capacity
                    ).value,
                    "level_p90": level_for_density(
                        p90 / zone.walkable_area_m2, zone.thresholds, p90, zone.capacity
                    ).value,
                }
            )
        zones[str(zone_id)] = points
    return {
        "site": site.id,
        "issued_at": issued_at.isoformat() if issued_at else None,
        "step": STEP,
        "zones": zones,
    }


def forecast_jobs(runtime: Runtime) -> list[BackgroundJob]:
    """One scheduler for all sites: refresh each site's forecast every REFRESH of site time."""

    async def run(rt: Runtime, stop: asyncio.Event) -> None:
        last: dict[str, datetime] = {}
        while not stop.is_set():
            now = rt.clock.now()
            for site_id, site_runtime in rt.sites.items():
                previous = last.get(site_id)
                if previous is not None and now - previous < REFRESH and now >= previous:
                    continue
                try:
                    await asyncio.to_thread(run_forecast, site_runtime, now)
                    last[site_id] = now
                except Exception:  # a failed run keeps the previous forecast; retried next tick
                    log.exception("forecast for site %s failed", site_id)
                    last[site_id] = now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)

    return [run]
