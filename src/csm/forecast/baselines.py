"""The standard alternatives the CSM model must beat, each giving p10/p50/p90.

- seasonal_naive: the value one week earlier;
- how_mean_4w: the mean of the same hour of the week over the last four weeks;
- mstl: statsforecast's MSTL (daily + weekly seasonality, ETS trend), fitted on the last 8 weeks;
- lightgbm_plain: a point LightGBM on calendar and weekly lags (no origin features, no quantiles).
Point baselines get intervals from the quantiles of their own recent errors.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from csm.forecast.features import Grid, build_features

PLAIN_FEATURES = ["zone", "lag_1w", "lag_2w", "seasonal_mean", "hour", "dow", "hour_of_week", "doy_sin",
                  "doy_cos", "public_holiday", "school_holiday_regions", "weekend_or_holiday"]


def _with_error_band(point: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """point (zones × horizon) + per-zone 10/90% quantiles of recent errors → (zones × horizon × 3)."""
    with np.errstate(all="ignore"):
        low = np.nanquantile(errors, 0.1, axis=0) if np.isfinite(errors).any() else np.zeros(point.shape[0])
        high = np.nanquantile(errors, 0.9, axis=0) if np.isfinite(errors).any() else np.zeros(point.shape[0])
    low, high = np.nan_to_num(low), np.nan_to_num(high)
    out = np.stack([point + low[:, None], point, point + high[:, None]], axis=2)
    return np.clip(np.sort(np.nan_to_num(out), axis=2), 0, None)


def _lagged_mean(values: np.ndarray, rows: np.ndarray, week: int, weeks: int) -> np.ndarray:
    stacked = np.stack([values[np.clip(rows - k * week, 0, None)] for k in range(1, weeks + 1)])
    with np.errstate(all="ignore"):
        return np.nanmean(stacked, axis=0)


def seasonal_naive(values: np.ndarray, origin: int, horizon: int, week: int, weeks: int = 1) -> np.ndarray:
    """values: unscaled (time × zone). Mean of the same step `weeks` weeks back; error band from
    the last four weeks of that same rule's errors."""
    rows = origin + np.arange(1, horizon + 1)
    point = _lagged_mean(values, rows, week, weeks).T  # zones × horizon
    past = np.arange(origin - 4 * week + 1, origin + 1)
    past = past[past - weeks * week >= 0]
    errors = values[past] - _lagged_mean(values, past, week, weeks)
    return _with_error_band(point, errors)


def mstl(values: np.ndarray, origin: int, horizon: int, day: int, week: int) -> np.ndarray:
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL

    window = values[max(0, origin + 1 - 8 * week): origin + 1]
    frames = []
    for z in range(values.shape[1]):
        series = pd.Series(window[:, z]).interpolate(limit_direction="both")
        if series.isna().all():
            series = pd.Series(np.zeros(len(window)))
        frames.append(pd.DataFrame({"unique_id": z, "ds": np.arange(len(series)), "y": series.to_numpy()}))
    data = pd.concat(frames, ignore_index=True)
    engine = StatsForecast(models=[MSTL(season_length=[day, week])], freq=1, n_jobs=1)
    result = engine.forecast(df=data, h=horizon, level=[80])
    out = np.zeros((values.shape[1], horizon, 3))
    for z, group in result.groupby("unique_id"):
        out[int(z)] = group[["MSTL-lo-80", "MSTL", "MSTL-hi-80"]].to_numpy()
    return np.clip(np.sort(out, axis=2), 0, None)


class PlainLightGBM:
    """One point LightGBM across zones on calendar + weekly lags; residual-quantile intervals."""

    def __init__(self, horizon: int) -> None:
        self.horizon = horizon
        self.model: lgb.LGBMRegressor | None = None
        self.residuals: np.ndarray | None = None

    def fit(self, grid: Grid, last_row: int) -> PlainLightGBM:
        start = 4 * grid.week
        rows, cols = np.nonzero(~np.isnan(grid.values[start:last_row + 1]))
        rows = rows + start
        if len(rows) > 400_000:
            keep = np.argsort(rows)[-400_000:]
            rows, cols = rows[keep], cols[keep]
        horizons = np.ones(len(rows), dtype=int)
        features = build_features(grid, rows, cols, horizons)[PLAIN_FEATURES]
        target = grid.values[rows, cols]
        self.model = lgb.LGBMRegressor(n_estimators=300, learning_rate=0.05, num_leaves=63, n_jobs=1, verbose=-1)
        self.model.fit(features, target)
        residual = target - self.model.predict(features)
        self.residuals = np.zeros((len(grid.zones), 2))
        for z in range(len(grid.zones)):
            mine = residual[cols == z]
            self.residuals[z] = np.quantile(mine, [0.1, 0.9]) if len(mine) else (0.0, 0.0)
        return self

    def predict(self, grid: Grid, origin: int) -> np.ndarray:
        assert self.model is not None and self.residuals is not None
        n = len(grid.zones)
        steps = np.arange(1, self.horizon + 1)
        rows = np.repeat(origin + steps, n)
        cols = np.tile(np.arange(n), self.horizon)
        features = build_features(grid, rows, cols, np.repeat(steps, n))[PLAIN_FEATURES]
        point = self.model.predict(features)
        out = np.column_stack([point + self.residuals[cols, 0], point, point + self.residuals[cols, 1]])
        out = out * grid.scale[cols][:, None]
        return np.clip(np.sort(out, axis=1), 0, None).reshape(self.horizon, n, 3).transpose(1, 0, 2)
