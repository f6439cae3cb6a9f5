"""The walkable polygon of a zone in metres (EPSG:28992) and its exits, placed where the flow
network says people leave the zone: towards each neighbour, as wide as that link."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, substring, transform

from csm.flow.network import METRIC_CRS, FlowNetwork
from csm.site.model import Site

EXIT_DEPTH_M = 1.0
MIN_EXIT_WIDTH_M = 1.0
MAX_EDGE_SHARE = 0.8  # a door takes at most this share of its wall


@dataclass(frozen=True)
class Exit:
    id: str  # the neighbouring zone people leave towards
    width_m: float
    line: LineString  # on the boundary, metres
    area: Polygon  # the exit stage: a strip inside the boundary


@dataclass(frozen=True)
class Square:
    zone_id: str
    polygon: Polygon  # metres
    exits: tuple[Exit, ...]
    to_metric: Transformer
    to_wgs84: Transformer

    def lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        return transform(self.to_wgs84.transform, geom)


def _exit_on_boundary(polygon: Polygon, towards: BaseGeometry, width: float) -> tuple[LineString, Polygon]:
    """A door of `width` on the boundary edge closest to `towards`, kept within that one edge so
    its exit stage stays convex (JuPedSim needs that)."""
    coords = list(polygon.exterior.coords)
    edges = [LineString(pair) for pair in itertools.pairwise(coords)]
    edge = min(edges, key=lambda e: e.distance(towards))
    at = edge.project(nearest_points(edge, towards)[0])
    half = min(width, MAX_EDGE_SHARE * edge.length) / 2
    at = min(max(at, half), edge.length - half)
    line = substring(edge, at - half, at + half)
    strip = line.buffer(EXIT_DEPTH_M, cap_style="flat").intersection(polygon).convex_hull
    if not isinstance(strip, Polygon):
        raise ValueError("exit strip is degenerate")
    return line, strip


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
        line, strip = _exit_on_boundary(polygon, target, max(link.width_m, MIN_EXIT_WIDTH_M))
        exits.append(Exit(other, line.length, line, strip))
    if not exits:
        raise ValueError(f"zone {zone_id!r} has no neighbours to leave towards")
    return Square(zone_id, polygon, tuple(exits), to_metric, to_wgs84)


def box_square(width_m: float, depth_m: float, exit_width_m: float) -> Square:
    """A rectangular room with one exit in the middle of one wall: bottleneck experiments, tests."""
    polygon = Polygon([(0, 0), (width_m, 0), (width_m, depth_m), (0, depth_m)])
    towards = Point(width_m / 2, depth_m + 10)
    line, strip = _exit_on_boundary(polygon, towards, exit_width_m)
    identity = Transformer.from_crs(METRIC_CRS, METRIC_CRS, always_xy=True)
    return Square("box", polygon, (Exit("door", line.length, line, strip),), identity, identity)
