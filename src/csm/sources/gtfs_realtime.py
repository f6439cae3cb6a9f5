"""GTFS-Realtime (protobuf, via gtfs-realtime-bindings): TripUpdates → expected arrivals and mean
delay per stop per interval; VehiclePositions → vehicles approaching or at each stop.

→ sensor "transit:<stop_id>": arrivals (count), delay_s (mean seconds late, negative = early),
vehicles_approaching (count). Only the stops listed in settings (those near zones), or all.
Times are taken relative to the feed's own header timestamp, so a replayed feed parses the same.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2
from pydantic import Field

from csm.domain.model import Observation
from csm.site.model import Site
from csm.sources.parsing import SourceReason, floor_to
from csm.sources.protocol import BaseSource, SourceError, SourceSettings

MAX_DELAY_S = 6 * 3600
MAX_POSIX_S = 10**11  # larger values are milliseconds: a unit error
StopTimeEvent = gtfs_realtime_pb2.TripUpdate.StopTimeEvent
StopTimeUpdate = gtfs_realtime_pb2.TripUpdate.StopTimeUpdate
VehicleStatus = gtfs_realtime_pb2.VehiclePosition


class GtfsRealtimeSettings(SourceSettings):
    stops: list[str] = Field(default_factory=list, description="stop_ids to report; empty = every stop")
    interval_seconds: int = Field(900, ge=60, le=3600)
    horizon_minutes: int = Field(120, ge=5, le=24 * 60, description="arrivals this far past the feed time")
    poll_seconds: float = Field(60.0, gt=0)


def transit_sensor(stop_id: str) -> str:
    return f"transit:{stop_id}"


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


class GtfsRealtimeSource(BaseSource):
    kind = "gtfs_realtime"
    settings_model = GtfsRealtimeSettings
    data_time = "future"

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        feed = decode_feed(raw)
        feed_time = int(feed.header.timestamp)
        wanted = set(settings.stops)
        step = settings.interval_seconds
        arrivals: dict[tuple[str, datetime], int] = defaultdict(int)
        delays: dict[tuple[str, datetime], list[int]] = defaultdict(list)
        vehicles: dict[tuple[str, datetime], int] = defaultdict(int)
        for e, entity in enumerate(feed.entity):
            if entity.HasField("trip_update"):
                for u, update in enumerate(entity.trip_update.stop_time_update):
                    if (wanted and update.stop_id not in wanted) or not update.stop_id:
                        continue
                    if update.schedule_relationship in (StopTimeUpdate.SKIPPED, StopTimeUpdate.NO_DATA):
                        continue
                    timed = _event_time(update, f"entity[{e}].trip_update.stop_time_update[{u}]")
                    if timed is None or not -step <= timed[0] - feed_time <= settings.horizon_minutes * 60:
                        continue
                    key = (update.stop_id, floor_to(datetime.fromtimestamp(timed[0], UTC), step))
                    arrivals[key] += 1
                    if timed[1] is not None:
                        delays[key].append(timed[1])
            if entity.HasField("vehicle"):
                vehicle = entity.vehicle
                if vehicle.stop_id and (not wanted or vehicle.stop_id in wanted) and vehicle.current_status in (
                    VehicleStatus.INCOMING_AT, VehicleStatus.STOPPED_AT
                ):
                    moment = datetime.fromtimestamp(vehicle.timestamp or feed_time, UTC)
                    vehicles[(vehicle.stop_id, floor_to(moment, step))] += 1
        observations = []
        for (stop, start), count in sorted(arrivals.items()):
            observations.append(Observation(site.id, transit_sensor(stop), "arrivals", start, step, count))
            if delays[(stop, start)]:
                mean = sum(delays[(stop, start)]) / len(delays[(stop, start)])
                observations.append(Observation(site.id, transit_sensor(stop), "delay_s", start, step, mean))
        for (stop, start), count in sorted(vehicles.items()):
            observations.append(
                Observation(site.id, transit_sensor(stop), "vehicles_approaching", start, step, count)
            )
        return observations
