"""Every route × every role: the access decision is the one agreed, and scopes hold."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from csm.api.app import create_app
from csm.runtime import Runtime
from tests.conftest import ingest_token, session_token

ROLES = ["administrator", "municipality", "police", "emergency_services", "event_organiser", "viewer"]
CALLERS = ["anonymous", "ingest", *ROLES]
EVERYONE = set(CALLERS)
LOGGED_IN = set(CALLERS) - {"anonymous"}
STAFF = set(ROLES)
OPERATIONS = {"administrator", "municipality", "police"}
ALERT_HANDLERS = OPERATIONS | {"emergency_services"}
ALERT_READERS = STAFF - {"viewer"}

# The agreed decisions, written out by hand (not derived from the policy under test).
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,
    ("GET", "/login"): EVERYONE,
    ("GET", "/login.css"): EVERYONE,
    ("GET", "/api/v1/time"): EVERYONE,
    ("POST", "/api/v1/auth/login"): EVERYONE,
    ("GET", "/api/v1/auth/oidc/login"): EVERYONE,
    ("GET", "/api/v1/auth/oidc/callback"): EVERYONE,
    ("GET", "/api/v1/auth/me"): LOGGED_IN,
    ("POST", "/api/v1/auth/logout"): LOGGED_IN,
    ("POST", "/api/v1/auth/stream-ticket"): STAFF,
    # Every caller here is scoped to one site; metrics cover every site (global administrators and
    # the metrics token only: tests/security/test_escalation.py).
    ("GET", "/metrics"): set(),
    ("POST", "/api/v1/observations"): {"ingest"},
    ("GET", "/api/v1/deadletters"): {"administrator"},
    ("POST", "/api/v1/deadletters/replay"): {"administrator"},
    ("GET", "/api/v1/users"): {"administrator"},
    ("POST", "/api/v1/users"): {"administrator"},
    ("DELETE", "/api/v1/users/{username}"): {"administrator"},
    ("PATCH", "/api/v1/users/{username}"): {"administrator"},
    ("POST", "/api/v1/tokens/ingest"): {"administrator"},
    ("GET", "/api/v1/audit"): {"administrator"},
    ("GET", "/api/v1/sites"): STAFF,
    ("GET", "/api/v1/sites/{site_id}"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/zones"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/sensors"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/layers/{layer}"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/basemap"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/basemap/context"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/basemap/tiles.pmtiles"): STAFF,
    ("HEAD", "/api/v1/sites/{site_id}/basemap/tiles.pmtiles"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/zones/state"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/zones/history"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/zones/forecast"): STAFF,
    ("WS", "/api/v1/sites/{site_id}/zones/stream"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/posts"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/sources"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/transit"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/parking"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/traffic"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/weather"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/events"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/disruptions"): STAFF,
    ("GET", "/api/v1/sites/{site_id}/alerts"): ALERT_READERS,
    ("GET", "/api/v1/sites/{site_id}/advice"): ALERT_READERS,
    ("GET", "/api/v1/sites/{site_id}/routes"): ALERT_READERS,
    ("GET", "/api/v1/sites/{site_id}/incidents"): ALERT_READERS,
    ("GET", "/api/v1/sites/{site_id}/incidents.csv"): ALERT_READERS,
    ("GET", "/api/v1/sites/{site_id}/incidents.pdf"): ALERT_READERS,
    ("GET", "/api/v1/sites/{site_id}/view"): STAFF,
    # Organisers pass the policy for their own measures; the route narrows it (tests/advice/test_incident_log.py).
    ("POST", "/api/v1/sites/{site_id}/alerts/{alert_id}/ack"): ALERT_HANDLERS | {"event_organiser"},
    ("POST", "/api/v1/sites/{site_id}/alerts/{alert_id}/measure"): ALERT_HANDLERS | {"event_organiser"},
    ("POST", "/api/v1/sites/{site_id}/alerts/{alert_id}/resolve"): ALERT_HANDLERS,
    ("POST", "/api/v1/sites/{site_id}/scenarios"): OPERATIONS,
    ("GET", "/api/v1/sites/{site_id}/scenarios"): OPERATIONS,
    ("GET", "/api/v1/sites/{site_id}/export/report"): OPERATIONS,
    ("GET", "/api/v1/sites/{site_id}/scenarios/examples"): OPERATIONS,
    ("GET", "/api/v1/sites/{site_id}/scenarios/{scenario_id}"): OPERATIONS,
    ("POST", "/api/v1/sites/{site_id}/simulations"): OPERATIONS,
    ("GET", "/api/v1/sites/{site_id}/simulations"): OPERATIONS,
    ("GET", "/api/v1/sites/{site_id}/simulations/{simulation_id}"): OPERATIONS,
    ("GET", "/api/v1/sites/{site_id}/simulations/{simulation_id}/density"): OPERATIONS,
    # Trainees (permission training) join and handle the sandbox's alerts; trainers (run_training:
    # operations roles) start, steer and end sessions, read the live log and the running debrief.
    # Speed and incidents validate their body before the trainer check (422 for an empty body).
    ("GET", "/api/v1/training/catalogue"): ALERT_HANDLERS,
    ("POST", "/api/v1/training/sessions"): ALERT_HANDLERS,
    ("GET", "/api/v1/training/sessions"): ALERT_HANDLERS,
    ("GET", "/api/v1/training/sessions/{session_id}"): ALERT_HANDLERS,
    ("DELETE", "/api/v1/training/sessions/{session_id}"): OPERATIONS,
    ("POST", "/api/v1/training/sessions/{session_id}/pause"): OPERATIONS,
    ("POST", "/api/v1/training/sessions/{session_id}/resume"): OPERATIONS,
    ("POST", "/api/v1/training/sessions/{session_id}/speed"): ALERT_HANDLERS,
    ("POST", "/api/v1/training/sessions/{session_id}/jump"): OPERATIONS,
    ("POST", "/api/v1/training/sessions/{session_id}/incidents"): ALERT_HANDLERS,
    ("GET", "/api/v1/training/sessions/{session_id}/zones/state"): ALERT_HANDLERS,
    ("GET", "/api/v1/training/sessions/{session_id}/alerts"): ALERT_HANDLERS,
    ("POST", "/api/v1/training/sessions/{session_id}/alerts/{alert_id}/ack"): ALERT_HANDLERS,
    ("POST", "/api/v1/training/sessions/{session_id}/alerts/{alert_id}/measure"): ALERT_HANDLERS,
    ("POST", "/api/v1/training/sessions/{session_id}/alerts/{alert_id}/resolve"): ALERT_HANDLERS,
    ("GET", "/api/v1/training/sessions/{session_id}/log"): OPERATIONS,
    ("GET", "/api/v1/training/sessions/{session_id}/debrief"): OPERATIONS,
}


@pytest.fixture(scope="module")
def app_and_tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str], Runtime]]:
    import os

    from csm.clock import FixedClock
    from csm.runtime import build_runtime
    from tests.conftest import NOON, TEST_SECRET, TINY_SITE, TINY_ZONES, write_site

    os.environ["CSM_SECRET_KEY"] = TEST_SECRET
    folder = write_site(tmp_path_factory.mktemp("matrix") / "tiny", TINY_SITE, TINY_ZONES)
    runtime = build_runtime([folder], f"duckdb:{folder.parent / 'm.duckdb'}", clock=FixedClock(NOON))
    tokens = {"ingest": ingest_token("tiny")}
    for role in ROLES:
        zones = {"tiny": ["plein"]} if role == "event_organiser" else None
        tokens[role] = session_token(runtime, role, ("tiny",), zones)
    with TestClient(create_app(runtime, web_dist=None)) as client:
        yield client, tokens, runtime
    runtime.close()


def _routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path template) the app serves, including routes of included routers
    (FastAPI ≥ 0.16x keeps those behind a wrapper instead of copying them into app.routes)."""
    return sorted(set(_walk(client.app.routes, "")))  # type: ignore[attr-defined]


def _walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIWebSocketRoute):
            yield ("WS", prefix + route.path)
        elif isinstance(route, APIRoute) and (route.include_in_schema or route.path.startswith("/login")):
            yield from ((method, prefix + route.path) for method in sorted(route.methods))


def test_the_route_walker_sees_the_whole_api(app_and_tokens: tuple[TestClient, dict[str, str], Runtime]) -> None:
    client, _, _ = app_and_tokens
    openapi = {(m.upper(), path) for path, item in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
               for m in item}
    assert openapi <= set(_routes(client))  # every documented operation is enumerated
    assert ("WS", "/api/v1/sites/{site_id}/zones/stream") in _routes(client)


def _url(template: str) -> str:
    concrete = template.replace("{site_id}", "tiny").replace("{zone_id}", "plein")
    return re.sub(r"\{[^}]+\}", "nobody", concrete)


def _allowed(client: TestClient, method: str, template: str, token: str | None) -> bool:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = _url(template)
    if method == "WS":
        try:
            with client.websocket_connect(url, headers=headers) as ws:
                ws.receive_json()
            return True
        except WebSocketDisconnect as exc:
            assert exc.code == 1008, exc
            return False
    response = client.request(method, url, headers=headers, json={} if method in ("POST", "DELETE") else None,
                              follow_redirects=False)
    assert response.status_code < 500, (method, url, response.text)
    return response.status_code not in (401, 403)


def test_every_route_has_an_agreed_decision(app_and_tokens: tuple[TestClient, dict[str, str], Runtime]) -> None:
    client, _, _ = app_and_tokens
    routes = set(_routes(client))
    missing = sorted(routes - set(EXPECTED))
    assert not missing, f"routes without an agreed access decision in this test: {missing}"


@pytest.mark.parametrize(("method", "template"), sorted(EXPECTED))
def test_route_by_role(
    app_and_tokens: tuple[TestClient, dict[str, str], Runtime], method: str, template: str
) -> None:
    client, tokens, runtime = app_and_tokens
    if template == "/api/v1/auth/logout":  # logging out ends the session: spend fresh ones
        tokens = {**tokens, **{role: session_token(runtime, role, ("tiny",),
                                                   {"tiny": ["plein"]} if role == "event_organiser" else None)
                               for role in ROLES}}
    decisions = {caller: _allowed(client, method, template, tokens.get(caller)) for caller in CALLERS}
    allowed = {caller for caller, ok in decisions.items() if ok}
    assert allowed == EXPECTED[(method, template)], decisions


def test_site_scope_is_enforced(app_and_tokens: tuple[TestClient, dict[str, str], Runtime]) -> None:
    client, _, runtime = app_and_tokens
    elsewhere = session_token(runtime, "police", ("rotterdam",), username="police-rotterdam")
    headers = {"Authorization": f"Bearer {elsewhere}"}
    assert client.get("/api/v1/sites/tiny/zones/state", headers=headers).status_code == 403
    assert client.get("/api/v1/sites", headers=headers).json() == []
    other_site_feed = {"Authorization": f"Bearer {ingest_token('rotterdam')}"}
    assert client.post("/api/v1/observations", headers=other_site_feed, json=[]).status_code in (403, 404)


def test_organiser_sees_only_the_zones_of_their_event(
    app_and_tokens: tuple[TestClient, dict[str, str], Runtime],
) -> None:
    client, tokens, _ = app_and_tokens
    headers = {"Authorization": f"Bearer {tokens['event_organiser']}"}
    state = client.get("/api/v1/sites/tiny/zones/state", headers=headers).json()
    assert [z["zone_id"] for z in state["zones"]] == ["plein"]
    geo = client.get("/api/v1/sites/tiny/zones", headers=headers).json()
    assert [f["id"] for f in geo["features"]] == ["plein"]
    history = client.get("/api/v1/sites/tiny/zones/history?zone=pier", headers=headers).json()
    assert history["zones"] == {}
    with client.websocket_connect("/api/v1/sites/tiny/zones/stream", headers=headers) as ws:
        assert [z["zone_id"] for z in ws.receive_json()["zones"]] == ["plein"]


def test_expired_or_forged_tokens_are_refused(app_and_tokens: tuple[TestClient, dict[str, str], Runtime]) -> None:
    from datetime import UTC, datetime, timedelta

    import jwt

    from csm.auth.sessions import SessionBook
    from csm.auth.users import UserDirectory
    from tests.conftest import TEST_SECRET

    client, _, runtime = app_and_tokens
    admin = UserDirectory(runtime.store).get("test-administrator")
    old = SessionBook(runtime.store).open(admin, ttl=timedelta(seconds=-1))
    forged = jwt.encode({"iss": "csm", "aud": "session", "sub": "x", "role": "administrator", "sites": ["*"],
                         "sid": "made-up", "iat": datetime.now(UTC), "exp": datetime.now(UTC) + timedelta(hours=1)},
                        "another-key-another-key-another-key-12345", algorithm="HS256")
    # Signed with the right key, but naming no session the server opened: still refused.
    unopened = jwt.encode({"iss": "csm", "aud": "session", "sub": "test-administrator", "sid": "never-opened",
                           "iat": datetime.now(UTC), "exp": datetime.now(UTC) + timedelta(hours=1)},
                          TEST_SECRET, algorithm="HS256")
    for token in (old, forged, unopened, "not-a-token"):
        response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


def test_removed_user_loses_access_at_once(app_and_tokens: tuple[TestClient, dict[str, str], Runtime]) -> None:
    from csm.auth.users import UserDirectory

    client, _, runtime = app_and_tokens
    token = session_token(runtime, "viewer", ("tiny",), username="leaving-viewer")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/sites/tiny/zones/state", headers=headers).status_code == 200
    UserDirectory(runtime.store).remove("leaving-viewer")
    assert client.get("/api/v1/sites/tiny/zones/state", headers=headers).status_code == 401
