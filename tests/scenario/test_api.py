"""Scenarios through the real ASGI app: run, list, read; invalid documents answer with problems."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.runtime import Runtime
from tests.conftest import AuthedClient, session_token

CONCERT = {"name": "concert", "date": "2026-07-18", "baseline": "demo", "changes": [
    {"kind": "event", "zone": "plein", "visitors": 1200, "start": "20:00", "end": "22:00"}]}


@pytest.fixture
def client(tiny_runtime: Runtime) -> Iterator[AuthedClient]:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as raw:
        yield AuthedClient(raw, tiny_runtime)


def test_run_list_and_read_back(client: AuthedClient) -> None:
    response = client.post("/api/v1/sites/tiny/scenarios", json=CONCERT)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["site"] == "tiny" and result["baseline_source"].startswith("demo profiles")
    listed = client.get("/api/v1/sites/tiny/scenarios").json()["scenarios"]
    assert [s["id"] for s in listed] == [result["id"]]
    assert listed[0]["zones_worse"] >= 1
    stored = client.get(f"/api/v1/sites/tiny/scenarios/{result['id']}").json()
    assert stored["zones"] == result["zones"]
    assert client.get("/api/v1/sites/tiny/scenarios/nope").status_code == 404


def test_invalid_scenario_answers_422_with_each_problem(client: AuthedClient) -> None:
    bad = {**CONCERT, "changes": [{"kind": "event", "zone": "atlantis", "visitors": 5, "start": "20:00",
                                   "end": "22:00"}]}
    response = client.post("/api/v1/sites/tiny/scenarios", json=bad)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert problems[0]["path"] == "changes[0].zone" and "atlantis" in problems[0]["message"]


def test_forecast_baseline_without_a_forecast_is_a_conflict(client: AuthedClient) -> None:
    response = client.post("/api/v1/sites/tiny/scenarios", json={**CONCERT, "baseline": "forecast"})
    assert response.status_code == 409


def test_viewers_may_not_run_scenarios(client: AuthedClient, tiny_runtime: Runtime) -> None:
    token = session_token(tiny_runtime, "viewer", ("tiny",))
    response = client.raw.post("/api/v1/sites/tiny/scenarios", json=CONCERT,
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
