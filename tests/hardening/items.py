"""Hostile items shared by the hardening tests: each is JSON text to splice into a batch."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.conftest import NOON


def good(sensor: str = "cam-a", minutes_ago: int = 2, value: float = 10) -> dict[str, Any]:
    start = NOON - timedelta(minutes=minutes_ago)
    return {"sensor_id": sensor, "interval_start": start.isoformat().replace("+00:00", "Z"),
            "interval_seconds": 60, "counts": {"occupancy": value}}


def good_text(minutes_ago: int) -> str:
    return json.dumps(good(minutes_ago=minutes_ago))


def with_field(name: str, raw_json: str) -> str:
    """A good item whose `name` field is replaced by raw JSON text (which may not survive json.dumps)."""
    base = {k: v for k, v in good(minutes_ago=5).items() if k != name}
    text = json.dumps(base)
    return text[:-1] + f', "{name}": {raw_json}}}'


DEEP = 100_000
# Items whose validation used to raise instead of refusing (issue 12, item 1).
LONG_FORM = ('"counts": {"occupancy": 10}, ', '"value": 3, ')
MALFORMED: dict[str, str] = {
    "metric as list": with_field("metric", '["occupancy"]').replace(*LONG_FORM),
    "metric as object": with_field("metric", '{"occupancy": 1}').replace(*LONG_FORM),
    "5000-digit integer": with_field("counts", '{"occupancy": ' + "7" * 5000 + "}"),
    "10**400": with_field("counts", '{"occupancy": 1' + "0" * 400 + "}"),
    "1e400": with_field("counts", '{"occupancy": 1e400}'),
    "NaN": with_field("counts", '{"occupancy": NaN}'),
    "year 0001": with_field("interval_start", '"0001-01-01T00:00:00Z"'),
    "year 0001 local": with_field("interval_start", '"0001-01-01T00:00:00"'),
    "year 9999": with_field("interval_start", '"9999-12-31T23:59:00-05:00"'),
    "year 9999 local": with_field("interval_start", '"9999-12-31T23:59:00"'),
    "nested 60 deep": with_field("counts", '{"occupancy": ' + "[" * 60 + "]" * 60 + "}"),
    "interval_seconds huge": with_field("interval_seconds", "1" + "0" * 40),
    "interval_seconds list": with_field("interval_seconds", "[60]"),
    "sensor_id object": with_field("sensor_id", '{"id": "cam-a"}'),
    "sensor_id lone surrogate": with_field("sensor_id", '"cam-\\ud800"'),
    "sensor_id NUL": with_field("sensor_id", '"cam-\\u0000a"'),
    "counts as list": with_field("counts", '[["occupancy", 3]]'),
    "counts empty key": with_field("counts", '{"": 3}'),
    "value true": with_field("counts", '{"occupancy": true}'),
    "site_id list": with_field("site_id", '["tiny"]'),
    "huge string": with_field("sensor_id", json.dumps("x" * 200_000)),
}
# A batch whose one item nests deeper than any JSON parser recursion limit.
DEEP_ITEM = "[" * DEEP + "]" * DEEP


def batch(bad: str, first: int = 2, second: int = 3) -> bytes:
    return f"[{good_text(first)}, {bad}, {good_text(second)}]".encode()


# Whole bodies that are not a usable batch: answered with 4xx, never 5xx.
BAD_BODIES: dict[str, bytes] = {
    "empty": b"",
    "not JSON": b"\xff\xfe{not json",
    "truncated": b'[{"sensor_id": "cam-a",',
    "null": b"null",
    "number": b"5",
    "string": b'"text"',
    "observations not a list": b'{"observations": 5}',
    "observations object": b'{"observations": {"a": 1}}',
    "deep alone": DEEP_ITEM.encode(),
    "deep object": ('{"a":' * DEEP + "1" + "}" * DEEP).encode(),
    "huge integer alone": b"9" * 6000,
}
