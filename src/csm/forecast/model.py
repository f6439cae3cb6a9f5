"""The CSM forecaster: one global LightGBM quantile model across all zones.

Why global: zones share their daily and weekly rhythm, holidays and weather effects; one model
learns those from every zone (scaled by the zone's own level), sees far more busy days than any
single zone has, and copes with zones that have short or broken histories. Why quantile models:
operators act on "how likely is red", so p10/p50/p90 are fitted directly (pinball loss); on the
most recent weeks, held out, the median is blended with the seasonal profile and the band is
calibrated per hour of day and horizon band (calibration.py) so 80% means 80% in the busy hours too.
Horizon is a feature (a direct multi-horizon model), so no error feeds back into later steps.
"""

from __future__ import annotations

import itertools
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import lightgbm as lgb
import numpy as np
import pandas as pd

from csm.forecast.busy import BUSY_QUANTILE, BusyDecision
from csm.forecast.calendar import calendar_features
from csm.forecast.calibration import (
    HORIZON_BANDS_HOURS,
    MIN_BUCKET_ROWS,
    BandCalibration,
    ProfileBlend,
    horizon_band,
    recent_hour_factors,
    widen_by_hour,
)
from csm.forecast.covariates import KnownAhead, zone_covariates
from csm.forecast.features import TARGET_CALENDAR, Grid, _rolling_day_mean, build_features, hour_lags
from csm.forecast.grid import mask_outages, steps_per, to_grid

QUANTILES = (0.1, 0.5, 0.9)
N_BANDS = len(HORIZON_BANDS_HOURS) + 1
MIN_WEIGHT_ROWS = MIN_BUCKET_ROWS
# Long histories are sampled: every row of the last year (the most recent rows teach the most),
# then older rows at random so earlier years' holidays and summers still count. This bounds
# training time: 20 zones × 6 years of hourly counts fit in well under a minute on two cores.
MAX_TRAIN_ROWS = 240_000
RECENT_WEEKS = 52
# Named groups of features (and the profile blend) that an ablation can switch off: a backtest
# method "csm-without:weather+events" is the CSM model without those.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "weather": ("temperature_c", "precipitation_mm", "sunshine_pct", "wind_ms"),
    "events": ("event_visitors",),
    "pt_disruptions": ("pt_disruption",),
    "parking": ("parking_at_origin", "parking_change_1h"),
    "holiday_distance": ("days_to_holiday", "days_from_holiday"),
    "site_deviation": ("site_day_vs_usual",),
    "blend": (),
    "ensemble": (),  # the L2 and Tweedie median members
    "refit": (),  # the refit on all rows after calibration
    "recent_calibration": (),  # the per-hour re-scaling of the band from the last days' forecasts
    "lag_member": (),  # the point member on the last day's hours (recent_*h), weighed against the median
}
# The band is re-scaled per hour by the coverage of the model's own forecasts of the last two weeks.
RECENT_DAYS = 14
# Extra members for the median (an ensemble of objectives) and a refit on all rows after the
# held-out weeks set the blend and the band. Both OFF: measured on Auckland they changed MASE by
# −0.4 % (6 weeks) and +0.2 % (4 weeks) — noise — for 2.8× the CPU (docs/forecasting.md). Kept
# switchable so the next measurement is one setting away: with POINT_OBJECTIVES = ("regression",
# "tweedie") an L2 and a Tweedie model join the pinball median, weighted by held-out MAE; with
# REFIT_ON_ALL every model is fitted again on all rows, the held-out weeks included.
POINT_OBJECTIVES: tuple[str, ...] = ()
MEDIAN_WEIGHT_STEP = 0.1
REFIT_ON_ALL = False
# A median member of another kind: a point LightGBM (L1) on the hours just before the origin
# (LAG_HOURS: 1–24 h, then 2–7 days back, as the tuned baseline uses them), the horizon, the zone and the
# calendar — none of the quantile models' state-at-origin features. Its errors differ from theirs,
# so the held-out weights of the two medians can beat either.
LAG_MEMBER = True
LAG_MEMBER_OBJECTIVE = "l1"
LAG_MEMBER_PARAMS: dict[str, Any] = {"learning_rate": 0.1, "n_estimators": 175}  # over PARAMS
# 127 leaves (was 63): −1.9 % MASE on both validation windows (docs/forecasting.md, fifth pass).
PARAMS: dict[str, Any] = {
    "n_estimators": 350, "learning_rate": 0.05, "num_leaves": 127, "min_child_samples": 40,
    "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.9, "reg_lambda": 1.0,
    "n_jobs": 1, "verbose": -1,
}


def make_grid(history: pd.DataFrame, freq: str, tz: ZoneInfo, country: str | None,
              covariates: pd.DataFrame | None = None, end: pd.Timestamp | None = None,
              extra_steps: int = 0, scale_until: pd.Timestamp | None = None,
              known: KnownAhead | None = None) -> Grid:
    """The scaled grid, extended `extra_steps` into the future (NaN) so targets have calendar rows.

    Each zone is scaled by its mean over the eight weeks before `scale_until` (default: the end of
    the history), so a backtest never scales with numbers from after its origins.
    """
    wide = mask_outages(to_grid(history, freq, end), freq)
    index = pd.date_range(wide.index[0], periods=len(wide) + extra_steps, freq=freq)
    wide = wide.reindex(index)
    until = scale_until if scale_until is not None else wide.last_valid_index()
    recent = wide.loc[until - pd.Timedelta("56D"): until]
    scale = np.nan_to_num(recent.mean().to_numpy(), nan=1.0)
    overall = np.nan_to_num(wide.mean().to_numpy(), nan=1.0)
    scale = np.where(scale > 0, scale, overall)
    scale = np.maximum(scale, 1.0)
    cov = None
    if covariates is not None and len(covariates):
        cov = covariates.reindex(index).ffill(limit=steps_per(freq, "3h") or 1)
    zones = [str(z) for z in wide.columns]
    return Grid(
        index=index, zones=zones, values=wide.to_numpy() / scale, scale=scale,
        calendar=calendar_features(index, tz, country), freq=freq, covariates=cov,
        zone_covariates=zone_covariates(known, index, zones, freq, scale),
    )


@dataclass
class GlobalQuantileForecaster:
    horizon: int
    seed: int = 7
    models: dict[float, lgb.LGBMRegressor] = field(default_factory=dict)
    point_models: dict[str, lgb.LGBMRegressor] = field(default_factory=dict)
    # Per horizon band (rows) the weights of the median members (columns): q0.5, POINT_OBJECTIVES, lags.
    median_weights: np.ndarray = field(default_factory=lambda: np.ones((N_BANDS, 1)))
    calibration: BandCalibration = field(default_factory=BandCalibration)
    blend: ProfileBlend = field(default_factory=ProfileBlend)
    busy: BusyDecision = field(default_factory=BusyDecision)
    without: tuple[str, ...] = ()  # FEATURE_GROUPS switched off (ablations)

    @property
    def blend_with_profile(self) -> bool:
        return "blend" not in self.without

    def _features(self, grid: Grid, t_rows: np.ndarray, cols: np.ndarray, horizons: np.ndarray,
                  day_means: np.ndarray | None = None) -> pd.DataFrame:
        features = build_features(grid, t_rows, cols, horizons, day_means)
        dropped = [c for group in self.without for c in FEATURE_GROUPS[group]]
        if dropped:
            features = features.drop(columns=dropped, errors="ignore")
        if self.lag_member:
            features = pd.concat([features, recent_lags(grid, t_rows, cols, horizons)], axis=1)
        return features

    @property
    def lag_member(self) -> bool:
        return LAG_MEMBER and "lag_member" not in self.without

    def _training_rows(self, grid: Grid, last_row: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        # From one week in: every row then has at least its one-week lag (older lags may be
        # missing, which the trees handle), so a site with a month of history trains on a month.
        start = grid.week
        rows, cols = np.nonzero(~np.isnan(grid.values[start:last_row + 1]))
        rows = rows + start
        if len(rows) > MAX_TRAIN_ROWS:
            rows, cols = _sample_recent_first(rows, cols, last_row - RECENT_WEEKS * grid.week, rng)
        horizons = rng.integers(1, self.horizon + 1, size=len(rows))
        return rows, cols, horizons

    def fit(self, grid: Grid, last_row: int) -> GlobalQuantileForecaster:
        """Learn from targets up to `last_row`; on the latest four weeks, held out, weigh the
        median against the seasonal profile and calibrate the band per hour and horizon."""
        rows, cols, horizons = self._training_rows(grid, last_row)
        if len(rows) == 0:
            raise ValueError("not enough history for the global model")
        day_means = _rolling_day_mean(grid.values, grid.day)
        calibration_start = last_row - min(4 * grid.week, max(grid.day, (last_row - rows.min()) // 5))
        fit_mask = rows < calibration_start
        if fit_mask.sum() < 500:
            fit_mask = np.ones(len(rows), dtype=bool)
        features = self._features(grid, rows, cols, horizons, day_means)
        target = grid.values[rows, cols]
        self._fit_models(features[fit_mask], target[fit_mask])
        held = ~fit_mask
        if held.sum() >= 200:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a zone with no history: no busy line
                busy_line = np.nanquantile(grid.values[:calibration_start], BUSY_QUANTILE, axis=0)
            self._calibrate(grid, rows[held], cols[held], day_means, busy_line)
            if REFIT_ON_ALL and "refit" not in self.without:
                self._fit_models(features, target)
        return self

    def _fit_models(self, x: pd.DataFrame, y: np.ndarray) -> None:
        def fit_one(member: float | str) -> lgb.LGBMRegressor:
            if member == LAG_MEMBER_NAME:
                model = lgb.LGBMRegressor(objective=LAG_MEMBER_OBJECTIVE, random_state=self.seed,
                                          **{**PARAMS, **LAG_MEMBER_PARAMS})
                return model.fit(x[lag_member_columns(x)], y)
            if isinstance(member, float):
                model = lgb.LGBMRegressor(objective="quantile", alpha=member, random_state=self.seed, **PARAMS)
            else:
                model = lgb.LGBMRegressor(objective=member, random_state=self.seed, **PARAMS)
            return model.fit(x[quantile_columns(x)], y)

        points = [*(() if "ensemble" in self.without else POINT_OBJECTIVES),
                  *((LAG_MEMBER_NAME,) if self.lag_member else ())]
        members: list[float | str] = [*QUANTILES, *points]
        # One thread per model (LightGBM releases the GIL): on two cores this beats one model at
        # a time with two OpenMP threads, whose per-split synchronisation dominates.
        with ThreadPoolExecutor(max_workers=min(len(members), os.cpu_count() or 1)) as pool:
            fitted = list(pool.map(fit_one, members))
        self.models = dict(zip(QUANTILES, fitted[:len(QUANTILES)], strict=True))
        self.point_models = dict(zip(points, fitted[len(QUANTILES):], strict=True))
        medians = 1 + len(self.point_models)
        if self.median_weights.shape[1] != medians:
            self.median_weights = np.full((N_BANDS, medians), 1 / medians)

    def _calibrate(self, grid: Grid, rows: np.ndarray, cols: np.ndarray, day_means: np.ndarray,
                   busy_line: np.ndarray) -> None:
        """Blend weights, band factors and the busy decision from held-out rows, each seen from one
        random horizon in every horizon band, so every (hour of day × horizon band) bucket has all
        held-out days. `busy_line`: per zone, the scaled level above which an hour is busy."""
        rng = np.random.default_rng(self.seed + 1)
        step_hours = self._step_hours(grid)
        edges = [0, *[round(h / step_hours) for h in HORIZON_BANDS_HOURS], self.horizon]
        bands = [(lo + 1, min(hi, self.horizon)) for lo, hi in itertools.pairwise(edges)
                 if lo + 1 <= min(hi, self.horizon)]
        horizons = np.concatenate([rng.integers(lo, hi + 1, size=len(rows)) for lo, hi in bands])
        rows, cols = np.tile(rows, len(bands)), np.tile(cols, len(bands))
        features = self._features(grid, rows, cols, horizons, day_means)
        actual = grid.values[rows, cols]
        horizon_hours = horizons * step_hours
        raw = self._raw(features)
        band_of_row = horizon_band(horizon_hours)
        self.median_weights = np.vstack([
            _best_median_weights(raw[1][band_of_row == b], actual[band_of_row == b])
            if (band_of_row == b).sum() >= MIN_WEIGHT_ROWS else self.median_weights[b] for b in range(N_BANDS)])
        predicted = self._predict_scaled(features, raw)
        hours = features["hour"].to_numpy()
        profile = features["seasonal_mean"].to_numpy()
        if self.blend_with_profile:
            self.blend = ProfileBlend.fit(predicted[:, 1], profile, actual, horizon_hours)
            predicted = self.blend.apply(predicted, profile, horizon_hours)
        self.calibration = BandCalibration.fit(predicted, actual, hours, horizon_hours)
        calibrated = self.calibration.apply(predicted, hours, horizon_hours)
        self.busy = BusyDecision.fit(calibrated, actual, busy_line[cols])

    @staticmethod
    def _step_hours(grid: Grid) -> float:
        return pd.Timedelta(grid.freq) / pd.Timedelta("1h")

    def _raw(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Each model's prediction once: (rows × 3) quantiles and (rows × members) medians — the
        pinball median, then each point model. Predicted on every core (the fits are done)."""
        threads = os.cpu_count() or 1
        quantile_x = features[quantile_columns(features)]
        columns = np.column_stack([self.models[q].predict(quantile_x, num_threads=threads) for q in QUANTILES])
        members = [m.predict(features[lag_member_columns(features) if name == LAG_MEMBER_NAME else
                                      quantile_columns(features)], num_threads=threads)
                   for name, m in self.point_models.items()]
        return columns, np.column_stack([columns[:, 1], *members])

    def _predict_scaled(self, features: pd.DataFrame,
                        raw: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """p10/p50/p90 with the ensemble median; the band moves with the median."""
        columns, medians = raw if raw is not None else self._raw(features)
        if self.median_weights.shape[1] == medians.shape[1]:
            weights = self.median_weights[horizon_band(features["horizon_days"].to_numpy() * 24)]
            median = np.einsum("ij,ij->i", medians, weights)
        else:
            median = columns[:, 1]
        columns = columns + (median - columns[:, 1])[:, None]
        return np.sort(columns, axis=1)

    def predict(self, grid: Grid, origin_row: int) -> np.ndarray:
        """(zones × horizon × 3) quantiles in persons for the steps after `origin_row`."""
        n_zones = len(grid.zones)
        steps = np.arange(1, self.horizon + 1)
        t_rows = np.repeat(origin_row + steps, n_zones)
        cols = np.tile(np.arange(n_zones), self.horizon)
        horizons = np.repeat(steps, n_zones)
        features = self._features(grid, t_rows, cols, horizons)
        predicted = self._predict_scaled(features)
        horizon_hours = horizons * self._step_hours(grid)
        predicted = self.blend.apply(predicted, features["seasonal_mean"].to_numpy(), horizon_hours)
        predicted = self.calibration.apply(predicted, features["hour"].to_numpy(), horizon_hours)
        if "recent_calibration" not in self.without:
            predicted = self._recent_adjust(grid, origin_row, predicted, features["hour"].to_numpy())
        out = np.clip(np.sort(predicted, axis=1) * grid.scale[cols][:, None], 0, None)
        return out.reshape(self.horizon, n_zones, 3).transpose(1, 0, 2)


    def _recent_adjust(self, grid: Grid, origin_row: int, predicted: np.ndarray, hours: np.ndarray) -> np.ndarray:
        """The calibrated band re-scaled per hour by how the model's forecasts of the last
        RECENT_DAYS days, issued at this time of day, covered (only data up to `origin_row`)."""
        n_zones, day = len(grid.zones), grid.day
        steps = np.arange(1, min(self.horizon, day) + 1)
        past = origin_row - day * np.arange(1, RECENT_DAYS + 1)
        past = past[past - steps[-1] >= grid.week]
        if len(past) == 0:
            return predicted
        horizons = np.tile(np.repeat(steps, n_zones), len(past))
        t_rows = np.repeat(past, len(steps) * n_zones) + horizons
        cols = np.tile(np.arange(n_zones), len(steps) * len(past))
        features = self._features(grid, t_rows, cols, horizons)
        horizon_hours = horizons * self._step_hours(grid)
        past_hours = features["hour"].to_numpy()
        profile = features["seasonal_mean"].to_numpy()
        quantiles = self.blend.apply(self._predict_scaled(features), profile, horizon_hours)
        quantiles = self.calibration.apply(quantiles, past_hours, horizon_hours)
        factors = recent_hour_factors(quantiles, grid.values[t_rows, cols], past_hours)
        return widen_by_hour(predicted, hours, factors)


LAG_MEMBER_NAME = "lags"
RECENT_PREFIX = "recent_"


def recent_lags(grid: Grid, t_rows: np.ndarray, cols: np.ndarray, horizons: np.ndarray) -> pd.DataFrame:
    """The lag member's own columns (`recent_{k}h`), NaN when after the origin."""
    return pd.DataFrame(hour_lags(grid, t_rows, cols, horizons, RECENT_PREFIX))


def quantile_columns(x: pd.DataFrame) -> list[str]:
    return [c for c in x.columns if not c.startswith(RECENT_PREFIX)]


def lag_member_columns(x: pd.DataFrame) -> list[str]:
    return ["zone", "horizon_days", *[c for c in TARGET_CALENDAR if c in x.columns],
            *[c for c in x.columns if c.startswith(RECENT_PREFIX)]]


def _best_median_weights(medians: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """The weights (on a grid, summing to 1) of the median members with the lowest held-out MAE."""
    n = medians.shape[1]
    if n == 1:
        return np.ones(1)
    steps = round(1 / MEDIAN_WEIGHT_STEP)
    best, best_error = np.full(n, 1 / n), np.inf
    ok = np.isfinite(actual)
    for combo in itertools.product(range(steps + 1), repeat=n - 1):
        if sum(combo) > steps:
            continue
        weights = np.array([steps - sum(combo), *combo]) / steps
        error = float(np.mean(np.abs(medians[ok] @ weights - actual[ok])))
        if error < best_error:
            best, best_error = weights, error
    return best


def _sample_recent_first(rows: np.ndarray, cols: np.ndarray, recent_from: int,
                         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    recent = np.flatnonzero(rows >= recent_from)
    older = np.flatnonzero(rows < recent_from)
    if len(recent) >= MAX_TRAIN_ROWS:
        keep = recent[np.argsort(rows[recent])[-MAX_TRAIN_ROWS:]]
    else:
        keep = np.concatenate([recent, rng.choice(older, MAX_TRAIN_ROWS - len(recent), replace=False)])
    keep.sort()
    return rows[keep], cols[keep]


def profile_forecast(grid: Grid, origin_row: int, horizon: int) -> np.ndarray:
    """Fallback for short histories (under two weeks): per zone and time of day, the empirical
    10/50/90% of what was seen, scaled by how busy the last day was against that profile."""
    day = grid.day
    n_zones = len(grid.zones)
    known = grid.values[: origin_row + 1]
    slot = np.arange(len(known)) % day
    out = np.zeros((n_zones, horizon, 3))
    for z in range(n_zones):
        series = known[:, z]
        ok = ~np.isnan(series)
        if not ok.any():
            continue
        overall = np.nanquantile(series, [0.1, 0.5, 0.9])
        recent = series[-day:]
        profile_recent = []
        for step in range(1, horizon + 1):
            target_slot = (origin_row + step) % day
            values = series[(slot == target_slot) & ok]
            quantiles = np.quantile(values, [0.1, 0.5, 0.9]) if len(values) >= 3 else overall
            out[z, step - 1] = quantiles
        for offset in range(len(recent)):
            values = series[(slot == (origin_row - len(recent) + 1 + offset) % day) & ok]
            profile_recent.append(np.median(values) if len(values) else np.nan)
        with np.errstate(all="ignore"):
            level = np.nanmean(recent) / np.nanmean(profile_recent) if np.nanmean(profile_recent) > 0 else 1.0
        out[z] *= np.clip(np.nan_to_num(level, nan=1.0), 0.3, 3.0)
    out = np.sort(out, axis=2) * grid.scale[:, None, None]
    return np.clip(out, 0, None)
