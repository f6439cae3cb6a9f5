"""Running scenarios: changes move the numbers the way they should, and the advice follows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from csm.flow.network import network_from_site
from csm.runtime import Runtime
from csm.scenario.loader import load_scenario, parse_scenario
from csm.scenario.planning import execute
from csm.scenario.report import render
from csm.site.loader import load_site

SITE_DIR = Path(__file__).resolve().parents[2] / "sites" / "scheveningen"


def _zone(result: dict[str, Any], zone_id: str) -> dict[str, Any]:
    return next(z for z in result["zones"] if z["zone_id"] == zone_id)


def _p50_at(zone: dict[str, Any], local: str, which: str) -> int:
    return int(next(s[which]["p50"] for s in zone["series"] if s["local"] == local))


def test_event_adds_its_visitors_at_its_time_and_nowhere_at_noon(tiny_site_dir: Path) -> None:
    site = load_site(tiny_site_dir)
    network = network_from_site(site)
    raw = {"name": "concert", "date": "2026-07-18", "baseline": "demo", "changes": [
        {"kind": "event", "zone": "plein", "visitors": 1500, "start": "20:00", "end": "22:00"}]}
    scenario, problems = parse_scenario(raw, site, network)
    assert scenario is not None, problems
    result = execute(site, scenario, None, network)
    plein = _zone(result, "plein")
    assert len(plein["series"]) == 96
    extra_at_nine = _p50_at(plein, "21:00", "scenario") - _p50_at(plein, "21:00", "baseline")
    assert 1500 * 0.8 <= extra_at_nine <= 1500 * 1.1
    assert abs(_p50_at(plein, "12:00", "scenario") - _p50_at(plein, "12:00", "baseline")) <= 5
    assert plein["scenario_peak"]["level"] in ("orange", "red")  # 2.5 p/m² on 1,000 m²
    assert result["flow"]["scenario"]["imbalance"] == pytest.approx(0, abs=1e-3)
    series = plein["series"][84]  # 21:00
    assert series["scenario"]["p10"] <= series["scenario"]["p50"] <= series["scenario"]["p90"]
    assert series["scenario"]["density"] == pytest.approx(series["scenario"]["p50"] / 1000, abs=1e-3)


@pytest.mark.slow  # a full Scheveningen day, three flow runs: ~10 s
def test_fireworks_at_the_pier_turn_the_boulevard_red_and_call_the_police() -> None:
    site = load_site(SITE_DIR)
    network = network_from_site(site)
    scenario = load_scenario(SITE_DIR / "scenarios" / "fireworks-pier.yaml", site, network)
    result = execute(site, scenario, None, network)
    pier = _zone(result, "boulevard-pier")
    assert pier["baseline_peak"]["level"] in ("green", "yellow")
    assert pier["scenario_peak"]["level"] == "red"
    assert "21:" in pier["scenario_peak"]["level_at"] or "22:" in pier["scenario_peak"]["level_at"]
    new = {a["measure_id"] for a in result["advice"]["scenario"] if a["new"]}
    assert {"police", "traffic-controllers"} <= new
    # the closed route carries nobody in the scenario run
    links = result["flow"]["scenario"]["busiest_links"]
    assert not any({lk["from"], lk["to"]} == {"boulevard-pier", "strandopgang-noord"} for lk in links)
    text = render(result)
    assert "boulevard-pier" in text and "police" in text


def test_a_stored_forecast_is_the_baseline_and_missing_zones_are_estimated(tiny_runtime: Runtime) -> None:
    import numpy as np
    import pandas as pd

    from csm.scenario.schema import ScenarioSchema

    site = tiny_runtime.sites["tiny"].site
    slots = pd.date_range("2026-07-17T22:00:00Z", periods=96, freq="15min")  # the local day of 18 July
    hours = (np.arange(96) / 4)
    rows = []
    for zone_id, peak in (("plein", 900.0), ("strand", 4000.0)):  # no forecast for the pier
        p50 = peak * np.exp(-(((hours - 15) / 3) ** 2))
        rows.append(pd.DataFrame({"zone_id": zone_id, "ts": slots, "p10": p50 * 0.8, "p50": p50, "p90": p50 * 1.3}))
    issued = datetime(2026, 7, 17, 20, 0, tzinfo=UTC)
    tiny_runtime.store.write_forecast("tiny", issued, pd.concat(rows, ignore_index=True))
    scenario = ScenarioSchema.model_validate({"name": "plain day", "date": "2026-07-18", "baseline": "forecast"})
    result = execute(site, scenario, tiny_runtime.store)
    assert result["baseline_source"].startswith("forecast issued 2026-07-17T20:00")
    plein, pier = _zone(result, "plein"), _zone(result, "pier")
    assert plein["baseline_peak"]["p50"] == pytest.approx(900, rel=0.02)
    assert plein["series"][60]["baseline"]["p90"] > plein["series"][60]["baseline"]["p50"]
    assert pier["estimated"] is True and not plein["estimated"]
    assert pier["baseline_peak"]["p50"] > 0  # people pass the pier zone on their way
    # no changes: the scenario is the baseline
    assert all(abs(s["scenario"]["p50"] - s["baseline"]["p50"]) <= 1 for s in plein["series"])
