"""Scenario files: every problem reported with file, path and message; shipped examples are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from csm.flow.network import FlowNetwork, network_from_site
from csm.scenario.loader import ScenarioError, load_scenario, parse_scenario
from csm.site.loader import load_site
from csm.site.model import Site

SITE_DIR = Path(__file__).resolve().parents[2] / "sites" / "scheveningen"


@pytest.fixture(scope="module")
def scheveningen() -> tuple[Site, FlowNetwork]:
    site = load_site(SITE_DIR)
    return site, network_from_site(site)


def _problems(raw: object, scheveningen: tuple[Site, FlowNetwork]) -> list[str]:
    scenario, problems = parse_scenario(raw, *scheveningen, file="test.yaml")
    assert scenario is None
    return [str(p) for p in problems]


@pytest.mark.parametrize("name", ["fireworks-pier", "heat-wave-saturday", "tram-1-outage"])
def test_shipped_examples_are_valid(name: str, scheveningen: tuple[Site, FlowNetwork]) -> None:
    scenario = load_scenario(SITE_DIR / "scenarios" / f"{name}.yaml", *scheveningen)
    assert scenario.id == name and scenario.changes


def test_schema_errors_name_the_path(scheveningen: tuple[Site, FlowNetwork]) -> None:
    raw = {
        "name": "bad",
        "baseline": "crystal-ball",
        "changes": [
            {"kind": "event", "zone": "pier", "visitors": -5, "start": "21:00", "end": "23:00"},
            {"kind": "meteor"},
            {"kind": "tram_outage", "line": "1", "stops": ["tramhalte-kurhaus"], "start": "18:00", "end": "13:00"},
        ],
    }
    found = _problems(raw, scheveningen)
    assert any(p.startswith("test.yaml: baseline: ") for p in found), found
    assert any(p.startswith("test.yaml: changes[0].event.visitors: ") for p in found), found
    assert any(p.startswith("test.yaml: changes[1]: ") and "meteor" in p for p in found), found
    assert any(p.startswith("test.yaml: changes[2].tram_outage: ") and "must be after" in p for p in found), found


def test_references_are_checked_against_the_site(scheveningen: tuple[Site, FlowNetwork]) -> None:
    raw = {
        "name": "wrong places",
        "site": "rotterdam",
        "changes": [
            {"kind": "event", "zone": "atlantis", "visitors": 100, "start": "21:00", "end": "23:00"},
            {"kind": "tram_outage", "line": "1", "stops": ["pier"]},
            {"kind": "closed_route", "between": ["pier", "haven"]},
            {"kind": "garage_full", "garage": "nowhere"},
            {"kind": "heat_wave", "temperature_c": 33, "zones": ["moon"]},
        ],
    }
    found = _problems(raw, scheveningen)
    assert "test.yaml: site: scenario is for site 'rotterdam', not 'scheveningen'" in found
    assert any(p.startswith("test.yaml: changes[0].zone: unknown zone 'atlantis'") for p in found), found
    assert any(p.startswith("test.yaml: changes[1].stops[0]: 'pier' is not a tram stop") for p in found), found
    assert any(p.startswith("test.yaml: changes[2].between: no walking link between 'pier' and 'haven'")
               for p in found), found
    assert any(p.startswith("test.yaml: changes[3].garage: unknown garage 'nowhere'; expected one of:")
               for p in found), found
    assert "test.yaml: changes[4].zones: names no zone (expected zone ids, groups or kinds)" in found
    # shares that do not sum to 1 are a schema error (reported before references)
    shares = {"kind": "event", "zones": {"pier": 0.5, "haven": 0.3}, "visitors": 10, "start": "20:00", "end": "21:00"}
    only_shares = _problems({"name": "x", "changes": [shares]}, scheveningen)
    assert any(p.startswith("test.yaml: changes[0].event: ") and "sum to 1" in p for p in only_shares), only_shares


def test_unreadable_file_is_reported_with_its_position(tmp_path: Path, scheveningen: tuple[Site, FlowNetwork]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nchanges: [\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, *scheveningen)
    assert str(info.value.problems[0]).startswith("broken.yaml: line ")
