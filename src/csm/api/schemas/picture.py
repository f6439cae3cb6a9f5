"""Answers about sites, zones and the live picture (the map, the zone table, charts)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from csm.api.schemas.common import LevelName, Open
from csm.picture.serialize import ZoneStateModel


class LegendRow(BaseModel):
    level: LevelName
    density_from: float
    density_to: float | None
    meaning: str


class SiteSummary(BaseModel):
    id: str
    name: str
    timezone: str
    country: str | None
    center: tuple[float, float] | None = Field(description="[lon, lat] map centre")
    zoom: float
    basemap_style_url: str | None
    zone_count: int
    sensor_count: int
    layers: list[str]
    levels: list[LegendRow]


class Thresholds(BaseModel):
    yellow: float
    orange: float
    red: float


class ZoneProperties(Open):
    id: str
    name: str
    walkable_area_m2: float
    capacity: float
    kind: str
    group: str | None
    thresholds: Thresholds


class Polygon(BaseModel):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class MultiPolygon(BaseModel):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[list[float]]]]


class ZoneFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Polygon | MultiPolygon = Field(discriminator="type")
    properties: ZoneProperties


class ZoneCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ZoneFeature]


class SensorInfo(Open):
    id: str
    kind: str
    zone: str | None
    interval_seconds: int
    name: str | None = None
    direction: str | None = None
    opposite_zone: str | None = None


class ZoneStatesAnswer(BaseModel):
    site: str
    as_of: datetime | None
    zones: list[ZoneStateModel]


class TrainingZoneStatesAnswer(ZoneStatesAnswer):
    session: str
    training: bool


class HistoryPoint(BaseModel):
    ts: datetime
    occupancy: float | None
    density: float | None
    level: LevelName
    stale: bool


class HistoryAnswer(BaseModel):
    site: str
    until: datetime
    zones: dict[str, list[HistoryPoint]]


class ForecastPoint(BaseModel):
    ts: datetime
    p10: float | None
    p50: float | None
    p90: float | None
    density_p50: float | None
    level: LevelName
    level_p90: LevelName


class ForecastAnswer(BaseModel):
    site: str
    issued_at: datetime | None
    step: str
    zones: dict[str, list[ForecastPoint]]


class ServerTime(BaseModel):
    now: datetime
    wall: datetime
