"""Where else visitors can go: nearby zones with room to spare when a zone heads to orange/red."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyproj import Geod

from csm.advice.playbook import AlternativesSchema
from csm.domain.model import Level
from csm.site.model import Site

_GEOD = Geod(ellps="WGS84")


def redirect_targets(
    site: Site,
    zone_id: str,
    expected_persons: Mapping[str, float],
    levels: Mapping[str, Level],
    settings: AlternativesSchema,
) -> list[dict[str, Any]]:
    """Zones within `max_distance_m` (centre to centre), of a kind visitors can be sent to, at most
    yellow now, whose expected count stays below `max_utilisation` of their own orange threshold.
    Nearest first: a short walk is the alternative people actually take."""
    origin = site.zones[zone_id]
    found = []
    for zone in site.zones.values():
        if zone.id == zone_id or zone.kind in settings.exclude_kinds:
            continue
        if levels.get(zone.id, Level.UNKNOWN).rank > Level.YELLOW.rank:
            continue
        distance = float(_GEOD.inv(*origin.centroid, *zone.centroid)[2])
        if distance > settings.max_distance_m:
            continue
        expected = expected_persons.get(zone.id)
        if expected is None:
            continue
        room = zone.thresholds.orange * zone.walkable_area_m2 * settings.max_utilisation - expected
        if room <= 0:
            continue
        found.append({
            "zone_id": zone.id,
            "name": zone.name,
            "distance_m": round(distance),
            "expected_persons": round(expected),
            "spare_persons": round(room),
            "level": levels.get(zone.id, Level.UNKNOWN).value,
        })
    return sorted(found, key=lambda z: (z["distance_m"], -z["spare_persons"]))
