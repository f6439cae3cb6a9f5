"""The walkable polygon of a zone in metres (EPSG:28992) and its doors, placed where the flow
network says people leave the zone: towards each neighbour, as wide as that link."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, substring, transform, unary_union

from csm.flow.network import METRIC_CRS, FlowNetwork
from csm.site.model import Site

EXIT_DEPTH_M = 0.5
CORRIDOR_M = 2.0  # length of the passage through a door, out to the exit stage
OVERLAP_M = 0.05  # corridors reach this far into the square, so the union is one polygon
MIN_EXIT_WIDTH_M = 1.0
MAX_EDGE_SHARE = 0.8  # a door takes at most this share of its wall


@dataclass(frozen=True)
class Exit:
    id: str  # the neighbouring zone people leave towards
    width_m: float
    line: LineString  # the door in the boundary, metres
    area: Polygon  # the exit stage, at the end of the corridor through the door
    corridor: Polygon


@dataclass(frozen=True)
class Square:
    zone_id: str
    polygon: Polygon  # metres
    exits: tuple[Exit, ...]
    to_metric: Transformer
    to_wgs84: Transformer

    @property
    def walkable(self) -> Polygon:
        """The square and the corridors through its doors: the geometry JuPedSim walks on."""
        joined = unary_union([self.polygon, *(e.corridor for e in self.exits)])
        if not isinstance(joined, Polygon):
            raise ValueError("the square and its door corridors do not form one polygon")
        return joined

    def lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        return transform(self.to_wgs84.transform, geom)


def _door_on_boundary(polygon: Polygon, towards: BaseGeometry, width: float) -> Exit:
    """A door of `width` in the boundary edge closest to `towards` (kept within that one edge),
    a short corridor through it, and the exit stage at the corridor's far end: people must pass
    the door's width, as through a real opening, before they count as out."""
    coords = list(polygon.exterior.coords)
    edges = [LineString(pair) for pair in itertools.pairwise(coords)]
    edge = min(edges, key=lambda e: e.distance(towards))
    at = edge.project(nearest_points(edge, towards)[0])
    half = min(width, MAX_EDGE_SHARE * edge.length) / 2
    at = min(max(at, half), edge.length - half)
    door = substring(edge, at - half, at + half)
    (x1, y1), (x2, y2) = door.coords[0], door.coords[-1]
    length = max(float(np.hypot(x2 - x1, y2 - y1)), 1e-9)
    nx, ny = (y2 - y1) / length, -(x2 - x1) / length
    mid = door.interpolate(0.5, normalized=True)
    if polygon.contains(Point(mid.x + nx * 0.5, mid.y + ny * 0.5)):
        nx, ny = -nx, -ny  # point outwards

    def band(near: float, far: float) -> Polygon:
        return Polygon([(x1 + nx * near, y1 + ny * near), (x2 + nx * near, y2 + ny * near),
                        (x2 + nx * far, y2 + ny * far), (x1 + nx * far, y1 + ny * far)])

    corridor = band(-OVERLAP_M, CORRIDOR_M)
    stage = band(CORRIDOR_M - EXIT_DEPTH_M, CORRIDOR_M)
    return Exit("", door.length, door, stage, corridor)


def square_of(site: Site, network: FlowNetwork, zone_id: str, crs: str = METRIC_CRS) -> Square:
    """The zone's polygon and one exit per flow-network neighbour."""
    to_metric = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_wgs84 = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    polygon = transform(to_metric.transform, shape(site.zones[zone_id].geometry)).simplify(0.2)
    if not isinstance(polygon, Polygon):
        raise ValueError(f"zone {zone_id!r} is not a single polygon")
    index = network.index(zone_id)
    exits = []
    for link in network.links:
        if index not in (link.a, link.b):
            continue
        other = network.zone_ids[link.b if link.a == index else link.a]
        target = transform(to_metric.transform, shape(site.zones[other].geometry))
        door = _door_on_boundary(polygon, target, max(link.width_m, MIN_EXIT_WIDTH_M))
        exits.append(replace(door, id=other))
    if not exits:
        raise ValueError(f"zone {zone_id!r} has no neighbours to leave towards")
    return Square(zone_id, polygon, tuple(exits), to_metric, to_wgs84)


def box_square(width_m: float, depth_m: float, exit_width_m: float) -> Square:
    """A rectangular room with one exit in the middle of one wall: bottleneck experiments, tests."""
    polygon = Polygon([(0, 0), (width_m, 0), (width_m, depth_m), (0, depth_m)])
    door = _door_on_boundary(polygon, Point(width_m / 2, depth_m + 10), exit_width_m)
    identity = Transformer.from_crs(METRIC_CRS, METRIC_CRS, always_xy=True)
    return Square("box", polygon, (replace(door, id="door"),), identity, identity)
