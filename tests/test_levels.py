"""Density, capacity and level thresholds (Fruin-derived defaults)."""

from __future__ import annotations

import pytest

from csm.domain.levels import (
    DensityThresholds,
    default_capacity,
    level_for_density,
    zone_density_per_m2,
)
from csm.domain.model import Level

DEFAULT = DensityThresholds()


def test_default_thresholds_follow_fruin_walkway_levels_of_service() -> None:
    assert DEFAULT.yellow == pytest.approx(1 / 2.3, abs=0.005)  # LoS C from 2.3 m²/person
    assert DEFAULT.orange == pytest.approx(1 / 0.9, abs=0.005)  # LoS E from 0.9 m²/person
    assert DEFAULT.red == pytest.approx(2.0)  # LoS F from 0.5 m²/person


@pytest.mark.parametrize(
    ("density", "level"),
    [
        (0.0, Level.GREEN),
        (0.42, Level.GREEN),
        (0.43, Level.YELLOW),
        (1.10, Level.YELLOW),
        (1.11, Level.ORANGE),
        (1.99, Level.ORANGE),
        (2.0, Level.RED),
        (4.5, Level.RED),
    ],
)
def test_level_for_density_at_and_around_each_threshold(density: float, level: Level) -> None:
    assert level_for_density(density, DEFAULT) is level


def test_above_capacity_is_red_whatever_the_density() -> None:
    assert level_for_density(0.5, DEFAULT, occupancy=1001, capacity=1000) is Level.RED
    assert level_for_density(0.5, DEFAULT, occupancy=999, capacity=1000) is Level.YELLOW


def test_no_data_is_unknown_never_green() -> None:
    assert level_for_density(None, DEFAULT) is Level.UNKNOWN


def test_density_is_per_walkable_square_metre() -> None:
    assert zone_density_per_m2(1500, 1000) == pytest.approx(1.5)
    assert zone_density_per_m2(None, 1000) is None
    with pytest.raises(ValueError):
        zone_density_per_m2(10, 0)


def test_capacity_is_walkable_area_times_safe_density() -> None:
    assert default_capacity(7350, 2.0) == 14700


def test_thresholds_must_rise() -> None:
    with pytest.raises(ValueError, match="must rise"):
        DensityThresholds(yellow=1.0, orange=0.8, red=2.0)


def test_level_ranks_order_the_colours() -> None:
    ranks = [lvl.rank for lvl in (Level.UNKNOWN, Level.GREEN, Level.YELLOW, Level.ORANGE, Level.RED)]
    assert ranks == sorted(ranks)
