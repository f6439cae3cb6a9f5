"""The Store contract, run unchanged against DuckDB and PostgreSQL (see conftest `store`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from csm.domain.model import Observation
from csm.store.base import FORECAST_COLUMNS, ZONE_HISTORY_COLUMNS, DeadLetter, Store

T0 = datetime(2026, 7, 18, 9, 0, tzinfo=UTC)


def obs(sensor: str, minute: int, metric: str = "occupancy", value: float = 1.0, site: str = "s1",
        seconds: int = 60) -> Observation:
    return Observation(site, sensor, metric, T0 + timedelta(minutes=minute), seconds, value)


def test_write_is_idempotent_and_counts_duplicates(store: Store) -> None:
    batch = [obs("cam", m, value=m) for m in range(5)]
    first = store.write_observations(batch, T0)
    assert (first.inserted, first.duplicates) == (5, 0)
    again = store.write_observations([*batch[:3], obs("cam", 5)], T0 + timedelta(minutes=1))
    assert (again.inserted, again.duplicates) == (1, 3)
    assert store.count_observations("s1") == 6
    assert store.count_observations() == 6
    assert store.write_observations([], T0).inserted == 0


def test_duplicates_within_one_batch_are_stored_once(store: Store) -> None:
    result = store.write_observations([obs("cam", 1), obs("cam", 1), obs("cam", 1, metric="in")], T0)
    assert (result.inserted, result.duplicates) == (2, 1)
    assert store.count_observations("s1") == 2


def test_first_write_wins(store: Store) -> None:
    store.write_observations([obs("cam", 1, value=10)], T0)
    store.write_observations([obs("cam", 1, value=99)], T0)
    frame = store.observations_frame("s1", T0, T0 + timedelta(hours=1))
    assert frame["value"].tolist() == [10.0]


def test_first_of_a_key_within_one_batch_wins(store: Store) -> None:
    result = store.write_observations([obs("cam", 1, value=10), obs("cam", 1, value=99)], T0)
    assert (result.inserted, result.duplicates) == (1, 1)
    frame = store.observations_frame("s1", T0, T0 + timedelta(hours=1))
    assert frame["value"].tolist() == [10.0]


def test_dead_letters_are_written_in_bulk_and_do_not_wait_for_reads(store: Store) -> None:
    letters = [DeadLetter("s1", "http", T0, "not_an_object", None, "x", f'"{i}"') for i in range(500)]
    store.write_dead_letters(letters)
    assert len(store.list_dead_letters("s1", limit=1000)) == 500


def test_sites_are_separate_scopes(store: Store) -> None:
    store.write_observations([obs("cam", 1, site="a"), obs("cam", 1, site="b")], T0)
    assert store.count_observations("a") == 1
    assert store.count_observations("b") == 1
    assert [v.sensor_id for v in store.latest_values("a", T0 + timedelta(hours=1))] == ["cam"]
    assert store.latest_values("c", T0 + timedelta(hours=1)) == []


def test_latest_values_as_of_only_sees_ended_intervals(store: Store) -> None:
    store.write_observations([obs("cam", m, value=m) for m in range(10)], T0)
    store.write_observations([obs("est", 0, value=7, seconds=900)], T0)
    latest = {v.sensor_id: v for v in store.latest_values("s1", T0 + timedelta(minutes=5))}
    assert latest["cam"].value == 4.0  # the minute-4 interval ended at 9:05; minute 5 had not
    assert latest["cam"].interval_start == T0 + timedelta(minutes=4)
    assert latest["cam"].interval_start.tzinfo is not None
    assert latest["cam"].interval_start.utcoffset() == timedelta(0)
    assert latest["cam"].interval_seconds == 60
    assert "est" not in latest  # its 15-minute interval ends 9:15
    later = {v.sensor_id: v.value for v in store.latest_values("s1", T0 + timedelta(minutes=15))}
    assert later == {"cam": 9.0, "est": 7.0}


def test_latest_values_per_metric(store: Store) -> None:
    store.write_observations([obs("lc", 1, "in", 3), obs("lc", 2, "out", 4)], T0)
    latest = {(v.sensor_id, v.metric): v.value for v in store.latest_values("s1", T0 + timedelta(hours=1))}
    assert latest == {("lc", "in"): 3.0, ("lc", "out"): 4.0}


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.latest_values("s1", datetime(2026, 7, 18, 9, 0))


def test_line_balances_weight_by_leak(store: Store) -> None:
    store.write_observations(
        [obs("lc", 0, "in", 100), obs("lc", 0, "out", 40), obs("lc", 59, "in", 10), obs("cam", 0, value=5)],
        T0,
    )
    as_of = T0 + timedelta(hours=2)
    balances = store.line_balances("s1", T0, as_of, leak_per_hour=0.5)
    assert [b.sensor_id for b in balances] == ["lc"]
    (balance,) = balances
    # minute 0 ended at 9:01 → 1h59m before 11:00; minute 59 ended at 10:00 → 1h before.
    assert balance.inflow == pytest.approx(100 * 0.5 ** (119 / 60) + 10 * 0.5**1)
    assert balance.outflow == pytest.approx(40 * 0.5 ** (119 / 60))
    assert balance.last_interval_end == T0 + timedelta(hours=1)
    no_leak = store.line_balances("s1", T0, as_of, leak_per_hour=0.0)[0]
    assert (no_leak.inflow, no_leak.outflow) == (pytest.approx(110), pytest.approx(40))
    # Intervals before `since` or not yet ended at `as_of` do not count.
    window = store.line_balances("s1", T0 + timedelta(minutes=1), T0 + timedelta(minutes=59, seconds=30), 0.0)
    assert window == []


def test_reads_limited_to_named_sensors_equal_the_full_reads_there(store: Store) -> None:
    """The incremental picture refresh reads only the sensors that reported: same rows as the full read."""
    store.write_observations(
        [obs(sensor, minute, metric, 10 * k + minute) for k, sensor in enumerate(["a", "b", "c"])
         for minute in (0, 30) for metric in ("in", "out")],
        T0,
    )
    as_of = T0 + timedelta(hours=1)
    full = {b.sensor_id: b for b in store.line_balances("s1", T0, as_of, 0.25)}
    some = store.line_balances("s1", T0, as_of, 0.25, ["a", "c", "unknown"])
    assert sorted(b.sensor_id for b in some) == ["a", "c"] and all(b == full[b.sensor_id] for b in some)
    latest = {(v.sensor_id, v.metric): v for v in store.latest_values("s1", as_of)}
    named = store.latest_values("s1", as_of, ["b"])
    assert sorted((v.sensor_id, v.metric) for v in named) == [("b", "in"), ("b", "out")]
    assert all(v == latest[v.sensor_id, v.metric] for v in named) and named[0].value == 40.0


def test_observations_frame(store: Store) -> None:
    store.write_observations([obs("a", 1, value=1), obs("b", 2, value=2), obs("a", 90, value=3)], T0)
    frame = store.observations_frame("s1", T0, T0 + timedelta(hours=1))
    assert list(frame.columns) == [
        "sensor_id", "metric", "interval_start", "interval_seconds", "value", "received_at"
    ]
    assert frame["sensor_id"].tolist() == ["a", "b"]
    assert str(frame["interval_start"].dt.tz) == "UTC"
    assert frame["interval_start"].iloc[0] == pd.Timestamp(T0 + timedelta(minutes=1))
    assert frame["received_at"].iloc[0] == pd.Timestamp(T0)
    only_a = store.observations_frame("s1", T0, T0 + timedelta(hours=2), ["a"])
    assert only_a["value"].tolist() == [1.0, 3.0]
    assert store.observations_frame("s1", T0, T0 + timedelta(hours=2), []).empty


def test_dead_letters_list_and_delete(store: Store) -> None:
    letters = [
        DeadLetter("s1", "mqtt", T0, "bad_json", None, "not JSON", "{oops"),
        DeadLetter("s2", "http", T0, "unknown_sensor", "sensor_id", "no such sensor", '{"sensor_id": "x"}'),
        DeadLetter(None, "csv", T0 + timedelta(seconds=1), "bad_row", "value", "not a number", "a,b"),
    ]
    store.write_dead_letters(letters)
    store.write_dead_letters([])
    listed = store.list_dead_letters()
    assert [d.reason for d in listed] == ["bad_row", "unknown_sensor", "bad_json"]  # newest first
    assert all(d.id is not None for d in listed)
    assert listed[2].received_at == T0
    assert listed[1].field == "sensor_id" and listed[0].site_id is None
    assert [d.channel for d in store.list_dead_letters("s1")] == ["mqtt"]
    assert len(store.list_dead_letters(limit=2)) == 2
    assert [d.site_id for d in store.list_dead_letters(reason="unknown_sensor")] == ["s2"]
    assert store.list_dead_letters("s1", reason="unknown_sensor") == []
    assert [d.reason for d in store.list_dead_letters(ids=[listed[0].id or 0, listed[2].id or 0])] == [
        "bad_row", "bad_json"]
    assert store.list_dead_letters(ids=[]) == []
    ids = [d.id for d in listed[:2] if d.id is not None]
    assert store.delete_dead_letters(ids) == 2
    assert store.delete_dead_letters([]) == 0
    assert [d.reason for d in store.list_dead_letters()] == ["bad_json"]


def history(ts: datetime, occupancy: float | None, level: str = "green") -> pd.DataFrame:
    return pd.DataFrame({
        "zone_id": ["z1", "z2"],
        "ts": [ts, ts],
        "occupancy": pd.array([occupancy, 5.0], dtype="Float64"),
        "density": pd.array([None if occupancy is None else occupancy / 100, 0.05], dtype="Float64"),
        "level": [level, "green"],
        "stale": [occupancy is None, False],
    })


def test_zone_history_upserts_and_reads(store: Store) -> None:
    assert store.write_zone_history("s1", history(T0, None)) == 2
    store.write_zone_history("s1", history(T0 + timedelta(minutes=5), 50))
    store.write_zone_history("s1", history(T0 + timedelta(minutes=5), 80, "yellow"))  # replaces
    store.write_zone_history("s2", history(T0, 1))
    frame = store.zone_history("s1", T0, T0 + timedelta(minutes=5))
    assert list(frame.columns) == ZONE_HISTORY_COLUMNS
    assert frame["zone_id"].tolist() == ["z1", "z1", "z2", "z2"]
    z1 = frame[frame["zone_id"] == "z1"]
    assert pd.isna(z1["occupancy"].iloc[0]) and bool(z1["stale"].iloc[0])
    assert z1["occupancy"].iloc[1] == 80 and z1["level"].iloc[1] == "yellow"
    assert z1["ts"].iloc[1] == pd.Timestamp(T0 + timedelta(minutes=5))
    assert str(frame["ts"].dt.tz) == "UTC"
    only_z2 = store.zone_history("s1", T0, T0 + timedelta(hours=1), ["z2"])
    assert only_z2["zone_id"].unique().tolist() == ["z2"]
    assert store.write_zone_history("s1", history(T0, 1).iloc[0:0]) == 0


def forecast_rows(issued: datetime, base: float) -> pd.DataFrame:
    steps = [issued + timedelta(hours=h) for h in (1, 2)]
    return pd.DataFrame({
        "zone_id": ["z1", "z1"], "ts": steps, "p10": [base, base], "p50": [base + 1, base + 1],
        "p90": [base + 2, base + 2],
    })


def test_forecast_write_and_latest(store: Store) -> None:
    assert store.latest_forecast("s1")[0] is None
    assert list(store.latest_forecast("s1")[1].columns) == FORECAST_COLUMNS
    store.write_forecast("s1", T0, forecast_rows(T0, 1))
    newer = T0 + timedelta(hours=1)
    assert store.write_forecast("s1", newer, forecast_rows(newer, 10)) == 2
    store.write_forecast("s2", newer + timedelta(hours=1), forecast_rows(newer, 99))
    issued, frame = store.latest_forecast("s1")
    assert issued == newer
    assert list(frame.columns) == FORECAST_COLUMNS
    assert frame["p50"].tolist() == [11.0, 11.0]
    assert frame["ts"].iloc[0] == pd.Timestamp(newer + timedelta(hours=1))


def test_purge_observations(store: Store) -> None:
    store.write_observations([obs("cam", m) for m in range(10)] + [obs("cam", 1, site="other")], T0)
    assert store.purge_observations("s1", T0 + timedelta(minutes=4)) == 4
    assert store.count_observations("s1") == 6
    assert store.count_observations("other") == 1


def test_events_append_and_read_in_order(store: Store) -> None:
    ids = [store.append_event("s1" if i % 2 else "s2", "alerts", T0 + timedelta(seconds=i), {"n": i})
           for i in range(6)]
    store.append_event("s1", "audit", T0, {"who": "x", "when": T0})
    assert ids == sorted(ids) and len(set(ids)) == 6
    everything = store.read_events(None, "alerts")
    assert [e.payload["n"] for e in everything] == list(range(6))
    assert everything[0].ts == T0
    s1 = store.read_events("s1", "alerts")
    assert [e.payload["n"] for e in s1] == [1, 3, 5]
    assert [e.payload["n"] for e in store.read_events(None, "alerts", after_id=ids[3])] == [4, 5]
    assert [e.payload["n"] for e in store.read_events(None, "alerts", limit=2)] == [0, 1]
    (audit,) = store.read_events("s1", "audit")
    assert audit.payload == {"who": "x", "when": str(T0)}


def test_data_survives_reopen(store_url: str) -> None:
    from csm.store.factory import open_store

    first = open_store(store_url)
    first.write_observations([obs("cam", 1)], T0)
    first.close()
    second = open_store(store_url)
    try:
        assert second.count_observations("s1") == 1
        assert second.write_observations([obs("cam", 1)], T0).duplicates == 1
    finally:
        second.close()


def test_shared_state_is_replaced_per_key_and_read_back_alike(store: Store) -> None:
    store.put_state("s1", "source", "weather", {"status": "ok", "n": 1}, T0)
    store.put_state("s1", "source", "weather", {"status": "failing", "n": 2}, T0 + timedelta(minutes=1))
    store.put_state("s1", "source", "gtfs", {"status": "ok"}, T0)
    store.put_state("s2", "source", "weather", {"status": "stale"}, T0)
    store.put_state("s1", "job", "advice", {"runs": 3}, T0)
    mine = store.read_state("s1", "source")
    assert [(e.key, e.payload) for e in mine] == [("gtfs", {"status": "ok"}),
                                                  ("weather", {"status": "failing", "n": 2})]
    assert mine[1].updated_at == T0 + timedelta(minutes=1)
    assert [e.site_id for e in store.read_state(None, "source", "weather")] == ["s1", "s2"]
    assert store.delete_state("s1", "source", "weather") is True
    assert store.delete_state("s1", "source", "weather") is False
    assert [e.key for e in store.read_state("s1", "source")] == ["gtfs"]


def test_purge_dead_letters_of_one_site_before_a_moment(store: Store) -> None:
    store.write_dead_letters([
        DeadLetter("s1", "http", T0, "bad_json", None, "not JSON", "{oops"),
        DeadLetter("s1", "mqtt", T0 + timedelta(days=2), "bad_json", None, "not JSON", "{oops"),
        DeadLetter("s2", "http", T0, "bad_json", None, "not JSON", "{oops"),
        DeadLetter(None, "csv", T0, "bad_row", "value", "not a number", "a,b"),
    ])
    assert store.purge_dead_letters("s1", T0 + timedelta(days=1)) == 1
    assert [d.channel for d in store.list_dead_letters("s1")] == ["mqtt"]
    assert len(store.list_dead_letters("s2")) == 1 and len(store.list_dead_letters(None)) == 3
