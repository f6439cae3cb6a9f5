"""JuPedSim + PedPy on small cases (skipped without the `sim` extra, which `make install` installs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.flow.network import network_from_site
from csm.runtime import Runtime
from csm.sim.geometry import box_square, square_of
from csm.sim.run import jupedsim_available
from csm.site.loader import load_site
from tests.conftest import REQUIRE_SERVICES, AuthedClient

SITE_DIR = Path(__file__).resolve().parents[2] / "sites" / "scheveningen"

if REQUIRE_SERVICES and not jupedsim_available():  # CI installs the extra: its absence is a failure
    raise RuntimeError("JuPedSim is missing but CSM_REQUIRE_SERVICES=1: run `make install`")
needs_sim = pytest.mark.skipif(not jupedsim_available(), reason="install the sim extra (make install)")


def test_exits_of_the_square_face_its_neighbours() -> None:
    site = load_site(SITE_DIR)
    square = square_of(site, network_from_site(site), "gevers-deynootplein")
    assert {e.id for e in square.exits} == {"tramhalte-kurhaus", "boulevard-kurhaus", "boulevard-midden",
                                           "boulevard-pier"}
    walkable = square.walkable
    for exit_ in square.exits:
        assert exit_.area.within(walkable.buffer(0.01)) and not exit_.area.intersects(square.polygon)
        assert exit_.area.equals(exit_.area.convex_hull)
        assert exit_.line.distance(square.polygon.exterior) < 0.01
    assert 15_000 < square.polygon.area < 20_000  # m², projected to RD New


@needs_sim
def test_fifty_people_leave_a_room_through_one_door() -> None:
    from csm.sim.analysis import analyse
    from csm.sim.run import clear_square

    room = box_square(10, 10, 1.2)
    clearing = clear_square(room, 50, seed=3, max_seconds=120)
    assert clearing.cleared and clearing.agents == 50
    assert clearing.wall_s < 20
    result = analyse(room, clearing)
    door = result["exits"][0]
    assert door["persons"] == 50
    assert 5 < result["evacuation_time_s"] < 120
    assert result["peak_density_cell_p_per_m2"] > result["classic_mean_peak_p_per_m2"] > 0
    assert result["voronoi_peak_at_exits_p_per_m2"]["door"] > 0.5  # people queue at the door
    assert door["specific_flow_p_per_m_s"] > 0.5


@pytest.fixture
def client(demo_site_copy: Path, tmp_path: Path) -> Iterator[AuthedClient]:
    from csm.clock import FixedClock
    from csm.runtime import build_runtime
    from tests.conftest import NOON

    runtime: Runtime = build_runtime([demo_site_copy], f"duckdb:{tmp_path / 'sim.duckdb'}", clock=FixedClock(NOON))
    runtime.jobs.clear()
    with TestClient(create_app(runtime, web_dist=None)) as raw:
        yield AuthedClient(raw, runtime, site="scheveningen")
    runtime.close()


@needs_sim
def test_clearing_gevers_deynootplein_through_the_api(client: AuthedClient) -> None:
    response = client.post("/api/v1/sites/scheveningen/simulations",
                           json={"zone": "gevers-deynootplein", "agents": 60, "seed": 2})
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["cleared"] and sum(e["persons"] for e in result["exits"]) == 60
    listed = client.get("/api/v1/sites/scheveningen/simulations").json()["simulations"]
    assert [s["id"] for s in listed] == [result["id"]]
    density = client.get(f"/api/v1/sites/scheveningen/simulations/{result['id']}/density").json()
    cells = [f for f in density["features"] if "peak_density_p_per_m2" in f["properties"]]
    exits = [f for f in density["features"] if f["properties"].get("kind") == "exit"]
    assert cells and len(exits) == 4
    lon, lat = cells[0]["geometry"]["coordinates"][0][0]
    assert 4.27 < lon < 4.29 and 52.10 < lat < 52.12  # back in WGS84 on the square
    assert client.get("/api/v1/sites/scheveningen/simulations/nope").status_code == 404


@needs_sim
def test_the_time_line_follows_the_crowd_out_of_the_room() -> None:
    """What the map's slider plays: persons on the square fall to zero, every person leaves through
    an exit once, and each cell's density over time peaks at its peak density."""
    from csm.sim.analysis import TIMELINE_FRAMES, analyse
    from csm.sim.run import clear_square

    room = box_square(10, 10, 1.2)
    clearing = clear_square(room, 40, seed=5, max_seconds=120)
    result = analyse(room, clearing)
    line = result["timeline"]
    assert len(line["end_s"]) == len(line["on_square"]) == TIMELINE_FRAMES
    assert line["end_s"][-1] >= result["evacuation_time_s"] - line["step_s"]
    assert all(a >= b for a, b in zip(line["on_square"], line["on_square"][1:], strict=False))
    assert line["on_square"][-1] == 0 and line["out_by_exit"]["door"][-1] == 40
    cells = result["density_grid"]["features"]
    assert cells
    for cell in cells:
        series = cell["properties"]["density_over_time"]
        assert len(series) == TIMELINE_FRAMES
        assert max(series) == pytest.approx(cell["properties"]["peak_density_p_per_m2"], abs=0.011)
    # Early in the run more cells hold someone than late in it.
    occupied = [sum(1 for c in cells if c["properties"]["density_over_time"][k] > 0) for k in (0, TIMELINE_FRAMES - 1)]
    assert occupied[0] > occupied[1]
