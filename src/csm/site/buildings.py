"""Building footprints with heights for the 3D map, from CityJSON (e.g. 3D BAG tiles, LOD 1.2 or
2.2) or GeoJSON with a height property, reprojected to WGS84 (the site's buildings.geojson).

CityJSON is read with cjio, the field's library; footprints are the 2D union of a building's
faces at the chosen LOD (for 3D BAG LOD 1.2/2.2 solids that is the ground outline), height is the
roof's highest point above the ground (3D BAG's `b3_h_maaiveld` when present, else the lowest
vertex)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cjio import cityjson
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.ops import transform, unary_union

RD_NEW = "EPSG:28992"
_HEIGHT_KEYS = ("height", "hoogte", "b3_h_dak_max", "h_dak_max", "measuredHeight")
_BUILDING_TYPES = {"Building", "BuildingPart"}


@dataclass(frozen=True, slots=True)
class Building:
    id: str
    footprint: Polygon | MultiPolygon  # WGS84 lon/lat
    height_m: float
    source: str

    def feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "id": self.id,
            "geometry": mapping(self.footprint),
            "properties": {"id": self.id, "height": round(self.height_m, 1), "source": self.source},
        }


def _to_wgs84(crs: str) -> Transformer:
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _rings_of(boundaries: Any, depth: int) -> Iterator[list[int]]:
    """Every ring (vertex indices) in a CityJSON boundary array of the given nesting depth."""
    if depth == 1:
        yield boundaries
        return
    for part in boundaries:
        yield from _rings_of(part, depth - 1)


_SURFACE_DEPTH = {"MultiSurface": 2, "CompositeSurface": 2, "Solid": 3, "MultiSolid": 4, "CompositeSolid": 4}


def _pick_geometry(geometries: list[dict[str, Any]], lod: str | None) -> dict[str, Any] | None:
    solids = [g for g in geometries if g.get("type") in _SURFACE_DEPTH]
    if lod is not None:
        solids = [g for g in solids if str(g.get("lod")) == lod]
    # The highest LOD carries the best roof; 3D BAG offers 1.2, 1.3 and 2.2.
    return max(solids, key=lambda g: str(g.get("lod")), default=None)


def _cityobject_outline(
    geometry: dict[str, Any], vertices: list[list[float]]
) -> tuple[Polygon | MultiPolygon, float, float] | None:
    depth = _SURFACE_DEPTH[geometry["type"]] + 1  # + the ring level
    faces = []
    zs: list[float] = []
    for ring in _rings_of(geometry["boundaries"], depth):
        points = [vertices[i] for i in ring]
        zs += [p[2] for p in points]
        if len(points) >= 3:
            face = Polygon([(p[0], p[1]) for p in points])
            if face.is_valid and face.area > 0.01:
                faces.append(face)
    if not faces:
        return None
    outline = unary_union(faces).buffer(0)
    if not isinstance(outline, Polygon | MultiPolygon) or outline.is_empty:
        return None
    return outline, min(zs), max(zs)


def read_cityjson(path: Path, crs: str | None = None, lod: str | None = None) -> list[Building]:
    """Buildings of a CityJSON file: one per top-level Building, its parts merged."""
    with path.open(encoding="utf-8") as handle:
        model = cityjson.CityJSON(file=handle)
    source_crs = crs or (f"EPSG:{model.get_epsg()}" if model.get_epsg() else RD_NEW)
    model.decompress()  # apply `transform`: vertices in the CRS's units
    objects: dict[str, Any] = model.j["CityObjects"]
    vertices: list[list[float]] = model.j["vertices"]
    project = _to_wgs84(source_crs)
    buildings = []
    for oid, obj in objects.items():
        if obj.get("type") != "Building" or obj.get("parents"):
            continue
        children = [objects[c] for c in obj.get("children", []) if c in objects]
        parts = [obj] + [c for c in children if c.get("type") in _BUILDING_TYPES]
        outlines, bottoms, tops = [], [], []
        for part in parts:
            geometry = _pick_geometry(part.get("geometry", []), lod)
            found = _cityobject_outline(geometry, vertices) if geometry else None
            if found:
                outlines.append(found[0])
                bottoms.append(found[1])
                tops.append(found[2])
        if not outlines:
            continue
        attributes = obj.get("attributes", {})
        ground = attributes.get("b3_h_maaiveld")
        ground_z = float(ground) if isinstance(ground, int | float) else min(bottoms)
        height = max(tops) - ground_z
        if height <= 0:
            continue
        footprint = transform(project.transform, unary_union(outlines))
        buildings.append(Building(str(attributes.get("identificatie", oid)), footprint, height, path.name))
    return buildings


def _height_of(properties: dict[str, Any], height_property: str | None) -> float | None:
    keys = (height_property,) if height_property else _HEIGHT_KEYS
    for key in keys:
        value = properties.get(key) if key else None
        if isinstance(value, int | float | str):
            try:
                return float(value)
            except ValueError:
                return None
    levels = properties.get("levels") or properties.get("building:levels")
    return float(levels) * 3.0 if isinstance(levels, int | float) else None


def read_geojson(path: Path, crs: str | None = None, height_property: str | None = None) -> list[Building]:
    """Polygon features with a height (m) property; coordinates in `crs` (default: the file's
    `crs` member, else WGS84; RD New files say EPSG:28992)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    named = ((data.get("crs") or {}).get("properties") or {}).get("name", "")
    source_crs = crs or ("EPSG:28992" if "28992" in named else "EPSG:4326")
    project = _to_wgs84(source_crs) if source_crs != "EPSG:4326" else None
    buildings = []
    for i, feature in enumerate(data.get("features", [])):
        geometry = feature.get("geometry") or {}
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        properties = feature.get("properties") or {}
        height = _height_of(properties, height_property)
        if height is None or height <= 0:
            continue
        footprint = shape(geometry)
        if project is not None:
            footprint = transform(project.transform, footprint)
        bid = str(feature.get("id") or properties.get("id") or f"{path.stem}-{i}")
        buildings.append(Building(bid, footprint, height, path.name))
    return buildings


def read_buildings(path: Path, crs: str | None = None, height_property: str | None = None) -> list[Building]:
    """CityJSON (`.city.json`, `.json` with "type": "CityJSON") or GeoJSON, by content."""
    with path.open(encoding="utf-8") as handle:
        head = handle.read(4096)
    if '"CityJSON"' in head:
        return read_cityjson(path, crs)
    return read_geojson(path, crs, height_property)


def write_buildings(
    site_folder: Path, buildings: list[Building], provenance: str, append: bool = False
) -> tuple[Path, int]:
    """Write (or extend, without duplicate ids) the site's buildings.geojson; returns the count."""
    target = site_folder / "buildings.geojson"
    features = [b.feature() for b in buildings]
    if append and target.is_file():
        existing = json.loads(target.read_text(encoding="utf-8")).get("features", [])
        new_ids = {f["id"] for f in features}
        features = [f for f in existing if f.get("id") not in new_ids] + features
    document = {"type": "FeatureCollection", "name": "buildings", "provenance": provenance, "features": features}
    target.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
    return target, len(features)
