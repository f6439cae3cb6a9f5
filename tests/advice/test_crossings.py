"""Crossing probability from p10/p50/p90 and predicted crossings with their lead times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from csm.advice.crossings import exceedance_probability, predicted_crossings, threshold_persons
from csm.domain.model import Level
from csm.site.model import Site
from tests.advice.conftest import NOW, forecast


def test_probability_through_the_quantiles() -> None:
    assert exceedance_probability(100, 80, 100, 140) == pytest.approx(0.5)
    assert exceedance_probability(80, 80, 100, 140) == pytest.approx(0.9)
    assert exceedance_probability(140, 80, 100, 140) == pytest.approx(0.1)
    assert exceedance_probability(120, 80, 100, 140) == pytest.approx(0.3)  # linear between p50, p90
    # Tails: a quarter of the neighbouring inner distance beyond p10 / p90.
    assert exceedance_probability(75, 80, 100, 140) == pytest.approx(1.0)
    assert exceedance_probability(150, 80, 100, 140) == pytest.approx(0.0)
    assert exceedance_probability(145, 80, 100, 140) == pytest.approx(0.05)


def test_probability_is_monotone_and_survives_degenerate_quantiles() -> None:
    values = [exceedance_probability(t, 50, 90, 200) for t in range(0, 260, 5)]
    assert values == sorted(values, reverse=True)
    assert exceedance_probability(99, 100, 100, 100) == pytest.approx(1.0)
    assert exceedance_probability(101, 100, 100, 100) == pytest.approx(0.0)
    assert exceedance_probability(100, 140, 100, 80) == pytest.approx(0.5)  # crossed quantiles sorted


def test_threshold_persons_uses_density_and_capacity(mini_site: Site) -> None:
    zuid = mini_site.zones["zuid"]  # 1000 m², default thresholds, capacity 2000
    assert threshold_persons(zuid, Level.ORANGE) == pytest.approx(1110)
    assert threshold_persons(zuid, Level.RED) == pytest.approx(2000)


def test_first_likely_step_gives_lead_time_and_probability(mini_site: Site) -> None:
    # Boulevard Zuid ramps up: red (2000 persons) at p50 from step 5 (12:15 UTC, 75 min ahead).
    ramp = [900, 1000, 1200, 1500, 2000, 2300, 2300, 1800]
    found = predicted_crossings(forecast({"zuid": ramp}), mini_site.zones, NOW, {"zuid": Level.YELLOW})
    by_level = {c.level: c for c in found}
    assert set(by_level) == {Level.ORANGE, Level.RED}  # yellow already holds
    orange = by_level[Level.ORANGE]
    # Step 3 (1200, p10 1020, p90 1380): P(>= 1110) = 0.1 + 0.4 * 90/180 = 0.7
    assert orange.at == NOW + timedelta(minutes=45) and orange.lead_time == timedelta(minutes=45)
    assert orange.probability == pytest.approx(0.7, abs=1e-3)
    red = by_level[Level.RED]
    # Step 4 (1500; p90 1725) is below 2000 even at its tail; step 5 has p50 = 2000: P = 0.5.
    assert red.at == NOW + timedelta(minutes=75) and red.probability == pytest.approx(0.5)
    assert red.peak_probability == pytest.approx(1 - (0.1 + 0.4 * 45 / 345), abs=1e-4)
    assert red.peak_at == NOW + timedelta(minutes=90)
    assert [c.level for c in found] == [Level.ORANGE, Level.RED]  # sorted by time


def test_unlikely_past_and_far_steps_do_not_count(mini_site: Site) -> None:
    frame = forecast({"zuid": [2500] * 4 + [100] * 4 + [2500] * 30}, start=NOW - timedelta(hours=1))
    # Steps up to NOW are the past (busy, but gone); quiet for an hour; 2500 from NOW + 75 min.
    found = predicted_crossings(frame, mini_site.zones, NOW, {"zuid": Level.GREEN},
                                min_probability=0.3, horizon=timedelta(minutes=30))
    assert found == []
    found = predicted_crossings(frame, mini_site.zones, NOW, {"zuid": Level.GREEN},
                                horizon=timedelta(hours=2))
    assert {c.level for c in found} == {Level.YELLOW, Level.ORANGE, Level.RED}
    assert all(c.at == NOW + timedelta(minutes=75) for c in found)
    low = forecast({"zuid": [1700] * 8}, spread=0.05)  # p90 1785: red never reachable
    assert not [c for c in predicted_crossings(low, mini_site.zones, NOW, {}) if c.level is Level.RED]
    assert predicted_crossings(forecast({"elsewhere": [5000]}), mini_site.zones, NOW, {}) == []
