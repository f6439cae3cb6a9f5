"""The baseline day a scenario is compared with: the stored forecast, or the demo day's profiles.

Slots are 15 minutes from local midnight to the next (92 or 100 on DST days). Zones the forecast
does not cover are estimated from the flows between the others (csm.flow.estimate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csm.flow.estimate import estimate_unsensed
from csm.flow.model import FlowModel
from csm.site.model import Site
from csm.store.base import Store
from csm.synthetic.day import DaySimulator

SLOT = timedelta(minutes=15)
MIN_FORECAST_COVERAGE = 0.9  # share of the day's slots the forecast must cover to be used
# The demo profiles have no spread of their own: a band of the width the forecast usually shows.
DEMO_BAND = (0.85, 1.2)


class BaselineUnavailable(LookupError):
    pass


@dataclass(frozen=True)
class Baseline:
    source: str
    slots: list[datetime]  # UTC start of each slot
    zone_ids: tuple[str, ...]
    p10: NDArray[np.float64]  # [slot, zone]
    p50: NDArray[np.float64]
    p90: NDArray[np.float64]
    estimated_zones: list[str]


def day_slots(site: Site, day: date) -> list[datetime]:
    start = datetime.combine(day, time(0), tzinfo=site.tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=site.tz).astimezone(start.tzinfo)
    count = int((end - start) / SLOT)
    return [start + i * SLOT for i in range(count)]


def demo_baseline(site: Site, day: date, zone_ids: tuple[str, ...], temperature_c: float | None) -> Baseline:
    sim = DaySimulator(site, temperature_c=temperature_c)
    slots = day_slots(site, day)
    p50 = np.array([[sim.truth(z, ts) for z in zone_ids] for ts in slots])
    return Baseline(
        source=f"demo profiles at {sim.temperature_c:.0f} °C",
        slots=slots, zone_ids=zone_ids,
        p10=p50 * DEMO_BAND[0], p50=p50, p90=p50 * DEMO_BAND[1], estimated_zones=[],
    )


def forecast_baseline(site: Site, store: Store, day: date, model: FlowModel) -> Baseline:
    """The newest stored forecast over the day; raises BaselineUnavailable if it does not cover it."""
    issued_at, rows = store.latest_forecast(site.id)
    slots = day_slots(site, day)
    if issued_at is None or rows.empty:
        raise BaselineUnavailable("no stored forecast for this site")
    ts = pd.to_datetime(rows["ts"], utc=True)
    rows = rows.assign(ts=ts)
    index = pd.DatetimeIndex(slots)
    rows = rows[(ts >= index[0]) & (ts <= index[-1])]
    zone_ids = model.network.zone_ids
    grids = {}
    for q in ("p10", "p50", "p90"):
        table = rows.pivot_table(index="ts", columns="zone_id", values=q, aggfunc="mean")
        table = table.reindex(index=index, columns=list(zone_ids))
        grids[q] = table.interpolate(limit_direction="both", limit=2).to_numpy(dtype=float)
    covered = np.isfinite(grids["p50"]).any(axis=1).mean() if len(index) else 0.0
    if covered < MIN_FORECAST_COVERAGE:
        raise BaselineUnavailable(
            f"the forecast issued {issued_at.isoformat()} covers {covered:.0%} of {day.isoformat()}"
        )
    p50, estimated = estimate_unsensed(model, grids["p50"])
    ratio_lo = np.where(np.isfinite(grids["p10"]), grids["p10"], p50 * DEMO_BAND[0])
    ratio_hi = np.where(np.isfinite(grids["p90"]), grids["p90"], p50 * DEMO_BAND[1])
    return Baseline(
        source=f"forecast issued {issued_at.isoformat()}",
        slots=slots, zone_ids=zone_ids,
        p10=np.nan_to_num(ratio_lo), p50=np.nan_to_num(p50), p90=np.nan_to_num(ratio_hi),
        estimated_zones=estimated,
    )
