"""Visitor estimates per area (anonymous counts aggregated from apps, Resono-style), HTTP JSON
or CSV, per 15 minutes. These are people counts, so they go through the ingest path
(`channel="source:<name>"`) for sensors of kind visitor_estimate declared in site.yaml.

JSON: a list of records, or an object holding them under `records_key` (default "counts");
CSV: a header row. Field names are configurable (defaults: location, timestamp, count).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from csm.domain.model import Observation, SensorKind
from csm.site.model import Site
from csm.sources.parsing import SourceReason, load_json, number, require, timestamp
from csm.sources.protocol import BaseSource, SourceError, SourceSettings

MAX_VISITORS = 500_000


class VisitorFields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    area: str = "location"
    timestamp: str = "timestamp"
    count: str = "count"


class VisitorSettings(SourceSettings):
    areas: dict[str, str] = Field(min_length=1, description="area id in the feed → visitor_estimate sensor id")
    format: str = Field("json", pattern="^(json|csv)$")
    records_key: str = "counts"
    fields: VisitorFields = VisitorFields()
    poll_seconds: float = Field(300.0, gt=0)


def _records(raw: bytes, settings: VisitorSettings) -> list[Any]:
    if settings.format == "csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SourceError(SourceReason.BAD_FORMAT, None, "CSV is not UTF-8") from None
        rows = list(csv.DictReader(io.StringIO(text)))
        missing = [f for f in settings.fields.model_dump().values() if rows and f not in rows[0]]
        if missing:
            raise SourceError(SourceReason.MISSING_FIELD, missing[0], f"CSV has no {missing[0]!r} column")
        return rows
    document = load_json(raw, "visitor estimates")
    records = document if isinstance(document, list) else require(document, settings.records_key, "")
    if not isinstance(records, list):
        raise SourceError(SourceReason.BAD_VALUE, settings.records_key, "expected a list of records")
    return records


class VisitorEstimateSource(BaseSource):
    kind = "visitors"
    settings_model = VisitorSettings
    data_time = "past"
    people_counts = True

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]:
        fields = settings.fields
        observations: list[Observation] = []
        for i, record in enumerate(_records(raw, settings)):
            where = f"{settings.records_key}[{i}]"
            area = str(require(record, fields.area, where))
            sensor_id = settings.areas.get(area)
            if sensor_id is None:
                continue  # areas of other sites or not mapped: not ours
            sensor = site.sensors[sensor_id]
            start = timestamp(require(record, fields.timestamp, where), f"{where}.{fields.timestamp}", site.tz)
            count = number(require(record, fields.count, where), f"{where}.{fields.count}", 0, MAX_VISITORS,
                           "persons")
            observations.append(
                Observation(site.id, sensor_id, "visitors", start, sensor.interval_seconds, count)
            )
        if not observations:
            raise SourceError(SourceReason.EMPTY, settings.records_key, "no records for the configured areas")
        return observations

    def check(self, settings: Any, site: Site) -> list[tuple[str, str]]:
        problems = []
        for area, sensor_id in settings.areas.items():
            sensor = site.sensors.get(sensor_id)
            if sensor is None:
                problems.append((f"areas.{area}", f"unknown sensor {sensor_id!r}"))
            elif sensor.kind is not SensorKind.VISITOR_ESTIMATE:
                problems.append((f"areas.{area}", f"sensor {sensor_id!r} is a {sensor.kind.value},"
                                 " expected visitor_estimate"))
        return problems
