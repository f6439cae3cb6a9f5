"""The strongest baseline: a tuned global LightGBM on lags 1–168 h and the calendar.

"Better than the best baseline" means little against a plain one. This is what a careful analyst
would build without any CSM-specific ideas: one point LightGBM across zones (each scaled by its
own level), a direct multi-horizon model (the horizon is a feature; a lag is only used when it is
at or before the origin), lags 1–24 h, 2–7 days back, and calendar features of the target hour.
Its hyper-parameters (objective, tree size, regularisation, number of trees by early stopping)
are chosen by time-series cross-validation on the two latest two-week folds before the origin;
its p10/p90 come from the quantiles of its out-of-sample errors in the last fold, per horizon band.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from csm.forecast.calibration import horizon_band
from csm.forecast.features import TARGET_CALENDAR, Grid, hour_lags

MAX_ROWS = 240_000
TUNING_ROWS = 120_000
CANDIDATES: tuple[dict[str, Any], ...] = (
    {"objective": "regression", "num_leaves": 63, "min_child_samples": 40, "learning_rate": 0.05},
    {"objective": "l1", "num_leaves": 63, "min_child_samples": 40, "learning_rate": 0.05},
    {"objective": "regression", "num_leaves": 255, "min_child_samples": 100, "learning_rate": 0.05,
     "reg_lambda": 5.0},
    {"objective": "l1", "num_leaves": 31, "min_child_samples": 20, "learning_rate": 0.1},
)
COMMON: dict[str, Any] = {"subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "n_jobs": 1,
                          "verbose": -1}
MAX_TREES = 800


def lag_features(grid: Grid, t_rows: np.ndarray, cols: np.ndarray, horizons: np.ndarray) -> pd.DataFrame:
    """Lags of the target row (NaN when after the origin), horizon, zone and calendar."""
    data: dict[str, Any] = {
        "zone": pd.Categorical(np.asarray(grid.zones)[cols], categories=grid.zones),
        "horizon": horizons,
        **hour_lags(grid, t_rows, cols, horizons, "lag_"),
    }
    calendar = grid.calendar.iloc[np.clip(t_rows, 0, len(grid.calendar) - 1)][list(TARGET_CALENDAR)]
    calendar = calendar.reset_index(drop=True)
    return pd.concat([pd.DataFrame(data), calendar], axis=1)


def _rows(grid: Grid, first: int, last: int, limit: int, horizon: int,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Known target cells in rows [first, last], the most recent `limit`, with random horizons."""
    rows, cols = np.nonzero(~np.isnan(grid.values[first:last + 1]))
    rows = rows + first
    if len(rows) > limit:
        keep = np.sort(np.argsort(rows, kind="stable")[-limit:])
        rows, cols = rows[keep], cols[keep]
    return rows, cols, rng.integers(1, horizon + 1, size=len(rows))


@dataclass
class TunedLightGBM:
    horizon: int
    params: dict[str, Any] | None = None  # chosen by CV on the first fit, reused on refits
    seed: int = 11
    model: lgb.LGBMRegressor | None = None
    error_quantiles: np.ndarray = field(default_factory=lambda: np.zeros((4, 2)))
    cv_scores: list[tuple[dict[str, Any], float]] = field(default_factory=list)

    def _step_hours(self, grid: Grid) -> float:
        return pd.Timedelta(grid.freq) / pd.Timedelta("1h")

    def tune(self, grid: Grid, last_row: int) -> dict[str, Any]:
        """Time-series CV: two folds of two weeks each, the latest first; lowest mean MAE wins."""
        rng = np.random.default_rng(self.seed)
        fold = 2 * grid.week
        scores: list[tuple[dict[str, Any], float]] = []
        for candidate in CANDIDATES:
            maes, trees = [], []
            for k in range(2):
                valid_end = last_row - k * fold
                valid_start = valid_end - fold + 1
                train = _rows(grid, grid.week, valid_start - 1, TUNING_ROWS, self.horizon, rng)
                valid = _rows(grid, valid_start, valid_end, TUNING_ROWS // 4, self.horizon, rng)
                x_train, y_train = lag_features(grid, *train), grid.values[train[0], train[1]]
                x_valid, y_valid = lag_features(grid, *valid), grid.values[valid[0], valid[1]]
                model = lgb.LGBMRegressor(n_estimators=MAX_TREES, random_state=self.seed, **COMMON, **candidate)
                model.fit(x_train, y_train, eval_X=(x_valid,), eval_y=(y_valid,), eval_metric="l1",
                          callbacks=[lgb.early_stopping(50, verbose=False)])
                trees.append(model.best_iteration_ or MAX_TREES)
                maes.append(float(np.mean(np.abs(model.predict(x_valid) - y_valid))))
            chosen = {**candidate, "n_estimators": int(np.mean(trees))}
            scores.append((chosen, float(np.mean(maes))))
        self.cv_scores = scores
        return min(scores, key=lambda item: item[1])[0]

    def fit(self, grid: Grid, last_row: int) -> TunedLightGBM:
        if self.params is None:
            self.params = self.tune(grid, last_row)
        rng = np.random.default_rng(self.seed + 1)
        holdout = grid.week
        # Out-of-sample errors for the band: fit without the last week, score it, then refit on all.
        for stage in ("errors", "final"):
            end = last_row - holdout if stage == "errors" else last_row
            rows, cols, horizons = _rows(grid, grid.week, end, MAX_ROWS, self.horizon, rng)
            model = lgb.LGBMRegressor(random_state=self.seed, **COMMON, **self.params)
            model.fit(lag_features(grid, rows, cols, horizons), grid.values[rows, cols])
            if stage == "errors":
                held = _rows(grid, end + 1, last_row, MAX_ROWS, self.horizon, rng)
                if len(held[0]):
                    error = grid.values[held[0], held[1]] - model.predict(lag_features(grid, *held))
                    bands = horizon_band(held[2] * self._step_hours(grid))
                    for b in range(len(self.error_quantiles)):
                        mine = error[bands == b] if (bands == b).sum() >= 20 else error
                        self.error_quantiles[b] = np.quantile(mine, [0.1, 0.9])
        self.model = model
        return self

    def predict(self, grid: Grid, origin: int) -> np.ndarray:
        """(zones × horizon × 3) in persons."""
        assert self.model is not None
        n = len(grid.zones)
        steps = np.arange(1, self.horizon + 1)
        rows, cols, horizons = np.repeat(origin + steps, n), np.tile(np.arange(n), self.horizon), np.repeat(steps, n)
        point = self.model.predict(lag_features(grid, rows, cols, horizons))
        band = self.error_quantiles[horizon_band(horizons * self._step_hours(grid))]
        out = np.column_stack([point + band[:, 0], point, point + band[:, 1]]) * grid.scale[cols][:, None]
        return np.clip(np.sort(out, axis=1), 0, None).reshape(self.horizon, n, 3).transpose(1, 0, 2)
