"""Conditional calibration of the p10–p90 band (conformalised quantile regression per bucket).

Why per bucket: one widening factor for all hours makes the band right on average and too narrow
exactly in the busy hours, where the errors are largest and operators rely on the band. So each
tail of the band gets its own factor per (local hour of day × horizon band), taken from held-out
recent weeks: the lower factor is the one that leaves 10 % of held-out actuals below the band,
the upper one 10 % above, so each bucket covers 80 %. Buckets with too few held-out rows borrow
the factor of their hour of day (all horizons), then the overall one.

Also here: the blend of the model's median with the seasonal profile (the mean of the same time of
week over the last four weeks), weighted per horizon band on the same held-out weeks. Where the
model is out of its depth (an unusual period, a broken sensor history) the profile is the safer
guess, and the weight says how much to trust each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TAIL = 0.1  # each tail of the 80 % band
MIN_BUCKET_ROWS = 40
# Shrinkage: a bucket's factor is averaged with its hour's (all horizons) weighted n : SHRINK_ROWS,
# so a bucket of 56 held-out rows — about five above its band — does not set its own factor from
# five rows, while a bucket of 600 mostly does. The hours themselves are not pulled together:
# they differ for real (busy afternoon, quiet night), which is why the band is per hour at all.
SHRINK_ROWS = 100
FACTOR_RANGE = (0.3, 5.0)
# Horizon bands in hours: intraday (1–3 h), the rest of the day, day ahead, beyond.
HORIZON_BANDS_HOURS = (3.0, 12.0, 24.0)
BLEND_WEIGHTS = np.round(np.arange(0.5, 1.0001, 0.1), 2)


def horizon_band(horizon_hours: np.ndarray) -> np.ndarray:
    """0 for 1–3 h, 1 for up to 12 h, 2 for up to 24 h, 3 beyond."""
    return np.searchsorted(np.asarray(HORIZON_BANDS_HOURS), horizon_hours, side="left")


def _tail_factor(distance: np.ndarray, excess: np.ndarray) -> float:
    """Smallest factor f with at most TAIL of rows having excess > f × distance (with the
    split-conformal finite-sample correction: the ⌈(n + 1)(1 − TAIL)⌉-th smallest ratio)."""
    ratio = excess / np.maximum(distance, 1e-3)
    level = min(1.0, np.ceil((len(ratio) + 1) * (1 - TAIL)) / len(ratio))
    return float(np.clip(np.quantile(ratio, level, method="higher"), *FACTOR_RANGE))


def _shrunk(n: int, own: tuple[float, float], parent: tuple[float, float]) -> tuple[float, float]:
    """A bucket's (lower, upper) factors pulled toward its parent's by how few rows it has."""
    weight = n / (n + SHRINK_ROWS)
    return (weight * own[0] + (1 - weight) * parent[0], weight * own[1] + (1 - weight) * parent[1])


@dataclass
class BandCalibration:
    """Per (hour of day, horizon band): factors for the lower and upper half of the band."""

    lower: np.ndarray = field(default_factory=lambda: np.ones((24, len(HORIZON_BANDS_HOURS) + 1)))
    upper: np.ndarray = field(default_factory=lambda: np.ones((24, len(HORIZON_BANDS_HOURS) + 1)))

    @classmethod
    def fit(cls, quantiles: np.ndarray, actual: np.ndarray, hour: np.ndarray,
            horizon_hours: np.ndarray) -> BandCalibration:
        """quantiles (rows × 3: p10, p50, p90) and actuals of held-out rows, same units."""
        p10, p50, p90 = quantiles[:, 0], quantiles[:, 1], quantiles[:, 2]
        down, up = p50 - p10, p90 - p50
        below, above = p50 - actual, actual - p50
        hours = np.asarray(hour).astype(int) % 24
        bands = horizon_band(horizon_hours)
        calibration = cls()
        overall = (_tail_factor(down, below), _tail_factor(up, above))
        for h in range(24):
            in_hour = hours == h
            hour_factors = (overall if in_hour.sum() < MIN_BUCKET_ROWS else
                            (_tail_factor(down[in_hour], below[in_hour]), _tail_factor(up[in_hour], above[in_hour])))
            for b in range(calibration.lower.shape[1]):
                mine = in_hour & (bands == b)
                if mine.sum() >= MIN_BUCKET_ROWS:
                    own = (_tail_factor(down[mine], below[mine]), _tail_factor(up[mine], above[mine]))
                    calibration.lower[h, b], calibration.upper[h, b] = _shrunk(int(mine.sum()), own, hour_factors)
                else:
                    calibration.lower[h, b], calibration.upper[h, b] = hour_factors
        return calibration

    def apply(self, quantiles: np.ndarray, hour: np.ndarray, horizon_hours: np.ndarray) -> np.ndarray:
        """The calibrated (rows × 3) quantiles."""
        hours = np.asarray(hour).astype(int) % 24
        bands = horizon_band(horizon_hours)
        p10, p50, p90 = quantiles[:, 0], quantiles[:, 1], quantiles[:, 2]
        low = p50 - self.lower[hours, bands] * (p50 - p10)
        high = p50 + self.upper[hours, bands] * (p90 - p50)
        return np.column_stack([low, p50, high])


@dataclass
class ProfileBlend:
    """Weight of the model's median against the seasonal profile, per horizon band."""

    weights: np.ndarray = field(default_factory=lambda: np.ones(len(HORIZON_BANDS_HOURS) + 1))

    @classmethod
    def fit(cls, model_median: np.ndarray, profile: np.ndarray, actual: np.ndarray,
            horizon_hours: np.ndarray) -> ProfileBlend:
        blend = cls()
        bands = horizon_band(horizon_hours)
        usable = np.isfinite(profile)
        for b in range(len(blend.weights)):
            mine = usable & (bands == b)
            if mine.sum() < MIN_BUCKET_ROWS:
                continue
            errors = [np.mean(np.abs(w * model_median[mine] + (1 - w) * profile[mine] - actual[mine]))
                      for w in BLEND_WEIGHTS]
            blend.weights[b] = float(BLEND_WEIGHTS[int(np.argmin(errors))])
        return blend

    def apply(self, quantiles: np.ndarray, profile: np.ndarray, horizon_hours: np.ndarray) -> np.ndarray:
        """Shift the whole (rows × 3) distribution by the blend's change of the median."""
        weight = self.weights[horizon_band(horizon_hours)]
        usable = np.isfinite(profile)
        shift = np.where(usable, (1 - weight) * (np.nan_to_num(profile) - quantiles[:, 1]), 0.0)
        return quantiles + shift[:, None]



MIN_RECENT_HOUR_ROWS = 40


def recent_hour_factors(quantiles: np.ndarray, actual: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """(24 × 2) lower/upper factors that would have made the already calibrated band cover 80 %
    per local hour over the last days' forecasts, shrunk toward 1 by the rows seen (n : SHRINK_ROWS).

    Why: the held-out weeks behind `BandCalibration` are weeks older than the forecast; when the
    errors of an hour drift (the season turns, evenings darken) the last days show it first.
    Hours with under MIN_RECENT_HOUR_ROWS known rows keep factor 1 (two series: never enough).
    """
    factors = np.ones((24, 2))
    ok = np.isfinite(actual)
    hours = np.asarray(hour).astype(int) % 24
    for h in range(24):
        mine = ok & (hours == h)
        if mine.sum() < MIN_RECENT_HOUR_ROWS:
            continue
        q, y = quantiles[mine], actual[mine]
        own = (_tail_factor(q[:, 1] - q[:, 0], q[:, 1] - y), _tail_factor(q[:, 2] - q[:, 1], y - q[:, 1]))
        factors[h] = _shrunk(int(mine.sum()), own, (1.0, 1.0))
    return factors


def widen_by_hour(quantiles: np.ndarray, hour: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Each half of the (rows × 3) band scaled by its hour's factor (24 × 2); the median kept."""
    f = factors[np.asarray(hour).astype(int) % 24]
    p50 = quantiles[:, 1]
    return np.column_stack([p50 - f[:, 0] * (p50 - quantiles[:, 0]), p50, p50 + f[:, 1] * (quantiles[:, 2] - p50)])
