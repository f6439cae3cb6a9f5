"""Watched background jobs: a job that raises is logged with its traceback, restarted with backoff,
and its failure is visible in /readyz and /metrics; a good round clears the failing state."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.jobs import Job, job_succeeded
from csm.runtime import Runtime
from tests.conftest import session_token


class Flaky:
    """Raises on its first `failures` starts, then completes a round every few milliseconds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.starts = 0

    async def run(self, _: object, stop: asyncio.Event) -> None:
        self.starts += 1
        if self.starts <= self.failures:
            raise RuntimeError(f"boom number {self.starts}")
        while not stop.is_set():
            job_succeeded()
            await asyncio.sleep(0.01)


def wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_crashing_job_is_logged_restarted_and_visible_in_readiness(
    tiny_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = Flaky(failures=10**6)  # keeps failing
    tiny_runtime.jobs = [Job("flaky", flaky.run)]
    tiny_runtime.supervisor.first_backoff = 0.01
    tiny_runtime.supervisor.max_backoff = 0.05
    admin = {"Authorization": f"Bearer {session_token(tiny_runtime)}"}
    app = create_app(tiny_runtime, web_dist=None)
    with caplog.at_level(logging.ERROR, logger="csm.jobs"), TestClient(app) as client:
        wait_for(lambda: flaky.starts >= 3)
        tiny_runtime.supervisor.flush()
        ready = client.get("/readyz")
        metrics = client.get("/metrics", headers=admin).text
    assert ready.status_code == 200  # the worker still serves; the job's failure is reported
    body = ready.json()
    assert body["status"] == "degraded"
    job = body["jobs"]["flaky"]
    assert job["failing"] is True and job["restarts"] >= 2 and job["errors"] >= 3
    assert "RuntimeError: boom number" in job["last_error"]
    assert any("job flaky: RuntimeError: boom" in line for line in body["failing"])
    assert 'csm_job_failing{job="flaky"} 1.0' in metrics
    crashes = [r for r in caplog.records if "job flaky crashed" in r.getMessage()]
    assert crashes and crashes[0].exc_info is not None  # logged with the traceback
    assert "picture:tiny" in body["jobs"]


def test_a_job_that_recovers_is_ready_again_with_its_last_success(tiny_runtime: Runtime) -> None:
    flaky = Flaky(failures=2)
    tiny_runtime.jobs = [Job("flaky", flaky.run)]
    tiny_runtime.supervisor.first_backoff = 0.01
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        wait_for(lambda: flaky.starts == 3 and tiny_runtime.supervisor.health["flaky"].last_success is not None)
        tiny_runtime.supervisor.flush()
        body = client.get("/readyz").json()
    assert body["status"] == "ready"
    job = body["jobs"]["flaky"]
    assert job["restarts"] == 2 and job["failing"] is False and job["last_success"] is not None
    assert "boom number 2" in job["last_error"]  # the last error stays visible


def test_advice_job_whose_setup_fails_is_restarted_not_lost(
    tiny_runtime: Runtime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: AdviceEngine.for_site raising used to end the advice job without a log line."""
    from csm.advice import engine

    calls = {"n": 0}
    original = engine.AdviceEngine.for_site

    def broken_once(runtime: Runtime, site_runtime: object) -> engine.AdviceEngine:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("playbook unreadable")
        return original(runtime, site_runtime)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.AdviceEngine, "for_site", staticmethod(broken_once))
    tiny_runtime.jobs = [Job("advice", engine.run_advice)]
    tiny_runtime.supervisor.first_backoff = 0.01
    with caplog.at_level(logging.ERROR, logger="csm.jobs"), TestClient(create_app(tiny_runtime, web_dist=None)):
        wait_for(lambda: tiny_runtime.supervisor.health["advice"].restarts >= 1)
    assert any("job advice crashed" in r.getMessage() for r in caplog.records)
    assert "playbook unreadable" in (tiny_runtime.supervisor.health["advice"].last_error or "")
