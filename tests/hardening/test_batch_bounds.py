"""Issue 12 item 4: a batch cap answered at once, dead letters bounded per batch (the first N kept,
the rest in one summary letter); item 5: the same key twice in one batch — the first value wins."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from csm.ingest import limits
from csm.runtime import Runtime
from csm.store.base import DeadLetter
from csm.store.duckdb_store import DuckDBStore
from tests.conftest import NOON, AuthedClient
from tests.hardening.items import good

JSON = {"content-type": "application/json"}


def test_a_million_empty_items_are_refused_at_once(http: AuthedClient, store_runtime: Runtime) -> None:
    body = b"[" + b",".join([b"{}"] * 1_000_000) + b"]"
    response = http.post("/api/v1/observations", content=body, headers=JSON)
    assert response.status_code == 413, response.text[:300]  # type: ignore[attr-defined]
    (rejection,) = response.json()["rejected"]  # type: ignore[attr-defined]
    assert rejection["reason"] == "too_many_items"
    assert str(limits.MAX_ITEMS_PER_BATCH) in rejection["detail"]
    assert len(store_runtime.store.list_dead_letters("tiny")) == 1


def test_one_item_over_the_cap_is_refused_whole(http: AuthedClient, store_runtime: Runtime) -> None:
    batch = [good(minutes_ago=2)] * (limits.MAX_ITEMS_PER_BATCH + 1)
    response = http.post("/api/v1/observations", json=batch)
    assert response.status_code == 413
    assert store_runtime.store.count_observations("tiny") == 0


def test_dead_letters_per_batch_are_bounded_with_one_summary(
    http: AuthedClient, store_runtime: Runtime
) -> None:
    refused = [{}] * 3000 + [{**good(), "sensor_id": "ghost"}] * 2000
    response = http.post("/api/v1/observations", json=[good(minutes_ago=2), *refused])
    assert response.status_code == 200
    body = response.json()  # type: ignore[attr-defined]
    assert body["accepted"] == 1 and len(body["rejected"]) == 5000
    letters = store_runtime.store.list_dead_letters("tiny", limit=10_000)
    assert len(letters) == limits.DEAD_LETTERS_PER_BATCH + 1
    (summary,) = [d for d in letters if d.reason == "refusals_summarised"]
    counted = json.loads(summary.payload)
    assert counted["not_kept"] == 5000 - limits.DEAD_LETTERS_PER_BATCH
    assert sum(counted["by_reason"].values()) == counted["not_kept"]


@pytest.mark.parametrize("via", ["http", "store"])
def test_same_key_twice_in_one_batch_keeps_the_first(
    http: AuthedClient, store_runtime: Runtime, via: str
) -> None:
    first, second = good(minutes_ago=2, value=11), good(minutes_ago=2, value=99)
    if via == "http":
        answer = http.post("/api/v1/observations", json=[first, second]).json()  # type: ignore[attr-defined]
        assert (answer["accepted"], answer["duplicates"]) == (1, 1)
    else:
        store_runtime.sites["tiny"].ingest.ingest_items([first, second], "test")
    (value,) = store_runtime.store.latest_values("tiny", NOON)
    assert value.value == 11


def test_duckdb_dead_letters_do_not_wait_for_the_read_lock(tmp_path: Path) -> None:
    """While a long read holds the lock that reads and the picture need, refusals still land."""
    store = DuckDBStore(tmp_path / "locks.duckdb")
    letter = DeadLetter("tiny", "http", NOON, "not_an_object", None, "x", '"x"')
    try:
        with store._lock:  # what a long read holds
            writer = threading.Thread(target=store.write_dead_letters, args=([letter] * 50,))
            writer.start()
            writer.join(10)
            assert not writer.is_alive(), "dead letters waited for the read lock"
        assert len(store.list_dead_letters("tiny")) == 50
    finally:
        store.close()
