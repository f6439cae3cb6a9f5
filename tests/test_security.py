"""Login, sessions, CSRF, brute-force limits, security headers and request size limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from csm.api.app import create_app
from csm.auth.roles import Role
from csm.auth.users import UserDirectory
from csm.cli import app as cli
from csm.runtime import Runtime
from tests.conftest import ingest_token

PASSWORD = "correct-horse-battery"


@pytest.fixture
def client(tiny_runtime: Runtime) -> Iterator[TestClient]:
    UserDirectory(tiny_runtime.store).add("anna", Role.MUNICIPALITY, ["tiny"], PASSWORD)
    with TestClient(create_app(tiny_runtime, web_dist=None)) as test_client:
        yield test_client


def test_login_gives_a_session_cookie_a_csrf_token_and_a_bearer_token(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "anna", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {"username": "anna", "role": "municipality", "sites": ["tiny"], "zones": {}}
    cookie_header = "; ".join(response.headers.get_list("set-cookie"))
    assert "csm_session=" in cookie_header and "HttpOnly" in cookie_header and "SameSite=lax" in cookie_header
    assert client.get("/api/v1/auth/me").json()["username"] == "anna"  # by cookie
    bearer = {"Authorization": f"Bearer {body['token']}"}
    assert "view_small_counts" in client.get("/api/v1/auth/me", headers=bearer).json()["permissions"]


def test_wrong_password_and_unknown_user_look_alike(client: TestClient) -> None:
    wrong = client.post("/api/v1/auth/login", json={"username": "anna", "password": "nope-nope-nope"})
    unknown = client.post("/api/v1/auth/login", json={"username": "bob", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "wrong username or password"}


def test_brute_force_hits_the_rate_limit_even_for_the_right_password(client: TestClient) -> None:
    codes = [
        client.post("/api/v1/auth/login", json={"username": "anna", "password": f"guess-{i:06d}"}).status_code
        for i in range(7)
    ]
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429, 429]
    locked = client.post("/api/v1/auth/login", json={"username": "anna", "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0


def test_cookie_sessions_need_the_csrf_token_for_changes(client: TestClient) -> None:
    login = client.post("/api/v1/auth/login", json={"username": "anna", "password": PASSWORD}).json()
    assert client.post("/api/v1/auth/logout").status_code == 403  # cookie alone: refused
    ok = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": login["csrf_token"]})
    assert ok.status_code == 200
    client.cookies.clear()
    again = client.post("/api/v1/auth/login", json={"username": "anna", "password": PASSWORD}).json()
    client.cookies.clear()
    bearer_client_needs_no_csrf = client.post(
        "/api/v1/auth/logout", headers={"Authorization": f"Bearer {again['token']}"}
    )
    assert bearer_client_needs_no_csrf.status_code == 200


def test_login_form_redirects_to_the_dashboard_and_dashboard_needs_login(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    page = client.get("/login")
    assert page.status_code == 200 and 'action="/api/v1/auth/login"' in page.text
    assert "<script" not in page.text
    failed = client.post("/api/v1/auth/login", data={"username": "anna", "password": "x"}, follow_redirects=False)
    assert failed.headers["location"] == "/login?failed=1"
    done = client.post("/api/v1/auth/login", data={"username": "anna", "password": PASSWORD}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert client.get("/", follow_redirects=False).status_code == 200


def test_security_headers(client: TestClient) -> None:
    page = client.get("/login")
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert "script-src 'self';" in csp
    assert page.headers["permissions-policy"] and page.headers["cross-origin-opener-policy"] == "same-origin"
    # JSON is data, never a document: nothing may load from it or frame it (OWASP REST cheat sheet).
    for response in (client.get("/healthz"), client.get("/api/v1/sites")):  # an answer, and a refusal (401)
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert "permissions-policy" not in response.headers
    for response in (page, client.get("/healthz")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in response.headers  # plain HTTP: no HSTS
    secure = TestClient(client.app, base_url="https://csm.example")
    assert "max-age=" in secure.get("/healthz").headers["strict-transport-security"]
    assert "max-age=" in secure.get("/login").headers["strict-transport-security"]


def test_request_size_limits(client: TestClient) -> None:
    big = b"x" * (1024 * 1024 + 1)
    response = client.post("/api/v1/auth/login", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 65536

    streamed = client.post("/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    feed = {"Authorization": f"Bearer {ingest_token('tiny')}", "content-type": "application/json"}
    two_mib_batch = b"[" + b" " * (2 * 1024 * 1024) + b"]"  # ingest allows 16 MiB
    assert client.post("/api/v1/observations", content=two_mib_batch, headers=feed).status_code == 200


def test_ingest_flood_is_rate_limited(client: TestClient) -> None:
    # The same limit over a window no loaded test machine can outlast (50 per second is 50 per minute here).
    limiter = client.app.state.auth.ingest_requests
    limiter.window = 60.0
    feed = {"Authorization": f"Bearer {ingest_token('tiny')}"}
    codes = [client.post("/api/v1/observations", json=[], headers=feed).status_code for _ in range(60)]
    assert 429 in codes and codes[0] == 200


def test_users_cli_add_list_remove(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    store = f"duckdb:{tmp_path}/users.duckdb"
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "piet", "--role", "police", "--site", "scheveningen",
                                "--store", store, "--password-env", "NEW_PASSWORD"])
    assert added.exit_code == 0, added.output
    organiser = runner.invoke(cli, ["users", "add", "org", "--role", "event_organiser", "--site", "scheveningen",
                                    "--zone", "scheveningen:pier", "--store", store, "--external"])
    assert organiser.exit_code == 0, organiser.output
    weak = runner.invoke(cli, ["users", "add", "kees", "--role", "viewer", "--site", "x", "--store", store,
                               "--password-env", "WEAK"], env={"WEAK": "short"})
    assert weak.exit_code == 2 and "at least 10 characters" in weak.output
    listed = runner.invoke(cli, ["users", "list", "--store", store]).output
    assert "piet\tpolice\tscheveningen" in listed and "org\tevent_organiser\tscheveningen\tscheveningen: pier" in listed
    assert runner.invoke(cli, ["users", "remove", "piet", "--store", store]).exit_code == 0
    assert "piet" not in runner.invoke(cli, ["users", "list", "--store", store]).output
