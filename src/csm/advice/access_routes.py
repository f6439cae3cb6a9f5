"""Access routes for emergency services that avoid red zones, on the site's own network.

`network.geojson`: LineStrings with {id, name, mode: walk|drive|both, zone?}; lines connect where
they share a vertex. `posts.geojson`: Points with {id, name, service}. Ambulance, police and fire
drive; first-aid posts walk. An edge through a red zone is forbidden (except in the zone the route
must reach), through an orange zone it counts `orange_penalty` times its length.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
from pyproj import Geod

from csm.domain.model import Level

_GEOD = Geod(ellps="WGS84")
Mode = Literal["walk", "drive"]
Node = tuple[float, float]
MODE_OF_SERVICE: dict[str, Mode] = {"ambulance": "drive", "police": "drive", "fire": "drive", "first_aid": "walk"}


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    name: str
    service: str
    lon: float
    lat: float

    @property
    def mode(self) -> Mode:
        return MODE_OF_SERVICE.get(self.service, "drive")


@dataclass(frozen=True, slots=True)
class Route:
    post_id: str
    zone_id: str
    mode: Mode
    coordinates: list[Node]
    length_m: float
    cost_m: float
    zones_passed: list[str]
    avoided: list[str]
    penalised: list[str]

    def feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in self.coordinates]},
            "properties": {
                "post": self.post_id, "zone": self.zone_id, "mode": self.mode,
                "length_m": round(self.length_m), "zones_passed": self.zones_passed,
                "avoided_red_zones": self.avoided, "penalised_orange_zones": self.penalised,
            },
        }


def _node(coord: list[float]) -> Node:
    return (round(float(coord[0]), 6), round(float(coord[1]), 6))


def _distance_m(a: Node, b: Node) -> float:
    return float(_GEOD.inv(a[0], a[1], b[0], b[1])[2])


def build_network(geojson: Mapping[str, Any]) -> nx.Graph:
    """One edge per segment of every line; nodes are vertices rounded to 6 decimals (~0.1 m)."""
    graph = nx.Graph()
    for feature in geojson.get("features", []):
        props = feature.get("properties") or {}
        coords = [_node(c) for c in feature["geometry"]["coordinates"]]
        for a, b in itertools.pairwise(coords):
            graph.add_edge(a, b, id=props.get("id"), name=props.get("name"), mode=props.get("mode", "both"),
                           zone=props.get("zone"), length=_distance_m(a, b))
    return graph


def load_posts(geojson: Mapping[str, Any]) -> dict[str, Post]:
    posts = {}
    for feature in geojson.get("features", []):
        p = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
        posts[p["id"]] = Post(p["id"], p.get("name", p["id"]), p.get("service", "ambulance"), lon, lat)
    return posts


def _usable(graph: nx.Graph, mode: Mode, levels: Mapping[str, Level], target_zone: str,
            orange_penalty: float) -> nx.Graph:
    usable = nx.Graph()
    for a, b, data in graph.edges(data=True):
        zone = data.get("zone")
        if data["mode"] not in (mode, "both"):
            continue
        level = levels.get(zone, Level.UNKNOWN) if zone else Level.UNKNOWN
        if zone != target_zone and level is Level.RED:
            continue
        factor = orange_penalty if zone != target_zone and level is Level.ORANGE else 1.0
        usable.add_edge(a, b, **data, cost=data["length"] * factor)
    return usable


def _nearest(graph: nx.Graph, point: Node) -> Node | None:
    nodes = list(graph.nodes)
    return min(nodes, key=lambda n: _distance_m(n, point)) if nodes else None


def access_route(
    graph: nx.Graph,
    post: Post,
    zone_id: str,
    target: Node,
    levels: Mapping[str, Level],
    orange_penalty: float = 3.0,
) -> Route | None:
    """Cheapest route from a post to a zone over edges of the post's mode, avoiding red zones;
    None when every way in passes a red zone (the caller says so rather than route through one)."""
    usable = _usable(graph, post.mode, levels, zone_id, orange_penalty)
    source, sink = _nearest(usable, (post.lon, post.lat)), _nearest(usable, target)
    if source is None or sink is None:
        return None
    try:
        path = nx.shortest_path(usable, source, sink, weight="cost")
    except nx.NetworkXNoPath:
        return None
    edges = [usable.edges[a, b] for a, b in itertools.pairwise(path)]
    passed = list(dict.fromkeys(e["zone"] for e in edges if e.get("zone")))
    network_zones = {d.get("zone") for _, _, d in graph.edges(data=True)}
    return Route(
        post_id=post.id,
        zone_id=zone_id,
        mode=post.mode,
        coordinates=[(post.lon, post.lat), *path, target],
        length_m=sum(e["length"] for e in edges),
        cost_m=sum(e["cost"] for e in edges),
        zones_passed=passed,
        avoided=sorted(z for z in network_zones if z and z != zone_id and levels.get(z) is Level.RED),
        penalised=[z for z in passed if z != zone_id and levels.get(z) is Level.ORANGE],
    )
