"""The incident log over real HTTP: every step with its actor (always the logged-in account),
filters, CSV and PDF exports; organisers handle the measures they own in their zones only; the
role view gives owners in words and the zones outside an organiser's scope as bare outlines."""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from csm.advice.lifecycle import alert_book_of
from csm.api.app import create_app
from csm.clock import FixedClock
from csm.domain.model import Level
from csm.runtime import Runtime, build_runtime
from tests.advice.conftest import NOW, PLAYBOOK, make_site
from tests.advice.test_alerts_api import bearer, raise_orange_alert

STEWARDS = {"id": "beach-stewards", "level": "yellow", "zones": ["strand"], "measure": "Extra stewards at the beach",
            "owner": "organiser", "lead_time_minutes": 30}
BEACH_HOSTS = {"id": "beach-hosts", "level": "yellow", "zones": ["strand"], "measure": "City hosts at the beach",
               "owner": "municipality", "lead_time_minutes": 30}


@pytest.fixture
def event_runtime(tmp_path: Path) -> Iterator[Runtime]:
    playbook: dict[str, Any] = copy.deepcopy(PLAYBOOK)
    playbook["measures"] += [STEWARDS, BEACH_HOSTS]
    folder = make_site(tmp_path / "mini", playbook)
    runtime = build_runtime([folder], f"duckdb:{tmp_path / 'csm.duckdb'}", clock=FixedClock(NOW))
    yield runtime
    runtime.close()


def test_every_step_is_in_the_days_log_with_the_logged_in_actor(mini_runtime: Runtime) -> None:
    raise_orange_alert(mini_runtime)
    police = bearer(mini_runtime, "police")
    with TestClient(create_app(mini_runtime, web_dist=None)) as client:
        alert = client.get("/api/v1/sites/mini/alerts?status=open", headers=police).json()["alerts"][0]
        assert {m["id"] for m in alert["measures"]} and alert["actions"] == ["ack", "measure", "resolve"]
        assert all(m["owner_label"] and "_" not in m["owner_label"] for m in alert["measures"])
        url = f"/api/v1/sites/mini/alerts/{alert['id']}"
        acked = client.post(f"{url}/ack", json={"by": "someone-else", "note": "on it"}, headers=police).json()
        assert acked["acknowledged_by"] == "test-police"  # a claimed actor is ignored
        measure = alert["measures"][0]["id"]
        client.post(f"{url}/measure", json={"measure": measure, "note": "two officers"}, headers=police)
        client.post(f"{url}/resolve", json={"reason": "calm again"}, headers=police)

        log = client.get("/api/v1/sites/mini/incidents", headers=police).json()
        assert log["day"] == "2026-07-18" and log["generated_by"] == "test-police"
        mine = [e for e in log["entries"] if e["alert_id"] == alert["id"]]
        assert [e["step"] for e in mine] == ["raised", "acknowledged", "measure_taken", "resolved"]
        assert [e["actor"] for e in mine] == ["csm", "test-police", "test-police", "test-police"]
        assert mine[2]["measure"] == measure and mine[2]["measure_text"] != measure
        assert mine[3]["note"] == "calm again" and mine[0]["zone_name"].startswith("Boulevard")

        resolved = client.get("/api/v1/sites/mini/incidents?step=resolved", headers=police).json()["entries"]
        assert [e["step"] for e in resolved] == ["resolved"]
        assert client.get("/api/v1/sites/mini/incidents?actor=nobody", headers=police).json()["entries"] == []
        assert client.get("/api/v1/sites/mini/incidents?day=2026-07-17", headers=police).json()["entries"] == []

        exported = client.get(f"/api/v1/sites/mini/incidents.csv?level={alert['level']}", headers=police)
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert rows and {r["level"] for r in rows} == {alert["level"]}
        assert "test-police" in {r["actor"] for r in rows}
        pdf = client.get("/api/v1/sites/mini/incidents.pdf", headers=police)
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        assert b"Incident log Mini boulevard 2026-07-18" in pdf.content  # the document's title


def test_organisers_handle_only_their_own_measures_in_their_zones(event_runtime: Runtime) -> None:
    book = alert_book_of(event_runtime, "mini")
    beach = book.raise_alert("strand", Level.YELLOW, "level_change", "Strand is yellow", NOW)
    boulevard = book.raise_alert("zuid", Level.YELLOW, "level_change", "Zuid is yellow", NOW)
    assert beach and boulevard
    organiser = bearer(event_runtime, "event_organiser", zones={"mini": ["strand"]})
    with TestClient(create_app(event_runtime, web_dist=None)) as client:
        seen = client.get("/api/v1/sites/mini/alerts", headers=organiser).json()["alerts"]
        assert [a["id"] for a in seen] == [beach.id] and seen[0]["actions"] == ["ack", "measure"]
        url = f"/api/v1/sites/mini/alerts/{beach.id}"
        assert client.post(f"{url}/measure", json={"measure": "beach-hosts"}, headers=organiser).status_code == 403
        assert client.post(f"{url}/resolve", json={"reason": "done"}, headers=organiser).status_code == 403
        assert client.post(f"{url}/ack", json={}, headers=organiser).status_code == 200
        taken = client.post(f"{url}/measure", json={"measure": "beach-stewards"}, headers=organiser)
        assert taken.status_code == 200 and taken.json()["measures_taken"][0]["by"] == "test-event-organiser"
        other = f"/api/v1/sites/mini/alerts/{boulevard.id}/ack"
        assert client.post(other, json={}, headers=organiser).status_code == 404  # outside the event
        log = client.get("/api/v1/sites/mini/incidents", headers=organiser).json()["entries"]
        assert {e["zone_id"] for e in log} == {"strand"}


def test_the_role_view_gives_owners_in_words_and_context_without_numbers(event_runtime: Runtime) -> None:
    organiser = bearer(event_runtime, "event_organiser", zones={"mini": ["strand"]})
    police = bearer(event_runtime, "police")
    with TestClient(create_app(event_runtime, web_dist=None)) as client:
        view = client.get("/api/v1/sites/mini/view", headers=organiser).json()
        assert view["owner"] == "organiser"
        assert view["owner_labels"]["transport_operator"] == "Public transport operator"
        context = view["context"]["features"]
        assert sorted(f["id"] for f in context) == ["noord", "tram", "zuid"]
        assert all(set(f["properties"]) == {"id", "name"} for f in context)  # outlines and names only
        assert client.get("/api/v1/sites/mini/view", headers=police).json()["context"]["features"] == []
        assert client.get("/api/v1/sites/mini/view", headers=police).json()["owner"] == "police"
