"""Numbered SQL migrations per backend (pg/NNN_name.sql), applied in order and recorded.

Every process may start at once (API and ingest workers): an advisory lock lets one of them
apply what is missing while the others wait, then find nothing left to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import psycopg

_LOCK_KEY = "csm-migrations"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def pg_migrations() -> list[Migration]:
    """The shipped PostgreSQL migrations, ordered by their number."""
    found = []
    for entry in resources.files("csm.store.migrations.pg").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two PostgreSQL migrations share a number: {sorted(versions)}")
    return sorted(found, key=lambda m: m.version)


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
