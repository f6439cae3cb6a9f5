"""Refuse personal data at the door: CSM stores aggregates only.

Two checks on every input item: field names that carry identifiers (device ids, MAC addresses,
licence plates, images, faces, phone or account numbers), and string values shaped like such
identifiers wherever they appear (a MAC address hidden in a sensor id is still a MAC address).
Refused items are kept as dead letters with those values redacted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

IDENTIFIER_FIELDS = frozenset({
    "device_id", "deviceid", "device", "mac", "mac_address", "macaddress", "bssid", "imsi", "imei",
    "msisdn", "phone", "phone_number", "ip", "ip_address", "plate", "license_plate", "licence_plate",
    "number_plate", "kenteken", "image", "image_base64", "photo", "picture", "face", "faces",
    "face_embedding", "track_id", "person_id", "user_id", "email", "name", "advertising_id", "idfa",
})
_PATTERNS = [
    ("MAC address", re.compile(r"\b[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}\b", re.IGNORECASE)),
    ("IMSI/IMEI number", re.compile(r"\b\d{15}\b")),
    ("e-mail address", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
    ("image data", re.compile(r"data:image/|/9j/4|iVBORw0KGgo")),
    # Dutch licence plates (sidecodes 4–11): e.g. 12-ABC-3, AB-123-C, 1-ABC-23
    ("licence plate", re.compile(
        r"\b(?:\d{2}-[A-Z]{3}-\d|\d-[A-Z]{3}-\d{2}|[A-Z]{2}-\d{3}-[A-Z]|[A-Z]-\d{3}-[A-Z]{2}|"
        r"[A-Z]{3}-\d{2}-[A-Z]|\d{2}-[A-Z]{2}-[A-Z]{2}|[A-Z]{2}-[A-Z]{2}-\d{2}|\d{2}-\d{2}-[A-Z]{2})\b"
    )),
]
REDACTED = "[redacted]"


def find_personal_data(item: Any, path: str = "") -> tuple[str, str] | None:
    """(field path, what it looks like) for the first identifier found, else None."""
    if isinstance(item, Mapping):
        for key, value in item.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).lower() in IDENTIFIER_FIELDS:
                return where, f"field {key!r} carries personal identifiers"
            found = find_personal_data(value, where)
            if found:
                return found
    elif isinstance(item, list):
        for index, value in enumerate(item):
            found = find_personal_data(value, f"{path}[{index}]")
            if found:
                return found
    elif isinstance(item, str):
        for label, pattern in _PATTERNS:
            if pattern.search(item):
                return path, f"value looks like a {label}"
    return None


def redact(item: Any) -> Any:
    """A copy with identifier fields and identifier-like values replaced, for the dead letters."""
    if isinstance(item, Mapping):
        return {
            k: REDACTED if str(k).lower() in IDENTIFIER_FIELDS else redact(v) for k, v in item.items()
        }
    if isinstance(item, list):
        return [redact(v) for v in item]
    if isinstance(item, str):
        text = item
        for _label, pattern in _PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text
    return item
