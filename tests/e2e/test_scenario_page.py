"""Scenario mode and the day report in a real browser (issue 16, points 1 and 4), against the real
server and store of the demo site: a planner runs a scenario from the page and the map changes
against the baseline, marked SCENARIO; the share link reopens the stored run for another authorised
role and for nobody else; the Day report button yields the HTML and the PDF.
Screenshots go to test-artifacts/ (and, with CSM_DOC_SHOTS=1, to docs/img/)."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from csm.auth.roles import Role
from csm.runtime import Runtime
from csm.scenario.results import list_results
from tests.conftest import REPO
from tests.e2e.conftest import ARTIFACTS, DESKTOP, E2E_PASSWORD, PHONE, TABLET, demo_with_accounts, log_in

pytestmark = pytest.mark.browser

ROLES = {"planner": Role.MUNICIPALITY, "police": Role.POLICE, "viewer": Role.VIEWER,
         "ambulance": Role.EMERGENCY_SERVICES}
DEVICES = {"desktop": DESKTOP, "tablet": TABLET, "phone": PHONE}
DOC_SHOTS = os.environ.get("CSM_DOC_SHOTS") == "1"
DOCS_IMG = REPO / "docs" / "img"
EXAMPLE = "fireworks-pier.yaml"
SCENARIO_VIOLET = "rgb(137, 87, 229)"  # --scenario in style.css
# The zones' levels in the map's own source data (what MapLibre draws), by zone id.
SOURCE_LEVELS = """async () => { const data = await window.__csm.map.getSource('zones').getData();
  return Object.fromEntries(data.features.map(f => [f.properties.id, f.properties.level])); }"""


@dataclass
class Planning:
    base_url: str
    runtime: Runtime
    browser: Any
    contexts: list[Any]

    def open(self, role: str, device: dict[str, Any], path: str = "/") -> Any:
        """A fresh context logged in as `role` on `device`, at `path` once the map is drawn."""
        page = log_in(self.browser, self.base_url, f"e2e-{role}", device)
        self.contexts.append(page.context)
        page.wait_for_selector("html[data-map-idle]", state="attached", timeout=60_000)
        if path != "/":  # a shared link opened in a fresh page, as a colleague would
            page.goto("about:blank")
            page.goto(f"{self.base_url}{path}")
            page.wait_for_selector("html[data-map-idle]", state="attached", timeout=60_000)
        return page

    def api(self, role: str) -> httpx.Client:
        client = httpx.Client(base_url=self.base_url, timeout=60)
        client.post("/api/v1/auth/login", json={"username": f"e2e-{role}", "password": E2E_PASSWORD}).raise_for_status()
        client.headers["X-CSRF-Token"] = client.cookies.get("csm_csrf") or ""  # as the page sends it
        return client


@pytest.fixture(scope="module")
def planning(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Planning]:
    accounts = {name: (role, None) for name, role in ROLES.items()}
    with demo_with_accounts(tmp_path_factory, "planning", accounts) as (base_url, runtime, browser):
        yield Planning(base_url, runtime, browser, [])


@pytest.fixture(autouse=True)
def _close_pages(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "planning" in request.fixturenames:
        planning: Planning = request.getfixturevalue("planning")
        while planning.contexts:
            context = planning.contexts.pop()
            errors = [e for p in context.pages for e in getattr(p, "errors", [])]
            context.close()
            assert not errors, f"errors in the page: {errors}"


def shot(page: Any, name: str, doc: bool = False) -> bytes:
    png: bytes = page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    if doc and DOC_SHOTS:
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / f"{name}.png", DOCS_IMG / f"{name}.png")
    return png


def drawn(page: Any, side: str) -> None:
    """Wait until the map shows `side` and has drawn it (an idle after the switch)."""
    page.wait_for_selector(f"#map[data-scenario-side={side}]", timeout=10_000)
    before = int(page.evaluate("() => window.__csm.idle"))
    page.evaluate("() => window.__csm.map.triggerRepaint()")
    page.wait_for_function(f"() => window.__csm.idle > {before}", timeout=15_000)
    page.wait_for_function("() => !window.__csm.map.isMoving()", timeout=10_000)


def changed_pixels(a: bytes, b: bytes) -> float:
    """Share of the pixels that differ clearly between two screenshots of the same size."""
    from PIL import Image, ImageChops

    first, second = Image.open(io.BytesIO(a)).convert("RGB"), Image.open(io.BytesIO(b)).convert("RGB")
    assert first.size == second.size
    diff = ImageChops.difference(first, second).convert("L").point(lambda v: 255 if v > 40 else 0)
    histogram = diff.histogram()
    return histogram[255] / (first.size[0] * first.size[1])


def run_example(page: Any) -> str:
    page.click("#open-scenarios")
    page.click(f"button.run-example[data-file='{EXAMPLE}']")
    page.wait_for_selector("body.scenario-mode", timeout=60_000)
    drawn(page, "scenario")
    run_id: str = page.evaluate("() => document.body.dataset.scenario")
    assert page.evaluate("() => location.hash") == f"#scenario={run_id}"
    return run_id


RUN: dict[str, Any] = {}


def stored_run(planning: Planning) -> str:
    """The run of the first test, or (that test deselected) the same example run through the API."""
    if "id" not in RUN:
        api = planning.api("planner")
        examples = {e["file"]: e["document"] for e in api.get("/api/v1/sites/scheveningen/scenarios/examples").json()}
        answer = api.post("/api/v1/sites/scheveningen/scenarios", json=examples[EXAMPLE])
        assert answer.status_code == 201, answer.text
        RUN["id"] = answer.json()["id"]
    run_id: str = RUN["id"]
    return run_id


def test_a_scenario_runs_from_the_page_and_changes_the_map_against_the_baseline(planning: Planning) -> None:
    page = planning.open("planner", DESKTOP)
    live_title = page.title()
    assert not live_title.startswith("SCENARIO")
    run_id = run_example(page)
    stored = {r["id"]: r for r in list_results(planning.runtime.store, "scheveningen")}
    assert stored[run_id]["scenario_id"] == "fireworks-pier"  # kept in the store, not in the page

    scenario_levels = page.evaluate(SOURCE_LEVELS)
    scenario_png = page.locator("#map").screenshot()
    shot(page, "scenario-mode-desktop", doc=True)
    page.click(".side-toggle[data-side=baseline]")
    drawn(page, "baseline")
    baseline_levels = page.evaluate(SOURCE_LEVELS)
    baseline_png = page.locator("#map").screenshot()
    shot(page, "scenario-baseline-desktop", doc=True)

    # The stored run says which zones differ at the slot shown; the map's data must say the same.
    slot = int(page.input_value("#scenario-slider"))
    expected = {z["zone_id"]: (z["series"][slot]["baseline"]["level"], z["series"][slot]["scenario"]["level"])
                for z in stored[run_id]["zones"]}
    differ = {zid for zid, (b, s) in expected.items() if b != s}
    assert differ, "the example should change some zone's level at its most changed moment"
    assert {z for z in expected if scenario_levels[z] != baseline_levels[z]} == differ
    assert all(scenario_levels[z] == expected[z][1] and baseline_levels[z] == expected[z][0] for z in expected)
    assert changed_pixels(scenario_png, baseline_png) > 0.005  # the picture changes, not only the data
    for zid in differ:
        assert page.locator(f".scenario-zone-changes li[data-zone='{zid}']").count() == 1

    # Unmistakably a scenario: banner, violet frame, title, time bar; the live counts are hidden.
    assert page.locator("#scenario-banner").inner_text().startswith("SCENARIO")
    assert page.title().startswith("SCENARIO · ")
    assert SCENARIO_VIOLET in page.evaluate("() => getComputedStyle(document.querySelector('.map-wrap')).boxShadow")
    assert page.locator("#scenario-bar .scenario-tag").is_visible()
    assert not page.locator("#time-slider").is_visible()
    assert not page.locator("#level-counts").is_visible()
    # The advice it triggers and when.
    advice = stored[run_id]["advice"]["scenario"]
    assert advice
    shown = page.locator("#scenario-advice-due li, #scenario-advice-later li").count()
    assert shown == len(advice)
    assert "start by" in page.locator("#scenario-advice-due, #scenario-advice-later").first.inner_text()

    # The slider moves through the day: at the first slot the square is as normal.
    page.click(".side-toggle[data-side=scenario]")
    page.fill("#scenario-slider", "0")
    drawn(page, "scenario")
    first = page.evaluate(SOURCE_LEVELS)
    assert first != scenario_levels
    page.click("#scenario-leave")
    page.wait_for_function("() => !document.body.classList.contains('scenario-mode')")
    page.wait_for_function("() => !document.title.startsWith('SCENARIO')")
    assert page.locator("#time-slider").is_visible()
    RUN["id"] = run_id
    RUN["levels"] = scenario_levels
    RUN["slot"] = slot


def test_the_share_link_reopens_the_stored_run_for_another_authorised_role(planning: Planning) -> None:
    run_id = stored_run(planning)
    page = planning.open("police", DESKTOP, f"/#scenario={run_id}")
    page.wait_for_selector("body.scenario-mode", timeout=30_000)
    drawn(page, "scenario")
    assert page.evaluate("() => document.body.dataset.scenario") == run_id
    assert "Fireworks" in page.locator("#scenario-banner").inner_text()
    if "levels" in RUN:
        assert int(page.input_value("#scenario-slider")) == RUN["slot"]
        assert page.evaluate(SOURCE_LEVELS) == RUN["levels"]


@pytest.mark.parametrize("role", ["viewer", "ambulance"])
def test_a_role_without_scenario_rights_sees_nothing_and_the_api_refuses(planning: Planning, role: str) -> None:
    run_id = stored_run(planning)
    page = planning.open(role, DESKTOP, f"/#scenario={run_id}")
    page.wait_for_timeout(1500)
    assert page.locator("#open-scenarios, #open-simulations, #scenario-banner:visible, #planning").count() == 0
    assert not page.evaluate("() => document.body.classList.contains('scenario-mode')")
    assert not page.title().startswith("SCENARIO")
    api = planning.api(role)
    for path in (f"/scenarios/{run_id}", "/scenarios", "/scenarios/examples", "/simulations"):
        assert api.get(f"/api/v1/sites/scheveningen{path}").status_code == 403
    refused = api.post("/api/v1/sites/scheveningen/scenarios", json={"name": "x"})
    assert refused.status_code == 403 and "CSRF" not in refused.text  # refused for the role, not the token


def test_a_composed_scenario_runs_and_a_wrong_one_is_explained(planning: Planning) -> None:
    page = planning.open("planner", TABLET)
    page.click("#open-scenarios")
    page.click(".scenario-compose summary")
    page.fill("#sc-name", "Concert on the square")
    page.fill("#sc-date", "2026-07-18")
    page.select_option("#sc-event-zone", "gevers-deynootplein")
    page.fill("#sc-visitors", "0")
    page.click("#scenario-run")
    assert "whole number" in page.locator(".scenario-problems").inner_text()
    assert not page.evaluate("() => document.body.classList.contains('scenario-mode')")
    page.fill("#sc-visitors", "30000")
    page.fill("#sc-event-start", "15:00")
    page.fill("#sc-event-end", "17:00")
    page.check("#sc-heat-on")
    page.fill("#sc-heat", "33")
    shot(page, "scenario-compose-tablet", doc=True)
    page.click("#scenario-run")
    page.wait_for_selector("body.scenario-mode", timeout=60_000)
    drawn(page, "scenario")
    levels = page.evaluate(SOURCE_LEVELS)
    assert levels["gevers-deynootplein"] in ("orange", "red")
    assert "Concert on the square" in page.locator("#scenario-banner").inner_text()
    shot(page, "scenario-mode-tablet", doc=True)


def test_scenario_mode_on_a_phone(planning: Planning) -> None:
    run_id = stored_run(planning)
    page = planning.open("planner", PHONE, f"/#scenario={run_id}")
    page.wait_for_selector("body.scenario-mode", timeout=30_000)
    drawn(page, "scenario")
    assert page.locator("#scenario-banner").is_visible()
    assert page.locator("#scenario-slider").is_visible()
    box = page.locator("#scenario-banner").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "scenario-mode-phone", doc=True)


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_day_report_button_yields_html_and_pdf(planning: Planning, device: str) -> None:
    page = planning.open("planner", DEVICES[device])
    page.click("#day-report summary")
    day = page.input_value("#report-date")
    assert len(day) == 10
    html_href = page.get_attribute("#report-html", "href")
    pdf_href = page.get_attribute("#report-pdf", "href")
    assert html_href == f"/api/v1/sites/scheveningen/export/report?date={day}&format=html"
    assert pdf_href == f"/api/v1/sites/scheveningen/export/report?date={day}&format=pdf"
    shot(page, f"day-report-{device}", doc=True)
    with page.context.expect_page(timeout=60_000) as opened:
        page.click("#report-html")
    report = opened.value
    report.wait_for_load_state()
    assert "scheveningen" in report.content().lower()
    assert report.locator("svg, img").count() > 0  # charts
    pdf = page.request.get(f"{planning.base_url}{pdf_href}", timeout=120_000)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body()[:5] == b"%PDF-"


def test_roles_without_export_have_no_report_button(planning: Planning) -> None:
    page = planning.open("viewer", DESKTOP)
    assert page.locator("#day-report").count() == 0
    assert planning.api("viewer").get("/api/v1/sites/scheveningen/export/report?date=2026-07-18").status_code == 403
