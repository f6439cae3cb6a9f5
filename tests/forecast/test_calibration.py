"""The band is calibrated per hour of day and horizon band; the median is blended with the profile
only as far as held-out weeks say it helps."""

from __future__ import annotations

import numpy as np
import pytest

import csm.forecast.calibration as calibration_module
from csm.forecast.calibration import BandCalibration, ProfileBlend, horizon_band


def _raw_band(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A model whose p10/p90 claim the same spread at every hour, while the afternoon (12–17 h)
    really varies three times as much and the night half as much."""
    hour = rng.integers(0, 24, n)
    horizon_hours = rng.integers(1, 25, n).astype(float)
    spread = np.where((hour >= 12) & (hour <= 17), 3.0, np.where(hour < 6, 0.5, 1.0))
    median = 10.0 + rng.normal(0, 1, n)
    actual = median + rng.normal(0, 1, n) * spread
    claimed = 1.2816  # the 10/90 % of a unit normal
    quantiles = np.column_stack([median - claimed, median, median + claimed])
    return quantiles, actual, hour, horizon_hours


def _coverage_by_hour(quantiles: np.ndarray, actual: np.ndarray, hour: np.ndarray) -> np.ndarray:
    inside = (actual >= quantiles[:, 0]) & (actual <= quantiles[:, 2])
    return np.array([inside[hour == h].mean() for h in range(24)])


def test_band_covers_80_percent_in_every_hour_after_calibration() -> None:
    rng = np.random.default_rng(5)
    held_quantiles, held_actual, held_hour, held_horizon = _raw_band(rng, 60_000)
    calibration = BandCalibration.fit(held_quantiles, held_actual, held_hour, held_horizon)
    quantiles, actual, hour, horizon = _raw_band(rng, 60_000)
    before = _coverage_by_hour(quantiles, actual, hour)
    after = _coverage_by_hour(calibration.apply(quantiles, hour, horizon), actual, hour)
    assert before[14] < 0.45 and before[3] > 0.95  # one factor for all hours is wrong both ways
    assert np.all((after > 0.76) & (after < 0.84)), after
    # the afternoon band is widened, the night band narrowed
    assert calibration.upper[14].min() > 2.0 and calibration.upper[3].max() < 0.7


def test_sparse_buckets_borrow_their_hour_of_day() -> None:
    rng = np.random.default_rng(6)
    quantiles, actual, hour, _ = _raw_band(rng, 20_000)
    horizon = np.full(len(actual), 2.0)  # only the 1–3 h band is seen
    calibration = BandCalibration.fit(quantiles, actual, hour, horizon)
    assert np.allclose(calibration.lower[:, 1], calibration.lower[:, 2])  # unseen bands copy the hour's factor
    assert np.allclose(calibration.lower[:, 3], calibration.lower[:, 2])
    # the seen band (about 830 rows an hour) is its own factor, shrunk a little toward the hour's
    assert np.allclose(calibration.lower[:, 0], calibration.lower[:, 2], rtol=0.1)


def test_small_buckets_are_shrunk_toward_their_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(8)
    quantiles, actual, hour, _ = _raw_band(rng, 24 * 4 * 60)  # about 60 rows per (hour × band)
    horizon = rng.integers(1, 49, len(actual)).astype(float)  # the truth is the same in every band
    shrunk = BandCalibration.fit(quantiles, actual, hour, horizon)
    monkeypatch.setattr(calibration_module, "SHRINK_ROWS", 0)
    raw = BandCalibration.fit(quantiles, actual, hour, horizon)
    # the bands of one hour differ only by noise: shrinkage damps it to well under half
    assert np.mean(np.ptp(shrunk.upper, axis=1)) < 0.5 * np.mean(np.ptp(raw.upper, axis=1))
    # while the hours still differ as much as they really do
    assert shrunk.upper[14].mean() > 2.5 and shrunk.upper[3].mean() < 0.7


def test_horizon_bands() -> None:
    assert list(horizon_band(np.array([1.0, 3.0, 4.0, 12.0, 13.0, 24.0, 25.0]))) == [0, 0, 1, 1, 2, 2, 3]


def test_profile_blend_trusts_the_better_of_model_and_profile() -> None:
    rng = np.random.default_rng(7)
    n = 5_000
    actual = rng.gamma(5.0, 2.0, n)
    horizon = rng.integers(1, 25, n).astype(float)
    profile = actual + rng.normal(0, 2.0, n)
    good_model = actual + rng.normal(0, 0.1, n)
    noisy_model = actual + rng.normal(0, 2.0, n)  # as noisy as the profile, independent of it: average
    assert np.allclose(ProfileBlend.fit(good_model, profile, actual, horizon).weights, 1.0)
    noisy = ProfileBlend.fit(noisy_model, profile, actual, horizon).weights
    assert np.all((noisy[:3] >= 0.4) & (noisy[:3] <= 0.6)), noisy
    assert noisy[3] == 1.0  # no held-out rows beyond a day: the model alone
    quantiles = np.column_stack([noisy_model - 1, noisy_model, noisy_model + 1])
    blended = ProfileBlend(np.full(4, 0.5)).apply(quantiles, profile, horizon)
    assert np.allclose(blended[:, 1], 0.5 * (noisy_model + profile))
    assert np.allclose(blended[:, 2] - blended[:, 1], 1.0)  # the band moves with the median
    missing = ProfileBlend(np.full(4, 0.5)).apply(quantiles, np.full(n, np.nan), horizon)
    assert np.allclose(missing, quantiles)  # no profile (history too short): the model alone


def test_recent_days_re_scale_the_band_of_an_hour_that_drifted() -> None:
    from csm.forecast.calibration import recent_hour_factors, widen_by_hour

    rng = np.random.default_rng(9)
    quantiles, actual, hour, _ = _raw_band(rng, 24 * 300)  # about 300 recent rows per hour
    factors = recent_hour_factors(quantiles, actual, hour)
    assert factors[14, 1] > 1.8 and factors[3, 1] < 0.8  # widened where it drifted wide, narrowed at night
    assert np.allclose(recent_hour_factors(quantiles[:30], actual[:30], hour[:30]), 1.0)  # too few rows: kept
    widened = widen_by_hour(quantiles, hour, factors)
    assert np.allclose(widened[:, 1], quantiles[:, 1])  # the median is kept
    inside = (actual >= widened[:, 0]) & (actual <= widened[:, 2])
    assert 0.74 < inside[hour == 14].mean() < 0.86
