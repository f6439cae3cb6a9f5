"""One refusal type and one timestamp rule for ingest items and source feeds: a naive local time
in the autumn DST fold or the spring gap is refused with the same reason on every channel
(sources used to pick the first of two possible moments silently)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from csm.domain.refusal import Reason, Refusal
from csm.ingest.validate import ItemError, parse_timestamp
from csm.sources.parsing import timestamp
from csm.sources.protocol import SourceError

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FOLD = "2026-10-25T02:30:00"  # happens twice: clocks go back at 03:00 CEST
GAP = "2026-03-29T02:30:00"  # never happens: clocks jump from 02:00 to 03:00


@pytest.mark.parametrize("raw", [FOLD, GAP])
def test_both_channels_refuse_local_times_the_dst_change_makes_ambiguous(raw: str) -> None:
    with pytest.raises(ItemError) as from_ingest:
        parse_timestamp(raw, AMSTERDAM)
    with pytest.raises(SourceError) as from_source:
        timestamp(raw, "start", AMSTERDAM)
    assert from_ingest.value.reason == from_source.value.reason == Reason.AMBIGUOUS_LOCAL_TIME
    assert isinstance(from_source.value, Refusal) and isinstance(from_ingest.value, Refusal)


def test_both_channels_read_the_same_moment() -> None:
    for raw in ("2026-07-18T14:00:00", "2026-07-18T12:00:00Z", "2026-07-18T14:00:00+02:00"):
        expected = datetime(2026, 7, 18, 12, 0, tzinfo=UTC)
        assert parse_timestamp(raw, AMSTERDAM) == timestamp(raw, "t", AMSTERDAM) == expected
    assert timestamp(1784376000, "t", AMSTERDAM) == datetime(2026, 7, 18, 12, 0, tzinfo=UTC)  # POSIX seconds


def test_unreadable_timestamps_keep_each_channels_reason() -> None:
    with pytest.raises(ItemError) as from_ingest:
        parse_timestamp("yesterday", AMSTERDAM)
    with pytest.raises(SourceError) as from_source:
        timestamp("yesterday", "start", AMSTERDAM)
    assert from_ingest.value.reason == Reason.BAD_TIMESTAMP and from_source.value.reason == Reason.BAD_VALUE
