"""Build an offline basemap: GeoJSON layers (a site's context layer, its buildings) → vector
tiles → one PMTiles archive the API serves with range requests. For a city's own basemap
extract see docs/dashboard.md (go-pmtiles `extract` from an open planet build)."""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from shapely.affinity import affine_transform
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

from csm.site.mvt import EXTENT, TileLayer, encode_tile

BUFFER = 64  # tile units around each tile, so lines and fills join without seams


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    """Lon/lat → world coordinates in [0, 1) (y down), as tiles address them."""
    x = (lon + 180.0) / 360.0
    sin = math.sin(math.radians(max(min(lat, 85.0511), -85.0511)))
    y = 0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)
    return x, y


def _world(geom: BaseGeometry) -> BaseGeometry:
    def project(xs: Any, ys: Any, zs: Any = None) -> tuple[list[float], list[float]]:
        pairs = [_mercator(x, y) for x, y in zip(xs, ys, strict=True)]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    return transform(project, geom)


def _tiles_covering(bounds: tuple[float, float, float, float], zoom: int) -> Iterator[tuple[int, int]]:
    n = 2**zoom
    minx, miny, maxx, maxy = bounds
    for x in range(max(int(minx * n), 0), min(int(maxx * n), n - 1) + 1):
        for y in range(max(int(miny * n), 0), min(int(maxy * n), n - 1) + 1):
            yield x, y


def build_pmtiles(
    layers: Mapping[str, dict[str, Any]], out: Path, min_zoom: int = 12, max_zoom: int = 16,
    attribution: str = "",
) -> int:
    """Write `out` with one vector layer per GeoJSON collection; returns the number of tiles."""
    prepared: dict[str, list[tuple[BaseGeometry, dict[str, Any]]]] = {}
    lons: list[float] = []
    lats: list[float] = []
    for name, collection in layers.items():
        items = []
        for feature in collection.get("features", []):
            if not feature.get("geometry"):
                continue
            geom = shape(feature["geometry"])
            if geom.is_empty:
                continue
            minx, miny, maxx, maxy = geom.bounds
            lons += [minx, maxx]
            lats += [miny, maxy]
            items.append((_world(geom), feature.get("properties") or {}))
        prepared[name] = items
    if not lons:
        raise ValueError("no features to tile")
    world_bounds = (*_mercator(min(lons), max(lats)), *_mercator(max(lons), min(lats)))
    tiles: dict[int, bytes] = {}
    for z in range(min_zoom, max_zoom + 1):
        n = 2**z
        for x, y in _tiles_covering(world_bounds, z):
            pad = BUFFER / EXTENT
            clip = box((x - pad) / n, (y - pad) / n, (x + 1 + pad) / n, (y + 1 + pad) / n)
            tile_layers = []
            for name, items in prepared.items():
                layer = TileLayer(name)
                for geom, props in items:
                    if not geom.intersects(clip):
                        continue
                    part = geom.intersection(clip)
                    if part.is_empty:
                        continue
                    scale = n * EXTENT  # world → this tile's 0..4096 grid
                    local = affine_transform(part, [scale, 0, 0, scale, -x * EXTENT, -y * EXTENT])
                    layer.features.append((local, props))
                tile_layers.append(layer)
            data = encode_tile(tile_layers)
            if data:
                tiles[zxy_to_tileid(z, x, y)] = gzip.compress(data, mtime=0)
    with out.open("wb") as handle:
        writer = Writer(handle)
        for tile_id in sorted(tiles):
            writer.write_tile(tile_id, tiles[tile_id])
        e7 = 10_000_000
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_lon_e7": int(min(lons) * e7), "min_lat_e7": int(min(lats) * e7),
                "max_lon_e7": int(max(lons) * e7), "max_lat_e7": int(max(lats) * e7),
                "center_zoom": min_zoom + 2,
                "center_lon_e7": int((min(lons) + max(lons)) / 2 * e7),
                "center_lat_e7": int((min(lats) + max(lats)) / 2 * e7),
            },
            {
                "name": out.stem, "attribution": attribution, "format": "pbf",
                "vector_layers": [{"id": name, "fields": {}} for name in layers],
            },
        )
    return len(tiles)


def read_collection(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
