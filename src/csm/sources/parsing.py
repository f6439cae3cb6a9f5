"""Helpers shared by connectors: reason codes, strict number and time checks, interval maths."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from csm.domain.refusal import Reason, Refusal
from csm.domain.timestamps import parse_timestamp
from csm.sources.protocol import SourceError

# Stable reason codes of refused feeds: the one list of csm.domain.refusal.
SourceReason = Reason


def load_json(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(SourceReason.BAD_FORMAT, None, f"{what} is not valid JSON: {exc}") from None


def require(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict):
        raise SourceError(SourceReason.BAD_VALUE, where, f"{where} must be an object")
    if key not in obj or obj[key] is None:
        path = f"{where}.{key}" if where else key
        raise SourceError(SourceReason.MISSING_FIELD, path, f"{path} is missing")
    return obj[key]


def number(raw: Any, field: str, low: float, high: float, unit: str) -> float:
    """A finite number in [low, high]; out of range usually means wrong units, so say which."""
    if isinstance(raw, bool):
        raise SourceError(SourceReason.BAD_VALUE, field, f"{field}: expected a number, got {raw!r}")
    if isinstance(raw, str):
        try:
            raw = float(raw.replace(",", "."))
        except ValueError:
            raise SourceError(
                SourceReason.BAD_VALUE, field, f"{field}: expected a number, got {raw[:32]!r}"
            ) from None
    if not isinstance(raw, int | float) or not math.isfinite(raw):
        raise SourceError(SourceReason.BAD_VALUE, field, f"{field}: expected a number, got {raw!r}")
    value = float(raw)
    if not low <= value <= high:
        raise SourceError(
            SourceReason.IMPLAUSIBLE, field,
            f"{field} = {value:g} is outside {low:g}..{high:g} {unit} (wrong units?)",
        )
    return value


def timestamp(raw: Any, field: str, tz: ZoneInfo) -> datetime:
    """ISO 8601 (naive = site local time) or POSIX seconds → aware UTC."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return datetime.fromtimestamp(float(raw), UTC)
    try:
        return parse_timestamp(raw, tz, field, bad=Reason.BAD_VALUE)  # one DST rule for every channel
    except Refusal as refused:
        raise SourceError(refused.reason, refused.field, refused.detail) from None


def floor_to(moment: datetime, seconds: int) -> datetime:
    """Start of the interval of `seconds` (aligned on the UNIX epoch) containing `moment`."""
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def local_midnight(day: Any, tz: ZoneInfo) -> datetime:
    """Local midnight of a date, as UTC: day-level covariates start there (DST-correct)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def local_days(now: datetime, tz: ZoneInfo, before: int, after: int) -> list[Any]:
    today = now.astimezone(tz).date()
    return [today + timedelta(days=offset) for offset in range(-before, after + 1)]
