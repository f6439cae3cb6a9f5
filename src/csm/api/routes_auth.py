"""Login (local accounts and OpenID Connect), sessions, users, ingest tokens and the audit log."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import jwt
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from csm.api.deps import get_runtime
from csm.api.schemas.common import GUARDED, errors
from csm.api.schemas.ops import (
    AuditEntry,
    IngestTokenAnswer,
    LoginAnswer,
    Me,
    Removed,
    Status,
    UserInfo,
)
from csm.auth.grants import (
    GrantRefused,
    LastAdministrator,
    check_grant,
    check_keeps_administration,
    check_manage,
    covers,
    visible_sites,
)
from csm.auth.oidc import OidcClient, OidcConfig, OidcError, client_for
from csm.auth.principal import Principal
from csm.auth.roles import Permission, Role
from csm.auth.secrets import signing_key
from csm.auth.service import AUDIT_STREAM, CSRF_COOKIE, SESSION_COOKIE, AuthService, client_address
from csm.auth.sessions import SESSION_TTL, TICKET_TTL, OpenSession
from csm.auth.tokens import issue_ingest_token
from csm.auth.users import GLOBAL_SITE, MIN_PASSWORD_LENGTH, User, UserError
from csm.runtime import Runtime

router = APIRouter(tags=["auth"])
OIDC_STATE_COOKIE = "csm_oidc"


def get_auth(request: Request) -> AuthService:
    auth: AuthService = request.app.state.auth
    return auth


def current_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise HTTPException(401, "login required")
    return principal


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


def current_session(request: Request) -> OpenSession:
    opened: OpenSession | None = getattr(request.state, "session", None)
    if opened is None:
        raise HTTPException(401, "this needs a user session")
    return opened


def _set_session(response: Response, request: Request, token: str, csrf: str | None = None) -> None:
    """The session in an HttpOnly cookie; the CSRF token in a readable one (double submit)."""
    secure = request.url.scheme == "https"
    max_age = int(SESSION_TTL.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, csrf or secrets.token_urlsafe(24), max_age=max_age, httponly=False, samesite="lax",
        secure=secure,
    )


@router.post(
    "/api/v1/auth/login", summary="Log in with a local account", response_model=LoginAnswer,
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": LoginBody.model_json_schema()},
        "application/x-www-form-urlencoded": {"schema": LoginBody.model_json_schema()},
    }}},
    responses={**errors(401, 422, 429), 303: {"description": "form post: to the dashboard, or back to /login"}},
)
async def login(request: Request, auth: AuthService = Depends(get_auth)) -> Response:
    """JSON {username, password} answers with a bearer token and sets the session cookies;
    a form post (the /login page) is redirected to the dashboard. Repeated failures are refused
    for a while (429)."""
    is_form = request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    try:
        if is_form:
            form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
            body = LoginBody(username=form.get("username", [""])[0], password=form.get("password", [""])[0])
        else:
            body = LoginBody.model_validate_json(await request.body())
    except ValueError as exc:
        raise HTTPException(422, f"expected username and password: {exc}") from exc
    address = client_address(request)
    key = f"{body.username.lower()}|{address}"
    wait = max(auth.login_failures.retry_after(key), auth.login_attempts_per_address.retry_after(address))
    if wait > 0:
        auth.record(GLOBAL_SITE, body.username, "-", "login refused: rate limit", address)
        raise HTTPException(429, "too many failed logins; try again later",
                            headers={"Retry-After": str(int(wait) + 1)})
    auth.login_attempts_per_address.hit(address)
    user = auth.users.authenticate(body.username, body.password)
    if user is None:
        auth.login_failures.hit(key)
        auth.record(GLOBAL_SITE, body.username, "-", "login failed", address)
        if is_form:
            return RedirectResponse("/login?failed=1", status_code=303)
        raise HTTPException(401, "wrong username or password")
    auth.login_failures.reset(key)
    auth.record(GLOBAL_SITE, user.username, user.role.value, "login", address)
    token = auth.sessions.open(user, "password")
    if is_form:
        response: Response = RedirectResponse("/", status_code=303)
        _set_session(response, request, token)
        return response
    csrf = secrets.token_urlsafe(24)
    response = JSONResponse(
        {"user": user.public(), "token": token, "csrf_token": csrf,
         "expires_in": int(SESSION_TTL.total_seconds())}
    )
    _set_session(response, request, token, csrf)
    return response


@router.post("/api/v1/auth/logout", summary="End this session (bearer token and cookie alike)",
             response_model=Status, responses=GUARDED)
def logout(request: Request, auth: AuthService = Depends(get_auth)) -> Response:
    """The session ends on the server: its token and cookie are refused from now on, by every worker."""
    principal = current_principal(request)
    opened = getattr(request.state, "session", None)
    if opened is not None:
        auth.sessions.close(opened.sid_hash, by=principal.name)
    auth.record(GLOBAL_SITE, principal.name, principal.role.value if principal.role else "-", "logout",
                client_address(request))
    response = JSONResponse({"status": "logged out"})
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/api/v1/auth/me", summary="Who am I, and what may I do", response_model=Me, responses=GUARDED)
def me(request: Request) -> dict[str, Any]:
    principal = current_principal(request)
    return {
        "username": principal.name,
        "role": principal.role.value if principal.role else None,
        "kind": principal.kind,
        "sites": sorted(principal.sites),
        "zones": {s: sorted(z) for s, z in principal.zones.items()},
        "permissions": sorted(p.value for p in principal.permissions),
    }


class StreamTicketBody(BaseModel):
    site: str = Field(min_length=1, max_length=64, description="the site whose live stream to open")


class StreamTicket(BaseModel):
    ticket: str
    expires_in: int = Field(description="seconds the ticket stays valid")


@router.post("/api/v1/auth/stream-ticket", summary="A single-use ticket to open a live stream",
             response_model=StreamTicket, responses={**GUARDED, **errors(403)})
def stream_ticket(body: StreamTicketBody, request: Request, auth: AuthService = Depends(get_auth)) -> dict[str, Any]:
    """For WebSocket clients that cannot send the cookie or an Authorization header: connect to
    `/api/v1/sites/{site}/zones/stream?ticket=...` within 30 seconds. The ticket works once."""
    opened = current_session(request)
    if not opened.principal.can(Permission.VIEW_PICTURE) or not opened.principal.may_see_site(body.site):
        raise HTTPException(403, f"no access to the stream of site {body.site!r}")
    return {"ticket": auth.sessions.issue_ticket(opened, body.site),
            "expires_in": int(TICKET_TTL.total_seconds())}


# -- OpenID Connect --------------------------------------------------------------------------
def _oidc(request: Request) -> OidcClient:
    config = OidcConfig.from_settings(get_runtime(request).settings.oidc)
    if config is None:
        raise HTTPException(404, "OpenID Connect is not configured (CSM_OIDC_ISSUER, CSM_OIDC_CLIENT_ID)")
    return client_for(config)


@router.get("/api/v1/auth/oidc/login", summary="Log in with the organisation's identity provider",
            response_class=RedirectResponse, status_code=302,
            responses={302: {"description": "to the identity provider"}, **errors(404)})
def oidc_login(request: Request) -> Response:
    client = _oidc(request)
    redirect_uri = client.config.redirect_url or str(request.url_for("oidc_callback"))
    url, kept = client.start(redirect_uri)
    response = RedirectResponse(url, status_code=302)
    sealed = jwt.encode({**kept, "exp": datetime.now(UTC) + timedelta(minutes=10)}, signing_key(), "HS256")
    response.set_cookie(OIDC_STATE_COOKIE, sealed, max_age=600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@router.get("/api/v1/auth/oidc/callback", name="oidc_callback", summary="Identity provider callback",
            response_class=RedirectResponse, status_code=303,
            responses={303: {"description": "logged in: to the dashboard"}, **errors(400, 403, 404, 422)})
def oidc_callback(
    request: Request, code: str = Query(...), state: str = Query(...), auth: AuthService = Depends(get_auth)
) -> Response:
    client = _oidc(request)
    try:
        kept = jwt.decode(request.cookies.get(OIDC_STATE_COOKIE, ""), signing_key(), algorithms=["HS256"])
    except jwt.InvalidTokenError as exc:
        raise HTTPException(400, "login expired or started elsewhere: start again") from exc
    if not secrets.compare_digest(str(kept.get("state")), state):
        raise HTTPException(400, "state does not match this login")
    try:
        claims = client.finish(code, kept)
        # Bound by (issuer, subject) only: a claim such as email never selects a local account.
        local = auth.users.by_external(client.config.issuer, str(claims["sub"]))
        principal = client.principal(claims, local.principal("oidc") if local else None)
    except OidcError as exc:
        auth.record(GLOBAL_SITE, "-", "-", f"oidc login refused: {exc}", client_address(request))
        raise HTTPException(exc.status, str(exc)) from exc
    auth.record(GLOBAL_SITE, principal.name, principal.role.value if principal.role else "-", "login (oidc)",
                client_address(request))
    response = RedirectResponse("/", status_code=303)
    token = auth.sessions.open(local, "oidc") if local else auth.sessions.open(None, "oidc-claims", granted=principal)
    _set_session(response, request, token)
    response.delete_cookie(OIDC_STATE_COOKIE)
    return response


# -- the login page (plain HTML form: no script, works under a strict CSP) --------------------
_LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Crowd Safety Manager · login</title><link rel="stylesheet" href="/login.css"></head>
<body><main class="login"><h1>Crowd Safety Manager</h1><p>For authorised staff only.</p>
{failed}<form method="post" action="/api/v1/auth/login">
<label>Username <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button></form>{oidc}</main></body></html>"""

_LOGIN_CSS = """body{margin:0;font:16px system-ui,sans-serif;background:#0f1720;color:#e6edf3;
display:grid;place-items:center;min-height:100vh}.login{background:#17212b;padding:2rem 2.5rem;
border-radius:12px;min-width:320px;box-shadow:0 8px 30px #0008}h1{margin-top:0;font-size:1.4rem}
label{display:block;margin:1rem 0 .3rem}input{width:100%;box-sizing:border-box;padding:.6rem;
border-radius:6px;border:1px solid #3a4b5c;background:#0f1720;color:inherit}button,.oidc{margin-top:1.2rem;
width:100%;padding:.7rem;border:0;border-radius:6px;background:#1a5fd6;color:#fff;font-weight:600;
cursor:pointer;display:block;text-align:center;text-decoration:none}.failed{color:#ff7b72}"""


@router.get("/login", include_in_schema=False)
def login_page(request: Request, failed: int = 0) -> HTMLResponse:
    oidc = '<a class="oidc" href="/api/v1/auth/oidc/login">Log in with your organisation</a>' \
        if OidcConfig.from_settings(get_runtime(request).settings.oidc) else ""
    note = '<p class="failed">Wrong username or password, or too many attempts.</p>' if failed else ""
    return HTMLResponse(_LOGIN_PAGE.format(failed=note, oidc=oidc))


@router.get("/login.css", include_in_schema=False)
def login_css() -> Response:
    return Response(_LOGIN_CSS, media_type="text/css")


# -- administration: nobody grants rights beyond their own (csm.auth.grants) ----------------
class NewUser(BaseModel):
    username: str = Field(pattern=r"^[a-z0-9][a-z0-9._@-]{1,63}$")
    role: Role
    sites: list[str] = Field(min_length=1)
    password: str | None = Field(None, min_length=MIN_PASSWORD_LENGTH,
                                 description="omit for accounts that log in through OIDC only")
    zones: dict[str, list[str]] | None = None
    oidc_issuer: str | None = Field(None, description="with oidc_subject: the external identity of this account")
    oidc_subject: str | None = None


class UserChange(BaseModel):
    role: Role | None = None
    sites: list[str] | None = Field(None, min_length=1)
    zones: dict[str, list[str]] | None = None


def _refused(exc: GrantRefused) -> HTTPException:
    return HTTPException(403, str(exc))


def _managed_user(auth: AuthService, actor: Principal, username: str) -> User:
    """The account, if the actor may manage it; an account outside the actor's scope is 404."""
    user = auth.users.get(username)
    if user is None or not covers(actor, user.sites):
        raise HTTPException(404, f"no user {username!r}")
    try:
        check_manage(actor, user)
    except GrantRefused as exc:
        raise _refused(exc) from exc
    return user


@router.get("/api/v1/users", summary="Accounts within your sites (administrators)", response_model=list[UserInfo],
            responses=GUARDED)
def list_users(request: Request, auth: AuthService = Depends(get_auth)) -> list[dict[str, Any]]:
    actor = current_principal(request)
    return [u.public() for u in auth.users.all() if covers(actor, u.sites)]


@router.post("/api/v1/users", summary="Add an account within your sites and rights (administrators)",
             status_code=201, response_model=UserInfo, responses={**GUARDED, **errors(409)})
def add_user(body: NewUser, request: Request, auth: AuthService = Depends(get_auth)) -> dict[str, Any]:
    actor = current_principal(request)
    try:
        check_grant(actor, body.role, body.sites)
    except GrantRefused as exc:
        raise _refused(exc) from exc
    if auth.users.get(body.username) is not None:
        raise HTTPException(409, f"user {body.username!r} exists; remove it first")
    if (body.oidc_issuer is None) != (body.oidc_subject is None):
        raise HTTPException(422, "give both oidc_issuer and oidc_subject, or neither")
    external = (body.oidc_issuer, body.oidc_subject) if body.oidc_issuer and body.oidc_subject else None
    try:
        user = auth.users.add(body.username, body.role, body.sites, body.password, body.zones, by=actor.name,
                              external=external)
    except UserError as exc:
        raise HTTPException(422, str(exc)) from exc
    return user.public()


@router.patch("/api/v1/users/{username}", summary="Change an account's role or sites (administrators)",
              response_model=UserInfo, responses={**GUARDED, **errors(404, 409)})
def change_user(username: str, body: UserChange, request: Request,
                auth: AuthService = Depends(get_auth)) -> dict[str, Any]:
    """Takes effect at the account's next request, on every worker: rights are never kept in tokens."""
    actor = current_principal(request)
    user = _managed_user(auth, actor, username)
    role, sites = body.role or user.role, body.sites if body.sites is not None else sorted(user.sites)
    try:
        check_grant(actor, role, sites)
        check_keeps_administration(auth.users.all(), user, (role, sites))
        changed = auth.users.update(username, body.role, body.sites, body.zones, by=actor.name)
    except GrantRefused as exc:
        raise _refused(exc) from exc
    except LastAdministrator as exc:
        raise HTTPException(409, str(exc)) from exc
    except UserError as exc:
        raise HTTPException(422, str(exc)) from exc
    return changed.public()


@router.delete("/api/v1/users/{username}", summary="Remove an account within your sites (administrators)",
               response_model=Removed, responses={**GUARDED, **errors(404, 409)})
def remove_user(username: str, request: Request, auth: AuthService = Depends(get_auth)) -> dict[str, str]:
    actor = current_principal(request)
    user = _managed_user(auth, actor, username)
    try:
        check_keeps_administration(auth.users.all(), user, None)
        auth.users.remove(username, by=actor.name)
    except LastAdministrator as exc:
        raise HTTPException(409, str(exc)) from exc
    except UserError as exc:
        raise HTTPException(404, str(exc)) from exc
    return {"status": "removed", "username": username}


class NewIngestToken(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    site: str
    sensors: list[str] | None = Field(None, description="the sensors it may write; omit for all (a gateway)")
    days: int = Field(365, ge=1, le=3650)


@router.post("/api/v1/tokens/ingest", summary="Issue a signed ingest token for one of your sites (administrators)",
             response_model=IngestTokenAnswer, responses={**GUARDED, **errors(404)})
def new_ingest_token(body: NewIngestToken, request: Request,
                     runtime: Runtime = Depends(get_runtime)) -> dict[str, str]:
    if not current_principal(request).may_see_site(body.site):
        raise HTTPException(403, f"no access to site {body.site!r}")
    site_runtime = runtime.sites.get(body.site)
    if site_runtime is None:
        raise HTTPException(404, f"unknown site {body.site!r}")
    unknown = [s for s in body.sensors or [] if s not in site_runtime.site.sensors]
    if unknown:
        raise HTTPException(422, f"unknown sensor(s): {', '.join(unknown)}")
    return {"token": issue_ingest_token(body.name, body.site, body.sensors, timedelta(days=body.days))}


@router.get("/api/v1/audit", summary="Who viewed or changed what, and when (administrators, own sites)",
            response_model=list[AuditEntry], responses=GUARDED)
def audit_log(
    request: Request,
    runtime: Runtime = Depends(get_runtime),
    site: str | None = Query(None, description="a site id, or * for logins and administration"),
    after_id: int = Query(0, ge=0),
    limit: int = Query(200, ge=1, le=5000),
) -> list[dict[str, Any]]:
    """Global administrators read every entry; a site administrator the entries of their sites."""
    try:
        sites = visible_sites(current_principal(request), site)
    except GrantRefused as exc:
        raise _refused(exc) from exc
    if sites is None:
        events = runtime.store.read_events(site, AUDIT_STREAM, after_id, limit)
    else:
        events = sorted((e for s in sites for e in runtime.store.read_events(s, AUDIT_STREAM, after_id, limit)),
                        key=lambda e: e.id)[:limit]
    return [{"id": e.id, "site": e.site_id, "ts": e.ts.isoformat(), **e.payload} for e in events]
