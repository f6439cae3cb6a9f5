"""NDW traffic measurements, DATEX II v2 (SOAP-wrapped `trafficspeed.xml.gz`) or v3
`MeasuredDataPublication`, streamed (see `datex2`): per measurement site per minute, vehicle
flow (vehicles/hour) and average speed (km/h) per lane or vehicle class.

→ sensor "traffic:<measurement site id>": flow_veh_h and speed_kmh. With the NDW measurement
site table (`site_table_url`) the sites near the zones are chosen by position, and only the
"any vehicle" values are summed (the length classes of a lane add up to the same vehicles);
without it, the configured sites are read and all their flow values are summed.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import Field

from csm.domain.model import Observation
from csm.site.model import Site
from csm.sources import datex2
from csm.sources.nearby import zone_finder
from csm.sources.parsing import SourceReason, floor_to, number, timestamp
from csm.sources.protocol import BaseSource, FetchError, SourceError, SourceSettings, fetch_url

MAX_FLOW = 10_000  # vehicles/hour over one lane or class
MAX_SPEED = 250  # km/h


class NdwSettings(SourceSettings):
    sites: dict[str, str] = Field(
        default_factory=dict,
        description="measurement site id → road name; empty = the sites near zones (site table) or every site",
    )
    site_table_url: str | None = Field(
        None, description="NDW measurement site table (measurement_current.xml.gz): positions, lanes, classes"
    )
    radius_m: float = Field(
        500.0, gt=0, le=5000, description="with a site table and no `sites`: the sites this near a zone"
    )
    site_table_refresh_seconds: float = Field(86_400.0, ge=60, description="reread the site table this often")
    interval_seconds: int = Field(60, ge=60, le=3600)
    poll_seconds: float = Field(60.0, gt=0)


def traffic_sensor(site_id: str) -> str:
    return f"traffic:{site_id}"


@dataclass(frozen=True)
class Selection:
    """The measurement sites a source reads, with what the site table says about them."""

    records: dict[str, datex2.SiteRecord]
    zones: dict[str, list[str]]
    loaded: float  # monotonic time


_TABLES: dict[tuple[str, str, str], Selection] = {}
_TABLES_LOCK = threading.Lock()


def select_sites(table_raw: bytes, settings: NdwSettings, site: Site) -> Selection:
    """Stream the site table, keeping the configured sites or those within `radius_m` of a zone."""
    finder = zone_finder(site, settings.radius_m)
    zones: dict[str, list[str]] = {}

    def keep(record: datex2.SiteRecord) -> bool:
        near = finder.near(record.lat, record.lon) if record.lat is not None and record.lon is not None else []
        if near:
            zones[record.id] = near
        return record.id in settings.sites if settings.sites else bool(near)

    records = datex2.site_table(table_raw, keep)
    return Selection(records, {sid: zones.get(sid, []) for sid in records}, time.monotonic())


def _key(settings: NdwSettings, site: Site) -> tuple[str, str, str]:
    return (site.id, settings.site_table_url or "", f"{settings.radius_m}:{sorted(settings.sites)}")


def cached_selection(settings: NdwSettings, site: Site, client: httpx.Client | None = None) -> Selection | None:
    """The site table selection, read on first use and again after `site_table_refresh_seconds`."""
    if not settings.site_table_url:
        return None
    key = _key(settings, site)
    with _TABLES_LOCK:
        cached = _TABLES.get(key)
    if cached is not None and time.monotonic() - cached.loaded < settings.site_table_refresh_seconds:
        return cached
    try:
        if client is None:
            with httpx.Client(follow_redirects=True, headers={"User-Agent": "csm-sources"}) as own:
                raw = fetch_url(settings.site_table_url, site.folder, own, settings.timeout_seconds)
        else:
            raw = fetch_url(settings.site_table_url, site.folder, client, settings.timeout_seconds)
    except FetchError:
        if cached is not None:
            return cached  # an old table beats none
        raise
    try:
        selection = select_sites(raw, settings, site)
    except SourceError as exc:
        field = f"site_table:{exc.field}" if exc.field else "site_table"
        raise SourceError(exc.reason, field, f"site table: {exc.detail}") from None
    with _TABLES_LOCK:
        _TABLES[key] = selection
    return selection


def _site_values(measured: datex2.SiteMeasurements, record: datex2.SiteRecord | None,
                 where: str) -> tuple[float | None, float | None]:
    """Total flow and flow-weighted speed; with the site table only the any-vehicle values."""
    def counted(value: datex2.MeasuredValue) -> bool:
        spec = record.characteristics.get(value.index) if record else None
        return spec is None or spec.any_vehicle

    flows, speeds = [], []
    for value in measured.values:
        if value.value is None or not counted(value):
            continue
        if value.kind == "TrafficFlow":
            flows.append(number(value.value, f"{where}.vehicleFlowRate[{value.index}]", 0, MAX_FLOW, "vehicles/hour"))
        elif value.kind == "TrafficSpeed":
            speed = number(value.value, f"{where}.speed[{value.index}]", 0, MAX_SPEED, "km/h")
            speeds.append((speed, float(value.inputs) if value.inputs else 1.0))  # weight: vehicles measured
    weight = sum(w for _, w in speeds)
    return (sum(flows) if flows else None), (sum(s * w for s, w in speeds) / weight if weight else None)


def parse_measurements(raw: bytes, settings: NdwSettings, site: Site, selection: Selection | None) -> list[Observation]:
    wanted = set(selection.records) if selection is not None else set(settings.sites)
    observations: list[Observation] = []
    for i, measured in enumerate(datex2.measured_sites(raw)):
        if not measured.site_id:
            raise SourceError(SourceReason.MISSING_FIELD, f"siteMeasurements[{i}].measurementSiteReference",
                              "siteMeasurements without a measurement site id")
        if wanted and measured.site_id not in wanted:
            continue
        where = f"siteMeasurements[{measured.site_id}]"
        if measured.time_text is None:
            raise SourceError(SourceReason.MISSING_FIELD, f"{where}.measurementTimeDefault", "no measurement time")
        moment = timestamp(measured.time_text, f"{where}.measurementTimeDefault", site.tz)
        start = floor_to(moment, settings.interval_seconds)
        record = selection.records.get(measured.site_id) if selection is not None else None
        flow, speed = _site_values(measured, record, where)
        for metric, value in (("flow_veh_h", flow), ("speed_kmh", speed)):
            if value is not None:
                observations.append(Observation(site.id, traffic_sensor(measured.site_id), metric, start,
                                                settings.interval_seconds, round(value, 2)))
    if wanted and not observations:
        what = (f"none of the {len(wanted)} measurement sites within {settings.radius_m:g} m of a zone"
                if selection is not None and not settings.sites
                else f"none of the configured sites ({', '.join(sorted(wanted)[:5])})")
        raise SourceError(SourceReason.EMPTY, "siteMeasurements", f"{what} has a valid value in the feed")
    if selection is not None and not selection.records:
        raise SourceError(SourceReason.EMPTY, "site_table",
                          f"no measurement site of the site table lies within {settings.radius_m:g} m of any zone")
    return observations


class NdwTrafficSource(BaseSource):
    kind = "traffic_ndw"
    settings_model = NdwSettings
    data_time = "past"

    def fetch(self, settings: Any, site: Site, client: httpx.Client) -> bytes:
        raw = super().fetch(settings, site, client)
        with contextlib.suppress(SourceError):  # parse reports it
            cached_selection(settings, site, client)  # refresh the site table with the same client
        return raw

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        try:
            selection = cached_selection(settings, site)
        except FetchError as exc:
            raise SourceError(SourceReason.MISSING_FIELD, "site_table_url", f"site table unreadable: {exc}") from None
        return parse_measurements(raw, settings, site, selection)

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        try:
            selection = cached_selection(settings, site)
        except (FetchError, SourceError):
            selection = None
        described: dict[str, Any] = {sid: {"road": road} for sid, road in settings.sites.items()}
        for sid, record in (selection.records if selection else {}).items():
            described[sid] = {
                "road": settings.sites.get(sid) or record.name, "lat": record.lat, "lon": record.lon,
                "lanes": record.lanes, "zones": selection.zones.get(sid, []) if selection else [],
            }
        return {"sites": described}
