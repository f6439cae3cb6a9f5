"""Answers about covariate sources: weather, transit, parking, traffic, events and holidays."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from csm.api.schemas.common import Open


class SeriesPoint(BaseModel):
    t: datetime
    seconds: int
    value: float


class MetricSeries(BaseModel):
    latest: SeriesPoint | None
    series: list[SeriesPoint]


Metrics = dict[str, MetricSeries]


class WeatherAnswer(BaseModel):
    site: str
    as_of: datetime
    observed: Metrics
    forecast: Metrics
    station: Open


class TransitStop(Open):
    """A stop near the zones: its description (name, zone, ...) and its series per metric."""

    stop_id: str
    metrics: Metrics


class TransitAnswer(BaseModel):
    site: str
    as_of: datetime
    stops: list[TransitStop]


class DescribedSeries(Open):
    """A garage or measurement site: its description and its series per metric."""

    id: str
    metrics: Metrics


class ParkingAnswer(BaseModel):
    site: str
    as_of: datetime
    facilities: list[DescribedSeries]


class TrafficAnswer(BaseModel):
    site: str
    as_of: datetime
    measurement_sites: list[DescribedSeries]


class EventInfo(BaseModel):
    id: str
    name: str
    zones: list[str]
    start: datetime
    end: datetime
    expected_visitors: float


class HolidayInfo(BaseModel):
    date: date
    public_holiday: str | None
    school_holiday: str | None


class EventsAnswer(BaseModel):
    site: str
    as_of: datetime
    events: list[EventInfo]
    holidays: list[HolidayInfo]
