"""NDW traffic measurements, DATEX II v3 `MeasuredDataPublication` (XML, parsed with lxml):
per measurement site per minute, vehicle flow (com:vehicleFlowRate, vehicles/hour) and average
speed (com:speed, km/h) per lane or vehicle class.

→ sensor "traffic:<measurement site id>": flow_veh_h (sum over lanes), speed_kmh (flow-weighted
mean of valid lanes; NDW writes -1 for "no data"). Only the configured sites (the access roads).
Gzipped files (as NDW serves them, measurement.xml.gz) are unpacked first.
"""

from __future__ import annotations

import gzip
import io
import zlib
from datetime import datetime
from typing import Any

from lxml import etree
from pydantic import Field

from csm.domain.model import Observation
from csm.site.model import Site
from csm.sources.parsing import SourceReason, floor_to, number, timestamp
from csm.sources.protocol import MAX_FEED_BYTES, BaseSource, SourceError, SourceSettings

NS = {
    "roa": "http://datex2.eu/schema/3/roadTrafficData",
    "com": "http://datex2.eu/schema/3/common",
}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
MAX_FLOW = 10_000  # vehicles/hour over one lane or class
MAX_SPEED = 250  # km/h
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class NdwSettings(SourceSettings):
    sites: dict[str, str] = Field(
        default_factory=dict, description="measurement site id → road name; empty = every site in the feed"
    )
    interval_seconds: int = Field(60, ge=60, le=3600)
    poll_seconds: float = Field(60.0, gt=0)


def traffic_sensor(site_id: str) -> str:
    return f"traffic:{site_id}"


def gunzipped(raw: bytes) -> bytes:
    """NDW publishes its files gzipped (measurement.xml.gz): unpack them, within the feed limit."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        data = gzip.GzipFile(fileobj=io.BytesIO(raw)).read(MAX_FEED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise SourceError(SourceReason.BAD_FORMAT, None, f"broken or truncated gzip: {exc}") from None
    if len(data) > MAX_FEED_BYTES:
        raise SourceError(SourceReason.BAD_FORMAT, None, f"unpacked feed is larger than {MAX_FEED_BYTES} bytes")
    return data


def _type(element: Any) -> str:
    return str(element.get(XSI_TYPE, "")).split(":")[-1]


def _measurement_time(measurements: Any, where: str, site: Site) -> datetime:
    default = measurements.find("roa:measurementTimeDefault", NS)
    if default is None:
        raise SourceError(SourceReason.MISSING_FIELD, f"{where}.measurementTimeDefault", "no measurement time")
    text = default.findtext("roa:timeValue", None, NS) or (default.text or "")  # both seen in the wild
    return timestamp(text.strip(), f"{where}.measurementTimeDefault", site.tz)


def _site_values(measurements: Any, where: str) -> tuple[float | None, float | None]:
    flows, weighted, weight = [], 0.0, 0.0
    lane_flow: float | None = None
    for data in measurements.iterfind(".//roa:basicData", NS):
        kind = _type(data)
        if kind == "TrafficFlow":
            rate = data.findtext(".//com:vehicleFlowRate", None, NS)
            if rate is not None:
                lane_flow = number(rate, f"{where}.vehicleFlowRate", 0, MAX_FLOW, "vehicles/hour")
                flows.append(lane_flow)
        elif kind == "TrafficSpeed":
            speed_text = data.findtext(".//com:speed", None, NS)
            if speed_text is None:
                continue
            speed = number(speed_text, f"{where}.speed", -1, MAX_SPEED, "km/h")
            if speed >= 0:
                w = lane_flow if lane_flow else 1.0
                weighted, weight = weighted + speed * w, weight + w
    flow = sum(flows) if flows else None
    return flow, (weighted / weight if weight else None)


class NdwTrafficSource(BaseSource):
    kind = "traffic_ndw"
    settings_model = NdwSettings
    data_time = "past"

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        try:
            root = etree.fromstring(gunzipped(raw), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise SourceError(SourceReason.BAD_FORMAT, None, f"not well-formed XML: {exc}") from None
        payloads = [p for p in root.iter("{*}payload") if _type(p) == "MeasuredDataPublication"]
        if root.tag.endswith("payload") and _type(root) == "MeasuredDataPublication":
            payloads.append(root)
        if not payloads:
            raise SourceError(SourceReason.BAD_FORMAT, "payload",
                              "no DATEX II v3 MeasuredDataPublication payload in the document")
        observations: list[Observation] = []
        for payload in payloads:
            for i, measurements in enumerate(payload.iterfind("roa:siteMeasurements", NS)):
                where = f"siteMeasurements[{i}]"
                reference = measurements.find("roa:measurementSiteReference", NS)
                site_id = reference.get("id") if reference is not None else None
                if not site_id:
                    raise SourceError(SourceReason.MISSING_FIELD, f"{where}.measurementSiteReference",
                                      "siteMeasurements without a measurement site id")
                if settings.sites and site_id not in settings.sites:
                    continue
                where = f"siteMeasurements[{site_id}]"
                start = floor_to(_measurement_time(measurements, where, site), settings.interval_seconds)
                flow, speed = _site_values(measurements, where)
                for metric, value in (("flow_veh_h", flow), ("speed_kmh", speed)):
                    if value is not None:
                        observations.append(Observation(site.id, traffic_sensor(site_id), metric, start,
                                                        settings.interval_seconds, round(value, 2)))
        if settings.sites and not observations:
            raise SourceError(SourceReason.EMPTY, "siteMeasurements",
                              f"none of the configured sites ({', '.join(settings.sites)}) is in the feed")
        return observations

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        return {"sites": {sid: {"road": road} for sid, road in settings.sites.items()}}
