"""Simulated time per wall time of the crowd models, and their validation numbers.

Run: .venv/bin/python bench/sim_bench.py [--agents 1000] [--max-seconds 600] [--skip-jupedsim]
Prints, for the macroscopic flow model (cell transmission, 10 s steps): one run of the whole
Scheveningen site over 24 h, the full fit (as a scenario baseline does it), and a 120-zone grid
over 24 h; the link capacity against published bottleneck flows; and for JuPedSim (if the `sim`
extra is installed) clearing the Gevers Deynootplein with N agents (bounded simulated time) and
a 1.2 m bottleneck experiment.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import numpy as np

from csm.flow.demand import demand_from_occupancy
from csm.flow.fit import fit_flow
from csm.flow.fundamental import PUBLISHED_FLOWS, WEIDMANN
from csm.flow.model import FlowModel
from csm.flow.network import grid_network, network_from_site
from csm.scenario.baseline import demo_baseline
from csm.site.loader import load_site

SITE_DIR = Path(__file__).resolve().parents[1] / "sites" / "scheveningen"
DAY_S = 24 * 3600


def macroscopic() -> None:
    site = load_site(SITE_DIR)
    network = network_from_site(site)
    baseline = demo_baseline(site, date(2026, 7, 18), network.zone_ids, None)
    model = FlowModel(network)
    demand = demand_from_occupancy(network, baseline.p50)
    started, cpu = time.perf_counter(), time.process_time()
    result = model.run(demand)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"flow model, Scheveningen ({len(network.zone_ids)} zones, {len(network.links)} links), 24 h in"
          f" {result.steps} steps of {model.step_s:.0f} s: {wall:.2f} s wall ({cpu:.2f} s CPU) →"
          f" {DAY_S / wall:,.0f}× real time; imbalance {result.imbalance:.1e} of {result.entered:,.0f} persons")
    started = time.perf_counter()
    fit_flow(model, baseline.p50)
    wall = time.perf_counter() - started
    print(f"flow model, Scheveningen fitted to the demo day (2 runs): {wall:.2f} s wall")

    grid = grid_network(10, 12, entries=8)
    hours = np.arange(96) / 4
    rng = np.random.default_rng(1)
    expected = np.exp(-(((hours - 15) / 3.5) ** 2))[:, None] * rng.uniform(300, 4000, 120)[None, :]
    grid_demand = demand_from_occupancy(grid, expected)
    started, cpu = time.perf_counter(), time.process_time()
    result = FlowModel(grid).run(grid_demand)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"flow model, grid of {len(grid.zone_ids)} zones ({len(grid.links)} links), 24 h: {wall:.2f} s wall"
          f" ({cpu:.2f} s CPU) → {DAY_S / wall:,.0f}× real time; imbalance {result.imbalance:.1e}")
    print(f"link capacity (Weidmann): {WEIDMANN.capacity:.3f} p/(m·s) at {WEIDMANN.critical_density:.2f} p/m²")
    for key, (lo, hi, source) in PUBLISHED_FLOWS.items():
        span = f"{lo:.2f}" if lo == hi else f"{lo:.2f}–{hi:.2f}"
        print(f"  published {key:<15} {span:>10} p/(m·s)  ({source})")


def jupedsim(agents: int, max_seconds: float) -> None:
    from csm.sim.analysis import analyse
    from csm.sim.geometry import box_square, square_of
    from csm.sim.run import clear_square, jupedsim_available

    if not jupedsim_available():
        print("JuPedSim: not installed (make sim)")
        return
    site = load_site(SITE_DIR)
    square = square_of(site, network_from_site(site), "gevers-deynootplein")
    clearing = clear_square(square, agents, seed=1, max_seconds=max_seconds)
    print(f"JuPedSim, Gevers Deynootplein ({square.polygon.area:,.0f} m², {len(square.exits)} exits), {agents} agents:"
          f" {clearing.simulated_s:.0f} s simulated in {clearing.wall_s:.1f} s wall →"
          f" {clearing.simulated_s / clearing.wall_s:.1f}× real time; cleared: {clearing.cleared}")
    result = analyse(square, clearing)
    print(f"  evacuation {result['evacuation_time_s']} s, 90 % out after {result['time_for_90_percent_s']} s,"
          f" peak cell density {result['peak_density_cell_p_per_m2']} p/m²,"
          f" Voronoi peaks at exits {result['voronoi_peak_at_exits_p_per_m2']}")
    room = box_square(12, 12, 1.2)
    door = clear_square(room, 200, seed=1, max_seconds=600)
    flows = analyse(room, door)["exits"][0]
    lo, hi, _ = PUBLISHED_FLOWS["seyfried_2009"]
    print(f"JuPedSim bottleneck 1.2 m, 200 agents: {flows['specific_flow_p_per_m_s']} p/(m·s) in the steady part"
          f" (Seyfried et al. 2009: {lo}–{hi}; Weidmann capacity {WEIDMANN.capacity:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="bound on JuPedSim's simulated time")
    parser.add_argument("--skip-jupedsim", action="store_true")
    args = parser.parse_args()
    macroscopic()
    if not args.skip_jupedsim:
        jupedsim(args.agents, args.max_seconds)


if __name__ == "__main__":
    main()
