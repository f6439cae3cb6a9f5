"""The offline PMTiles basemap in a real browser: the site is switched to `basemap: {kind:
pmtiles}`, the archive is built with `csm site build-basemap`, and the page reads it through the
`pmtiles` protocol with HTTP range requests to the API (nothing from elsewhere)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from csm.api.app import WEB_DIST, create_app
from csm.api.live_server import serve_in_thread
from csm.auth.roles import Role
from csm.auth.users import UserDirectory
from csm.cli import app as cli
from csm.runtime import build_runtime
from tests.conftest import DEMO_SITE, TEST_SECRET
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _unavailable

pytestmark = pytest.mark.browser
PASSWORD = "a-long-enough-map-password"


@pytest.fixture(scope="module")
def pmtiles_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    if not CHROMIUM.is_file():
        _unavailable(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    if not (WEB_DIST / "index.html").is_file():
        _unavailable("the dashboard is not built (src/csm/web_dist): run `make web`")
    from playwright.sync_api import sync_playwright

    os.environ["CSM_SECRET_KEY"] = TEST_SECRET
    folder = tmp_path_factory.mktemp("pmtiles") / "scheveningen"
    shutil.copytree(DEMO_SITE, folder)
    built = CliRunner().invoke(cli, ["site", "build-basemap", "--site", str(folder), "--max-zoom", "16"])
    assert built.exit_code == 0, built.output
    config = yaml.safe_load((folder / "site.yaml").read_text(encoding="utf-8"))
    config["basemap"] = {"kind": "pmtiles", "file": "basemap.pmtiles", "context": "context.geojson"}
    (folder / "site.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    runtime = build_runtime([folder], f"duckdb:{folder.parent / 'map.duckdb'}")
    UserDirectory(runtime.store).add("viewer", Role.VIEWER, ["scheveningen"], PASSWORD)
    try:
        with serve_in_thread(create_app(runtime)) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            requests: list[dict[str, Any]] = []
            page.on("requestfinished", lambda r: requests.append(
                {"url": r.url, "range": r.headers.get("range"), "status": r.response().status if r.response() else 0}))
            page.goto(f"{base_url}/login")
            page.fill("input[name=username]", "viewer")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("html[data-map-idle]", timeout=30_000)
            page.wait_for_function("() => window.__csm.map.areTilesLoaded()", timeout=30_000)
            page.wait_for_timeout(500)
            try:
                yield page, requests
            finally:
                browser.close()
    finally:
        runtime.close()


Opened = tuple[Any, list[dict[str, Any]]]


def test_the_page_draws_the_pmtiles_basemap_through_range_requests(pmtiles_page: Opened) -> None:
    page, requests = pmtiles_page
    source = page.evaluate("() => window.__csm.map.getStyle().sources.basemap")
    assert source["type"] == "vector" and source["url"].startswith("pmtiles://")
    for layer in ("basemap-sea", "basemap-beach", "basemap-street", "basemap-landmark"):
        count = page.evaluate(f"() => window.__csm.map.queryRenderedFeatures({{layers: ['{layer}']}}).length")
        assert count >= 1, f"{layer} not drawn from the PMTiles archive"
    ranged = [r for r in requests if r["url"].endswith("/basemap/tiles.pmtiles")]
    assert ranged and all(r["range"] and r["status"] == 206 for r in ranged), ranged
    host = page.url.split("/")[2]
    assert all(r["url"].split("/")[2] == host for r in requests if r["url"].startswith("http")), "fetched elsewhere"
    page.screenshot(path=str(ARTIFACTS / "map-pmtiles.png"))
