"""GTFS static (zip or folder): which stops serve which zones, and the scheduled arrivals per stop
per interval on the current service day — the baseline GTFS-Realtime deviates from.

→ sensor "transit:<stop_id>" metric scheduled_arrivals, for stops within `radius_m` of a zone.
`describe` gives each such stop's name, position, zones and routes (for the API and panel).

National feeds (hundreds of MB, tens of millions of stop times) are read in bounded memory: the
stops near the site are found first, then stop_times.txt and trips.txt are streamed in chunks
and only the rows of those stops (and their trips) are kept. Trips defined by frequencies.txt
(headway-based) are expanded from their template times.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from pydantic import Field

from csm.domain.model import Observation
from csm.site.model import Site
from csm.sources.nearby import zone_finder
from csm.sources.parsing import SourceReason, floor_to
from csm.sources.protocol import BaseSource, FetchError, SourceError, SourceSettings, fetch_url, local_path

REQUIRED: dict[str, list[str]] = {
    "stops.txt": ["stop_id", "stop_name", "stop_lat", "stop_lon"],
    "routes.txt": ["route_id"],
    "trips.txt": ["route_id", "service_id", "trip_id"],
    "stop_times.txt": ["trip_id", "arrival_time", "stop_id"],
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
CHUNK_ROWS = 200_000  # rows of stop_times.txt / trips.txt in memory at once (about 50 MB as strings)


def transit_sensor(stop_id: str) -> str:
    return f"transit:{stop_id}"


class GtfsSettings(SourceSettings):
    radius_m: float = Field(250.0, gt=0, le=2000, description="a stop serves zones within this distance")
    routes: list[str] = Field(
        default_factory=list, description="routes to keep, by route_id, short or long name; empty = all"
    )
    interval_seconds: int = Field(900, ge=300, le=3600)
    poll_seconds: float = Field(6 * 3600.0, gt=0)


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(folder.glob("*.txt")):
            archive.write(file, file.name)
    return buffer.getvalue()


def _open(raw: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise SourceError(SourceReason.BAD_FORMAT, None, "GTFS static must be a zip archive") from None
    names = {Path(n).name: n for n in archive.namelist()}  # some feeds put the tables in a folder
    for name in REQUIRED:
        if name not in names:
            raise SourceError(SourceReason.MISSING_FIELD, name, f"the GTFS archive has no {name}")
    archive.gtfs_names = names  # type: ignore[attr-defined]
    return archive


def _csv(archive: zipfile.ZipFile, name: str, chunks: bool = False, usecols: Any = None) -> Any:
    """A table as strings (ids keep their leading zeros); in chunks for the big ones."""
    names: dict[str, str] = archive.gtfs_names  # type: ignore[attr-defined]
    if name not in names:
        return None
    try:
        reader = pd.read_csv(archive.open(names[name]), dtype=str, keep_default_na=False, encoding="utf-8-sig",
                             usecols=usecols, chunksize=CHUNK_ROWS if chunks else None, skipinitialspace=True)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        if usecols is not None and "Usecols do not match" in str(exc):
            raise SourceError(SourceReason.MISSING_FIELD, name, f"{name} lacks a column: {exc}") from None
        raise SourceError(SourceReason.BAD_FORMAT, name, f"{name} is not readable CSV: {exc}") from None
    return reader


def _columns(archive: zipfile.ZipFile, name: str) -> list[str]:
    names: dict[str, str] = archive.gtfs_names  # type: ignore[attr-defined]
    with archive.open(names[name]) as handle:
        header = handle.readline().decode("utf-8-sig").strip()
    columns = [c.strip().strip('"') for c in header.split(",")]
    for column in REQUIRED.get(name, []):
        if column not in columns:
            raise SourceError(SourceReason.MISSING_FIELD, f"{name}:{column}", f"{name} has no {column} column")
    return columns


def stops_serving_zones(stops: pd.DataFrame, site: Site, radius_m: float) -> dict[str, list[str]]:
    """stop_id → zones within radius_m (local metric projection; fine over a few km)."""
    finder = zone_finder(site, radius_m)
    serving: dict[str, list[str]] = {}
    for stop_id, lat_text, lon_text in zip(stops["stop_id"], stops["stop_lat"], stops["stop_lon"], strict=True):
        if not lat_text and not lon_text:
            continue  # stations' entrances and generic nodes may have no position
        try:
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            raise SourceError(SourceReason.BAD_VALUE, "stops.txt:stop_lat",
                              f"stop {stop_id}: coordinates are not numbers") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise SourceError(SourceReason.IMPLAUSIBLE, "stops.txt:stop_lat",
                              f"stop {stop_id}: ({lat}, {lon}) is not WGS84 degrees (RD metres?)")
        near = finder.near(lat, lon)
        if near:
            serving[str(stop_id)] = near
    return serving


def route_names(routes: pd.DataFrame) -> pd.DataFrame:
    """route_id and the name people use: the short name, else the long name (valid GTFS)."""
    short = routes["route_short_name"] if "route_short_name" in routes else pd.Series("", index=routes.index)
    long = routes["route_long_name"] if "route_long_name" in routes else pd.Series("", index=routes.index)
    if ((short == "") & (long == "")).any():
        missing = routes.loc[(short == "") & (long == ""), "route_id"].iloc[0]
        raise SourceError(SourceReason.MISSING_FIELD, "routes.txt:route_short_name",
                          f"route {missing} has neither route_short_name nor route_long_name")
    return pd.DataFrame({"route_id": routes["route_id"], "route_name": short.where(short != "", long),
                         "route_long_name": long})


def selected_routes(routes: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    """The routes named in `wanted` by route_id, short name or long name (any case)."""
    if not wanted:
        return routes
    keys = {w.strip().lower() for w in wanted}
    hit = (routes["route_id"].str.lower().isin(keys) | routes["route_name"].str.lower().isin(keys)
           | routes["route_long_name"].str.lower().isin(keys))
    return routes[hit]


@dataclass(frozen=True)
class NearTimetable:
    """The part of a GTFS feed that concerns the stops near a site's zones."""

    stops: pd.DataFrame  # stop_id, stop_name, stop_lat, stop_lon
    serving: dict[str, list[str]]
    times: pd.DataFrame  # trip_id, stop_id, arrival_time, route_id, route_name, service_id
    calendar: pd.DataFrame | None
    calendar_dates: pd.DataFrame | None
    frequencies: pd.DataFrame | None  # trip_id, start_time, end_time, headway_secs, first_arrival
    rows_read: int


def _near_stop_times(archive: zipfile.ZipFile, serving: dict[str, list[str]]) -> tuple[pd.DataFrame, int]:
    columns = _columns(archive, "stop_times.txt")
    usecols = [c for c in ("trip_id", "arrival_time", "departure_time", "stop_id") if c in columns]
    kept, rows = [], 0
    for chunk in _csv(archive, "stop_times.txt", chunks=True, usecols=usecols):
        rows += len(chunk)
        kept.append(chunk[chunk["stop_id"].isin(serving)])
    times = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=usecols)
    if "departure_time" in times:  # arrival_time may be empty between timepoints: departure then
        times["arrival_time"] = times["arrival_time"].where(times["arrival_time"] != "", times["departure_time"])
    # Stops between timepoints may have no time at all (valid GTFS; TransLink Cairns has them): not
    # counted. A loop that lists one stop twice at the same minute (Cairns trip 4166462, sequences
    # 16 and 17) is one bus at the stop, not two.
    times = times[times["arrival_time"].str.strip() != ""]
    times = times.drop_duplicates(["trip_id", "stop_id", "arrival_time"])
    return times[["trip_id", "arrival_time", "stop_id"]].reset_index(drop=True), rows


def _trips_of(archive: zipfile.ZipFile, trip_ids: set[str]) -> pd.DataFrame:
    _columns(archive, "trips.txt")
    kept = [chunk[chunk["trip_id"].isin(trip_ids)]
            for chunk in _csv(archive, "trips.txt", chunks=True, usecols=["route_id", "service_id", "trip_id"])]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=["route_id", "service_id", "trip_id"])


def _first_arrivals(archive: zipfile.ZipFile, trip_ids: set[str]) -> dict[str, int]:
    """Template start of headway-based trips: their earliest stop time (any stop)."""
    first: dict[str, int] = {}
    for chunk in _csv(archive, "stop_times.txt", chunks=True, usecols=["trip_id", "arrival_time"]):
        for trip, text in zip(chunk["trip_id"], chunk["arrival_time"], strict=True):
            if trip in trip_ids and text:
                seconds = _seconds(text, trip)
                if trip not in first or seconds < first[trip]:
                    first[trip] = seconds
    return first


def read_near(raw: bytes, site: Site, radius_m: float, routes: tuple[str, ...]) -> NearTimetable:
    archive = _open(raw)
    _columns(archive, "stops.txt")
    stops = _csv(archive, "stops.txt", usecols=["stop_id", "stop_name", "stop_lat", "stop_lon"])
    serving = stops_serving_zones(stops, site, radius_m)
    times, rows = _near_stop_times(archive, serving)
    _columns(archive, "routes.txt")
    named = selected_routes(route_names(_csv(archive, "routes.txt")), list(routes))
    trips = _trips_of(archive, set(times["trip_id"])).merge(named[["route_id", "route_name"]], on="route_id")
    times = times.merge(trips, on="trip_id")
    calendar, exceptions = _csv(archive, "calendar.txt"), _csv(archive, "calendar_dates.txt")
    if calendar is None and exceptions is None:
        raise SourceError(SourceReason.MISSING_FIELD, "calendar.txt", "need calendar.txt or calendar_dates.txt")
    frequencies = _csv(archive, "frequencies.txt")
    if frequencies is not None:
        frequencies = frequencies[frequencies["trip_id"].isin(set(times["trip_id"]))]
        first = _first_arrivals(archive, set(frequencies["trip_id"])) if not frequencies.empty else {}
        frequencies = frequencies.assign(first_arrival=frequencies["trip_id"].map(first))
    return NearTimetable(stops[stops["stop_id"].isin(serving)], serving, times, calendar, exceptions,
                         frequencies, rows)


def active_services(timetable: NearTimetable, day: date) -> set[str]:
    services: set[str] = set()
    stamp = day.strftime("%Y%m%d")
    calendar = timetable.calendar
    if calendar is not None:
        weekday = WEEKDAYS[day.weekday()]
        running = calendar[(calendar[weekday] == "1") & (calendar["start_date"] <= stamp)
                           & (calendar["end_date"] >= stamp)]
        services |= set(running["service_id"])
    exceptions = timetable.calendar_dates
    if exceptions is not None:
        today = exceptions[exceptions["date"] == stamp]
        services |= set(today[today["exception_type"] == "1"]["service_id"])
        services -= set(today[today["exception_type"] == "2"]["service_id"])
    return services


def _seconds(hms: str, trip: Any = "?") -> int:
    try:
        hours, minutes, seconds = (int(part) for part in hms.strip().split(":"))
    except ValueError:
        raise SourceError(SourceReason.BAD_VALUE, "stop_times.txt:arrival_time",
                          f"trip {trip}: arrival_time {hms!r} is not HH:MM:SS") from None
    return hours * 3600 + minutes * 60 + seconds


def arrival_seconds(timetable: NearTimetable, services: set[str]) -> list[tuple[str, int]]:
    """(stop_id, seconds after the service day's origin) of every arrival at a near stop."""
    times = timetable.times[timetable.times["service_id"].isin(services)]
    headways = timetable.frequencies
    by_trip: dict[str, list[tuple[int, int, int, int]]] = {}
    if headways is not None:
        for row in headways.itertuples(index=False):
            if pd.notna(row.first_arrival):
                start, end = _seconds(row.start_time, row.trip_id), _seconds(row.end_time, row.trip_id)
                by_trip.setdefault(row.trip_id, []).append((start, end, int(row.headway_secs), int(row.first_arrival)))
    found: list[tuple[str, int]] = []
    for trip, stop, text in zip(times["trip_id"], times["stop_id"], times["arrival_time"], strict=True):
        seconds = _seconds(text, trip)
        if trip not in by_trip:
            found.append((str(stop), seconds))
            continue
        for start, end, headway, first in by_trip[trip]:  # the stop times are a template
            offset = seconds - first
            found += [(str(stop), depart + offset) for depart in range(start, end, max(headway, 1))]
    return found


class GtfsStaticSource(BaseSource):
    kind = "gtfs"
    settings_model = GtfsSettings
    data_time = "future"

    def fetch(self, settings: Any, site: Site, client: httpx.Client) -> bytes:
        path = local_path(settings.url or "", site.folder)
        if path is not None and path.is_dir():
            return _zip_folder(path)
        if not settings.url:
            raise FetchError("no url configured")
        return fetch_url(settings.url, site.folder, client, settings.timeout_seconds)

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        timetable = _cached(raw, site, settings.radius_m, tuple(settings.routes))
        day = now.astimezone(site.tz).date()
        # GTFS times count from noon minus 12 h of the service day (correct across DST).
        origin = datetime(day.year, day.month, day.day, 12, tzinfo=site.tz) - timedelta(hours=12)
        counts: dict[tuple[str, datetime], int] = {}
        for stop, seconds in arrival_seconds(timetable, active_services(timetable, day)):
            key = (stop, floor_to(origin + timedelta(seconds=seconds), settings.interval_seconds))
            counts[key] = counts.get(key, 0) + 1
        if not counts:
            reason = (f"no stop within {settings.radius_m:g} m of any zone" if not timetable.serving else
                      f"no scheduled arrival at the {len(timetable.serving)} stops near zones on {day}"
                      + (f" for routes {', '.join(settings.routes)}" if settings.routes else ""))
            raise SourceError(SourceReason.EMPTY, "stop_times.txt", reason)
        return [
            Observation(site.id, transit_sensor(stop), "scheduled_arrivals", start, settings.interval_seconds, n)
            for (stop, start), n in sorted(counts.items())
        ]

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        timetable = _cached(raw, site, settings.radius_m, tuple(settings.routes))
        stops = timetable.stops.set_index("stop_id")
        described = {}
        for stop_id, group in timetable.times.groupby("stop_id"):
            row = stops.loc[stop_id]
            described[str(stop_id)] = {
                "name": row["stop_name"], "lat": float(row["stop_lat"]), "lon": float(row["stop_lon"]),
                "zones": timetable.serving[str(stop_id)],
                "routes": sorted(set(group["route_name"]), key=_route_key),
                "route_ids": sorted(set(group["route_id"])),
            }
        return {"stops": described}


def stops_near_site(path: Path, site: Site, radius_m: float) -> frozenset[str]:
    """stop_ids of a local GTFS (zip or folder) within `radius_m` of a zone: the stops a realtime
    feed is read for when its settings list none. Read again only when the file changes."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise SourceError(SourceReason.BAD_VALUE, "static_gtfs", f"static GTFS {path.name} unreadable: "
                          f"{exc.strerror}") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size, site.id, radius_m)
    with _CACHE_LOCK:
        if key in _NEAR_STOPS:
            return _NEAR_STOPS[key]
    archive = _open(_zip_folder(path) if path.is_dir() else path.read_bytes())
    _columns(archive, "stops.txt")
    stops = _csv(archive, "stops.txt", usecols=["stop_id", "stop_lat", "stop_lon"])
    near = frozenset(stops_serving_zones(stops, site, radius_m))
    with _CACHE_LOCK:
        _NEAR_STOPS[key] = near
        while len(_NEAR_STOPS) > 8:
            _NEAR_STOPS.popitem(last=False)
    return near


def _route_key(name: str) -> tuple[int, str]:
    return (int(name), name) if name.isdigit() else (10**6, name)


_CACHE: OrderedDict[tuple[int, int, str, float, tuple[str, ...]], NearTimetable] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_NEAR_STOPS: OrderedDict[tuple[str, int, int, str, float], frozenset[str]] = OrderedDict()


def _cached(raw: bytes, site: Site, radius_m: float, routes: tuple[str, ...]) -> NearTimetable:
    """A GTFS archive is read once per site and settings for parse and describe (and while it
    does not change): the key is the archive's hash, not the archive."""
    key = (hash(raw), len(raw), site.id, radius_m, routes)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    timetable = read_near(raw, site, radius_m, routes)
    with _CACHE_LOCK:
        _CACHE[key] = timetable
        while len(_CACHE) > 4:
            _CACHE.popitem(last=False)
    return timetable
