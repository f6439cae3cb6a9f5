"""Dependencies injected into routes: the runtime and the site addressed by the path."""

from __future__ import annotations

from fastapi import HTTPException, Request, WebSocket

from csm.runtime import Runtime, SiteRuntime


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
