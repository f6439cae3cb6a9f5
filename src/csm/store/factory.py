"""Choose a store backend from a URL: `duckdb:PATH` (default) or `postgresql://...`.

The one place that reads a store URL: everything else asks `store_backend` (leadership, the CLI).
"""

from __future__ import annotations

from typing import Literal

from csm.store.base import Store

Backend = Literal["duckdb", "postgresql"]


def store_backend(url: str) -> Backend:
    if url.startswith("duckdb:"):
        return "duckdb"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql"
    raise ValueError(f"unknown store URL {url!r}: use duckdb:PATH or postgresql://...")


def duckdb_path(url: str) -> str:
    """The file of a `duckdb:PATH` URL (':memory:' when empty)."""
    if store_backend(url) != "duckdb":
        raise ValueError(f"not a DuckDB store URL: {url!r}")
    return url.removeprefix("duckdb:") or ":memory:"


def open_store(url: str) -> Store:
    if store_backend(url) == "duckdb":
        from csm.store.duckdb_store import DuckDBStore

        return DuckDBStore(duckdb_path(url))
    from csm.store.postgres_store import PostgresStore

    store: Store = PostgresStore(url)
    return store
