"""Regenerate sites/scheveningen/zones.geojson from a coast-aligned layout (metres).

The boulevard at Scheveningen runs about 40° east of north, with the sea to the north-west.
Zones are laid out in a local frame: u along the coast (north-east positive), v towards the sea,
origin on the boulevard in front of the Kurhaus (52.1125 N, 4.2757 E), then projected to WGS84
through Dutch RD New (EPSG:28992). Walkable area = polygon area × the share people can use.
Run: python tools/make_scheveningen_zones.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pyproj import Transformer
from shapely.geometry import Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform, unary_union

ORIGIN = (4.2757, 52.1125)  # lon, lat
COAST_BEARING_DEG = 40.0
TO_RD = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
TO_WGS = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
OX, OY = TO_RD.transform(*ORIGIN)
_B = math.radians(COAST_BEARING_DEG)
U_AXIS = (math.sin(_B), math.cos(_B))  # east, north
V_AXIS = (-math.cos(_B), math.sin(_B))  # towards the sea (north-west)


def rect(u0: float, u1: float, v0: float, v1: float) -> Polygon:
    return Polygon([(u0, v0), (u1, v0), (u1, v1), (u0, v1)])


def _local_to_wgs(u: float, v: float) -> tuple[float, float]:
    x = OX + u * U_AXIS[0] + v * V_AXIS[0]
    y = OY + u * U_AXIS[1] + v * V_AXIS[1]
    lon, lat = TO_WGS.transform(x, y)
    return round(lon, 6), round(lat, 6)


def to_wgs(geom: BaseGeometry) -> BaseGeometry:
    return transform(lambda u, v, z=None: _local_to_wgs(u, v), geom)


PIER = unary_union([rect(310, 340, 35, 380), rect(285, 365, 380, 445)])

# id, name, kind, local polygon, walkable share, extra properties
ZONES: list[tuple[str, str, str, BaseGeometry, float, dict[str, object]]] = [
    ("boulevard-haven", "Boulevard Zuid (haven)", "boulevard", rect(-1500, -1000, 0, 30), 0.7, {}),
    ("boulevard-oude-dorp", "Boulevard Oude Dorp", "boulevard", rect(-1000, -500, 0, 35), 0.7, {}),
    ("boulevard-midden", "Boulevard Midden", "boulevard", rect(-500, -120, 0, 35), 0.7, {}),
    ("boulevard-kurhaus", "Boulevard Kurhaus", "boulevard", rect(-120, 180, 0, 35), 0.7, {}),
    ("boulevard-pier", "Boulevard Pier", "boulevard", rect(180, 480, 0, 35), 0.7, {}),
    ("boulevard-noord", "Boulevard Noord", "boulevard", rect(480, 1000, 0, 30), 0.7, {}),
    ("strandopgang-zuid", "Strandopgang Zuid", "beach_entrance", rect(-760, -730, 35, 50), 0.9, {}),
    ("strandopgang-kurhaus", "Strandopgang Kurhaus", "beach_entrance", rect(-15, 15, 35, 50), 0.9, {}),
    ("strandopgang-noord", "Strandopgang Noord", "beach_entrance", rect(700, 730, 30, 50), 0.9, {}),
    ("strand-zuid", "Strand Zuid", "beach", rect(-1300, -400, 50, 190), 0.85, {}),
    ("strand-kurhaus", "Strand Kurhaus", "beach", rect(-400, 200, 50, 190), 0.85, {}),
    ("strand-noord", "Strand Noord", "beach", rect(200, 1000, 50, 190).difference(PIER), 0.85, {}),
    ("pier", "De Pier", "pier", PIER, 0.6, {}),
    ("gevers-deynootplein", "Gevers Deynootplein", "square", rect(-60, 90, -230, -110), 0.8, {}),
    ("tramhalte-kurhaus", "Tramhalte Kurhaus (lijn 1, 9)", "tram_stop", rect(100, 160, -262, -237), 0.7, {}),
    ("keizerstraat", "Keizerstraat", "street", rect(-1050, -450, -330, -315), 0.6, {}),
    ("tramhalte-haven", "Tramhalte Scheveningen Haven (lijn 11)", "tram_stop", rect(-1450, -1400, -185, -160), 0.7, {}),
    ("haven", "Haven (Dr. Lelykade)", "harbour", rect(-1900, -1550, -120, -20), 0.5, {}),
]

# Beaches hold sitting and lying visitors: crowding starts at far lower densities than on a
# walkway (a towel and some space take 3–6 m² per person), so they get their own thresholds.
BEACH_THRESHOLDS = {"yellow": 0.12, "orange": 0.2, "red": 0.3}


def build() -> dict[str, object]:
    features = []
    for zone_id, name, kind, local, share, extra in ZONES:
        walkable = round(local.area * share)
        props: dict[str, object] = {"id": zone_id, "name": name, "kind": kind,
                                    "walkable_area_m2": walkable, **extra}
        if kind == "beach":
            props["thresholds"] = BEACH_THRESHOLDS
            props["capacity"] = round(walkable * BEACH_THRESHOLDS["red"])
            props["group"] = "beach"
        elif kind == "boulevard":
            props["group"] = "boulevard"
        features.append({"type": "Feature", "id": zone_id, "properties": props,
                         "geometry": mapping(to_wgs(local))})
    return {"type": "FeatureCollection", "features": features}


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "sites" / "scheveningen" / "zones.geojson"
    out.write_text(json.dumps(build(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
