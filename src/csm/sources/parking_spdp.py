"""Dutch open parking data, SPDP v1 and v2 (Specificatie Parkeerdata): per garage a static
description (v2 `parkingFacilityInformation`, v1 `parkingFacilityStaticInformation`: name,
capacity, `locationForDisplay`, access points) and dynamic occupancy
(`parkingFacilityDynamicInformation.facilityActualStatus`: vacantSpaces, parkingCapacity, open,
full, lastUpdated as POSIX seconds or ISO 8601).

→ sensor "parking:<facility id>" per interval: occupied, vacant, capacity (vehicles), open (0/1).
Each facility names the zones its visitors walk to, for the API and the forecaster. Freshness is
judged per facility: a garage whose data stopped is reported (its values are not stored as
current) while the fresh garages are kept.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from csm.domain.model import Observation
from csm.site.model import Site
from csm.sources.parsing import SourceReason, floor_to, load_json, number, require, timestamp
from csm.sources.protocol import BaseSource, FetchError, SourceError, SourceSettings, fetch_url, local_path

MAX_CAPACITY = 20_000
MAX_POSIX_S = 10**11  # larger: milliseconds
STATIC_KEYS = ("parkingFacilityInformation", "parkingFacilityStaticInformation")  # v2, v1


class Facility(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$", description="short id used in sensor ids")
    dynamic_url: str
    static_url: str | None = None
    zones: list[str] = Field(default_factory=list, description="zones this garage's visitors walk to")


class SpdpSettings(SourceSettings):
    facilities: list[Facility] = Field(min_length=1)
    interval_seconds: int = Field(300, ge=60, le=3600)


def parking_sensor(facility_id: str) -> str:
    return f"parking:{facility_id}"


STALE_FACILITY = "stale_facility"


def _dynamic_observations(document: Any, facility: str, settings: SpdpSettings, site: Site,
                          static_capacity: float | None) -> list[Observation]:
    info = require(document, "parkingFacilityDynamicInformation", "")
    status = require(info, "facilityActualStatus", "parkingFacilityDynamicInformation")
    where = "parkingFacilityDynamicInformation.facilityActualStatus"
    raw_updated = require(status, "lastUpdated", where)
    if isinstance(raw_updated, int | float) and raw_updated > MAX_POSIX_S:
        raise SourceError(SourceReason.IMPLAUSIBLE, f"{where}.lastUpdated",
                          f"lastUpdated {raw_updated} looks like milliseconds, not POSIX seconds")
    updated = timestamp(raw_updated, f"{where}.lastUpdated", site.tz)

    raw_capacity = status.get("parkingCapacity", static_capacity)
    if raw_capacity is None:
        raise SourceError(SourceReason.MISSING_FIELD, f"{where}.parkingCapacity",
                          "no parkingCapacity here nor in the static description")
    capacity = number(raw_capacity, f"{where}.parkingCapacity", 1, MAX_CAPACITY, "spaces")
    vacant = number(require(status, "vacantSpaces", where), f"{where}.vacantSpaces", 0, capacity, "spaces")
    start = floor_to(updated, settings.interval_seconds)
    sensor = parking_sensor(facility)
    values = {"vacant": vacant, "capacity": capacity, "occupied": capacity - vacant}
    if isinstance(status.get("open"), bool):
        values["open"] = 1.0 if status["open"] else 0.0
    return [Observation(site.id, sensor, metric, start, settings.interval_seconds, value)
            for metric, value in values.items()]


def static_info(document: Any) -> tuple[str, dict[str, Any]]:
    """(key, body) of a static document: v2 `parkingFacilityInformation` or v1 `...StaticInformation`."""
    for key in STATIC_KEYS:
        if isinstance(document, dict) and isinstance(document.get(key), dict):
            return key, document[key]
    raise SourceError(SourceReason.MISSING_FIELD, STATIC_KEYS[0],
                      f"neither {' nor '.join(STATIC_KEYS)} in the static document")


def _static_capacity(document: Any) -> float | None:
    key, info = static_info(document)
    for spec in info.get("specifications") or []:
        if isinstance(spec, dict) and spec.get("capacity") is not None:
            return number(spec["capacity"], f"{key}.specifications.capacity", 1, MAX_CAPACITY, "spaces")
    if info.get("capacity") is not None:
        return number(info["capacity"], f"{key}.capacity", 1, MAX_CAPACITY, "spaces")
    return None


def _point(location: Any) -> tuple[float, float] | None:
    try:
        return float(location["longitude"]), float(location["latitude"])
    except (KeyError, TypeError, ValueError):
        return None


def _location(document: Any) -> tuple[float, float] | None:
    """(lon, lat): `locationForDisplay` (v1 and v2), else the first access point's location."""
    try:
        _, info = static_info(document)
    except SourceError:
        return None
    display = _point(info.get("locationForDisplay"))
    if display is not None:
        return display
    for point in info.get("accessPoints") or []:
        locations = point.get("accessPointLocation") if isinstance(point, dict) else None
        for location in locations if isinstance(locations, list) else [locations]:
            found = _point(location)
            if found is not None:
                return found
    return None


def _last_updated(entry: dict[str, Any], site: Site) -> str | None:
    """When the garage itself last reported (per facility staleness in the API)."""
    try:
        status = json.loads(entry.get("dynamic") or "{}")["parkingFacilityDynamicInformation"]["facilityActualStatus"]
        return timestamp(status["lastUpdated"], "lastUpdated", site.tz).isoformat()
    except (KeyError, TypeError, ValueError, SourceError):
        return None


class SpdpParkingSource(BaseSource):
    """fetch bundles the raw documents of every facility; parse reads each in SPDP v2 format."""

    kind = "parking_spdp"
    settings_model = SpdpSettings
    data_time = "past"

    def fetch(self, settings: Any, site: Site, client: httpx.Client) -> bytes:
        bundle: dict[str, dict[str, str | None]] = {}
        failures = []
        for facility in settings.facilities:
            entry: dict[str, str | None] = {"dynamic": None, "static": None, "error": None}
            try:
                entry["dynamic"] = fetch_url(facility.dynamic_url, site.folder, client,
                                             settings.timeout_seconds).decode("utf-8", "replace")
                if facility.static_url:
                    entry["static"] = fetch_url(facility.static_url, site.folder, client,
                                                settings.timeout_seconds).decode("utf-8", "replace")
            except FetchError as exc:
                entry["error"] = str(exc)
                failures.append(str(exc))
            bundle[facility.id] = entry
        if len(failures) == len(settings.facilities):
            raise FetchError("; ".join(failures))
        return json.dumps({"facilities": bundle}).encode()

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        bundle = require(load_json(raw, "parking bundle"), "facilities", "")
        observations: list[Observation] = []
        first_error: SourceError | None = None
        # replayed feeds are old by design; live ones are judged per facility
        stale_before = None if settings.replay else now - timedelta(seconds=settings.stale_after)
        stale: dict[str, list[Observation]] = {}
        for facility in settings.facilities:
            entry = bundle.get(facility.id) or {"error": "not fetched"}
            try:
                if entry.get("error"):
                    raise SourceError("fetch_error", facility.id, str(entry["error"]))
                capacity = None
                if entry.get("static"):
                    capacity = _static_capacity(load_json(entry["static"].encode(), f"{facility.id} static"))
                dynamic = load_json((entry.get("dynamic") or "").encode(), f"{facility.id} dynamic")
                found = _dynamic_observations(dynamic, facility.id, settings, site, capacity)
                if stale_before is not None and found[0].interval_start < stale_before:
                    stale[facility.id] = found
                else:
                    observations += found
            except SourceError as exc:
                if first_error is None:
                    field = f"{facility.id}:{exc.field}" if exc.field else facility.id
                    first_error = SourceError(exc.reason, field, f"facility {facility.id}: {exc.detail}")
        if stale and observations:  # some garages fresh, these not: say which, keep the fresh ones
            names = ", ".join(f"{fid} (last update {obs[0].interval_start:%Y-%m-%d %H:%M} UTC)"
                              for fid, obs in stale.items())
            first_error = first_error or SourceError(
                STALE_FACILITY, f"{next(iter(stale))}:facilityActualStatus.lastUpdated",
                f"{len(stale)} of {len(settings.facilities)} facilities report no fresh data: {names}")
        else:  # all old: the source as a whole goes stale by the age of its newest data
            observations += [o for found in stale.values() for o in found]
        if first_error is not None:
            raise SourceError(first_error.reason, first_error.field, first_error.detail, partial=observations)
        return observations

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        bundle = json.loads(raw).get("facilities", {})
        facilities = {}
        for facility in settings.facilities:
            static_text = (bundle.get(facility.id) or {}).get("static")
            static = json.loads(static_text) if static_text else {}
            try:
                version, info = static_info(static)
            except SourceError:
                version, info = "", {}
            facilities[facility.id] = {
                "name": info.get("name") or facility.id, "zones": facility.zones,
                "location": _location(static), "operator": (info.get("operator") or {}).get("name"),
                "spdp": "v1" if version == STATIC_KEYS[1] else "v2" if version else None,
                "last_updated": _last_updated(bundle.get(facility.id) or {}, site),
            }
        return {"facilities": facilities}

    def check(self, settings: Any, site: Site) -> list[tuple[str, str]]:
        problems = []
        for i, facility in enumerate(settings.facilities):
            for j, zone in enumerate(facility.zones):
                if zone not in site.zones:
                    problems.append((f"facilities[{i}].zones[{j}]", f"unknown zone {zone!r}"))
            for attr in ("dynamic_url", "static_url"):
                url = getattr(facility, attr)
                path = local_path(url, site.folder) if url else None
                if path is not None and not path.exists():
                    problems.append((f"facilities[{i}].{attr}", f"file not found: {path}"))
        return problems
