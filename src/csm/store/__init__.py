"""Storage: one interface (`Store`), an embedded DuckDB backend and a PostgreSQL backend."""

from csm.store.base import DeadLetter, LatestValue, LineBalance, Store, StoredEvent, WriteResult
from csm.store.factory import open_store

__all__ = ["DeadLetter", "LatestValue", "LineBalance", "Store", "StoredEvent", "WriteResult", "open_store"]
