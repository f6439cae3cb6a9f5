"""The one function the CLI, the running service and scenarios call to forecast zones."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from csm.forecast.covariates import KnownAhead
from csm.forecast.grid import steps_per
from csm.forecast.io import timezone_for
from csm.forecast.model import GlobalQuantileForecaster, make_grid, profile_forecast

# Below this much history the global model has no seasonal lags to learn from.
MIN_DAYS_FOR_MODEL = 15


def covariate_frame(weather: pd.DataFrame | None, covariates: pd.DataFrame | None, freq: str) -> pd.DataFrame | None:
    """Site-wide covariates on the grid: weather columns and, per name, the site total of `covariates`."""
    parts = []
    if weather is not None and len(weather):
        w = weather.copy()
        w["timestamp"] = pd.to_datetime(w["timestamp"], utc=True).dt.floor(freq)
        parts.append(w.groupby("timestamp").mean(numeric_only=True))
    if covariates is not None and len(covariates):
        c = covariates.copy()
        c["timestamp"] = pd.to_datetime(c["timestamp"], utc=True).dt.floor(freq)
        parts.append(c.pivot_table(index="timestamp", columns="name", values="value", aggfunc="sum"))
    if not parts:
        return None
    return pd.concat(parts, axis=1).sort_index()


@dataclass(frozen=True)
class FittedModel:
    """A fitted global model and what it was fitted for, so intraday updates can reuse it."""

    model: GlobalQuantileForecaster
    zones: tuple[str, ...]
    freq: str
    covariates: tuple[str, ...]  # covariate columns it was fitted with
    fitted_until: pd.Timestamp  # the last history timestamp it learnt from (UTC)


def forecast_zones(
    history: pd.DataFrame,
    horizon: int,
    freq: str = "1h",
    country: str | None = "NL",
    weather: pd.DataFrame | None = None,
    covariates: pd.DataFrame | None = None,
    tz: str | None = None,
    known: KnownAhead | None = None,
) -> pd.DataFrame:
    """p10/p50/p90 per zone for `horizon` steps after the last history timestamp.

    `history`: timestamp (aware, or naive = local time in `tz`/the country's capital), zone, count.
    With under ~two weeks of history the seasonal profile fallback is used (see model.py).
    """
    return forecast_zones_reusing(history, horizon, freq, country, weather, covariates, tz, known=known)[0]


def forecast_zones_reusing(
    history: pd.DataFrame,
    horizon: int,
    freq: str = "1h",
    country: str | None = "NL",
    weather: pd.DataFrame | None = None,
    covariates: pd.DataFrame | None = None,
    tz: str | None = None,
    fitted: FittedModel | None = None,
    known: KnownAhead | None = None,
) -> tuple[pd.DataFrame, FittedModel | None]:
    """As `forecast_zones`, but with `fitted` (same zones, step and horizon) the model is not
    refitted: the newest counts only enter as features at the new origin. This is the intraday
    update: refitting takes seconds to minutes, a fresh forecast from a fitted model milliseconds.
    Returns the forecast and the model used (None for the profile fallback)."""
    if horizon < 1:
        raise ValueError("horizon must be at least 1 step")
    zone_tz = timezone_for(country, tz)
    frame = history[["timestamp", "zone", "count"]].copy()
    stamps = pd.to_datetime(frame["timestamp"])
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(zone_tz, ambiguous="NaT", nonexistent="shift_forward")
    frame["timestamp"] = stamps.dt.tz_convert("UTC")
    frame = frame.dropna(subset=["timestamp"])
    frame["zone"] = frame["zone"].astype(str)
    if frame.empty:
        raise ValueError("no history to forecast from")
    if weather is None and known is not None:
        weather = known.weather
    grid = make_grid(frame, freq, zone_tz, country, covariate_frame(weather, covariates, freq),
                     extra_steps=horizon, known=known)
    origin_row = len(grid.index) - horizon - 1
    span_days = (frame["timestamp"].max() - frame["timestamp"].min()) / pd.Timedelta("1D")
    used: FittedModel | None = None
    if span_days >= MIN_DAYS_FOR_MODEL and origin_row > 2 * steps_per(freq, "7D"):
        covariate_names = (*(tuple(grid.covariates.columns) if grid.covariates is not None else ()),
                           *sorted(grid.zone_covariates))
        reusable = (fitted is not None and fitted.zones == tuple(grid.zones) and fitted.freq == freq
                    and fitted.model.horizon == horizon and fitted.covariates == covariate_names)
        if reusable and fitted is not None:
            used = fitted
        else:
            model = GlobalQuantileForecaster(horizon=horizon).fit(grid, origin_row)
            used = FittedModel(model, tuple(grid.zones), freq, covariate_names, frame["timestamp"].max())
        predicted = used.model.predict(grid, origin_row)
    else:
        predicted = profile_forecast(grid, origin_row, horizon)
    steps = grid.index[origin_row + 1: origin_row + 1 + horizon]
    rows = [
        (zone, steps[h], *predicted[z, h])
        for z, zone in enumerate(grid.zones)
        for h in range(horizon)
    ]
    return pd.DataFrame(rows, columns=["zone", "timestamp", "p10", "p50", "p90"]), used
