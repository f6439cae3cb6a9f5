"""HTTP ingest: POST /api/v1/observations — batch JSON (or CSV), an answer per refused item.

Never a 5xx for bad input: whatever the body, the answer is 200 (something stored), 400 (not
JSON), 413 (over the size or item cap, answered before validation) or 422 (everything refused).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from csm.api.deps import get_runtime
from csm.api.schemas.common import ErrorBody, errors
from csm.api.schemas.ops import IngestAnswer, observations_body_schema
from csm.auth.principal import Principal
from csm.auth.service import AuthService
from csm.ingest.csv_import import FileRefusal, ingest_csv
from csm.ingest.limits import MAX_ITEMS_PER_BATCH
from csm.ingest.pipeline import IngestReport, IngestService
from csm.ingest.privacy import shown
from csm.ingest.validate import Reason
from csm.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["ingest"])
MAX_BODY_BYTES = 16 * 1024 * 1024
# Whole-payload refusals and their status: too big answers 413, the rest 400 or 422.
_TOO_BIG = frozenset({Reason.TOO_LARGE, Reason.TOO_MANY_ITEMS})
_NOT_PARSABLE = frozenset({Reason.BAD_JSON, Reason.BAD_CSV})
# Batches validated at once per process: validation is CPU-bound Python, and every extra thread
# competing for the GIL adds latency to reads and health checks (issue 12, item 4).
CONCURRENT_BATCHES = 1

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
        400: {"model": IngestAnswer | ErrorBody, "description": "body is not JSON (or not CSV), or no site given"},
        413: {"model": IngestAnswer | ErrorBody,
              "description": f"body too large, or more than {MAX_ITEMS_PER_BATCH} items"},
        422: {"model": IngestAnswer | ErrorBody,
              "description": "every item refused (each with its reason), or the CSV file refused as a whole"},
    },
)
async def post_observations(
    request: Request,
    site: str | None = Query(None, description="site id; optional when the deployment has one site"),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    """For sensors and sources with a signed ingest token (`Authorization: Bearer ...`), which
    limits the site and sensors they may write. Items are validated one by one; good items are
    stored even when others are refused. Re-sent items are idempotent (reported as duplicates).
    Refused items go to the dead letters (redacted). `Content-Type: text/csv` takes a CSV file
    (`sensor_id,interval_start,interval_seconds,metric,value`); refused rows carry their line."""
    principal: Principal = request.state.principal
    if site is None and len(principal.sites) == 1 and "*" not in principal.sites:
        site = next(iter(principal.sites))
    target = runtime.sites.get(site) if site else runtime.only_site()
    if target is None:
        detail = f"unknown site {shown(site)}" if site else "several sites: give ?site=ID"
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
    is_csv = request.headers.get("content-type", "").split(";")[0].strip().lower() == "text/csv"
    async with _batch_slots(request):
        if is_csv:
            status, content = await run_in_threadpool(_ingest_csv, target.ingest, body, principal.sensors)
        else:
            status, content = await run_in_threadpool(_ingest_json, target.ingest, body, principal.sensors)
    return Response(content, status_code=status, media_type="application/json")


def _batch_slots(request: Request) -> asyncio.Semaphore:
    slots: asyncio.Semaphore | None = getattr(request.app.state, "ingest_batch_slots", None)
    if slots is None:
        slots = request.app.state.ingest_batch_slots = asyncio.Semaphore(CONCURRENT_BATCHES)
    return slots


_ENCODE_CHUNK = 500


def _encoded(answer: dict[str, Any]) -> bytes:
    """JSON of the answer, encoded in the worker thread and in chunks: a long list of refusals
    never holds the interpreter in one long call while reads wait (issue 12, item 4)."""
    rejected = answer.get("rejected", [])
    head = json.dumps({**answer, "rejected": []}, separators=(",", ":"))
    parts = []
    for offset in range(0, len(rejected), _ENCODE_CHUNK):
        parts.append(json.dumps(rejected[offset:offset + _ENCODE_CHUNK], separators=(",", ":"))[1:-1])
        time.sleep(0)
    marker = '"rejected":[]'
    return head.replace(marker, '"rejected":[' + ",".join(parts) + "]", 1).encode()


def _ingest_json(ingest: IngestService, body: bytes, sensors: frozenset[str] | None) -> tuple[int, bytes]:
    report = ingest.ingest_json(body, "http", sensors)
    return _status(report), _encoded(report.as_dict())


def _ingest_csv(ingest: IngestService, body: bytes, sensors: frozenset[str] | None) -> tuple[int, bytes]:
    outcome = ingest_csv(ingest, body, "http:csv", sensors, MAX_ITEMS_PER_BATCH)
    if isinstance(outcome, FileRefusal):
        answer = {"received": 0, "accepted": 0, "duplicates": 0,
                  "rejected": [{"index": None, "line": None, "reason": outcome.reason, "field": None,
                                "detail": outcome.detail}]}
        return _whole_status(outcome.reason), _encoded(answer)
    return _status(outcome.report), _encoded(outcome.as_dict())


def _whole_status(reason: str) -> int:
    return 413 if reason in _TOO_BIG else 400 if reason in _NOT_PARSABLE else 422


def _status(report: IngestReport) -> int:
    if report.received == 1 and len(report.rejected) == 1 and report.rejected[0].index is None:
        return _whole_status(report.rejected[0].reason)  # the payload as a whole was refused
    return 422 if report.received and not (report.accepted or report.duplicates) else 200


def _answer(report: IngestReport, status: int) -> JSONResponse:
    return JSONResponse(report.as_dict(), status_code=status)
