"""HTTP ingest: POST /api/v1/observations — batch JSON, an answer per refused item."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from csm.api.deps import get_runtime
from csm.api.schemas.common import ErrorBody, errors
from csm.api.schemas.ops import IngestAnswer, observations_body_schema
from csm.auth.principal import Principal
from csm.auth.service import AuthService
from csm.ingest.service import IngestReport
from csm.ingest.validate import Reason
from csm.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["ingest"])
MAX_BODY_BYTES = 16 * 1024 * 1024

OBSERVATIONS_EXAMPLE = [
    {
        "sensor_id": "cam-boulevard-kurhaus",
        "interval_start": "2026-07-18T13:00:00Z",
        "interval_seconds": 60,
        "counts": {"occupancy": 812},
    }
]


@router.post(
    "/observations",
    summary="Ingest a batch of aggregated counts",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": observations_body_schema(),
                                             "example": OBSERVATIONS_EXAMPLE}},
        }
    },
    response_model=IngestAnswer,
    responses={
        200: {"description": "all or some items accepted; refused ones listed with reasons"},
        **errors(401, 403, 404, 429),
        400: {"model": IngestAnswer | ErrorBody, "description": "body is not JSON, or no site given"},
        413: {"model": IngestAnswer | ErrorBody, "description": "body too large"},
        422: {"model": IngestAnswer, "description": "every item refused: each with its reason"},
    },
)
async def post_observations(
    request: Request,
    site: str | None = Query(None, description="site id; optional when the deployment has one site"),
    runtime: Runtime = Depends(get_runtime),
) -> JSONResponse:
    """For sensors and sources with a signed ingest token (`Authorization: Bearer ...`), which
    limits the site and sensors they may write. Items are validated one by one; good items are
    stored even when others are refused. Re-sent items are idempotent (reported as duplicates).
    Refused items go to the dead letters."""
    principal: Principal = request.state.principal
    if site is None and len(principal.sites) == 1 and "*" not in principal.sites:
        site = next(iter(principal.sites))
    target = runtime.sites.get(site) if site else runtime.only_site()
    if target is None:
        detail = f"unknown site {site!r}" if site else "several sites: give ?site=ID"
        return JSONResponse({"detail": detail}, status_code=404 if site else 400)
    if not principal.may_see_site(target.site.id):
        return JSONResponse({"detail": f"this ingest token is not for site {target.site.id!r}"}, status_code=403)
    auth: AuthService = request.app.state.auth
    if not auth.ingest_requests.allow(principal.name):
        return JSONResponse({"detail": "ingest rate limit exceeded; slow down"}, status_code=429,
                            headers={"Retry-After": "1"})
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        report = target.ingest.refuse_whole(
            body[:1024], "http", Reason.TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes"
        )
        return _answer(report, 413)
    report = await run_in_threadpool(target.ingest.ingest_json, body, "http", principal.sensors)
    if any(r.reason == Reason.BAD_JSON for r in report.rejected) and report.received == 1:
        return _answer(report, 400)
    status = 422 if report.received and not (report.accepted or report.duplicates) else 200
    return _answer(report, status)


def _answer(report: IngestReport, status: int) -> JSONResponse:
    return JSONResponse(report.as_dict(), status_code=status)
