"""GTFS-Realtime (protobuf, via gtfs-realtime-bindings). The feed type is recognised from its
entities: TripUpdates → expected arrivals and mean delay per stop per interval; VehiclePositions →
vehicles at or approaching each stop (by stop_id) or, for vehicles that only send a position,
vehicles within `radius_m` of each zone, with a passenger estimate from occupancy; Alerts →
service disruptions (see `transit_alerts`), for the API, the dashboard and advice.

→ sensor "transit:<stop_id>": arrivals (count), delay_s (mean seconds late, negative = early),
vehicles_approaching (count), passengers_est (persons); "transit:near-<zone>": the same for
vehicles known only by position; "transit:disruptions": active_disruptions (count).
Stops: those listed in `stops`, else the stops of the site's static GTFS (`static_gtfs`) within
`stop_radius_m` of a zone, else every stop of the feed (a national feed: tens of thousands).
Times are taken relative to the feed's own header timestamp, so a replayed feed parses the same.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2
from pydantic import Field

from csm.domain.model import Observation
from csm.site.model import Site
from csm.sources.gtfs import stops_near_site, transit_sensor
from csm.sources.nearby import zone_finder
from csm.sources.parsing import SourceReason, floor_to
from csm.sources.protocol import BaseSource, SourceError, SourceSettings, local_path
from csm.sources.transit_alerts import active_disruptions
from csm.sources.transit_occupancy import passenger_estimate

MAX_DELAY_S = 6 * 3600
MAX_POSIX_S = 10**11  # larger values are milliseconds: a unit error
StopTimeEvent = gtfs_realtime_pb2.TripUpdate.StopTimeEvent
StopTimeUpdate = gtfs_realtime_pb2.TripUpdate.StopTimeUpdate
VehicleStatus = gtfs_realtime_pb2.VehiclePosition


class GtfsRealtimeSettings(SourceSettings):
    stops: list[str] = Field(default_factory=list, description="stop_ids to report; empty = see static_gtfs")
    static_gtfs: str | None = Field(
        None, description="with stops empty: a local static GTFS (file: URL or path from the site folder, zip or "
                          "folder) whose stops within stop_radius_m of a zone are reported; neither = every stop")
    stop_radius_m: float = Field(250.0, gt=0, le=2000, description="static_gtfs: a stop this near a zone counts")
    interval_seconds: int = Field(900, ge=60, le=3600)
    horizon_minutes: int = Field(120, ge=5, le=24 * 60, description="arrivals this far past the feed time")
    radius_m: float = Field(500.0, gt=0, le=5000, description="vehicles without stop_id: this near a zone")
    routes: list[str] = Field(default_factory=list, description="alerts: route_ids that serve the site (any if empty)")
    vehicle_capacity: int = Field(150, ge=1, le=2000, description="passengers per vehicle when full (occupancy)")
    poll_seconds: float = Field(60.0, gt=0)


def feed_types(feed: Any) -> list[str]:
    """Which GTFS-Realtime entity kinds the feed carries, e.g. ["TripUpdates", "Alerts"]."""
    kinds = {"trip_update": "TripUpdates", "vehicle": "VehiclePositions", "alert": "Alerts"}
    found = {name for field, name in kinds.items() for entity in feed.entity if entity.HasField(field)}
    return [name for name in kinds.values() if name in found]


def decode_feed(raw: bytes) -> Any:
    feed = gtfs_realtime_pb2.FeedMessage()
    try:
        feed.ParseFromString(raw)
    except (DecodeError, RuntimeWarning, ValueError) as exc:
        raise SourceError(SourceReason.BAD_FORMAT, None, f"not a GTFS-Realtime FeedMessage: {exc}") from None
    if not feed.header.gtfs_realtime_version:
        raise SourceError(SourceReason.MISSING_FIELD, "header.gtfs_realtime_version",
                          "not a GTFS-Realtime feed: header.gtfs_realtime_version is empty")
    if not feed.header.timestamp:
        raise SourceError(SourceReason.MISSING_FIELD, "header.timestamp", "the feed has no header.timestamp")
    if feed.header.timestamp > MAX_POSIX_S:
        raise SourceError(SourceReason.IMPLAUSIBLE, "header.timestamp",
                          f"header.timestamp {feed.header.timestamp} looks like milliseconds, not POSIX seconds")
    return feed


def _event_time(update: Any, where: str) -> tuple[int, int | None] | None:
    for name in ("arrival", "departure"):
        if update.HasField(name):
            event = getattr(update, name)
            if not event.time:
                return None  # delay-only updates need the static schedule: not counted here
            if event.time > MAX_POSIX_S:
                raise SourceError(SourceReason.IMPLAUSIBLE, f"{where}.{name}.time",
                                  f"{event.time} looks like milliseconds, not POSIX seconds")
            delay = event.delay if event.HasField("delay") else None
            if delay is not None and abs(delay) > MAX_DELAY_S:
                raise SourceError(SourceReason.IMPLAUSIBLE, f"{where}.{name}.delay",
                                  f"delay {delay} s is over {MAX_DELAY_S} s (minutes or ms instead of s?)")
            return int(event.time), delay
    return None


Key = tuple[str, datetime]


class _Counts:
    """Per (sensor key, interval) tallies of one feed."""

    def __init__(self) -> None:
        self.arrivals: dict[Key, int] = defaultdict(int)
        self.delays: dict[Key, list[int]] = defaultdict(list)
        self.vehicles: dict[Key, int] = defaultdict(int)
        self.passengers: dict[Key, float] = defaultdict(float)


def _trip_updates(entity: Any, e: int, wanted: set[str], feed_time: int, settings: Any, counts: _Counts) -> None:
    step = settings.interval_seconds
    for u, update in enumerate(entity.trip_update.stop_time_update):
        if (wanted and update.stop_id not in wanted) or not update.stop_id:
            continue
        if update.schedule_relationship in (StopTimeUpdate.SKIPPED, StopTimeUpdate.NO_DATA):
            continue
        timed = _event_time(update, f"entity[{e}].trip_update.stop_time_update[{u}]")
        if timed is None or not -step <= timed[0] - feed_time <= settings.horizon_minutes * 60:
            continue
        key = (update.stop_id, floor_to(datetime.fromtimestamp(timed[0], UTC), step))
        counts.arrivals[key] += 1
        if timed[1] is not None:
            counts.delays[key].append(timed[1])


def _vehicle(entity: Any, wanted: set[str], feed_time: int, settings: Any, near: Any, counts: _Counts) -> None:
    vehicle = entity.vehicle
    moment = floor_to(datetime.fromtimestamp(vehicle.timestamp or feed_time, UTC), settings.interval_seconds)
    keys: list[str] = []
    if vehicle.stop_id:
        if (not wanted or vehicle.stop_id in wanted) and vehicle.current_status in (
            VehicleStatus.INCOMING_AT, VehicleStatus.STOPPED_AT
        ):
            keys = [vehicle.stop_id]
    elif vehicle.HasField("position") and (vehicle.position.latitude or vehicle.position.longitude):
        keys = [f"near-{zone}" for zone in near(vehicle.position.latitude, vehicle.position.longitude)]
    passengers = passenger_estimate(vehicle, settings.vehicle_capacity)
    for key in keys:
        counts.vehicles[(key, moment)] += 1
        if passengers is not None:
            counts.passengers[(key, moment)] += passengers


def _observations(counts: _Counts, site: Site, step: int) -> list[Observation]:
    observations = []
    for (stop, start), count in sorted(counts.arrivals.items()):
        observations.append(Observation(site.id, transit_sensor(stop), "arrivals", start, step, count))
        if counts.delays[(stop, start)]:
            mean = sum(counts.delays[(stop, start)]) / len(counts.delays[(stop, start)])
            observations.append(Observation(site.id, transit_sensor(stop), "delay_s", start, step, mean))
    for (stop, start), count in sorted(counts.vehicles.items()):
        observations.append(Observation(site.id, transit_sensor(stop), "vehicles_approaching", start, step, count))
        if (stop, start) in counts.passengers:
            observations.append(Observation(site.id, transit_sensor(stop), "passengers_est", start, step,
                                            round(counts.passengers[(stop, start)], 1)))
    return observations


def static_gtfs_path(settings: Any, site: Site) -> Path | None:
    """Where `static_gtfs` points: `file:` URLs and bare paths, relative ones from the site folder."""
    where = settings.static_gtfs
    return local_path(where if ":" in where else f"file:{where}", site.folder) if where else None


def wanted_stops(settings: Any, site: Site) -> set[str]:
    """The stops to report; an empty set means every stop."""
    if settings.stops or not settings.static_gtfs:
        return set(settings.stops)
    path = static_gtfs_path(settings, site)
    if path is None:
        raise SourceError(SourceReason.BAD_VALUE, "static_gtfs",
                          f"static_gtfs must be a local file or folder, not {settings.static_gtfs!r}")
    near = stops_near_site(path, site, settings.stop_radius_m)
    if not near:
        raise SourceError(SourceReason.EMPTY, "static_gtfs",
                          f"no stop of {path.name} within {settings.stop_radius_m:g} m of any zone")
    return set(near)


class GtfsRealtimeSource(BaseSource):
    kind = "gtfs_realtime"
    settings_model = GtfsRealtimeSettings
    data_time = "future"

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        feed = decode_feed(raw)
        feed_time = int(feed.header.timestamp)
        wanted = wanted_stops(settings, site)
        near = zone_finder(site, settings.radius_m).near
        counts = _Counts()
        for e, entity in enumerate(feed.entity):
            if entity.HasField("trip_update"):
                _trip_updates(entity, e, wanted, feed_time, settings, counts)
            if entity.HasField("vehicle"):
                _vehicle(entity, wanted, feed_time, settings, near, counts)
        observations = _observations(counts, site, settings.interval_seconds)
        types = feed_types(feed)
        if "Alerts" in types:
            moment = floor_to(datetime.fromtimestamp(feed_time, UTC), settings.interval_seconds)
            count = len(active_disruptions(feed, settings, feed_time))
            observations.append(Observation(site.id, transit_sensor("disruptions"), "active_disruptions",
                                            moment, settings.interval_seconds, count))
        if not observations:
            kinds = " and ".join(types) or "no entities"
            where = (f"no vehicle at a listed stop or within {settings.radius_m:g} m of any zone"
                     if "VehiclePositions" in types else
                     "no update for a listed stop within the horizon" if "TripUpdates" in types else
                     "the feed has no entities")
            raise SourceError(SourceReason.EMPTY, "entity", f"GTFS-Realtime {kinds} ({len(feed.entity)} entities): "
                              f"{where}")
        return observations

    def check(self, settings: Any, site: Site) -> list[tuple[str, str]]:
        path = static_gtfs_path(settings, site)
        if settings.static_gtfs and path is None:
            return [("static_gtfs", f"not a local file or folder: {settings.static_gtfs!r}")]
        if path is not None and not path.exists():
            return [("static_gtfs", f"file not found: {path}")]
        return []

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        feed = decode_feed(raw)
        described: dict[str, Any] = {"feed_types": feed_types(feed)}
        if "Alerts" in described["feed_types"]:
            described["disruptions"] = [d.model_dump(mode="json") for d in
                                        active_disruptions(feed, settings, int(feed.header.timestamp))]
        return described
