"""Operations: liveness, readiness, Prometheus metrics, dead letters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from csm.api.deps import get_runtime
from csm.api.schemas.common import GUARDED, errors
from csm.api.schemas.ops import DeadLetterInfo, Health, Readiness, ReplayAnswer
from csm.api.visibility import principal_of
from csm.auth.grants import GrantRefused, visible_sites
from csm.auth.ledger import GLOBAL_SITE
from csm.health import readiness, refresh_shared_metrics
from csm.runtime import Runtime
from csm.store.base import DeadLetter

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness", response_model=Health)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: store reachable, pictures computed; background jobs' health",
            response_model=Readiness,
            responses={503: {"model": Readiness, "description": "not ready: `problems` says why"}})
def readyz(runtime: Runtime = Depends(get_runtime)) -> Response:
    found = readiness(runtime)
    return Response(content=_json(found.document), status_code=200 if found.ready else 503,
                    media_type="application/json")


@router.get("/metrics", summary="Prometheus metrics (global administrators or the metrics token)",
            response_class=PlainTextResponse,
            responses={200: {"description": "Prometheus text exposition format 0.0.4",
                             "content": {"text/plain": {"schema": {"type": "string"}}}}, **errors(401, 403)})
def metrics(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    """Metrics carry every site's counts and zone occupancy: a site administrator may not read them."""
    if GLOBAL_SITE not in principal_of(request).sites:
        raise HTTPException(403, detail="metrics cover every site: global administrators or the metrics token")
    refresh_shared_metrics(runtime)
    return Response(runtime.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


def _letters_in_scope(
    request: Request, runtime: Runtime, site: str | None, limit: int, reason: str | None = None,
    ids: list[int] | None = None,
) -> list[DeadLetter]:
    """Dead letters of the caller's sites only: a site administrator never sees another site's."""
    try:
        sites = visible_sites(principal_of(request), site)
    except GrantRefused as exc:
        raise HTTPException(403, detail=str(exc)) from exc
    if sites is None:
        return runtime.store.list_dead_letters(site, limit, reason=reason, ids=ids)
    found = [d for s in sites for d in runtime.store.list_dead_letters(s, limit, reason=reason, ids=ids)]
    return sorted(found, key=lambda d: d.id or 0, reverse=True)[:limit]


@router.get("/api/v1/deadletters", summary="Refused input kept for inspection (your sites)", tags=["ingest"],
            response_model=list[DeadLetterInfo], responses=GUARDED)
def dead_letters(
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    site: str | None = None,
    reason: str | None = Query(None, description="only this refusal reason"),
    limit: int = Query(100, ge=1, le=10_000),
) -> list[dict[str, Any]]:
    return [
        {
            "id": d.id, "site_id": d.site_id, "channel": d.channel,
            "received_at": d.received_at.isoformat(), "reason": d.reason, "field": d.field,
            "detail": d.detail, "payload": d.payload,
        }
        for d in _letters_in_scope(request, runtime, site, limit, reason)
    ]


def _not_bool(value: object) -> object:
    """JSON `true` is not the id 1."""
    if isinstance(value, bool):
        raise ValueError("an id is a number, not a boolean")
    return value


def _is(expected: bool) -> Callable[[bool], bool]:
    """`all` is a JSON boolean (not 0 or 1) with one value in each shape of the replay body."""

    def check(value: bool) -> bool:
        if value is not expected:
            raise ValueError(f"must be {str(expected).lower()} here")
        return value

    return check


class ReplayIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, BeforeValidator(_not_bool)]] = Field(
        min_length=1, max_length=100_000, description="replay these dead letters"
    )
    all: Annotated[StrictBool, AfterValidator(_is(False))] = Field(False, json_schema_extra={"const": False})


class ReplayAll(BaseModel):
    model_config = ConfigDict(extra="forbid")

    all: Annotated[StrictBool, AfterValidator(_is(True))] = Field(
        json_schema_extra={"const": True}, description="replay every letter (of `site` / `reason` when given)"
    )
    site: str | None = None
    reason: str | None = None
    limit: int = Field(10_000, ge=1, le=100_000)


# `ids`, or `all: true` (not both): two shapes, so the OpenAPI document says so too.
ReplayRequest = ReplayIds | ReplayAll


@router.post("/api/v1/deadletters/replay", summary="Re-validate and ingest dead letters (your sites)",
             tags=["ingest"], response_model=ReplayAnswer, responses=GUARDED)
def replay_letters(body: ReplayRequest, request: Request, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Same as `csm deadletters replay`: replayed letters are removed, still-refused ones stay.
    Letters of sites outside the caller's scope are neither replayed nor reported."""
    from csm.ingest.replay import REPLAYED, replay_dead_letters

    if isinstance(body, ReplayAll):
        letters = _letters_in_scope(request, runtime, body.site, body.limit, body.reason)
    else:
        letters = _letters_in_scope(request, runtime, None, len(body.ids), ids=body.ids)
    outcomes = replay_dead_letters(runtime, letters)
    return {
        "replayed": sum(o.status == REPLAYED for o in outcomes),
        "outcomes": [o.as_dict() for o in outcomes],
    }


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
