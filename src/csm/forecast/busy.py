"""The busy-hour decision: how far up the band to look before saying "this hour will be busy".

Why not the median: the median is the best point forecast, and for that very reason it
under-forecasts the rare top hours (it hedges toward the usual), so "p50 above the busy line"
misses most busy hours. Operators want early warning: an hour is flagged when a level between
p50 and p90 crosses the line. How far up is not guessed: it is the level that gave the best
busy-hour F1 on the held-out weeks before the forecast (never on the hours being scored).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Candidate positions in the band: 0 = the median, 1 = p90.
BUSY_LEVELS = np.round(np.arange(0.0, 1.0001, 0.05), 2)
BUSY_QUANTILE = 0.95  # busy = above the zone's 95th percentile of its history (as the backtest scores)
MIN_BUSY_ROWS = 30  # fewer held-out busy hours than this: keep the median


def busy_f1(actual: np.ndarray, signal: np.ndarray, threshold: np.ndarray) -> float:
    """F1 of "signal above threshold" against "actual above threshold" (NaN actuals ignored)."""
    ok = np.isfinite(actual)
    is_busy = (actual > threshold) & ok
    said = (signal > threshold) & ok
    tp = float((is_busy & said).sum())
    precision = tp / max(float(said.sum()), 1.0)
    recall = tp / max(float(is_busy.sum()), 1.0)
    return 2 * precision * recall / max(precision + recall, 1e-9)


@dataclass
class BusyDecision:
    """Flag an hour busy when p50 + level × (p90 − p50) is above the zone's busy line."""

    level: float = 0.0

    def signal(self, quantiles: np.ndarray) -> np.ndarray:
        """The value compared with the busy line, from (... × 3) quantiles (p10, p50, p90)."""
        return quantiles[..., 1] + self.level * (quantiles[..., 2] - quantiles[..., 1])

    @classmethod
    def fit(cls, quantiles: np.ndarray, actual: np.ndarray, threshold: np.ndarray) -> BusyDecision:
        """The level with the best held-out F1 (ties: the lowest level, the fewest false alarms).

        quantiles (rows × 3), actual (rows), threshold (rows): the busy line of each row's zone.
        """
        ok = np.isfinite(actual) & np.isfinite(threshold)
        if int((actual[ok] > threshold[ok]).sum()) < MIN_BUSY_ROWS:
            return cls()
        scores = [busy_f1(actual[ok], cls(float(level)).signal(quantiles[ok]), threshold[ok])
                  for level in BUSY_LEVELS]
        return cls(float(BUSY_LEVELS[int(np.argmax(scores))]))
