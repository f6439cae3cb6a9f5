"""Weidmann's diagram: the numbers published for it, and how it compares with bottleneck flows."""

from __future__ import annotations

import numpy as np
import pytest

from csm.flow.fundamental import PUBLISHED_FLOWS, WEIDMANN


def test_free_speed_at_low_density_and_standstill_at_jam() -> None:
    assert float(WEIDMANN.speed(0.01)) == pytest.approx(1.34, abs=0.01)
    assert float(WEIDMANN.speed(5.4)) == pytest.approx(0.0, abs=1e-9)
    speeds = WEIDMANN.speed(np.linspace(0.1, 5.4, 50))
    assert np.all(np.diff(speeds) < 0), "speed must fall as density rises"


def test_capacity_matches_weidmann_and_lies_in_the_published_range() -> None:
    # Weidmann (1993): about 1.22 p/(m·s) at about 1.75 p/m².
    assert WEIDMANN.capacity == pytest.approx(1.22, abs=0.02)
    assert 1.6 <= WEIDMANN.critical_density <= 2.0
    lowest = min(lo for lo, _, _ in PUBLISHED_FLOWS.values())
    highest = max(hi for _, hi, _ in PUBLISHED_FLOWS.values())
    assert lowest <= WEIDMANN.capacity <= highest
    # A corridor diagram is conservative next to short bottlenecks (Seyfried et al. 2009: 1.6–1.9).
    assert WEIDMANN.capacity < PUBLISHED_FLOWS["seyfried_2009"][0]


def test_send_and_receive_split_at_the_critical_density() -> None:
    rho_c = WEIDMANN.critical_density
    assert float(WEIDMANN.send(rho_c + 1)) == pytest.approx(WEIDMANN.capacity)
    assert float(WEIDMANN.receive(rho_c - 1)) == pytest.approx(WEIDMANN.capacity)
    assert float(WEIDMANN.send(0.5)) == pytest.approx(float(WEIDMANN.specific_flow(0.5)))
    assert float(WEIDMANN.receive(5.4)) == pytest.approx(0.0, abs=1e-9)
