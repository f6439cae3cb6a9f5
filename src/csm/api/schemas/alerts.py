"""Answers about alerts, advice, access routes and emergency posts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from csm.advice.models import AdviceItem, Alert, Crossing, LevelName, ZoneAlternatives


class AdvisedMeasure(BaseModel):
    """A playbook measure for an alert's zone and level, to pick from when recording one."""

    id: str
    measure: str
    owner: str
    owner_label: str


class AlertView(Alert):
    """An alert as a caller sees it: the measures to pick from, the steps the caller may take (the
    API decides; the dashboard only shows these buttons) and whether the zone's data is stale."""

    measures: list[AdvisedMeasure] = Field(default_factory=list)
    actions: list[Literal["ack", "measure", "resolve"]] = Field(default_factory=list)
    zone_stale: bool = False


class AlertsAnswer(BaseModel):
    site: str
    as_of: datetime
    alerts: list[AlertView]


class TransitAdvice(BaseModel):
    """A public-transport disruption that takes service away from zones, and what to do about it."""

    model_config = ConfigDict(extra="allow")
    kind: str
    disruption_id: str
    zones: list[str]


class AdviceAnswer(BaseModel):
    site: str
    as_of: datetime
    forecast_issued_at: datetime | None
    advice: list[AdviceItem]
    crossings: list[Crossing]
    alternatives: list[ZoneAlternatives]
    levels: dict[str, LevelName]
    transit: list[TransitAdvice] = Field(default_factory=list)


class LineString(BaseModel):
    type: Literal["LineString"] = "LineString"
    coordinates: list[list[float]]


class RouteProperties(BaseModel):
    post: str
    zone: str | None
    mode: str
    length_m: float
    zones_passed: list[str]
    avoided_red_zones: list[str]
    penalised_orange_zones: list[str]


class RouteFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    geometry: LineString
    properties: RouteProperties


class RoutesProperties(BaseModel):
    zone: str | None
    no_route_from: list[str]


class RoutesAnswer(BaseModel):
    """Access routes to a zone from the emergency posts, shortest first (GeoJSON)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[RouteFeature]
    properties: RoutesProperties


class Point(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: list[float]


class PostProperties(BaseModel):
    id: str
    name: str
    service: str


class PostFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Point
    properties: PostProperties


class PostsAnswer(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[PostFeature]


