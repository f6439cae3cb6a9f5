"""What-if scenarios over the API: run one (stored), list stored runs, read one, example files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Body, Depends, HTTPException
from fastapi.responses import JSONResponse

from csm.api.deps import get_runtime, get_site_runtime
from csm.api.schemas.common import GUARDED, errors
from csm.api.schemas.planning import ScenarioExample, ScenarioList, ScenarioProblems, ScenarioResult
from csm.flow.network import network_from_site
from csm.runtime import Runtime, SiteRuntime
from csm.scenario.baseline import BaselineUnavailable
from csm.scenario.loader import parse_scenario
from csm.scenario.planning import execute, summary
from csm.scenario.results import get_result, list_results, save_result

router = APIRouter(prefix="/api/v1", tags=["scenarios"])
EXAMPLES_DIR = "scenarios"
SITE_ERRORS = {**GUARDED, **errors(404)}


@router.post("/sites/{site_id}/scenarios", status_code=201,
             summary="Run a what-if scenario (the scenario file as JSON); the result is stored",
             response_model=ScenarioResult,
             responses={**GUARDED, **errors(404, 409),
                        422: {"model": ScenarioProblems, "description": "the scenario is not valid"}})
def run_scenario(
    document: dict[str, Any] = Body(..., description="a scenario document: name, date, baseline, changes"),
    sr: SiteRuntime = Depends(get_site_runtime),
    runtime: Runtime = Depends(get_runtime),
) -> Any:
    network = network_from_site(sr.site)
    scenario, problems = parse_scenario(document, sr.site, network, file="body")
    if scenario is None:
        return JSONResponse(status_code=422, content={
            "detail": "invalid scenario",
            "problems": [{"file": p.file, "path": p.path, "message": p.message} for p in problems],
        })
    try:
        result = execute(sr.site, scenario, runtime.store, network)
    except BaselineUnavailable as exc:
        raise HTTPException(status_code=409, detail=f"no baseline for the scenario's day: {exc}") from exc
    save_result(runtime.store, sr.site.id, result)
    return result


@router.get("/sites/{site_id}/scenarios", summary="Stored scenario runs, newest first (without series)",
            response_model=ScenarioList, responses=SITE_ERRORS)
def list_scenarios(sr: SiteRuntime = Depends(get_site_runtime), runtime: Runtime = Depends(get_runtime)
                   ) -> dict[str, Any]:
    return {"site": sr.site.id, "scenarios": [summary(r) for r in list_results(runtime.store, sr.site.id)]}


@router.get("/sites/{site_id}/scenarios/examples", summary="Example scenario files shipped with the site",
            response_model=list[ScenarioExample], responses=SITE_ERRORS)
def scenario_examples(sr: SiteRuntime = Depends(get_site_runtime)) -> list[dict[str, Any]]:
    folder: Path = sr.site.folder / EXAMPLES_DIR
    found = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        found.append({"file": path.name, "document": yaml.safe_load(path.read_text(encoding="utf-8"))})
    return found


@router.get("/sites/{site_id}/scenarios/{scenario_id}", summary="One stored scenario run, in full",
            response_model=ScenarioResult, responses=SITE_ERRORS)
def get_scenario(scenario_id: str, sr: SiteRuntime = Depends(get_site_runtime),
                 runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    result = get_result(runtime.store, sr.site.id, scenario_id)
    if result is None:
        raise HTTPException(status_code=404, detail=f"no scenario run {scenario_id!r}")
    return result
