"""Simulate clearing a zone of a site: geometry from the site, JuPedSim, PedPy, one result dict."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from csm.flow.network import FlowNetwork, network_from_site
from csm.sim.analysis import analyse
from csm.sim.geometry import square_of
from csm.sim.run import clear_square
from csm.site.model import Site

STREAM = "simulations"
MAX_AGENTS = 20_000


def simulate_clearing(site: Site, zone_id: str, agents: int, seed: int = 1, max_seconds: float = 900.0,
                      network: FlowNetwork | None = None) -> dict[str, Any]:
    if zone_id not in site.zones:
        raise ValueError(f"unknown zone {zone_id!r}")
    if not 1 <= agents <= MAX_AGENTS:
        raise ValueError(f"agents must be between 1 and {MAX_AGENTS}")
    square = square_of(site, network or network_from_site(site), zone_id)
    clearing = clear_square(square, agents, seed=seed, max_seconds=max_seconds)
    return {
        "id": uuid.uuid4().hex[:12],
        "site": site.id,
        "zone": zone_id,
        "zone_name": site.zones[zone_id].name,
        "model": "JuPedSim collision-free speed model; PedPy densities",
        "seed": seed,
        "ran_at": datetime.now(UTC).isoformat(),
        **analyse(square, clearing),
    }


def summary(result: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "site", "zone", "zone_name", "agents", "cleared", "evacuation_time_s", "time_for_90_percent_s",
            "peak_density_cell_p_per_m2", "ran_at")
    return {k: result.get(k) for k in keep}
