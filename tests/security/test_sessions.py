"""Sessions are server-side and revocable; rights are read from the account now (issue 12, item 5)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from csm.api.app import create_app
from csm.api.http_limits import uvicorn_options
from csm.api.live_server import free_port
from csm.auth.roles import Role
from csm.auth.users import UserDirectory
from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from tests.conftest import NOON, TINY_SITE, TINY_ZONES, write_site
from tests.log_capture import LogCapture
from tests.scale.conftest import wait_for

PASSWORD = "correct-horse-battery"


def _login(client: TestClient | httpx.Client, name: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    body: dict[str, str] = answer.json()
    return body


def test_logout_revokes_the_bearer_token_and_the_cookie(client: TestClient, two_sites: Runtime) -> None:
    UserDirectory(two_sites.store).add("anna", Role.MUNICIPALITY, ["tiny"], PASSWORD)
    login = _login(client, "anna")
    cookie = client.cookies.get("csm_session")
    bearer = {"Authorization": f"Bearer {login['token']}"}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    client.cookies.clear()
    client.cookies.set("csm_session", cookie or "")
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/", follow_redirects=False).status_code in (200, 303)  # no page leaks either way


def test_a_demoted_administrator_loses_the_rights_on_the_old_token(client: TestClient, two_sites: Runtime) -> None:
    directory = UserDirectory(two_sites.store)
    directory.add("root", Role.ADMINISTRATOR, ["*"], PASSWORD)
    directory.add("boss", Role.ADMINISTRATOR, ["tiny"], PASSWORD)
    boss = {"Authorization": f"Bearer {_login(client, 'boss')['token']}"}
    root = {"Authorization": f"Bearer {_login(client, 'root')['token']}"}
    client.cookies.clear()
    assert client.get("/api/v1/users", headers=boss).status_code == 200
    assert client.patch("/api/v1/users/boss", headers=root, json={"role": "viewer"}).status_code == 200
    assert client.get("/api/v1/users", headers=boss).status_code == 403
    assert client.get("/api/v1/auth/me", headers=boss).json()["role"] == "viewer"
    assert client.patch("/api/v1/users/boss", headers=root, json={"sites": ["other"]}).status_code == 200
    assert client.get("/api/v1/sites/tiny/zones/state", headers=boss).status_code == 403


@pytest.fixture
def two_workers_one_postgres(tmp_path: Path, pg_schema_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    """Two API workers, each its own runtime and store connection, on one PostgreSQL schema."""
    folder = write_site(tmp_path / "tiny", TINY_SITE, TINY_ZONES)
    runtimes = [build_runtime([folder], pg_schema_url, clock=FixedClock(NOON)) for _ in range(2)]
    apps = [create_app(runtime, web_dist=None) for runtime in runtimes]
    with TestClient(apps[0]) as a, TestClient(apps[1]) as b:
        yield a, b
    for runtime in runtimes:
        runtime.close()


def test_every_worker_sees_a_logout_and_a_role_change_at_once(
    two_workers_one_postgres: tuple[TestClient, TestClient],
) -> None:
    a, b = two_workers_one_postgres
    UserDirectory(a.app.state.runtime.store).add("root", Role.ADMINISTRATOR, ["*"], PASSWORD)  # type: ignore[attr-defined]
    UserDirectory(a.app.state.runtime.store).add("eve", Role.ADMINISTRATOR, ["tiny"], PASSWORD)  # type: ignore[attr-defined]
    eve = {"Authorization": f"Bearer {_login(a, 'eve')['token']}"}
    root = {"Authorization": f"Bearer {_login(b, 'root')['token']}"}
    assert b.get("/api/v1/users", headers=eve).status_code == 200  # a session opened on A works on B
    ticket = a.post("/api/v1/auth/stream-ticket", headers=eve, json={"site": "tiny"}).json()["ticket"]
    with a.websocket_connect(f"/api/v1/sites/tiny/zones/stream?ticket={ticket}") as ws:
        assert ws.receive_json()["type"] == "snapshot"
    assert _stream_refused(b, f"/api/v1/sites/tiny/zones/stream?ticket={ticket}") == 1008  # used on A: B refuses
    assert a.patch("/api/v1/users/eve", headers=root, json={"role": "viewer"}).status_code == 200
    # Demoted on A: B knows as soon as PostgreSQL's change notification arrives (milliseconds).
    assert wait_for(lambda: b.get("/api/v1/users", headers=eve).status_code == 403, timeout=5)
    assert b.post("/api/v1/auth/logout", headers=eve).status_code == 200
    assert b.get("/api/v1/auth/me", headers=eve).status_code == 401  # the worker that logged out: at once
    assert wait_for(lambda: a.get("/api/v1/auth/me", headers=eve).status_code == 401, timeout=5)  # and A


def test_a_worker_checks_sessions_in_memory_and_follows_changes_by_notification(
    two_workers_one_postgres: tuple[TestClient, TestClient],
) -> None:
    a, b = two_workers_one_postgres
    store_b = b.app.state.runtime.store  # type: ignore[attr-defined]
    assert wait_for(lambda: b.app.state.auth.checks_in_memory, timeout=10)  # type: ignore[attr-defined]
    UserDirectory(a.app.state.runtime.store).add("ivy", Role.ADMINISTRATOR, ["tiny"], PASSWORD)  # type: ignore[attr-defined]
    ivy = {"Authorization": f"Bearer {_login(a, 'ivy')['token']}"}
    assert b.get("/api/v1/auth/me", headers=ivy).status_code == 200  # opened on A, unknown to B: read once
    reads = 0
    original = store_b.read_events

    def counting(*args: object, **kwargs: object) -> object:
        nonlocal reads
        reads += 1
        return original(*args, **kwargs)

    store_b.read_events = counting
    try:
        for _ in range(20):
            assert b.get("/api/v1/auth/me", headers=ivy).status_code == 200
        assert reads == 0  # no store read per request while the watch is live
        UserDirectory(a.app.state.runtime.store).remove("ivy", by="test")  # type: ignore[attr-defined]
        assert wait_for(lambda: b.get("/api/v1/auth/me", headers=ivy).status_code == 401, timeout=5)
        assert reads >= 1  # the notification made B fold the removal
    finally:
        store_b.read_events = original
    b.app.state.auth.stop()  # type: ignore[attr-defined]  # no watch: back to a read per check
    assert not b.app.state.auth.checks_in_memory  # type: ignore[attr-defined]


def _stream_refused(client: TestClient, url: str, headers: dict[str, str] | None = None) -> int:
    """The close code when the stream refuses the connection (fails the test if it opens)."""
    try:
        with client.websocket_connect(url, headers=headers or {}) as ws:
            ws.receive_json()
    except WebSocketDisconnect as exc:
        return exc.code
    raise AssertionError(f"the stream opened: {url}")


def test_the_websocket_refuses_a_token_in_the_url_and_accepts_a_single_use_ticket(
    client: TestClient, two_sites: Runtime
) -> None:
    UserDirectory(two_sites.store).add("anna", Role.MUNICIPALITY, ["tiny"], PASSWORD)
    token = _login(client, "anna")["token"]
    client.cookies.clear()
    assert _stream_refused(client, f"/api/v1/sites/tiny/zones/stream?token={token}") == 1008
    bearer = {"Authorization": f"Bearer {token}"}
    ticket = client.post("/api/v1/auth/stream-ticket", headers=bearer, json={"site": "tiny"}).json()["ticket"]
    url = f"/api/v1/sites/tiny/zones/stream?ticket={ticket}"
    with client.websocket_connect(url) as ws:
        assert ws.receive_json()["type"] == "snapshot"
    assert _stream_refused(client, url) == 1008  # used once: never again
    elsewhere = client.post("/api/v1/auth/stream-ticket", headers=bearer, json={"site": "other"})
    assert elsewhere.status_code == 403
    late = client.post("/api/v1/auth/stream-ticket", headers=bearer, json={"site": "tiny"}).json()["ticket"]
    client.post("/api/v1/auth/logout", headers=bearer)
    assert _stream_refused(client, f"/api/v1/sites/tiny/zones/stream?ticket={late}") == 1008  # died with the session


def test_the_websocket_refuses_a_foreign_origin_even_with_a_valid_cookie(
    client: TestClient, two_sites: Runtime
) -> None:
    UserDirectory(two_sites.store).add("anna", Role.MUNICIPALITY, ["tiny"], PASSWORD)
    _login(client, "anna")  # the cookie is now in the client's jar
    assert _stream_refused(client, "/api/v1/sites/tiny/zones/stream", {"Origin": "https://evil.example"}) == 1008
    with client.websocket_connect("/api/v1/sites/tiny/zones/stream", headers={"Origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "snapshot"


@contextmanager
def _server_with_access_log(app: FastAPI, loggers: list[logging.Logger], capture: logging.Handler) -> Iterator[str]:
    """A real uvicorn (CSM's options: CSM's own access log) logging at INFO, as `csm serve` does."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="info",
                                           **uvicorn_options()))
    server.config.load()  # configures uvicorn's loggers now, so the capture is added after that
    for logger in loggers:
        logger.addHandler(capture)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        for logger in loggers:
            logger.removeHandler(capture)


def test_no_token_reaches_the_access_log_or_the_audit(two_sites: Runtime) -> None:
    import websockets.sync.client as ws_client

    UserDirectory(two_sites.store).add("root", Role.ADMINISTRATOR, ["*"], PASSWORD)
    capture = LogCapture()
    loggers = [logging.getLogger(n) for n in ("csm.access", "uvicorn.error")]
    with _server_with_access_log(create_app(two_sites, web_dist=None), loggers, capture) as base, \
            httpx.Client(base_url=base) as http:
        login = _login(http, "root")
        token = login["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        http.get("/api/v1/sites/tiny/zones/state", headers=bearer)
        http.get(f"/api/v1/sites/tiny/zones/state?token={token}", headers=bearer)
        ticket = http.post("/api/v1/auth/stream-ticket", headers=bearer, json={"site": "tiny"}).json()["ticket"]
        with ws_client.connect(f"{base.replace('http', 'ws')}/api/v1/sites/tiny/zones/stream?ticket={ticket}") as ws:
            ws.recv(timeout=5)
        audit = http.get("/api/v1/audit", headers=bearer).text
    written = "\n".join(capture.lines)
    assert "zones/state" in written and "stream" in written  # the access log was captured
    for secret in (token, ticket, token.split(".")[2], ticket.split(".")[2]):
        assert secret not in written
        assert secret not in audit
    assert "[redacted]" in written


def test_a_session_remembered_between_requests_follows_every_account_change(two_sites: Runtime) -> None:
    """Resolving a token is remembered per worker (a dashboard sends it every two seconds), but only
    until the account ledger moves: a role change or a logout holds from the very next request."""
    from csm.auth.sessions import SessionBook, SessionEnded

    directory = UserDirectory(two_sites.store)
    user = directory.add("remembered", Role.VIEWER, ["tiny"], PASSWORD)
    book = SessionBook(two_sites.store)
    token = book.open(user)
    first = book.resolve(token)
    assert book.resolve(token) is first  # remembered: nothing changed
    assert book.resolve(token, method="cookie").principal.auth_method == "cookie"  # each way of sending apart
    directory.update("remembered", role=Role.POLICE)
    assert book.resolve(token).principal.role is Role.POLICE
    book.close(first.sid_hash, by="remembered")
    with pytest.raises(SessionEnded):
        book.resolve(token)
