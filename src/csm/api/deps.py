"""Dependencies injected into routes: the access guard, the runtime and the site addressed by the path."""

from __future__ import annotations

from fastapi import HTTPException, Request, WebSocket
from fastapi.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from csm.auth.service import AuthService
from csm.runtime import Runtime, SiteRuntime


async def authorize(conn: HTTPConnection) -> None:
    """Every route: identify the caller and apply the access policy (deny by default).

    Async so that a request whose session is checked in memory never queues for the thread pool;
    store work (a session read without a live ledger watch, a due audit write, a WebSocket
    ticket) runs in a worker thread, off the event loop."""
    auth: AuthService = conn.app.state.auth
    if conn.scope["type"] != "http" or not auth.checks_in_memory:
        await run_in_threadpool(auth.authorize, conn)
        return
    write_audit = auth.check(conn)
    if write_audit is not None:
        await run_in_threadpool(write_audit)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_site_runtime(site_id: str, request: Request) -> SiteRuntime:
    """Async (a dict look-up): a sync dependency would send every request through the thread pool."""
    runtime = get_runtime(request)
    if site_id not in runtime.sites:
        raise HTTPException(status_code=404, detail=f"unknown site {site_id!r}")
    return runtime.sites[site_id]


def ws_site_runtime(site_id: str, websocket: WebSocket) -> SiteRuntime | None:
    runtime: Runtime = websocket.app.state.runtime
    return runtime.sites.get(site_id)
