"""Issue 12 item 1 over HTTP: a malformed item is refused alone; its neighbours are stored."""

from __future__ import annotations

import pytest

from csm.runtime import Runtime
from tests.conftest import AuthedClient
from tests.hardening.items import BAD_BODIES, DEEP_ITEM, MALFORMED, batch

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_item_is_refused_and_neighbours_stored(
    http: AuthedClient, store_runtime: Runtime, name: str
) -> None:
    response = http.post("/api/v1/observations", content=batch(MALFORMED[name]), headers=JSON)
    assert response.status_code == 200, f"{name}: {response.status_code} {response.text[:300]}"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["accepted"] == 2, body
    (rejection,) = body["rejected"]
    assert rejection["index"] == 1 and rejection["reason"] and rejection["detail"]
    assert store_runtime.store.count_observations("tiny") == 2
    (letter,) = store_runtime.store.list_dead_letters("tiny")
    assert letter.reason == rejection["reason"]
    assert len(letter.payload) < 70_000


def test_item_nested_beyond_the_parser_limit_is_refused_alone(
    http: AuthedClient, store_runtime: Runtime
) -> None:
    response = http.post("/api/v1/observations", content=batch(DEEP_ITEM), headers=JSON)
    assert response.status_code == 200, response.text[:300]  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["accepted"] == 2
    assert [r["reason"] for r in body["rejected"]] == ["too_deep"]
    assert store_runtime.store.count_observations("tiny") == 2


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_unusable_body_is_a_4xx_with_a_reason(http: AuthedClient, store_runtime: Runtime, name: str) -> None:
    response = http.post("/api/v1/observations", content=BAD_BODIES[name], headers=JSON)
    assert 400 <= response.status_code < 500, f"{name}: {response.status_code} {response.text[:200]}"  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["rejected"] and all(r["reason"] for r in body["rejected"])
    assert store_runtime.store.count_observations("tiny") == 0
    assert len(store_runtime.store.list_dead_letters("tiny")) >= 1
