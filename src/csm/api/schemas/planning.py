"""Answers of scenarios, simulations and training sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from csm.api.schemas.common import FeatureCollection, Open, ValidationIssue


class ScenarioSummary(Open):
    id: str
    scenario_id: str | None
    name: str
    date: str
    ran_at: datetime
    baseline_source: str
    changes: list[Any]
    zones_worse: int


class ScenarioList(BaseModel):
    site: str
    scenarios: list[ScenarioSummary]


class ScenarioResult(Open):
    """A stored scenario run: per-zone series and peaks, advice and flow for both days."""

    id: str
    scenario_id: str | None
    name: str
    description: str | None = None
    site: str
    date: str
    timezone: str
    baseline_source: str
    changes: list[Any]
    step_minutes: int
    ran_at: datetime
    zones: list[dict[str, Any]]
    advice: dict[str, Any]
    flow: dict[str, Any]


class ScenarioExample(BaseModel):
    file: str
    document: Any


class SimulationSummary(Open):
    id: str
    site: str
    zone: str
    zone_name: str
    agents: int
    cleared: bool
    evacuation_time_s: float | None
    time_for_90_percent_s: float | None
    peak_density_cell_p_per_m2: float
    ran_at: datetime


class SimulationList(BaseModel):
    site: str
    simulations: list[SimulationSummary]


class SimulationResult(SimulationSummary):
    """A stored clearing simulation in full: exit flows, density grid, exit lines."""

    model: str
    seed: int
    remaining: int
    simulated_s: float
    exits: list[dict[str, Any]]
    density_grid: FeatureCollection
    exit_lines: FeatureCollection
    grid_m: float


class DensityProperties(BaseModel):
    simulation: str
    zone: str
    grid_m: float


class DensityAnswer(FeatureCollection):
    properties: DensityProperties


class SessionEnded(BaseModel):
    ended: str


class ScenarioProblem(BaseModel):
    file: str
    path: str
    message: str


class ScenarioProblems(BaseModel):
    """A scenario refused: every problem with where it is."""

    detail: str | list[ValidationIssue]
    problems: list[ScenarioProblem] = []
