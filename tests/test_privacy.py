"""Privacy by design: identifiers refused, small counts suppressed, retention, audit of reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.ingest.privacy import find_personal_data, redact
from csm.retention import purge_site
from csm.runtime import Runtime
from tests.conftest import NOON, ingest_token, session_token
from tests.test_ingest_http import item


@pytest.fixture
def client(tiny_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as test_client:
        yield test_client


def feed(client: TestClient, items: list[object], sensors: list[str] | None = None) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {ingest_token('tiny', sensors)}"}
    response = client.post("/api/v1/observations", json=items, headers=headers)
    return dict(response.json())


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"mac": "a4:5e:60:e8:12:01"}, "mac"),
        ({"kenteken": "12-ABC-3"}, "kenteken"),
        ({"image": "data:image/jpeg;base64,/9j/4AAQ"}, "image"),
        ({"face_embedding": [0.1, 0.3]}, "face_embedding"),
        ({"counts": {"occupancy": 3, "track_id": 7}}, "counts.track_id"),
        ({"sensor_id": "cam-a4:5e:60:e8:12:01"}, "sensor_id"),
        ({"metric": "occupancy", "value": 2, "counts": None, "note": "seen AB-123-C twice"}, "note"),
        ({"imsi": "204081234567890"}, "imsi"),
    ],
)
def test_identifiers_are_refused_with_a_clear_reason_and_never_stored(
    client: TestClient, tiny_runtime: Runtime, extra: dict[str, object], field: str
) -> None:
    bad = {**item(), **extra}
    if bad.get("counts") is None:
        bad.pop("counts")
    body = feed(client, [bad, item(minutes_ago=5)])
    (rejection,) = body["rejected"]  # type: ignore[misc]
    assert rejection["reason"] == "personal_data"
    assert rejection["field"] == field
    assert "aggregate counts only" in rejection["detail"]
    assert body["accepted"] == 1
    (letter,) = tiny_runtime.store.list_dead_letters("tiny")
    for secret in ("a4:5e:60:e8:12:01", "12-ABC-3", "/9j/4AAQ", "204081234567890", "AB-123-C"):
        assert secret not in letter.payload
    assert "<redacted:" in letter.payload


def test_find_and_redact_personal_data() -> None:
    assert find_personal_data({"counts": {"in": 3}, "sensor_id": "cam-1"}) is None
    found = find_personal_data({"x": ["ok", {"Email": "a@b.nl"}]})
    assert found == ("x[1].Email", "the field name is, or announces, personal identifiers (email)")
    assert redact({"note": "mail a.b@c.nl now", "n": 3}) == {"note": "<redacted:email>", "n": 3}


def test_ingest_token_may_write_only_its_own_sensors(client: TestClient, tiny_runtime: Runtime) -> None:
    body = feed(client, [item("cam-a"), item("lc-b", **{"in": 1, "out": 0})], sensors=["cam-a"])
    assert body["accepted"] == 1
    (rejection,) = body["rejected"]  # type: ignore[misc]
    assert (rejection["reason"], rejection["field"]) == ("sensor_not_authorised", "sensor_id")
    assert client.post("/api/v1/observations", json=[item()]).status_code == 401


def test_small_counts_are_suppressed_for_roles_without_the_right(client: TestClient, tiny_runtime: Runtime) -> None:
    feed(client, [item(occupancy=2), item("est-c", minutes_ago=15, visitors=400)])  # plein = 4 persons < k=5
    tiny_runtime.sites["tiny"].picture.refresh()
    viewer = {"Authorization": f"Bearer {session_token(tiny_runtime, 'viewer', ('tiny',))}"}
    police = {"Authorization": f"Bearer {session_token(tiny_runtime, 'police', ('tiny',))}"}
    state_url = "/api/v1/sites/tiny/zones/state"
    seen_by_viewer = {z["zone_id"]: z for z in client.get(state_url, headers=viewer).json()["zones"]}
    assert seen_by_viewer["plein"]["occupancy"] is None and seen_by_viewer["plein"]["suppressed"] is True
    assert seen_by_viewer["plein"]["level"] == "green"
    assert seen_by_viewer["strand"]["occupancy"] == 800  # large counts stay visible
    seen_by_police = {z["zone_id"]: z for z in client.get(state_url, headers=police).json()["zones"]}
    assert seen_by_police["plein"]["occupancy"] == 4
    history = client.get("/api/v1/sites/tiny/zones/history?zone=plein", headers=viewer).json()
    assert all(p["occupancy"] is None for p in history["zones"]["plein"])


def test_retention_purges_old_raw_observations_and_says_so(tiny_runtime: Runtime) -> None:
    ingest = tiny_runtime.sites["tiny"].ingest
    ingest.ingest_items([item(minutes_ago=m) for m in (2, 3)], "test")
    old = [item(minutes_ago=60 * 24 * 6)]  # within the 7-day lateness, past a 5-day retention
    ingest.ingest_items(old, "test")
    assert tiny_runtime.store.count_observations("tiny") == 3
    site = tiny_runtime.sites["tiny"].site
    object.__setattr__(site.config.privacy, "retention_days", 5)
    assert purge_site(tiny_runtime.sites["tiny"], NOON) == 1
    assert tiny_runtime.store.count_observations("tiny") == 2
    (entry,) = tiny_runtime.store.read_events("tiny", "audit")
    assert entry.payload["action"] == "retention purge" and "1 observations" in entry.payload["detail"]
    assert purge_site(tiny_runtime.sites["tiny"], NOON + timedelta(days=10)) == 2


def test_retention_purges_dead_letters_as_old_as_purged_observations(tiny_runtime: Runtime) -> None:
    """A dead letter past retention would only ever replay observations the next purge removes."""
    ingest = tiny_runtime.sites["tiny"].ingest
    ingest.ingest_items([{**item(minutes_ago=2), "sensor_id": "no-such-sensor"}], "test")
    assert len(tiny_runtime.store.list_dead_letters("tiny")) == 1
    object.__setattr__(tiny_runtime.sites["tiny"].site.config.privacy, "retention_days", 5)
    assert purge_site(tiny_runtime.sites["tiny"], NOON + timedelta(days=4)) == 0
    assert len(tiny_runtime.store.list_dead_letters("tiny")) == 1  # within retention: kept
    purge_site(tiny_runtime.sites["tiny"], NOON + timedelta(days=6))
    assert tiny_runtime.store.list_dead_letters("tiny") == []
    (entry,) = tiny_runtime.store.read_events("tiny", "audit")
    assert entry.payload["detail"].startswith("1 dead letters before ")


def test_audit_log_records_who_read_what(client: TestClient, tiny_runtime: Runtime) -> None:
    police = {"Authorization": f"Bearer {session_token(tiny_runtime, 'police', ('tiny',), username='agent-007')}"}
    client.get("/api/v1/sites/tiny/zones/state", headers=police)
    client.get("/api/v1/sites/tiny/zones/state", headers=police)  # coalesced within a minute
    client.get("/api/v1/sites/tiny/zones/history?hours=2", headers=police)
    client.get("/api/v1/sites/tiny/zones", headers=police)  # geometry only: not audited
    admin = {"Authorization": f"Bearer {session_token(tiny_runtime)}"}
    log = client.get("/api/v1/audit?site=tiny", headers=admin).json()
    reads = [(e["user"], e["role"], e["action"]) for e in log if e["user"] == "agent-007"]
    assert reads == [
        ("agent-007", "police", "GET /api/v1/sites/tiny/zones/state"),
        ("agent-007", "police", "GET /api/v1/sites/tiny/zones/history"),
    ]
    (history_read,) = [e for e in log if e["action"].endswith("/zones/history")]
    assert history_read["detail"] == "hours=2" and history_read["client"] == "testclient"
    assert client.get("/api/v1/audit", headers=police).status_code == 403
