"""Scheduled per-zone forecasts in the running service: history → model → store → API.

Every REFRESH (15 minutes of site time) the zone-occupancy history is resampled to the forecast step
and, with what is known ahead (weather, events, parking, public-transport disruptions, read from the
store by `forecast_covariates`), the zones are forecast again (`csm.forecast.zones`) from the newest
counts; the run is stored with its issue time so that the dashboard's time slider and the advice
engine read the same numbers. The model itself is refitted only every REFIT (6 hours): between
refits the fitted model is reused and the newest counts enter as features at the new origin (the
intraday update), which takes a fraction of a second instead of a full fit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from csm.context import Job, Services, SiteRuntime, Slot
from csm.domain.levels import level_for_density
from csm.jobs import job_failed, job_succeeded
from csm.services.forecast_covariates import known_ahead

log = logging.getLogger(__name__)

STEP = "15min"
HORIZON = timedelta(hours=48)
HISTORY = timedelta(days=56)
REFRESH = timedelta(minutes=15)
REFIT = timedelta(hours=6)
# However fast the demo clock runs, leave this much wall time between runs of one site, so an
# accelerated day does not spend every core on refitting.
MIN_WALL_SECONDS_BETWEEN_RUNS = 120.0
MIN_WALL_SECONDS_BETWEEN_UPDATES = 10.0
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


class FittedModels:
    """Fitted models by site, reused between refits (see module docstring): a process-local cache
    of the process that runs the forecast job (what users see is the stored forecast)."""

    def __init__(self) -> None:
        self.by_site: dict[str, Any] = {}


FITTED_MODELS = Slot("forecast.fitted_models", FittedModels)


def run_forecast(site_runtime: SiteRuntime, now: datetime, refit: bool = True,
                 models: FittedModels | None = None) -> tuple[datetime, pd.DataFrame] | None:
    """Forecast every zone from its history; returns (issued_at, rows) or None without history.

    With `refit=False` the site's last fitted model in `models` is reused if it still fits the
    zones (the intraday update); without one, a model is fitted."""
    from csm.forecast.zones import forecast_zones_reusing

    history = history_frame(site_runtime, now)
    if history.empty or history.groupby("zone").size().max() < MIN_HISTORY_POINTS:
        return None
    steps = int(HORIZON / pd.Timedelta(STEP))
    site = site_runtime.site
    known = known_ahead(site_runtime, now - HISTORY, now, now + HORIZON)
    models = models if models is not None else FittedModels()
    result, fitted = forecast_zones_reusing(
        history, horizon=steps, freq=STEP, country=site.config.holiday_region, tz=site.config.timezone,
        fitted=None if refit else models.by_site.get(site.id), known=known,
    )
    if fitted is not None:
        models.by_site[site.id] = fitted
    else:
        models.by_site.pop(site.id, None)
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


def forecast_jobs(runtime: Services) -> list[Job]:
    """One scheduler for all sites: a fresh forecast every REFRESH of site time, a refit every REFIT."""

    async def run(rt: Services, stop: asyncio.Event) -> None:
        last: dict[str, tuple[datetime, float]] = {}
        last_fit: dict[str, tuple[datetime, float]] = {}
        while not stop.is_set():
            now = rt.clock.now()
            for site_id, site_runtime in rt.sites.items():
                if site_id in last:
                    previous, _ = last[site_id]
                    if now - previous < REFRESH and now >= previous:
                        continue
                refit = site_id not in last_fit or _refit_due(last_fit[site_id], now)
                too_soon = site_id in last and time.monotonic() - last[site_id][1] < MIN_WALL_SECONDS_BETWEEN_UPDATES
                if not refit and too_soon:
                    continue
                try:
                    await asyncio.to_thread(run_forecast, site_runtime, now, refit, rt.state.get(FITTED_MODELS))
                except Exception as exc:  # a failed run keeps the previous forecast; retried next time
                    job_failed(exc, f"forecast for site {site_id}")
                else:
                    job_succeeded()
                last[site_id] = (now, time.monotonic())
                if refit:
                    last_fit[site_id] = (now, time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)

    return [Job("forecast", run)]


def _refit_due(last_fit: tuple[datetime, float], now: datetime) -> bool:
    """A refit is due after REFIT of site time, but never sooner than the wall-time guard."""
    fitted_at, wall = last_fit
    site_time_due = now - fitted_at >= REFIT or now < fitted_at
    return site_time_due and time.monotonic() - wall >= MIN_WALL_SECONDS_BETWEEN_RUNS
