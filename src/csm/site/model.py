"""The loaded, cross-checked site: what the rest of the system works with."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
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
        return list(self._sensors_by_zone.get(zone_id, ()))

    def zones_of_sensor(self, sensor_id: str) -> list[str]:
        """The zones a sensor feeds: its zone and, for a border line counter, the opposite one."""
        sensor = self.sensors[sensor_id]
        return list(dict.fromkeys(z for z in (sensor.zone, sensor.opposite_zone) if z))

    @cached_property
    def _sensors_by_zone(self) -> dict[str, tuple[SensorSchema, ...]]:
        """Zone id → its sensors, built once: a scan per zone made a 1,000-zone refresh quadratic."""
        by_zone: dict[str, list[SensorSchema]] = {}
        for sensor in self.sensors.values():
            for zone_id in dict.fromkeys(z for z in (sensor.zone, sensor.opposite_zone) if z):
                by_zone.setdefault(zone_id, []).append(sensor)
        return {zone_id: tuple(sensors) for zone_id, sensors in by_zone.items()}

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
