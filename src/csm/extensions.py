"""The seams where capabilities plug in. Adding a capability adds one line to a list here.

Each entry is "module:attribute":
- ROUTERS: a fastapi.APIRouter included in the app;
- JOB_FACTORIES: a function (Runtime) -> list of background jobs started with the app;
- SECTION_VALIDATORS: a function (Site) -> list[SiteProblem] checking a site.yaml section
  (playbook, sources, ...), so `csm site validate` reports every problem in one run.
"""

from __future__ import annotations

import importlib
from typing import Any

ROUTERS: list[str] = [
    "csm.api.routes_ops:router",
    "csm.api.routes_observations:router",
    "csm.api.routes_zones:router",
    "csm.api.routes_alerts:router",
    "csm.api.routes_sources:router",
    "csm.api.routes_scenarios:router",
    "csm.api.routes_training:router",
    "csm.api.routes_simulations:router",
    "csm.api.routes_layers:router",
    "csm.api.routes_report:router",
]

JOB_FACTORIES: list[str] = [
    "csm.retention:retention_jobs",
    "csm.advice.engine:advice_jobs",
    "csm.forecast_service:forecast_jobs",
    "csm.sources.coordinator:source_jobs",
]

SECTION_VALIDATORS: list[str] = [
    "csm.advice.playbook:validate_playbook_section",
    "csm.sources.registry:validate_sources_section",
    "csm.flow.overrides:validate_flow_file",
    "csm.site.basemap:validate_basemap_section",
]


def resolve(entry: str) -> Any:
    module_name, _, attribute = entry.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
