"""Operations: liveness, readiness, Prometheus metrics, dead letters."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from csm.api.deps import get_runtime
from csm.runtime import Runtime

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


@router.get("/metrics", summary="Prometheus metrics")
def metrics(runtime: Runtime = Depends(get_runtime)) -> Response:
    return Response(runtime.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/api/v1/deadletters", summary="Refused input kept for inspection", tags=["ingest"])
def dead_letters(
    runtime: Runtime = Depends(get_runtime),
    site: str | None = None,
    limit: int = Query(100, ge=1, le=10_000),
) -> list[dict[str, Any]]:
    return [
        {
            "id": d.id, "site_id": d.site_id, "channel": d.channel,
            "received_at": d.received_at.isoformat(), "reason": d.reason, "field": d.field,
            "detail": d.detail, "payload": d.payload,
        }
        for d in runtime.store.list_dead_letters(site, limit)
    ]


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
