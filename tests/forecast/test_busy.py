"""The busy decision looks as far up the band as held-out weeks say finds busy hours best."""

from __future__ import annotations

import numpy as np

from csm.forecast.backtest import _metrics
from csm.forecast.busy import BusyDecision, busy_f1


def _hedging_forecast(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A right median and band; the busy hours are the ones the noise pushed up, which the
    median (the usual level) mostly stays below."""
    usual = rng.gamma(4.0, 25.0, n)
    actual = usual * rng.lognormal(0.0, 0.35, n)
    p50 = usual  # the median of the lognormal factor is 1
    quantiles = np.column_stack([p50 * np.exp(-0.45), p50, p50 * np.exp(0.45)])
    return quantiles, actual, np.full(n, np.quantile(actual, 0.95))


def test_the_level_chosen_on_held_out_rows_beats_the_median_on_new_rows() -> None:
    rng = np.random.default_rng(3)
    held_q, held_actual, held_line = _hedging_forecast(rng, 20_000)
    decision = BusyDecision.fit(held_q, held_actual, held_line)
    assert 0.1 <= decision.level <= 0.9  # above the median, below p90
    quantiles, actual, line = _hedging_forecast(rng, 20_000)
    median_f1 = busy_f1(actual, quantiles[:, 1], line)
    chosen_f1 = busy_f1(actual, decision.signal(quantiles), line)
    assert chosen_f1 > median_f1 + 0.03, (median_f1, chosen_f1)
    signal = decision.signal(quantiles)
    assert np.all((signal >= quantiles[:, 1]) & (signal <= quantiles[:, 2]))


def test_without_enough_busy_hours_the_median_decides() -> None:
    quantiles = np.column_stack([np.full(100, 5.0), np.full(100, 10.0), np.full(100, 15.0)])
    actual = np.full(100, 10.0)
    actual[:5] = 30.0  # five busy hours: too few to choose a level from
    assert BusyDecision.fit(quantiles, actual, np.full(100, 20.0)).level == 0.0


def test_backtest_scores_the_busy_signal_when_given() -> None:
    actual = np.array([[[10.0, 30.0, 12.0]]])  # one origin, one zone, three steps; busy above 20
    predicted = np.array([[[[5.0, 10.0, 15.0], [12.0, 18.0, 28.0], [6.0, 11.0, 16.0]]]])
    with_median = _metrics(actual, predicted, np.array([1.0]), np.array([20.0]))
    assert with_median["busy_recall"] == 0.0  # p50 18 misses the busy hour (30)
    signal = predicted[..., 1] + 0.5 * (predicted[..., 2] - predicted[..., 1])  # 10, 23, 13.5
    with_signal = _metrics(actual, predicted, np.array([1.0]), np.array([20.0]), signal)
    assert with_signal["busy_precision"] == 1.0 and with_signal["busy_recall"] == 1.0
    assert with_signal["MAE"] == with_median["MAE"]  # the point forecast is untouched
