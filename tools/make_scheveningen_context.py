"""Regenerate the demo's map context (sites/scheveningen/context.geojson) and its buildings
(sites/scheveningen/buildings.geojson), digitised by hand in the same coast-aligned frame as the
zones (tools/make_scheveningen_zones.py: u along the coast to the north-east, v towards the sea,
metres, origin on the boulevard in front of the Kurhaus). See sites/scheveningen/PROVENANCE.md for
sources and accuracy: this is a schematic of the real place, not a survey.
Run: python tools/make_scheveningen_context.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_scheveningen_zones import PIER, rect, to_wgs  # the zones' own frame

SITE = Path(__file__).resolve().parent.parent / "sites" / "scheveningen"


def line(*points: tuple[float, float]) -> LineString:
    return LineString(points)


# kind, name, local geometry. Kinds are the basemap's layers (csm.site.basemap.CONTEXT_KINDS).
CONTEXT: list[tuple[str, str, BaseGeometry]] = [
    ("sea", "Noordzee", Polygon([(-4200, 190), (4200, 190), (4200, 3200), (-4200, 3200)])),
    ("beach", "Strand Zuid", rect(-1480, -400, 35, 190)),
    ("beach", "Strand", rect(-400, 1000, 35, 190)),
    ("beach", "Strand Noord", rect(1000, 4200, 20, 190)),
    ("beach", "Zuiderstrand", rect(-4200, -2450, 20, 190)),
    ("dunes", "Oostduinen", Polygon([(1000, -60), (4200, -60), (4200, 20), (1000, 20), (1000, -60)]).union(
        rect(1150, 4200, -900, -60))),
    ("dunes", "Westduinen", rect(-4200, -2450, -700, 20)),
    ("park", "Scheveningse Bosjes", rect(-600, 300, -1700, -1050)),
    ("boulevard", "Boulevard (Strandweg)", rect(-1550, 1000, 0, 35)),
    ("harbour", "Tweede Haven", rect(-2300, -1600, -420, -130)),
    ("harbour", "Havenmond", rect(-2400, -2300, -420, 190)),
    ("harbour", "Havenhoofd", rect(-2470, -2440, -60, 420)),
    ("harbour", "Havenhoofd", rect(-2250, -2220, -20, 380)),
    ("pier", "De Pier", PIER),
    ("street", "Gevers Deynootweg", line((-700, -330), (-120, -240), (100, -250), (700, -300), (1100, -320))),
    ("street", "Zwolsestraat", line((100, -250), (300, -700), (500, -1300))),
    ("street", "Scheveningseweg", line((-60, -240), (-150, -800), (-300, -1800))),
    ("street", "Badhuisweg", line((-700, -330), (-900, -900), (-1000, -1500))),
    ("street", "Keizerstraat", line((-1450, -322), (-1050, -322), (-450, -322), (-120, -300))),
    ("street", "Harstenhoekweg", line((700, -300), (1000, -600), (1300, -1000))),
    ("street", "Dr. Lelykade", line((-2300, -100), (-1600, -100), (-1400, -200))),
    ("street", "Strandweg", line((-1550, 17), (1000, 17))),
    ("street", "Kurhausweg", line((-60, -110), (-60, -240))),
    ("street", "Seinpostduin", line((-1250, 0), (-1250, -322))),
    ("street", "Nieuwe Parklaan", line((-450, -322), (-700, -900), (-800, -1600))),
    ("tram", "Tram 1 (Scheveningseweg)", line((-300, -1800), (-150, -800), (-60, -255), (130, -250))),
    ("tram", "Tram 9 (Nieuwe Parklaan)", line((-800, -1600), (-700, -900), (-450, -330), (-120, -255), (130, -250))),
    ("tram", "Tram 11 (Haven)", line((-1000, -1500), (-900, -900), (-1200, -350), (-1425, -172))),
    ("tram_stop", "Kurhaus", Point(130, -250)),
    ("tram_stop", "Gevers Deynootplein", Point(-120, -258)),
    ("tram_stop", "Keizerstraat", Point(-600, -330)),
    ("tram_stop", "Scheveningen Haven", Point(-1425, -172)),
]

# Landmarks: name, footprint, height (m). Heights from public descriptions (Kurhaus dome about
# 40 m, pier tower about 45 m) or estimated from storeys; footprints schematic.
LANDMARKS: list[tuple[str, BaseGeometry, float]] = [
    ("Kurhaus", rect(-100, 100, -95, -12), 24),
    ("Kurhaus dome (Kurzaal)", rect(-18, 18, -70, -34), 40),
    ("Palace Promenade", rect(-400, -170, -105, -15), 18),
    ("Holland Casino Scheveningen", rect(120, 230, -200, -120), 22),
    ("Pier tower", rect(315, 335, 400, 420), 45),
    ("Pier pavilions", rect(295, 355, 382, 440), 12),
    ("Sea Life Scheveningen", rect(-820, -740, -60, -12), 12),
    ("Hotel Carlton Beach", rect(880, 960, -90, -12), 30),
    ("Vuurtoren Scheveningen", rect(-1330, -1318, -300, -288), 30),
    ("Oude Kerk", rect(-840, -800, -385, -345), 28),
    ("Circustheater", rect(180, 300, -420, -330), 20),
    ("Museum Beelden aan Zee", rect(-1150, -1060, -110, -40), 10),
]

# Street blocks behind the boulevard (first row: hotels and flats of 5–10 storeys; further
# inland: 3–4 storey terraces). Each tuple: u from, u to, v from, v to, height (m). Blocks, not
# individual buildings: see PROVENANCE.md.
_FIRST_ROW_GAPS = [(-1550, -1260), (-1240, -1160), (-1040, -830), (-730, -420), (-160, -110), (240, 480),
                   (500, 700), (720, 870)]
_BLOCK_ROWS: list[tuple[float, float, float]] = [(-115, -15, 24), (-210, -130, 14), (-300, -225, 12)]


def blocks() -> list[tuple[str, BaseGeometry, float]]:
    """Blocks between cross streets, row by row, leaving out the landmarks' places."""
    taken = [geom for _, geom, _ in LANDMARKS] + [rect(-130, 120, -240, -100)]  # the square
    out: list[tuple[str, BaseGeometry, float]] = []
    for row, (v0, v1, height) in enumerate(_BLOCK_ROWS):
        for u0, u1 in _FIRST_ROW_GAPS:
            u = u0
            while u < u1:
                width = min(60.0, u1 - u)
                block = rect(u, u + width, v0, v1)
                if width >= 15 and not any(block.intersects(t) for t in taken):
                    out.append((f"Block {row + 1}.{len(out) + 1}", block, height))
                u += width + 12  # a side street or alley every block
    return out


def feature(kind: str, name: str, geom: BaseGeometry, **extra: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"kind": kind, "name": name, **extra}, "geometry": mapping(to_wgs(geom))}


def build_context() -> dict[str, Any]:
    features = [feature(kind, name, geom) for kind, name, geom in CONTEXT]
    features += [feature("landmark", name, geom, height=height) for name, geom, height in LANDMARKS]
    return {"type": "FeatureCollection", "name": "Scheveningen context (schematic, see PROVENANCE.md)",
            "features": features}


def build_buildings() -> dict[str, Any]:
    features = []
    for i, (name, geom, height) in enumerate([*LANDMARKS, *blocks()]):
        landmark = i < len(LANDMARKS)
        features.append({
            "type": "Feature", "id": f"b{i:03d}",
            "properties": {"id": f"b{i:03d}", "name": name, "height": height,
                           "kind": "landmark" if landmark else "block", "approximate": True},
            "geometry": mapping(to_wgs(geom)),
        })
    return {"type": "FeatureCollection", "name": "buildings",
            "provenance": "hand-digitised schematic landmarks and street blocks; see PROVENANCE.md",
            "features": features}


if __name__ == "__main__":
    for name, document in (("context.geojson", build_context()), ("buildings.geojson", build_buildings())):
        (SITE / name).write_text(json.dumps(document, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {SITE / name}: {len(document['features'])} features")
