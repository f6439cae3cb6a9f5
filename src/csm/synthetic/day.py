"""A deterministic model of a day's crowds at a site, and the readings its sensors would report.

Truth per zone = peak density × walkable area × daily profile(hour) × day factor × slow noise.
The day factor rises with temperature (a 30 °C beach day = 1) and is lower on weekdays. Sensors
see the truth the way real ones do: cameras count the share of the zone in view with a few per cent
error, visitor estimates are coarser, and line counters see crossings (arrivals, departures and
turnover), so their balance drifts like a real one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from csm.domain.model import SensorKind
from csm.site.model import Site
from csm.site.schema import SensorSchema


def _bump(hour: Any, centre: float, width: float) -> Any:
    """A bell around `centre` o'clock; takes an hour or an array of hours."""
    return np.exp(-(((hour - centre) / width) ** 2))


PROFILES: dict[str, Any] = {
    "beach": lambda h: _bump(h, 15.0, 3.0),
    "boulevard": lambda h: 0.8 * _bump(h, 15.5, 3.2) + 0.45 * _bump(h, 20.5, 1.8),
    "evening": lambda h: 0.55 * _bump(h, 14.0, 3.0) + _bump(h, 20.5, 2.0),
    "transit": lambda h: 0.8 * _bump(h, 12.0, 1.5) + _bump(h, 18.0, 1.6),
}
_PROFILE_MAX = {
    name: max(fn(h / 10) for h in range(0, 240)) for name, fn in PROFILES.items()
}
TURNOVER_PER_MINUTE = 1 / 45  # line counters: persons on the pier stay ~45 min


@dataclass(frozen=True, slots=True)
class ZonePeak:
    density: float
    profile: str


def day_factor(temperature_c: Any, weekend: Any) -> Any:
    """Warm weekend days fill the coast (a 30 °C Saturday = 1); cool weekdays bring a fraction.
    Takes a date or a weekend flag, numbers or arrays."""
    if isinstance(weekend, date):
        weekend = weekend.weekday() >= 5
    warmth = np.clip((np.asarray(temperature_c, dtype=float) - 12.0) / 18.0, 0.15, 1.1)
    return warmth * np.where(weekend, 1.0, 0.65)


def daily_temperature(day: date, seed: int = 7) -> float:
    """A plausible summer temperature for a past day (for seeding history), deterministic."""
    rng = np.random.default_rng(seed * 100_003 + day.toordinal())
    return float(np.clip(rng.normal(23.0, 4.5), 14.0, 32.0))


class DaySimulator:
    def __init__(self, site: Site, temperature_c: float | None = None, seed: int = 7) -> None:
        demo = site.config.demo
        self.site = site
        self.tz: ZoneInfo = site.tz
        self.temperature_c = float(temperature_c if temperature_c is not None
                                   else demo.temperature_c if demo.temperature_c is not None else 25)
        self.peaks = {
            zone_id: ZonePeak(p.density, p.profile) for zone_id, p in demo.peaks.items() if zone_id in site.zones
        }
        for zone_id in site.zones:
            self.peaks.setdefault(zone_id, ZonePeak(0.3, "boulevard"))
        rng = np.random.default_rng(seed)
        self._phases = {z: rng.uniform(0, 2 * math.pi, 3) for z in site.zones}
        self._sensor_phase = {s: float(rng.uniform(0, 2 * math.pi)) for s in site.sensors}
        self._line_cache: dict[tuple[str, date], tuple[np.ndarray, np.ndarray]] = {}
        self.surges: dict[str, float] = {}  # zone → extra multiplier (training injects these)

    def truth(self, zone_id: str, moment: datetime, temperature_c: float | None = None) -> float:
        """True number of persons in a zone at a moment."""
        local = moment.astimezone(self.tz)
        hour = local.hour + local.minute / 60 + local.second / 3600
        temp = self.temperature_c if temperature_c is None else temperature_c
        return float(self._truth(zone_id, hour, local.weekday() >= 5, moment.timestamp() / 60, temp))

    def truths(self, zone_id: str, moments: pd.DatetimeIndex, temperatures_c: np.ndarray) -> np.ndarray:
        """True persons in a zone at many moments at once (seeding weeks of history)."""
        local = moments.tz_convert(self.tz)
        hour = (local.hour + local.minute / 60 + local.second / 3600).to_numpy(dtype=float)
        weekend = local.dayofweek.to_numpy() >= 5
        return np.asarray(self._truth(zone_id, hour, weekend, moments.asi8 / 60e9, np.asarray(temperatures_c)))

    def _truth(self, zone_id: str, hour: Any, weekend: Any, minutes: Any, temperature_c: Any) -> Any:
        """The model itself, on numbers or on arrays alike."""
        peak = self.peaks[zone_id]
        shape = PROFILES[peak.profile](hour) / _PROFILE_MAX[peak.profile]
        day = day_factor(temperature_c, weekend)
        a, b, c = self._phases[zone_id]
        noise = 1 + 0.05 * np.sin(minutes / 47 * 2 * math.pi + a) + 0.03 * np.sin(
            minutes / 13 * 2 * math.pi + b) + 0.02 * np.sin(minutes / 151 * 2 * math.pi + c)
        zone = self.site.zones[zone_id]
        base = peak.density * zone.walkable_area_m2 * shape * day * noise
        return np.maximum(0.0, base * self.surges.get(zone_id, 1.0))

    def _sensor_noise(self, sensor: SensorSchema, moment: datetime, amplitude: float) -> float:
        minutes = moment.timestamp() / 60
        return 1 + amplitude * math.sin(minutes / 7.3 + self._sensor_phase[sensor.id])

    def _line_flows(self, sensor: SensorSchema, day: date) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative entering/leaving persons per minute of the local day, for a line counter."""
        key = (sensor.id, day)
        if key not in self._line_cache:
            start = datetime.combine(day, time(0, 0), tzinfo=self.tz)
            occ = np.array([self.truth(sensor.zone, start + timedelta(minutes=m)) for m in range(1441)])
            delta = np.diff(occ)
            turnover = occ[:-1] * TURNOVER_PER_MINUTE
            entering = np.concatenate([[0.0], np.cumsum(np.maximum(delta, 0) + turnover)])
            leaving = np.concatenate([[0.0], np.cumsum(np.maximum(-delta, 0) + turnover)])
            self._line_cache[key] = (entering, leaving)
        return self._line_cache[key]

    def reading(self, sensor: SensorSchema, start: datetime) -> dict[str, float]:
        """What a sensor reports for the interval starting at `start` (UTC)."""
        end = start + timedelta(seconds=sensor.interval_seconds)
        if sensor.kind is SensorKind.AREA_COUNTER:
            seen = self.truth(sensor.zone, end) * sensor.coverage * self._sensor_noise(sensor, end, 0.03)
            return {"occupancy": float(round(seen))}
        if sensor.kind is SensorKind.VISITOR_ESTIMATE:
            mid = start + (end - start) / 2
            est = self.truth(sensor.zone, mid) / sensor.scale * self._sensor_noise(sensor, mid, 0.08)
            return {"visitors": float(round(est))}
        local_start, local_end = start.astimezone(self.tz), end.astimezone(self.tz)
        entering, leaving = self._line_flows(sensor, local_start.date())
        m0 = local_start.hour * 60 + local_start.minute
        m1 = m0 + (local_end - local_start).seconds // 60
        m1 = min(m1, 1440)
        n_in = math.floor(entering[m1]) - math.floor(entering[m0])
        n_out = math.floor(leaving[m1]) - math.floor(leaving[m0])
        if sensor.direction == "out":
            n_in, n_out = n_out, n_in
        return {"in": float(n_in), "out": float(n_out)}

    def items_between(self, after: datetime, until: datetime) -> list[dict[str, Any]]:
        """Input items for every sensor interval that ended in (after, until]."""
        items: list[dict[str, Any]] = []
        for sensor in self.site.sensors.values():
            step = sensor.interval_seconds
            first_end = (int(after.timestamp()) // step + 1) * step
            end = first_end
            while end <= until.timestamp():
                start = datetime.fromtimestamp(end - step, tz=after.tzinfo)
                items.append(
                    {
                        "sensor_id": sensor.id,
                        "interval_start": start.isoformat(),
                        "interval_seconds": step,
                        "counts": self.reading(sensor, start),
                    }
                )
                end += step
        return items
