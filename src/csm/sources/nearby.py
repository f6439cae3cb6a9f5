"""Which points (stops, measurement sites) lie near a site's zones, in metres.

A local equirectangular projection around the site is exact enough over a few kilometres and
needs no projection library; a bounding box check first keeps national-size inputs cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

from csm.site.model import Site

Projection = Callable[..., tuple[float, float]]


def metric_projection(site: Site) -> Projection:
    """(lon, lat) degrees → (x, y) metres around the site's centre."""
    lon0, lat0 = site.config.center or next(iter(site.zones.values())).centroid
    kx, ky = 111_320 * math.cos(math.radians(lat0)), 110_540

    def project(x: float, y: float, z: float | None = None) -> tuple[float, float]:
        return (x - lon0) * kx, (y - lat0) * ky

    return project


@dataclass(frozen=True)
class ZoneFinder:
    """Zones within `radius_m` of a point, with a degree bounding box to skip far points fast."""

    project: Projection
    zones: dict[str, BaseGeometry]
    radius_m: float
    bbox: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max (with margin)

    def near(self, lat: float, lon: float) -> list[str]:
        lon_min, lat_min, lon_max, lat_max = self.bbox
        if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
            return []
        point = Point(self.project(lon, lat))
        return sorted(zid for zid, poly in self.zones.items() if poly.distance(point) <= self.radius_m)

    def distance_m(self, lat: float, lon: float) -> float:
        """Metres to the nearest zone (0 inside one)."""
        point = Point(self.project(lon, lat))
        return min(poly.distance(point) for poly in self.zones.values())


def zone_finder(site: Site, radius_m: float) -> ZoneFinder:
    project = metric_projection(site)
    shapes = {zid: shape(z.geometry) for zid, z in site.zones.items()}
    lon_min = min(s.bounds[0] for s in shapes.values())
    lat_min = min(s.bounds[1] for s in shapes.values())
    lon_max = max(s.bounds[2] for s in shapes.values())
    lat_max = max(s.bounds[3] for s in shapes.values())
    margin_lat = radius_m / 110_540 * 1.1
    margin_lon = radius_m / (111_320 * math.cos(math.radians((lat_min + lat_max) / 2))) * 1.1
    return ZoneFinder(
        project, {zid: transform(project, s) for zid, s in shapes.items()}, radius_m,
        (lon_min - margin_lon, lat_min - margin_lat, lon_max + margin_lon, lat_max + margin_lat),
    )
