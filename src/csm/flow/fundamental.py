"""Weidmann's fundamental diagram of pedestrian walking, and the send/receive functions a
cell-transmission model builds on it.

v(ρ) = v0 · (1 − exp(−γ · (1/ρ − 1/ρmax))), specific flow q(ρ) = ρ · v(ρ) in persons/(m·s).
Weidmann (1993), "Transporttechnik der Fussgänger", ETH Zürich: v0 = 1.34 m/s, γ = 1.913 p/m²,
ρmax = 5.4 p/m². The capacity (max q) is ≈ 1.22 p/(m·s) at ρ ≈ 1.75 p/m²; docs/scenarios.md
compares it with measured bottleneck flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray

V0_M_PER_S = 1.34
GAMMA_P_PER_M2 = 1.913
RHO_MAX_P_PER_M2 = 5.4
_EPS = 1e-9

# Published specific flows through bottlenecks and on walkways, persons/(m·s): (low, high, source).
PUBLISHED_FLOWS: dict[str, tuple[float, float, str]] = {
    "weidmann_1993": (1.22, 1.22, "Weidmann 1993, capacity of the fundamental diagram (corridors)"),
    "fruin_los_f": (82 / 60, 82 / 60, "Fruin 1971, walkway LoS E/F boundary 82 p/m/min"),
    "seyfried_2009": (1.6, 1.9, "Seyfried et al. 2009, bottleneck experiments (Transportation Science 43(3))"),
}


@dataclass(frozen=True)
class Weidmann:
    """The diagram with its three parameters; every function works on scalars or numpy arrays."""

    v0: float = V0_M_PER_S
    gamma: float = GAMMA_P_PER_M2
    rho_max: float = RHO_MAX_P_PER_M2

    def speed(self, density: ArrayLike) -> NDArray[np.float64]:
        """Walking speed in m/s at a density in p/m² (v0 in free flow, 0 at and above ρmax)."""
        rho = np.minimum(np.maximum(np.asarray(density, dtype=float), _EPS), self.rho_max)
        return np.asarray(self.v0 * (1.0 - np.exp(-self.gamma * (1.0 / rho - 1.0 / self.rho_max))))

    def specific_flow(self, density: ArrayLike) -> NDArray[np.float64]:
        """q = ρ · v(ρ), persons per metre of width per second."""
        rho = np.clip(np.asarray(density, dtype=float), 0.0, self.rho_max)
        return np.asarray(rho * self.speed(rho))

    @cached_property
    def _peak(self) -> tuple[float, float]:
        grid = np.linspace(0.01, self.rho_max, 54_000)
        q = self.specific_flow(grid)
        i = int(np.argmax(q))
        return float(grid[i]), float(q[i])

    @property
    def critical_density(self) -> float:
        """Density (p/m²) at which the flow peaks: free flow below, congestion above."""
        return self._peak[0]

    @property
    def capacity(self) -> float:
        """Maximum specific flow, persons/(m·s)."""
        return self._peak[1]

    def send(self, density: ArrayLike, capacity: float | None = None) -> NDArray[np.float64]:
        """What a cell can send per metre of exit width: q(ρ) in free flow, capacity when congested."""
        cap = self.capacity if capacity is None else capacity
        rho = np.asarray(density, dtype=float)
        q = self.specific_flow(rho) * (cap / self.capacity)
        return np.asarray(np.where(rho < self.critical_density, q, cap))

    def receive(self, density: ArrayLike, capacity: float | None = None) -> NDArray[np.float64]:
        """What a cell can take in per metre of entry width: capacity in free flow, q(ρ) when
        congested (falling to 0 at ρmax)."""
        cap = self.capacity if capacity is None else capacity
        rho = np.asarray(density, dtype=float)
        q = self.specific_flow(rho) * (cap / self.capacity)
        return np.asarray(np.where(rho < self.critical_density, cap, q))


WEIDMANN = Weidmann()
