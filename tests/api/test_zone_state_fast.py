"""The zone-state poll answered beside the router (csm.api.zone_state_fast) must be the route's answer,
byte for byte and header for header, and everything it does not answer must reach the app unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.requests import HTTPConnection

from csm.api import state_cache, zone_state_answer, zone_state_fast
from csm.api.app import create_app
from csm.api.state_cache import StateAnswerCache
from csm.runtime import Runtime
from tests.conftest import session_token

URL = "/api/v1/sites/tiny/zones/state"


@pytest.fixture
def client(tiny_runtime: Runtime) -> Iterator[TestClient]:
    tiny_runtime.sites["tiny"].picture.refresh()
    with TestClient(create_app(tiny_runtime, web_dist=None)) as test_client:
        yield test_client


@pytest.fixture
def fast_answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths the fast path answered itself (it runs the guard once per request it takes)."""
    taken: list[str] = []
    guard = zone_state_fast.authorize

    async def counting(conn: HTTPConnection) -> None:
        taken.append(conn.url.path)
        await guard(conn)

    monkeypatch.setattr(zone_state_fast, "authorize", counting)
    return taken


def _same(fast: httpx.Response, routed: httpx.Response) -> None:
    assert fast.status_code == routed.status_code
    assert fast.content == routed.content
    assert {k: v for k, v in fast.headers.items() if k != "date"} == \
        {k: v for k, v in routed.headers.items() if k != "date"}


def _routed(monkeypatch: pytest.MonkeyPatch, request: Callable[[], httpx.Response]) -> httpx.Response:
    """The same request with the fast path stepping aside: FastAPI's route answers."""
    with monkeypatch.context() as patch:
        patch.setattr(zone_state_fast, "site_of", lambda path: None)
        return request()


@pytest.mark.parametrize("role", ["administrator", "viewer"])  # the viewer gets small counts suppressed
@pytest.mark.parametrize("extra", [{}, {"Accept-Encoding": "gzip"}, {"Accept-Encoding": "identity"}])
def test_the_fast_path_answers_exactly_like_the_route(client: TestClient, tiny_runtime: Runtime,
                                                      monkeypatch: pytest.MonkeyPatch, fast_answers: list[str],
                                                      role: str, extra: dict[str, str]) -> None:
    monkeypatch.setattr(zone_state_answer, "GZIP_MIN_BYTES", 1)  # the tiny site's answer is small
    headers = {"Authorization": f"Bearer {session_token(tiny_runtime, role=role, sites=('tiny',))}", **extra}
    fast = client.get(URL, headers=headers)
    assert fast_answers == [URL] and fast.status_code == 200
    assert fast.headers["x-frame-options"] == "DENY" and "content-security-policy" in fast.headers
    routed = _routed(monkeypatch, lambda: client.get(URL, headers=headers))
    assert fast_answers == [URL]
    _same(fast, routed)
    unchanged = {**headers, "If-None-Match": fast.headers["etag"]}
    not_modified = client.get(URL, headers=unchanged)
    assert not_modified.status_code == 304 and len(fast_answers) == 2
    _same(not_modified, _routed(monkeypatch, lambda: client.get(URL, headers=unchanged)))


@pytest.mark.parametrize(("url", "headers", "status"), [
    (URL, {}, 401),
    (URL, {"Authorization": "Bearer not-a-token"}, 401),
    ("/api/v1/sites/elsewhere/zones/state", None, 403),
    (URL.replace("/zones/", "//zones/"), None, 308),
])
def test_what_it_does_not_answer_gets_the_apps_answer(client: TestClient, tiny_runtime: Runtime,
                                                      monkeypatch: pytest.MonkeyPatch, fast_answers: list[str],
                                                      url: str, headers: dict[str, str] | None, status: int) -> None:
    if headers is None:
        headers = {"Authorization": f"Bearer {session_token(tiny_runtime, sites=('tiny',))}"}
    answer = client.get(url, headers=headers, follow_redirects=False)
    assert answer.status_code == status
    _same(answer, _routed(monkeypatch, lambda: client.get(url, headers=headers, follow_redirects=False)))


def test_a_zone_scoped_caller_goes_through_the_scope_filter_with_one_audit_entry(
        client: TestClient, tiny_runtime: Runtime, fast_answers: list[str]) -> None:
    token = session_token(tiny_runtime, role="event_organiser", sites=("tiny",), zones={"tiny": ["pier"]},
                          username="organiser")
    for _ in range(2):
        answer = client.get(URL, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and [z["zone_id"] for z in answer.json()["zones"]] == ["pier"]
    assert fast_answers == [URL, URL]  # it looked, then left the answer to the app
    audit = [e.payload for e in tiny_runtime.store.read_events("tiny", "audit") if e.payload["user"] == "organiser"]
    assert [e["action"] for e in audit] == [f"GET {URL}"]  # one entry per minute, as through the route


def test_polls_that_miss_together_share_one_encoding(tiny_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    from csm.auth.principal import Principal
    from csm.auth.roles import Role

    encodings: list[int] = []
    encode = state_cache.encode_answer

    def counting(document: dict[str, Any]) -> state_cache.EncodedAnswer:
        encodings.append(len(document["zones"]))
        return encode(document)

    monkeypatch.setattr(state_cache, "encode_answer", counting)
    site_runtime = tiny_runtime.sites["tiny"]
    site_runtime.picture.refresh()
    cache = StateAnswerCache()
    principal = Principal("someone", Role.ADMINISTRATOR, frozenset({"tiny"}))

    async def polls() -> list[state_cache.EncodedAnswer]:
        waits: list[Awaitable[state_cache.EncodedAnswer]] = [cache.current(site_runtime, principal)
                                                             for _ in range(50)]
        answers = list(await asyncio.gather(*waits))
        zipped = await asyncio.gather(*(cache.gzipped(answers[0]) for _ in range(20)))
        assert len({id(z) for z in zipped}) == 1
        return answers

    answers = asyncio.run(polls())
    assert encodings == [len(site_runtime.site.zones)] and len({id(a) for a in answers}) == 1
