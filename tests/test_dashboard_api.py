"""What the dashboard reads besides the picture: the legend from the site's own thresholds, optional
map layers from the site folder, the built page behind the login, and a CSP that admits a basemap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from tests.conftest import NOON, TINY_SITE, TINY_ZONES, session_token, write_site

BUILDINGS = {
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature", "properties": {"name": "Kiosk", "height": 6},
        "geometry": {"type": "Polygon", "coordinates": [[[4.27, 52.11], [4.2701, 52.11], [4.2701, 52.1101],
                                                          [4.27, 52.11]]]},
    }],
}


def _runtime(tmp_path: Path, site: dict[str, object], buildings: bool) -> Runtime:
    folder = write_site(tmp_path / "tiny", site, TINY_ZONES)
    if buildings:
        (folder / "buildings.geojson").write_text(json.dumps(BUILDINGS), encoding="utf-8")
    return build_runtime([folder], f"duckdb:{tmp_path / 'csm.duckdb'}", clock=FixedClock(NOON))


@pytest.fixture
def custom_site(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    site = {**TINY_SITE, "defaults": {**TINY_SITE["defaults"], "thresholds": {"yellow": 0.3, "orange": 0.8,  # type: ignore[dict-item]
                                                                                "red": 1.5}},
            "basemap_style_url": "https://tiles.example.org/styles/basic.json"}
    runtime = _runtime(tmp_path, site, buildings=True)
    web = tmp_path / "web_dist"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>dashboard</title>", encoding="utf-8")
    headers = {"Authorization": f"Bearer {session_token(runtime, 'viewer', ('tiny',))}"}
    with TestClient(create_app(runtime, web_dist=web)) as client:
        yield client, headers
    runtime.close()


def test_legend_uses_the_sites_thresholds_and_lists_its_layers(custom_site: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = custom_site
    site = client.get("/api/v1/sites/tiny", headers=headers).json()
    assert [(r["level"], r["density_from"], r["density_to"]) for r in site["levels"]] == [
        ("green", 0.0, 0.3), ("yellow", 0.3, 0.8), ("orange", 0.8, 1.5), ("red", 1.5, None)]
    assert site["layers"] == ["buildings"]
    assert site["basemap_style_url"] == "https://tiles.example.org/styles/basic.json"


def test_site_layers_are_served_and_unknown_ones_are_404(custom_site: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = custom_site
    assert client.get("/api/v1/sites/tiny/layers/buildings", headers=headers).json() == BUILDINGS
    missing = client.get("/api/v1/sites/tiny/layers/network", headers=headers)
    assert missing.status_code == 404 and "no 'network' layer" in missing.json()["detail"]
    assert client.get("/api/v1/sites/tiny/layers/..%2Fsite.yaml", headers=headers).status_code == 404
    assert client.get("/api/v1/sites/tiny/layers/buildings").status_code == 401


def test_dashboard_page_needs_a_session_and_its_csp_admits_only_the_basemap(
    custom_site: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = custom_site
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    client.cookies.set("csm_session", session_token(client.app.state.runtime, "viewer", ("tiny",)))  # type: ignore[attr-defined]
    page = client.get("/", follow_redirects=False)
    assert page.status_code == 200 and "dashboard" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "worker-src 'self' blob:" in csp
    assert "connect-src 'self' ws: wss: https://tiles.example.org;" in csp
    assert "img-src 'self' data: blob: https://tiles.example.org;" in csp


def test_without_a_basemap_the_csp_stays_same_origin(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, TINY_SITE, buildings=False)
    with TestClient(create_app(runtime, web_dist=None)) as client:
        csp = client.get("/login").headers["content-security-policy"]
        headers = {"Authorization": f"Bearer {session_token(runtime, 'viewer', ('tiny',))}"}
        assert client.get("/api/v1/sites/tiny", headers=headers).json()["layers"] == []
    runtime.close()
    assert "connect-src 'self' ws: wss:;" in csp and "https:" not in csp
