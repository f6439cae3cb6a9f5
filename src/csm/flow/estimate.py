"""Estimate zones without sensors from the flows between the zones that have them.

Zones the forecast or the counters do not cover still hold the people walking through them: fit
the flow model to the known zones (the unknown ones asked to hold nobody who stays) and read the
unknown zones' occupancy off the run.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from csm.flow.fit import fit_flow
from csm.flow.model import FlowModel


def estimate_unsensed(model: FlowModel, expected: NDArray[np.float64], slot_s: float = 900.0
                      ) -> tuple[NDArray[np.float64], list[str]]:
    """`expected` [slot, zone] with NaN columns for unknown zones → filled copy, estimated zone ids."""
    unknown = np.all(np.isnan(expected), axis=0)
    if not unknown.any():
        return expected.copy(), []
    known = np.where(np.isnan(expected), 0.0, expected)
    fitted = fit_flow(model, known, slot_s)
    occupancy = fitted.result.occupancy[: len(expected)]
    filled = known.copy()
    filled[:, unknown] = occupancy[:, unknown]
    ids = [z for z, u in zip(model.network.zone_ids, unknown, strict=True) if u]
    return filled, ids
