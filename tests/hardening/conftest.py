"""Fixtures of the hardening tests: the tiny site on either store backend, an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from tests.conftest import AuthedClient
from tests.store.conftest import pg_schema_url, store_url  # noqa: F401  (fixtures re-exported)


@pytest.fixture
def any_store_url(store_url: str) -> str:  # noqa: F811  (the re-exported fixture, by name)
    """Every store backend (the store suite's `store_url`): a DuckDB file and a fresh PostgreSQL schema."""
    return store_url


@pytest.fixture
def store_runtime(tiny_site_dir: Path, any_store_url: str, clock: FixedClock) -> Iterator[Runtime]:
    runtime = build_runtime([tiny_site_dir], any_store_url, clock=clock)
    yield runtime
    runtime.close()


@pytest.fixture
def http(store_runtime: Runtime) -> Iterator[AuthedClient]:
    """The real app over `store_runtime` (both backends), with an administrator and a feed token."""
    with TestClient(create_app(store_runtime, web_dist=None)) as test_client:
        # These tests send a hundred hostile batches as fast as the store takes them: the ingest
        # flood limit (50 per second, tested in tests/test_security.py) must not answer some with 429.
        test_client.app.state.auth.ingest_requests.limit = 1_000_000  # type: ignore[attr-defined]
        yield AuthedClient(test_client, store_runtime)
