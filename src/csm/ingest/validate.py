"""Turn untrusted input items into Observations, or Rejections with a reason code and field.

An item is one JSON object::

    {"sensor_id": "cam-kurhaus-1", "interval_start": "2026-07-18T13:00:00Z",
     "interval_seconds": 60, "counts": {"in": 12, "out": 7}}

or the long form ``"metric": "in", "value": 12`` instead of ``counts``. A naive timestamp is site
local time. Only aggregates are accepted: any field outside this whitelist is refused.

Validation never raises anything but ItemError, whatever the input (issue 12): every check is
written for arbitrary JSON values, and refusal details never repeat an untrusted value that could
identify a person (see `privacy.shown`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from csm.domain.model import METRICS_BY_KIND, Observation, Rejection
from csm.domain.refusal import Reason, Refusal
from csm.domain.timestamps import parse_timestamp as parse_local_or_aware
from csm.ingest.limits import MAX_ITEM_DEPTH
from csm.ingest.payload import LongInteger, Unparsable
from csm.ingest.privacy import find_personal_data, safe_string, shown
from csm.site.model import Site

ALLOWED_FIELDS = frozenset(
    {"site_id", "sensor_id", "interval_start", "interval_seconds", "counts", "metric", "value"}
)
MAX_VALUE = 1_000_000.0
FUTURE_TOLERANCE = timedelta(minutes=5)
# Interval starts outside these years are refused before any date arithmetic (which overflows
# near years 1 and 9999).
ALL_METRICS = frozenset().union(*METRICS_BY_KIND.values())


# One refusal type and one timestamp rule for every channel (csm.domain.refusal, .timestamps).
ItemError = Refusal


def parse_timestamp(raw: Any, tz: ZoneInfo, field: str = "interval_start") -> datetime:
    """ISO 8601 to aware UTC; a naive value is local time of the site (DST gaps and folds refused)."""
    return parse_local_or_aware(raw, tz, field)


def _number(raw: Any, field: str) -> float:
    if isinstance(raw, LongInteger):
        raise ItemError(Reason.IMPLAUSIBLE_VALUE, field, f"{shown(raw)} exceeds {MAX_VALUE:.0f}")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ItemError(Reason.NOT_A_NUMBER, field, f"expected a number, got {shown(raw)}")
    if isinstance(raw, int) and abs(raw) > MAX_VALUE:
        reason = Reason.NEGATIVE_COUNT if raw < 0 else Reason.IMPLAUSIBLE_VALUE
        raise ItemError(reason, field, f"{shown(raw)} is outside 0..{MAX_VALUE:.0f}")
    value = float(raw)
    if not math.isfinite(value):
        raise ItemError(Reason.NOT_A_NUMBER, field, f"expected a finite number, got {shown(raw)}")
    if value < 0:
        raise ItemError(Reason.NEGATIVE_COUNT, field, f"counts cannot be negative, got {shown(raw)}")
    if value > MAX_VALUE:
        raise ItemError(Reason.IMPLAUSIBLE_VALUE, field, f"{shown(raw)} exceeds {MAX_VALUE:.0f}")
    return value


def nesting_depth(value: Any, limit: int = MAX_ITEM_DEPTH) -> int:
    """How deep lists and objects nest in `value`, counted only up to limit + 1 (no recursion)."""
    if isinstance(value, dict) and limit >= 2:
        # The common item: an object whose values are plain or objects of plain values (counts).
        depth = 1
        for child in value.values():
            if isinstance(child, list) or (
                isinstance(child, dict) and any(isinstance(c, dict | list) for c in child.values())
            ):
                break
            if isinstance(child, dict):
                depth = 2
        else:
            return depth
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth > limit:
                return deepest
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, depth) for child in children if isinstance(child, dict | list))
    return deepest


def trusted_words(site: Site) -> frozenset[str]:
    """Strings of the site's own configuration, which the personal-data scan need not look at."""
    return frozenset({site.id, *site.sensors, *ALL_METRICS, *ALLOWED_FIELDS})


def validate_item(
    item: Any,
    site: Site,
    now: datetime,
    max_lateness: timedelta,
    trusted: frozenset[str] | None = None,
) -> list[Observation]:
    """One input item → one or more Observations (one per metric), or ItemError."""
    if isinstance(item, Unparsable):
        raise ItemError(item.reason, None, f"an element of {item.size} bytes that cannot be parsed alone")
    if not isinstance(item, Mapping):
        raise ItemError(Reason.NOT_AN_OBJECT, None, f"expected a JSON object, got {shown(item)}")
    if nesting_depth(item) > MAX_ITEM_DEPTH:
        raise ItemError(Reason.TOO_DEEP, None, f"nested deeper than {MAX_ITEM_DEPTH} levels")
    trusted = trusted_words(site) if trusted is None else trusted
    personal = find_personal_data(item, trusted)
    if personal is not None:
        field, what = personal
        raise ItemError(Reason.PERSONAL_DATA, field, f"{what}: CSM accepts aggregate counts only")
    extra = [key for key in item if key not in ALLOWED_FIELDS]
    if extra:
        name = safe_string(str(extra[0]), trusted)
        raise ItemError(
            Reason.UNEXPECTED_FIELD, name,
            f"field {name!r} is not accepted: only aggregate counts ({', '.join(sorted(ALLOWED_FIELDS))})",
        )
    if "site_id" in item and item["site_id"] != site.id:
        raise ItemError(Reason.UNKNOWN_SITE, "site_id", f"unknown site {shown(item['site_id'])}")
    sensor_id = item.get("sensor_id")
    if sensor_id is None:
        raise ItemError(Reason.MISSING_FIELD, "sensor_id", "sensor_id is required")
    sensor = site.sensors.get(sensor_id) if isinstance(sensor_id, str) else None
    if sensor is None:
        raise ItemError(
            Reason.UNKNOWN_SENSOR, "sensor_id", f"sensor {shown(sensor_id)} is not in site {site.id!r}"
        )
    if "interval_start" not in item:
        raise ItemError(Reason.MISSING_FIELD, "interval_start", "interval_start is required")
    start = parse_timestamp(item["interval_start"], site.tz)
    seconds = item.get("interval_seconds", sensor.interval_seconds)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds != sensor.interval_seconds:
        raise ItemError(
            Reason.INTERVAL_MISMATCH, "interval_seconds",
            f"sensor {sensor.id} reports every {sensor.interval_seconds} s, got {shown(seconds)}",
        )
    if int(start.timestamp()) % seconds or start.microsecond:
        raise ItemError(
            Reason.INTERVAL_MISALIGNED, "interval_start",
            f"{start.isoformat()} is not on a {seconds} s boundary",
        )
    end = start + timedelta(seconds=seconds)
    if end > now + FUTURE_TOLERANCE:
        raise ItemError(Reason.IN_FUTURE, "interval_start", f"interval ends {end.isoformat()}, after now")
    if start < now - max_lateness:
        raise ItemError(
            Reason.TOO_LATE, "interval_start",
            f"older than the accepted lateness of {max_lateness}",
        )
    return [
        Observation(site.id, sensor.id, metric, start, seconds, value)
        for metric, value in _metric_values(item, sensor.kind.value, METRICS_BY_KIND[sensor.kind])
    ]


def _metric_values(item: Mapping[str, Any], kind: str, allowed: frozenset[str]) -> list[tuple[str, float]]:
    if "counts" in item:
        if "metric" in item or "value" in item:
            raise ItemError(Reason.UNEXPECTED_FIELD, "metric", "give either counts or metric/value")
        counts = item["counts"]
        if not isinstance(counts, Mapping) or not counts:
            raise ItemError(Reason.NOT_AN_OBJECT, "counts", "counts must be a non-empty object")
        pairs = list(counts.items())
        where = "counts."
    elif "metric" in item:
        if "value" not in item:
            raise ItemError(Reason.MISSING_FIELD, "value", "value is required with metric")
        pairs = [(item["metric"], item["value"])]
        where = ""
    else:
        raise ItemError(Reason.MISSING_FIELD, "counts", "counts (or metric and value) is required")
    values = []
    for metric, raw_value in pairs:
        if not isinstance(metric, str) or metric not in allowed:
            raise ItemError(
                Reason.UNKNOWN_METRIC, f"counts.{safe_string(str(metric))}" if where else "metric",
                f"a {kind} reports {sorted(allowed)}, not {shown(metric)}",
            )
        values.append((metric, _number(raw_value, f"counts.{metric}" if where else "value")))
    return values


def rejection_of(error: ItemError, index: int | None) -> Rejection:
    return Rejection(reason=error.reason, field=error.field, detail=error.detail, index=index)
