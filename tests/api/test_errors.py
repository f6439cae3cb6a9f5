"""Answers the OpenAPI document promises (defects schemathesis found, issue 12): the right `Allow`
on 405, 409 for an account that exists, a replay body of one shape or the other, /metrics as text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.runtime import Runtime
from tests.conftest import session_token


@pytest.fixture
def admin(tiny_runtime: Runtime) -> Iterator[tuple[TestClient, dict[str, str]]]:
    headers = {"Authorization": f"Bearer {session_token(tiny_runtime)}"}
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        yield client, headers


@pytest.mark.parametrize(("path", "methods"), [
    ("/api/v1/sites/tiny/scenarios", {"GET", "POST"}),
    ("/api/v1/training/sessions", {"GET", "POST"}),
    ("/api/v1/users", {"GET", "POST"}),
    ("/api/v1/training/sessions/abc", {"GET", "DELETE"}),
])
def test_a_wrong_method_lists_every_method_of_the_path(
    admin: tuple[TestClient, dict[str, str]], path: str, methods: set[str]
) -> None:
    client, headers = admin
    answer = client.request("PATCH", path, headers=headers)
    assert answer.status_code == 405
    assert set(answer.headers["allow"].split(", ")) - {"HEAD"} == methods


def test_adding_an_existing_account_is_a_conflict(admin: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = admin
    body = {"username": "test-administrator", "role": "viewer", "sites": ["tiny"], "password": "x" * 16}
    answer = client.post("/api/v1/users", json=body, headers=headers)
    assert answer.status_code == 409 and "exists" in answer.json()["detail"]


@pytest.mark.parametrize("body", [{"all": 0, "ids": [1]}, {"ids": [1], "all": True}, {"ids": []}, {"all": False}])
def test_replay_takes_ids_or_all_true(admin: tuple[TestClient, dict[str, str]], body: dict[str, object]) -> None:
    client, headers = admin
    assert client.post("/api/v1/deadletters/replay", json=body, headers=headers).status_code == 422


def test_replay_of_all_letters_is_accepted(admin: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = admin
    answer = client.post("/api/v1/deadletters/replay", json={"all": True}, headers=headers)
    assert answer.status_code == 200 and answer.json() == {"replayed": 0, "outcomes": []}


def test_metrics_and_errors_are_documented(admin: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = admin
    spec = client.get("/openapi.json").json()
    assert "text/plain" in spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    detail = spec["components"]["schemas"]["ErrorBody"]["properties"]["detail"]
    assert {s.get("type") for s in detail["anyOf"]} == {"string", "array"}  # a sentence or the problems
    items = spec["paths"]["/api/v1/observations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert items["oneOf"][0]["items"]["required"] == ["sensor_id", "interval_start"]
