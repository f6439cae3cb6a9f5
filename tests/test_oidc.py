"""OpenID Connect login against a real local test issuer (over HTTP, RS256, PKCE)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.auth.roles import Role
from csm.auth.users import UserDirectory
from csm.runtime import Runtime
from tests.oidc_issuer import LocalIssuer


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalIssuer]:
    running = LocalIssuer()
    running.start()
    monkeypatch.setenv("CSM_OIDC_ISSUER", running.url)
    monkeypatch.setenv("CSM_OIDC_CLIENT_ID", running.client_id)
    monkeypatch.setenv("CSM_OIDC_CLIENT_SECRET", running.client_secret)
    yield running
    running.stop()


def _login(client: TestClient) -> httpx.Response:
    start = client.get("/api/v1/auth/oidc/login", follow_redirects=False)
    assert start.status_code == 302
    at_issuer = httpx.get(start.headers["location"], follow_redirects=False)
    assert at_issuer.status_code == 307, at_issuer.text
    callback = urlparse(at_issuer.headers["location"])
    return client.get(f"{callback.path}?{callback.query}", follow_redirects=False)


def test_local_account_gives_role_and_scope(issuer: LocalIssuer, tiny_runtime: Runtime) -> None:
    UserDirectory(tiny_runtime.store).add("ops@politie.example", Role.POLICE, ["tiny"], None,
                                          external=(issuer.url, "user-123"))
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        done = _login(client)
        assert done.status_code == 303 and done.headers["location"] == "/"
        me = client.get("/api/v1/auth/me").json()
    assert me["username"] == "ops@politie.example" and me["role"] == "police" and me["sites"] == ["tiny"]
    login_events = [e.payload["action"] for e in tiny_runtime.store.read_events("*", "audit")]
    assert "login (oidc)" in login_events


def test_claims_can_grant_access_without_a_local_account(issuer: LocalIssuer, tiny_runtime: Runtime) -> None:
    issuer.claims = {"email": "duty@ggd.example", "csm_role": "emergency_services", "csm_sites": ["tiny"]}
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        assert _login(client).status_code == 303
        me = client.get("/api/v1/auth/me").json()
        assert me["role"] == "emergency_services" and me["username"] == "oidc:duty@ggd.example"
        assert client.get("/api/v1/sites/tiny/zones/state").status_code == 200


def test_identity_without_csm_access_is_refused(issuer: LocalIssuer, tiny_runtime: Runtime) -> None:
    issuer.claims = {"email": "stranger@example.org"}
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        refused = _login(client)
        assert refused.status_code == 403 and "no CSM role" in refused.json()["detail"]
        assert client.get("/api/v1/auth/me").status_code == 401


def test_tampered_state_is_refused(issuer: LocalIssuer, tiny_runtime: Runtime) -> None:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        start = client.get("/api/v1/auth/oidc/login", follow_redirects=False)
        at_issuer = httpx.get(start.headers["location"], follow_redirects=False)
        query = parse_qs(urlparse(at_issuer.headers["location"]).query)
        forged = client.get(f"/api/v1/auth/oidc/callback?code={query['code'][0]}&state=forged")
        assert forged.status_code == 400


def test_oidc_not_configured_is_a_clear_404(tiny_runtime: Runtime) -> None:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        response = client.get("/api/v1/auth/oidc/login", follow_redirects=False)
    assert response.status_code == 404 and "CSM_OIDC_ISSUER" in response.json()["detail"]


def test_an_email_claim_never_logs_in_as_the_local_account_of_that_name(
    issuer: LocalIssuer, tiny_runtime: Runtime
) -> None:
    """The takeover of issue 12: an unverified email equal to a local username became that account."""
    UserDirectory(tiny_runtime.store).add("admin@csm.example", Role.ADMINISTRATOR, ["*"], "correct-horse-battery")
    issuer.subject = "attacker-1"
    issuer.claims = {"email": "admin@csm.example", "email_verified": False}
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        refused = _login(client)
        assert refused.status_code == 403
        assert client.get("/api/v1/auth/me").status_code == 401
        assert client.get("/api/v1/users").status_code == 401


def test_the_bound_account_is_found_by_issuer_and_subject_not_by_name(
    issuer: LocalIssuer, tiny_runtime: Runtime
) -> None:
    UserDirectory(tiny_runtime.store).add("duty-officer", Role.POLICE, ["tiny"], None, external=(issuer.url, "p-42"))
    issuer.subject = "p-42"
    issuer.claims = {"email": "someone-else@example.org"}
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        assert _login(client).status_code == 303
        assert client.get("/api/v1/auth/me").json()["username"] == "duty-officer"


def test_an_unknown_key_id_refreshes_the_key_set_once_then_answers_401(
    issuer: LocalIssuer, tiny_runtime: Runtime
) -> None:
    UserDirectory(tiny_runtime.store).add("ops", Role.POLICE, ["tiny"], None, external=(issuer.url, "user-123"))
    issuer.signing_kid = "unknown-key"
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        refused = _login(client)
        assert refused.status_code == 401, refused.text
        assert issuer.jwks_requests == 2  # the first read, and one refresh for the unknown id
        assert _login(client).status_code == 401  # a flood of unknown ids does not refetch each time
        assert issuer.jwks_requests == 2


def test_a_rotated_key_is_picked_up_by_the_refresh(issuer: LocalIssuer, tiny_runtime: Runtime) -> None:
    UserDirectory(tiny_runtime.store).add("ops", Role.POLICE, ["tiny"], None, external=(issuer.url, "user-123"))
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        assert _login(client).status_code == 303
        issuer.signing_kid, issuer.published_kids = "key-2", ("test-key", "key-2")
        client.cookies.clear()
        assert _login(client).status_code == 303
    assert issuer.jwks_requests == 2
