"""The incident log of a day (every alert, step, actor and time), filterable, as JSON, CSV and PDF;
and the role view: which owner the caller acts for and the zones around its scope as outlines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel

from csm.advice.lifecycle import alert_book_of, incident_steps
from csm.advice.owners import OWNER_LABELS, owner_of_role
from csm.advice.playbook import load_playbook
from csm.api.deps import get_runtime, get_site_runtime
from csm.api.incident_export import IncidentEntry, IncidentLog, incident_csv, incident_pdf
from csm.api.schemas.common import errors, file_answer
from csm.api.visibility import principal_of, visible_zone_ids
from csm.domain.timestamps import day_bounds
from csm.runtime import Runtime, SiteRuntime

router = APIRouter(prefix="/api/v1", tags=["incident log"])


def build_log(
    request: Request, sr: SiteRuntime, runtime: Runtime, day: date | None,
    zone: str | None, level: str | None, actor: str | None, step: str | None,
) -> IncidentLog:
    principal = principal_of(request)
    tz = sr.site.config.timezone
    now = runtime.clock.now()
    wanted = day or now.astimezone(sr.site.tz).date()
    since, until = day_bounds(wanted, sr.site.tz)
    visible = visible_zone_ids(principal, sr.site)
    alerts = [a for a in alert_book_of(runtime, sr.site.id).alerts(limit=100_000) if a.zone_id in visible]
    texts = {m.id: m.measure for m in load_playbook(sr.site).measures}
    entries = []
    for s in incident_steps(alerts, since, until):
        if (zone and s.zone_id != zone) or (level and s.level != level) or (step and s.step != step):
            continue
        if actor and actor.lower() not in s.actor.lower():
            continue
        zone_obj = sr.site.zones.get(s.zone_id)
        entries.append(IncidentEntry(
            **asdict(s), zone_name=zone_obj.name if zone_obj else s.zone_id,
            measure_text=texts.get(s.measure or "", s.measure),
        ))
    return IncidentLog(site=sr.site.id, site_name=sr.site.config.name, day=wanted.isoformat(), timezone=tz,
                       generated_at=now, generated_by=principal.name, entries=entries)


class _Filters:
    def __init__(
        self,
        day: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                description="site-local day (YYYY-MM-DD); default today"),
        zone: str | None = Query(None, description="only this zone id"),
        level: str | None = Query(None, pattern="^(yellow|orange|red)$"),
        actor: str | None = Query(None, max_length=120, description="actor name contains this"),
        step: str | None = Query(None, pattern="^(raised|acknowledged|measure_taken|resolved)$"),
    ) -> None:
        try:
            self.day = date.fromisoformat(day) if day else None
        except ValueError:
            raise HTTPException(422, detail=f"{day} is not a calendar date") from None
        self.zone, self.level, self.actor, self.step = zone, level, actor, step

    def log(self, request: Request, sr: SiteRuntime, runtime: Runtime) -> IncidentLog:
        if self.zone and self.zone not in sr.site.zones:
            raise HTTPException(404, detail=f"unknown zone {self.zone!r}")
        return build_log(request, sr, runtime, self.day, self.zone, self.level, self.actor, self.step)

    def words(self) -> list[str]:
        named = {"zone": self.zone, "level": self.level, "actor": self.actor, "step": self.step}
        return [f"{k} {v}" for k, v in named.items() if v]


@router.get("/sites/{site_id}/incidents", response_model=IncidentLog, summary="The day's incident log",
            responses=errors(404, 422))
def get_incidents(
    request: Request, filters: _Filters = Depends(), sr: SiteRuntime = Depends(get_site_runtime),
    runtime: Runtime = Depends(get_runtime),
) -> IncidentLog:
    return filters.log(request, sr, runtime)


def _log_file(request: Request, filters: _Filters, sr: SiteRuntime, runtime: Runtime,
              render: Callable[[IncidentLog, _Filters], str | bytes], media_type: str, suffix: str) -> Response:
    """The day's log rendered as a file to download (one shape for every format)."""
    log = filters.log(request, sr, runtime)
    return Response(render(log, filters), media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="incidents-{log.site}-{log.day}.{suffix}"'})


@router.get("/sites/{site_id}/incidents.csv", summary="The day's incident log as CSV",
            response_class=Response, responses={**file_answer("text/csv", "the incident log, one row per step"),
                                                **errors(404, 422)})
def get_incidents_csv(
    request: Request, filters: _Filters = Depends(), sr: SiteRuntime = Depends(get_site_runtime),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    return _log_file(request, filters, sr, runtime, lambda log, _: incident_csv(log),
                     "text/csv; charset=utf-8", "csv")


@router.get("/sites/{site_id}/incidents.pdf", summary="The day's incident log as a PDF report",
            response_class=Response, responses={**file_answer("application/pdf", "the incident log as a PDF report"),
                                                **errors(404, 422)})
def get_incidents_pdf(
    request: Request, filters: _Filters = Depends(), sr: SiteRuntime = Depends(get_site_runtime),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    return _log_file(request, filters, sr, runtime, lambda log, f: incident_pdf(log, f.words()),
                     "application/pdf", "pdf")


class RoleView(BaseModel):
    """What the dashboard needs to arrange a role's view; the data itself is filtered elsewhere."""

    role: str | None
    owner: str | None
    owner_labels: dict[str, str]
    context: dict[str, Any]


@router.get("/sites/{site_id}/view", response_model=RoleView, responses=errors(404),
            summary="The caller's view: its owner id, owner labels, zones outside its scope as outlines")
def get_view(request: Request, sr: SiteRuntime = Depends(get_site_runtime)) -> RoleView:
    principal = principal_of(request)
    visible = visible_zone_ids(principal, sr.site)
    geojson = sr.site.zones_geojson()
    # Outside the caller's scope: outline and name only, no capacity, area or thresholds.
    context = [{"type": "Feature", "id": f["id"], "geometry": f["geometry"],
                "properties": {"id": f["id"], "name": f["properties"].get("name", f["id"])}}
               for f in geojson["features"] if f["id"] not in visible]
    role = principal.role.value if principal.role else None
    return RoleView(role=role, owner=owner_of_role(role), owner_labels=OWNER_LABELS,
                    context={"type": "FeatureCollection", "features": context})
