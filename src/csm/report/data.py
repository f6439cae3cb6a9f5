"""What happened on one day, read back from the store: the facts the report renders.

Everything comes from what CSM logged while it ran — the 5-minute zone history, the append-only
alert log, the observations — so a report of a past day needs no live system, and two reports of
the same day are the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from csm.advice.lifecycle import PREDICTED_CROSSING, STREAM, Ledger, apply_event
from csm.domain.model import ORDERED_LEVELS, Level
from csm.domain.timestamps import day_bounds
from csm.site.model import Site
from csm.store.base import Store

HISTORY_STEP = timedelta(minutes=5)  # the picture writes one snapshot per zone per 5 minutes


@dataclass(frozen=True, slots=True)
class ZoneDay:
    """One zone's day: minutes spent at each level and its busiest moment."""

    zone_id: str
    name: str
    minutes_at: dict[str, float]
    peak_density: float | None
    peak_at: datetime | None
    highest_level: str
    stale_share: float  # of the day's snapshots, those taken on stale data


@dataclass(frozen=True, slots=True)
class MeasureTaken:
    measure: str | None
    by: str | None
    at: datetime
    note: str | None
    lead: timedelta | None  # how long before the zone reached the alert's level; None if it never did


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """One alert of the day and how it played out against what the zone really did."""

    alert_id: str
    zone_id: str
    zone_name: str
    level: str
    kind: str
    raised_at: datetime
    expected_at: datetime | None  # predicted crossings: when the forecast expected the level
    probability: float | None
    reached_at: datetime | None  # first snapshot at or above the level, from the alert on
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    measures: tuple[MeasureTaken, ...]

    @property
    def predicted(self) -> bool:
        return self.kind == PREDICTED_CROSSING

    @property
    def lead_time(self) -> timedelta | None:
        """Warning given ahead of the real crossing (predicted crossings that happened)."""
        if not self.predicted or self.reached_at is None:
            return None
        return self.reached_at - self.raised_at

    @property
    def timing_error(self) -> timedelta | None:
        """Real minus predicted crossing time: positive when the crowd came later than forecast."""
        if self.expected_at is None or self.reached_at is None:
            return None
        return self.reached_at - self.expected_at

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return None if self.acknowledged_at is None else self.acknowledged_at - self.raised_at


@dataclass(frozen=True, slots=True)
class SensorAvailability:
    sensor_id: str
    kind: str
    zone_id: str
    expected_intervals: int
    received_intervals: int

    @property
    def share(self) -> float:
        if self.expected_intervals == 0:
            return 0.0
        return min(1.0, self.received_intervals / self.expected_intervals)


@dataclass(frozen=True)
class DayReport:
    site_id: str
    site_name: str
    day: date
    timezone: str
    start: datetime  # local midnight, as UTC
    end: datetime
    generated_at: datetime
    zones: list[ZoneDay]
    alerts: list[AlertOutcome]
    availability: list[SensorAvailability]
    history: pd.DataFrame = field(repr=False)  # zone_id, ts, density, level, stale (for charts)
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return not self.history.empty

    def availability_by_kind(self) -> dict[str, float]:
        """Share of expected intervals received, per kind of sensor."""
        totals: dict[str, list[int]] = {}
        for a in self.availability:
            expected, received = totals.setdefault(a.kind, [0, 0])
            totals[a.kind] = [expected + a.expected_intervals, received + min(a.received_intervals,
                                                                                a.expected_intervals)]
        return {kind: (received / expected if expected else 0.0) for kind, (expected, received) in totals.items()}

    def predicted_crossings(self) -> list[AlertOutcome]:
        return [a for a in self.alerts if a.predicted]


def build_day_report(store: Store, site: Site, day: date, now: datetime | None = None) -> DayReport:
    """Gather the day's facts of one site from the store."""
    start, end = day_bounds(day, site.tz)
    history = store.zone_history(site.id, start, end - timedelta(microseconds=1))
    history = _normalise_history(history)
    alerts = _alerts_of_day(store, site, start, end, history)
    return DayReport(
        site_id=site.id,
        site_name=site.name,
        day=day,
        timezone=site.config.timezone,
        start=start,
        end=end,
        generated_at=(now or datetime.now(UTC)).astimezone(UTC),
        zones=_zone_days(site, history),
        alerts=alerts,
        availability=_availability(store, site, start, min(end, (now or end).astimezone(UTC))),
        history=history,
        thresholds={z.id: {"yellow": z.thresholds.yellow, "orange": z.thresholds.orange,
                           "red": z.thresholds.red} for z in site.zones.values()},
    )


def _normalise_history(history: pd.DataFrame) -> pd.DataFrame:
    if history.empty:
        return pd.DataFrame({"zone_id": pd.Series(dtype=str), "ts": pd.Series(dtype="datetime64[ns, UTC]"),
                             "density": pd.Series(dtype=float), "level": pd.Series(dtype=str),
                             "stale": pd.Series(dtype=bool)})
    frame = history.copy()
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame.sort_values(["zone_id", "ts"]).reset_index(drop=True)


def _zone_days(site: Site, history: pd.DataFrame) -> list[ZoneDay]:
    step_minutes = HISTORY_STEP.total_seconds() / 60
    days = []
    for zone in site.zones.values():
        rows = history[history["zone_id"] == zone.id]
        minutes = {level.value: 0.0 for level in ORDERED_LEVELS}
        for level, count in rows["level"].value_counts().items():
            minutes[str(level)] = minutes.get(str(level), 0.0) + float(count) * step_minutes
        densities = rows["density"].dropna()
        peak_index = densities.idxmax() if not densities.empty else None
        seen = [Level(v) for v in rows["level"].unique() if v in Level._value2member_map_]
        highest = max(seen, key=lambda level: level.rank).value if seen else Level.UNKNOWN.value
        days.append(ZoneDay(
            zone_id=zone.id,
            name=zone.name,
            minutes_at=minutes,
            peak_density=float(densities.max()) if not densities.empty else None,
            peak_at=rows.loc[peak_index, "ts"].to_pydatetime() if peak_index is not None else None,
            highest_level=highest,
            stale_share=float(rows["stale"].astype(bool).mean()) if len(rows) else 1.0,
        ))
    days.sort(key=lambda d: (-Level(d.highest_level).rank, -(d.peak_density or 0.0), d.zone_id))
    return days


def first_reached(history: pd.DataFrame, zone_id: str, level: str, after: datetime) -> datetime | None:
    """The first snapshot of a zone at or above `level`, at or after `after`."""
    wanted = Level(level).rank
    rows = history[(history["zone_id"] == zone_id) & (history["ts"] >= pd.Timestamp(after))]
    for ts, value in zip(rows["ts"], rows["level"], strict=True):
        if value in Level._value2member_map_ and Level(value).rank >= wanted:
            return pd.Timestamp(ts).to_pydatetime()
    return None


def _alerts_of_day(
    store: Store, site: Site, start: datetime, end: datetime, history: pd.DataFrame
) -> list[AlertOutcome]:
    ledger = Ledger()
    after = 0
    while True:
        events = store.read_events(site.id, STREAM, after_id=after, limit=1000)
        for event in events:
            apply_event(ledger, event)
        if len(events) < 1000:
            break
        after = events[-1].id
    outcomes = []
    for alert in ledger.alerts.values():
        raised_at = alert.raised_at.astimezone(UTC)
        if not (start <= raised_at < end):
            continue
        # A live crossing alert is raised when the zone already is at that level.
        reached = first_reached(history, alert.zone_id, alert.level, raised_at)
        measures = tuple(
            MeasureTaken(measure=m.measure, by=m.by, at=m.at, note=m.note,
                         lead=(reached - m.at) if reached is not None else None)
            for m in alert.measures_taken
        )
        zone = site.zones.get(alert.zone_id)
        outcomes.append(AlertOutcome(
            alert_id=alert.id,
            zone_id=alert.zone_id,
            zone_name=zone.name if zone else alert.zone_id,
            level=alert.level,
            kind=alert.kind,
            raised_at=raised_at,
            expected_at=alert.expected_at,
            probability=alert.probability,
            reached_at=reached,
            acknowledged_at=alert.acknowledged_at,
            acknowledged_by=alert.acknowledged_by,
            resolved_at=alert.resolved_at,
            resolved_by=alert.resolved_by,
            measures=measures,
        ))
    outcomes.sort(key=lambda a: (a.raised_at, a.zone_id))
    return outcomes


def _availability(store: Store, site: Site, start: datetime, end: datetime) -> list[SensorAvailability]:
    """Per sensor: intervals received against those its reporting interval promises for the day."""
    frame = store.observations_frame(site.id, start, end)
    received: dict[str, int] = {}
    if not frame.empty:
        per_sensor = frame.drop_duplicates(["sensor_id", "interval_start"]).groupby("sensor_id").size()
        received = {str(k): int(v) for k, v in per_sensor.items()}
    span = max(0.0, (end - start).total_seconds())
    return [
        SensorAvailability(
            sensor_id=sensor.id,
            kind=sensor.kind.value,
            zone_id=sensor.zone,
            expected_intervals=int(span // sensor.interval_seconds),
            received_intervals=received.get(sensor.id, 0),
        )
        for sensor in site.sensors.values()
    ]

