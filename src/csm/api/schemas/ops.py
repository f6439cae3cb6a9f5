"""Answers of operations, ingest and administration routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class ObservationItem(BaseModel):
    """One aggregated count of one sensor and interval: several metrics in `counts`, or one as
    `metric` + `value`. Any other key refuses the item (nothing personal slips in)."""

    model_config = ConfigDict(extra="forbid")

    site_id: str | None = Field(None, description="must be the site posted to, when given")
    sensor_id: str = Field(description="a sensor of the site (site.yaml)")
    interval_start: datetime = Field(description="ISO 8601; naive = site local time")
    interval_seconds: int | None = Field(None, description="default: the sensor's interval")
    counts: dict[str, float] | None = Field(None, description='metric → count, e.g. {"occupancy": 812}')
    metric: str | None = Field(None, description="long form: one metric ...")
    value: float | None = Field(None, description="... and its count")


class ObservationBatch(BaseModel):
    observations: list[ObservationItem]


def observations_body_schema() -> dict[str, Any]:
    """The request body of POST /observations: a list of items, or {"observations": [...]}."""
    item = ObservationItem.model_json_schema()
    return {"oneOf": [{"type": "array", "items": item},
                      {"type": "object", "properties": {"observations": {"type": "array", "items": item}},
                       "required": ["observations"]}]}


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
    role: str | None = None  # entries written by the system or a tool carry no role or client
    action: str
    client: str | None = None
    detail: str | None = None
