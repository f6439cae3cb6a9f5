"""The playbook section: valid packages load; every mistake is reported with its path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from csm.advice.playbook import load_playbook, measures_for, zones_of
from csm.domain.model import Level
from csm.site.loader import validate_site_dir
from csm.site.model import Site
from tests.advice.conftest import PLAYBOOK, make_site
from tests.conftest import DEMO_SITE


def problems_for(tmp_path: Path, playbook: Any) -> dict[str, str]:
    site, problems = validate_site_dir(make_site(tmp_path / "site", playbook))
    assert site is None
    assert all(p.file == "site.yaml" for p in problems)
    return {p.path: p.message for p in problems}


def test_valid_playbook_loads_and_resolves_groups(mini_site: Site) -> None:
    playbook = load_playbook(mini_site)
    assert len(playbook.measures) == 6
    assert zones_of(["boulevard"], mini_site) == {"zuid", "noord"}
    assert zones_of(["*"], mini_site) == set(mini_site.zones)
    ids = [m.id for m in measures_for(playbook, mini_site, "noord", Level.ORANGE)]
    assert ids == ["traffic-controllers", "extra-trams"]


def test_every_mistake_is_named_with_its_path(tmp_path: Path) -> None:
    bad: dict[str, Any] = copy.deepcopy(PLAYBOOK)
    bad["measures"][3]["lead_time_minutes"] = -5
    bad["measures"][1]["owner"] = "mayor"
    bad["measures"][2]["level"] = "purple"
    del bad["measures"][0]["measure"]
    bad["settings"]["min_probability"] = 1.5
    bad["notifications"] = {"webhooks": [{"url": "ftp://x", "secret_env": "CSM_WEBHOOK_SECRET_A"}]}
    found = problems_for(tmp_path, bad)
    assert set(found) == {
        "playbook.measures[3].lead_time_minutes",
        "playbook.measures[1].owner",
        "playbook.measures[2].level",
        "playbook.measures[0].measure",
        "playbook.settings.min_probability",
        "playbook.notifications.webhooks[0].url",
    }
    assert "greater than or equal to 0" in found["playbook.measures[3].lead_time_minutes"]
    assert "municipality" in found["playbook.measures[1].owner"]
    assert found["playbook.measures[0].measure"] == "Field required"


def test_unknown_zones_and_duplicate_ids(tmp_path: Path) -> None:
    bad: dict[str, Any] = copy.deepcopy(PLAYBOOK)
    bad["measures"][4]["zones"] = ["boulevard", "promenade"]
    bad["measures"][5]["id"] = "police"
    found = problems_for(tmp_path, bad)
    assert set(found) == {"playbook.measures[4].zones[1]", "playbook.measures[5].id"}
    assert "'promenade'" in found["playbook.measures[4].zones[1]"]
    assert "['beach', 'boulevard']" in found["playbook.measures[4].zones[1]"]


def test_secrets_stay_out_of_site_yaml(tmp_path: Path) -> None:
    bad: dict[str, Any] = copy.deepcopy(PLAYBOOK)
    bad["notifications"] = {"webhooks": [
        {"url": "https://ops.example/hook", "secret_env": "CSM_WEBHOOK_SECRET_OPS", "secret": "hunter2"},
        {"url": "https://ops.example/hook", "secret_env": "HOME"},
    ]}
    found = problems_for(tmp_path, bad)
    assert "environment variable" in found["playbook.notifications.webhooks[0]"]
    assert "CSM_WEBHOOK_SECRET_" in found["playbook.notifications.webhooks[1].secret_env"]


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "playbook" in problems_for(tmp_path, ["police"])


def test_demo_site_playbook_is_valid() -> None:
    site, problems = validate_site_dir(DEMO_SITE)
    assert problems == [] and site is not None
    playbook = load_playbook(site)
    levels = {m.level for m in playbook.measures}
    assert levels == {"yellow", "orange", "red"}
    assert {m.owner for m in playbook.measures} >= {"municipality", "police", "transport_operator"}
