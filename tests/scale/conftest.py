"""Fixtures for the scale-out tests: a fresh PostgreSQL schema and a private Redis namespace."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest

from tests.store.conftest import pg_schema_url  # noqa: F401  (fixture re-exported here)


@pytest.fixture
def bus_url(redis_url: str) -> str:
    """Pub/sub channels are server-wide: a namespace of its own keeps parallel runs apart."""
    return f"{redis_url}?namespace=test-{uuid.uuid4().hex[:10]}"


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
