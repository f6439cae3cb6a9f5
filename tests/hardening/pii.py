"""Twenty forms of personal data and the five places an item can carry them (issue 12, item 2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.hardening.items import good

FORMS: dict[str, str] = {
    "e-mail": "jan.jansen@example.nl",
    "phone +31": "+31 6 12345678",
    "phone 06": "0612345678",
    "phone 06-": "06-12345678",
    "phone foreign": "+44 20 7946 0958",
    "name": "Jan de Vries",
    "IPv4": "192.168.10.23",
    "IPv6": "2001:db8::8a2e:370:7334",
    "MAC": "a4:5e:60:e8:12:01",
    "MAC bare": "a45e60e81201",
    "IMEI": "490154203237518",
    "IMEI grouped": "35-209900-176148-1",
    "IMSI": "204081234567890",
    "IBAN": "NL91ABNA0417164300",
    "BSN": "111222333",
    "plate NL": "12-ABC-3",
    "plate lower case": "ab-123-c",
    "plate BE": "1-abc-234",
    "plate UK": "AB12 CDE",
    "device UUID": "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
}


def _field_value(form: str) -> dict[str, Any]:
    item = good(minutes_ago=7)
    del item["counts"]
    return {**item, "metric": "occupancy", "value": form}


def _nested_value(form: str) -> dict[str, Any]:
    return {**good(minutes_ago=7), "counts": {"occupancy": {"seen": [form]}}}


def _field_name(form: str) -> dict[str, Any]:
    return {**good(minutes_ago=7), form: 1}


def _metric_name(form: str) -> dict[str, Any]:
    return {**good(minutes_ago=7), "counts": {form: 3}}


def _sensor_id(form: str) -> dict[str, Any]:
    return {**good(minutes_ago=7), "sensor_id": form}


PLACES: dict[str, Callable[[str], dict[str, Any]]] = {
    "field value": _field_value,
    "nested value": _nested_value,
    "field name": _field_name,
    "metric name": _metric_name,
    "sensor id": _sensor_id,
}


def leaks(form: str, text: str) -> bool:
    """Whether `text` holds the form verbatim (also JSON-escaped or without its separators)."""
    import json

    bare = "".join(ch for ch in form if ch.isalnum()).lower()
    flat = "".join(ch for ch in text if ch.isalnum()).lower()
    return form in text or json.dumps(form)[1:-1] in text or (len(bare) >= 6 and bare in flat)
