"""Answers of operations, ingest and administration routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from csm.api.schemas.common import Open


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    problems: list[str] = Field(default_factory=list)


class DeadLetterInfo(BaseModel):
    id: int | None
    site_id: str | None
    channel: str
    received_at: datetime
    reason: str
    field: str | None
    detail: str
    payload: Any


class ReplayOutcomeInfo(BaseModel):
    id: int
    status: Literal["replayed", "still_refused", "not_replayable"]
    reason: str | None
    detail: str
    accepted: int
    duplicates: int


class ReplayAnswer(BaseModel):
    replayed: int
    outcomes: list[ReplayOutcomeInfo]


class RefusedItem(BaseModel):
    index: int | None
    reason: str
    field: str | None
    detail: str


class IngestAnswer(BaseModel):
    """What happened to a batch: counts, and each refused item with its reason."""

    received: int
    accepted: int
    duplicates: int
    rejected: list[RefusedItem]


class ObservationItem(Open):
    """One aggregated count (or several metrics of one interval) of one sensor."""

    sensor_id: str = Field(description="a sensor of the site (site.yaml)")
    interval_start: datetime = Field(description="ISO 8601; naive = site local time")
    interval_seconds: int = Field(description="length of the counting interval")
    counts: dict[str, float] = Field(description="metric → count, e.g. {\"occupancy\": 812}")


class UserInfo(BaseModel):
    username: str
    role: str
    sites: list[str]
    zones: dict[str, list[str]]


class LoginAnswer(BaseModel):
    user: UserInfo
    token: str
    csrf_token: str
    expires_in: int


class Status(BaseModel):
    status: str


class Removed(BaseModel):
    status: Literal["removed"]
    username: str


class Me(BaseModel):
    username: str
    role: str | None
    kind: str
    sites: list[str]
    zones: dict[str, list[str]]
    permissions: list[str]


class IngestTokenAnswer(BaseModel):
    token: str


class AuditEntry(Open):
    id: int
    site: str
    ts: datetime
    user: str
    role: str
    action: str
    client: str | None
    detail: str | None = None
