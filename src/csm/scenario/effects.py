"""What each change does to the day, as arrays the flow model takes.

- event: visitors who come to stay at the event zones, following its time profile;
- heat wave: a multiplier on the zones heat draws people to, from the demo model's day factor;
- tram outage / garage full: the entry closes in its window (its visitors use other entries)
  and a share of its visitors stays home;
- closed route: the link is removed from the network for the day (people walk around).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
from numpy.typing import NDArray

from csm.flow.demand import entry_use
from csm.flow.network import FlowNetwork, garage_entries
from csm.scenario.loader import zones_named
from csm.scenario.schema import (
    ClosedRouteChange,
    EventChange,
    GarageFullChange,
    HeatWaveChange,
    ScenarioSchema,
    TramOutageChange,
)
from csm.site.model import Site
from csm.synthetic.day import day_factor

DEFAULT_TEMPERATURE_C = 25.0
STILL_WAITING_AT_CLOSED_STOP = 0.2  # of a stop's staying visitors: other lines, the uninformed


@dataclass
class Effects:
    multiplier: NDArray[np.float64]  # [slot, zone] on visitors who stay
    extra: NDArray[np.float64]  # [slot, zone] added visitors who stay (events)
    entry_weights: list[dict[tuple[str, str], float]]  # per slot
    closed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _minutes(t: time) -> float:
    return t.hour * 60 + t.minute + t.second / 60


def event_presence(change: EventChange, slot_minutes: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of the event's visitors present at each slot start (minutes after local midnight)."""
    if change.profile:
        points = sorted(change.profile, key=lambda p: p.at)
        xs = np.array([_minutes(p.at) for p in points])
        return np.asarray(np.interp(slot_minutes, xs, [p.share for p in points], left=0.0, right=0.0))
    start, end = _minutes(change.start), _minutes(change.end)
    if end < start:
        end += 24 * 60  # ends after midnight: the rest of it is the next day's
    up = np.clip((slot_minutes - (start - change.arrive_minutes)) / max(change.arrive_minutes, 1e-9), 0, 1)
    down = np.clip(((end + change.leave_minutes) - slot_minutes) / max(change.leave_minutes, 1e-9), 0, 1)
    return np.asarray(np.minimum(up, down))


def _window(start: time, end: time, slot_minutes: NDArray[np.float64]) -> NDArray[np.bool_]:
    return np.asarray((slot_minutes >= _minutes(start)) & (slot_minutes < _minutes(end)))


def base_temperature(site: Site, scenario: ScenarioSchema) -> float:
    if scenario.temperature_c is not None:
        return scenario.temperature_c
    configured = site.config.demo.temperature_c
    return float(configured if configured is not None else DEFAULT_TEMPERATURE_C)


def effects_of(scenario: ScenarioSchema, site: Site, network: FlowNetwork, day: date,
               slots: list[datetime]) -> Effects:
    count, zones = len(slots), len(network.zone_ids)
    minutes = np.array([
        (ts.astimezone(site.tz) - datetime.combine(day, time(0), tzinfo=site.tz)).total_seconds() / 60
        for ts in slots
    ])
    fx = Effects(np.ones((count, zones)), np.zeros((count, zones)), [{} for _ in range(count)])
    for change in scenario.changes:
        if isinstance(change, EventChange):
            presence = event_presence(change, minutes)
            shares = change.zones or {str(change.zone): 1.0}
            for zone_id, share in shares.items():
                fx.extra[:, network.index(zone_id)] += presence * share * change.visitors
            label = change.name or "event"
            fx.notes.append(f"{label}: {change.visitors:,} visitors at {', '.join(shares)}")
        elif isinstance(change, HeatWaveChange):
            base = change.baseline_temperature_c or base_temperature(site, scenario)
            factor = day_factor(change.temperature_c, day) / day_factor(base, day)
            hit = sorted(zones_named(change.zones, site))
            for zone_id in hit:
                fx.multiplier[:, network.index(zone_id)] *= factor
            fx.notes.append(f"heat wave {change.temperature_c:.0f} °C (baseline {base:.0f} °C):"
                            f" ×{factor:.2f} visitors on {len(hit)} zones")
        elif isinstance(change, TramOutageChange | GarageFullChange):
            if isinstance(change, TramOutageChange):
                closed = [("tram", stop) for stop in change.stops]
                label = f"tram line {change.line} out of service at {', '.join(change.stops)}"
            else:
                closed = [("garage", garage_entries(site)[change.garage])]
                label = f"garage {change.garage} full"
            window = _window(change.start, change.end, minutes)
            via = np.sum([entry_use(network, mode, zone) for mode, zone in closed], axis=0)
            for slot in np.flatnonzero(window):
                fx.entry_weights[slot].update({key: 0.0 for key in closed})
                fx.multiplier[slot] *= 1.0 - change.stay_home_share * via
                if isinstance(change, TramOutageChange):  # nobody waits for a tram that does not come
                    for stop in change.stops:
                        fx.multiplier[slot, network.index(stop)] *= STILL_WAITING_AT_CLOSED_STOP
            fx.notes.append(f"{label} {change.start:%H:%M}–{change.end:%H:%M};"
                            f" {change.stay_home_share:.0%} of its visitors stay home")
        elif isinstance(change, ClosedRouteChange):
            fx.closed.append(change.between)
            fx.notes.append(f"route {change.between[0]} ↔ {change.between[1]} closed"
                            + (f" ({change.reason})" if change.reason else ""))
    return fx
