"""Validate the usual item straight into columns (issue 17, item 3): per item a few type and set
checks, per distinct interval start (the same few minutes arrive from every sensor) the
timestamp parse, the personal-data scan and the time checks once.

The fast path only ever ACCEPTS: an item of the usual shape (`sensor_id`, `interval_start`,
optional `interval_seconds` and `site_id`, `counts` of plain numbers) that passes every check
`validate.validate_item` makes goes into the columns as the Observations that function would
return; anything else — another shape, a value out of range, a string that could be personal
data, a timestamp that is unreadable, misaligned, ambiguous, too late or in the future — goes to
the full validation, which refuses it with its reason (or accepts it, as before). Tests compare
the two on edge cases (tests/ingest/test_columns.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from csm.domain.model import METRICS_BY_KIND
from csm.domain.refusal import Refusal
from csm.ingest.identifiers import integer_kind
from csm.ingest.privacy import personal_string_kind
from csm.ingest.validate import FUTURE_TOLERANCE, MAX_VALUE, parse_timestamp
from csm.site.model import Site
from csm.store.columns import ObservationColumns

# The fields of the usual item; all of them are in validate.ALLOWED_FIELDS (trusted names).
_USUAL_FIELDS = frozenset({"site_id", "sensor_id", "interval_start", "interval_seconds", "counts"})


def validate_into(
    items: Sequence[Any],
    columns: ObservationColumns,
    site: Site,
    now: datetime,
    max_lateness: timedelta,
    full_validation: Callable[[int, Any], None],
    allowed_sensors: frozenset[str] | None = None,
    expected_sensors: Sequence[str] | None = None,
) -> None:
    """Append each usual, valid item's observations to `columns`; call `full_validation(index,
    item)` for every other item, in order (so the first of a repeated key still wins)."""
    sensors = site.sensors
    site_id = site.id
    metrics_of = {sensor.id: METRICS_BY_KIND[sensor.kind] for sensor in sensors.values()}
    starts: dict[tuple[str, int], datetime | None] = {}
    add_sensor, add_metric, add_start = columns.sensor_ids.append, columns.metrics.append, columns.starts.append
    add_seconds, add_value = columns.seconds.append, columns.values.append
    item_keys = columns.item_keys
    for index, item in enumerate(items):
        if type(item) is not dict or not item.keys() <= _USUAL_FIELDS:
            full_validation(index, item)
            continue
        sensor_id = item.get("sensor_id")
        sensor = sensors.get(sensor_id) if type(sensor_id) is str else None
        if (
            sensor is None
            or (expected_sensors is not None and sensor_id != expected_sensors[index])
            or (allowed_sensors is not None and sensor_id not in allowed_sensors)
            or ("site_id" in item and item["site_id"] != site_id)
        ):
            full_validation(index, item)
            continue
        seconds = item.get("interval_seconds", sensor.interval_seconds)
        raw_start = item.get("interval_start")
        counts = item.get("counts")
        if (
            type(seconds) is not int or seconds != sensor.interval_seconds
            or type(raw_start) is not str or type(counts) is not dict or not counts
        ):
            full_validation(index, item)
            continue
        key = (raw_start, seconds)
        start = starts[key] if key in starts else starts.setdefault(
            key, _checked_start(raw_start, seconds, site, now, max_lateness)
        )
        if start is None or not _plain_counts(counts, metrics_of[sensor.id]):
            full_validation(index, item)
            continue
        item_key = (sensor.id, start)
        if item_key in item_keys:
            columns.repeats = True  # the same sensor and interval again: the store keeps the first
        else:
            item_keys.add(item_key)
        for metric, value in counts.items():
            add_sensor(sensor.id)
            add_metric(metric)
            add_start(start)
            add_seconds(seconds)
            add_value(float(value))


def _plain_counts(counts: dict[Any, Any], allowed: frozenset[str]) -> bool:
    """Every metric is the sensor's and every value a plain number in 0..MAX_VALUE (far below
    any number the personal-data scan looks at; NaN fails the range test)."""
    for metric, value in counts.items():
        kind = type(value)
        if metric not in allowed or not (kind is int or kind is float) or not 0 <= value <= MAX_VALUE:
            return False
    return True


def _checked_start(raw: str, seconds: int, site: Site, now: datetime, max_lateness: timedelta) -> datetime | None:
    """The interval start as naive UTC when it passes every check validate_item makes on it (and
    the scan finds nothing personal in it or in `seconds`), else None (the full path decides)."""
    if personal_string_kind(raw) is not None or integer_kind(seconds) is not None:
        return None
    try:
        start = parse_timestamp(raw, site.tz)
        if int(start.timestamp()) % seconds or start.microsecond:
            return None
        if start + timedelta(seconds=seconds) > now + FUTURE_TOLERANCE or start < now - max_lateness:
            return None
    except (Refusal, ArithmeticError, ValueError, OverflowError):
        return None
    return start.replace(tzinfo=None)
