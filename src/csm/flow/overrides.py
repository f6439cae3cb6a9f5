"""Optional `flow.yaml` in a site folder: corrections to the network derived from the geometry.

Touching polygons are not always walkable neighbours (a pier deck above the beach), and a street
crossing may be wider than the default. Validated like the site files: FILE: PATH: MESSAGE.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from csm.site.loader import SiteProblem, pydantic_problems
from csm.site.model import Site

FLOW_FILE = "flow.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LinkOverride(_Strict):
    between: tuple[str, str]
    width_m: float = Field(gt=0, le=200, description="walkable width of the passage, metres")


class FlowOverrides(_Strict):
    not_connected: list[tuple[str, str]] = Field(default_factory=list)
    links: list[LinkOverride] = Field(default_factory=list)
    mode_shares: dict[str, float] | None = None


def load_overrides(site: Site) -> tuple[FlowOverrides, list[SiteProblem]]:
    path: Path | None = site.optional_file(FLOW_FILE)
    if path is None:
        return FlowOverrides(), []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found = FlowOverrides.model_validate(raw)
    except yaml.YAMLError as exc:
        return FlowOverrides(), [SiteProblem(FLOW_FILE, "", f"not valid YAML: {exc}")]
    except ValidationError as exc:
        return FlowOverrides(), pydantic_problems(FLOW_FILE, "", exc)
    problems = []
    pairs = [("not_connected", i, p) for i, p in enumerate(found.not_connected)]
    pairs += [("links", i, lk.between) for i, lk in enumerate(found.links)]
    for section, i, pair in pairs:
        for zone in pair:
            if zone not in site.zones:
                problems.append(SiteProblem(FLOW_FILE, f"{section}[{i}]", f"unknown zone {zone!r}"))
    return found, problems


def validate_flow_file(site: Site) -> list[SiteProblem]:
    """SECTION_VALIDATORS hook: `csm site validate` also checks flow.yaml."""
    return load_overrides(site)[1]
