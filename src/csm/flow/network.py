"""The flow network of a site: zones as cells (walkable area, travel length), links between
zones whose polygons touch or whose walking-network lines meet, and the entry points (tram stops,
garages, roads) through which visitors arrive and leave.

Geometry is measured in metres in the Dutch RD New projection (EPSG:28992) by default; sites
elsewhere pass their own metric CRS.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform

from csm.extensions import GARAGE_ZONES, resolve
from csm.flow.overrides import load_overrides
from csm.site.files import NETWORK_FILE, read_geojson
from csm.site.loader import SiteConfigError
from csm.site.model import Site

METRIC_CRS = "EPSG:28992"
TOUCH_TOLERANCE_M = 3.0  # polygons closer than this share a border (digitising gaps)
MIN_LINK_WIDTH_M = 2.0
MAX_LINK_WIDTH_M = 40.0
NETWORK_LINK_WIDTH_M = 6.0  # zones joined only by a walking-network line: a street's walkway
MIN_TRAVEL_LENGTH_M = 10.0


@dataclass(frozen=True, slots=True)
class Link:
    a: int
    b: int
    width_m: float
    length_m: float
    via: str  # border | network | nearest | flow.yaml


@dataclass(frozen=True)
class FlowNetwork:
    """Cells and undirected links; arrays are indexed by position in `zone_ids`."""

    zone_ids: tuple[str, ...]
    area_m2: NDArray[np.float64]
    travel_length_m: NDArray[np.float64]
    kinds: tuple[str, ...]
    links: tuple[Link, ...]
    centre_xy: NDArray[np.float64]  # metres, in the network's metric CRS
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # mode → entry zones
    mode_shares: dict[str, float] | None = None  # the site's own modal split (flow.yaml)

    def index(self, zone_id: str) -> int:
        return self.zone_ids.index(zone_id)

    def link_between(self, a: str, b: str) -> Link | None:
        ia, ib = self.index(a), self.index(b)
        return next((lk for lk in self.links if {lk.a, lk.b} == {ia, ib}), None)

    def without_links(self, pairs: Iterable[tuple[str, str]]) -> FlowNetwork:
        """The network with the links between these zone pairs closed."""
        closed = {frozenset((self.index(a), self.index(b))) for a, b in pairs}
        return replace(self, links=tuple(lk for lk in self.links if frozenset((lk.a, lk.b)) not in closed))


def _projector(crs: str) -> Transformer:
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _travel_length(poly: BaseGeometry) -> float:
    """Mean walking distance inside a zone: half the long side of its minimum rotated rectangle."""
    rect = poly.minimum_rotated_rectangle
    coords = np.asarray(rect.exterior.coords)
    sides = np.hypot(*np.diff(coords, axis=0).T)
    return max(MIN_TRAVEL_LENGTH_M, float(sides.max()) / 2.0)


def _border_width(a: BaseGeometry, b: BaseGeometry, walkable_share: float) -> float | None:
    if a.distance(b) > TOUCH_TOLERANCE_M:
        return None
    seam = a.buffer(TOUCH_TOLERANCE_M).intersection(b.buffer(TOUCH_TOLERANCE_M))
    if seam.is_empty:
        return None
    coords = np.asarray(seam.minimum_rotated_rectangle.exterior.coords)
    border = float(np.hypot(*np.diff(coords, axis=0).T).max())
    return float(np.clip(border * walkable_share, MIN_LINK_WIDTH_M, MAX_LINK_WIDTH_M))


def _network_pairs(geojson: Mapping[str, Any], zone_ids: set[str]) -> set[frozenset[str]]:
    """Zone pairs whose walkable network lines share a vertex (directly or through untagged lines)."""
    zones_at: dict[tuple[float, float], set[str]] = {}
    for feature in geojson.get("features", []):
        props = feature.get("properties") or {}
        if props.get("mode", "both") not in ("walk", "both"):
            continue
        zone = props.get("zone")
        if zone not in zone_ids:
            continue
        for c in feature["geometry"]["coordinates"]:
            zones_at.setdefault((round(c[0], 6), round(c[1], 6)), set()).add(zone)
    pairs: set[frozenset[str]] = set()
    for zones in zones_at.values():
        pairs |= {frozenset(p) for p in itertools.combinations(sorted(zones), 2)}
    return pairs


def _road_entries(geojson: Mapping[str, Any], zone_ids: set[str]) -> set[str]:
    """Zones reached from the road network: their lines share a vertex with a drive-only road."""
    road_nodes: set[tuple[float, float]] = set()
    zone_nodes: dict[tuple[float, float], set[str]] = {}
    for feature in geojson.get("features", []):
        props = feature.get("properties") or {}
        nodes = [(round(c[0], 6), round(c[1], 6)) for c in feature["geometry"]["coordinates"]]
        if props.get("mode") == "drive" and props.get("zone") is None:
            road_nodes.update(nodes)
        elif props.get("zone") in zone_ids:
            for n in nodes:
                zone_nodes.setdefault(n, set()).add(props["zone"])
    return {z for n in road_nodes for z in zone_nodes.get(n, ())}


def garage_entries(site: Site) -> dict[str, str]:
    """Garage id → the zone its pedestrian exit opens into (the first zone site.yaml lists for it)."""
    found: dict[str, str] = {}
    for entry in GARAGE_ZONES:  # the covariate seam: whichever connectors describe garages
        for garage, zones in resolve(entry)(site).items():
            known = [z for z in zones if z in site.zones]
            if known:
                found.setdefault(garage, known[0])
    return found


def network_from_site(site: Site, crs: str = METRIC_CRS) -> FlowNetwork:
    """Cells from zones.geojson, links from touching polygons and network.geojson."""
    project = _projector(crs)
    ids = tuple(site.zones)
    polys = [transform(project.transform, shape(site.zones[z].geometry)) for z in ids]
    area = np.array([site.zones[z].walkable_area_m2 for z in ids], dtype=float)
    share = np.clip(area / np.array([max(p.area, 1.0) for p in polys]), 0.05, 1.0)
    travel = np.array([_travel_length(p) for p in polys])
    mean_width = area / (2.0 * travel)  # a link is never wider than the zones it joins
    links: list[Link] = []
    joined: set[frozenset[int]] = set()
    for i, j in itertools.combinations(range(len(ids)), 2):
        width = _border_width(polys[i], polys[j], float(min(share[i], share[j])))
        if width is not None:
            width = max(MIN_LINK_WIDTH_M, min(width, float(mean_width[i]), float(mean_width[j])))
            links.append(Link(i, j, width, _centre_distance(polys[i], polys[j]), "border"))
            joined.add(frozenset((i, j)))
    network = read_geojson(site.optional_file(NETWORK_FILE))
    for pair in sorted(_network_pairs(network, set(ids)), key=sorted):
        a, b = sorted(pair)
        i, j = ids.index(a), ids.index(b)
        if frozenset((i, j)) not in joined:
            links.append(Link(i, j, NETWORK_LINK_WIDTH_M, _centre_distance(polys[i], polys[j]), "network"))
            joined.add(frozenset((i, j)))
    overrides, problems = load_overrides(site)
    if problems:
        raise SiteConfigError(problems)
    cut = {frozenset((ids.index(a), ids.index(b))) for a, b in overrides.not_connected}
    links = [lk for lk in links if frozenset((lk.a, lk.b)) not in cut]
    for override in overrides.links:
        i, j = sorted((ids.index(override.between[0]), ids.index(override.between[1])))
        links = [lk for lk in links if (lk.a, lk.b) != (i, j)]
        links.append(Link(i, j, override.width_m, _centre_distance(polys[i], polys[j]), "flow.yaml"))
    links += _bridge_components(polys, links)
    kinds = tuple(site.zones[z].kind for z in ids)
    sources = {
        "tram": tuple(z for z in ids if site.zones[z].kind == "tram_stop"),
        "garage": tuple(dict.fromkeys(garage_entries(site).values())),
        "road": tuple(z for z in ids if z in _road_entries(network, set(ids))),
    }
    if not any(sources.values()):  # no stops, garages or roads known: people walk in anywhere
        sources["road"] = ids
    return FlowNetwork(
        zone_ids=ids,
        area_m2=area,
        travel_length_m=travel,
        kinds=kinds,
        links=tuple(links),
        centre_xy=np.array([[p.representative_point().x, p.representative_point().y] for p in polys]),
        sources={mode: zones for mode, zones in sources.items() if zones},
        mode_shares=overrides.mode_shares,
    )


def _centre_distance(a: BaseGeometry, b: BaseGeometry) -> float:
    return float(a.representative_point().distance(b.representative_point()))


def _components(count: int, links: list[Link]) -> list[set[int]]:
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for lk in links:
        parent[root(lk.a)] = root(lk.b)
    groups: dict[int, set[int]] = {}
    for i in range(count):
        groups.setdefault(root(i), set()).add(i)
    return list(groups.values())


def _bridge_components(polys: list[BaseGeometry], links: list[Link]) -> list[Link]:
    """Zones that neither touch nor share a network line (a tram stop across the street) are joined
    to the nearest zone of the rest, one street crossing at a time, until the site is connected."""
    added: list[Link] = []
    while len(groups := _components(len(polys), links + added)) > 1:
        smallest = min(groups, key=len)
        rest = set(range(len(polys))) - smallest
        i, j = min(((a, b) for a in smallest for b in rest), key=lambda p: polys[p[0]].distance(polys[p[1]]))
        added.append(Link(min(i, j), max(i, j), NETWORK_LINK_WIDTH_M, _centre_distance(polys[i], polys[j]), "nearest"))
    return added


def grid_network(rows: int, cols: int, cell_m: float = 100.0, width_m: float = 10.0,
                 entries: int = 4) -> FlowNetwork:
    """A rows × cols grid of square zones with links of one width: for benchmarks and tests
    of the model on sites of any size. The first `entries` cells on the border take arrivals."""
    ids = tuple(f"z{r:02d}-{c:02d}" for r in range(rows) for c in range(cols))
    links = []
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            if c + 1 < cols:
                links.append(Link(i, i + 1, width_m, cell_m, "border"))
            if r + 1 < rows:
                links.append(Link(i, i + cols, width_m, cell_m, "border"))
    border = [i for i in range(rows * cols) if i // cols in (0, rows - 1) or i % cols in (0, cols - 1)]
    step = max(1, len(border) // max(entries, 1))
    chosen = tuple(ids[i] for i in border[::step][:entries])
    return FlowNetwork(
        zone_ids=ids,
        area_m2=np.full(rows * cols, cell_m * cell_m),
        travel_length_m=np.full(rows * cols, cell_m / 2),
        kinds=tuple("area" for _ in ids),
        links=tuple(links),
        centre_xy=np.array([[(i % cols) * cell_m, (i // cols) * cell_m] for i in range(rows * cols)], dtype=float),
        sources={"road": chosen},
        mode_shares={"road": 1.0},
    )
