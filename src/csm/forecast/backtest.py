"""Rolling-origin backtest: every method forecasts from the same origins with only the data before
them; scores are computed on the same actuals (outages excluded).

Metrics: MAE; WAPE (Σ|error| / Σ actual); MASE (per zone MAE ÷ the in-sample MAE of the weekly
seasonal naive before the evaluation window, then averaged over zones); coverage and mean width of
the p10–p90 interval; busy-hour precision/recall/F1, where busy = above the zone's 95th percentile
in the training period and predicted busy = p50 above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from csm.forecast.baselines import PlainLightGBM, mstl, seasonal_naive
from csm.forecast.model import GlobalQuantileForecaster, make_grid

METRIC_COLUMNS = ["MASE", "MAE", "WAPE", "coverage_80", "width_80", "busy_precision", "busy_recall", "busy_F1"]


@dataclass
class BacktestResult:
    metrics: pd.DataFrame
    horizon_mase: pd.DataFrame
    sample: pd.DataFrame  # zone, timestamp, actual, and per method p10/p50/p90 for plots
    settings: dict[str, object] = field(default_factory=dict)

    def table(self) -> str:
        shown = self.metrics.copy()
        return shown.to_string(float_format=lambda v: f"{v:.3f}")


def _metrics(actual: np.ndarray, predicted: np.ndarray, mase_scale: np.ndarray, busy: np.ndarray) -> dict[str, float]:
    """actual: (origins × zones × horizon); predicted: (origins × zones × horizon × 3)."""
    ok = ~np.isnan(actual)
    p10, p50, p90 = predicted[..., 0], predicted[..., 1], predicted[..., 2]
    error = np.abs(p50 - actual)
    per_zone_mae = np.array([np.nanmean(np.where(ok[:, z], error[:, z], np.nan)) for z in range(actual.shape[1])])
    valid = np.isfinite(per_zone_mae) & (mase_scale > 0)
    thresholds = busy[None, :, None]
    is_busy = (actual > thresholds) & ok
    said_busy = (p50 > thresholds) & ok
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
                 methods: list[str] | None = None, weather: pd.DataFrame | None = None) -> BacktestResult:
    """`weather` (timestamp + temperature_c, ...) is a covariate of the CSM model only: the
    standard baselines do not take one. In a backtest it stands for the weather forecast."""
    from csm.forecast.zones import covariate_frame

    methods = methods or ["csm", "seasonal_naive", "how_mean_4w", "mstl", "lightgbm_plain"]
    zone_tz = ZoneInfo(tz)
    frame = history.copy()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    end = frame["timestamp"].max()
    eval_start = end - pd.Timedelta(weeks=weeks)
    grid = make_grid(frame, freq, zone_tz, country, covariate_frame(weather, None, freq), scale_until=eval_start)
    raw = grid.values * grid.scale  # unscaled, outages masked
    week, day = grid.week, grid.day
    first = int(np.searchsorted(grid.index, eval_start))
    if first < 5 * week:
        raise ValueError("the backtest needs at least five weeks of history before the evaluation window")
    origins = list(range(first, len(grid.index) - horizon, every))
    train = raw[:first]
    mase_scale = np.nanmean(np.abs(train[week:] - train[:-week]), axis=0)
    busy = np.nanquantile(np.where(np.isnan(train), np.nan, train), 0.95, axis=0)
    actual = np.stack([raw[o + 1: o + 1 + horizon].T for o in origins])  # origins × zones × horizon
    refit_every = refit_weeks * week
    predictions: dict[str, np.ndarray] = {}
    for method in methods:
        out = np.zeros((*actual.shape, 3))
        csm_model: GlobalQuantileForecaster | None = None
        plain: PlainLightGBM | None = None
        fitted_at = -10**9
        for i, origin in enumerate(origins):
            if method == "csm":
                if origin - fitted_at >= refit_every:
                    csm_model = GlobalQuantileForecaster(horizon=horizon).fit(grid, origin)
                    fitted_at = origin
                assert csm_model is not None
                out[i] = csm_model.predict(grid, origin)
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
    metrics = pd.DataFrame({m: _metrics(actual, p, mase_scale, busy) for m, p in predictions.items()}).T
    metrics = metrics[METRIC_COLUMNS]
    horizon_mase = pd.DataFrame({
        m: [
            _metrics(actual[:, :, h: h + 1], p[:, :, h: h + 1], mase_scale, busy)["MASE"] for h in range(horizon)
        ]
        for m, p in predictions.items()
    }, index=pd.RangeIndex(1, horizon + 1, name="steps_ahead"))
    sample = _sample(grid.index, grid.zones, origins, actual, predictions, horizon)
    return BacktestResult(metrics, horizon_mase, sample, {
        "horizon": horizon, "freq": freq, "weeks": weeks, "every": every, "refit_weeks": refit_weeks,
        "origins": len(origins), "zones": len(grid.zones), "eval_start": str(eval_start), "end": str(end),
    })


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
