"""Two sites on one store, so every administrative action can be tried inside and outside a scope."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from csm.store.base import DeadLetter
from tests.conftest import NOON, TINY_SITE, TINY_ZONES, session_token, write_site

SITES = ("tiny", "other")


@pytest.fixture
def two_sites(tmp_path: Path) -> Iterator[Runtime]:
    folders = [write_site(tmp_path / site, {**TINY_SITE, "id": site, "name": site}, TINY_ZONES) for site in SITES]
    runtime = build_runtime(folders, f"duckdb:{tmp_path / 'two.duckdb'}", clock=FixedClock(NOON))
    for site in SITES:
        runtime.store.write_dead_letters([DeadLetter(site, "http", datetime.now(UTC), "unknown_sensor", "sensor_id",
                                                     f"letter of {site}", '{"sensor_id": "nope"}')])
        runtime.store.append_event(site, "audit", datetime.now(UTC), {"user": "x", "action": f"seen {site}"})
    yield runtime
    runtime.close()


@pytest.fixture
def client(two_sites: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(two_sites, web_dist=None)) as test_client:
        yield test_client


def bearer(runtime: Runtime, role: str, sites: tuple[str, ...], username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {session_token(runtime, role, sites, username=username)}"}


from tests.store.conftest import pg_schema_url  # noqa: E402, F401  (fixture re-exported here)
