"""The dashboard's poll of the zone state, answered ahead of the framework's middleware stack.

Every dashboard polls `GET /api/v1/sites/{site_id}/zones/state`, and its answer is bytes cached per
picture version (csm.api.state_cache). Profiles of a worker under load showed most of a request's
time in FastAPI's route matching, dependency solving and response wrapping around those bytes,
and, once that was bypassed, a sixth in the layers of middleware around it. This layer therefore
sits outside them (inside the access log only) and does itself what they would do to this one
request: it adds the security headers; the canonical-path redirect, the body limit, the
dashboard login and the zone-scope filter have nothing to do for a bodiless GET of the canonical
path by a caller who sees the whole site, which is the only case it answers. It runs the same
guard (`authorize`: identification, access policy, audit) and the same answer
(`zone_state_answer`) as the route; a poll whose credential headers the guard let through before,
with nothing it decided on changed since and no audit entry due, reuses that decision
(`AuthService.remembered`) instead of building a request and identifying the caller again.
Anything else — a refused caller, a zone-scoped one, an unknown site, another method, a request
with a body — goes on to the app, which decides as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import WebSocketException
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from csm.api.deps import authorize
from csm.api.middleware import SecurityHeaders
from csm.api.scope import sees_whole_site
from csm.api.visibility import principal_of
from csm.api.zone_state_answer import ZoneStateAnswer, zone_state_answer
from csm.auth.service import AuthService
from csm.runtime import Runtime

TEMPLATE = "/api/v1/sites/{site_id}/zones/state"
# The guard decisions AuthService may remember for this path (`AuthService.remembered`).
POLLED_ROUTES = frozenset({("GET", TEMPLATE)})
_PREFIX = "/api/v1/sites/"
_SUFFIX = "/zones/state"


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    """What the guard reads of the matched route (`scope["route"].path`): the path template."""

    path: str


_ROUTE = RouteTemplate(TEMPLATE)


def site_of(path: str) -> str | None:
    """The site id when `path` is the zone-state path (one segment, as the router's `{site_id}`)."""
    if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
        return None
    site_id = path[len(_PREFIX):-len(_SUFFIX)]
    return site_id if site_id and "/" not in site_id else None


@dataclass(slots=True)
class PollHeaders:
    """The request headers the fast path reads, from one pass over them (the first of each counts,
    as Starlette's `headers.get` takes the first)."""

    has_body: bool = False
    if_none_match: str | None = None
    accept_encoding: str | None = None
    authorization: str | None = None
    cookie: str | None = None


def poll_headers(scope: Scope) -> PollHeaders:
    found = PollHeaders()
    for name, value in scope["headers"]:
        if (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
            found.has_body = True  # the body limit, further in, would judge it
        elif name == b"authorization" and found.authorization is None:
            found.authorization = value.decode("latin-1")
        elif name == b"cookie" and found.cookie is None:
            found.cookie = value.decode("latin-1")
        elif name == b"if-none-match" and found.if_none_match is None:
            found.if_none_match = value.decode("latin-1")
        elif name == b"accept-encoding" and found.accept_encoding is None:
            found.accept_encoding = value.decode("latin-1")
    return found


# Header lists with the security headers added, by (ETag, form, scheme): one per answer form, so a
# poll sends a ready list. Bounded: versions come and go every few seconds.
_COMPLETED_LIMIT = 64


class ZoneStateFastPath:
    def __init__(self, app: ASGIApp, security: SecurityHeaders) -> None:
        self.app = app
        self.security = security
        self._completed: dict[tuple[str, str, str], list[tuple[bytes, bytes]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        site_id = site_of(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        runtime: Runtime | None = scope["app"].state.runtime if site_id is not None else None
        site_runtime = runtime.sites.get(site_id) if runtime is not None and site_id is not None else None
        wanted = poll_headers(scope) if site_runtime is not None else None
        if runtime is None or site_runtime is None or site_id is None or wanted is None or wanted.has_body:
            await self.app(scope, receive, send)
            return
        auth: AuthService = scope["app"].state.auth
        principal = auth.remembered(wanted.authorization, wanted.cookie, "GET", TEMPLATE, site_id, scope["path"])
        if principal is None:
            # A copy carrying what routing would add; its `state` is the request's own (shared dict).
            routed: Scope = {**scope, "route": _ROUTE, "path_params": {"site_id": site_id}}
            request = Request(routed, receive)
            try:
                await authorize(request)
            except (HTTPException, WebSocketException):
                await self.app(scope, receive, send)  # the app refuses it the same way, with its error answer
                return
            principal = principal_of(request)
        if not sees_whole_site(principal, site_id):
            await self.app(scope, receive, send)  # the scope filter needs routing's path parameters
            return
        answer = await zone_state_answer(runtime, site_runtime, principal, wanted.if_none_match,
                                         wanted.accept_encoding)
        await send({"type": "http.response.start", "status": answer.status, "headers": self._headers(scope, answer)})
        await send({"type": "http.response.body", "body": answer.body})

    def _headers(self, scope: Scope, answer: ZoneStateAnswer) -> list[tuple[bytes, bytes]]:
        """The answer's headers and the security headers, made once per answer form."""
        key = (*answer.form, scope.get("scheme", "http"))
        found = self._completed.get(key)
        if found is None:
            if len(self._completed) >= _COMPLETED_LIMIT:
                self._completed.clear()
            found = self._completed[key] = self.security.completed(scope, answer.headers)
        return found
