"""The macroscopic model: people are conserved, links never carry more than their capacity,
and a saturated bottleneck passes its Weidmann capacity per metre of width."""

from __future__ import annotations

import numpy as np
import pytest

from csm.flow.demand import demand_from_occupancy
from csm.flow.fundamental import PUBLISHED_FLOWS, WEIDMANN
from csm.flow.model import FlowDemand, FlowModel
from csm.flow.network import FlowNetwork, Link, grid_network


def _corridor(width_m: float) -> FlowNetwork:
    """Two large rooms joined by one door of `width_m`: a bottleneck experiment."""
    return FlowNetwork(
        zone_ids=("room", "hall"),
        area_m2=np.array([2000.0, 20000.0]),
        travel_length_m=np.array([20.0, 50.0]),
        kinds=("area", "area"),
        links=(Link(0, 1, width_m, 40.0, "border"),),
        centre_xy=np.array([[0.0, 0.0], [40.0, 0.0]]),
        sources={"road": ("room", "hall")},
    )


def _evacuation(width_m: float, persons: float, minutes: int) -> FlowDemand:
    """Everyone starts in the room and heads for the hall: one slot of arrivals at t = 0."""
    slots = minutes
    arrivals = np.zeros((slots, 2, 2))
    arrivals[0, 0, 1] = persons
    exit_share = np.array([[0.0, 1.0], [0.0, 1.0]])
    return FlowDemand(slot_s=60.0, arrivals=arrivals, dwell_s=np.array([1e9, 1e9]), exit_share=exit_share)


def test_people_are_conserved_on_a_busy_day() -> None:
    network = grid_network(5, 6, entries=3)
    rng = np.random.default_rng(3)
    hours = np.arange(96) / 4
    profile = np.exp(-(((hours - 15) / 3) ** 2))
    expected = profile[:, None] * rng.uniform(500, 6000, len(network.zone_ids))[None, :]
    demand = demand_from_occupancy(network, expected)
    result = FlowModel(network).run(demand)
    assert result.entered > 100_000
    assert result.left > 0 and result.inside > 0
    assert abs(result.imbalance) < 1e-6 * result.entered
    assert np.all(result.occupancy >= -1e-9)


def test_no_link_carries_more_than_its_capacity() -> None:
    result = FlowModel(_corridor(2.0)).run(_evacuation(2.0, 5000, 30))
    assert result.peak_specific_flow.max() <= WEIDMANN.capacity + 1e-9
    # ... and a lower, configured capacity is respected too
    capped = FlowModel(_corridor(2.0), capacity_p_per_m_s=0.8).run(_evacuation(2.0, 5000, 30))
    assert capped.peak_specific_flow.max() <= 0.8 + 1e-9


@pytest.mark.parametrize("width_m", [1.0, 2.4, 5.0])
def test_saturated_bottleneck_passes_its_capacity(width_m: float) -> None:
    """Flow through a door with a queue behind it: persons per metre per second, against the
    published range (Weidmann 1.22 as designed; below Seyfried's 1.6–1.9 for short bottlenecks)."""
    model = FlowModel(_corridor(width_m), step_s=1.0)
    persons = 1500 * width_m
    result = model.run(_evacuation(width_m, persons, 30))
    through = result.link_flow[0]
    # time the door was busy: people passed / flow per second while the queue lasted
    queue_minutes = persons / (WEIDMANN.capacity * width_m) / 60
    assert queue_minutes < 30
    specific = result.peak_specific_flow[0]
    assert specific == pytest.approx(WEIDMANN.capacity, rel=0.02)
    assert PUBLISHED_FLOWS["weidmann_1993"][0] * 0.98 <= specific <= PUBLISHED_FLOWS["seyfried_2009"][1]
    assert through == pytest.approx(persons, rel=1e-6)  # everyone got through, nobody was lost


def _used(directed: tuple[tuple[int, int, float], ...], flows: np.ndarray) -> set[tuple[int, int]]:
    return {(a, b) for (a, b, _), f in zip(directed, flows, strict=True) if f > 1}


def test_a_closed_link_reroutes_people() -> None:
    network = grid_network(3, 3, entries=1)
    expected = np.zeros((8, 9))
    expected[:, 8] = 2000.0  # everyone enters at the corner z00-00 and wants the far corner
    demand = demand_from_occupancy(network, expected, start_full=False)
    open_run = FlowModel(network).run(demand)
    used_open = _used(FlowModel(network).directed, open_run.link_flow)
    first = (0, 1) if (0, 1) in used_open else (0, 3)
    other = (0, 3) if first == (0, 1) else (0, 1)
    closed = network.without_links([(network.zone_ids[first[0]], network.zone_ids[first[1]])])
    closed_run = FlowModel(closed).run(demand)
    used_closed = _used(FlowModel(closed).directed, closed_run.link_flow)
    assert first not in used_closed and other in used_closed
    assert abs(closed_run.imbalance) < 1e-6 * closed_run.entered
