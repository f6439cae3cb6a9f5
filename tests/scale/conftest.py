"""Fixtures for the scale-out tests: a fresh PostgreSQL schema and a private Redis namespace."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from tests.conftest import NOON
from tests.store.conftest import pg_schema_url  # noqa: F401  (fixture re-exported here)


@pytest.fixture
def bus_url(redis_url: str) -> str:
    """Pub/sub channels are server-wide: a namespace of its own keeps parallel runs apart."""
    return f"{redis_url}?namespace=test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def two_workers_on_redis(
        tiny_site_dir: Path, pg_schema_url: str, bus_url: str,  # noqa: F811  (the fixture above)
) -> Iterator[list[Runtime]]:
    """Two workers of one deployment: one PostgreSQL store, one Redis bus."""
    runtimes = [build_runtime([tiny_site_dir], pg_schema_url, clock=FixedClock(NOON), bus_url=bus_url)
                for _ in range(2)]
    yield runtimes
    for runtime in runtimes:
        runtime.close()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
