"""The loaded, cross-checked site: what the rest of the system works with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from csm.domain.levels import DensityThresholds
from csm.site.schema import DefaultsSchema, PrivacySchema, SensorSchema, SiteSchema


@dataclass(frozen=True, slots=True)
class Zone:
    id: str
    name: str
    walkable_area_m2: float
    capacity: float
    thresholds: DensityThresholds
    geometry: dict[str, Any]
    centroid: tuple[float, float]  # lon, lat
    kind: str = "area"
    group: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Site:
    """A site folder, validated: zones by id, sensors by id, and the raw sections of other layers."""

    folder: Path
    config: SiteSchema
    zones: dict[str, Zone]
    sensors: dict[str, SensorSchema]

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    @property
    def defaults(self) -> DefaultsSchema:
        return self.config.defaults

    @property
    def privacy(self) -> PrivacySchema:
        return self.config.privacy

    def sensors_of_zone(self, zone_id: str) -> list[SensorSchema]:
        """Sensors that feed a zone, including line counters on its border."""
        return [
            s for s in self.sensors.values() if s.zone == zone_id or s.opposite_zone == zone_id
        ]

    def zones_geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": z.id,
                    "geometry": z.geometry,
                    "properties": {
                        **z.properties,
                        "id": z.id,
                        "name": z.name,
                        "walkable_area_m2": z.walkable_area_m2,
                        "capacity": z.capacity,
                        "kind": z.kind,
                        "group": z.group,
                        "thresholds": {
                            "yellow": z.thresholds.yellow,
                            "orange": z.thresholds.orange,
                            "red": z.thresholds.red,
                        },
                    },
                }
                for z in self.zones.values()
            ],
        }

    def optional_file(self, name: str) -> Path | None:
        """A further file in the site folder (buildings.geojson, network.geojson, ...), if present."""
        path = self.folder / name
        return path if path.is_file() else None
