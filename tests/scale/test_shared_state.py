"""Two API workers (real uvicorn servers) on one PostgreSQL store answer alike: sources (polled by
the leader only), training sessions (created on one, steered on the other), alerts and the
shared part of /metrics and /readyz (job health, source status, the ingest totals); and with a
Redis bus, the stream clients of either hear of alert and source changes as they happen."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import websockets

from csm.advice.lifecycle import alert_book_of
from csm.api.app import create_app
from csm.bus_redis import split_bus_url
from csm.clock import FixedClock
from csm.domain.model import Level
from csm.runtime import Runtime, build_runtime
from csm.topics import SourcesMessage
from tests.conftest import DEMO_SITE, NOON, session_token
from tests.scale.conftest import wait_for
from tests.scale.servers import running_server
from tests.sources.conftest import FIXTURES, fixture_sources, write_sources

pytestmark = pytest.mark.services
SITE = "scheveningen"


@pytest.fixture
def source_site(tmp_path: Path) -> Path:
    target = tmp_path / SITE
    shutil.copytree(DEMO_SITE, target, ignore=shutil.ignore_patterns("feeds"))
    shutil.copytree(FIXTURES, target / "feeds")
    return write_sources(target, fixture_sources())


@pytest.fixture
def two_workers(source_site: Path, pg_schema_url: str) -> Iterator[list[Runtime]]:
    runtimes = [build_runtime([source_site], pg_schema_url, clock=FixedClock(NOON)) for _ in range(2)]
    yield runtimes
    for runtime in runtimes:
        runtime.close()


def shared_metric_lines(text: str) -> list[str]:
    """The lines of /metrics that describe the deployment rather than this process."""
    keep = re.compile(r'^csm_(job_\w+\{job="(?!picture:)|source_failing\{)')
    return sorted(line for line in text.splitlines() if keep.match(line))


def test_two_workers_answer_sources_training_alerts_and_metrics_alike(two_workers: list[Runtime]) -> None:
    first, second = two_workers
    user = {"Authorization": f"Bearer {session_token(first)}"}
    with running_server(create_app(first, web_dist=None)) as a, running_server(create_app(second, web_dist=None)) as b:
        workers = [httpx.Client(base_url=f"http://{address}", headers=user, timeout=60) for address in (a, b)]

        def both(path: str) -> list[Any]:
            answers = [w.get(path) for w in workers]
            assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
            return [r.json() for r in answers]

        # Sources: only the leader polls; the other worker shows the same statuses and descriptions.
        def all_polled() -> bool:
            statuses = workers[1].get(f"/api/v1/sites/{SITE}/sources").json()
            return bool(statuses) and all(s["last_attempt"] for s in statuses if s["status"] != "disabled")

        assert wait_for(all_polled, timeout=60)
        on_a, on_b = both(f"/api/v1/sites/{SITE}/sources")
        assert on_a == on_b and {s["status"] for s in on_b} <= {"ok", "stale", "failing", "disabled"}
        assert not any(s["summary"] == "not polled yet" for s in on_b)
        transit_a, transit_b = both(f"/api/v1/sites/{SITE}/transit")
        assert transit_a == transit_b and transit_b["stops"]  # stop names from the stored descriptions

        # Training: created on one worker, an incident injected through the other.
        created = workers[0].post("/api/v1/training/sessions", json={
            "site": SITE, "date": "2026-07-18", "start": "14:00", "speed": 60, "paused": True})
        assert created.status_code == 201, created.text
        session = created.json()["id"]
        surge = workers[1].post(f"/api/v1/training/sessions/{session}/incidents",
                                json={"kind": "surge", "zone": "pier", "factor": 3})
        assert surge.status_code == 201, surge.text
        info_a, info_b = both(f"/api/v1/training/sessions/{session}")
        assert info_a == info_b and len(info_b["incidents"]) == 1
        state_a, state_b = both(f"/api/v1/training/sessions/{session}/zones/state")
        assert state_a["zones"] == state_b["zones"]
        listed_a, listed_b = both("/api/v1/training/sessions")
        assert [s["id"] for s in listed_a] == [s["id"] for s in listed_b] == [session]
        assert workers[1].delete(f"/api/v1/training/sessions/{session}").status_code == 200
        assert workers[0].get(f"/api/v1/training/sessions/{session}").status_code == 404

        # Alerts: raised by one worker's engine book, seen and acknowledged through the other.
        raised = alert_book_of(first, SITE).raise_alert("pier", Level.ORANGE, "level", "Pier orange", NOON)
        assert raised is not None
        ack = workers[1].post(f"/api/v1/sites/{SITE}/alerts/{raised.id}/ack", json={})
        assert ack.status_code == 200, ack.text
        alerts_a, alerts_b = both(f"/api/v1/sites/{SITE}/alerts")
        assert alerts_a == alerts_b and any(x["status"] == "acknowledged" for x in alerts_b["alerts"])

        # Job health and source status: the same on both, though only the leader runs the jobs.
        ready_a, ready_b = (w.get("/readyz").json() for w in workers)
        shared_a = {k: v for k, v in ready_a["jobs"].items() if not k.startswith("picture:")}
        shared_b = {k: v for k, v in ready_b["jobs"].items() if not k.startswith("picture:")}
        assert shared_a == shared_b and {"advice", "retention", f"sources:{SITE}"} <= set(shared_b)
        metrics_a, metrics_b = (shared_metric_lines(w.get("/metrics").text) for w in workers)
        assert metrics_a == metrics_b
        assert any(line.startswith('csm_source_failing{site="scheveningen"') for line in metrics_b)
        for worker in workers:
            worker.close()


def subscribed(bus_url: str, topics: tuple[str, ...]) -> bool:
    """Some process listens on each of these topics' Redis channels."""
    url, namespace = split_bus_url(bus_url)
    client = redis.Redis.from_url(url)
    try:
        counts = dict(client.pubsub_numsub(*(f"{namespace}:bus:{t}" for t in topics)))
        return all(int(n) > 0 for n in counts.values())
    finally:
        client.close()


async def next_notice(ws: Any, topic: str, timeout: float = 30.0) -> dict[str, Any]:
    async def loop() -> dict[str, Any]:
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "changed" and message["topic"] == topic:
                return dict(message)

    return await asyncio.wait_for(loop(), timeout)


def test_stream_clients_of_any_worker_hear_of_alerts_and_sources_as_they_change(
    two_workers_on_redis: list[Runtime], bus_url: str
) -> None:
    """The alert book and the source coordinator publish on the bus; every API worker subscribes,
    so a dashboard connected to a worker that runs no jobs rereads alerts and sources at once."""
    first, second = two_workers_on_redis
    user = {"Authorization": f"Bearer {session_token(first)}"}

    async def scenario(address_b: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with websockets.connect(f"ws://{address_b}/api/v1/sites/tiny/zones/stream",
                                      additional_headers=user) as ws:
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert snapshot["type"] == "snapshot"
            for _ in range(400):  # worker B's subscriptions have reached Redis
                if subscribed(bus_url, ("alerts", "sources")):
                    break
                await asyncio.sleep(0.05)
            raised = alert_book_of(first, "tiny").raise_alert("plein", Level.ORANGE, "level_change",
                                                              "Plein is orange", NOON)
            assert raised is not None
            alert = await next_notice(ws, "alerts")
            acked = alert_book_of(first, "tiny").transition(raised.id, "acknowledged", "anna", NOON)
            step = await next_notice(ws, "alerts")
            assert acked.status == "acknowledged"
            first.bus.publish("sources", SourcesMessage(site="tiny", source="weather", stored=4))
            return alert, step, await next_notice(ws, "sources")

    with running_server(create_app(second, web_dist=None)) as b:
        alert, step, sources = asyncio.run(scenario(b))
    assert (alert["event"], alert["zone_id"]) == ("raised", "plein") and "message" not in alert  # no content
    assert step["event"] == "acknowledged" and step["alert_id"] == alert["alert_id"]
    assert sources == {"type": "changed", "topic": "sources", "source": "weather"}


def test_every_worker_reports_the_deployments_ingest_totals(two_workers_on_redis: list[Runtime]) -> None:
    """Each worker ingests some; /metrics of either shows the same sums (csm_deployment_*)."""
    first, second = two_workers_on_redis
    start = NOON - timedelta(minutes=30)

    def items(sensor: str, minutes: range, occupancy: float = 10) -> list[dict[str, Any]]:
        return [{"sensor_id": sensor, "interval_start": (start + timedelta(minutes=m)).isoformat(),
                 "interval_seconds": 60, "counts": {"occupancy": occupancy}} for m in minutes]

    assert first.sites["tiny"].ingest.ingest_items(items("cam-a", range(5)), "http").accepted == 5
    assert second.sites["tiny"].ingest.ingest_items(items("cam-a", range(5, 8)), "mqtt").accepted == 3
    resent_and_negative = items("cam-a", range(2)) + items("cam-a", range(9, 10), -1)
    again = second.sites["tiny"].ingest.ingest_items(resent_and_negative, "http")
    assert (again.duplicates, len(again.rejected)) == (2, 1)
    user = {"Authorization": f"Bearer {session_token(first)}"}
    with running_server(create_app(first, web_dist=None)) as a, running_server(create_app(second, web_dist=None)) as b:
        # Each process writes its counters at most once a second (and at its own scrape): within a
        # few seconds both workers answer the same sums.
        deadline = time.monotonic() + 10
        while True:
            scraped = []
            for address in (a, b):
                text = httpx.get(f"http://{address}/metrics", headers=user, timeout=30).text
                scraped.append(sorted(line for line in text.splitlines() if line.startswith("csm_deployment_")))
            if (scraped[0] == scraped[1] and len(scraped[0]) >= 4) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
    assert scraped[0] == scraped[1]
    lines = scraped[0]
    assert 'csm_deployment_observations_ingested{channel="http",site="tiny"} 5.0' in lines
    assert 'csm_deployment_observations_ingested{channel="mqtt",site="tiny"} 3.0' in lines
    assert 'csm_deployment_observations_duplicate{channel="http",site="tiny"} 2.0' in lines
    assert any(line.startswith('csm_deployment_observations_rejected{channel="http"') and line.endswith(" 1.0")
               for line in lines)
