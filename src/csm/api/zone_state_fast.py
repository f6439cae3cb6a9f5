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
(`zone_state_response`) as the route. Anything else — a refused caller, a zone-scoped one, an
unknown site, another method, a request with a body — goes on to the app, which decides as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import WebSocketException
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from csm.api.deps import authorize
from csm.api.middleware import SecurityHeaders
from csm.api.routes_zones import zone_state_response
from csm.api.scope import sees_whole_site
from csm.api.visibility import principal_of
from csm.runtime import Runtime

TEMPLATE = "/api/v1/sites/{site_id}/zones/state"
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


def _has_body(scope: Scope) -> bool:
    """Whether the request announces a body (the body limit, further in, would judge it)."""
    for name, value in scope["headers"]:
        if (name == b"content-length" and value != b"0") or name == b"transfer-encoding":
            return True
    return False


class ZoneStateFastPath:
    def __init__(self, app: ASGIApp, security: SecurityHeaders) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        site_id = site_of(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        if site_id is not None and _has_body(scope):
            site_id = None
        runtime: Runtime | None = scope["app"].state.runtime if site_id is not None else None
        site_runtime = runtime.sites.get(site_id) if runtime is not None and site_id is not None else None
        if site_runtime is None or site_id is None:
            await self.app(scope, receive, send)
            return
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
        response = await zone_state_response(request, site_runtime, principal)
        await response(routed, receive, self.security.wrap(scope, send))
