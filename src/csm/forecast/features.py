"""Features for a target time t forecast from an origin o = t − h, using only data up to o.

Everything a row sees is known at its origin: seasonal lags one to four weeks back (only those at
or before o), the zone's level at o and over the last day compared with what is usual for that
time of week (is today busier than normal?), the horizon, the calendar of t, and covariates known
in advance (weather forecasts, events). That is what keeps look-ahead out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csm.forecast.grid import steps_per

SEASONAL_WEEKS = 4
# The hours back that lag-based models look from the target: the last day hour by hour, then 2–7 days.
LAG_HOURS = (*range(1, 25), 48, 72, 96, 120, 144, 168)
# The calendar of the target hour that lag-based models take (the holiday distances left out).
TARGET_CALENDAR = ("hour", "dow", "hour_of_week", "doy_sin", "doy_cos", "public_holiday", "school_holiday_regions",
                   "weekend_or_holiday")


@dataclass(frozen=True)
class Grid:
    """Scaled values (time × zone) with the calendar of every grid row."""

    index: pd.DatetimeIndex
    zones: list[str]
    values: np.ndarray  # scaled counts, NaN where unknown
    scale: np.ndarray  # per zone
    calendar: pd.DataFrame  # per grid row
    freq: str
    covariates: pd.DataFrame | None = None  # per grid row (site-wide) — weather
    # per zone (time × zone): event_visitors, pt_disruption (known ahead), parking_occupancy (at the origin only)
    zone_covariates: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def week(self) -> int:
        return steps_per(self.freq, "7D")

    @property
    def day(self) -> int:
        return steps_per(self.freq, "1D")


def _rolling_day_mean(values: np.ndarray, day: int) -> np.ndarray:
    frame = pd.DataFrame(values)
    return frame.rolling(day, min_periods=max(1, day // 2)).mean().to_numpy()


def site_deviation(day_means: np.ndarray, rows: np.ndarray, week: int) -> np.ndarray:
    """At each of `rows`: how much busier than usual the last day was, averaged over all zones.

    One zone's own "busier than usual" is noisy; the site's (the neighbouring zones') tells of a
    site-wide cause — a warm day, a holiday crowd, a strike — that will go on for a while.
    """
    unique, position = np.unique(rows, return_inverse=True)
    ok = unique >= 0
    out = np.full(len(unique), np.nan)
    picked = unique[ok]
    now = day_means[picked]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        before = np.stack([np.where((picked - k * week >= 0)[:, None], day_means[np.clip(picked - k * week, 0, None)],
                                    np.nan) for k in range(1, SEASONAL_WEEKS + 1)])
        out[ok] = np.nanmean(now - np.nanmean(before, axis=0), axis=1)
    return out[position]


def _take(values: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    out = np.full(len(rows), np.nan)
    ok = rows >= 0
    out[ok] = values[rows[ok], cols[ok]]
    return out


def hour_lags(grid: Grid, t_rows: np.ndarray, cols: np.ndarray, horizons: np.ndarray,
              prefix: str) -> dict[str, np.ndarray]:
    """`{prefix}{k}h`: the target's value k hours back for each k in LAG_HOURS, NaN when that is
    after the origin (the target row minus the horizon) — never a value the forecast could not know."""
    per_hour = max(1, steps_per(grid.freq, "1h"))
    origin = t_rows - horizons
    lags = {}
    for lag in LAG_HOURS:
        rows = t_rows - lag * per_hour
        lags[f"{prefix}{lag}h"] = _take(grid.values, np.where(rows <= origin, rows, -1), cols)
    return lags


def build_features(grid: Grid, t_rows: np.ndarray, zone_cols: np.ndarray, horizons: np.ndarray,
                   day_means: np.ndarray | None = None) -> pd.DataFrame:
    """One feature row per (target row, zone column, horizon in steps)."""
    week, day = grid.week, grid.day
    origin = t_rows - horizons
    values = grid.values
    means = day_means if day_means is not None else _rolling_day_mean(values, day)
    lags = []
    for k in range(1, SEASONAL_WEEKS + 1):
        rows = t_rows - k * week
        rows = np.where(rows <= origin, rows, -1)  # never a value after the origin
        lags.append(_take(values, rows, zone_cols))
    lag_matrix = np.vstack(lags)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all lags missing: NaN is the answer
        seasonal_mean = np.nanmean(lag_matrix, axis=0)
        last = _take(values, origin, zone_cols)
        last_usual = np.nanmean(np.vstack([_take(values, origin - k * week, zone_cols)
                                           for k in range(1, SEASONAL_WEEKS + 1)]), axis=0)
        day_mean = _take(means, origin, zone_cols)
        day_usual = np.nanmean(np.vstack([_take(means, origin - k * week, zone_cols)
                                          for k in range(1, SEASONAL_WEEKS + 1)]), axis=0)
    day_rows = t_rows - day
    lag_1d = _take(values, np.where(day_rows <= origin, day_rows, -1), zone_cols)  # known for h ≤ 1 day
    site_now = site_deviation(means, origin, week)

    calendar = grid.calendar.iloc[np.clip(t_rows, 0, len(grid.calendar) - 1)].reset_index(drop=True)
    features = pd.DataFrame(
        {
            "zone": pd.Categorical(np.asarray(grid.zones)[zone_cols], categories=grid.zones),
            "horizon_days": horizons / day,
            "lag_1d": lag_1d,
            "lag_1w": lag_matrix[0],
            "lag_2w": lag_matrix[1],
            "seasonal_mean": seasonal_mean,
            "last": last,
            "last_vs_usual": last - last_usual,
            "day_mean": day_mean,
            "day_vs_usual": day_mean - day_usual,
            "site_day_vs_usual": site_now,
            "scale": grid.scale[zone_cols],
        }
    )
    features = pd.concat([features, calendar], axis=1)
    for name in ("event_visitors", "pt_disruption"):  # known ahead: the value at the target time
        if name in grid.zone_covariates:
            features[name] = _take(grid.zone_covariates[name], t_rows, zone_cols)
    if "parking_occupancy" in grid.zone_covariates:  # a leading indicator: only what is known at the origin
        parking = grid.zone_covariates["parking_occupancy"]
        hour = max(1, steps_per(grid.freq, "1h"))
        features["parking_at_origin"] = _take(parking, origin, zone_cols)
        features["parking_change_1h"] = features["parking_at_origin"] - _take(parking, origin - hour, zone_cols)
    if grid.covariates is not None and len(grid.covariates.columns):
        cov = grid.covariates.iloc[np.clip(t_rows, 0, len(grid.covariates) - 1)].reset_index(drop=True)
        features = pd.concat([features, cov], axis=1)
    return features
