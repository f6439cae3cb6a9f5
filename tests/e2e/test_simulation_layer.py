"""The simulation layer in a real browser (issue 16, point 3): a planner starts a JuPedSim clearing of
the square from the page and its density grid is drawn on the map, with the run's time line; a
stored run opens from its link; roles without the right see no layer and the API refuses them.
Screenshots at 1600×1000, 1024×768 and 390×844 (docs/img/ with CSM_DOC_SHOTS=1)."""

from __future__ import annotations

from typing import Any

import pytest

from csm.scenario.results import list_results
from csm.sim.clearing import STREAM
from csm.sim.run import jupedsim_available
from tests.conftest import REQUIRE_SERVICES
from tests.e2e import test_scenario_page as _scenario_page
from tests.e2e.test_scenario_page import DESKTOP, PHONE, TABLET, Planning, shot

# The same real server and roles as the scenario page (module-scoped: one server for this module).
planning = _scenario_page.planning
_close_pages = _scenario_page._close_pages

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not jupedsim_available() and not REQUIRE_SERVICES, reason="install the sim extra (make install)")]

SQUARE = "gevers-deynootplein"
AGENTS = 300
# The grid cells MapLibre has drawn on screen now (rendered features of the density layer).
DRAWN_CELLS = "() => window.__csm.map.queryRenderedFeatures({layers: ['sim-density']}).length"
RUN: dict[str, str] = {}


def cells_drawn(page: Any) -> int:
    page.wait_for_function("() => !window.__csm.map.isMoving()", timeout=10_000)
    page.wait_for_function(f"() => ({DRAWN_CELLS})() > 0", timeout=20_000)
    return int(page.evaluate(DRAWN_CELLS))


def cells_in_data(page: Any) -> int:
    """Grid cells handed to the map for the step shown (non-empty cells only)."""
    return int(page.get_attribute("#map", "data-simulation-cells") or 0)


def test_a_planner_starts_a_clearing_run_and_sees_its_density_on_the_map(planning: Planning) -> None:
    page = planning.open("planner", DESKTOP)
    page.click("#open-simulations")
    page.select_option("#sim-zone", SQUARE)
    page.fill("#sim-agents", str(AGENTS))
    page.click("#simulation-run")
    page.wait_for_selector("#map[data-simulation-cells]", timeout=180_000)
    run_id = page.evaluate("() => new URLSearchParams(location.hash.slice(1)).get('simulation')")
    stored = {r["id"]: r for r in list_results(planning.runtime.store, "scheveningen", STREAM)}
    assert stored[run_id]["agents"] == AGENTS and stored[run_id]["zone"] == SQUARE
    assert len(stored[run_id]["timeline"]["end_s"]) == len(
        stored[run_id]["density_grid"]["features"][0]["properties"]["density_over_time"])

    # The first step of the run: the crowd spread over the square, drawn on screen.
    assert page.get_attribute("#map", "data-simulation-step") == "0"
    assert cells_drawn(page) > 0
    start = cells_in_data(page)
    assert start > 20
    moment_start = page.inner_text("#sim-moment")
    # Later in the run fewer cells are occupied and fewer persons remain.
    last = int(page.get_attribute("#sim-slider", "max") or 0)
    page.fill("#sim-slider", str(last // 2))
    page.wait_for_selector(f"#map[data-simulation-step='{last // 2}']")
    middle = cells_in_data(page)
    moment_middle = page.inner_text("#sim-moment")
    assert moment_middle != moment_start
    on_square = stored[run_id]["timeline"]["on_square"]
    assert f"{on_square[last // 2]} on the square" in moment_middle
    assert on_square[last // 2] < AGENTS and middle < start
    # The peak of each cell over the whole run: every cell anyone stood in.
    page.click("#sim-peak")
    page.wait_for_selector("#map[data-simulation-step=peak]")
    assert cells_in_data(page) >= start
    assert cells_drawn(page) > 0
    assert "Peak density" in page.inner_text("#sim-moment")
    page.fill("#sim-slider", str(last // 4))
    page.wait_for_timeout(600)
    shot(page, "simulation-layer-desktop", doc=True)
    RUN["id"] = run_id


@pytest.mark.parametrize("device,name", [(TABLET, "tablet"), (PHONE, "phone")])
def test_a_stored_run_opens_from_its_link(planning: Planning, device: dict[str, Any], name: str) -> None:
    run_id = RUN.get("id")
    if run_id is None:
        pytest.skip("needs the run of the first test")
    page = planning.open("planner", device, f"/#simulation={run_id}")
    page.wait_for_selector("#map[data-simulation-cells]", timeout=30_000)
    assert cells_drawn(page) > 0
    assert page.locator("#sim-slider").is_visible()
    page.fill("#sim-slider", "6")
    page.wait_for_timeout(600)
    shot(page, f"simulation-layer-{name}", doc=True)


def test_roles_without_the_right_see_no_simulation(planning: Planning) -> None:
    run_id = RUN.get("id", "abcdef123456")
    page = planning.open("viewer", DESKTOP, f"/#simulation={run_id}")
    page.wait_for_timeout(1500)
    assert page.locator("#open-simulations").count() == 0
    assert page.get_attribute("#map", "data-simulation-cells") is None
    api = planning.api("viewer")
    assert api.get(f"/api/v1/sites/scheveningen/simulations/{run_id}/density").status_code == 403
    refused = api.post("/api/v1/sites/scheveningen/simulations", json={"zone": SQUARE, "agents": 5})
    assert refused.status_code == 403 and "CSRF" not in refused.text
