"""Rolling-origin backtest: every method forecasts from the same origins with only the data before
them; scores are computed on the same actuals (outages excluded).

Metrics: MAE; WAPE (Σ|error| / Σ actual); MASE (per zone MAE ÷ the in-sample MAE of the weekly
seasonal naive before the evaluation window, then averaged over zones); coverage and mean width of
the p10–p90 interval; busy-hour precision/recall/F1, where busy = above the zone's 95th percentile
in the training period and predicted busy = p50 above it — for the CSM model, the level in its
band that its own held-out weeks chose for the busy decision (busy.py; p50 when they did not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from csm.forecast.baselines import PlainLightGBM, mstl, seasonal_naive
from csm.forecast.breakdown import (
    coverage_by_hour,
    day_types,
    losing_days,
    scores_by_day,
    scores_by_day_type,
    scores_by_week,
)
from csm.forecast.covariates import KnownAhead
from csm.forecast.model import GlobalQuantileForecaster, make_grid
from csm.forecast.tuned_baseline import TunedLightGBM

METRIC_COLUMNS = ["MASE", "MAE", "WAPE", "coverage_80", "width_80", "busy_precision", "busy_recall", "busy_F1"]


@dataclass
class BacktestResult:
    metrics: pd.DataFrame
    horizon_mase: pd.DataFrame
    sample: pd.DataFrame  # zone, timestamp, actual, and per method p10/p50/p90 for plots
    settings: dict[str, object] = field(default_factory=dict)
    coverage_by_hour: pd.DataFrame = field(default_factory=pd.DataFrame)  # local hour × method
    by_day: pd.DataFrame = field(default_factory=pd.DataFrame)  # date × (method_MASE, method_coverage)
    by_day_type: pd.DataFrame = field(default_factory=pd.DataFrame)  # day type × (days, method_MASE, ...)
    by_week: pd.DataFrame = field(default_factory=pd.DataFrame)  # Monday × (method_MASE, method_coverage)

    def table(self) -> str:
        shown = self.metrics.copy()
        return shown.to_string(float_format=lambda v: f"{v:.3f}")

    def breakdown(self) -> str:
        """Coverage per hour of day, scores per day type, and the days the model lost."""
        fmt = {"float_format": lambda v: f"{v:.3f}"}
        by_hour = self.coverage_by_hour.dropna(how="all")
        parts = ["coverage of the 80 % band per local hour of day:", by_hour.to_string(**fmt),
                 "", "per day type (MASE, coverage):", self.by_day_type.to_string(**fmt)]
        if not self.by_week.empty:
            parts += ["", "per week of the target, Monday to Sunday (MASE, coverage):", self.by_week.to_string(**fmt)]
        levels = self.settings.get("busy_levels")
        if isinstance(levels, dict) and levels:
            parts += ["", "busy-hour decision (an hour is flagged busy when p50 + L × (p90 − p50) is above the "
                          "busy line; L chosen on held-out weeks, per fit): "
                      + "; ".join(f"{m} L = {', '.join(f'{v:.2f}' for v in vs)}" for m, vs in levels.items())]
        lost = losing_days(self.by_day)
        if "how_mean_4w_MASE" in self.by_day:
            parts += ["", f"days on which csm had a higher MASE than how_mean_4w: {len(lost)} of {len(self.by_day)}"]
            if len(lost):
                parts.append(lost.to_string(**fmt))
        return "\n".join(parts)


def _metrics(actual: np.ndarray, predicted: np.ndarray, mase_scale: np.ndarray, busy: np.ndarray,
             signal: np.ndarray | None = None) -> dict[str, float]:
    """actual: (origins × zones × horizon); predicted: (origins × zones × horizon × 3); `signal`
    (like actual): what the method compares with the busy line, default its p50."""
    ok = ~np.isnan(actual)
    p10, p50, p90 = predicted[..., 0], predicted[..., 1], predicted[..., 2]
    error = np.abs(p50 - actual)
    per_zone_mae = np.array([np.nanmean(np.where(ok[:, z], error[:, z], np.nan)) for z in range(actual.shape[1])])
    valid = np.isfinite(per_zone_mae) & (mase_scale > 0)
    thresholds = busy[None, :, None]
    is_busy = (actual > thresholds) & ok
    said_busy = ((p50 if signal is None else signal) > thresholds) & ok
    tp = float((is_busy & said_busy).sum())
    precision = tp / max(said_busy.sum(), 1)
    recall = tp / max(is_busy.sum(), 1)
    return {
        "MASE": float(np.mean(per_zone_mae[valid] / mase_scale[valid])),
        "MAE": float(error[ok].mean()),
        "WAPE": float(error[ok].sum() / max(actual[ok].sum(), 1e-9)),
        "coverage_80": float(((actual >= p10) & (actual <= p90))[ok].mean()),
        "width_80": float((p90 - p10)[ok].mean()),
        "busy_precision": precision,
        "busy_recall": recall,
        "busy_F1": 2 * precision * recall / max(precision + recall, 1e-9),
    }


def run_backtest(history: pd.DataFrame, horizon: int = 24, freq: str = "1h", country: str | None = "NL",
                 tz: str = "Europe/Amsterdam", weeks: int = 26, every: int = 24, refit_weeks: int = 4,
                 methods: list[str] | None = None, weather: pd.DataFrame | None = None,
                 origin_hour: int | None = None, event_days: set[date] | None = None,
                 known: KnownAhead | None = None) -> BacktestResult:
    """`weather` (timestamp + temperature_c, ...) is a covariate of the CSM model only: the
    standard baselines do not take one. In a backtest it stands for the weather forecast.

    `origin_hour`: issue the forecasts at this local wall-clock hour (e.g. 6: at 06:00, knowing
    the counts up to 06:00), then every `every` steps; default: every `every` steps from the
    start of the window. `event_days`: local dates reported as the day type "event_day".
    `known`: covariates known ahead (events, disruptions, parking, weather) for the CSM model.
    """
    from csm.forecast.zones import covariate_frame

    methods = methods or ["csm", "seasonal_naive", "how_mean_4w", "mstl", "lightgbm_plain"]
    zone_tz = ZoneInfo(tz)
    frame = history.copy()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    end = frame["timestamp"].max()
    eval_start = end - pd.Timedelta(weeks=weeks)
    if weather is None and known is not None:
        weather = known.weather
    grid = make_grid(frame, freq, zone_tz, country, covariate_frame(weather, None, freq), scale_until=eval_start,
                     known=known)
    raw = grid.values * grid.scale  # unscaled, outages masked
    week, day = grid.week, grid.day
    first = int(np.searchsorted(grid.index, eval_start))
    if first < 5 * week:
        raise ValueError("the backtest needs at least five weeks of history before the evaluation window")
    if origin_hour is not None:
        local_issue = (grid.index + pd.Timedelta(freq)).tz_convert(zone_tz)
        at_hour = (local_issue.hour == origin_hour) & (local_issue.minute == 0)
        first = first + int(np.argmax(at_hour[first:]))
    origins = list(range(first, len(grid.index) - horizon, every))
    train = raw[:first]
    mase_scale = np.nanmean(np.abs(train[week:] - train[:-week]), axis=0)
    busy = np.nanquantile(np.where(np.isnan(train), np.nan, train), 0.95, axis=0)
    actual = np.stack([raw[o + 1: o + 1 + horizon].T for o in origins])  # origins × zones × horizon
    refit_every = refit_weeks * week
    predictions: dict[str, np.ndarray] = {}
    signals: dict[str, np.ndarray] = {}  # the CSM model's busy decision signal
    busy_levels: dict[str, list[float]] = {}
    for method in methods:
        out = np.zeros((*actual.shape, 3))
        signal = np.zeros(actual.shape)
        csm_model: GlobalQuantileForecaster | None = None
        plain: PlainLightGBM | None = None
        tuned: TunedLightGBM | None = None
        fitted_at = -10**9
        for i, origin in enumerate(origins):
            if method == "csm" or method.startswith("csm-without:"):
                if origin - fitted_at >= refit_every:
                    without = tuple(method.split(":", 1)[1].split("+")) if ":" in method else ()
                    csm_model = GlobalQuantileForecaster(horizon=horizon, without=without).fit(grid, origin)
                    fitted_at = origin
                    busy_levels.setdefault(method, []).append(csm_model.busy.level)
                assert csm_model is not None
                out[i] = csm_model.predict(grid, origin)
                signal[i] = csm_model.busy.signal(out[i])
                signals[method] = signal
            elif method == "lightgbm_tuned":
                if origin - fitted_at >= refit_every:
                    params = tuned.params if tuned is not None else None
                    tuned = TunedLightGBM(horizon, params=params).fit(grid, origin)
                    fitted_at = origin
                assert tuned is not None
                out[i] = tuned.predict(grid, origin)
            elif method == "lightgbm_plain":
                if origin - fitted_at >= refit_every:
                    plain = PlainLightGBM(horizon).fit(grid, origin)
                    fitted_at = origin
                assert plain is not None
                out[i] = plain.predict(grid, origin)
            elif method == "seasonal_naive":
                out[i] = seasonal_naive(raw, origin, horizon, week, weeks=1)
            elif method == "how_mean_4w":
                out[i] = seasonal_naive(raw, origin, horizon, week, weeks=4)
            elif method == "mstl":
                out[i] = mstl(raw, origin, horizon, day, week)
            else:
                raise ValueError(f"unknown method {method!r}")
        predictions[method] = out
    metrics = pd.DataFrame({m: _metrics(actual, p, mase_scale, busy, signals.get(m))
                            for m, p in predictions.items()}).T
    metrics = metrics[METRIC_COLUMNS]
    horizon_mase = pd.DataFrame({
        m: [
            _metrics(actual[:, :, h: h + 1], p[:, :, h: h + 1], mase_scale, busy)["MASE"] for h in range(horizon)
        ]
        for m, p in predictions.items()
    }, index=pd.RangeIndex(1, horizon + 1, name="steps_ahead"))
    sample = _sample(grid.index, grid.zones, origins, actual, predictions, horizon)
    target_rows = np.array(origins)[:, None] + np.arange(1, horizon + 1)[None, :]
    local = grid.index.tz_convert(zone_tz)
    local_hour = local.hour.to_numpy()[target_rows]
    local_dates = local.date
    local_day = np.array([d.toordinal() for d in local_dates], dtype=np.int64)[target_rows]
    calendar_by_date = grid.calendar.assign(date=local_dates).groupby("date")[
        ["public_holiday", "school_holiday_regions"]].max()
    types = day_types(sorted({date.fromordinal(int(d)) for d in np.unique(local_day)}), calendar_by_date,
                      event_days or set())
    return BacktestResult(metrics, horizon_mase, sample, {
        "horizon": horizon, "freq": freq, "weeks": weeks, "every": every, "refit_weeks": refit_weeks,
        "origins": len(origins), "zones": len(grid.zones), "eval_start": str(eval_start), "end": str(end),
        "first_origin_local": str(local[origins[0]] + pd.Timedelta(freq)) if origins else "",
        "busy_levels": busy_levels,
    }, coverage_by_hour(actual, predictions, local_hour),
        scores_by_day(actual, predictions, mase_scale, local_day),
        scores_by_day_type(actual, predictions, mase_scale, local_day, types),
        scores_by_week(actual, predictions, mase_scale, local_day))


def _sample(index: pd.DatetimeIndex, zones: list[str], origins: list[int], actual: np.ndarray,
            predictions: dict[str, np.ndarray], horizon: int) -> pd.DataFrame:
    """The last week of origins for the three busiest zones, for plots."""
    busiest = np.argsort(-np.nan_to_num(np.nanmean(actual, axis=(0, 2))))[:3]
    rows = []
    for i in range(max(0, len(origins) - 7), len(origins)):
        for z in busiest:
            for h in range(horizon):
                row: dict[str, object] = {"zone": zones[z], "timestamp": index[origins[i] + 1 + h],
                                          "actual": actual[i, z, h]}
                for method, p in predictions.items():
                    row[f"{method}_p10"], row[f"{method}_p50"], row[f"{method}_p90"] = p[i, z, h]
                rows.append(row)
    return pd.DataFrame(rows)
