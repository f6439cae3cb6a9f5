"""Clearing a square with JuPedSim: agents spread over it leave through the nearest exit.

JuPedSim's collision-free speed model (Tordeux et al. 2016) with its default parameters; desired
speeds drawn around 1.34 m/s (Weidmann's free speed). Positions are sampled a few times a second
for PedPy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from shapely.geometry import Point

from csm.sim.geometry import Square

FRAME_RATE = 4.0  # samples per simulated second kept for analysis
DT = 0.01  # JuPedSim's default step, seconds
SIM_EXTRA = "install the sim extra: pip install --no-deps jupedsim && pip install pedpy 'deprecated<1.3'"


class SimulationUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Clearing:
    trajectories: pd.DataFrame  # id, frame, x, y (metres)
    exit_of: dict[int, str]  # agent id → exit id
    exit_time_s: dict[int, float]  # agent id → time it left
    agents: int
    simulated_s: float
    wall_s: float
    cleared: bool
    frame_rate: float = FRAME_RATE


def jupedsim_available() -> bool:
    try:
        import jupedsim  # noqa: F401
    except ImportError:
        return False
    return True


def clear_square(square: Square, agents: int, seed: int = 1, max_seconds: float = 900.0,
                 distance_to_agents: float = 0.45) -> Clearing:
    """Simulate until everyone has left or `max_seconds` of simulated time have passed."""
    try:
        import jupedsim as jps
    except ImportError as exc:
        raise SimulationUnavailable(SIM_EXTRA) from exc
    started = time.perf_counter()
    sim = jps.Simulation(model=jps.CollisionFreeSpeedModel(), geometry=square.walkable, dt=DT)
    journeys = {}
    for exit_ in square.exits:
        stage = sim.add_exit_stage(exit_.area)
        journeys[exit_.id] = (sim.add_journey(jps.JourneyDescription([stage])), stage)
    positions = jps.distribute_by_number(polygon=square.polygon, number_of_agents=agents,
                                         distance_to_agents=distance_to_agents, distance_to_polygon=0.3, seed=seed)
    rng = np.random.default_rng(seed)
    exit_of: dict[int, str] = {}
    for position in positions:
        nearest = min(square.exits, key=lambda e: e.line.distance(Point(position)))
        journey, stage = journeys[nearest.id]
        agent_id = sim.add_agent(jps.CollisionFreeSpeedModelAgentParameters(
            position=position, journey_id=journey, stage_id=stage,
            desired_speed=float(np.clip(rng.normal(1.34, 0.26), 0.6, 2.0)), radius=0.2,
        ))
        exit_of[int(agent_id)] = nearest.id
    every = max(1, round(1.0 / (FRAME_RATE * DT)))
    rows: list[tuple[int, int, float, float]] = []
    last_seen: dict[int, int] = {}
    max_iterations = int(max_seconds / DT)
    while sim.agent_count() > 0 and sim.iteration_count() < max_iterations:
        if sim.iteration_count() % every == 0:
            frame = sim.iteration_count() // every
            for agent in sim.agents():
                x, y = agent.position
                rows.append((int(agent.id), frame, float(x), float(y)))
                last_seen[int(agent.id)] = frame
        sim.iterate()
    frames = pd.DataFrame(rows, columns=["id", "frame", "x", "y"])
    return Clearing(
        trajectories=frames,
        exit_of=exit_of,
        exit_time_s={a: (f + 1) / FRAME_RATE for a, f in last_seen.items()},
        agents=len(exit_of),
        simulated_s=sim.iteration_count() * DT,
        wall_s=time.perf_counter() - started,
        cleared=sim.agent_count() == 0,
    )
