"""What only the PostgreSQL backend has: migrations, month partitions, reconnects, many writers."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from csm.domain.model import Observation
from csm.store.migrations import pg_migrations
from csm.store.postgres_store import PostgresStore

T0 = datetime(2026, 7, 18, 9, 0, tzinfo=UTC)


def obs(sensor: str, start: datetime, value: float = 1.0) -> Observation:
    return Observation("s1", sensor, "occupancy", start, 60, value)


def test_migrations_are_numbered_recorded_and_applied_once(pg_schema_url: str) -> None:
    shipped = [m.version for m in pg_migrations()]
    assert shipped == sorted(shipped) and shipped[0] == 1
    PostgresStore(pg_schema_url).close()
    PostgresStore(pg_schema_url).close()  # a second start finds nothing to do
    with psycopg.connect(pg_schema_url) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in rows] == shipped


def test_observations_land_in_month_partitions(pg_schema_url: str) -> None:
    store = PostgresStore(pg_schema_url)
    try:
        store.write_observations([obs("a", T0), obs("a", datetime(2025, 12, 31, 23, 59, tzinfo=UTC))], T0)
        with psycopg.connect(pg_schema_url) as conn:
            counts = dict(conn.execute(
                "SELECT tableoid::regclass::text, count(*) FROM observations GROUP BY 1"
            ).fetchall())
        assert counts == {"observations_y2026m07": 1, "observations_y2025m12": 1}
    finally:
        store.close()


def test_rows_in_the_default_partition_move_when_their_month_is_created(pg_schema_url: str) -> None:
    store = PostgresStore(pg_schema_url)
    try:
        with psycopg.connect(pg_schema_url) as conn:
            conn.execute(
                "INSERT INTO observations_default VALUES ('s1', 'a', 'occupancy', %s, 60, 5, %s)", [T0, T0]
            )
        # The store has not seen July yet: it creates the partition, which must move the old row.
        result = store.write_observations([obs("a", T0), obs("a", T0 + timedelta(minutes=1))], T0)
        assert (result.inserted, result.duplicates) == (1, 1)
        with psycopg.connect(pg_schema_url) as conn:
            where = conn.execute("SELECT DISTINCT tableoid::regclass::text FROM observations").fetchall()
        assert where == [("observations_y2026m07",)]
        assert store.latest_values("s1", T0 + timedelta(hours=1))[0].value == 1.0
    finally:
        store.close()


def test_a_dropped_connection_is_retried_not_lost(pg_schema_url: str) -> None:
    app = f"csm-drop-{uuid.uuid4().hex[:8]}"
    store = PostgresStore(f"{pg_schema_url}&application_name={app}", min_size=2, max_size=2)
    try:
        store.write_observations([obs("a", T0)], T0)
        with psycopg.connect(pg_schema_url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = %s", [app]
            ).fetchone()
        assert killed is not None and killed[0] >= 1
        result = store.write_observations([obs("a", T0), obs("a", T0 + timedelta(minutes=1))], T0)
        assert (result.inserted, result.duplicates) == (1, 1)
        assert store.count_observations("s1") == 2
    finally:
        store.close()


def test_concurrent_writers_store_each_key_exactly_once(pg_schema_url: str) -> None:
    stores = [PostgresStore(pg_schema_url, max_size=2) for _ in range(3)]
    keys = [obs(f"s{i % 40}", T0 + timedelta(minutes=i // 40)) for i in range(2000)]
    inserted: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(store: PostgresStore, offset: int) -> None:
        # Overlapping, differently ordered batches: duplicates across writers, no deadlocks.
        mine = keys[offset:] + keys[:offset]
        try:
            for start in range(0, len(mine), 250):
                count = store.write_observations(mine[start:start + 250], T0).inserted
                with lock:
                    inserted.append(count)
        except BaseException as exc:
            errors.append(exc)
            raise

    threads = [threading.Thread(target=writer, args=(s, i * 700)) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert errors == []
        assert sum(inserted) == len(keys)
        assert stores[0].count_observations("s1") == len(keys)
    finally:
        for store in stores:
            store.close()


def test_operations_give_up_after_the_retry_window(postgres_url: str) -> None:
    with pytest.raises(psycopg.OperationalError):
        PostgresStore("postgresql://postgres@127.0.0.1:1/nothing", retry_seconds=0.5)
