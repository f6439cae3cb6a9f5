"""Fit a flow demand to expected occupancy, counting people who only pass through.

A zone's expected count (forecast or counting camera) includes passers-by. Taking it all as
visitors who stay would count a beach-goer twice on the boulevard she crosses. So: start from a
guess of who stays, run, correct each zone's staying target by the miss (expected − simulated),
run again, and keep the round closest to the expected counts (docs/scenarios.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csm.flow.demand import EntryWeights, demand_from_occupancy
from csm.flow.model import FlowDemand, FlowModel, FlowResult

FIT_ROUNDS = 2
DAMPING = 0.8  # of the miss corrected per round: a full correction can overshoot into congestion
FIRST_GUESS = 0.8  # share of a zone's count assumed to stay there, before the first run says


@dataclass(frozen=True)
class FittedFlow:
    demand: FlowDemand
    result: FlowResult
    stay_target: NDArray[np.float64]  # [slot, zone] the staying visitors the demand was built for


def _per_slot(values: NDArray[np.float64], slots: int) -> NDArray[np.float64]:
    """Record-interval values resampled to the demand's slots (they are equal by default)."""
    if len(values) == slots:
        return values
    idx = np.minimum((np.arange(slots) * len(values)) // max(slots, 1), len(values) - 1)
    return values[idx]


def fit_flow(
    model: FlowModel,
    expected: NDArray[np.float64],
    slot_s: float = 900.0,
    mode_shares: Mapping[str, float] | None = None,
    entry_weights: EntryWeights | Sequence[EntryWeights] | None = None,
    dwell_overrides: Mapping[str, float] | None = None,
    rounds: int = FIT_ROUNDS,
    stay_target: NDArray[np.float64] | None = None,
) -> FittedFlow:
    """Demand and run whose zones hold about `expected` [slot, zone] in total.

    Passing a `stay_target` (from a baseline fit) skips the fitting: a scenario keeps the
    baseline's visitors and changes only what the scenario changes."""
    def build(target: NDArray[np.float64]) -> tuple[FlowDemand, FlowResult]:
        demand = demand_from_occupancy(model.network, target, slot_s, mode_shares, entry_weights, dwell_overrides)
        return demand, model.run(demand, record_s=slot_s)

    if stay_target is not None:
        demand, result = build(stay_target)
        return FittedFlow(demand, result, stay_target)
    expected = np.maximum(expected, 0.0)
    target = expected * FIRST_GUESS
    best: FittedFlow | None = None
    best_miss = np.inf
    for _ in range(rounds):
        demand, result = build(target)
        simulated = _per_slot(result.occupancy, len(expected))
        miss = float(np.abs(simulated - expected).sum())
        if miss < best_miss:
            best, best_miss = FittedFlow(demand, result, target), miss
        target = np.maximum(target + DAMPING * (expected - simulated), 0.0)
    assert best is not None
    return best
