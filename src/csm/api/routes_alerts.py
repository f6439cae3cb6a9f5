"""Alerts, advised measures and access routes: thin routes over csm.advice."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from csm.advice.lifecycle import (
    ACKNOWLEDGED,
    MEASURE_TAKEN,
    RESOLVED,
    AlertBook,
    AlertNotFound,
    AlertTransitionError,
    alert_book_of,
)
from csm.advice.models import Alert
from csm.advice.owners import owner_label
from csm.advice.queries import advice_payload, routes_to, site_network, stable_levels
from csm.api.alert_views import actions_for, advised_measures, may_take, stale_zones
from csm.api.deps import get_runtime, get_site_runtime
from csm.api.schemas.alerts import AdviceAnswer, AlertsAnswer, AlertView, PostsAnswer, RoutesAnswer
from csm.api.schemas.common import GUARDED, errors
from csm.api.scope import ZoneScope, zone_scope
from csm.api.visibility import principal_of, visible_zone_ids
from csm.auth.roles import Permission
from csm.runtime import Runtime, SiteRuntime

router = APIRouter(prefix="/api/v1", tags=["alerts and advice"])
SITE_ERRORS = {**GUARDED, **errors(404)}
STEP_ERRORS = {**GUARDED, **errors(404, 409)}
Status = Literal["raised", "acknowledged", "measure_taken", "resolved", "open"]


class StepBody(BaseModel):
    """The actor is always the logged-in account: a `by` field, if sent, is ignored."""

    note: str | None = Field(None, max_length=2000)


class MeasureBody(StepBody):
    measure: str = Field(min_length=1, max_length=200, description="playbook measure id or a description")


class ResolveBody(StepBody):
    reason: str | None = Field(None, max_length=2000, description="why it is resolved (kept as the step's note)")


def _book(runtime: Runtime, sr: SiteRuntime) -> AlertBook:
    return alert_book_of(runtime, sr.site.id)


@router.get("/sites/{site_id}/alerts", summary="Current and recent alerts, newest first",
            response_model=AlertsAnswer, responses=SITE_ERRORS)
def list_alerts(
    request: Request,
    sr: SiteRuntime = Depends(get_site_runtime),
    runtime: Runtime = Depends(get_runtime),
    scope: ZoneScope = Depends(zone_scope),
    status: Status | None = Query(None, description="only this status; 'open' = not resolved"),
    limit: int = Query(200, ge=1, le=1000),
) -> AlertsAnswer:
    principal = principal_of(request)
    visible = visible_zone_ids(principal, sr.site)
    alerts = _book(runtime, sr).alerts(None if status == "open" else status, limit=10_000)
    alerts = [a for a in alerts if a.zone_id in visible and (status != "open" or a.status != RESOLVED)]
    stale = stale_zones(sr)
    shown = [AlertView.model_validate({
        **dict(alert), "measures": advised_measures(sr.site, alert),
        "actions": actions_for(principal, alert, sr.site), "zone_stale": alert.zone_id in stale,
    }) for alert in alerts[:limit]]
    return AlertsAnswer(site=sr.site.id, as_of=runtime.clock.now(), alerts=shown)


@router.get("/sites/{site_id}/advice", summary="Measures to start now, ranked, with reasons and alternatives",
            response_model=AdviceAnswer, responses=SITE_ERRORS)
def get_advice(
    request: Request,
    sr: SiteRuntime = Depends(get_site_runtime), runtime: Runtime = Depends(get_runtime),
    scope: ZoneScope = Depends(zone_scope),
) -> dict[str, Any]:
    payload = advice_payload(sr, _book(runtime, sr), runtime.clock.now())
    visible = visible_zone_ids(principal_of(request), sr.site)
    payload["advice"] = [a for a in payload["advice"] if a["zone_id"] in visible]
    stale = stale_zones(sr)
    for item in payload["advice"]:
        item["owner_label"] = owner_label(item["owner"])
        item["stale_zones"] = sorted(z for z in item.get("zones", [item["zone_id"]]) if z in stale)
    payload["crossings"] = [c for c in payload["crossings"] if c["zone_id"] in visible]
    payload["alternatives"] = [a for a in payload["alternatives"] if a["zone_id"] in visible]
    payload["levels"] = {z: lvl for z, lvl in payload["levels"].items() if z in visible}
    return payload


@router.get("/sites/{site_id}/routes", summary="Access routes from emergency posts avoiding red zones (GeoJSON)",
            response_model=RoutesAnswer, responses=SITE_ERRORS)
def get_routes(
    sr: SiteRuntime = Depends(get_site_runtime),
    runtime: Runtime = Depends(get_runtime),
    scope: ZoneScope = Depends(zone_scope),
    zone: str = Query(description="the zone to reach"),
    post: str | None = Query(None, description="one post id; default every post"),
) -> dict[str, Any]:
    scope.require(zone)
    _, posts = site_network(sr.site)
    if post is not None and post not in posts:
        raise HTTPException(404, detail=f"unknown post {post!r}; expected one of {sorted(posts)}")
    levels = {z: lvl for z, (lvl, _) in stable_levels(sr, _book(runtime, sr)).items()}
    routes = routes_to(sr.site, zone, levels, post)
    answer: dict[str, Any] = scope.redact({
        "type": "FeatureCollection",
        "features": [r.feature() for r in routes],
        "properties": {"zone": zone, "no_route_from": sorted(({post} if post else set(posts))
                                                               - {r.post_id for r in routes})},
    })
    return answer


@router.get("/sites/{site_id}/posts", summary="Emergency-service posts (GeoJSON)",
            response_model=PostsAnswer, responses=SITE_ERRORS)
def get_posts(sr: SiteRuntime = Depends(get_site_runtime)) -> dict[str, Any]:
    _, posts = site_network(sr.site)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": p.id, "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
         "properties": {"id": p.id, "name": p.name, "service": p.service}} for p in posts.values()
    ]}


def _step(request: Request, sr: SiteRuntime, runtime: Runtime, alert_id: str, status: str, body: StepBody,
          measure: str | None = None) -> Alert:
    book = _book(runtime, sr)
    principal = principal_of(request)
    if status == RESOLVED and not principal.can(Permission.HANDLE_ALERTS):
        raise HTTPException(403, detail="your role may not resolve alerts: the control room does")
    try:
        alert = book.get(alert_id)
        if alert.zone_id not in visible_zone_ids(principal, sr.site):
            raise AlertNotFound(alert_id)
        limited = not principal.can(Permission.HANDLE_ALERTS)
        if limited and not may_take(principal, sr.site, alert, measure):
            raise HTTPException(403, detail="your role handles only the measures it owns for this alert")
        return book.transition(alert_id, status, principal.name, runtime.clock.now(), body.note, measure)
    except AlertNotFound:
        raise HTTPException(404, detail=f"unknown alert {alert_id!r}") from None
    except AlertTransitionError as exc:
        raise HTTPException(409, detail=str(exc)) from None


@router.post("/sites/{site_id}/alerts/{alert_id}/ack", summary="Acknowledge an alert",
             response_model=Alert, responses=STEP_ERRORS)
def acknowledge(
    alert_id: str, body: StepBody, request: Request,
    sr: SiteRuntime = Depends(get_site_runtime), runtime: Runtime = Depends(get_runtime),
) -> Alert:
    return _step(request, sr, runtime, alert_id, ACKNOWLEDGED, body)


@router.post("/sites/{site_id}/alerts/{alert_id}/measure", summary="Record a measure taken for an alert",
             response_model=Alert, responses=STEP_ERRORS)
def measure_taken(
    alert_id: str, body: MeasureBody, request: Request,
    sr: SiteRuntime = Depends(get_site_runtime), runtime: Runtime = Depends(get_runtime),
) -> Alert:
    return _step(request, sr, runtime, alert_id, MEASURE_TAKEN, body, measure=body.measure)


@router.post("/sites/{site_id}/alerts/{alert_id}/resolve", summary="Resolve an alert",
             response_model=Alert, responses=STEP_ERRORS)
def resolve(
    alert_id: str, body: ResolveBody, request: Request,
    sr: SiteRuntime = Depends(get_site_runtime), runtime: Runtime = Depends(get_runtime),
) -> Alert:
    note = StepBody(note=body.reason or body.note)
    return _step(request, sr, runtime, alert_id, RESOLVED, note)
