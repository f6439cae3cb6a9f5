"""The ASGI application: API routes behind the access policy, the live stream and the dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from csm import __version__
from csm.api import log_redaction
from csm.api.access_log import ACCESS_LOG, AccessLogMiddleware
from csm.api.deps import authorize
from csm.api.errors import install_error_handlers
from csm.api.gil import keep_loop_responsive
from csm.api.heap import settle_heap
from csm.api.middleware import (
    BodyLimitMiddleware,
    CanonicalPathMiddleware,
    DashboardLoginMiddleware,
    SecurityHeaders,
    SecurityHeadersMiddleware,
    origin_of,
)
from csm.api.schemas.common import errors
from csm.api.scope import ZoneScopeMiddleware
from csm.api.zone_state_fast import POLLED_ROUTES, ZoneStateFastPath
from csm.auth.ratelimit import RateLimits
from csm.auth.service import AuthService
from csm.bus_redis import RedisBus
from csm.extensions import ROUTERS, resolve
from csm.runtime import Runtime
from csm.site.basemap import basemap_of

WEB_DIST = Path(__file__).resolve().parent.parent / "web_dist"

_NO_DASHBOARD = """<!doctype html><html><head><title>Crowd Safety Manager</title></head>
<body><h1>Crowd Safety Manager</h1><p>The dashboard is not built. Run <code>make web</code>.
The API is described at <a href="/docs">/docs</a>.</p></body></html>"""


def map_origins(runtime: Runtime) -> list[str]:
    """Origins the dashboard may load map styles and tiles from: each site's basemap style URL and
    CSM_MAP_ORIGINS (space-separated, for tile servers on another origin than their style)."""
    styles = (basemap_of(sr.site) for sr in runtime.sites.values())
    found = {origin_of(b.url or "") for b in styles if b is not None and b.kind == "style"}
    found |= {origin_of(o) for o in runtime.settings.map_origin_list}
    return sorted(o for o in found if o)


class CsmApi(FastAPI):
    """FastAPI with two layers outside its middleware stack: the access log, then the zone-state
    poll's fast path (csm.api.zone_state_fast), which skips the stack for the one request every
    dashboard makes every two seconds."""

    def __init__(self, *args: Any, security: SecurityHeaders, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.security = security
        # With FastAPI's telemetry all off, its and Starlette's calls do nothing for an HTTP request
        # but hand it to the middleware stack; `__call__` then does that itself.
        telemetry = kwargs.get("telemetry")
        self._direct_http = isinstance(telemetry, dict) and not any(telemetry.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stack = self.middleware_stack
        if stack is None or scope["type"] != "http" or self.root_path or not self._direct_http:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        await stack(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        return AccessLogMiddleware(ZoneStateFastPath(super().build_middleware_stack(), self.security))


def rate_limits(runtime: Runtime) -> RateLimits:
    """Counted in Redis when the deployment has a Redis bus (several workers answer alike), else
    in this process (one process: the same thing)."""
    bus = runtime.bus
    if isinstance(bus, RedisBus):
        return RateLimits.shared(bus.url, bus.namespace)
    return RateLimits.in_process()


def create_app(runtime: Runtime, web_dist: Path | None = WEB_DIST, close_runtime: bool = False,
               server_process: bool = False) -> FastAPI:
    """`close_runtime`: the app owns the runtime (a uvicorn worker process) and closes it on exit.
    `server_process`: the process exists to serve this app (`csm serve`, a worker), so what start-up
    loaded is frozen out of the garbage collector's full passes (csm.api.heap; not in tests), and
    the interpreter switches threads sooner (csm.api.gil)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log_redaction.install()  # again here: uvicorn configures its loggers after create_app
        await runtime.start()
        app.state.auth.start()
        if server_process:
            settle_heap()
            keep_loop_responsive()
        try:
            yield
        finally:
            app.state.auth.stop()
            ACCESS_LOG.flush()
            await runtime.stop()
            if close_runtime:
                runtime.close()

    security = SecurityHeaders(map_origins=map_origins(runtime))
    app = CsmApi(
        security=security,
        title="Crowd Safety Manager",
        version=__version__,
        description="Live and forecast crowd levels per zone, advice and scenarios. For authorised staff:"
        " log in at /api/v1/auth/login and send the token as `Authorization: Bearer ...`.",
        lifespan=lifespan,
        # CSM's metrics are Prometheus (/metrics); FastAPI's OpenTelemetry hooks looked for a
        # configured provider on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    log_redaction.install()
    app.state.runtime = runtime
    app.state.auth = AuthService(runtime.store, rate_limits(runtime), remembered_routes=POLLED_ROUTES)
    for entry in ["csm.api.routes_auth:router", *ROUTERS]:
        # Any route: a bad token (401), no access policy (403), a body that is not JSON (400).
        app.include_router(resolve(entry), dependencies=[Depends(authorize)], responses=errors(400, 401, 403))
    install_error_handlers(app)

    if web_dist is not None and (web_dist / "index.html").is_file():
        app.mount("/", StaticFiles(directory=web_dist, html=True), name="dashboard")
    else:
        @app.get("/", include_in_schema=False)
        def no_dashboard() -> HTMLResponse:
            return HTMLResponse(_NO_DASHBOARD)

    app.add_middleware(ZoneScopeMiddleware)
    app.add_middleware(DashboardLoginMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(CanonicalPathMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, headers=security)
    return app
