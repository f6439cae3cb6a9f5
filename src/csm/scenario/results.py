"""Scenario results kept in the store's append-only log (stream `scenarios`), newest first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from csm.store.base import Store

STREAM = "scenarios"
READ_LIMIT = 10_000


def save_result(store: Store, site_id: str, result: dict[str, Any], stream: str = STREAM) -> None:
    store.append_event(site_id, stream, datetime.now(UTC), result)


def list_results(store: Store, site_id: str, stream: str = STREAM) -> list[dict[str, Any]]:
    events = store.read_events(site_id, stream, 0, READ_LIMIT)
    return [e.payload for e in reversed(events)]


def get_result(store: Store, site_id: str, result_id: str, stream: str = STREAM) -> dict[str, Any] | None:
    return next((r for r in list_results(store, site_id, stream) if r.get("id") == result_id), None)
