"""Nobody grants rights beyond their own: actor scope × target scope, each cell over HTTP (issue 12, 3)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from csm.auth.roles import Role
from csm.auth.users import UserDirectory
from csm.runtime import Runtime
from tests.security.conftest import bearer

# actor: (sites of the acting administrator); targets: sites an action is aimed at.
ACTORS = {"global": ("*",), "tiny-admin": ("tiny",)}
TARGETS = {"tiny": ["tiny"], "other": ["other"], "both": ["tiny", "other"], "global": ["*"]}
# Which (actor, target) cells may act: a site administrator only inside its own site.
ALLOWED = {("global", t) for t in TARGETS} | {("tiny-admin", "tiny")}


def _actor(runtime: Runtime, actor: str) -> dict[str, str]:
    return bearer(runtime, "administrator", ACTORS[actor], f"actor-{actor}")


CELLS = [(a, t) for a in ACTORS for t in TARGETS]


@pytest.mark.parametrize(("actor", "target"), CELLS)
def test_create_user(client: TestClient, two_sites: Runtime, actor: str, target: str) -> None:
    for role in ("administrator", "viewer"):
        response = client.post("/api/v1/users", headers=_actor(two_sites, actor), json={
            "username": f"new-{role}-{target}", "role": role, "sites": TARGETS[target],
            "password": "correct-horse-battery"})
        assert (response.status_code == 201) == ((actor, target) in ALLOWED), (role, response.text)
        assert (UserDirectory(two_sites.store).get(f"new-{role}-{target}") is not None) == (
            (actor, target) in ALLOWED)


@pytest.mark.parametrize(("actor", "target"), CELLS)
def test_change_and_delete_user(client: TestClient, two_sites: Runtime, actor: str, target: str) -> None:
    directory = UserDirectory(two_sites.store)
    directory.add("target-user", Role.ADMINISTRATOR, TARGETS[target], "correct-horse-battery")
    headers = _actor(two_sites, actor)
    demote = client.patch("/api/v1/users/target-user", headers=headers, json={"role": "viewer"})
    assert (demote.status_code == 200) == ((actor, target) in ALLOWED), demote.text
    removed = client.delete("/api/v1/users/target-user", headers=headers)
    assert (removed.status_code == 200) == ((actor, target) in ALLOWED), removed.text
    assert (directory.get("target-user") is None) == ((actor, target) in ALLOWED)


@pytest.mark.parametrize("target", list(TARGETS))
def test_a_site_administrator_cannot_widen_an_account_it_manages(
    client: TestClient, two_sites: Runtime, target: str
) -> None:
    UserDirectory(two_sites.store).add("tiny-viewer", Role.VIEWER, ["tiny"], "correct-horse-battery")
    headers = _actor(two_sites, "tiny-admin")
    widened = client.patch("/api/v1/users/tiny-viewer", headers=headers, json={"sites": TARGETS[target]})
    assert (widened.status_code == 200) == (target == "tiny"), widened.text
    self_widened = client.patch("/api/v1/users/actor-tiny-admin", headers=headers, json={"sites": TARGETS[target]})
    assert (self_widened.status_code == 200) == (target == "tiny"), self_widened.text


def test_the_global_administrator_is_invisible_and_untouchable_to_a_site_administrator(
    client: TestClient, two_sites: Runtime
) -> None:
    _actor(two_sites, "global")
    headers = _actor(two_sites, "tiny-admin")
    listed = {u["username"] for u in client.get("/api/v1/users", headers=headers).json()}
    assert listed == {"actor-tiny-admin"}
    assert client.delete("/api/v1/users/actor-global", headers=headers).status_code == 404
    assert UserDirectory(two_sites.store).get("actor-global") is not None


@pytest.mark.parametrize(("actor", "target"), [(a, t) for a in ACTORS for t in ("tiny", "other")])
def test_issue_ingest_token_and_write_with_it(client: TestClient, two_sites: Runtime, actor: str, target: str) -> None:
    issued = client.post("/api/v1/tokens/ingest", headers=_actor(two_sites, actor),
                         json={"name": "gw", "site": target})
    assert (issued.status_code == 200) == ((actor, target) in ALLOWED), issued.text


@pytest.mark.parametrize(("actor", "site"), [(a, s) for a in ACTORS for s in ("tiny", "other", "*", None)])
def test_audit_log(client: TestClient, two_sites: Runtime, actor: str, site: str | None) -> None:
    params = {"site": site} if site else {}
    response = client.get("/api/v1/audit", headers=_actor(two_sites, actor), params=params)
    if actor == "global":
        assert response.status_code == 200
        return
    if site in ("other", "*"):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {e["site"] for e in response.json()} == {"tiny"}


@pytest.mark.parametrize(("actor", "site"), [(a, s) for a in ACTORS for s in ("tiny", "other", None)])
def test_dead_letters(client: TestClient, two_sites: Runtime, actor: str, site: str | None) -> None:
    params = {"site": site} if site else {}
    response = client.get("/api/v1/deadletters", headers=_actor(two_sites, actor), params=params)
    if actor == "tiny-admin" and site == "other":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    seen = {d["site_id"] for d in response.json()}
    expected = {site} if site else ({"tiny", "other"} if actor == "global" else {"tiny"})
    assert seen == expected


@pytest.mark.parametrize(("actor", "target"), [(a, t) for a in ACTORS for t in ("tiny", "other")])
def test_replay(client: TestClient, two_sites: Runtime, actor: str, target: str) -> None:
    letter = two_sites.store.list_dead_letters(target, 1)[0]
    by_id = client.post("/api/v1/deadletters/replay", headers=_actor(two_sites, actor), json={"ids": [letter.id]})
    assert by_id.status_code == 200
    touched = {o["id"] for o in by_id.json()["outcomes"]}
    assert (letter.id in touched) == ((actor, target) in ALLOWED)
    every = client.post("/api/v1/deadletters/replay", headers=_actor(two_sites, actor), json={"all": True})
    touched = {o["id"] for o in every.json()["outcomes"]}
    assert (letter.id in touched) == ((actor, target) in ALLOWED)


@pytest.mark.parametrize("actor", list(ACTORS))
def test_metrics_hold_every_site_so_only_a_global_administrator_reads_them(
    client: TestClient, two_sites: Runtime, actor: str
) -> None:
    response = client.get("/metrics", headers=_actor(two_sites, actor))
    assert (response.status_code == 200) == (actor == "global")


def test_the_last_administrator_of_every_site_can_neither_leave_nor_step_down(
        client: TestClient, two_sites: Runtime) -> None:
    """Removing or demoting the last account that administers every site would leave nobody to
    manage accounts, sites and tokens over the API: refused (409) until another holds those rights."""
    directory = UserDirectory(two_sites.store)
    headers = _actor(two_sites, "global")
    assert [u.username for u in directory.all() if u.role is Role.ADMINISTRATOR and "*" in u.sites] == ["actor-global"]
    for action in (lambda: client.delete("/api/v1/users/actor-global", headers=headers),
                   lambda: client.patch("/api/v1/users/actor-global", headers=headers, json={"role": "viewer"}),
                   lambda: client.patch("/api/v1/users/actor-global", headers=headers, json={"sites": ["tiny"]})):
        refused = action()
        assert refused.status_code == 409 and "last administrator" in refused.json()["detail"], refused.text
    assert directory.get("actor-global") is not None and directory.get("actor-global").role is Role.ADMINISTRATOR  # type: ignore[union-attr]

    added = client.post("/api/v1/users", headers=headers, json={
        "username": "second-global", "role": "administrator", "sites": ["*"], "password": "correct-horse-battery"})
    assert added.status_code == 201, added.text
    stepped_down = client.patch("/api/v1/users/actor-global", headers=headers, json={"role": "viewer"})
    assert stepped_down.status_code == 200, stepped_down.text
    second = bearer(two_sites, "administrator", ("*",), "second-global")
    assert client.delete("/api/v1/users/second-global", headers=second).status_code == 409
    assert client.delete("/api/v1/users/actor-global", headers=second).status_code == 200
