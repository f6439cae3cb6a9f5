"""Predicted threshold crossings from a probabilistic forecast (p10/p50/p90 persons per zone).

Probability of crossing: the forecast gives three quantiles only, so we assume a piecewise-linear
CDF through (p10, 0.1), (p50, 0.5), (p90, 0.9). Each tail continues the slope of its neighbouring
segment until it reaches 0 or 1, i.e. a quarter of the inner quantile distance beyond p10 and p90.
This keeps skew (p90 - p50 often exceeds p50 - p10 on busy afternoons) that a fitted normal
would lose, and needs no distribution family the forecast model does not promise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from csm.domain.model import ORDERED_LEVELS, Level
from csm.site.model import Zone

_QUANTILES = (0.0, 0.1, 0.5, 0.9, 1.0)
_EPS = 1e-9


def exceedance_probability(threshold: float, p10: float, p50: float, p90: float) -> float:
    """P(value >= threshold) under the piecewise-linear CDF through the three quantiles."""
    lo_q, mid_q, hi_q = sorted((p10, p50, p90))  # tolerate quantile crossing in a model's output
    lo = lo_q - 0.25 * (mid_q - lo_q)
    hi = hi_q + 0.25 * (hi_q - mid_q)
    knots = np.array([lo, lo_q, mid_q, hi_q, hi], dtype=float)
    knots = knots + np.arange(5) * _EPS  # strictly increasing even when quantiles coincide
    cdf = float(np.interp(threshold, knots, _QUANTILES))
    return round(1.0 - cdf, 6)


def threshold_persons(zone: Zone, level: Level) -> float:
    """Persons in the zone at which it reaches `level` (red also at capacity)."""
    density = {
        Level.YELLOW: zone.thresholds.yellow,
        Level.ORANGE: zone.thresholds.orange,
        Level.RED: zone.thresholds.red,
    }[level]
    persons = density * zone.walkable_area_m2
    return min(persons, zone.capacity) if level is Level.RED else persons


@dataclass(frozen=True, slots=True)
class PredictedCrossing:
    """The first forecast step at which a zone is likely enough to reach a level above its own."""

    zone_id: str
    level: Level
    threshold_persons: float
    at: datetime
    lead_time: timedelta
    probability: float  # at `at`
    peak_probability: float  # highest over the horizon
    peak_at: datetime
    p50: float
    p90: float


def predicted_crossings(
    forecast: pd.DataFrame,
    zones: Mapping[str, Zone],
    now: datetime,
    current_levels: Mapping[str, Level],
    min_probability: float = 0.3,
    horizon: timedelta = timedelta(hours=6),
) -> list[PredictedCrossing]:
    """Per zone and per level above its current one, the first step in (now, now + horizon] with
    P(crossing) >= min_probability. Sorted by time, then by level (highest first)."""
    if forecast.empty:
        return []
    ts = pd.to_datetime(forecast["ts"], utc=True)
    window = forecast.assign(ts=ts)
    window = window[(ts > pd.Timestamp(now)) & (ts <= pd.Timestamp(now + horizon))]
    found: list[PredictedCrossing] = []
    for zone_id, rows in window.groupby("zone_id", sort=True):
        zone = zones.get(str(zone_id))
        if zone is None:
            continue
        rows = rows.sort_values("ts")
        current = current_levels.get(zone.id, Level.UNKNOWN)
        for level in ORDERED_LEVELS[1:]:
            if level.rank <= current.rank:
                continue
            crossing = _first_crossing(zone, level, rows, now, min_probability)
            if crossing is not None:
                found.append(crossing)
    return sorted(found, key=lambda c: (c.at, -c.level.rank, c.zone_id))


def _first_crossing(
    zone: Zone, level: Level, rows: pd.DataFrame, now: datetime, min_probability: float
) -> PredictedCrossing | None:
    threshold = threshold_persons(zone, level)
    probs = [
        exceedance_probability(threshold, float(r.p10), float(r.p50), float(r.p90))
        for r in rows.itertuples(index=False)
    ]
    hits = [i for i, p in enumerate(probs) if p >= min_probability]
    if not hits:
        return None
    first = hits[0]
    peak = int(np.argmax(probs))
    at = rows["ts"].iloc[first].to_pydatetime()
    return PredictedCrossing(
        zone_id=zone.id,
        level=level,
        threshold_persons=round(threshold, 1),
        at=at,
        lead_time=at - now,
        probability=probs[first],
        peak_probability=probs[peak],
        peak_at=rows["ts"].iloc[peak].to_pydatetime(),
        p50=float(rows["p50"].iloc[first]),
        p90=float(rows["p90"].iloc[first]),
    )
