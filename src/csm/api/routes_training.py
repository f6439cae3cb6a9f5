"""Training sessions over the API: create a sandbox day, steer it (pause, resume, speed, jump),
inject incidents, and read its zone state as the dashboard reads the live one."""

from __future__ import annotations

import datetime as dt
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from csm.api.deps import get_runtime
from csm.api.schemas.common import GUARDED, errors
from csm.api.schemas.picture import TrainingZoneStatesAnswer
from csm.api.schemas.planning import IncidentInfo, SessionEnded, SessionInfo
from csm.api.visibility import principal_of, view_states
from csm.domain.timestamps import EARLIEST_YEAR, LATEST_YEAR
from csm.runtime import Runtime
from csm.training.incidents import IncidentSchema
from csm.training.registry import TrainingRegistry, training_registry
from csm.training.session import TrainingError, TrainingSession, create_session, default_start

router = APIRouter(prefix="/api/v1/training", tags=["training"])
ERRORS = {**GUARDED, **errors(400, 404)}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _plausible_year(value: Any) -> Any:
    """A training day from 1970..2200: far dates overflow the replay's clock and series."""
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"year {value.year} is outside {EARLIEST_YEAR}..{LATEST_YEAR}")
    return value


# Numbers and flags are strict: JSON `true` is not a speed of 1 (as the OpenAPI document says).


class CreateBody(_Body):
    site: str = Field(description="site id of the day to replay")
    mode: Literal["scripted", "recorded"] = Field(
        "scripted", description="scripted: the demo simulator's day; recorded: the live store's observations"
    )
    date: Annotated[dt.date | None, AfterValidator(_plausible_year)] = Field(
        None, description="local date (default: the site's demo date)")
    start: time | None = Field(None, description="local start time (default: the site's demo start)")
    speed: float = Field(60.0, gt=0, le=3600, strict=True, description="simulated seconds per real second")
    paused: bool = Field(False, strict=True)


class SpeedBody(_Body):
    speed: float = Field(gt=0, le=3600, strict=True)


class JumpBody(_Body):
    to: Annotated[datetime | None, AfterValidator(_plausible_year)] = Field(
        None, description="an aware moment to jump to")
    minutes: float | None = Field(None, gt=0, le=24 * 60, strict=True, description="... or so many minutes ahead")


def registry(request: Request) -> TrainingRegistry:
    """The sessions every worker shares (kept in the store)."""
    return training_registry(get_runtime(request))


def _session(session_id: str, request: Request) -> TrainingSession:
    session = registry(request).get(session_id)
    if session is None or not principal_of(request).may_see_site(session.site.id):
        raise HTTPException(status_code=404, detail=f"no training session {session_id!r}")
    return session


def _refuse(exc: TrainingError) -> HTTPException:
    return HTTPException(status_code=400, detail=str(exc))


@router.post("/sessions", status_code=201, summary="Start a sandbox session replaying a day",
             response_model=SessionInfo, responses=ERRORS)
def create(body: CreateBody, request: Request, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    principal = principal_of(request)
    if body.site not in runtime.sites or not principal.may_see_site(body.site):
        raise HTTPException(status_code=404, detail=f"unknown site {body.site!r}")
    site = runtime.sites[body.site].site
    try:
        session = create_session(site, body.mode, default_start(site, body.date, body.start), body.speed,
                                 runtime.store, principal.name, body.paused)
        registry(request).add(session)
    except TrainingError as exc:
        raise _refuse(exc) from exc
    return session.info()


@router.get("/sessions", summary="Training sessions of the sites the caller may see",
            response_model=list[SessionInfo], responses=GUARDED)
def list_sessions(request: Request) -> list[dict[str, Any]]:
    principal = principal_of(request)
    return [s.info() for s in registry(request).all() if principal.may_see_site(s.site.id)]


@router.get("/sessions/{session_id}", summary="One session: its clock, speed and incidents",
            response_model=SessionInfo, responses=ERRORS)
def get_session(session_id: str, request: Request) -> dict[str, Any]:
    session = _session(session_id, request)
    session.advance()
    return session.info()


@router.delete("/sessions/{session_id}", summary="End a session and drop its sandbox",
               response_model=SessionEnded, responses=ERRORS)
def end_session(session_id: str, request: Request) -> dict[str, Any]:
    _session(session_id, request)
    registry(request).remove(session_id)
    return {"ended": session_id}


@router.post("/sessions/{session_id}/pause", summary="Pause the session's clock",
             response_model=SessionInfo, responses=ERRORS)
def pause(session_id: str, request: Request) -> dict[str, Any]:
    session = _session(session_id, request)
    session.pause()
    return session.info()


@router.post("/sessions/{session_id}/resume", summary="Resume the session's clock",
             response_model=SessionInfo, responses=ERRORS)
def resume(session_id: str, request: Request) -> dict[str, Any]:
    session = _session(session_id, request)
    session.resume()
    return session.info()


@router.post("/sessions/{session_id}/speed", summary="Change how fast the session's day runs",
             response_model=SessionInfo, responses=ERRORS)
def speed(session_id: str, body: SpeedBody, request: Request) -> dict[str, Any]:
    session = _session(session_id, request)
    session.set_speed(body.speed)
    return session.info()


@router.post("/sessions/{session_id}/jump", summary="Jump the session ahead (to a moment or by minutes)",
             response_model=SessionInfo, responses=ERRORS)
def jump(session_id: str, body: JumpBody, request: Request) -> dict[str, Any]:
    session = _session(session_id, request)
    if (body.to is None) == (body.minutes is None):
        raise HTTPException(status_code=422, detail="give either `to` or `minutes`")
    target = body.to or session.clock.now() + timedelta(minutes=body.minutes or 0)
    if target.tzinfo is None:
        raise HTTPException(status_code=422, detail="`to` must carry a timezone offset")
    try:
        session.jump_to(target)
    except TrainingError as exc:
        raise _refuse(exc) from exc
    return session.info()


@router.post("/sessions/{session_id}/incidents", status_code=201,
             summary="Inject an incident: sensor failure, sudden surge, tram disruption",
             response_model=IncidentInfo, responses=ERRORS)
def inject(session_id: str, body: IncidentSchema, request: Request) -> dict[str, Any]:
    session = _session(session_id, request)
    try:
        incident = session.inject(body)
    except TrainingError as exc:
        raise _refuse(exc) from exc
    return incident.to_dict()


@router.get("/sessions/{session_id}/zones/state", summary="The sandbox's zone state, like the live one",
            response_model=TrainingZoneStatesAnswer, responses=ERRORS)
def zone_state(session_id: str, request: Request) -> dict[str, Any]:
    session = _session(session_id, request)
    as_of, zones = session.state()
    return {
        "site": session.site.id, "session": session.id, "training": True,
        "as_of": as_of.isoformat() if as_of else None,
        "zones": view_states(principal_of(request), session.site, zones),
    }
