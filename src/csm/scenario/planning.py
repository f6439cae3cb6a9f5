"""One way to run a scenario for the CLI and the API: pick the day and baseline, run, store."""

from __future__ import annotations

from datetime import date
from typing import Any

from csm.flow.model import FlowModel
from csm.flow.network import FlowNetwork, network_from_site
from csm.scenario.baseline import Baseline, BaselineUnavailable, demo_baseline, forecast_baseline
from csm.scenario.effects import base_temperature
from csm.scenario.run import run_scenario
from csm.scenario.schema import ScenarioSchema
from csm.site.model import Site
from csm.store.base import Store


def scenario_day(site: Site, scenario: ScenarioSchema) -> date:
    if scenario.date is not None:
        return scenario.date
    return site.config.demo.date or date.today()


def choose_baseline(site: Site, store: Store | None, scenario: ScenarioSchema, network: FlowNetwork,
                    day: date) -> Baseline:
    """`forecast` insists on the stored forecast; `auto` falls back to the demo profiles."""
    if scenario.baseline in ("forecast", "auto") and store is not None:
        try:
            return forecast_baseline(site, store, day, FlowModel(network))
        except BaselineUnavailable:
            if scenario.baseline == "forecast":
                raise
    elif scenario.baseline == "forecast":
        raise BaselineUnavailable("no store to read a forecast from")
    return demo_baseline(site, day, network.zone_ids, base_temperature(site, scenario))


def execute(site: Site, scenario: ScenarioSchema, store: Store | None = None,
            network: FlowNetwork | None = None) -> dict[str, Any]:
    network = network or network_from_site(site)
    day = scenario_day(site, scenario)
    baseline = choose_baseline(site, store, scenario, network, day)
    return run_scenario(site, scenario, baseline, network, day)


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """A stored result without its series: for lists."""
    return {
        "id": result["id"], "scenario_id": result.get("scenario_id"), "name": result["name"],
        "date": result["date"], "ran_at": result["ran_at"], "baseline_source": result["baseline_source"],
        "changes": result["changes"],
        "zones_worse": sum(1 for z in result["zones"]
                           if z["scenario_peak"]["level"] != z["baseline_peak"]["level"]),
    }
