"""Alerts, advice and routes over real HTTP through the ASGI app, with roles and zone scopes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from csm.advice.engine import AdviceEngine
from csm.api.app import create_app
from csm.runtime import Runtime
from tests.advice.conftest import NOW, forecast, observe
from tests.conftest import session_token


def bearer(runtime: Runtime, role: str, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {session_token(runtime, role, **kwargs)}"}


def raise_orange_alert(runtime: Runtime) -> None:
    engine = AdviceEngine.for_site(runtime, runtime.sites["mini"])
    observe(runtime, zuid=500, noord=200)
    engine.evaluate(NOW)
    runtime.store.write_forecast("mini", NOW, forecast({"zuid": [800, 1300, 1500, 2400, 2600], "noord": [300] * 5}))
    engine.evaluate(NOW)


def test_alert_lifecycle_over_http(mini_runtime: Runtime) -> None:
    raise_orange_alert(mini_runtime)
    police = bearer(mini_runtime, "police")
    with TestClient(create_app(mini_runtime, web_dist=None)) as client:
        alerts = client.get("/api/v1/sites/mini/alerts?status=open", headers=police).json()["alerts"]
        red = next(a for a in alerts if a["level"] == "red")
        assert red["kind"] == "predicted_crossing" and red["status"] == "raised"
        url = f"/api/v1/sites/mini/alerts/{red['id']}"
        acked = client.post(f"{url}/ack", json={"note": "seen"}, headers=police)
        assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
        assert acked.json()["acknowledged_by"] == "test-police"  # the logged-in user, not a claim
        assert client.post(f"{url}/ack", json={}, headers=police).status_code == 409  # not twice
        taken = client.post(f"{url}/measure", json={"measure": "police"}, headers=police).json()
        assert taken["status"] == "measure_taken"
        done = client.post(f"{url}/resolve", json={"note": "calm again"}, headers=police).json()
        assert [step["status"] for step in done["history"]] == ["raised", "acknowledged", "measure_taken", "resolved"]
        assert client.post("/api/v1/sites/mini/alerts/nope/ack", json={}, headers=police).status_code == 404


def test_advice_and_routes_over_http(mini_runtime: Runtime) -> None:
    raise_orange_alert(mini_runtime)
    with TestClient(create_app(mini_runtime, web_dist=None)) as client:
        headers = bearer(mini_runtime, "municipality")
        advice = client.get("/api/v1/sites/mini/advice", headers=headers).json()
        assert advice["advice"][0]["measure_id"] == "police"
        assert advice["advice"][0]["reason"]
        routes = client.get("/api/v1/sites/mini/routes?zone=zuid", headers=headers)
        assert routes.status_code == 200 and routes.json()["type"] == "FeatureCollection"
        assert client.get("/api/v1/sites/mini/routes?zone=atlantis", headers=headers).status_code == 404


def test_viewers_cannot_act_and_organisers_see_only_their_zones(mini_runtime: Runtime) -> None:
    raise_orange_alert(mini_runtime)
    with TestClient(create_app(mini_runtime, web_dist=None)) as client:
        admin = bearer(mini_runtime, "administrator")
        alert_id = client.get("/api/v1/sites/mini/alerts", headers=admin).json()["alerts"][0]["id"]
        viewer = bearer(mini_runtime, "viewer")
        assert client.post(f"/api/v1/sites/mini/alerts/{alert_id}/ack", json={}, headers=viewer).status_code == 403
        organiser = bearer(mini_runtime, "event_organiser", zones={"mini": ["strand"]})
        seen = client.get("/api/v1/sites/mini/alerts", headers=organiser).json()["alerts"]
        assert seen == []  # every alert is about the boulevard, outside the organiser's event
        advice = client.get("/api/v1/sites/mini/advice", headers=organiser).json()
        assert all(a["zone_id"] == "strand" for a in advice["advice"])
