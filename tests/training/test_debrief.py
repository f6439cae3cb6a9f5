"""Training as an exercise over the real ASGI app, on both store backends (DuckDB file, PostgreSQL):
a trainer steers and rewinds, a trainee handles the sandbox's alerts, the log keeps what everyone
did (rewound steps marked), and the debrief measures lead times against the crossings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from tests.conftest import NOON, TINY_SITE, TINY_ZONES, session_token, write_site
from tests.store.conftest import pg_schema_url  # noqa: F401  (fixture)

BASE = "/api/v1/training/sessions"
DAY = {"site": "tiny", "date": "2026-07-18", "start": "14:00", "speed": 60, "paused": True}
PLAYBOOK = {
    "measures": [
        {"id": "plein-stewards", "level": "yellow", "zones": ["plein"], "owner": "municipality",
         "lead_time_minutes": 15, "measure": "Stewards at the entrances of the Plein"},
        {"id": "close-plein", "level": "red", "zones": ["plein"], "owner": "police", "lead_time_minutes": 10,
         "measure": "Close the Plein to inflow"},
    ],
}
# 10x the crowd from the start (yellow at 14:01), 2.5x more from 14:15 (red at 14:17), and a free
# incident at the beach from 14:05 to 14:15.
SURGE = {"kind": "surge", "zone": "plein", "factor": 10}
SECOND_SURGE = {"kind": "surge", "zone": "plein", "factor": 2.5, "at": "2026-07-18T14:15:00+02:00"}
LOST_CHILD = {"kind": "free", "zone": "strand", "level": "yellow", "note": "A lost child at the beach entrance",
              "at": "2026-07-18T14:05:00+02:00", "duration_minutes": 10}


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    return write_site(tmp_path / "tiny", {**TINY_SITE, "playbook": PLAYBOOK}, TINY_ZONES)


@pytest.fixture(params=["duckdb", "postgresql"])
def runtime(request: pytest.FixtureRequest, site_dir: Path, tmp_path: Path) -> Iterator[Runtime]:
    url = f"duckdb:{tmp_path / 'csm.duckdb'}" if request.param == "duckdb" else request.getfixturevalue("pg_schema_url")
    built = build_runtime([site_dir], url, clock=FixedClock(NOON))
    yield built
    built.close()


class Person:
    """One logged-in account talking to the app."""

    def __init__(self, client: TestClient, runtime: Runtime, role: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {session_token(runtime, role, ('tiny',))}"}

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=self.headers)

    def post(self, url: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(url, json=body or {}, headers=self.headers)

    def delete(self, url: str) -> Any:
        return self.client.delete(url, headers=self.headers)


@pytest.fixture
def people(runtime: Runtime) -> Iterator[tuple[Person, Person]]:
    with TestClient(create_app(runtime, web_dist=None)) as client:
        yield Person(client, runtime, "municipality"), Person(client, runtime, "emergency_services")


def _start(trainer: Person, *incidents: dict[str, Any]) -> str:
    created = trainer.post(BASE, DAY)
    assert created.status_code == 201, created.text
    sid: str = created.json()["id"]
    for incident in incidents:
        injected = trainer.post(f"{BASE}/{sid}/incidents", incident)
        assert injected.status_code == 201, injected.text
    return sid


def _jump(trainer: Person, sid: str, to: str) -> dict[str, Any]:
    answer = trainer.post(f"{BASE}/{sid}/jump", {"to": f"2026-07-18T{to}:00+02:00"})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _alerts(person: Person, sid: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(a["zone_id"], a["level"]): a for a in person.get(f"{BASE}/{sid}/alerts").json()["alerts"]}


def _picture(person: Person, sid: str) -> tuple[Any, list[tuple[Any, ...]]]:
    state = person.get(f"{BASE}/{sid}/zones/state").json()
    return state["as_of"], [(z["zone_id"], z["occupancy"], z["density_per_m2"], z["level"], z["stale"])
                            for z in state["zones"]]


def test_a_trainee_handles_alerts_the_trainer_rewinds_and_the_debrief_measures_lead_times(
    people: tuple[Person, Person]
) -> None:
    trainer, trainee = people
    sid = _start(trainer, SURGE, SECOND_SURGE, LOST_CHILD)
    assert trainee.get(f"{BASE}/{sid}").json()["incidents"] == []  # trainees do not see the script
    assert len(trainer.get(f"{BASE}/{sid}").json()["incidents"]) == 3

    _jump(trainer, sid, "14:05")
    yellow = _alerts(trainee, sid)[("plein", "yellow")]
    assert yellow["status"] == "raised" and yellow["raised_at"].startswith("2026-07-18T12:01")
    assert [m["id"] for m in yellow["advised"]] == ["plein-stewards"]
    child = _alerts(trainee, sid)[("strand", "yellow")]
    assert child["kind"] == "incident" and child["message"] == LOST_CHILD["note"]

    acked = trainee.post(f"{BASE}/{sid}/alerts/{yellow['id']}/ack")
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "test-emergency-services"
    assert trainee.post(f"{BASE}/{sid}/alerts/{yellow['id']}/ack").status_code == 409  # as live: once
    _jump(trainer, sid, "14:06")
    measured = trainee.post(f"{BASE}/{sid}/alerts/{yellow['id']}/measure", {"measure": "plein-stewards"})
    assert measured.status_code == 200 and measured.json()["status"] == "measure_taken"

    _jump(trainer, sid, "14:20")
    red = _alerts(trainee, sid)[("plein", "red")]
    assert red["raised_at"].startswith("2026-07-18T12:17")
    assert _alerts(trainee, sid)[("strand", "yellow")]["status"] == "resolved"  # the incident is over
    assert trainee.post(f"{BASE}/{sid}/alerts/{red['id']}/resolve").json()["resolved_by"] == "test-emergency-services"

    # The trainer jumps back to 14:10: the red alert is not raised yet, the resolve is rewound.
    back = _jump(trainer, sid, "14:10")
    assert back["epoch"] == 1 and back["local_time"] == "2026-07-18 14:10"
    assert ("plein", "red") not in _alerts(trainee, sid)
    kept = _alerts(trainee, sid)[("plein", "yellow")]
    assert kept["status"] == "measure_taken" and kept["id"] == yellow["id"]  # steps before 14:10 stay
    log = trainer.get(f"{BASE}/{sid}/log").json()["entries"]
    actions = [e for e in log if e["type"] == "action"]
    assert [(a["action"], a["rewound"]) for a in actions] == [
        ("acknowledged", False), ("measure_taken", False), ("resolved", True)]
    assert all(a["by"] == "test-emergency-services" and a["wall_at"] for a in actions)
    assert any(e["type"] == "rewind" and e["to"].startswith("2026-07-18T12:10") for e in log)
    assert trainee.get(f"{BASE}/{sid}/log").status_code == 403  # the feed is the trainer's

    # Ahead again: the same red alert (same id) is raised again, open, to be handled again.
    _jump(trainer, sid, "14:20")
    again = _alerts(trainee, sid)[("plein", "red")]
    assert again["id"] == red["id"] and again["status"] == "raised"

    assert trainee.get(f"{BASE}/{sid}/debrief").status_code == 403  # not during the session
    assert trainer.delete(f"{BASE}/{sid}").status_code == 200
    debrief = trainee.get(f"{BASE}/{sid}/debrief").json()  # kept after the end, for everyone
    assert debrief["ended"] is True and trainer.get(f"{BASE}/{sid}").status_code == 404

    crossing = next(c for c in debrief["crossings"] if c["zone_id"] == "plein" and c["level"] == "red")
    assert crossing["status"] == "ahead" and crossing["from"] == "yellow"
    assert crossing["lead_minutes"] == 12.0  # acknowledged at 14:05, red at 14:17
    ack = next(a for a in debrief["actions"] if a["action"] == "acknowledged")
    assert ack["lead_minutes"] == 12.0 and ack["crossing_level"] == "red"
    measure = next(a for a in debrief["actions"] if a["action"] == "measure_taken")
    assert measure["advised"] is True and measure["lead_minutes"] == 11.0
    by_alert = {(a["zone_id"], a["level"]): a for a in debrief["alerts"]}
    assert by_alert[("plein", "yellow")]["missed"] is False
    assert by_alert[("plein", "yellow")]["response_minutes"] == 4.0  # raised 14:01, acknowledged 14:05
    assert by_alert[("plein", "yellow")]["advised"] == [{**yellow["advised"][0], "taken": True}]
    assert by_alert[("plein", "red")]["missed"] is True  # its resolve was rewound
    assert by_alert[("strand", "yellow")]["missed"] is True
    summary = debrief["summary"]
    assert (summary["alerts"], summary["handled"], summary["missed_alerts"]) == (3, 1, 2)
    assert (summary["actions"], summary["rewound_actions"], summary["ahead"]) == (2, 1, 1)
    kinds = [row["kind"] for row in debrief["timeline"]]
    assert {"incident", "alert", "crossing", "action", "trainer", "stood_down"} <= set(kinds)
    assert any(row["kind"] == "action" and row["rewound"] for row in debrief["timeline"])


def test_jumping_back_gives_the_sandbox_of_a_fresh_replay_to_that_moment(people: tuple[Person, Person]) -> None:
    trainer, trainee = people
    rewound = _start(trainer, SURGE, SECOND_SURGE, LOST_CHILD)
    _jump(trainer, rewound, "14:30")
    _jump(trainer, rewound, "14:16")
    fresh = _start(trainer, SURGE, SECOND_SURGE, LOST_CHILD)
    _jump(trainer, fresh, "14:16")
    assert _picture(trainee, rewound) == _picture(trainee, fresh)
    assert _alerts(trainee, rewound) == _alerts(trainee, fresh)
    assert ("plein", "red") not in _alerts(trainee, rewound)  # raised at 14:17, after the rewind
    _jump(trainer, rewound, "14:30")
    _jump(trainer, fresh, "14:30")
    assert _picture(trainee, rewound) == _picture(trainee, fresh)


def test_only_trainers_steer_and_hostile_input_is_refused_with_reasons(people: tuple[Person, Person]) -> None:
    trainer, trainee = people
    assert trainee.post(BASE, DAY).status_code == 403
    sid = _start(trainer)
    steering: list[tuple[str, dict[str, Any]]] = [
        ("/pause", {}), ("/jump", {"minutes": 5}), ("/incidents", SURGE), ("/speed", {"speed": 5})]
    for path, body in steering:
        answer = trainee.post(f"{BASE}/{sid}{path}", body)
        assert answer.status_code == 403 and "trainer" in answer.json()["detail"]
    assert trainee.delete(f"{BASE}/{sid}").status_code == 403
    refused: list[tuple[str, dict[str, Any], int]] = [
        ("/jump", {"minutes": -2000}, 422), ("/jump", {"minutes": 240}, 400),
        ("/jump", {"to": "2026-07-18T13:00"}, 422),
        ("/jump", {"to": "2026-07-18T12:00:00+02:00"}, 400), ("/jump", {"to": "2026-07-19T09:00:00+02:00"}, 400),
        ("/incidents", {"kind": "free", "zone": "strand"}, 422),
        ("/incidents", {"kind": "free", "zone": "nowhere", "note": "x"}, 400),
        ("/incidents", {**SURGE, "at": "2026-07-18T13:00:00+02:00"}, 400),
        ("/incidents", {"kind": "free", "zone": "strand", "note": "x" * 501}, 422),
    ]
    for path, body, status in refused:
        answer = trainer.post(f"{BASE}/{sid}{path}", body)
        assert answer.status_code == status, (path, body, answer.text)
        assert answer.json()["detail"]
    assert trainee.post(f"{BASE}/{sid}/alerts/nope/ack").status_code == 404
    assert trainee.post(f"{BASE}/{sid}/alerts/nope/measure", {"measure": ""}).status_code == 422
    assert trainee.get(f"{BASE}/nope/debrief").status_code == 403  # trainees: only ended sessions' debriefs
    assert trainer.get(f"{BASE}/nope/debrief").status_code == 404
    catalogue = trainee.get("/api/v1/training/catalogue").json()
    assert {c["kind"] for c in catalogue} == {"surge", "sensor_failure", "tram_disruption", "free"}


def test_two_workers_on_postgresql_agree_on_alerts_steps_and_rewinds(site_dir: Path, pg_schema_url: str) -> None:  # noqa: F811
    """Each API worker rebuilds the sandbox from the stored spec; a rewind on one is followed by the other."""
    first = build_runtime([site_dir], pg_schema_url, clock=FixedClock(NOON))
    second = build_runtime([site_dir], pg_schema_url, clock=FixedClock(NOON))
    try:
        with TestClient(create_app(first, web_dist=None)) as a, TestClient(create_app(second, web_dist=None)) as b:
            trainer, trainee = Person(a, first, "municipality"), Person(b, second, "emergency_services")
            sid = _start(trainer, SURGE, SECOND_SURGE)
            _jump(trainer, sid, "14:20")
            red = _alerts(trainee, sid)[("plein", "red")]  # worker B built the sandbox from the spec
            assert _alerts(trainee, sid) == _alerts(Person(a, first, "emergency_services"), sid)
            assert trainee.post(f"{BASE}/{sid}/alerts/{red['id']}/ack").status_code == 200
            assert _alerts(trainer, sid)[("plein", "red")]["status"] == "acknowledged"  # seen on worker A
            _jump(trainer, sid, "14:10")
            assert ("plein", "red") not in _alerts(trainee, sid)  # B followed the rewind
            assert _picture(trainee, sid) == _picture(trainer, sid)
            log = trainer.get(f"{BASE}/{sid}/log").json()["entries"]
            assert [e["rewound"] for e in log if e["type"] == "action"] == [True]
    finally:
        first.close()
        second.close()
