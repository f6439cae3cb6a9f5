"""Two API workers (real uvicorn servers) on one PostgreSQL store answer alike: sources (polled by
the leader only), training sessions (created on one, steered on the other), alerts and the
shared part of /metrics and /readyz (job health, source status)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from csm.advice.lifecycle import alert_book_of
from csm.api.app import create_app
from csm.clock import FixedClock
from csm.domain.model import Level
from csm.runtime import Runtime, build_runtime
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
        ack = workers[1].post(f"/api/v1/sites/{SITE}/alerts/{raised['id']}/ack", json={})
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
