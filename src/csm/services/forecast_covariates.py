"""What is known ahead of a site's forecast, gathered from the store by covariate kind.

The forecaster takes covariates as one typed bundle (`csm.forecast.covariates.KnownAhead`); this
module fills it from what the sources stored, reading each series by its kind through the
covariate seam (`csm.domain.covariates`), never by connector:

- weather: the station's observations behind, the hourly weather forecast ahead (observed wins);
- events: "event:<zone>" expected_visitors per hour (the events source writes the calendar's
  future hours too, so they are known ahead); "event:*" counts for every zone;
- parking: "parking:<garage>" occupied / capacity, for the zones the garage serves (the
  GARAGE_ZONES extension point names them); only its value at the origin is used by the model;
- public-transport disruptions: "transit:disruptions" active_disruptions, site-wide, as a
  severity n / (n + 1) in 0..1 (the trees only see the order, so any monotone map serves). A
  disruption is known at the origin, not its end: the last value is carried PT_CARRY ahead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from csm.context import SiteRuntime
from csm.domain.covariates import CovariateKind, covariate_sensor_id, site_weather_ids
from csm.extensions import GARAGE_ZONES, resolve
from csm.forecast.covariates import KnownAhead

# Weather covariates the model sees, by the metric names the sources store (docs/sources.md); the
# station's rain rate in mm/h is the hour's amount in mm.
WEATHER_METRICS = {"temperature_c": "temperature_c", "wind_ms": "wind_ms",
                   "precipitation_mm": "precipitation_mm", "precipitation_mm_h": "precipitation_mm"}
EVENT_METRIC = "expected_visitors"
DISRUPTION_KEY, DISRUPTION_METRIC = "disruptions", "active_disruptions"
PT_CARRY = timedelta(hours=2)


def _observations(site_runtime: SiteRuntime, start: datetime, end: datetime, sensors: list[str]) -> pd.DataFrame:
    raw = site_runtime.picture.store.observations_frame(site_runtime.site.id, start, end, sensors)
    if raw.empty:
        return raw
    return raw.assign(timestamp=pd.to_datetime(raw["interval_start"], utc=True))


def weather_frame(site_runtime: SiteRuntime, start: datetime, end: datetime) -> pd.DataFrame | None:
    """Hourly site weather from the weather sources: observed where known, else forecast."""
    observed_id, forecast_id = site_weather_ids(site_runtime.site.id)
    raw = _observations(site_runtime, start, end, [observed_id, forecast_id])
    if raw.empty:
        return None
    raw = raw[raw["metric"].isin(list(WEATHER_METRICS)) & (raw["interval_seconds"] <= 3600)]
    if raw.empty:
        return None
    raw = raw.assign(timestamp=raw["timestamp"].dt.floor("1h"), metric=raw["metric"].map(WEATHER_METRICS))

    def hourly(sensor_id: str) -> pd.DataFrame:
        rows = raw[raw["sensor_id"] == sensor_id]
        return rows.pivot_table(index="timestamp", columns="metric", values="value", aggfunc="mean")

    combined = hourly(observed_id).combine_first(hourly(forecast_id))
    return combined.reset_index() if len(combined) else None


def events_frame(site_runtime: SiteRuntime, start: datetime, end: datetime) -> pd.DataFrame | None:
    """timestamp, zone (None = every zone), expected_visitors, distance_m (0: in the zone)."""
    keys: dict[str, str | None] = {covariate_sensor_id(CovariateKind.EVENT, zone): zone
                                   for zone in site_runtime.site.zones}
    keys[covariate_sensor_id(CovariateKind.EVENT, "*")] = None
    raw = _observations(site_runtime, start, end, list(keys))
    if raw.empty:
        return None
    raw = raw[raw["metric"] == EVENT_METRIC]
    if raw.empty:
        return None
    return pd.DataFrame({"timestamp": raw["timestamp"].to_numpy(), "zone": raw["sensor_id"].map(keys).to_numpy(),
                         "expected_visitors": raw["value"].astype(float).to_numpy(), "distance_m": 0.0})


def parking_frame(site_runtime: SiteRuntime, start: datetime, end: datetime) -> pd.DataFrame | None:
    """timestamp, zone (None = every zone), occupancy 0..1 of the garages serving the zone."""
    site = site_runtime.site
    garages: dict[str, list[str]] = {}
    for entry in GARAGE_ZONES:
        garages.update(resolve(entry)(site))
    if not garages:
        return None
    sensors = {covariate_sensor_id(CovariateKind.PARKING, garage): garage for garage in garages}
    raw = _observations(site_runtime, start, end, list(sensors))
    if raw.empty:
        return None
    wide = raw[raw["metric"].isin(["occupied", "capacity"])].pivot_table(
        index=["sensor_id", "timestamp"], columns="metric", values="value", aggfunc="mean")
    if not {"occupied", "capacity"} <= set(wide.columns):
        return None
    occupancy = (wide["occupied"] / wide["capacity"].where(wide["capacity"] > 0)).clip(0, 1).dropna()
    rows = []
    for (sensor, stamp), value in occupancy.items():
        served: list[str | None] = [z for z in garages[sensors[str(sensor)]] if z in site.zones]
        zones = served or [None]
        rows += [(stamp, zone, float(value)) for zone in zones]
    if not rows:
        return None
    return pd.DataFrame(rows, columns=["timestamp", "zone", "occupancy"])


def disruptions_frame(site_runtime: SiteRuntime, start: datetime, now: datetime) -> pd.DataFrame | None:
    """timestamp, severity: site-wide public-transport disruption, carried PT_CARRY past `now`."""
    sensor = covariate_sensor_id(CovariateKind.TRANSIT, DISRUPTION_KEY)
    raw = _observations(site_runtime, start, now, [sensor])
    if raw.empty:
        return None
    raw = raw[raw["metric"] == DISRUPTION_METRIC]
    if raw.empty:
        return None
    count = raw.set_index("timestamp")["value"].astype(float).clip(lower=0).sort_index()
    last_stamp = count.index.max()
    ahead = pd.date_range(last_stamp, pd.Timestamp(now) + PT_CARRY, freq="15min", inclusive="right")
    count = pd.concat([count, pd.Series(count.iloc[-1], index=ahead)])
    return pd.DataFrame({"timestamp": count.index, "severity": (count / (count + 1)).to_numpy()})


def known_ahead(site_runtime: SiteRuntime, start: datetime, now: datetime, end: datetime) -> KnownAhead:
    """Everything the store knows for [start, end): history behind `now`, what is known ahead."""
    return KnownAhead(
        weather=weather_frame(site_runtime, start, end),
        events=events_frame(site_runtime, start, end),
        pt_disruptions=disruptions_frame(site_runtime, start, now),
        parking=parking_frame(site_runtime, start, now),
    )
