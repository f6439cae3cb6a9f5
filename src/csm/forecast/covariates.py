"""What is known ahead of a forecast, as plain frames: the forecaster's covariate seam.

The pure forecast package takes covariates as a typed bundle of DataFrames (UTC timestamps), so
whatever layer gathers them (sources, the store, a scenario) only has to fill these frames:

- weather: site-wide, `timestamp` + any of temperature_c, precipitation_mm, wind_ms, sunshine_pct
  (observed behind the origin, the forecast ahead);
- events: `timestamp` (each hour the event runs), `expected_visitors`, optional `zone` and
  `distance_m` (how far the event is from the zone; without a zone an event counts for every
  zone at `distance_m`, default 0);
- pt_disruptions: `timestamp`, `severity` (0..1, the share of public-transport service lost),
  optional `zone` (without one: every zone);
- parking: `timestamp`, `occupancy` (0..1), optional `zone` — a leading indicator: only its
  value at the origin and its change over the last hour are used, never a future value.

Each becomes per zone and grid step: events as visitors weighted by exp(−distance / 500 m) and
divided by the zone's scale (the model works in zone-relative units), disruptions and parking as
given. Zones a frame does not name get the site-wide rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EVENT_DISTANCE_DECAY_M = 500.0


@dataclass(frozen=True)
class KnownAhead:
    weather: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    pt_disruptions: pd.DataFrame | None = None
    parking: pd.DataFrame | None = None

    def without(self, name: str) -> KnownAhead:
        """The same bundle without one covariate (for ablations)."""
        return KnownAhead(**{field: (None if field == name else getattr(self, field))
                             for field in ("weather", "events", "pt_disruptions", "parking")})

    def names(self) -> list[str]:
        return [n for n in ("weather", "events", "pt_disruptions", "parking")
                if (frame := getattr(self, n)) is not None and len(frame)]


def _per_zone(frame: pd.DataFrame, value: pd.Series, index: pd.DatetimeIndex, zones: list[str],
              freq: str, how: str) -> np.ndarray:
    """(time × zone) array of `value` summed (`how="sum"`) or averaged per grid step and zone."""
    stamps = pd.to_datetime(frame["timestamp"], utc=True).dt.floor(freq)
    zone_of = frame["zone"].fillna("*").astype(str) if "zone" in frame.columns else pd.Series("*", index=frame.index)
    data = pd.DataFrame({"timestamp": stamps, "zone": zone_of, "value": value.to_numpy()})
    wide = data.pivot_table(index="timestamp", columns="zone", values="value", aggfunc=how).reindex(index)
    out = np.zeros((len(index), len(zones)))
    site_wide = wide["*"].to_numpy() if "*" in wide.columns else None
    for z, zone in enumerate(zones):
        column = wide[zone].to_numpy() if zone in wide.columns else None
        parts = [part for part in (column, site_wide) if part is not None]
        if not parts:
            continue
        stacked = np.vstack(parts)
        with np.errstate(all="ignore"):
            merged = np.nansum(stacked, axis=0) if how == "sum" else np.nanmax(stacked, axis=0)
        out[:, z] = np.nan_to_num(merged, nan=0.0) if how == "sum" else merged
    return out


def zone_covariates(known: KnownAhead | None, index: pd.DatetimeIndex, zones: list[str], freq: str,
                    scale: np.ndarray) -> dict[str, np.ndarray]:
    """The per-zone covariate arrays (time × zone) the features read; empty without any."""
    if known is None:
        return {}
    arrays: dict[str, np.ndarray] = {}
    if known.events is not None and len(known.events):
        events = known.events
        distance = events["distance_m"] if "distance_m" in events.columns else pd.Series(0.0, index=events.index)
        weighted = events["expected_visitors"].astype(float) * np.exp(-distance.astype(float) / EVENT_DISTANCE_DECAY_M)
        arrays["event_visitors"] = _per_zone(events, weighted, index, zones, freq, "sum") / scale[None, :]
    if known.pt_disruptions is not None and len(known.pt_disruptions):
        frame = known.pt_disruptions
        arrays["pt_disruption"] = np.nan_to_num(
            _per_zone(frame, frame["severity"].astype(float), index, zones, freq, "max"), nan=0.0)
    if known.parking is not None and len(known.parking):
        frame = known.parking
        occupancy = _per_zone(frame, frame["occupancy"].astype(float), index, zones, freq, "mean")
        arrays["parking_occupancy"] = pd.DataFrame(occupancy).ffill(limit=4).to_numpy()
    return arrays
