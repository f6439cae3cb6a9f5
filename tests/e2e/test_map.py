"""The map in a real browser, as each role sees it: the basemap (sea, beach, streets, pier,
landmarks), 3D buildings, labels, the emergency layer with access routes, the theme toggle, the
level colours under simulated colour-vision deficiencies, and axe-core accessibility checks."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest

from csm.api.app import WEB_DIST, create_app
from csm.api.live_server import serve_in_thread
from csm.auth.roles import Role
from csm.auth.users import UserDirectory
from csm.runtime import Runtime, build_runtime
from tests.conftest import DEMO_SITE, TEST_SECRET, ingest_token
from tests.e2e.colour_vision import MACHADO_2009, delta_e, parse_css
from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _unavailable, tune_demo_copy
from tests.e2e.test_dashboard import newest_complete_interval, post_densities

pytestmark = pytest.mark.browser

PASSWORD = "a-long-enough-map-password"
USERS = {
    "municipality": Role.MUNICIPALITY, "police": Role.POLICE, "ambulance": Role.EMERGENCY_SERVICES,
    "viewer": Role.VIEWER,
}
# One zone per level, so every level colour is on screen: green, yellow, orange, red.
DENSITIES = {
    "cam-boulevard-haven": 0.2, "cam-boulevard-oude-dorp": 0.6, "cam-boulevard-midden": 1.4,
    "cam-boulevard-kurhaus-1": 2.4, "cam-boulevard-kurhaus-2": 2.4, "cam-boulevard-pier": 1.5,
    "cam-boulevard-noord": 0.3, "cam-strandopgang-zuid": 0.3, "cam-strandopgang-kurhaus": 1.2,
    "cam-strandopgang-noord": 0.2, "cam-tramhalte-kurhaus": 0.5, "cam-tramhalte-haven": 0.2,
    "cam-gevers-deynootplein": 0.3,
}
# Visitor estimates for the beaches and the harbour, so they are not stale on the screenshots.
ESTIMATES = {"est-strand-zuid": 0.05, "est-strand-kurhaus": 0.15, "est-strand-noord": 0.05, "est-haven": 0.1,
             "est-keizerstraat": 0.3}
VIEWPORTS = {"wall": (1600, 1000), "laptop": (1024, 768), "phone": (390, 844)}


@dataclass
class MapServer:
    base_url: str
    runtime: Runtime
    browser: Any
    errors: list[str]

    @property
    def page_factory(self) -> Callable[..., Any]:
        return self.open

    def open(self, user: str, viewport: str = "wall", query: str = "") -> Any:
        """A new browser context logged in as `user`, the map drawn."""
        width, height = VIEWPORTS[viewport]
        phone = viewport == "phone"
        context = self.browser.new_context(viewport={"width": width, "height": height}, has_touch=phone,
                                           is_mobile=phone, device_scale_factor=1)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.goto(f"{self.base_url}/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url, timeout=20_000)
        if query:
            page.goto(f"{self.base_url}/{query}")
        page.wait_for_selector("html[data-map-idle]", timeout=30_000)
        wait_quiet(page)
        return page


def wait_quiet(page: Any) -> None:
    """Until the map is idle with every source loaded (basemap, buildings, posts)."""
    page.wait_for_function(
        "() => { const m = window.__csm && window.__csm.map; return m && m.loaded() && m.areTilesLoaded()"
        " && m.getLayer('buildings') && document.querySelectorAll('.map-label-street').length > 0; }",
        timeout=30_000,
    )
    page.wait_for_timeout(300)


@pytest.fixture(scope="module")
def map_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MapServer]:
    if not CHROMIUM.is_file():
        _unavailable(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    if not (WEB_DIST / "index.html").is_file():
        _unavailable("the dashboard is not built (src/csm/web_dist): run `make web`")
    from playwright.sync_api import sync_playwright

    os.environ["CSM_SECRET_KEY"] = TEST_SECRET
    folder = tmp_path_factory.mktemp("map") / "scheveningen"
    shutil.copytree(DEMO_SITE, folder)
    tune_demo_copy(folder)
    runtime = build_runtime([folder], f"duckdb:{folder.parent / 'map.duckdb'}")
    users = UserDirectory(runtime.store)
    for name, role in USERS.items():
        users.add(name, role, ["scheveningen"], PASSWORD)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with serve_in_thread(create_app(runtime)) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            server = MapServer(base_url, runtime, browser, [])
            post_densities(server, DENSITIES)  # type: ignore[arg-type]  # has base_url and runtime
            post_estimates(server, ESTIMATES)
            try:
                yield server
            finally:
                browser.close()
            assert not server.errors, f"errors in the page: {server.errors}"
    finally:
        runtime.close()


def post_estimates(server: MapServer, densities: dict[str, float]) -> None:
    import httpx

    site = server.runtime.sites["scheveningen"].site
    items = []
    for sensor_id, density in densities.items():
        sensor = site.sensors[sensor_id]
        start = newest_complete_interval(sensor.interval_seconds)
        visitors = round(density * site.zones[sensor.zone].walkable_area_m2)
        items.append({"sensor_id": sensor_id, "interval_start": start.isoformat(),
                      "interval_seconds": sensor.interval_seconds, "counts": {"visitors": visitors}})
    response = httpx.post(f"{server.base_url}/api/v1/observations?site=scheveningen", json=items,
                          headers={"Authorization": f"Bearer {ingest_token('scheveningen')}"}, timeout=10)
    assert response.status_code == 200 and response.json()["accepted"] == len(items), response.text


def rendered(page: Any, layers: list[str]) -> int:
    """Distinct features drawn on screen: a feature cut across several tiles is one feature."""
    return int(page.evaluate(
        "(layers) => new Set(window.__csm.map.queryRenderedFeatures({layers}).map((f) =>"
        " `${f.layer.id}:${f.properties.id ?? f.properties.name ?? JSON.stringify(f.geometry)}`)).size",
        layers))


def test_basemap_buildings_and_labels_are_drawn(map_server: MapServer) -> None:
    page = map_server.open("municipality", "wall")
    for layer in ("basemap-sea", "basemap-beach", "basemap-boulevard", "basemap-street", "basemap-pier",
                  "basemap-landmark", "basemap-tram"):
        assert rendered(page, [layer]) >= 1, f"{layer} not drawn"
    assert rendered(page, ["buildings"]) >= 30
    labels = page.evaluate("() => window.__csm.labels()")
    texts = {label["text"] for label in labels}
    kinds = {label["kind"] for label in labels}
    assert {"zone", "street", "landmark"} <= kinds
    assert "Noordzee" in texts
    assert page.locator(".map-label-street").count() >= 10  # every named street has a label; some are placed
    assert "R Boulevard Kurhaus" in texts  # the level mark: a second channel beside the colour
    # Collision-aware: no two labels on screen overlap.
    boxes = page.evaluate(
        "() => [...document.querySelectorAll('.map-label')].filter(e => e.style.display !== 'none')"
        ".map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], f"labels overlap: {a} {b}"
    assert page.locator(".maplibregl-ctrl-scale").inner_text().strip().endswith("m")
    assert page.locator(".north-arrow button").count() == 1
    assert page.get_attribute("#map", "data-emergency") == "false"  # municipality: layer off by default
    page.screenshot(path=str(ARTIFACTS / "map-1600-municipality.png"))
    # Closer in, the landmarks get their names: the Kurhaus behind its boulevard section.
    before = page.evaluate("() => window.__csm.idle")
    page.evaluate("() => window.__csm.map.jumpTo({center: [4.2762, 52.1118], zoom: 17, pitch: 30})")
    page.wait_for_function(f"() => window.__csm.idle > {before}", timeout=15_000)
    page.wait_for_timeout(300)
    assert "Kurhaus" in {label["text"] for label in page.evaluate("() => window.__csm.labels()")}
    near = page.evaluate(
        "() => window.__csm.map.queryRenderedFeatures({layers: ['buildings']}).map(f => f.properties.name)")
    assert {"Kurhaus", "Kurhaus dome (Kurzaal)"} <= set(near)
    assert rendered(page, ["buildings"]) >= 4  # distinct buildings (counted once however many tiles cut them)
    page.screenshot(path=str(ARTIFACTS / "map-1600-kurhaus.png"))
    page.context.close()


@pytest.mark.parametrize("role", ["ambulance", "police"])
def test_emergency_roles_open_with_posts_and_access_routes(map_server: MapServer, role: str) -> None:
    page = map_server.open(role, "laptop")
    assert page.get_attribute("#map", "data-emergency") == "true"
    page.wait_for_function("() => Number(document.getElementById('map').dataset.routes || 0) > 0", timeout=20_000)
    wait_quiet(page)
    assert rendered(page, ["emergency-posts"]) >= 3
    assert rendered(page, ["emergency-routes"]) >= 1
    # Segments inside the red target zone are marked (striped overlay), not told by colour alone.
    hazards = page.evaluate(
        "() => window.__csm.map.querySourceFeatures('emergency-routes').filter(f => f.properties.hazard).length")
    assert hazards >= 1
    page.screenshot(path=str(ARTIFACTS / f"map-1024-{role}.png"))
    posts = [label for label in page.evaluate("() => window.__csm.labels()") if label["kind"] == "post"]
    assert any("Ambulance" in p["text"] for p in posts), posts
    page.click("#toggle-emergency")
    assert page.get_attribute("#map", "data-emergency") == "false"
    page.context.close()


def test_theme_toggle_switches_the_basemap(map_server: MapServer) -> None:
    page = map_server.open("viewer", "laptop")
    dark = page.evaluate("() => window.__csm.map.getPaintProperty('basemap-sea', 'fill-color')")
    page.click("#toggle-theme")
    assert page.get_attribute("#map", "data-theme") == "light"
    light = page.evaluate("() => window.__csm.map.getPaintProperty('basemap-sea', 'fill-color')")
    assert dark != light
    wait_quiet(page)
    page.screenshot(path=str(ARTIFACTS / "map-1024-light.png"))
    page.click("#toggle-theme")  # back, and remembered for the next tests
    page.context.close()


def test_phone_shows_the_map_with_labels(map_server: MapServer) -> None:
    page = map_server.open("police", "phone")
    assert rendered(page, ["basemap-sea"]) >= 1
    assert any(label["kind"] == "zone" for label in page.evaluate("() => window.__csm.labels()"))
    page.screenshot(path=str(ARTIFACTS / "map-390-police.png"))
    page.context.close()


def test_level_colours_stay_apart_for_colour_vision_deficiencies(map_server: MapServer) -> None:
    """The colours the map paints for each level (read from the rendered extrusions), simulated
    for protanopia, deuteranopia and tritanopia: adjacent levels differ by CIEDE2000 ≥ 20."""
    page = map_server.open("municipality", "wall")
    painted: dict[str, str] = page.evaluate(
        "() => Object.fromEntries(window.__csm.map.queryRenderedFeatures({layers: ['zones-extrusion']})"
        ".map(f => [f.properties.level, f.properties.colour]))")
    assert {"green", "yellow", "orange", "red"} <= set(painted), f"levels on screen: {sorted(painted)}"
    order = ["green", "yellow", "orange", "red"]
    for deficiency in [None, *MACHADO_2009]:
        for low, high in pairwise(order):
            difference = delta_e(parse_css(painted[low]), parse_css(painted[high]), deficiency)
            assert difference >= 20, f"{low} vs {high} under {deficiency or 'normal vision'}: ΔE {difference:.1f}"
    page.context.close()


AXE_IMPACTS = {"serious", "critical"}


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    print(results.generate_report())
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:4]}"
        for v in results.response["violations"] if v["impact"] in AXE_IMPACTS
    ]


def test_accessibility_login_dashboard_zone_panel_and_alerts(map_server: MapServer) -> None:
    browser_page = map_server.browser.new_page(viewport={"width": 1600, "height": 1000})
    browser_page.goto(f"{map_server.base_url}/login")
    assert axe_violations(browser_page) == []
    browser_page.context.close()
    page = map_server.open("municipality", "wall")
    assert axe_violations(page) == [], "dashboard"
    point = page.evaluate("() => window.__csm.projectZone('gevers-deynootplein')")
    page.mouse.click(point["x"], point["y"])
    page.locator("#zone-panel [data-field=name]").wait_for(timeout=5_000)
    assert axe_violations(page) == [], "zone panel"
    page.locator("#alerts-panel li").first.wait_for(timeout=20_000)
    assert axe_violations(page) == [], "alerts panel"
    page.context.close()


@pytest.mark.parametrize("viewport", ["wall", "laptop"])
def test_screenshots_for_docs(map_server: MapServer, viewport: str) -> None:
    """docs/img: the boulevard around the Kurhaus and the pier as an ambulance crew sees it, with an
    advised access route; the same assertions as above hold in this view."""
    page = map_server.open("ambulance", viewport)
    page.wait_for_function("() => Number(document.getElementById('map').dataset.routes || 0) > 0", timeout=20_000)
    before = page.evaluate("() => window.__csm.idle")
    page.evaluate("() => { const m = window.__csm.map; m.jumpTo({center: [4.2762, 52.1118], zoom: 15.1,"
                  " pitch: 40, bearing: m.getBearing()}); }")
    page.wait_for_function(f"() => window.__csm.idle > {before}", timeout=15_000)
    wait_quiet(page)
    for layer in ("basemap-sea", "basemap-beach", "basemap-street", "basemap-pier", "buildings", "emergency-routes"):
        assert rendered(page, [layer]) >= 1, layer
    width = VIEWPORTS[viewport][0]
    page.screenshot(path=str(ARTIFACTS / f"map-{width}.png"))
    page.context.close()
