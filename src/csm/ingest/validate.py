"""Turn untrusted input items into Observations, or Rejections with a reason code and field.

An item is one JSON object::

    {"sensor_id": "cam-kurhaus-1", "interval_start": "2026-07-18T13:00:00Z",
     "interval_seconds": 60, "counts": {"in": 12, "out": 7}}

or the long form ``"metric": "in", "value": 12`` instead of ``counts``. A naive timestamp is site
local time. Only aggregates are accepted: any field outside this whitelist is refused.
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
from csm.ingest.privacy import find_personal_data
from csm.site.model import Site

ALLOWED_FIELDS = frozenset(
    {"site_id", "sensor_id", "interval_start", "interval_seconds", "counts", "metric", "value"}
)
MAX_VALUE = 1_000_000.0
FUTURE_TOLERANCE = timedelta(minutes=5)


# One refusal type and one timestamp rule for every channel (csm.domain.refusal, .timestamps).
ItemError = Refusal


def parse_timestamp(raw: Any, tz: ZoneInfo, field: str = "interval_start") -> datetime:
    """ISO 8601 to aware UTC; a naive value is local time of the site (DST gaps and folds refused)."""
    return parse_local_or_aware(raw, tz, field)


def _number(raw: Any, field: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ItemError(Reason.NOT_A_NUMBER, field, f"expected a number, got {raw!r}")
    value = float(raw)
    if not math.isfinite(value):
        raise ItemError(Reason.NOT_A_NUMBER, field, f"expected a finite number, got {raw!r}")
    if value < 0:
        raise ItemError(Reason.NEGATIVE_COUNT, field, f"counts cannot be negative, got {raw!r}")
    if value > MAX_VALUE:
        raise ItemError(Reason.IMPLAUSIBLE_VALUE, field, f"{raw!r} exceeds {MAX_VALUE:.0f}")
    return value


def validate_item(
    item: Any,
    site: Site,
    now: datetime,
    max_lateness: timedelta,
) -> list[Observation]:
    """One input item → one or more Observations (one per metric), or ItemError."""
    if not isinstance(item, Mapping):
        raise ItemError(Reason.NOT_AN_OBJECT, None, f"expected a JSON object, got {type(item).__name__}")
    personal = find_personal_data(item)
    if personal is not None:
        field, what = personal
        raise ItemError(Reason.PERSONAL_DATA, field, f"{what}: CSM accepts aggregate counts only")
    extra = set(item) - ALLOWED_FIELDS
    if extra:
        name = sorted(extra)[0]
        raise ItemError(
            Reason.UNEXPECTED_FIELD, name,
            f"field {name!r} is not accepted: only aggregate counts ({', '.join(sorted(ALLOWED_FIELDS))})",
        )
    if "site_id" in item and item["site_id"] != site.id:
        raise ItemError(Reason.UNKNOWN_SITE, "site_id", f"unknown site {item['site_id']!r}")
    sensor_id = item.get("sensor_id")
    if sensor_id is None:
        raise ItemError(Reason.MISSING_FIELD, "sensor_id", "sensor_id is required")
    sensor = site.sensors.get(sensor_id) if isinstance(sensor_id, str) else None
    if sensor is None:
        raise ItemError(
            Reason.UNKNOWN_SENSOR, "sensor_id", f"sensor {str(sensor_id)[:64]!r} is not in site {site.id!r}"
        )
    if "interval_start" not in item:
        raise ItemError(Reason.MISSING_FIELD, "interval_start", "interval_start is required")
    start = parse_timestamp(item["interval_start"], site.tz)
    seconds = item.get("interval_seconds", sensor.interval_seconds)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds != sensor.interval_seconds:
        raise ItemError(
            Reason.INTERVAL_MISMATCH, "interval_seconds",
            f"sensor {sensor.id} reports every {sensor.interval_seconds} s, got {seconds!r}",
        )
    if int(start.timestamp()) % seconds or start.microsecond:
        raise ItemError(
            Reason.INTERVAL_MISALIGNED, "interval_start",
            f"{item['interval_start']} is not on a {seconds} s boundary",
        )
    end = start + timedelta(seconds=seconds)
    if end > now + FUTURE_TOLERANCE:
        raise ItemError(Reason.IN_FUTURE, "interval_start", f"interval ends {end.isoformat()}, after now")
    if start < now - max_lateness:
        raise ItemError(
            Reason.TOO_LATE, "interval_start",
            f"older than the accepted lateness of {max_lateness}",
        )
    allowed = METRICS_BY_KIND[sensor.kind]
    if "counts" in item:
        if "metric" in item or "value" in item:
            raise ItemError(Reason.UNEXPECTED_FIELD, "metric", "give either counts or metric/value")
        counts = item["counts"]
        if not isinstance(counts, Mapping) or not counts:
            raise ItemError(Reason.NOT_AN_OBJECT, "counts", "counts must be a non-empty object")
        pairs = list(counts.items())
    elif "metric" in item:
        if "value" not in item:
            raise ItemError(Reason.MISSING_FIELD, "value", "value is required with metric")
        pairs = [(item["metric"], item["value"])]
    else:
        raise ItemError(Reason.MISSING_FIELD, "counts", "counts (or metric and value) is required")
    observations = []
    for metric, raw_value in pairs:
        if metric not in allowed:
            raise ItemError(
                Reason.UNKNOWN_METRIC, f"counts.{metric}" if "counts" in item else "metric",
                f"a {sensor.kind.value} reports {sorted(allowed)}, not {str(metric)[:32]!r}",
            )
        field = f"counts.{metric}" if "counts" in item else "value"
        observations.append(
            Observation(site.id, sensor.id, metric, start, seconds, _number(raw_value, field))
        )
    return observations


def rejection_of(error: ItemError, index: int | None) -> Rejection:
    return Rejection(reason=error.reason, field=error.field, detail=error.detail, index=index)
