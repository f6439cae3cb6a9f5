"""Refuse personal data at the door and keep only a redacted shape of refused input.

`find_personal_data` checks every key and value of an item, nested too (a MAC address hidden in a
sensor id is still a MAC address). `redacted_shape` is what a dead letter keeps instead of the raw
input: the same structure, with identifier-like keys and values replaced by `<redacted:KIND>`,
free text that is not a code or a timestamp cut to `<text:N chars>`, long numbers cut to their digit
count, and long lists, objects and nesting bounded. `shown` renders one untrusted value for a
refusal detail without repeating anything that could identify a person.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from typing import Any

from csm.ingest.identifiers import ISO_TIMESTAMP, announced_kind, integer_kind, key_kind, string_kind
from csm.ingest.payload import LongInteger, Unparsable

SHAPE_MAX_DEPTH = 8
SHAPE_MAX_ITEMS = 50
_CODE_LIKE = re.compile(r"[A-Za-z0-9_.:+-]{1,64}")
_HAS_DIGIT_OR_SEPARATOR = re.compile(r"[0-9_.:+-]")
_NO_TRUST: frozenset[str] = frozenset()
# A long number of no known form is cut from dead letters but is no reason to call an item personal.
_REDACT_ONLY = frozenset({"number"})


def find_personal_data(
    item: Any, trusted: Collection[str] = _NO_TRUST, max_depth: int = 64
) -> tuple[str, str] | None:
    """(redacted field path, what it looks like) for the first identifier found, else None.

    Strings in `trusted` (the site's own sensor ids, metrics, field names) are not scanned. The
    path of a field is kept as links to its parent and written out only for a finding: nearly
    every item has none, and building every path string was most of the scan's time."""
    stack: list[tuple[Any, _Path, int]] = [(item, None, 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > max_depth:
            continue  # refused as too deep elsewhere; nothing beyond is stored
        if isinstance(value, str):
            kind = None if value in trusted else string_kind(value)
            if kind is not None and kind not in _REDACT_ONLY:
                return _render(path, trusted), _what(kind, field=False)
        elif isinstance(value, dict):
            children = []
            for key, child in value.items():
                name = str(key)
                kind = None if name in trusted else key_kind(name)
                where = (path, name, -1)
                if kind is not None and kind not in _REDACT_ONLY:
                    return _render(where, trusted), _what(kind, field=True)
                if isinstance(child, str | dict | list | int):
                    children.append((child, where, depth + 1))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(v, (path, None, i), depth + 1) for i, v in enumerate(value)]))
        elif isinstance(value, int) and not isinstance(value, bool):
            kind = integer_kind(value)
            if kind is not None:
                return _render(path, trusted), _what(kind, field=False)
    return None


def personal_string_kind(text: str) -> str | None:
    """What identifier an untrusted string holds, as `find_personal_data` would refuse it, else None."""
    kind = string_kind(text)
    return None if kind is None or kind in _REDACT_ONLY else kind


# A field's place: (its parent's place, key name or None for a list index, list index), or None at the top.
_Path = tuple[Any, str | None, int] | None


def _render(path: _Path, trusted: Collection[str]) -> str:
    """`a.b[2].c` for a place, each untrusted key name in its safe form."""
    links = []
    while path is not None:
        links.append(path)
        path = path[0]
    text = ""
    for _parent, name, index in reversed(links):
        if name is None:
            text += f"[{index}]"
        else:
            part = _path_part(name, trusted)
            text = f"{text}.{part}" if text else part
    return text


def _what(kind: str, field: bool) -> str:
    if field:
        return f"the field name is, or announces, personal identifiers ({kind})"
    return f"value looks like a {kind}"


def _path_part(name: str, trusted: Collection[str]) -> str:
    return name if name in trusted or announced_kind(name) else safe_string(name)


def safe_string(text: str, trusted: Collection[str] = _NO_TRUST) -> str:
    """`text` itself when it is trusted or a harmless code; else a placeholder that says what it was."""
    if text in trusted or (len(text) <= 40 and ISO_TIMESTAMP.fullmatch(text)):
        return text
    kind = string_kind(text)
    if kind is not None:
        return f"<redacted:{kind}>"
    if _CODE_LIKE.fullmatch(text) and (text.islower() or _HAS_DIGIT_OR_SEPARATOR.search(text)):
        return text
    return f"<text:{len(text)} chars>"


def _digits(value: int) -> int:
    return max(1, math.ceil(abs(value).bit_length() * 0.30103)) if abs(value) >= 10**18 else len(str(abs(value)))


def _safe_number(value: int | float) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"<{value}>"
        return value if abs(value) < 1e8 else "<number>"
    if abs(value) < 10**8:
        return value
    kind = integer_kind(value)
    return f"<redacted:{kind}>" if kind else f"<number:{_digits(value)} digits>"


def redacted_shape(value: Any, trusted: Collection[str] = _NO_TRUST, depth: int = 0) -> Any:
    """A JSON-ready copy fit for a dead letter: structure kept, nothing identifying, bounded size."""
    if depth >= SHAPE_MAX_DEPTH and isinstance(value, Mapping | list):
        return f"<nested deeper than {SHAPE_MAX_DEPTH}>"
    if isinstance(value, Mapping):
        shaped: dict[str, Any] = {}
        for index, (key, child) in enumerate(value.items()):
            if index == SHAPE_MAX_ITEMS:
                shaped["<more>"] = f"{len(value) - SHAPE_MAX_ITEMS} more fields"
                break
            name = str(key)
            announced = None if name in trusted else announced_kind(name)
            safe = name if announced else safe_string(name, trusted)
            if safe in shaped:
                safe = f"{safe}#{index}"
            shaped[safe] = f"<redacted:{announced}>" if announced else redacted_shape(child, trusted, depth + 1)
        return shaped
    if isinstance(value, list):
        items = [redacted_shape(v, trusted, depth + 1) for v in value[:SHAPE_MAX_ITEMS]]
        if len(value) > SHAPE_MAX_ITEMS:
            items.append(f"<{len(value) - SHAPE_MAX_ITEMS} more items>")
        return items
    if isinstance(value, str):
        return safe_string(value, trusted)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return _safe_number(value)
    if isinstance(value, LongInteger):
        return f"<number:{value.digits} digits>"
    if isinstance(value, Unparsable):
        return f"<unparsable: {value.reason}, {value.size} bytes>"
    return f"<{type(value).__name__}>"


def shown(value: Any, trusted: Collection[str] = _NO_TRUST) -> str:
    """One untrusted value for a human-readable refusal detail (quoted when harmless)."""
    if isinstance(value, str):
        safe = safe_string(value, trusted)
        return repr(safe) if safe == value else safe
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int | float):
        safe_number = _safe_number(value)
        return repr(safe_number) if safe_number == value else str(safe_number)
    if isinstance(value, LongInteger):
        return f"an integer of {value.digits} digits"
    if isinstance(value, Mapping):
        return f"an object of {len(value)} fields"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"a {type(value).__name__}"


_TOKENS = re.compile(r'"(?:[^"\\]|\\.){0,4096}"|[A-Za-z0-9_.:+@/-]+|\s+|.', re.S)


def redacted_text(text: str, limit: int = 4096) -> str:
    """A redacted rendering of text that is not JSON (a broken body, a connector's document):
    JSON punctuation kept, each string or bare word replaced by its safe form, cut at `limit`."""
    out: list[str] = []
    size = 0
    for match in _TOKENS.finditer(text[: limit * 4]):
        token = match.group(0)
        if token.startswith('"') and len(token) > 1:
            piece = '"' + safe_string(token[1:-1], _NO_TRUST) + '"'
        elif token.isspace():
            piece = " "
        elif len(token) == 1 and not token.isalnum():
            piece = token if token.isprintable() else "?"
        else:
            piece = safe_string(token, _NO_TRUST)
        out.append(piece)
        size += len(piece)
        if size >= limit:
            out.append("<cut>")
            break
    return "".join(out)


def redact(item: Any) -> Any:
    """Kept for connectors: a redacted rendering of raw text, or the redacted shape of a value."""
    return redacted_text(item) if isinstance(item, str) else redacted_shape(item)
