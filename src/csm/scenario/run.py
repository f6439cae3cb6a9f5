"""Run a scenario: baseline day vs the day with the scenario's changes, per zone per 15 minutes.

The flow model carries every change: the baseline's staying visitors are fitted once, the
scenario scales and adds to them, closes entries and links, and runs again. The scenario's
numbers are the baseline forecast plus the difference between the two runs, so the forecast's
calibration is kept and the model adds only what the scenario changes (including people walking
to and from an event through zones that have none of it).
"""

from __future__ import annotations

import hashlib
import threading
import time as wallclock
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csm.advice.playbook import load_playbook
from csm.domain.levels import level_for_density
from csm.domain.model import Level
from csm.flow.fit import FittedFlow, fit_flow
from csm.flow.model import FlowModel, FlowResult
from csm.flow.network import FlowNetwork
from csm.scenario.advice import day_advice
from csm.scenario.baseline import DEMO_BAND, Baseline
from csm.scenario.effects import effects_of
from csm.scenario.schema import ScenarioSchema
from csm.site.model import Site

BUSIEST_LINKS = 8
FIT_CACHE_SIZE = 8
_FIT_CACHE: OrderedDict[tuple[Any, ...], FittedFlow] = OrderedDict()
_FIT_LOCK = threading.Lock()


@dataclass(frozen=True)
class Frame:
    p10: NDArray[np.float64]
    p50: NDArray[np.float64]
    p90: NDArray[np.float64]

    def long(self, zone_ids: tuple[str, ...], slots: list[datetime]) -> pd.DataFrame:
        idx = pd.MultiIndex.from_product([pd.DatetimeIndex(slots), list(zone_ids)], names=["ts", "zone_id"])
        return pd.DataFrame(
            {"p10": self.p10.ravel(), "p50": self.p50.ravel(), "p90": self.p90.ravel()}, index=idx
        ).reset_index()


def scenario_frame(baseline: Baseline, delta: NDArray[np.float64]) -> Frame:
    """Baseline plus the model's difference; the band moves with it, in proportion."""
    p50 = np.maximum(baseline.p50 + delta, 0.0)
    big = baseline.p50 > 1.0
    lo = np.where(big, baseline.p10 / np.maximum(baseline.p50, 1e-9), DEMO_BAND[0])
    hi = np.where(big, baseline.p90 / np.maximum(baseline.p50, 1e-9), DEMO_BAND[1])
    return Frame(np.maximum(baseline.p10 + delta * lo, 0.0), p50, np.maximum(baseline.p90 + delta * hi, p50))


def _levels(site: Site, zone_ids: tuple[str, ...], persons: NDArray[np.float64]) -> list[list[Level]]:
    zones = [site.zones[z] for z in zone_ids]
    return [
        [level_for_density(p / z.walkable_area_m2, z.thresholds, p, z.capacity)
         for p, z in zip(row, zones, strict=True)]
        for row in persons
    ]


def _busiest_links(network: FlowNetwork, model: FlowModel, result: FlowResult) -> list[dict[str, Any]]:
    ids = network.zone_ids
    rows: list[dict[str, Any]] = [
        {
            "from": ids[a], "to": ids[b], "width_m": round(w, 1),
            "persons": round(float(result.link_flow[i])),
            "peak_flow_p_per_m_s": round(float(result.peak_specific_flow[i]), 3),
            "peak_utilisation": round(float(result.peak_specific_flow[i]) / model.capacity, 3),
        }
        for i, (a, b, w) in enumerate(result.directed_links)
    ]
    return sorted(rows, key=lambda r: -r["peak_utilisation"])[:BUSIEST_LINKS]


def _flow_summary(network: FlowNetwork, model: FlowModel, result: FlowResult) -> dict[str, Any]:
    return {
        "entered": round(result.entered), "left": round(result.left), "inside_at_end": round(result.inside),
        "waiting_outside": round(result.waiting), "imbalance": round(result.imbalance, 6),
        "capacity_p_per_m_s": round(model.capacity, 3), "step_s": model.step_s,
        "busiest_links": _busiest_links(network, model, result),
    }


def baseline_fit(model: FlowModel, expected: NDArray[np.float64]) -> FittedFlow:
    """The baseline's fitted flow, remembered: several scenarios of one day share it."""
    net = model.network
    key = (
        net.zone_ids, tuple((lk.a, lk.b, lk.width_m, lk.length_m) for lk in net.links), net.mode_shares and
        tuple(sorted(net.mode_shares.items())), model.step_s, model.capacity,
        hashlib.sha256(np.ascontiguousarray(expected).tobytes()).hexdigest(),
    )
    with _FIT_LOCK:
        if key in _FIT_CACHE:
            _FIT_CACHE.move_to_end(key)
            return _FIT_CACHE[key]
    fitted = fit_flow(model, expected)
    with _FIT_LOCK:
        _FIT_CACHE[key] = fitted
        while len(_FIT_CACHE) > FIT_CACHE_SIZE:
            _FIT_CACHE.popitem(last=False)
    return fitted


def run_scenario(site: Site, scenario: ScenarioSchema, baseline: Baseline, network: FlowNetwork,
                 day: date) -> dict[str, Any]:
    """The full result: per-zone series, per-zone summary, advice for both days, flow figures."""
    started = wallclock.perf_counter()
    model = FlowModel(network)
    base_fit = baseline_fit(model, baseline.p50)
    fx = effects_of(scenario, site, network, day, baseline.slots)
    scn_network = network.without_links(fx.closed) if fx.closed else network
    scn_model = FlowModel(scn_network) if fx.closed else model
    target = base_fit.stay_target * fx.multiplier + fx.extra
    scn_fit = fit_flow(scn_model, target, stay_target=target, entry_weights=fx.entry_weights)
    count = len(baseline.slots)
    delta = scn_fit.result.occupancy[:count] - base_fit.result.occupancy[:count]
    scn = scenario_frame(baseline, delta)
    base = Frame(baseline.p10, baseline.p50, baseline.p90)

    playbook = load_playbook(site)
    base_advice = day_advice(site, playbook, base.long(network.zone_ids, baseline.slots), baseline.slots)
    scn_advice = day_advice(site, playbook, scn.long(network.zone_ids, baseline.slots), baseline.slots)
    base_start = {a["measure_id"]: datetime.fromisoformat(a["start_by"]) for a in base_advice}
    for a in scn_advice:
        held = base_start.get(a["measure_id"])
        a["new"] = held is None
        a["earlier_minutes"] = (
            round((held - datetime.fromisoformat(a["start_by"])).total_seconds() / 60) if held else None
        )

    base_levels = _levels(site, network.zone_ids, base.p50)
    scn_levels = _levels(site, network.zone_ids, scn.p50)
    zones = []
    for j, zone_id in enumerate(network.zone_ids):
        zone = site.zones[zone_id]
        series = [
            {
                "ts": ts.isoformat(),
                "local": ts.astimezone(site.tz).strftime("%H:%M"),
                "baseline": {"p10": round(base.p10[i, j]), "p50": round(base.p50[i, j]), "p90": round(base.p90[i, j]),
                             "density": round(base.p50[i, j] / zone.walkable_area_m2, 3),
                             "level": base_levels[i][j].value},
                "scenario": {"p10": round(scn.p10[i, j]), "p50": round(scn.p50[i, j]), "p90": round(scn.p90[i, j]),
                             "density": round(scn.p50[i, j] / zone.walkable_area_m2, 3),
                             "level": scn_levels[i][j].value},
            }
            for i, ts in enumerate(baseline.slots)
        ]
        zones.append({
            "zone_id": zone_id,
            "name": zone.name,
            "estimated": zone_id in baseline.estimated_zones,
            "baseline_peak": _peak(site, base.p50[:, j], [row[j] for row in base_levels], baseline.slots),
            "scenario_peak": _peak(site, scn.p50[:, j], [row[j] for row in scn_levels], baseline.slots),
            "measures": sorted({a["measure_id"] for a in scn_advice if zone_id in a["zones"]}),
            "series": series,
        })
    return {
        "id": uuid.uuid4().hex[:12],
        "scenario_id": scenario.id,
        "name": scenario.name,
        "description": scenario.description,
        "site": site.id,
        "date": day.isoformat(),
        "timezone": site.config.timezone,
        "baseline_source": baseline.source,
        "changes": fx.notes,
        "step_minutes": 15,
        "ran_at": datetime.now(UTC).isoformat(),
        "zones": zones,
        "advice": {"baseline": base_advice, "scenario": scn_advice},
        "flow": {"baseline": _flow_summary(network, model, base_fit.result),
                 "scenario": _flow_summary(scn_network, scn_model, scn_fit.result)},
        "wall_seconds": round(wallclock.perf_counter() - started, 2),
    }


def _peak(site: Site, persons: NDArray[np.float64], levels: list[Level], slots: list[datetime]) -> dict[str, Any]:
    worst = max(range(len(levels)), key=lambda i: (levels[i].rank, persons[i]))
    busiest = int(np.argmax(persons))
    return {
        "level": levels[worst].value,
        "level_at": slots[worst].astimezone(site.tz).strftime("%H:%M"),
        "p50": round(float(persons[busiest])),
        "p50_at": slots[busiest].astimezone(site.tz).strftime("%H:%M"),
    }
