"""Read and check a scenario file against a site: every problem as FILE: PATH: MESSAGE."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from csm.flow.network import FlowNetwork, garage_entries
from csm.scenario.schema import (
    ClosedRouteChange,
    EventChange,
    GarageFullChange,
    HeatWaveChange,
    ScenarioSchema,
    TramOutageChange,
)
from csm.site.loader import SiteProblem, pydantic_problems
from csm.site.model import Site


class ScenarioError(ValueError):
    def __init__(self, problems: list[SiteProblem]) -> None:
        self.problems = problems
        super().__init__("invalid scenario:\n" + "\n".join(f"  {p}" for p in problems))


def zones_named(refs: list[str], site: Site) -> set[str]:
    """Zone ids named by ids, groups or kinds."""
    found: set[str] = set()
    for ref in refs:
        found |= {z.id for z in site.zones.values() if ref in (z.id, z.group, z.kind)}
    return found


def _unknown_zone(file: str, path: str, zone: str, site: Site) -> SiteProblem:
    return SiteProblem(file, path, f"unknown zone {zone!r}; expected one of: {', '.join(sorted(site.zones))}")


def _check_change(file: str, where: str, change: Any, site: Site, network: FlowNetwork) -> list[SiteProblem]:
    problems = []
    if isinstance(change, EventChange):
        refs = [change.zone] if change.zone else list(change.zones or {})
        sub = "zone" if change.zone else "zones"
        problems += [_unknown_zone(file, f"{where}.{sub}", z, site) for z in refs if z not in site.zones]
    elif isinstance(change, HeatWaveChange):
        if not zones_named(change.zones, site):
            problems.append(SiteProblem(file, f"{where}.zones", "names no zone (expected zone ids, groups or kinds)"))
    elif isinstance(change, TramOutageChange):
        trams = set(network.sources.get("tram", ()))
        for i, stop in enumerate(change.stops):
            if stop not in site.zones:
                problems.append(_unknown_zone(file, f"{where}.stops[{i}]", stop, site))
            elif stop not in trams:
                problems.append(SiteProblem(file, f"{where}.stops[{i}]",
                                            f"{stop!r} is not a tram stop; tram stops: {', '.join(sorted(trams))}"))
    elif isinstance(change, ClosedRouteChange):
        missing = [z for z in change.between if z not in site.zones]
        problems += [_unknown_zone(file, f"{where}.between", z, site) for z in missing]
        if not missing and network.link_between(*change.between) is None:
            a, b = change.between
            neighbours = sorted(
                network.zone_ids[lk.b if lk.a == network.index(a) else lk.a]
                for lk in network.links if network.index(a) in (lk.a, lk.b)
            )
            message = f"no walking link between {a!r} and {b!r}; {a!r} links to: {', '.join(neighbours)}"
            problems.append(SiteProblem(file, f"{where}.between", message))
    elif isinstance(change, GarageFullChange):
        garages = garage_entries(site)
        if change.garage not in garages:
            message = f"unknown garage {change.garage!r}; expected one of: {', '.join(sorted(garages))}"
            problems.append(SiteProblem(file, f"{where}.garage", message))
    return problems


def parse_scenario(raw: Any, site: Site, network: FlowNetwork, file: str = "scenario") -> tuple[
        ScenarioSchema | None, list[SiteProblem]]:
    """Validate a parsed scenario document against a site; (scenario, []) or (None, problems)."""
    if not isinstance(raw, dict):
        return None, [SiteProblem(file, "", "expected a mapping at the top level")]
    try:
        scenario = ScenarioSchema.model_validate(raw)
    except ValidationError as exc:
        return None, pydantic_problems(file, "", exc)
    problems = []
    if scenario.site is not None and scenario.site != site.id:
        problems.append(SiteProblem(file, "site", f"scenario is for site {scenario.site!r}, not {site.id!r}"))
    for i, change in enumerate(scenario.changes):
        problems += _check_change(file, f"changes[{i}]", change, site, network)
    return (None, problems) if problems else (scenario, [])


def load_scenario(path: Path | str, site: Site, network: FlowNetwork) -> ScenarioSchema:
    """Read a scenario YAML file or raise ScenarioError listing every problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError([SiteProblem(path.name, "", "file not found")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError([SiteProblem(path.name, where, f"not valid YAML: {exc}")]) from None
    scenario, problems = parse_scenario(raw, site, network, path.name)
    if scenario is None:
        raise ScenarioError(problems)
    return scenario
