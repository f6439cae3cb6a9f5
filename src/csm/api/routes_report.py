"""The after-action report of a day, as HTML or PDF, for the roles that may export."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from csm.api.deps import get_runtime, get_site_runtime
from csm.report.data import build_day_report
from csm.report.render_html import render_html
from csm.report.render_pdf import render_pdf
from csm.runtime import Runtime, SiteRuntime

router = APIRouter(prefix="/api/v1", tags=["report"])


@router.get(
    "/sites/{site_id}/export/report",
    response_class=Response,
    responses={
        200: {"description": "the report", "content": {"text/html": {"schema": {"type": "string"}},
                                                        "application/pdf": {"schema": {"type": "string",
                                                                                       "format": "binary"}}}},
        404: {"description": "unknown site"},
        422: {"description": "a day in the future, or a malformed date"},
    },
)
async def day_report(
    day_text: str = Query(..., alias="date", pattern=r"^\d{4}-\d{2}-\d{2}$",
                          description="the day, YYYY-MM-DD in the site's timezone"),
    format: Literal["html", "pdf"] = Query("html", description="html (one self-contained page) or pdf"),
    runtime: Runtime = Depends(get_runtime),
    site_runtime: SiteRuntime = Depends(get_site_runtime),
) -> Response:
    """Levels per zone, alerts and measures with lead times achieved, how well the forecast predicted
    each crossing, and data availability of one day: the after-action report."""
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise HTTPException(status_code=422, detail=f"{day_text} is not a calendar date") from None
    now: datetime = runtime.clock.now()
    if day > now.astimezone(site_runtime.site.tz).date():
        raise HTTPException(status_code=422, detail=f"{day.isoformat()} has not happened yet")
    store = site_runtime.ingest.store
    facts = await run_in_threadpool(build_day_report, store, site_runtime.site, day, now)
    filename = f"csm-report-{site_runtime.site.id}-{day.isoformat()}"
    if format == "pdf":
        pdf = await run_in_threadpool(render_pdf, facts)
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'})
    html = await run_in_threadpool(render_html, facts)
    return HTMLResponse(html, headers={"Content-Disposition": f'inline; filename="{filename}.html"'})
