"""Load and validate a site folder, reporting every problem with file, path and expectation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pyproj import Geod
from shapely.geometry import shape
from shapely.validation import explain_validity

from csm.domain.levels import SAFE_DENSITY_STATIC, DensityThresholds, default_capacity
from csm.extensions import SECTION_VALIDATORS, resolve
from csm.site.model import Site, Zone
from csm.site.schema import SiteSchema, ZonePropertiesSchema

SITE_FILE = "site.yaml"
ZONES_FILE = "zones.geojson"
_GEOD = Geod(ellps="WGS84")
# Walkable area may not exceed the polygon's own area by more than this (rounding, surveys).
_AREA_TOLERANCE = 1.05


@dataclass(frozen=True, slots=True)
class SiteProblem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path or '<root>'}: {self.message}"


class SiteConfigError(ValueError):
    def __init__(self, problems: list[SiteProblem]) -> None:
        self.problems = problems
        super().__init__("invalid site:\n" + "\n".join(f"  {p}" for p in problems))


def _loc_to_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def pydantic_problems(file: str, prefix: str, err: ValidationError) -> list[SiteProblem]:
    """Every error of a pydantic validation as a SiteProblem at its path under `prefix` (the one
    translation used for site.yaml, zones, the playbook and the sources sections)."""
    problems = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p))
        msg = e["msg"]
        if e["type"] not in ("missing", "extra_forbidden"):
            msg += f" (got {e.get('input')!r})"
        problems.append(SiteProblem(file, _loc_to_path(prefix, loc), msg))
    return problems


def _read_yaml(path: Path) -> tuple[Any, list[SiteProblem]]:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), []
    except FileNotFoundError:
        return None, [SiteProblem(path.name, "", "file not found")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, [SiteProblem(path.name, where, f"not valid YAML: {exc}")]


def _read_json(path: Path) -> tuple[Any, list[SiteProblem]]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except FileNotFoundError:
        return None, [SiteProblem(path.name, "", "file not found")]
    except json.JSONDecodeError as exc:
        return None, [
            SiteProblem(path.name, f"line {exc.lineno}, column {exc.colno}", f"not JSON: {exc.msg}")
        ]


def _geodesic_area_m2(geom: Any) -> float:
    return abs(_GEOD.geometry_area_perimeter(geom)[0])


def _parse_zones(raw: Any, site: SiteSchema | None) -> tuple[dict[str, Zone], list[SiteProblem]]:
    problems: list[SiteProblem] = []
    zones: dict[str, Zone] = {}
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection":
        return {}, [SiteProblem(ZONES_FILE, "type", "expected a GeoJSON FeatureCollection")]
    features = raw.get("features")
    if not isinstance(features, list) or not features:
        return {}, [SiteProblem(ZONES_FILE, "features", "expected a non-empty list of features")]
    for i, feat in enumerate(features):
        where = f"features[{i}]"
        if not isinstance(feat, dict):
            problems.append(SiteProblem(ZONES_FILE, where, "expected a Feature object"))
            continue
        try:
            props = ZonePropertiesSchema.model_validate(feat.get("properties") or {})
        except ValidationError as exc:
            problems += pydantic_problems(ZONES_FILE, f"{where}.properties", exc)
            continue
        geometry = feat.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(
                SiteProblem(ZONES_FILE, f"{where}.geometry", "expected a Polygon or MultiPolygon")
            )
            continue
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, AttributeError, IndexError) as exc:
            problems.append(SiteProblem(ZONES_FILE, f"{where}.geometry", f"unreadable: {exc}"))
            continue
        if not geom.is_valid:
            problems.append(
                SiteProblem(ZONES_FILE, f"{where}.geometry", f"invalid: {explain_validity(geom)}")
            )
            continue
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            problems.append(
                SiteProblem(ZONES_FILE, f"{where}.geometry", "coordinates must be WGS84 lon/lat")
            )
            continue
        area = _geodesic_area_m2(geom)
        if props.walkable_area_m2 > area * _AREA_TOLERANCE:
            problems.append(
                SiteProblem(
                    ZONES_FILE,
                    f"{where}.properties.walkable_area_m2",
                    f"{props.walkable_area_m2:.0f} m² exceeds the polygon's area ({area:.0f} m²)",
                )
            )
            continue
        if props.id in zones:
            problems.append(
                SiteProblem(ZONES_FILE, f"{where}.properties.id", f"duplicate zone id {props.id!r}")
            )
            continue
        defaults = site.defaults if site else None
        thresholds = props.thresholds or (defaults.thresholds if defaults else None)
        safe = props.safe_density_per_m2 or (
            SAFE_DENSITY_STATIC if props.static else (defaults.safe_density_per_m2 if defaults else 2.0)
        )
        capacity = props.capacity or default_capacity(props.walkable_area_m2, safe)
        centroid = geom.representative_point()
        extra = {k: v for k, v in (feat.get("properties") or {}).items()}
        zones[props.id] = Zone(
            id=props.id,
            name=props.name,
            walkable_area_m2=props.walkable_area_m2,
            capacity=capacity,
            thresholds=DensityThresholds(
                thresholds.yellow, thresholds.orange, thresholds.red
            ) if thresholds else DensityThresholds(),
            geometry=geometry,
            centroid=(centroid.x, centroid.y),
            kind=props.kind,
            group=props.group,
            properties=extra,
        )
    return zones, problems


def _cross_check(site: SiteSchema, zones: dict[str, Zone]) -> list[SiteProblem]:
    problems = []
    seen: set[str] = set()
    for i, sensor in enumerate(site.sensors):
        if sensor.id in seen:
            problems.append(SiteProblem(SITE_FILE, f"sensors[{i}].id", f"duplicate {sensor.id!r}"))
        seen.add(sensor.id)
        for attr in ("zone", "opposite_zone"):
            ref = getattr(sensor, attr)
            if ref is not None and zones and ref not in zones:
                problems.append(
                    SiteProblem(
                        SITE_FILE,
                        f"sensors[{i}].{attr}",
                        f"unknown zone {ref!r}; expected one of the ids in {ZONES_FILE}",
                    )
                )
    return problems


def validate_site_dir(folder: Path | str) -> tuple[Site | None, list[SiteProblem]]:
    """Validate a site folder; returns the site (if usable) and every problem found."""
    folder = Path(folder)
    if not folder.is_dir():
        return None, [SiteProblem(str(folder), "", "not a directory")]
    raw_site, problems = _read_yaml(folder / SITE_FILE)
    site_schema: SiteSchema | None = None
    if raw_site is not None:
        if not isinstance(raw_site, dict):
            problems.append(SiteProblem(SITE_FILE, "", "expected a mapping at the top level"))
        else:
            try:
                site_schema = SiteSchema.model_validate(raw_site)
            except ValidationError as exc:
                problems += pydantic_problems(SITE_FILE, "", exc)
    raw_zones, zone_read_problems = _read_json(folder / ZONES_FILE)
    problems += zone_read_problems
    zones: dict[str, Zone] = {}
    if raw_zones is not None:
        zones, zone_problems = _parse_zones(raw_zones, site_schema)
        problems += zone_problems
    if site_schema is not None:
        problems += _cross_check(site_schema, zones)
    if problems or site_schema is None:
        return None, problems
    sensors = {s.id: s for s in site_schema.sensors}
    site = Site(folder=folder, config=site_schema, zones=zones, sensors=sensors)
    for entry in SECTION_VALIDATORS:
        problems += resolve(entry)(site)
    return (None, problems) if problems else (site, [])


def load_site(folder: Path | str) -> Site:
    """Load a site folder or raise SiteConfigError listing every problem."""
    site, problems = validate_site_dir(folder)
    if site is None:
        raise SiteConfigError(problems)
    return site
