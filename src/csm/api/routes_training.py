"""Training sessions over the API: a trainer (`run_training`) creates a sandbox day, steers it
(pause, resume, speed, jump back and forth), injects incidents and ends it with a debrief; trainees
(`training`) read its zone state and alerts and handle them (ack, measure, resolve) as live, never
touching live data. What everyone did is kept in the store per session (csm.training.actions)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from csm.api.deps import get_runtime
from csm.api.schemas.common import GUARDED, errors
from csm.api.schemas.picture import TrainingZoneStatesAnswer
from csm.api.schemas.planning import SessionEnded
from csm.api.schemas.training import (
    CatalogueEntry,
    Debrief,
    TrainingAlert,
    TrainingAlerts,
    TrainingIncident,
    TrainingLog,
    TrainingSessionInfo,
)
from csm.api.visibility import principal_of, view_states
from csm.auth.principal import Principal
from csm.auth.roles import Permission
from csm.domain.timestamps import EARLIEST_YEAR, LATEST_YEAR
from csm.runtime import Runtime
from csm.training import actions as log_
from csm.training.debrief import build_debrief
from csm.training.incidents import CATALOGUE, IncidentSchema
from csm.training.registry import TrainingRegistry, training_registry
from csm.training.session import TrainingError, TrainingSession, create_session, default_start

router = APIRouter(prefix="/api/v1/training", tags=["training"])
ERRORS = {**GUARDED, **errors(400, 404)}
STEP_ERRORS = {**GUARDED, **errors(404, 409)}
DEBRIEF_KIND = "training_debrief"


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
        None, description="an aware moment to jump to (earlier than now: the day is replayed to it)")
    minutes: float | None = Field(None, ge=-24 * 60, le=24 * 60, strict=True,
                                  description="... or so many minutes ahead (negative: back)")


class StepBody(_Body):
    note: str | None = Field(None, max_length=2000)


class MeasureBody(StepBody):
    measure: str = Field(min_length=1, max_length=200, description="playbook measure id or a description")


def registry(request: Request) -> TrainingRegistry:
    """The sessions every worker shares (kept in the store)."""
    return training_registry(get_runtime(request))


def _session(session_id: str, request: Request) -> TrainingSession:
    session = registry(request).get(session_id)
    if session is None or not principal_of(request).may_see_site(session.site.id):
        raise HTTPException(status_code=404, detail=f"no training session {session_id!r}")
    return session


def _trainer(request: Request) -> Principal:
    principal = principal_of(request)
    if not principal.can(Permission.RUN_TRAINING):
        raise HTTPException(status_code=403, detail="only a trainer (run_training) may do this")
    return principal


def _refuse(exc: TrainingError) -> HTTPException:
    return HTTPException(status_code=400, detail=str(exc))


def _info(session: TrainingSession, principal: Principal) -> dict[str, Any]:
    """Trainees do not see the trainer's script (the incidents to come)."""
    info = session.info()
    may_run = principal.can(Permission.RUN_TRAINING)
    return {**info, "may_run": may_run, "incidents": info["incidents"] if may_run else []}


def _log(request: Request, session: TrainingSession, payload: dict[str, Any]) -> dict[str, Any]:
    runtime = get_runtime(request)
    by = principal_of(request).name
    return log_.append(runtime.store, session.site.id, session.id,
                       {"by": by, "at": session.clock.now().isoformat(), **payload}, runtime.clock.now())


def _control(request: Request, session: TrainingSession, what: str) -> None:
    _log(request, session, {"type": "control", "what": what})


@router.get("/catalogue", summary="The incidents a trainer can inject, and what each does",
            response_model=list[CatalogueEntry], responses=GUARDED)
def catalogue() -> list[dict[str, str]]:
    return CATALOGUE


@router.post("/sessions", status_code=201, summary="Start a sandbox session replaying a day (trainer)",
             response_model=TrainingSessionInfo, responses={**ERRORS, **errors(403)})
def create(body: CreateBody, request: Request, runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    principal = _trainer(request)
    if body.site not in runtime.sites or not principal.may_see_site(body.site):
        raise HTTPException(status_code=404, detail=f"unknown site {body.site!r}")
    site = runtime.sites[body.site].site
    try:
        session = create_session(site, body.mode, default_start(site, body.date, body.start), body.speed,
                                 runtime.store, principal.name, body.paused)
        registry(request).add(session)
    except TrainingError as exc:
        raise _refuse(exc) from exc
    _control(request, session, f"started a {body.mode} day at {session.info()['local_time']}")
    return _info(session, principal)


@router.get("/sessions", summary="Training sessions of the sites the caller may see (to join)",
            response_model=list[TrainingSessionInfo], responses=GUARDED)
def list_sessions(request: Request) -> list[dict[str, Any]]:
    principal = principal_of(request)
    return [_info(s, principal) for s in registry(request).all() if principal.may_see_site(s.site.id)]


@router.get("/sessions/{session_id}", summary="One session: its clock, speed and (trainers) incidents",
            response_model=TrainingSessionInfo, responses=ERRORS)
def get_session(session_id: str, request: Request) -> dict[str, Any]:
    session = _session(session_id, request)
    session.advance()
    return _info(session, principal_of(request))


@router.delete("/sessions/{session_id}", summary="End a session: its debrief is kept, its sandbox dropped",
               response_model=SessionEnded, responses={**ERRORS, **errors(403)})
def end_session(session_id: str, request: Request) -> dict[str, Any]:
    _trainer(request)
    session = _session(session_id, request)
    _control(request, session, "ended the session")
    runtime = get_runtime(request)
    debrief = {**_debrief_of(session, runtime), "ended": True}
    runtime.store.put_state(session.site.id, DEBRIEF_KIND, session.id, debrief, runtime.clock.now())
    registry(request).remove(session_id)
    return {"ended": session_id}


def _steer(session_id: str, request: Request) -> TrainingSession:
    _trainer(request)
    return _session(session_id, request)


@router.post("/sessions/{session_id}/pause", summary="Pause the session's clock (trainer)",
             response_model=TrainingSessionInfo, responses={**ERRORS, **errors(403)})
def pause(session_id: str, request: Request) -> dict[str, Any]:
    session = _steer(session_id, request)
    session.pause()
    _control(request, session, "paused")
    return _info(session, principal_of(request))


@router.post("/sessions/{session_id}/resume", summary="Resume the session's clock (trainer)",
             response_model=TrainingSessionInfo, responses={**ERRORS, **errors(403)})
def resume(session_id: str, request: Request) -> dict[str, Any]:
    session = _steer(session_id, request)
    session.resume()
    _control(request, session, "resumed")
    return _info(session, principal_of(request))


@router.post("/sessions/{session_id}/speed", summary="Change how fast the session's day runs (trainer)",
             response_model=TrainingSessionInfo, responses={**ERRORS, **errors(403)})
def speed(session_id: str, body: SpeedBody, request: Request) -> dict[str, Any]:
    session = _steer(session_id, request)
    session.set_speed(body.speed)
    _control(request, session, f"speed {body.speed:g}x")
    return _info(session, principal_of(request))


@router.post("/sessions/{session_id}/jump",
             summary="Jump the session ahead or back (to a moment or by minutes; back replays the day)",
             response_model=TrainingSessionInfo, responses={**ERRORS, **errors(403)})
def jump(session_id: str, body: JumpBody, request: Request) -> dict[str, Any]:
    session = _steer(session_id, request)
    if (body.to is None) == (body.minutes is None):
        raise HTTPException(status_code=422, detail="give either `to` or `minutes`")
    before = session.clock.now()
    target = body.to or before + timedelta(minutes=body.minutes or 0)
    if target.tzinfo is None:
        raise HTTPException(status_code=422, detail="`to` must carry a timezone offset")
    try:
        rewound = session.jump_to(target)
    except TrainingError as exc:
        raise _refuse(exc) from exc
    if rewound:
        _log(request, session, {"type": "rewind", "from": before.isoformat(), "to": session.clock.now().isoformat(),
                                "epoch": session.epoch})
    else:
        _control(request, session, f"jumped ahead to {session.info()['local_time']}")
    return _info(session, principal_of(request))


@router.post("/sessions/{session_id}/incidents", status_code=201,
             summary="Inject an incident: sensor failure, surge, tram disruption or a free one (trainer)",
             response_model=TrainingIncident, responses={**ERRORS, **errors(403)})
def inject(session_id: str, body: IncidentSchema, request: Request) -> dict[str, Any]:
    session = _steer(session_id, request)
    try:
        incident = session.inject(body)
    except TrainingError as exc:
        raise _refuse(exc) from exc
    what = body.note if body.kind == "free" else body.kind.replace("_", " ")
    _control(request, session, f"injected incident {incident.id}: {what}")
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


def _alerts(session: TrainingSession, request: Request) -> list[dict[str, Any]]:
    runtime = get_runtime(request)
    log = log_.read_log(runtime.store, session.site.id, session.id)
    visible = set(principal_of(request).visible_zones(session.site.id, list(session.site.zones)))
    shown = log_.overlay(session.alerts(), log)
    return [{**a, "zone_name": session.site.zones[a["zone_id"]].name} for a in shown if a["zone_id"] in visible]


@router.get("/sessions/{session_id}/alerts", summary="The sandbox's alerts with the trainees' steps",
            response_model=TrainingAlerts, responses=ERRORS)
def list_alerts(session_id: str, request: Request) -> dict[str, Any]:
    session = _session(session_id, request)
    alerts = _alerts(session, request)
    return {"session": session.id, "training": True, "now": session.clock.now().isoformat(), "alerts": alerts}


def _step(session_id: str, alert_id: str, request: Request, step: log_.Step, note: str | None,
          measure: str | None = None) -> dict[str, Any]:
    session = _session(session_id, request)
    alert = next((a for a in _alerts(session, request) if a["id"] == alert_id), None)
    if alert is None:
        raise HTTPException(status_code=404, detail=f"no alert {alert_id!r} in this session now")
    try:
        log_.check_step(alert, step)
    except log_.StepRefused as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    _log(request, session, {"type": "action", "action": step, "alert_id": alert_id, "zone_id": alert["zone_id"],
                            "level": alert["level"], "measure": measure, "note": note, "epoch": session.epoch})
    return next(a for a in _alerts(session, request) if a["id"] == alert_id)


@router.post("/sessions/{session_id}/alerts/{alert_id}/ack", summary="Acknowledge a sandbox alert (trainee)",
             response_model=TrainingAlert, responses=STEP_ERRORS)
def acknowledge(session_id: str, alert_id: str, body: StepBody, request: Request) -> dict[str, Any]:
    return _step(session_id, alert_id, request, "acknowledged", body.note)


@router.post("/sessions/{session_id}/alerts/{alert_id}/measure",
             summary="Record a measure taken for a sandbox alert (trainee)",
             response_model=TrainingAlert, responses=STEP_ERRORS)
def measure_taken(session_id: str, alert_id: str, body: MeasureBody, request: Request) -> dict[str, Any]:
    return _step(session_id, alert_id, request, "measure_taken", body.note, body.measure)


@router.post("/sessions/{session_id}/alerts/{alert_id}/resolve", summary="Resolve a sandbox alert (trainee)",
             response_model=TrainingAlert, responses=STEP_ERRORS)
def resolve(session_id: str, alert_id: str, body: StepBody, request: Request) -> dict[str, Any]:
    return _step(session_id, alert_id, request, "resolved", body.note)


@router.get("/sessions/{session_id}/log", summary="What trainees and the trainer did, as it happens (trainer)",
            response_model=TrainingLog, responses={**ERRORS, **errors(403)})
def session_log(session_id: str, request: Request) -> dict[str, Any]:
    _trainer(request)
    session = _session(session_id, request)
    log = log_.read_log(get_runtime(request).store, session.site.id, session.id)
    return {"session": session.id, "entries": log.entries}


def _debrief_of(session: TrainingSession, runtime: Runtime) -> dict[str, Any]:
    alerts = session.alerts()
    assert session.advisor is not None
    log = log_.read_log(runtime.store, session.site.id, session.id)
    info = session.info()
    debrief = build_debrief(session.site, info, alerts, session.advisor.crossings, session.advisor.stood_down,
                            session.incidents, log)
    return {**debrief, "ended": False}


@router.get("/sessions/{session_id}/debrief",
            summary="Trainees' actions against the playbook's advice: timeline, lead times, misses",
            response_model=Debrief, responses={**ERRORS, **errors(403)})
def debrief(session_id: str, request: Request) -> dict[str, Any]:
    principal = principal_of(request)
    runtime = get_runtime(request)
    kept = runtime.store.read_state(None, DEBRIEF_KIND, session_id)
    if kept and principal.may_see_site(kept[0].site_id):
        return kept[0].payload  # an ended session: its debrief is for trainer and trainees alike
    _trainer(request)  # during the session, trainees do not see the trainer's script
    return _debrief_of(_session(session_id, request), runtime)
