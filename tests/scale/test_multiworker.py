"""Two API workers (real uvicorn servers) on one PostgreSQL store and one Redis: an observation
posted to one worker reaches the live stream of a dashboard connected to the other."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from csm.api.app import create_app
from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from tests.conftest import NOON, ingest_token, session_token
from tests.scale.servers import running_server
from tests.test_ingest_http import item

pytestmark = pytest.mark.services


@pytest.fixture
def two_workers(tiny_site_dir: Path, pg_schema_url: str, bus_url: str) -> Iterator[list[Runtime]]:
    runtimes = [
        build_runtime([tiny_site_dir], pg_schema_url, clock=FixedClock(NOON), bus_url=bus_url) for _ in range(2)
    ]
    for runtime in runtimes:
        runtime.picture_tick_seconds = 60.0  # a change must travel through Redis, not wait for a tick
    yield runtimes
    for runtime in runtimes:
        runtime.close()


async def receive_update(ws: Any, zone: str, timeout: float) -> dict[str, Any]:
    async def loop() -> dict[str, Any]:
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "update":
                changed = {z["zone_id"]: z for z in message["zones"]}
                if zone in changed:
                    return changed[zone]

    return await asyncio.wait_for(loop(), timeout)


def test_observation_ingested_by_one_worker_reaches_stream_clients_of_the_other(
    two_workers: list[Runtime],
) -> None:
    first, second = two_workers
    user = {"Authorization": f"Bearer {session_token(first)}"}
    feed = {"Authorization": f"Bearer {ingest_token('tiny')}"}

    async def scenario(address_a: str, address_b: str) -> dict[str, Any]:
        stream = f"ws://{address_b}/api/v1/sites/tiny/zones/stream"
        async with websockets.connect(stream, additional_headers=user) as ws:
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert snapshot["type"] == "snapshot" and len(snapshot["zones"]) == 3
            async with httpx.AsyncClient(base_url=f"http://{address_a}") as client:
                answer = await client.post("/api/v1/observations", json=[item(occupancy=1200)], headers=feed)
                assert answer.status_code == 200, answer.text
                assert answer.json()["accepted"] == 1
            return await receive_update(ws, "plein", timeout=5)

    with running_server(create_app(first, web_dist=None)) as a, running_server(create_app(second, web_dist=None)) as b:
        plein = asyncio.run(scenario(a, b))
        assert plein["occupancy"] == 2400 and plein["level"] == "red"  # coverage 0.5 scales 1200 up
        # The REST answer of the other worker agrees: both compute from the one shared store.
        state = httpx.get(f"http://{b}/api/v1/sites/tiny/zones/state", headers=user).json()
        assert {z["zone_id"]: z["occupancy"] for z in state["zones"]}["plein"] == 2400


def test_only_one_worker_runs_the_singleton_jobs(two_workers: list[Runtime]) -> None:
    first, second = two_workers
    assert first.leadership.acquire() is True
    assert second.leadership.acquire() is False  # the lock is held by the first worker's session
    assert first.leadership.acquire() is True  # confirming is idempotent
    first.leadership.release()
    assert second.leadership.acquire() is True  # taken over as soon as the first lets go
    second.leadership.release()
