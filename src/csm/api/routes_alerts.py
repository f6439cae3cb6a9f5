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
    alert_book,
)
from csm.advice.models import Alert
from csm.advice.service import advice_payload, routes_to, site_network, stable_levels
from csm.api.deps import get_runtime, get_site_runtime
from csm.api.schemas.alerts import AdviceAnswer, AlertsAnswer, PostsAnswer, RoutesAnswer
from csm.api.schemas.common import GUARDED, errors
from csm.api.scope import ZoneScope, zone_scope
from csm.api.visibility import principal_of
from csm.runtime import Runtime, SiteRuntime

router = APIRouter(prefix="/api/v1", tags=["alerts and advice"])
SITE_ERRORS = {**GUARDED, **errors(404)}
STEP_ERRORS = {**GUARDED, **errors(404, 409)}
Status = Literal["raised", "acknowledged", "measure_taken", "resolved", "open"]


class StepBody(BaseModel):
    by: str | None = Field(None, max_length=120, description="who acts; defaults to the logged-in user")
    note: str | None = Field(None, max_length=2000)


class MeasureBody(StepBody):
    measure: str = Field(min_length=1, max_length=200, description="playbook measure id or a description")


def _book(runtime: Runtime, sr: SiteRuntime) -> AlertBook:
    return alert_book(runtime.store, sr.site.id, runtime.bus)


@router.get("/sites/{site_id}/alerts", summary="Current and recent alerts, newest first",
            response_model=AlertsAnswer, responses=SITE_ERRORS)
def list_alerts(
    sr: SiteRuntime = Depends(get_site_runtime),
    runtime: Runtime = Depends(get_runtime),
    scope: ZoneScope = Depends(zone_scope),
    status: Status | None = Query(None, description="only this status; 'open' = not resolved"),
    limit: int = Query(200, ge=1, le=1000),
) -> dict[str, Any]:
    alerts = _book(runtime, sr).alerts(None if status == "open" else status, limit=10_000)
    alerts = [a for a in scope.keep(alerts) if status != "open" or a["status"] != RESOLVED]
    return {"site": sr.site.id, "as_of": runtime.clock.now().isoformat(), "alerts": alerts[:limit]}


@router.get("/sites/{site_id}/advice", summary="Measures to start now, ranked, with reasons and alternatives",
            response_model=AdviceAnswer, responses=SITE_ERRORS)
def get_advice(
    sr: SiteRuntime = Depends(get_site_runtime), runtime: Runtime = Depends(get_runtime),
    scope: ZoneScope = Depends(zone_scope),
) -> dict[str, Any]:
    payload: dict[str, Any] = scope.redact(advice_payload(sr, _book(runtime, sr), runtime.clock.now()))
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
          **extra: Any) -> dict[str, Any]:
    book = _book(runtime, sr)
    try:
        alert = book.get(alert_id)
        if not zone_scope(request, sr).sees(alert["zone_id"]):
            raise AlertNotFound(alert_id)
        by = body.by or principal_of(request).name
        return book.transition(alert_id, status, by, runtime.clock.now(), body.note, **extra)
    except AlertNotFound:
        raise HTTPException(404, detail=f"unknown alert {alert_id!r}") from None
    except AlertTransitionError as exc:
        raise HTTPException(409, detail=str(exc)) from None


@router.post("/sites/{site_id}/alerts/{alert_id}/ack", summary="Acknowledge an alert",
             response_model=Alert, responses=STEP_ERRORS)
def acknowledge(
    alert_id: str, body: StepBody, request: Request,
    sr: SiteRuntime = Depends(get_site_runtime), runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    return _step(request, sr, runtime, alert_id, ACKNOWLEDGED, body)


@router.post("/sites/{site_id}/alerts/{alert_id}/measure", summary="Record a measure taken for an alert",
             response_model=Alert, responses=STEP_ERRORS)
def measure_taken(
    alert_id: str, body: MeasureBody, request: Request,
    sr: SiteRuntime = Depends(get_site_runtime), runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    return _step(request, sr, runtime, alert_id, MEASURE_TAKEN, body, measure=body.measure)


@router.post("/sites/{site_id}/alerts/{alert_id}/resolve", summary="Resolve an alert",
             response_model=Alert, responses=STEP_ERRORS)
def resolve(
    alert_id: str, body: StepBody, request: Request,
    sr: SiteRuntime = Depends(get_site_runtime), runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    return _step(request, sr, runtime, alert_id, RESOLVED, body)
