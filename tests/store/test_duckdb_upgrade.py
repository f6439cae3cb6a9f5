"""A DuckDB file made by the previous release (inline schema of commit d33af52, no migrations
table) is upgraded in place when opened: data kept, later migrations applied and recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from csm.store.duckdb_store import DuckDBStore
from csm.store.migrations import migrations_of

OLD_SCHEMA = Path(__file__).parent / "fixtures" / "duckdb_schema_d33af52.sql"
T0 = datetime(2026, 7, 18, 9, 0, tzinfo=UTC)


def make_previous_release_store(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(OLD_SCHEMA.read_text("utf-8"))
    con.execute(
        "INSERT INTO observations VALUES ('s1', 'cam', 'occupancy', TIMESTAMP '2026-07-18 09:00:00', 60, 42.0,"
        " TIMESTAMP '2026-07-18 09:01:00')"
    )
    con.execute("INSERT INTO events (site_id, stream, ts, payload) VALUES ('s1', 'alerts', now(), '{}')")
    con.close()


def test_store_of_the_previous_release_is_upgraded_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    make_previous_release_store(path)
    store = DuckDBStore(path)
    try:
        assert store.count_observations("s1") == 1  # nothing lost
        store.put_state("s1", "source", "weather", {"status": "ok"}, T0)  # a table added later
        assert store.read_state("s1", "source")[0].payload == {"status": "ok"}
        assert store.append_event("s1", "alerts", T0, {"n": 2}) == 2  # sequences continue
    finally:
        store.close()
    con = duckdb.connect(str(path))
    versions = [row[0] for row in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    con.close()
    assert versions == [m.version for m in migrations_of("duckdb")]
    assert len(versions) >= 2


def test_migrations_run_once(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    DuckDBStore(path).close()
    store = DuckDBStore(path)  # reopening applies nothing twice (a second 002 would fail on its key)
    store.close()
    con = duckdb.connect(str(path))
    count = con.execute("SELECT count(*) FROM schema_migrations").fetchone()
    con.close()
    assert count is not None and count[0] == len(migrations_of("duckdb"))
