"""Both stores take a batch as columns (the ingest path) with the same results as a list of
Observations: a repeated key in the batch keeps the first, a resent batch is all duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from csm.store.base import Store
from csm.store.columns import ObservationColumns

RECEIVED = datetime(2026, 7, 18, 10, 0, tzinfo=UTC)


def test_columns_are_written_like_observations(store: Store) -> None:
    columns = ObservationColumns("cols")
    start = datetime(2026, 7, 18, 9, 0)  # naive UTC
    for sensor, value in [("a", 1.0), ("b", 2.0), ("a", 3.0)]:
        columns.append(sensor, "in", start, 60, value)
    first = store.write_observations(columns, received_at=RECEIVED)
    again = store.write_observations(columns, received_at=RECEIVED)
    assert (first.inserted, first.duplicates, again.inserted, again.duplicates) == (2, 1, 0, 3)
    frame = store.observations_frame("cols", RECEIVED - timedelta(days=1), RECEIVED)
    assert sorted(zip(frame["sensor_id"], frame["value"], strict=True)) == [("a", 1.0), ("b", 2.0)]
    assert [t.to_pydatetime() for t in frame["interval_start"]] == [start.replace(tzinfo=UTC)] * 2
    assert store.write_observations(list(columns), received_at=RECEIVED).duplicates == 3
