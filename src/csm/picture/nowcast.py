"""Pure nowcast: from the newest sensor values to a ZoneState per zone.

Occupancy per source kind:
- area counter: the persons it sees, divided by the share of the zone in view (`coverage`);
- line counter: the balance entering − leaving since the daily reset, each crossing weighted by
  (1 − leak)^(hours ago) so that missed exits do not accumulate (drift correction), clamped at 0;
  a counter on a border between two zones adds to one and subtracts from the other;
- visitor estimate: the estimate × `scale` (panel share to all visitors).
Fresh estimates are fused by weighted mean (defaults below, overridable per sensor). When no source
is fresh the zone keeps its last estimate but is marked stale; with no data at all its level is
`unknown`, never green.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from csm.domain.levels import level_for_density, zone_density_per_m2
from csm.domain.model import Level, SensorKind, SourceFreshness, ZoneState
from csm.site.model import Site, Zone
from csm.site.schema import SensorSchema
from csm.store.base import LatestValue, LineBalance

DEFAULT_WEIGHTS = {
    SensorKind.AREA_COUNTER: 1.0,
    SensorKind.LINE_COUNTER: 0.8,
    SensorKind.VISITOR_ESTIMATE: 0.5,
}


def last_reset(as_of: datetime, reset_local: time, site: Site) -> datetime:
    """The newest daily reset moment (site local time, DST-aware) at or before `as_of`."""
    local = as_of.astimezone(site.tz)
    candidate = datetime.combine(local.date(), reset_local, tzinfo=site.tz)
    if candidate > local:
        candidate = datetime.combine(local.date() - timedelta(days=1), reset_local, tzinfo=site.tz)
    return candidate


def sensor_freshness(
    sensor: SensorSchema, last_end: datetime | None, as_of: datetime, stale_after_intervals: float
) -> SourceFreshness:
    if last_end is None:
        return SourceFreshness(sensor.id, None, None, True)
    age = (as_of - last_end).total_seconds()
    return SourceFreshness(
        sensor.id, last_end, age, age > stale_after_intervals * sensor.interval_seconds
    )


def _weight(sensor: SensorSchema) -> float:
    return sensor.weight if sensor.weight is not None else DEFAULT_WEIGHTS[sensor.kind]


def compute_zone_states(
    site: Site,
    as_of: datetime,
    latest: Iterable[LatestValue],
    balances: Iterable[LineBalance],
) -> list[ZoneState]:
    """The picture at `as_of`; inputs come from Store.latest_values and Store.line_balances."""
    latest_by_sensor, balance_by_sensor = group_inputs(latest, balances)
    return zone_states(site, as_of, latest_by_sensor, balance_by_sensor)


def group_inputs(
    latest: Iterable[LatestValue], balances: Iterable[LineBalance]
) -> tuple[dict[str, dict[str, LatestValue]], dict[str, LineBalance]]:
    """Store rows by sensor: newest value per metric, and the line balance."""
    latest_by_sensor: dict[str, dict[str, LatestValue]] = defaultdict(dict)
    for value in latest:
        latest_by_sensor[value.sensor_id][value.metric] = value
    return dict(latest_by_sensor), {b.sensor_id: b for b in balances}


def zone_states(
    site: Site,
    as_of: datetime,
    latest_by_sensor: dict[str, dict[str, LatestValue]],
    balance_by_sensor: dict[str, LineBalance],
    zone_ids: Iterable[str] | None = None,
) -> list[ZoneState]:
    """States of `zone_ids` (default: every zone, in site order) from inputs grouped by sensor."""
    stale_after = site.defaults.stale_after_intervals
    zones = site.zones.values() if zone_ids is None else [site.zones[z] for z in zone_ids]
    sensors = site.sensors.values() if zone_ids is None else {
        s.id: s for zone in zones for s in site.sensors_of_zone(zone.id)}.values()
    freshness: dict[str, SourceFreshness] = {}
    for sensor in sensors:
        values = latest_by_sensor.get(sensor.id)
        ends = [v.interval_start + timedelta(seconds=v.interval_seconds) for v in values.values()] if values else []
        freshness[sensor.id] = sensor_freshness(sensor, max(ends) if ends else None, as_of, stale_after)
    return [_zone_state(zone, site, as_of, latest_by_sensor, balance_by_sensor, freshness) for zone in zones]


def _zone_state(
    zone: Zone,
    site: Site,
    as_of: datetime,
    latest_by_sensor: dict[str, dict[str, LatestValue]],
    balance_by_sensor: dict[str, LineBalance],
    freshness: dict[str, SourceFreshness],
) -> ZoneState:
    sensors = site.sensors_of_zone(zone.id)
    estimates: list[tuple[float, float, bool]] = []  # (occupancy, weight, fresh)

    line_total, line_fresh, line_weight, has_line = 0.0, True, 0.0, False
    for sensor in sensors:
        fresh = not freshness[sensor.id].stale
        if sensor.kind is SensorKind.AREA_COUNTER:
            value = latest_by_sensor.get(sensor.id, {}).get("occupancy")
            if value is not None:
                estimates.append((value.value / sensor.coverage, _weight(sensor), fresh))
        elif sensor.kind is SensorKind.VISITOR_ESTIMATE:
            value = latest_by_sensor.get(sensor.id, {}).get("visitors")
            if value is not None:
                estimates.append((value.value * sensor.scale, _weight(sensor), fresh))
        elif sensor.kind is SensorKind.LINE_COUNTER:
            balance = balance_by_sensor.get(sensor.id)
            has_line = has_line or balance is not None
            line_fresh = line_fresh and fresh
            line_weight = max(line_weight, _weight(sensor))
            if balance is None:
                continue
            entering, leaving = (
                (balance.inflow, balance.outflow) if sensor.direction == "in"
                else (balance.outflow, balance.inflow)
            )
            sign = 1.0 if sensor.zone == zone.id else -1.0
            line_total += sign * (entering - leaving)
    if has_line:
        estimates.append((max(0.0, line_total), line_weight, line_fresh))

    fresh_estimates = [(o, w) for o, w, f in estimates if f]
    chosen = fresh_estimates or [(o, w) for o, w, _ in estimates]
    occupancy = (
        sum(o * w for o, w in chosen) / sum(w for _, w in chosen) if chosen else None
    )
    density = zone_density_per_m2(occupancy, zone.walkable_area_m2)
    level = level_for_density(density, zone.thresholds, occupancy, zone.capacity)
    sources = tuple(freshness[s.id] for s in sensors)
    ends = [s.last_interval_end for s in sources if s.last_interval_end is not None]
    return ZoneState(
        zone_id=zone.id,
        name=zone.name,
        occupancy=occupancy,
        density_per_m2=density,
        level=level if occupancy is not None else Level.UNKNOWN,
        capacity=zone.capacity,
        walkable_area_m2=zone.walkable_area_m2,
        stale=not fresh_estimates,
        as_of=as_of,
        last_data_at=max(ends) if ends else None,
        sources=sources,
    )
