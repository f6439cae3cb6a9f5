"""`csm site validate`: every problem reported with file, path and what was expected."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from csm.cli import app
from csm.site.loader import load_site, validate_site_dir
from tests.conftest import DEMO_SITE, TINY_SITE, TINY_ZONES, write_site


def _messages(folder: Path) -> list[str]:
    site, problems = validate_site_dir(folder)
    assert site is None
    return [str(p) for p in problems]


def test_demo_site_is_valid_and_large_enough() -> None:
    site = load_site(DEMO_SITE)
    assert len(site.zones) >= 15
    assert {"pier", "gevers-deynootplein", "keizerstraat", "haven"} <= set(site.zones)
    kinds = {z.kind for z in site.zones.values()}
    assert {"boulevard", "beach", "beach_entrance", "tram_stop", "harbour", "square"} <= kinds
    # Real coordinates: every zone lies on the Scheveningen coast.
    for zone in site.zones.values():
        lon, lat = zone.centroid
        assert 4.25 < lon < 4.30 and 52.09 < lat < 52.13, zone.id
    assert {s.kind.value for s in site.sensors.values()} == {
        "area_counter", "line_counter", "visitor_estimate"
    }


def test_cli_reports_ok_for_the_demo_site() -> None:
    result = CliRunner().invoke(app, ["site", "validate", str(DEMO_SITE)])
    assert result.exit_code == 0, result.output
    assert "18 zones" in result.output


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    site = dict(TINY_SITE)
    site["timezone"] = "Europe/Schevening"
    site["sensors"] = [
        {"id": "cam-a", "kind": "area_counter", "zone": "nowhere", "interval_seconds": 60},
        {"id": "cam-a", "kind": "thermal_camera", "zone": "plein"},
        {"id": "lc", "kind": "line_counter", "zone": "plein", "interval_seconds": 5},
    ]
    zones = [dict(TINY_ZONES[0]), {"id": "Bad Id!", "name": "x", "walkable_area_m2": -3}]
    folder = write_site(tmp_path / "bad", site, zones)
    messages = _messages(folder)
    joined = "\n".join(messages)
    assert "site.yaml: timezone: Value error, unknown IANA timezone 'Europe/Schevening'" in joined
    assert "site.yaml: sensors[1].kind: Input should be" in joined
    assert "site.yaml: sensors[2].interval_seconds: Input should be greater than or equal to 10" in joined
    assert "zones.geojson: features[1].properties.id: String should match pattern" in joined
    assert "zones.geojson: features[1].properties.walkable_area_m2: Input should be greater than 0" in joined


def test_cross_references_are_checked(tmp_path: Path) -> None:
    site = dict(TINY_SITE)
    site["sensors"] = [
        {"id": "cam-a", "kind": "area_counter", "zone": "nowhere"},
        {"id": "cam-a", "kind": "area_counter", "zone": "plein"},
    ]
    messages = _messages(write_site(tmp_path / "x", site, TINY_ZONES))
    assert "site.yaml: sensors[0].zone: unknown zone 'nowhere'; expected one of the ids in zones.geojson" in messages
    assert "site.yaml: sensors[1].id: duplicate 'cam-a'" in messages


def test_walkable_area_cannot_exceed_the_polygon(tmp_path: Path) -> None:
    zones = [dict(TINY_ZONES[0], walkable_area_m2=50_000), *TINY_ZONES[1:]]
    messages = _messages(write_site(tmp_path / "x", TINY_SITE, zones))
    assert any(
        m.startswith("zones.geojson: features[0].properties.walkable_area_m2: 50000 m² exceeds")
        for m in messages
    )


def test_broken_yaml_and_json_name_the_line(tmp_path: Path) -> None:
    folder = write_site(tmp_path / "x", TINY_SITE, TINY_ZONES)
    (folder / "site.yaml").write_text("id: x\nname: [unclosed\n", encoding="utf-8")
    (folder / "zones.geojson").write_text('{"type": "FeatureCollection",\n "features": [}', encoding="utf-8")
    messages = _messages(folder)
    assert any(m.startswith("site.yaml: line ") and "not valid YAML" in m for m in messages)
    assert any(m.startswith("zones.geojson: line 2, column") and "not JSON" in m for m in messages)


def test_invalid_geometry_and_non_wgs84_coordinates(tmp_path: Path) -> None:
    folder = write_site(tmp_path / "x", TINY_SITE, TINY_ZONES)
    data = json.loads((folder / "zones.geojson").read_text())
    bowtie = [[[4.27, 52.11], [4.28, 52.12], [4.28, 52.11], [4.27, 52.12], [4.27, 52.11]]]
    data["features"][0]["geometry"]["coordinates"] = bowtie
    data["features"][1]["geometry"]["coordinates"] = [
        [[81000, 455000], [81100, 455000], [81100, 455100], [81000, 455100], [81000, 455000]]
    ]
    data["features"][2]["geometry"] = {"type": "Point", "coordinates": [4.27, 52.11]}
    (folder / "zones.geojson").write_text(json.dumps(data))
    messages = _messages(folder)
    assert any(m.startswith("zones.geojson: features[0].geometry: invalid: Self-intersection") for m in messages)
    assert "zones.geojson: features[1].geometry: coordinates must be WGS84 lon/lat" in messages
    assert "zones.geojson: features[2].geometry: expected a Polygon or MultiPolygon" in messages


def test_thresholds_must_rise_in_the_file(tmp_path: Path) -> None:
    site = dict(TINY_SITE, defaults={"thresholds": {"yellow": 1.0, "orange": 0.5, "red": 2.0}})
    messages = _messages(write_site(tmp_path / "x", site, TINY_ZONES))
    assert any(m.startswith("site.yaml: defaults.thresholds: Value error, must rise") for m in messages)


def test_cli_exits_nonzero_and_prints_each_problem(tmp_path: Path) -> None:
    site = dict(TINY_SITE, country="Netherlands")
    folder = write_site(tmp_path / "x", site, TINY_ZONES)
    result = CliRunner().invoke(app, ["site", "validate", str(folder)])
    assert result.exit_code == 1
    assert "site.yaml: country: String should match pattern" in result.output
    assert "1 problem(s)" in result.output


def test_missing_files_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    messages = _messages(folder)
    assert "site.yaml: <root>: file not found" in messages
    assert "zones.geojson: <root>: file not found" in messages


def test_zone_defaults_capacity_and_static_areas(tmp_path: Path) -> None:
    zones = [dict(TINY_ZONES[0], static=True), TINY_ZONES[1], dict(TINY_ZONES[2], capacity=1234)]
    site = load_site(write_site(tmp_path / "x", TINY_SITE, zones))
    assert site.zones["plein"].capacity == 4000  # static event area: 4 p/m²
    assert site.zones["pier"].capacity == 1000  # moving: 2 p/m²
    assert site.zones["strand"].capacity == 1234


def test_unknown_top_level_keys_are_refused(tmp_path: Path) -> None:
    folder = write_site(tmp_path / "x", dict(TINY_SITE, colour="blue"), TINY_ZONES)
    assert "site.yaml: colour: Extra inputs are not permitted" in _messages(folder)
    assert yaml.safe_load((folder / "site.yaml").read_text())["colour"] == "blue"
