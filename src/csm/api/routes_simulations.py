"""Detailed simulations over the API: run one (stored), list, read one, its density grid as GeoJSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from csm.api.deps import get_runtime, get_site_runtime
from csm.api.schemas.common import GUARDED, errors
from csm.api.schemas.planning import DensityAnswer, SimulationList, SimulationResult
from csm.runtime import Runtime, SiteRuntime
from csm.scenario.results import get_result, list_results, save_result
from csm.sim.clearing import MAX_AGENTS, STREAM, simulate_clearing, summary
from csm.sim.run import SimulationUnavailable

router = APIRouter(prefix="/api/v1", tags=["simulations"])
SITE_ERRORS = {**GUARDED, **errors(404)}


class SimulationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zone: str = Field(description="zone id of the square to clear, e.g. gevers-deynootplein")
    agents: int = Field(ge=1, le=MAX_AGENTS, description="persons on it at the start")
    seed: int = Field(1, ge=0)
    max_seconds: float = Field(900.0, gt=0, le=3600, description="simulated time limit")


@router.post("/sites/{site_id}/simulations", status_code=201,
             summary="Simulate clearing a square (JuPedSim): exit times, peak densities, exit flows",
             response_model=SimulationResult, response_model_exclude_unset=True,
             responses={**SITE_ERRORS, **errors(501)})
def run_simulation(body: SimulationBody, sr: SiteRuntime = Depends(get_site_runtime),
                   runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    if body.zone not in sr.site.zones:
        raise HTTPException(status_code=422, detail=f"unknown zone {body.zone!r}")
    try:
        result = simulate_clearing(sr.site, body.zone, body.agents, body.seed, body.max_seconds)
    except SimulationUnavailable as exc:
        raise HTTPException(status_code=501, detail=str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    save_result(runtime.store, sr.site.id, result, STREAM)
    return result


@router.get("/sites/{site_id}/simulations", summary="Stored simulations, newest first",
            response_model=SimulationList, responses=SITE_ERRORS)
def list_simulations(sr: SiteRuntime = Depends(get_site_runtime), runtime: Runtime = Depends(get_runtime)
                     ) -> dict[str, Any]:
    return {"site": sr.site.id, "simulations": [summary(r) for r in list_results(runtime.store, sr.site.id, STREAM)]}


def _stored(runtime: Runtime, sr: SiteRuntime, simulation_id: str) -> dict[str, Any]:
    result = get_result(runtime.store, sr.site.id, simulation_id, STREAM)
    if result is None:
        raise HTTPException(status_code=404, detail=f"no simulation {simulation_id!r}")
    return result


@router.get("/sites/{site_id}/simulations/{simulation_id}", summary="One stored simulation, in full",
            response_model=SimulationResult, response_model_exclude_unset=True, responses=SITE_ERRORS)
def get_simulation(simulation_id: str, sr: SiteRuntime = Depends(get_site_runtime),
                   runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    return _stored(runtime, sr, simulation_id)


@router.get("/sites/{site_id}/simulations/{simulation_id}/density",
            summary="Peak density per grid cell (GeoJSON, WGS84) with the exits, for the map",
            response_model=DensityAnswer, response_model_exclude_unset=True, responses=SITE_ERRORS)
def get_density(simulation_id: str, sr: SiteRuntime = Depends(get_site_runtime),
                runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    result = _stored(runtime, sr, simulation_id)
    features = [*result["density_grid"]["features"],
                *[{**f, "properties": {**f["properties"], "kind": "exit"}} for f in result["exit_lines"]["features"]]]
    return {"type": "FeatureCollection", "features": features,
            "properties": {"simulation": simulation_id, "zone": result["zone"], "grid_m": result["grid_m"]}}
