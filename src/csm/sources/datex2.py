"""Streaming reader of DATEX II documents as NDW publishes them: v2 (`d2LogicalModel`, often
inside a SOAP envelope) and v3 (`messageContainer` / `payload`), measured data and measurement
site tables, gzipped or not.

National files are 50–150 MB of XML: lxml `iterparse` with a tag filter hands over one
`siteMeasurements` / site record at a time, and each is cleared once read, so memory stays flat.
The size limit counts unpacked bytes while streaming instead of refusing a file up front.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from csm.sources.parsing import SourceReason
from csm.sources.protocol import SourceError

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
MAX_UNPACKED_BYTES = 2 * 1024**3  # a streaming guard against zip bombs, far above real files
PAYLOAD_WITHIN_BYTES = 1024**2  # real documents name their payload in the first kilobytes
MEASURED = "MeasuredDataPublication"
SITE_TABLE = "MeasurementSiteTablePublication"


class _GuardedReader(io.RawIOBase):
    """Reads a (gzipped) byte string, unpacking on the fly and counting unpacked bytes."""

    def __init__(self, raw: bytes, limit: int, found: Publication) -> None:
        self._inner: io.BufferedIOBase = (
            gzip.GzipFile(fileobj=io.BytesIO(raw)) if raw[:2] == b"\x1f\x8b" else io.BytesIO(raw)
        )
        self._limit = limit
        self._found = found
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        try:
            chunk = self._inner.read(size if size is not None and size >= 0 else 1 << 20)
        except (OSError, EOFError, zlib.error) as exc:
            raise SourceError(SourceReason.BAD_FORMAT, None, f"broken or truncated gzip: {exc}") from None
        self.count += len(chunk)
        if self.count > self._limit:
            raise SourceError(SourceReason.BAD_FORMAT, None,
                              f"unpacked document is larger than {self._limit} bytes (streaming guard)")
        if self.count > PAYLOAD_WITHIN_BYTES and self._found.publication == "none":
            # without a payload nothing is ever released: refuse before a large document fills memory
            raise SourceError(SourceReason.BAD_FORMAT, "payloadPublication",
                              f"no DATEX II payloadPublication or payload in the first {PAYLOAD_WITHIN_BYTES} bytes")
        return chunk


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _namespace(tag: Any) -> str:
    text = str(tag)
    return text[1:].split("}", 1)[0] if text.startswith("{") else ""


def xsi_type(element: Any) -> str:
    return str(element.get(XSI_TYPE, "")).split(":")[-1]


def _version_of(namespace: str) -> str:
    if "/schema/2/" in namespace or namespace.endswith("/2_0"):
        return "v2"
    if "/schema/3/" in namespace:
        return "v3"
    return f"unknown ({namespace or 'no namespace'})"


@dataclass
class Publication:
    """What the document turned out to be, for errors that name it."""

    version: str = "unknown"
    publication: str = "none"

    def describe(self) -> str:
        return f"DATEX II {self.version} {self.publication}"


def _release(element: Any) -> None:
    """Free a handled element and the already-handled siblings before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _events(raw: bytes, tags: tuple[str, ...], found: Publication, expected: str,
            limit: int) -> Iterator[Any]:
    """Yield finished elements with the given local names; `found` is filled from the payload.

    Stops at the payload's start when it is not the `expected` publication: a national situation
    file (160 MB of roadworks) is refused at once instead of being parsed whole for nothing.
    """
    reader = _GuardedReader(raw, limit, found)
    wanted = tuple(f"{{*}}{t}" for t in tags)
    context = etree.iterparse(
        reader, events=("start", "end"), tag=("{*}payloadPublication", "{*}payload", *wanted),
        resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True,
    )
    try:
        for event, element in context:
            name = _local(element.tag)
            if event == "start":
                if name in ("payloadPublication", "payload") and found.publication == "none":
                    found.version = _version_of(_namespace(element.tag))
                    found.publication = xsi_type(element) or name
                    if found.publication != expected:
                        return
                continue
            if name in tags:
                yield element
                _release(element)
    except etree.XMLSyntaxError as exc:
        raise SourceError(SourceReason.BAD_FORMAT, None,
                          f"not well-formed XML ({found.describe()} so far): {exc}") from None


def _text(element: Any, name: str) -> str | None:
    for child in element.iter(f"{{*}}{name}"):
        if child.text and child.text.strip():
            return str(child.text).strip()
    return None


# -- measured data -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasuredValue:
    index: str
    kind: str  # TrafficFlow, TrafficSpeed, ...
    value: float | None  # None: no data (data error, -1, no input values)
    inputs: int | None  # numberOfInputValuesUsed


@dataclass(frozen=True)
class SiteMeasurements:
    site_id: str | None
    time_text: str | None
    values: list[MeasuredValue]


def _flagged(holder: Any) -> bool:
    """DATEX II `dataError` (v2 and v3) marks a value the supplier knows to be wrong; it sits
    beside the value, in the element that also carries numberOfInputValuesUsed."""
    return any(_local(c.tag) == "dataError" and (c.text or "").strip().lower() == "true" for c in holder)


def _measured_value(index: str, basic: Any) -> MeasuredValue:
    kind = xsi_type(basic)
    name = {"TrafficFlow": "vehicleFlowRate", "TrafficSpeed": "speed"}.get(kind)
    element = next(basic.iter(f"{{*}}{name}"), None) if name else None
    if element is None:
        return MeasuredValue(index, kind, None, None)
    holder = element.getparent()
    inputs_text = holder.get("numberOfInputValuesUsed")
    inputs = int(inputs_text) if inputs_text and inputs_text.isdigit() else None
    text = (element.text or "").strip()
    try:
        value: float | None = float(text)
    except ValueError:
        raise SourceError(SourceReason.BAD_VALUE, f"measuredValue[{index}].{name}",
                          f"{name} is not a number: {text[:32]!r}") from None
    if _flagged(holder) or (kind == "TrafficSpeed" and (value is None or value < 0 or inputs == 0)):
        value = None
    return MeasuredValue(index, kind, value, inputs)


def _site_measurements(element: Any) -> SiteMeasurements:
    reference = next(element.iter("{*}measurementSiteReference"), None)
    site_id = reference.get("id") if reference is not None else None
    default = next(element.iter("{*}measurementTimeDefault"), None)
    time_text = None
    if default is not None:
        time_text = _text(default, "timeValue") or (default.text or "").strip() or None  # v3 / v2
    values = []
    for child in element:
        index = child.get("index")
        if index is None:
            continue
        basic = next(child.iter("{*}basicData"), None)
        if basic is not None:
            values.append(_measured_value(index, basic))
    return SiteMeasurements(site_id, time_text, values)


def measured_sites(raw: bytes, limit: int = MAX_UNPACKED_BYTES) -> Iterator[SiteMeasurements]:
    """Every `siteMeasurements` of a v2 or v3 MeasuredDataPublication, streamed."""
    found = Publication()
    for element in _events(raw, ("siteMeasurements",), found, MEASURED, limit):
        if found.publication != MEASURED:
            break
        yield _site_measurements(element)
    if found.publication != MEASURED:
        raise SourceError(SourceReason.BAD_FORMAT, "payloadPublication",
                          f"expected a DATEX II v2 or v3 {MEASURED}, found {found.describe()}")


# -- measurement site table ----------------------------------------------------------------------
@dataclass(frozen=True)
class Characteristic:
    lane: str | None
    value_type: str | None  # trafficFlow, trafficSpeed, ...
    any_vehicle: bool  # False: a vehicle length class (the classes add up to the total)


@dataclass
class SiteRecord:
    id: str
    name: str | None
    lat: float | None
    lon: float | None
    lanes: int | None
    characteristics: dict[str, Characteristic] = field(default_factory=dict)


def _coordinates(location: Any) -> tuple[float, float] | None:
    """The display point if given, else the first coordinate pair of the location."""
    display = next(location.iter("{*}locationForDisplay"), None)
    for holder in ([display] if display is not None else []) + [location]:
        lat, lon = _text(holder, "latitude"), _text(holder, "longitude")
        if lat is not None and lon is not None:
            try:
                return float(lat), float(lon)
            except ValueError:
                return None
    return None


def _site_record(element: Any) -> SiteRecord:
    location = next(element.iter("{*}measurementSiteLocation"), None)
    point = _coordinates(location) if location is not None else None
    lanes = _text(element, "measurementSiteNumberOfLanes")
    name_holder = next(element.iter("{*}measurementSiteName"), None)
    record = SiteRecord(
        id=str(element.get("id")), name=_text(name_holder, "value") if name_holder is not None else None,
        lat=point[0] if point else None, lon=point[1] if point else None,
        lanes=int(lanes) if lanes and lanes.isdigit() else None,
    )
    for spec in element.iterchildren("{*}measurementSpecificCharacteristics"):
        index = spec.get("index")
        if index is None:
            continue
        vehicle = _text(spec, "vehicleType")
        record.characteristics[index] = Characteristic(
            lane=_text(spec, "specificLane"),
            value_type=_text(spec, "specificMeasurementValueType") or _text(spec, "physicalQuantityType"),
            any_vehicle=vehicle == "anyVehicle" or next(spec.iter("{*}lengthCharacteristic"), None) is None,
        )
    return record


def site_table(raw: bytes, keep: Any = None, limit: int = MAX_UNPACKED_BYTES) -> dict[str, SiteRecord]:
    """Records of a v2/v3 MeasurementSiteTablePublication; `keep(record)` filters while streaming."""
    found = Publication()
    records: dict[str, SiteRecord] = {}
    # v2 calls a site `measurementSiteRecord`, v3 `measurementSite`.
    for element in _events(raw, ("measurementSiteRecord", "measurementSite"), found, SITE_TABLE,
                           limit):
        if found.publication != SITE_TABLE:
            break
        if element.get("id") is None:
            continue
        record = _site_record(element)
        if keep is None or keep(record):
            records[record.id] = record
    if found.publication != SITE_TABLE:
        raise SourceError(SourceReason.BAD_FORMAT, "payloadPublication",
                          f"expected a DATEX II v2 or v3 {SITE_TABLE}, found {found.describe()}")
    return records
