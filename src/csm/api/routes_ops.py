"""Operations: liveness, readiness, Prometheus metrics, dead letters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from csm.api.deps import get_runtime
from csm.api.visibility import principal_of
from csm.auth.grants import GrantRefused, visible_sites
from csm.auth.ledger import GLOBAL_SITE
from csm.runtime import Runtime
from csm.store.base import DeadLetter

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: store reachable, pictures computed")
def readyz(runtime: Runtime = Depends(get_runtime)) -> Response:
    problems = []
    try:
        runtime.store.count_observations()
    except Exception as exc:  # any store failure means not ready
        problems.append(f"store: {exc}")
    for site_id, sr in runtime.sites.items():
        as_of, _ = sr.picture.snapshot()
        if as_of is None:
            problems.append(f"site {site_id}: picture not computed yet")
    if problems:
        return Response(
            content='{"status":"not ready","problems":' + _json(problems) + "}",
            status_code=503, media_type="application/json",
        )
    return Response(content='{"status":"ready"}', media_type="application/json")


@router.get("/metrics", summary="Prometheus metrics (global administrators or the metrics token)")
def metrics(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    """Metrics carry every site's counts and zone occupancy: a site administrator may not read them."""
    if GLOBAL_SITE not in principal_of(request).sites:
        raise HTTPException(403, detail="metrics cover every site: global administrators or the metrics token")
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


@router.get("/api/v1/deadletters", summary="Refused input kept for inspection (your sites)", tags=["ingest"])
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


class ReplayRequest(BaseModel):
    ids: list[int] | None = Field(None, description="replay these dead letters")
    all: bool = Field(False, description="replay every letter (of `site` / `reason` when given)")
    site: str | None = None
    reason: str | None = None
    limit: int = Field(10_000, ge=1, le=100_000)


@router.post("/api/v1/deadletters/replay", summary="Re-validate and ingest dead letters (your sites)",
             tags=["ingest"])
def replay_letters(body: ReplayRequest, request: Request, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Same as `csm deadletters replay`: replayed letters are removed, still-refused ones stay.
    Letters of sites outside the caller's scope are neither replayed nor reported."""
    from csm.ingest.replay import REPLAYED, replay_dead_letters

    if bool(body.ids) == body.all:
        raise HTTPException(422, detail="give `ids` or `all: true` (not both)")
    if body.all:
        letters = _letters_in_scope(request, runtime, body.site, body.limit, body.reason)
    else:
        letters = _letters_in_scope(request, runtime, None, len(body.ids or []), ids=body.ids)
    outcomes = replay_dead_letters(runtime, letters)
    return {
        "replayed": sum(o.status == REPLAYED for o in outcomes),
        "outcomes": [o.as_dict() for o in outcomes],
    }


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
