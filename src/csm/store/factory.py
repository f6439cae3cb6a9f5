"""Choose a store backend from a URL: `duckdb:PATH` (default) or `postgresql://...`."""

from __future__ import annotations

from csm.store.base import Store


def open_store(url: str) -> Store:
    if url.startswith("duckdb:"):
        from csm.store.duckdb_store import DuckDBStore

        return DuckDBStore(url.removeprefix("duckdb:") or ":memory:")
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from csm.store.postgres_store import PostgresStore
        except ImportError as exc:  # pragma: no cover - until the backend lands
            raise ValueError("the PostgreSQL backend is not available in this build") from exc
        store: Store = PostgresStore(url)
        return store
    raise ValueError(f"unknown store URL {url!r}: use duckdb:PATH or postgresql://...")
