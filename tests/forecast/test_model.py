"""The model's guarantees: no look-ahead, DST-correct steps, gaps and outages, sane quantiles."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from csm.forecast.features import build_features
from csm.forecast.grid import mask_outages, to_grid
from csm.forecast.model import (
    N_BANDS,
    GlobalQuantileForecaster,
    lag_member_columns,
    make_grid,
    quantile_columns,
    recent_lags,
)
from csm.forecast.zones import forecast_zones
from tests.forecast.synthetic import synthetic_counts

TZ = ZoneInfo("Europe/Amsterdam")


def test_no_look_ahead_changing_the_future_changes_nothing() -> None:
    history = synthetic_counts(days=42, zones=3)
    history["timestamp"] = history["timestamp"].dt.tz_convert("UTC")
    cut = history["timestamp"].min() + pd.Timedelta(days=35)
    grid = make_grid(history, "1h", TZ, "NL", scale_until=cut)
    origin = int(np.searchsorted(grid.index, cut))
    model = GlobalQuantileForecaster(horizon=12).fit(grid, origin)
    before = model.predict(grid, origin)
    tampered = history.copy()
    later = tampered["timestamp"] > cut
    tampered.loc[later, "count"] = tampered.loc[later, "count"] * 50 + 1000
    grid2 = make_grid(tampered, "1h", TZ, "NL", scale_until=cut)
    assert np.allclose(before, model.predict(grid2, origin))
    refit = GlobalQuantileForecaster(horizon=12).fit(grid2, origin)
    assert np.allclose(before, refit.predict(grid2, origin))


def test_forecast_follows_the_daily_rhythm_and_orders_quantiles() -> None:
    result = forecast_zones(synthetic_counts(days=40, zones=2), horizon=24, freq="1h", country="NL")
    assert len(result) == 48
    assert ((result.p10 <= result.p50) & (result.p50 <= result.p90) & (result.p10 >= 0)).all()
    zone = result[result.zone == "zone-1"].set_index("timestamp")["p50"]
    local_hours = zone.index.tz_convert(TZ).hour
    assert zone[local_hours == 14].mean() > 3 * zone[local_hours == 3].mean()


def test_dst_days_step_in_real_time() -> None:
    spring = synthetic_counts(days=30, zones=1, start="2025-03-01")
    spring = spring[spring["timestamp"] < pd.Timestamp("2025-03-30 00:00", tz=TZ)]
    result = forecast_zones(spring, horizon=6, freq="1h", country="NL")
    local = result["timestamp"].dt.tz_convert(TZ).dt.strftime("%H:%M").tolist()
    assert local == ["00:00", "01:00", "03:00", "04:00", "05:00", "06:00"]  # 02:00 does not exist
    autumn = synthetic_counts(days=30, zones=1, start="2025-10-01")
    autumn = autumn[autumn["timestamp"] < pd.Timestamp("2025-10-26 00:00", tz=TZ)]
    result = forecast_zones(autumn, horizon=4, freq="1h", country="NL")
    local = result["timestamp"].dt.tz_convert(TZ).dt.strftime("%H:%M").tolist()
    assert local == ["00:00", "01:00", "02:00", "02:00"]  # the doubled hour, twice


def test_gaps_and_a_zone_that_went_quiet_still_get_forecasts() -> None:
    history = synthetic_counts(days=30, zones=2)
    gappy = history.drop(history.sample(frac=0.2, random_state=1).index)
    gappy = gappy[~((gappy.zone == "zone-1") & (gappy.timestamp > gappy.timestamp.max() - pd.Timedelta("12h")))]
    result = forecast_zones(gappy, horizon=5, freq="1h", country="NL")
    assert result.groupby("zone").size().to_dict() == {"zone-0": 5, "zone-1": 5}
    assert result["p50"].notna().all()


def test_day_long_zero_runs_are_outages_short_ones_are_real() -> None:
    frame = synthetic_counts(days=5, zones=1)
    frame.loc[frame.index[30:60], "count"] = 0  # 30 hours of zeros: an outage
    frame.loc[frame.index[80:84], "count"] = 0  # four quiet hours: real zeros
    grid = mask_outages(to_grid(frame, "1h"), "1h")
    values = grid.iloc[:, 0].to_numpy()
    assert np.isnan(values[30:60]).all()
    assert (values[80:84] == 0).all()


def test_short_history_falls_back_to_the_profile() -> None:
    history = synthetic_counts(days=3, zones=2, freq="15min")
    result = forecast_zones(history, horizon=8, freq="15min", country="NL")
    assert len(result) == 16 and (result.p50 >= 0).all()
    assert ((result.p10 <= result.p50) & (result.p50 <= result.p90)).all()


def test_median_members_are_weighed_by_their_held_out_error() -> None:
    """The ensemble median trusts the member closest to the held-out actuals, and the weights sum to 1."""
    from csm.forecast.model import _best_median_weights

    rng = np.random.default_rng(0)
    actual = rng.gamma(2.0, 1.0, 2000)
    good = actual + rng.normal(0, 0.1, 2000)
    biased = actual * 1.5 + 0.5
    weights = _best_median_weights(np.column_stack([biased, good, biased]), actual)
    assert weights.sum() == 1.0 and weights[1] >= 0.9
    halves = _best_median_weights(np.column_stack([actual - 1.0, actual + 1.0]), actual)
    assert np.allclose(halves, [0.5, 0.5])  # opposite errors cancel


def test_the_ensemble_median_moves_the_band_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switched on, the fitted model has point members besides the quantile models; the band keeps
    its shape around the ensemble median."""
    from csm.forecast import model as model_module

    monkeypatch.setattr(model_module, "POINT_OBJECTIVES", ("regression", "tweedie"))
    monkeypatch.setattr(model_module, "REFIT_ON_ALL", True)
    history = synthetic_counts(days=42, zones=2)
    grid = make_grid(history, "1h", TZ, "NL")
    origin = len(grid.index) - 1
    model = GlobalQuantileForecaster(horizon=12).fit(grid, origin)
    assert set(model.point_models) == {"regression", "tweedie", "lags"}
    assert model.median_weights.shape == (N_BANDS, 4)  # per horizon band: q0.5, L2, Tweedie, lags
    assert np.allclose(model.median_weights.sum(axis=1), 1.0)
    out = model.predict(grid, origin)
    assert (out[..., 0] <= out[..., 1]).all() and (out[..., 1] <= out[..., 2]).all()


def test_the_ensemble_can_be_switched_off_for_an_ablation() -> None:
    history = synthetic_counts(days=42, zones=2)
    grid = make_grid(history, "1h", TZ, "NL")
    origin = len(grid.index) - 1
    plain = GlobalQuantileForecaster(horizon=6, without=("ensemble", "refit", "lag_member")).fit(grid, origin)
    assert plain.point_models == {} and plain.median_weights.shape[1] == 1
    out = plain.predict(grid, origin)
    assert (out[..., 0] <= out[..., 2]).all()
    default = GlobalQuantileForecaster(horizon=6).fit(grid, origin)
    assert set(default.point_models) == {"lags"}  # the lag member is on by default, the other two off
    assert default.median_weights.shape == (N_BANDS, 2) and np.allclose(default.median_weights.sum(axis=1), 1.0)


def test_the_lag_member_sees_nothing_after_the_origin() -> None:
    """Its lag of k hours is the value k hours before the target only when that is at or before the
    origin (k ≥ the horizon); shorter lags are missing, never a peek at the future."""
    history = synthetic_counts(days=14, zones=2)
    grid = make_grid(history, "1h", TZ, "NL")
    target, horizon = np.array([200, 200]), np.array([5, 30])
    lags = recent_lags(grid, target, np.array([1, 1]), horizon)
    assert np.isnan(lags.loc[0, ["recent_1h", "recent_4h"]].to_numpy(dtype=float)).all()
    assert lags.loc[0, "recent_5h"] == grid.values[195, 1] and lags.loc[0, "recent_24h"] == grid.values[176, 1]
    assert np.isnan(lags.loc[1, "recent_24h"]) and lags.loc[1, "recent_48h"] == grid.values[152, 1]
    x = pd.concat([build_features(grid, target, np.array([1, 1]), horizon), lags], axis=1)
    assert set(lag_member_columns(x)).isdisjoint({"last", "day_mean", "seasonal_mean", "lag_1w"})
    assert not any(c.startswith("recent_") for c in quantile_columns(x))
