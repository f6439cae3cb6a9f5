"""Density thresholds and the level for a density.

Defaults follow Fruin's walkway levels of service (Fruin 1971, *Pedestrian Planning and Design*),
expressed as persons per m² of walkable area:

    space per person  A ≥ 3.3, B 2.3–3.3, C 1.4–2.3, D 0.9–1.4, E 0.5–0.9, F < 0.5 m²/p
    density           A < 0.30, B 0.30–0.43, C 0.43–0.71, D 0.71–1.11, E 1.11–2.0, F > 2.0 p/m²

The default colour mapping used by Dutch crowd managers' practice (configurable per site and zone):
green below LoS C, yellow LoS C–D, orange LoS E, red LoS F or above the zone's capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

from csm.domain.model import Level

# Space per person (m²/p) at the lower bound of Fruin's walkway LoS C, E and F, as densities.
FRUIN_LOS_C_FROM = round(1 / 2.3, 2)  # 0.43 p/m²
FRUIN_LOS_E_FROM = round(1 / 0.9, 2)  # 1.11 p/m²
FRUIN_LOS_F_FROM = round(1 / 0.5, 2)  # 2.0 p/m²; Still: moving crowds uncomfortable above ~2

# Safe design densities for capacity (persons per m² of walkable area).
SAFE_DENSITY_MOVING = 2.0
SAFE_DENSITY_STATIC = 4.0


@dataclass(frozen=True, slots=True)
class DensityThresholds:
    """Lower bounds (persons/m²) at which a zone turns yellow, orange and red."""

    yellow: float = FRUIN_LOS_C_FROM
    orange: float = FRUIN_LOS_E_FROM
    red: float = FRUIN_LOS_F_FROM

    def __post_init__(self) -> None:
        if not (0 < self.yellow < self.orange < self.red):
            raise ValueError(
                f"thresholds must rise: 0 < yellow ({self.yellow}) < orange ({self.orange})"
                f" < red ({self.red})"
            )


def level_for_density(
    density_per_m2: float | None,
    thresholds: DensityThresholds,
    occupancy: float | None = None,
    capacity: float | None = None,
) -> Level:
    """The colour for a density; a zone at or above its capacity is red whatever its density."""
    if density_per_m2 is None:
        return Level.UNKNOWN
    if capacity is not None and occupancy is not None and capacity > 0 and occupancy >= capacity:
        return Level.RED
    if density_per_m2 >= thresholds.red:
        return Level.RED
    if density_per_m2 >= thresholds.orange:
        return Level.ORANGE
    if density_per_m2 >= thresholds.yellow:
        return Level.YELLOW
    return Level.GREEN


def zone_density_per_m2(occupancy: float | None, walkable_area_m2: float) -> float | None:
    """Persons per m² of walkable area (not the gross polygon area)."""
    if occupancy is None:
        return None
    if walkable_area_m2 <= 0:
        raise ValueError("walkable area must be positive")
    return occupancy / walkable_area_m2


def default_capacity(walkable_area_m2: float, safe_density_per_m2: float) -> float:
    """Capacity = walkable area × safe density."""
    return walkable_area_m2 * safe_density_per_m2
