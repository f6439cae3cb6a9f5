"""GTFS static (zip or folder): which stops serve which zones, and the scheduled arrivals per stop
per interval on the current service day — the baseline GTFS-Realtime deviates from.

→ sensor "transit:<stop_id>" metric scheduled_arrivals, for stops within `radius_m` of a zone.
`describe` gives each such stop's name, position, zones and routes (for the API and panel).
"""

from __future__ import annotations

import io
import math
import zipfile
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from pydantic import Field
from shapely.geometry import Point, shape
from shapely.ops import transform

from csm.domain.model import Observation
from csm.site.model import Site
from csm.sources.gtfs_realtime import transit_sensor
from csm.sources.parsing import SourceReason, floor_to
from csm.sources.protocol import BaseSource, FetchError, SourceError, SourceSettings, fetch_url, local_path

REQUIRED: dict[str, list[str]] = {
    "stops.txt": ["stop_id", "stop_name", "stop_lat", "stop_lon"],
    "routes.txt": ["route_id", "route_short_name"],
    "trips.txt": ["route_id", "service_id", "trip_id"],
    "stop_times.txt": ["trip_id", "arrival_time", "stop_id"],
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class GtfsSettings(SourceSettings):
    radius_m: float = Field(250.0, gt=0, le=2000, description="a stop serves zones within this distance")
    routes: list[str] = Field(default_factory=list, description="route_short_names to keep; empty = all")
    interval_seconds: int = Field(900, ge=300, le=3600)
    poll_seconds: float = Field(6 * 3600.0, gt=0)


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(folder.glob("*.txt")):
            archive.write(file, file.name)
    return buffer.getvalue()


def read_tables(raw: bytes) -> dict[str, pd.DataFrame]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise SourceError(SourceReason.BAD_FORMAT, None, "GTFS static must be a zip archive") from None
    names = set(archive.namelist())
    tables = {}
    for name in [*REQUIRED, "calendar.txt", "calendar_dates.txt"]:
        if name not in names:
            if name in REQUIRED:
                raise SourceError(SourceReason.MISSING_FIELD, name, f"the GTFS archive has no {name}")
            continue
        try:
            frame = pd.read_csv(archive.open(name), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise SourceError(SourceReason.BAD_FORMAT, name, f"{name} is not readable CSV: {exc}") from None
        frame.columns = [c.strip() for c in frame.columns]
        for column in REQUIRED.get(name, []):
            if column not in frame.columns:
                raise SourceError(SourceReason.MISSING_FIELD, f"{name}:{column}", f"{name} has no {column} column")
        tables[name] = frame
    if "calendar.txt" not in tables and "calendar_dates.txt" not in tables:
        raise SourceError(SourceReason.MISSING_FIELD, "calendar.txt", "need calendar.txt or calendar_dates.txt")
    return tables


def _metres(site: Site) -> Any:
    lon0, lat0 = site.config.center or next(iter(site.zones.values())).centroid
    kx, ky = 111_320 * math.cos(math.radians(lat0)), 110_540

    def project(x: Any, y: Any, z: Any = None) -> tuple[Any, Any]:
        return (x - lon0) * kx, (y - lat0) * ky

    return project


def stops_serving_zones(stops: pd.DataFrame, site: Site, radius_m: float) -> dict[str, list[str]]:
    """stop_id → zones within radius_m (local metric projection; fine over a few km)."""
    project = _metres(site)
    zones = {zid: transform(project, shape(z.geometry)) for zid, z in site.zones.items()}
    serving: dict[str, list[str]] = {}
    for row in stops.itertuples(index=False):
        try:
            lat, lon = float(row.stop_lat), float(row.stop_lon)
        except ValueError:
            raise SourceError(SourceReason.BAD_VALUE, "stops.txt:stop_lat",
                              f"stop {row.stop_id}: coordinates are not numbers") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise SourceError(SourceReason.IMPLAUSIBLE, "stops.txt:stop_lat",
                              f"stop {row.stop_id}: ({lat}, {lon}) is not WGS84 degrees (RD metres?)")
        point = Point(project(lon, lat))
        near = sorted(zid for zid, poly in zones.items() if poly.distance(point) <= radius_m)
        if near:
            serving[str(row.stop_id)] = near
    return serving


def active_services(tables: dict[str, pd.DataFrame], day: date) -> set[str]:
    services: set[str] = set()
    stamp = day.strftime("%Y%m%d")
    calendar = tables.get("calendar.txt")
    if calendar is not None:
        weekday = WEEKDAYS[day.weekday()]
        running = calendar[(calendar[weekday] == "1") & (calendar["start_date"] <= stamp)
                           & (calendar["end_date"] >= stamp)]
        services |= set(running["service_id"])
    exceptions = tables.get("calendar_dates.txt")
    if exceptions is not None:
        today = exceptions[exceptions["date"] == stamp]
        services |= set(today[today["exception_type"] == "1"]["service_id"])
        services -= set(today[today["exception_type"] == "2"]["service_id"])
    return services


def _seconds(hms: str) -> int:
    hours, minutes, seconds = (int(part) for part in hms.strip().split(":"))
    return hours * 3600 + minutes * 60 + seconds


def _near_stop_frame(tables: dict[str, pd.DataFrame], settings: GtfsSettings, site: Site) -> pd.DataFrame:
    serving = stops_serving_zones(tables["stops.txt"], site, settings.radius_m)
    routes = tables["routes.txt"]
    if settings.routes:
        routes = routes[routes["route_short_name"].isin(settings.routes)]
    trips = tables["trips.txt"].merge(routes[["route_id", "route_short_name"]], on="route_id")
    times = tables["stop_times.txt"]
    times = times[times["stop_id"].isin(serving)].merge(trips, on="trip_id")
    return times.assign(zones=times["stop_id"].map(serving))


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
        tables = _cached_tables(raw)
        times = _near_stop_frame(tables, settings, site)
        day = now.astimezone(site.tz).date()
        times = times[times["service_id"].isin(active_services(tables, day))]
        # GTFS times count from noon minus 12 h of the service day (correct across DST).
        origin = datetime(day.year, day.month, day.day, 12, tzinfo=site.tz) - timedelta(hours=12)
        counts: dict[tuple[str, datetime], int] = {}
        for row in times.itertuples(index=False):
            try:
                moment = origin + timedelta(seconds=_seconds(row.arrival_time))
            except ValueError:
                raise SourceError(SourceReason.BAD_VALUE, "stop_times.txt:arrival_time",
                                  f"trip {row.trip_id}: arrival_time {row.arrival_time!r} is not HH:MM:SS") from None
            key = (str(row.stop_id), floor_to(moment, settings.interval_seconds))
            counts[key] = counts.get(key, 0) + 1
        return [
            Observation(site.id, transit_sensor(stop), "scheduled_arrivals", start, settings.interval_seconds, n)
            for (stop, start), n in sorted(counts.items())
        ]

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        tables = _cached_tables(raw)
        times = _near_stop_frame(tables, settings, site)
        stops = tables["stops.txt"].set_index("stop_id")
        described = {}
        for stop_id, group in times.groupby("stop_id"):
            row = stops.loc[stop_id]
            described[str(stop_id)] = {
                "name": row["stop_name"], "lat": float(row["stop_lat"]), "lon": float(row["stop_lon"]),
                "zones": group["zones"].iloc[0], "routes": sorted(set(group["route_short_name"]), key=_route_key),
                "route_ids": sorted(set(group["route_id"])),
            }
        return {"stops": described}


def _route_key(name: str) -> tuple[int, str]:
    return (int(name), name) if name.isdigit() else (10**6, name)


@lru_cache(maxsize=4)
def _cached_tables(raw: bytes) -> dict[str, pd.DataFrame]:
    """A GTFS archive is parsed once for parse and describe (and while it does not change)."""
    return read_tables(raw)
