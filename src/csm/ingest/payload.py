"""Split an untrusted JSON document into items without letting any item break the others.

`split_items` answers the items of a batch (a list, `{"observations": [...]}` or one object), or a
`PayloadRefusal` for a document that cannot be a batch at all: not JSON, too many items, nested
beyond the parser's limits. Integers longer than `MAX_INTEGER_DIGITS` are kept as `LongInteger`
markers (refused per item later), so a 5,000-digit number cannot make the parser raise. When one
item nests deeper than the parser can follow, the top-level list is cut into its elements and each
is parsed alone: only that item is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from csm.ingest.limits import MAX_INTEGER_DIGITS, MAX_ITEMS_PER_BATCH


class Refusal:
    """Reason codes of whole-payload refusals (per-item reasons live in `validate.Reason`)."""

    BAD_JSON = "bad_json"
    TOO_DEEP = "too_deep"
    TOO_MANY_ITEMS = "too_many_items"
    TOO_LARGE = "payload_too_large"
    NOT_A_BATCH = "not_a_batch"


@dataclass(frozen=True, slots=True)
class LongInteger:
    """A JSON integer too long to be a count: only its length is kept."""

    digits: int


@dataclass(frozen=True, slots=True)
class Unparsable:
    """One element of a batch that could not be parsed on its own (nested too deep)."""

    reason: str
    size: int


@dataclass(frozen=True, slots=True)
class PayloadRefusal:
    reason: str
    detail: str


def _parse_int(text: str) -> int | LongInteger:
    digits = len(text.lstrip("-"))
    return LongInteger(digits) if digits > MAX_INTEGER_DIGITS else int(text)


# Every digit becomes "0" and every other byte a space: a run of digits longer than any accepted
# integer is then one `in` test away (C speed, a few ms for a full batch).
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_RUN = b"0" * (MAX_INTEGER_DIGITS + 1)


def _may_hold_long_integer(text: str | bytes) -> bool:
    """False only when no integer in `text` can be longer than MAX_INTEGER_DIGITS."""
    if isinstance(text, str):
        data = text.encode("utf-8", "surrogatepass")
    elif _encoding(text) == "utf-8":
        data = text
    else:
        return True  # UTF-16/32: digits are not adjacent bytes; take the careful parse
    return _LONG_RUN in data.translate(_DIGITS_AS_ZERO)


def loads(text: str | bytes) -> Any:
    """json.loads with long integers as markers; raises ValueError or RecursionError.

    The marker hook costs a Python call per integer (a third of the parse of a batch, a tenth of
    an MQTT reading's ingest): it is used only when the text holds a run of digits long enough to
    need it; otherwise the result is the same without it."""
    decoder = _MARKING if _may_hold_long_integer(text) else _PLAIN
    if isinstance(text, bytes):  # as json.loads does, without its per-call decoder for a hook
        text = text.decode(_encoding(text), "surrogatepass")
    return decoder.decode(text)


def _encoding(data: bytes) -> str:
    """json.detect_encoding, answered at once for the usual JSON text: UTF-8 opening an object or a
    list (a UTF-16/32 text has a zero byte next to its first character, a BOM is not `{` or `[`)."""
    if data[:1] in (b"{", b"[") and data[1:2] != b"\x00":
        return "utf-8"
    return json.detect_encoding(data)


# Made once: json.loads with a hook builds a decoder per call, a tenth of an MQTT reading's ingest.
_MARKING = json.JSONDecoder(parse_int=_parse_int)
_PLAIN = json.JSONDecoder()


def _comma_bound(text: str | bytes) -> int:
    return text.count(b",") if isinstance(text, bytes) else text.count(",")


def split_items(payload: str | bytes, max_items: int = MAX_ITEMS_PER_BATCH) -> list[Any] | PayloadRefusal:
    """The items of a batch, or why the payload as a whole is refused."""
    # A legitimate item has fewer than 16 commas; far more commas than that cannot be a batch
    # within the cap, so it is refused before the parser builds a million objects.
    if _comma_bound(payload) > max_items * 16:
        return PayloadRefusal(Refusal.TOO_MANY_ITEMS, f"more than {max_items} items in one batch")
    try:
        document = loads(payload)
    except RecursionError:
        return _split_deep(payload, max_items)
    except (ValueError, UnicodeDecodeError) as exc:
        return PayloadRefusal(Refusal.BAD_JSON, f"not valid JSON ({type(exc).__name__} at {_position(exc)})")
    return _items_of(document, max_items)


def _position(exc: Exception) -> str:
    position = getattr(exc, "pos", None)
    return f"character {position}" if position is not None else "the start"


def _items_of(document: Any, max_items: int) -> list[Any] | PayloadRefusal:
    if isinstance(document, dict) and "observations" in document:
        document = document["observations"]
        if not isinstance(document, list):
            return PayloadRefusal(Refusal.NOT_A_BATCH, "`observations` must be a list of items")
    items = document if isinstance(document, list) else [document]
    if len(items) > max_items:
        return PayloadRefusal(Refusal.TOO_MANY_ITEMS, f"{len(items)} items; at most {max_items} in one batch")
    return items


# Cutting a list into elements is a Python loop: only for bodies up to this size.
_DEEP_SPLIT_LIMIT = 1024 * 1024
_SKIP = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.S)


def _split_deep(payload: str | bytes, max_items: int) -> list[Any] | PayloadRefusal:
    """Parse each element of a top-level list alone; elements nested too deep become Unparsable."""
    data = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload
    start = len(data) - len(data.lstrip())
    if data[start:start + 1] != b"[" or len(data) > _DEEP_SPLIT_LIMIT:
        return PayloadRefusal(Refusal.TOO_DEEP, "nested deeper than the parser follows")
    items: list[Any] = []
    depth = 0
    element_start = start + 1
    for match in _SKIP.finditer(data, start):
        token = match.group(0)
        if token in (b"[", b"{"):
            depth += 1
        elif token in (b"]", b"}"):
            depth -= 1
            if depth == 0:
                items.append(_parse_element(data[element_start:match.start()]))
                break
        elif token == b"," and depth == 1:
            items.append(_parse_element(data[element_start:match.start()]))
            element_start = match.end()
        if len(items) > max_items:
            return PayloadRefusal(Refusal.TOO_MANY_ITEMS, f"more than {max_items} items in one batch")
    else:
        return PayloadRefusal(Refusal.BAD_JSON, "not valid JSON (unbalanced brackets)")
    return [i for i in items if i is not _EMPTY]


_EMPTY = object()


def _parse_element(chunk: bytes) -> Any:
    if not chunk.strip():
        return _EMPTY
    try:
        return loads(chunk)
    except RecursionError:
        return Unparsable(Refusal.TOO_DEEP, len(chunk))
    except (ValueError, UnicodeDecodeError):
        return Unparsable(Refusal.BAD_JSON, len(chunk))
