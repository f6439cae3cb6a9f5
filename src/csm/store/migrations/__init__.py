"""Numbered SQL migrations per backend (pg/NNN_name.sql, duckdb/NNN_name.sql), applied in order on
open and recorded in a `schema_migrations` table, so a column added later reaches existing stores.

Every process may start at once (API and ingest workers): on PostgreSQL an advisory lock lets one
of them apply what is missing while the others wait, then find nothing left to do. A DuckDB file
belongs to one process, so its migrations need no lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import psycopg

_LOCK_KEY = "csm-migrations"
Backend = Literal["pg", "duckdb"]


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations_of(backend: Backend) -> list[Migration]:
    """The shipped migrations of one backend, ordered by their number."""
    found = []
    for entry in resources.files(f"csm.store.migrations.{backend}").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two {backend} migrations share a number: {sorted(versions)}")
    return sorted(found, key=lambda m: m.version)


def pg_migrations() -> list[Migration]:
    """The shipped PostgreSQL migrations, ordered by their number."""
    return migrations_of("pg")


def apply_pg_migrations(conn: psycopg.Connection[tuple[object, ...]]) -> list[int]:
    """Apply the missing migrations in order, each in its own transaction; returns those applied."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s || current_schema()))", [_LOCK_KEY])
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {int(str(row[0])) for row in conn.execute("SELECT version FROM schema_migrations")}
        for migration in pg_migrations():
            if migration.version in done:
                continue
            with conn.transaction():
                conn.execute(migration.sql.encode("utf-8"))
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    [migration.version, migration.name],
                )
            applied.append(migration.version)
    return applied


def apply_duckdb_migrations(con: Any) -> list[int]:
    """Apply the missing DuckDB migrations in order, each in its own transaction.

    `con` is a duckdb connection. A file from before numbered migrations has the tables of
    001_initial but no `schema_migrations`: 001 only creates what is missing, so it upgrades too.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    done = {int(row[0]) for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied: list[int] = []
    for migration in migrations_of("duckdb"):
        if migration.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                        [migration.version, migration.name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied
