"""The zone-state poll answered beside the router (csm.api.zone_state_fast) must be the route's answer,
byte for byte and header for header, and everything it does not answer must reach the app unchanged."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.requests import HTTPConnection

from csm.api import state_cache, zone_state_answer, zone_state_fast
from csm.api.app import create_app
from csm.api.state_cache import StateAnswerCache
from csm.auth.principal import Principal
from csm.runtime import Runtime
from tests.conftest import session_token

URL = "/api/v1/sites/tiny/zones/state"


@pytest.fixture
def client(tiny_runtime: Runtime) -> Iterator[TestClient]:
    tiny_runtime.sites["tiny"].picture.refresh()
    with TestClient(create_app(tiny_runtime, web_dist=None)) as test_client:
        yield test_client


@dataclass
class FastPath:
    """What the fast path did: requests whose caller it identified (`looked`), answers it sent itself
    (`answered`), and full guard runs it made (`guarded`; a remembered decision makes none)."""

    looked: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    guarded: list[str] = field(default_factory=list)


@pytest.fixture
def fast_answers(monkeypatch: pytest.MonkeyPatch) -> FastPath:
    seen = FastPath()
    guard, sees, answer = zone_state_fast.authorize, zone_state_fast.sees_whole_site, zone_state_fast.zone_state_answer

    async def guarding(conn: HTTPConnection) -> None:
        seen.guarded.append(conn.url.path)
        await guard(conn)

    def looking(principal: Principal, site_id: str) -> bool:
        seen.looked.append(site_id)
        return sees(principal, site_id)

    async def answering(*args: Any) -> zone_state_answer.ZoneStateAnswer:
        seen.answered.append(args[1].site.id)
        return await answer(*args)

    monkeypatch.setattr(zone_state_fast, "authorize", guarding)
    monkeypatch.setattr(zone_state_fast, "sees_whole_site", looking)
    monkeypatch.setattr(zone_state_fast, "zone_state_answer", answering)
    return seen


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
                                                      monkeypatch: pytest.MonkeyPatch, fast_answers: FastPath,
                                                      role: str, extra: dict[str, str]) -> None:
    monkeypatch.setattr(zone_state_answer, "GZIP_MIN_BYTES", 1)  # the tiny site's answer is small
    headers = {"Authorization": f"Bearer {session_token(tiny_runtime, role=role, sites=('tiny',))}", **extra}
    fast = client.get(URL, headers=headers)
    assert fast_answers.answered == ["tiny"] and fast.status_code == 200
    assert fast.headers["x-frame-options"] == "DENY" and "content-security-policy" in fast.headers
    routed = _routed(monkeypatch, lambda: client.get(URL, headers=headers))
    assert fast_answers.answered == ["tiny"]
    _same(fast, routed)
    unchanged = {**headers, "If-None-Match": fast.headers["etag"]}
    not_modified = client.get(URL, headers=unchanged)
    assert not_modified.status_code == 304 and fast_answers.answered == ["tiny", "tiny"]
    assert fast_answers.guarded == [URL]  # the second poll reused the first one's decision
    _same(not_modified, _routed(monkeypatch, lambda: client.get(URL, headers=unchanged)))


@pytest.mark.parametrize(("url", "headers", "status"), [
    (URL, {}, 401),
    (URL, {"Authorization": "Bearer not-a-token"}, 401),
    ("/api/v1/sites/elsewhere/zones/state", None, 403),
    (URL.replace("/zones/", "//zones/"), None, 308),
])
def test_what_it_does_not_answer_gets_the_apps_answer(client: TestClient, tiny_runtime: Runtime,
                                                      monkeypatch: pytest.MonkeyPatch, fast_answers: FastPath,
                                                      url: str, headers: dict[str, str] | None, status: int) -> None:
    if headers is None:
        headers = {"Authorization": f"Bearer {session_token(tiny_runtime, sites=('tiny',))}"}
    answer = client.get(url, headers=headers, follow_redirects=False)
    assert answer.status_code == status
    _same(answer, _routed(monkeypatch, lambda: client.get(url, headers=headers, follow_redirects=False)))


def test_a_zone_scoped_caller_goes_through_the_scope_filter_with_one_audit_entry(
        client: TestClient, tiny_runtime: Runtime, fast_answers: FastPath) -> None:
    token = session_token(tiny_runtime, role="event_organiser", sites=("tiny",), zones={"tiny": ["pier"]},
                          username="organiser")
    for _ in range(2):
        answer = client.get(URL, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and [z["zone_id"] for z in answer.json()["zones"]] == ["pier"]
    assert fast_answers.looked == ["tiny", "tiny"] and fast_answers.answered == []  # it looked, then left it
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


def _audited(runtime: Runtime, user: str) -> int:
    return sum(e.payload["user"] == user for e in runtime.store.read_events("tiny", "audit"))


def test_a_remembered_decision_ends_with_the_session_the_rights_or_the_key(
        client: TestClient, tiny_runtime: Runtime, fast_answers: FastPath, monkeypatch: pytest.MonkeyPatch) -> None:
    """A poll reuses the guard's decision only while nothing it rested on moved: the next poll after
    a scope change, a logout, the session's end or a new signing key is judged afresh."""
    from csm.auth import service
    from csm.auth.users import UserDirectory

    token = session_token(tiny_runtime, role="police", sites=("tiny",), username="officer")
    headers = {"Authorization": f"Bearer {token}"}
    assert [client.get(URL, headers=headers).status_code for _ in range(3)] == [200] * 3
    assert len(fast_answers.guarded) == 1

    UserDirectory(tiny_runtime.store).update("officer", sites=["elsewhere"])
    assert client.get(URL, headers=headers).status_code == 403
    UserDirectory(tiny_runtime.store).update("officer", sites=["tiny"])
    assert client.get(URL, headers=headers).status_code == 200

    with monkeypatch.context() as patch:
        patch.setenv("CSM_SECRET_KEY", "another-signing-key-of-at-least-32-characters")
        refused = client.get(URL, headers=headers)
        assert refused.status_code == 401, refused.text  # signed with the other key
    assert client.get(URL, headers=headers).status_code == 200

    later = time.time() + 13 * 3600  # past the session's lifetime
    with monkeypatch.context() as patch:
        patch.setattr(service, "time", SimpleNamespace(time=lambda: later, monotonic=time.monotonic))
        guarded = len(fast_answers.guarded)
        client.get(URL, headers=headers)
        assert len(fast_answers.guarded) == guarded + 1  # not reused: judged by the guard again

    assert client.post("/api/v1/auth/logout", headers=headers).status_code in (200, 204)
    assert client.get(URL, headers=headers).status_code == 401


def test_a_remembered_poll_is_audited_once_a_minute_like_any_other(
        client: TestClient, tiny_runtime: Runtime, fast_answers: FastPath, monkeypatch: pytest.MonkeyPatch) -> None:
    from csm.auth import service

    token = session_token(tiny_runtime, role="viewer", sites=("tiny",), username="watcher")
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        assert client.get(URL, headers=headers).status_code == 200
    assert _audited(tiny_runtime, "watcher") == 1 and len(fast_answers.guarded) == 1
    minute_on = time.monotonic() + service.AUDIT_COALESCE_SECONDS + 1
    with monkeypatch.context() as patch:
        patch.setattr(service, "time", SimpleNamespace(time=time.time, monotonic=lambda: minute_on))
        for _ in range(2):
            assert client.get(URL, headers=headers).status_code == 200
    assert _audited(tiny_runtime, "watcher") == 2 and len(fast_answers.guarded) == 2


def test_a_decision_is_remembered_for_its_own_credentials_only(
        client: TestClient, tiny_runtime: Runtime, fast_answers: FastPath) -> None:
    """Another token, a tampered one, or the same session sent as a cookie is judged on its own."""
    token = session_token(tiny_runtime, role="viewer", sites=("tiny",), username="watcher")
    assert client.get(URL, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get(URL, headers={"Authorization": f"Bearer {token[:-2]}xx"}).status_code == 401
    assert client.get(URL, headers={"Authorization": f"Bearer {token} "}).status_code == 200
    assert client.get(URL, headers={"Cookie": f"csm_session={token}"}).status_code == 200
    assert len(fast_answers.guarded) == 4 and fast_answers.answered == ["tiny"] * 3
    assert client.get(URL, headers={"Cookie": f"csm_session={token}"}).status_code == 200
    assert len(fast_answers.guarded) == 4  # the cookie poll's decision, remembered in turn
