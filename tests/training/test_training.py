"""Training sandboxes: steered by a trainer through the real ASGI app, and never touching live data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.runtime import Runtime
from csm.synthetic.day import DaySimulator
from tests.conftest import NOON, AuthedClient, session_token

DAY = {"site": "tiny", "date": "2026-07-18", "start": "14:00", "speed": 60, "paused": True}


@pytest.fixture
def client(tiny_runtime: Runtime) -> Iterator[AuthedClient]:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as raw:
        yield AuthedClient(raw, tiny_runtime)


def _live_fingerprint(runtime: Runtime) -> tuple[int, int]:
    """What a leaking sandbox would change: observations, and zone history after the live clock's
    now (the live runtime's FixedClock stays at NOON; the sandbox days run later)."""
    store = runtime.store
    later = store.zone_history("tiny", NOON + timedelta(minutes=1), NOON + timedelta(days=1))
    return store.count_observations(), len(later)


def _zone(state: dict[str, Any], zone_id: str) -> dict[str, Any]:
    return next(z for z in state["zones"] if z["zone_id"] == zone_id)


def test_a_trainer_steers_a_scripted_day_and_live_data_stays_untouched(
    client: AuthedClient, tiny_runtime: Runtime
) -> None:
    before = _live_fingerprint(tiny_runtime)
    created = client.post("/api/v1/training/sessions", json=DAY)
    assert created.status_code == 201, created.text
    session = created.json()
    sid = session["id"]
    assert session["paused"] and session["local_time"] == "2026-07-18 14:00"
    assert session["observations"] > 0  # this morning's readings, in the sandbox

    state = client.get(f"/api/v1/training/sessions/{sid}/zones/state").json()
    assert state["training"] is True and state["as_of"].startswith("2026-07-18T12:00")
    calm = _zone(state, "plein")["occupancy"]
    assert calm is not None and calm > 0

    surge = client.post(f"/api/v1/training/sessions/{sid}/incidents",
                        json={"kind": "surge", "zone": "plein", "factor": 4, "duration_minutes": 60})
    assert surge.status_code == 201, surge.text
    jumped = client.post(f"/api/v1/training/sessions/{sid}/jump", json={"minutes": 10}).json()
    assert jumped["local_time"] == "2026-07-18 14:10" and jumped["paused"]
    surged = _zone(client.get(f"/api/v1/training/sessions/{sid}/zones/state").json(), "plein")
    assert surged["occupancy"] > 3 * calm

    failure = client.post(f"/api/v1/training/sessions/{sid}/incidents",
                          json={"kind": "sensor_failure", "zone": "strand"})
    assert failure.status_code == 201
    client.post(f"/api/v1/training/sessions/{sid}/jump", json={"minutes": 45})
    strand = _zone(client.get(f"/api/v1/training/sessions/{sid}/zones/state").json(), "strand")
    assert strand["stale"] is True

    back = client.post(f"/api/v1/training/sessions/{sid}/jump", json={"to": "2026-07-18T13:00:00+02:00"})
    assert back.status_code == 400 and "starts at" in back.json()["detail"]
    assert client.post(f"/api/v1/training/sessions/{sid}/speed", json={"speed": 600}).json()["speed"] == 600
    assert client.post(f"/api/v1/training/sessions/{sid}/resume").json()["paused"] is False
    assert [s["id"] for s in client.get("/api/v1/training/sessions").json()] == [sid]

    assert _live_fingerprint(tiny_runtime) == before
    live_plein = [z for z in tiny_runtime.sites["tiny"].picture.snapshot()[1] if z["zone_id"] == "plein"]
    assert all(z["occupancy"] != surged["occupancy"] for z in live_plein)
    ended = client.raw.delete(f"/api/v1/training/sessions/{sid}", headers=client.user_headers)
    assert ended.status_code == 200
    assert client.get(f"/api/v1/training/sessions/{sid}").status_code == 404


def test_a_recorded_day_is_replayed_from_the_live_store_without_writing_to_it(
    client: AuthedClient, tiny_runtime: Runtime
) -> None:
    site_runtime = tiny_runtime.sites["tiny"]
    sim = DaySimulator(site_runtime.site)
    start = datetime.fromisoformat("2026-07-18T05:00:00+02:00")
    site_runtime.ingest.ingest_items(sim.items_between(start, start + timedelta(hours=7)), "test")
    before = _live_fingerprint(tiny_runtime)

    created = client.post("/api/v1/training/sessions", json={**DAY, "mode": "recorded", "start": "11:00"})
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    client.post(f"/api/v1/training/sessions/{sid}/jump", json={"minutes": 30})
    replayed = client.get(f"/api/v1/training/sessions/{sid}/zones/state").json()
    moment = datetime.fromisoformat(replayed["as_of"])
    live_then = {z.zone_id: z.occupancy for z in site_runtime.picture.compute(moment)}
    for zone_id, occupancy in live_then.items():
        assert _zone(replayed, zone_id)["occupancy"] == pytest.approx(occupancy, abs=1), zone_id
    assert _live_fingerprint(tiny_runtime) == before

    empty_day = client.post("/api/v1/training/sessions", json={**DAY, "mode": "recorded", "date": "2026-07-01"})
    assert empty_day.status_code == 400


def test_incidents_are_checked_and_sessions_are_scoped(client: AuthedClient, tiny_runtime: Runtime) -> None:
    sid = client.post("/api/v1/training/sessions", json=DAY).json()["id"]
    bad = client.post(f"/api/v1/training/sessions/{sid}/incidents", json={"kind": "surge", "zone": "atlantis"})
    assert bad.status_code == 400 and "atlantis" in bad.json()["detail"]
    missing = client.post(f"/api/v1/training/sessions/{sid}/incidents", json={"kind": "surge"})
    assert missing.status_code == 422
    elsewhere = session_token(tiny_runtime, "police", ("rotterdam",), username="police-rotterdam")
    response = client.raw.get(f"/api/v1/training/sessions/{sid}/zones/state",
                              headers={"Authorization": f"Bearer {elsewhere}"})
    assert response.status_code in (403, 404)


def test_a_surge_behind_a_line_counter_fills_the_zone_and_empties_it_again(tiny_site_dir: Path) -> None:
    """The tiny pier is counted at its entrance only: the surge must come in, and go, as crossings."""
    from csm.site.loader import load_site
    from csm.training.incidents import IncidentSchema
    from csm.training.session import create_session

    site = load_site(tiny_site_dir)
    start = datetime.fromisoformat("2026-07-18T14:00:00+02:00")
    session = create_session(site, "scripted", start, speed=1.0, paused=True)
    session.jump_to(start + timedelta(minutes=10))
    before = _zone({"zones": session.state()[1]}, "pier")["occupancy"]
    session.inject(IncidentSchema(kind="surge", zone="pier", factor=3, duration_minutes=30))
    session.jump_to(start + timedelta(minutes=25))
    during = _zone({"zones": session.state()[1]}, "pier")["occupancy"]
    session.jump_to(start + timedelta(minutes=60))
    after = _zone({"zones": session.state()[1]}, "pier")["occupancy"]
    session.close()
    assert during > 2.5 * before
    assert after < 1.5 * before


def test_csm_training_preview_prints_levels_over_time(tiny_site_dir: Path) -> None:
    from typer.testing import CliRunner

    from csm.cli import app

    result = CliRunner().invoke(app, ["training", "preview", "--site", str(tiny_site_dir), "--date", "2026-07-18",
                                      "--minutes", "30", "--every", "15", "--incident", "surge:plein:10@14:05+20"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[1:] == ["14:00", "14:15", "14:30"]
    plein = next(line for line in lines if line.startswith("plein")).split()[1:]
    assert plein[0] == "G" and plein[1] in ("Y", "O", "R") and plein[2] == "G"  # the surge comes and goes
    bad = CliRunner().invoke(app, ["training", "preview", "--site", str(tiny_site_dir), "--incident", "meteor@12:00"])
    assert bad.exit_code != 0
