"""Shapes every part of the API shares: error bodies, GeoJSON, and the error responses to declare."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from csm.domain.model import Level

LevelName = Literal["green", "yellow", "orange", "red", "unknown"]
assert set(LevelName.__args__) == {lvl.value for lvl in Level}  # type: ignore[attr-defined]


class Open(BaseModel):
    """A documented object that may carry more keys than it names (site-specific descriptions)."""

    model_config = ConfigDict(extra="allow")


class ValidationIssue(Open):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer: `detail` is a sentence, or the list of validation problems."""

    detail: str | list[ValidationIssue]


class Geometry(Open):
    type: str
    coordinates: Any


class Feature(Open):
    type: Literal["Feature"] = "Feature"
    id: str | int | None = None
    geometry: Geometry | None
    properties: dict[str, Any] | None


class FeatureCollection(Open):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


_ERROR_TEXT = {
    400: "the request cannot be used as sent",
    401: "login required, or the token is invalid or expired",
    403: "the caller's role or scope does not allow this",
    404: "unknown site, zone or item (or one outside the caller's scope)",
    409: "the request conflicts with the current state",
    413: "request body too large",
    422: "the request is not valid: `detail` says why (a sentence or a list of problems)",
    429: "too many requests; retry after the Retry-After header",
    500: "server error",
    501: "not available in this installation",
    503: "not ready",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries declaring these error statuses with the common error body."""
    return {code: {"model": ErrorBody, "description": _ERROR_TEXT[code]} for code in codes}


# Every route passes the access guard and may answer 401/403; most take parameters (422).
GUARDED = errors(401, 403, 422)


def file_answer(media_type: str, description: str, *codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI answers of a route that returns a file (CSV, PDF, PMTiles): a typed string body."""
    body = {"description": description, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}
    return {code: body for code in (codes or (200,))}
