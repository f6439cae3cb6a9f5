"""The dashboard in a real browser against the real server and the demo site: it logs in through
the /login form, renders the 3D map with WebGL, opens a zone's panel on a click, and follows
observations posted through the API to a new level without a reload."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import ingest_token
from tests.e2e.conftest import ARTIFACTS, FAST_CAMERA, FAST_SECONDS, OPERATOR, LiveDashboard

pytestmark = pytest.mark.browser

SQUARE = "gevers-deynootplein"  # 14,400 m² walkable; camera coverage 0.7
SQUARE_CAMERA = FAST_CAMERA
# Cameras and the density (p/m²) each shows, so the map opens with several levels; zones fed only
# by visitor estimates (beaches, the harbour) get no data and are shown stale.
OPENING_DENSITIES = {
    "cam-boulevard-haven": 0.2, "cam-boulevard-oude-dorp": 0.3, "cam-boulevard-midden": 0.6,
    "cam-boulevard-kurhaus-1": 1.3, "cam-boulevard-kurhaus-2": 1.3, "cam-boulevard-pier": 0.5,
    "cam-boulevard-noord": 0.3, "cam-strandopgang-zuid": 0.4, "cam-strandopgang-kurhaus": 0.9,
    "cam-strandopgang-noord": 0.2, "cam-tramhalte-kurhaus": 0.3, "cam-tramhalte-haven": 0.2, SQUARE_CAMERA: 0.2,
}


def newest_complete_interval(seconds: int) -> datetime:
    now = int(datetime.now(UTC).timestamp())
    return datetime.fromtimestamp(now - now % seconds - seconds, UTC)


def post_densities(dashboard: LiveDashboard, densities: dict[str, float]) -> datetime:
    """Counts that give each camera's zone the wanted density, through the HTTP ingest API, for
    each camera's newest complete interval (the picture uses complete intervals only)."""
    site = dashboard.runtime.sites["scheveningen"].site
    items = []
    for sensor_id, density in densities.items():
        sensor = site.sensors[sensor_id]
        people = density * site.zones[sensor.zone].walkable_area_m2 * sensor.coverage
        start = newest_complete_interval(sensor.interval_seconds)
        items.append({"sensor_id": sensor_id, "interval_start": start.isoformat(),
                      "interval_seconds": sensor.interval_seconds, "counts": {"occupancy": round(people)}})
    response = httpx.post(f"{dashboard.base_url}/api/v1/observations?site=scheveningen", json=items,
                          headers={"Authorization": f"Bearer {ingest_token('scheveningen')}"}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(items), response.text
    return newest_complete_interval(FAST_SECONDS)


def idle_count(page: Any) -> int:
    return int(page.evaluate("() => window.__csm ? window.__csm.idle : 0"))


def wait_for_idle_after(page: Any, count: int) -> None:
    page.wait_for_function(f"() => window.__csm && window.__csm.idle > {count}", timeout=15_000)


def rendered_level(page: Any, zone_id: str) -> str | None:
    """The level of the extrusion drawn at the zone's point on screen (what the operator sees)."""
    level: str | None = page.evaluate(
        """(id) => { const m = window.__csm.map; const p = m.project(window.__csm.anchor(id));
        const hit = m.queryRenderedFeatures(p, {layers: ['zones-extrusion', 'zones-stale', 'zones-ground']})
          .find(f => f.properties.id === id);
        return hit ? hit.properties.level : null; }""",
        zone_id,
    )
    return level


OPENED: dict[str, datetime] = {}


@pytest.fixture(scope="module")
def logged_in(live_dashboard: LiveDashboard) -> LiveDashboard:
    OPENED["square"] = post_densities(live_dashboard, OPENING_DENSITIES)
    page = live_dashboard.page
    page.goto(f"{live_dashboard.base_url}/")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", OPERATOR[0])
    page.fill("input[name=password]", OPERATOR[1])
    page.click("button[type=submit]")
    page.wait_for_selector("html[data-map-idle]", timeout=20_000)
    page.wait_for_selector("#connection[data-state=live]", timeout=10_000)
    return live_dashboard


def test_the_map_renders_in_3d_with_webgl(logged_in: LiveDashboard) -> None:
    page = logged_in.page
    webgl = page.evaluate(
        "() => { const c = document.querySelector('#map canvas');"
        " return c.getContext('webgl2') ? 'webgl2' : (c.getContext('webgl') ? 'webgl' : null); }"
    )
    assert webgl in ("webgl2", "webgl")
    assert page.evaluate("() => window.__csm.map.getPitch()") > 30
    drawn = page.evaluate("() => window.__csm.map.queryRenderedFeatures({layers: ['zones-extrusion']}).length")
    assert drawn >= 10
    stale = page.evaluate("() => window.__csm.map.queryRenderedFeatures({layers: ['zones-stale']}).length")
    assert stale >= 1 and page.locator(".stale-label").count() >= 1
    assert page.inner_text("#site-name") == "Scheveningen Boulevard"
    assert page.locator(".legend li[data-level=red]").inner_text().startswith("Red ≥ 2.00")
    shot = ARTIFACTS / "dashboard.png"
    page.screenshot(path=str(shot))
    with Image.open(shot) as image:
        left, top, right, bottom = (int(v) for v in page.evaluate(
            "() => { const r = document.getElementById('map').getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom]; }"))
        pixels = list(image.convert("RGB").crop((left, top, right, bottom)).getdata())
    greenish = sum(1 for r, g, b in pixels if g > r + 40 and g > b + 8)  # the blue-green of level green
    orangeish = sum(1 for r, g, b in pixels if r > 170 and 90 < g < 170 and b < 110)
    assert greenish > 1500, f"only {greenish} green pixels: the zones did not render"
    assert orangeish > 300, f"only {orangeish} orange pixels: the orange zone did not render"


def test_clicking_a_zone_opens_its_panel(logged_in: LiveDashboard) -> None:
    page = logged_in.page
    point = page.evaluate(f"() => window.__csm.projectZone('{SQUARE}')")
    page.mouse.click(point["x"], point["y"])
    panel = page.locator("#zone-panel")
    panel.locator("[data-field=name]").wait_for(timeout=5_000)
    assert panel.locator("[data-field=name]").inner_text() == "Gevers Deynootplein"
    assert panel.get_attribute("data-zone") == SQUARE
    assert panel.locator("[data-field=level]").inner_text() == "Green"
    assert SQUARE_CAMERA in panel.inner_text()
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden", timeout=5_000)


def test_observations_turn_the_zone_red_on_screen(logged_in: LiveDashboard) -> None:
    page = logged_in.page
    point = page.evaluate(f"() => window.__csm.projectZone('{SQUARE}')")
    page.mouse.click(point["x"], point["y"])
    panel = page.locator(f"#zone-panel[data-zone={SQUARE}]")
    panel.wait_for(timeout=5_000)
    assert panel.get_attribute("data-level") == "green"
    assert rendered_level(page, SQUARE) == "green"
    before = idle_count(page)
    while newest_complete_interval(FAST_SECONDS) <= OPENED["square"]:  # a newer interval than the opening one
        time.sleep(0.5)
    post_densities(logged_in, {SQUARE_CAMERA: 2.6})
    page.wait_for_selector(f"#zone-panel[data-zone={SQUARE}][data-level=red]", timeout=15_000)
    assert panel.locator("[data-field=level]").inner_text() == "Red"
    wait_for_idle_after(page, before)
    assert rendered_level(page, SQUARE) == "red"
    assert page.locator(".count-chip[data-level=red] b").inner_text() == "1"
    page.screenshot(path=str(ARTIFACTS / "dashboard-red-zone.png"))


def test_an_alert_is_acknowledged_from_the_alerts_panel(logged_in: LiveDashboard) -> None:
    """The one change the page makes: a POST with the session cookie and its CSRF token."""
    page = logged_in.page
    button = page.locator("#alerts-panel li[data-status=raised] button.ack").first
    button.wait_for(timeout=20_000)  # the advice engine raises alerts for the zones above green
    alert_id = button.locator("xpath=..").get_attribute("data-alert")
    button.click()
    page.wait_for_selector(f"#alerts-panel li[data-alert='{alert_id}'][data-status=acknowledged]", timeout=10_000)
    assert OPERATOR[0] in page.locator(f"#alerts-panel li[data-alert='{alert_id}']").inner_text()
    assert page.locator("#alerts-panel .error").count() == 0


def test_time_slider_goes_back_and_returns_to_live(logged_in: LiveDashboard) -> None:
    page = logged_in.page
    page.evaluate(
        "() => { const s = document.getElementById('time-slider'); s.value = String(Number(s.min) + 60000);"
        " s.dispatchEvent(new Event('input')); }"
    )
    page.wait_for_selector("#timebar[data-mode=past]", timeout=5_000)
    assert page.locator("#banner").is_visible() and "Press Live" in page.inner_text("#banner")
    assert page.inner_text("#time-label").startswith("Past")
    page.click("#live")
    page.wait_for_selector("#timebar[data-mode=live]", timeout=5_000)
    page.locator("#banner").wait_for(state="hidden", timeout=5_000)


def test_sources_panel_shows_sensors_and_configured_sources(logged_in: LiveDashboard) -> None:
    page = logged_in.page
    sensors = page.locator("#sources-panel li[data-source=counting-sensors]")
    assert "reporting" in sensors.inner_text() or "stale" in sensors.inner_text()
    page.wait_for_selector("#sources-panel li[data-source=weather]", timeout=35_000)  # polled every 30 s
    assert "weather buienradar" in page.inner_text("#sources-panel li[data-source=weather]")
