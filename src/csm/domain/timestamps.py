"""One reading of timestamps for every channel (ingest items, source feeds), with one DST rule:
a naive timestamp is the site's local time, and a local time that occurs twice (the autumn
fold) or never (the spring gap) is refused with a reason instead of guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from csm.domain.refusal import Reason, Refusal

# Counting data from before computers counted people, or centuries ahead, is a unit or typing error;
# the bounds also keep every later conversion (UTC, pandas nanoseconds) from overflowing.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200


def parse_timestamp(raw: object, tz: ZoneInfo, field: str, bad: str = Reason.BAD_TIMESTAMP) -> datetime:
    """ISO 8601 text to aware UTC; naive = local time in `tz`. Refusals carry `bad` (unreadable)
    or AMBIGUOUS_LOCAL_TIME (a naive time in a DST fold or gap)."""
    if not isinstance(raw, str):  # the detail never repeats the input: it may be personal data
        raise Refusal(bad, field, f"{field}: expected an ISO 8601 string, got {type(raw).__name__}")
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Refusal(bad, field, f"{field}: not an ISO 8601 timestamp ({len(raw)} characters)") from None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise Refusal(bad, field, f"{field}: year {moment.year} is outside {EARLIEST_YEAR}..{LATEST_YEAR}")
    if moment.tzinfo is None:
        moment = localize(moment, tz, raw, field)
    return moment.astimezone(UTC)


def localize(naive: datetime, tz: ZoneInfo, shown: str, field: str) -> datetime:
    """A naive wall-clock time in `tz`, refused when the DST change makes it ambiguous or absent."""
    early = naive.replace(tzinfo=tz, fold=0)
    late = naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        raise Refusal(Reason.AMBIGUOUS_LOCAL_TIME, field,
                      f"{shown} is ambiguous or does not exist in {tz.key} (DST); give a UTC offset")
    if early.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise Refusal(Reason.AMBIGUOUS_LOCAL_TIME, field, f"{shown} does not exist in {tz.key} (DST gap)")
    return early


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A site-local day as UTC: local midnight to local midnight (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)
