"""The column path of ingest (issue 17, item 3) gives what item-by-item validation gave.

Every batch goes through the real pipeline into a real DuckDB file, and through a reference made
of the full per-item validation (`validate_item`) and a plain list of Observations written to a
second DuckDB file. Reports, stored rows and dead letters must be equal, on the edge cases the
fast path must hand over to the full validation: duplicates, DST, naive and aware timestamps,
personal data in any field, wrong types and ranges, long integers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csm.api.app import create_app
from csm.clock import FixedClock
from csm.domain.model import Observation
from csm.ingest.payload import LongInteger, loads, split_items
from csm.ingest.pipeline import IngestReport, IngestService
from csm.ingest.validate import ItemError, rejection_of
from csm.runtime import Runtime, build_runtime
from csm.store.columns import ObservationColumns
from csm.store.duckdb_store import DuckDBStore
from tests.conftest import NOON, TINY_SITE, TINY_ZONES, AuthedClient, write_site

Z = "%Y-%m-%dT%H:%M:%SZ"


def at(moment: datetime, sensor: str = "lc-b", **counts: Any) -> dict[str, Any]:
    return {"sensor_id": sensor, "interval_start": moment.strftime(Z), "interval_seconds": 60,
            "counts": counts or {"in": 3, "out": 1}}


def reference(ingest: IngestService, items: list[Any], store: DuckDBStore,
              allowed: frozenset[str] | None = None, expected: list[str] | None = None) -> IngestReport:
    """Item-by-item validation into a list of Observations: what ingest did before the columns."""
    now = ingest.clock.now()
    report = IngestReport(received=len(items))
    observations: list[Observation] = []
    for index, item in enumerate(items):
        try:
            observations.extend(ingest._validate(item, now, allowed, expected[index] if expected else None))
        except ItemError as error:
            report.rejected.append(rejection_of(error, index))
    if observations:
        result = store.write_observations(observations, received_at=now)
        report.accepted, report.duplicates = result.inserted, result.duplicates
    return report


def stored(store: Any, site: str = "tiny") -> list[tuple[Any, ...]]:
    frame = store.observations_frame(site, datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))
    return sorted(tuple(row) for row in frame.drop(columns=["received_at"]).itertuples(index=False))


def letters(store: Any) -> list[tuple[Any, ...]]:
    return sorted((d.reason, d.field, d.detail, d.payload) for d in store.list_dead_letters("tiny", limit=1000))


@pytest.fixture
def runtime_at(tiny_site_dir: Path, tmp_path: Path) -> Iterator[Any]:
    runtimes: list[Runtime] = []

    def make(moment: datetime) -> Runtime:
        runtime = build_runtime([tiny_site_dir], f"duckdb:{tmp_path / f'csm-{len(runtimes)}.duckdb'}",
                                clock=FixedClock(moment))
        runtimes.append(runtime)
        return runtime

    yield make
    for runtime in runtimes:
        runtime.close()


def same_as_reference(runtime: Runtime, tmp_path: Path, batches: list[list[Any]],
                      allowed: frozenset[str] | None = None, expected: list[str] | None = None) -> list[IngestReport]:
    ingest = runtime.sites["tiny"].ingest
    ref_store = DuckDBStore(tmp_path / f"reference-{uuid.uuid4().hex}.duckdb")
    reports = []
    try:
        for items in batches:
            ours = ingest.ingest_items(items, "http", allowed, expected)
            theirs = reference(ingest, items, ref_store, allowed, expected)
            assert ours.as_dict() == theirs.as_dict()
            reports.append(ours)
        assert stored(runtime.store) == stored(ref_store)
    finally:
        ref_store.close()
    return reports


def test_duplicates_within_a_batch_and_against_the_store(runtime_at: Any, tmp_path: Path) -> None:
    runtime = runtime_at(NOON)
    start = NOON - timedelta(minutes=5)
    local = start.astimezone(runtime.sites["tiny"].site.tz)
    batch = [
        at(start, **{"in": 1, "out": 1}),
        at(start, **{"in": 9, "out": 9}),  # the same key again: the first wins
        {**at(start, **{"in": 7}), "interval_start": local.isoformat()},  # same instant, with an offset
        {**at(start, **{"out": 5}), "interval_start": local.replace(tzinfo=None).isoformat()},  # naive = local
        at(start - timedelta(minutes=1)),
    ]
    first, again = same_as_reference(runtime, tmp_path, [batch, batch])
    assert (first.accepted, first.duplicates) == (4, 4)
    assert (again.accepted, again.duplicates) == (0, 8)
    values = {(r[1], r[2]): r[4] for r in stored(runtime.store)}
    assert values[("in", start)] == 1.0 and values[("out", start)] == 1.0


def test_dst_fold_and_gap_refused_naive_and_aware_accepted(runtime_at: Any, tmp_path: Path) -> None:
    # 2026-10-25: clocks go back at 03:00 CEST; 02:30 local happens twice.
    runtime = runtime_at(datetime(2026, 10, 25, 4, 0, tzinfo=UTC))
    batch = [
        {**at(NOON), "interval_start": "2026-10-25T02:30:00"},  # naive, in the fold: refused
        {**at(NOON), "interval_start": "2026-10-25T02:30:00+01:00"},  # aware: fine
        {**at(NOON), "interval_start": "2026-10-25T01:59:00"},  # naive, before the fold (CEST)
        {**at(NOON), "interval_start": "2026-10-25T03:10:00"},  # naive, after the fold (CET)
        {**at(NOON), "interval_start": "2026-10-25T00:30:00Z"},
    ]
    (report,) = same_as_reference(runtime, tmp_path, [batch])
    assert [r.reason for r in report.rejected] == ["ambiguous_local_time"]
    assert report.accepted == 8
    starts = {r[2] for r in stored(runtime.store)}
    assert starts == {datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 24, 23, 59, tzinfo=UTC),
                      datetime(2026, 10, 25, 2, 10, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)}


def test_dst_gap_refused(runtime_at: Any, tmp_path: Path) -> None:
    # 2026-03-29: clocks go forward at 02:00 CET; 02:30 local never happens.
    runtime = runtime_at(datetime(2026, 3, 29, 3, 0, tzinfo=UTC))
    batch = [{**at(NOON), "interval_start": "2026-03-29T02:30:00"},
             {**at(NOON), "interval_start": "2026-03-29T03:30:00"}]
    (report,) = same_as_reference(runtime, tmp_path, [batch])
    assert [r.reason for r in report.rejected] == ["ambiguous_local_time"]
    assert [r[2] for r in stored(runtime.store)] == [datetime(2026, 3, 29, 1, 30, tzinfo=UTC)] * 2


PERSONAL = [
    {"sensor_id": "jan.devries@example.nl"},
    {"interval_start": "+31 6 12345678"},
    {"counts": {"in": 1, "00:1a:2b:3c:4d:5e": 2}},
    {"counts": {"in": 31612345678}},
    {"site_id": "Jan de Vries"},
    {"mac_address": "x"},
    {"interval_seconds": 612345678},
]


@pytest.mark.parametrize("change", PERSONAL, ids=lambda c: next(iter(c)))
def test_personal_data_in_any_field_is_refused_and_never_stored(
    runtime_at: Any, tmp_path: Path, change: dict[str, Any]
) -> None:
    runtime = runtime_at(NOON)
    good = at(NOON - timedelta(minutes=3))
    bad = {**at(NOON - timedelta(minutes=4)), **change}
    (report,) = same_as_reference(runtime, tmp_path, [[good, bad]])
    assert report.accepted == 2
    assert [(r.index, r.reason) for r in report.rejected] == [(1, "personal_data")]
    kept = letters(runtime.store)
    assert len(kept) == 1
    text = json.dumps(kept)
    for secret in ("jan.devries", "12345678", "00:1a:2b", "Jan de Vries", "31612345678"):
        assert secret not in text


BAD = [
    ({"counts": {"in": True}}, "not_a_number"),
    ({"counts": {"in": -1}}, "negative_count"),
    ({"counts": {"in": 1_000_001}}, "implausible_value"),
    ({"counts": {"in": "3"}}, "not_a_number"),
    ({"counts": {"occupancy": 3}}, "unknown_metric"),
    ({"counts": {}}, "not_an_object"),
    ({"interval_seconds": 61}, "interval_mismatch"),
    ({"interval_seconds": 60.0}, "interval_mismatch"),
    ({"interval_start": "2026-07-18T09:55:30Z"}, "interval_misaligned"),
    ({"interval_start": "2026-07-18T10:30:00Z"}, "timestamp_in_future"),
    ({"interval_start": "2026-06-01T10:00:00Z"}, "too_late"),
    ({"interval_start": "yesterday"}, "bad_timestamp"),
    ({"interval_start": 1752832800}, "bad_timestamp"),
    ({"sensor_id": "nope"}, "unknown_sensor"),
    ({"site_id": "other"}, "unknown_site"),
    ({"extra": 1}, "unexpected_field"),
    ({"metric": "in"}, "unexpected_field"),
]


@pytest.mark.parametrize(("change", "reason"), BAD, ids=[f"{r}-{i}" for i, (_, r) in enumerate(BAD)])
def test_bad_items_refused_with_reasons_good_ones_stored(
    runtime_at: Any, tmp_path: Path, change: dict[str, Any], reason: str
) -> None:
    runtime = runtime_at(NOON)
    batch = [at(NOON - timedelta(minutes=2)), {**at(NOON - timedelta(minutes=3)), **change},
             at(NOON - timedelta(minutes=4), **{"in": 2.5, "out": 0})]
    (report,) = same_as_reference(runtime, tmp_path, [batch])
    assert [(r.index, r.reason) for r in report.rejected] == [(1, reason)]
    assert report.accepted == 4
    assert len(letters(runtime.store)) == 1


def test_long_form_and_other_channels_still_go_through_the_full_path(runtime_at: Any, tmp_path: Path) -> None:
    runtime = runtime_at(NOON)
    batch = [
        {"sensor_id": "cam-a", "interval_start": "2026-07-18T09:58:00Z", "metric": "occupancy", "value": 40},
        {"sensor_id": "est-c", "interval_start": "2026-07-18T09:45:00Z", "interval_seconds": 900,
         "counts": {"visitors": 1200}},
        at(NOON - timedelta(minutes=2)),
    ]
    (report,) = same_as_reference(runtime, tmp_path, [batch], expected=["cam-a", "est-c", "cam-a"])
    assert [(r.index, r.reason) for r in report.rejected] == [(2, "sensor_mismatch")]
    (report,) = same_as_reference(runtime_at(NOON), tmp_path, [batch], allowed=frozenset({"lc-b"}))
    assert [(r.index, r.reason) for r in report.rejected] == [(0, "sensor_not_authorised"),
                                                            (1, "sensor_not_authorised")]


def test_long_integers_keep_their_marker() -> None:
    digits = "9" * 31
    parsed = loads(f'[{{"counts": {{"in": {digits}, "out": 12345}}}}]'.encode())
    assert parsed[0]["counts"]["in"] == LongInteger(31) and parsed[0]["counts"]["out"] == 12345
    assert loads(b'{"in": ' + b"1" * 30 + b"}")["in"] == int("1" * 30)
    assert loads(f'{{"in": -{digits}}}')["in"] == LongInteger(31)
    assert loads(f'{{"in": {digits}}}'.encode("utf-16"))["in"] == LongInteger(31)
    assert split_items(b"[1, 2]") == [1, 2]
    # Large bodies take the parse without the hook unless a long digit run is in them.
    filler = [{"counts": {"in": 12345, "out": 1}}] * 200
    big = json.dumps(filler).encode()
    assert len(big) > 4096 and loads(big) == filler
    marked = loads(json.dumps(filler)[:-1].encode() + f', {{"in": {digits}}}]'.encode())
    assert marked[-1]["in"] == LongInteger(31) and marked[0]["counts"]["in"] == 12345
    assert loads(big.decode())[0]["counts"]["in"] == 12345


def test_columns_read_back_as_observations() -> None:
    columns = ObservationColumns("tiny")
    columns.append_observation(
        Observation("tiny", "lc-b", "in", datetime(2026, 7, 18, 14, tzinfo=ZoneInfo("Europe/Amsterdam")), 60, 3.0)
    )
    columns.append("lc-b", "in", datetime(2026, 7, 18, 12), 60, 4.0)  # naive UTC: the same key
    assert len(columns) == 2 and columns.first_of_each_key() == [0]
    assert list(columns)[1] == Observation("tiny", "lc-b", "in", datetime(2026, 7, 18, 12, tzinfo=UTC), 60, 4.0)
    assert columns[0].interval_start == datetime(2026, 7, 18, 12, tzinfo=UTC)
    assert columns[:1] == [columns[0]] and columns.sensors() == ["lc-b"]


@pytest.fixture
def client(tiny_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as test_client:
        yield AuthedClient(test_client, tiny_runtime)  # type: ignore[misc]


def test_http_batch_over_the_item_cap_is_refused_413_and_a_mixed_batch_is_200(
    client: TestClient, tiny_runtime: Runtime
) -> None:
    too_many = [at(NOON - timedelta(minutes=2))] * 10_001
    answer = client.post("/api/v1/observations", json=too_many)
    assert answer.status_code == 413 and answer.json()["rejected"][0]["reason"] == "too_many_items"
    assert tiny_runtime.store.count_observations("tiny") == 0
    mixed = [at(NOON - timedelta(minutes=2)), {**at(NOON - timedelta(minutes=3)), "sensor_id": "+31612345678"}]
    answer = client.post("/api/v1/observations", json=mixed)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["accepted"], [r["reason"] for r in body["rejected"]]) == (2, ["personal_data"])
    assert "31612345678" not in answer.text


# -- random batches: the column path and the item-by-item path agree on every one ----------------
_FIELD_VALUES: dict[str, Any] = {
    "sensor_id": st.sampled_from(["lc-b", "cam-a", "est-c", "nope", "+31612345678", "Jan de Vries", 7, None]),
    "interval_start": st.sampled_from([
        "2026-07-18T09:58:00Z", "2026-07-18T09:57:00+00:00", "2026-07-18T11:57:00", "2026-07-18T11:57:00+02:00",
        "2026-07-18T09:45:00Z", "2026-07-18T09:57:30Z", "2026-07-18T10:30:00Z", "2026-06-01T10:00:00Z",
        "2026-07-18", "0612345678", "", 1752832800, None,
    ]),
    "interval_seconds": st.sampled_from([60, 900, 61, 60.0, True, "60", 612345678]),
    "site_id": st.sampled_from(["tiny", "other", "jan@example.nl"]),
    "counts": st.dictionaries(
        st.sampled_from(["in", "out", "occupancy", "visitors", "00:1a:2b:3c:4d:5e", "x"]),
        st.one_of(st.integers(-5, 2_000_000), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                  st.sampled_from([31612345678, "3", None, [1], {"a": 1}])),
        max_size=3,
    ),
    "metric": st.sampled_from(["in", "occupancy"]),
    "value": st.sampled_from([1, 2.5, -1]),
    "mac_address": st.just("x"),
}
_GOOD_STARTS = ["2026-07-18T09:58:00Z", "2026-07-18T09:57:00+00:00", "2026-07-18T11:57:00",
                "2026-07-18T11:57:00+02:00", "2026-07-18T09:40:00Z"]
_GOOD_ITEM = st.builds(
    lambda start, a, b: {"sensor_id": "lc-b", "interval_start": start, "interval_seconds": 60,
                         "counts": {"in": a, "out": b}},
    st.sampled_from(_GOOD_STARTS), st.integers(0, 50), st.floats(0, 50),
)
_CHANGE = st.sampled_from(sorted(_FIELD_VALUES)).flatmap(lambda name: _FIELD_VALUES[name].map(lambda v: (name, v)))
# Mostly good items (the fast path), some with one or two fields changed (either path).
_ITEMS = st.one_of(
    _GOOD_ITEM,
    st.builds(lambda item, changes: {**item, **dict(changes)}, _GOOD_ITEM, st.lists(_CHANGE, min_size=1, max_size=2)),
    st.sampled_from([[], "item", 3, None, {}]),
)


@given(st.lists(_ITEMS, max_size=12))
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, max_examples=100)
def test_random_batches_agree_with_item_by_item_validation(tmp_path_factory: pytest.TempPathFactory,
                                                            tiny_site_dir_for_property: Path,
                                                            items: list[Any]) -> None:
    folder = tmp_path_factory.mktemp("prop")
    runtime = build_runtime([tiny_site_dir_for_property], f"duckdb:{folder / 'csm.duckdb'}", clock=FixedClock(NOON))
    try:
        reports = same_as_reference(runtime, folder, [items, items])
        first, again = reports
        assert again.accepted == 0 and again.duplicates == first.accepted + first.duplicates
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def tiny_site_dir_for_property(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_site(tmp_path_factory.mktemp("site") / "tiny", TINY_SITE, TINY_ZONES)
