"""Sites, zones and the live picture: REST snapshots and a WebSocket stream of changes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, WebSocket, WebSocketDisconnect

from csm.api.deps import get_runtime, get_site_runtime, ws_site_runtime
from csm.api.live_frames import UPDATE_FRAMES
from csm.api.live_notices import notice_for, notice_topics
from csm.api.schemas.common import GUARDED, FeatureCollection, errors
from csm.api.schemas.picture import (
    ForecastAnswer,
    HistoryAnswer,
    SensorInfo,
    ServerTime,
    SiteSummary,
    ZoneCollection,
    ZoneStatesAnswer,
)
from csm.api.scope import ZoneScope, zone_scope
from csm.api.visibility import principal_of, view_series_value, view_states, visible_zone_ids
from csm.api.zone_state_answer import zone_state_answer
from csm.runtime import Runtime, SiteRuntime
from csm.topics import ZONES_TOPIC, ZonesMessage

router = APIRouter(prefix="/api/v1", tags=["picture"])
# Optional map layers a site folder may hold, by the name the dashboard asks for.
SITE_ERRORS = {**GUARDED, **errors(404)}
SITE_LAYERS = {"buildings": "buildings.geojson", "network": "network.geojson"}


def _site_summary(sr: SiteRuntime) -> dict[str, Any]:
    cfg = sr.site.config
    t = cfg.defaults.thresholds
    return {
        "id": cfg.id,
        "name": cfg.name,
        "timezone": cfg.timezone,
        "country": cfg.country,
        "center": list(cfg.center) if cfg.center else None,
        "zoom": cfg.zoom,
        "basemap_style_url": cfg.basemap_style_url,
        "zone_count": len(sr.site.zones),
        "sensor_count": len(sr.site.sensors),
        "layers": [name for name, file in SITE_LAYERS.items() if sr.site.optional_file(file)],
        # The site's default thresholds (zones may override theirs: see each zone's properties).
        "levels": [
            {"level": "green", "density_from": 0.0, "density_to": t.yellow, "meaning": "free flow"},
            {"level": "yellow", "density_from": t.yellow, "density_to": t.orange, "meaning": "busy, restricted"},
            {"level": "orange", "density_from": t.orange, "density_to": t.red,
             "meaning": "very busy, flow breaks down"},
            {"level": "red", "density_from": t.red, "density_to": None,
             "meaning": "crowded, or above capacity"},
        ],
    }


@router.get("/sites", summary="Sites served by this deployment (those the caller may see)",
            response_model=list[SiteSummary], responses=GUARDED)
def list_sites(request: Request, runtime: Runtime = Depends(get_runtime)) -> list[dict[str, Any]]:
    principal = principal_of(request)
    return [_site_summary(sr) for sr in runtime.sites.values() if principal.may_see_site(sr.site.id)]


@router.get("/sites/{site_id}", summary="One site: name, map centre, level legend",
            response_model=SiteSummary, responses=SITE_ERRORS)
def get_site(sr: SiteRuntime = Depends(get_site_runtime)) -> dict[str, Any]:
    return _site_summary(sr)


@router.get("/sites/{site_id}/zones", summary="Zone polygons as GeoJSON",
            response_model=ZoneCollection, responses=SITE_ERRORS)
def get_zones(sr: SiteRuntime = Depends(get_site_runtime), scope: ZoneScope = Depends(zone_scope)
              ) -> dict[str, Any]:
    geojson = sr.site.zones_geojson()
    geojson["features"] = scope.keep(geojson["features"], "id")
    return geojson


@router.get("/sites/{site_id}/layers/{layer}", summary="An optional map layer of the site folder (GeoJSON)",
            response_model=FeatureCollection, response_model_exclude_unset=True,
            responses={**SITE_ERRORS, **errors(500)})
def get_layer(layer: str, sr: SiteRuntime = Depends(get_site_runtime)) -> dict[str, Any]:
    """Building footprints (`buildings.geojson`: extruded by `height` in m or `levels`) and the path
    network (`network.geojson`), drawn under the zones when the site has them."""
    file = SITE_LAYERS.get(layer)
    path = sr.site.optional_file(file) if file else None
    if path is None:
        raise HTTPException(404, detail=f"site {sr.site.id!r} has no {layer!r} layer; known: {sorted(SITE_LAYERS)}")
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HTTPException(500, detail=f"{path.name} is not readable GeoJSON: {exc}") from exc
    return data


@router.get("/sites/{site_id}/sensors", summary="Sensors and the zones they feed",
            response_model=list[SensorInfo], responses=SITE_ERRORS)
def get_sensors(sr: SiteRuntime = Depends(get_site_runtime)) -> list[dict[str, Any]]:
    return [s.model_dump(mode="json") for s in sr.site.sensors.values()]


@router.get("/sites/{site_id}/zones/state", summary="Current occupancy, density, level per zone",
            response_model=ZoneStatesAnswer, responses={**SITE_ERRORS, 304: {"description": "unchanged since the "
                                                                              "ETag sent in If-None-Match"}})
async def get_zone_states(request: Request, sr: SiteRuntime = Depends(get_site_runtime)) -> Response:
    """{site, as_of, zones: [...]}; the encoded answer is reused until the picture changes. It carries
    an ETag (If-None-Match → 304 Not Modified) and is sent gzip-compressed to clients that accept it.

    Async on purpose: a cached answer is bytes in memory, so the request never waits for a thread;
    only a new picture version is encoded, once, in a worker thread."""
    # The usual request does not get here: csm.api.zone_state_fast answers it with the same function.
    answer = await zone_state_answer(get_runtime(request), sr, principal_of(request),
                                     request.headers.get("if-none-match"), request.headers.get("accept-encoding"))
    return answer.response()


@router.get("/sites/{site_id}/zones/history", summary="Zone snapshots over a time window",
            response_model=HistoryAnswer, responses=SITE_ERRORS)
def get_zone_history(
    request: Request,
    sr: SiteRuntime = Depends(get_site_runtime),
    runtime: Runtime = Depends(get_runtime),
    scope: ZoneScope = Depends(zone_scope),
    hours: float = Query(6.0, gt=0, le=24 * 31, description="how far back from now"),
    zone: list[str] | None = Query(None, description="limit to these zone ids"),
) -> dict[str, Any]:
    unknown = [z for z in zone or [] if z not in sr.site.zones]
    if unknown:
        raise HTTPException(404, detail=f"unknown zone(s): {', '.join(unknown)}")
    principal = principal_of(request)
    wanted = scope.ids(zone or list(sr.site.zones))
    end = runtime.clock.now()
    frame = runtime.store.zone_history(sr.site.id, end - timedelta(hours=hours), end, wanted)
    series: dict[str, list[dict[str, Any]]] = {}
    for row in frame.itertuples(index=False):
        series.setdefault(row.zone_id, []).append(
            {
                "ts": row.ts.to_pydatetime().astimezone(UTC).isoformat(),
                "occupancy": _maybe_round(view_series_value(principal, sr.site, _value(row.occupancy)), 0),
                "density": _maybe_round(
                    None if view_series_value(principal, sr.site, _value(row.occupancy)) is None
                    else _value(row.density), 3
                ),
                "level": row.level,
                "stale": bool(row.stale),
            }
        )
    return {"site": sr.site.id, "until": end.isoformat(), "zones": series}


@router.get("/sites/{site_id}/zones/forecast", summary="Newest per-zone forecast: p10/p50/p90 and levels",
            response_model=ForecastAnswer, responses=SITE_ERRORS)
def get_zone_forecast(sr: SiteRuntime = Depends(get_site_runtime), scope: ZoneScope = Depends(zone_scope)
                      ) -> dict[str, Any]:
    from csm.services.forecasts import forecast_payload

    payload = forecast_payload(sr)
    zones = scope.keys(payload["zones"])
    for points in zones.values():
        for point in points:
            for key in ("p10", "p50", "p90"):
                point[key] = scope.count(point[key])
            if point["p50"] is None:
                point["density_p50"] = None
    payload["zones"] = zones
    return payload


def _value(raw: Any) -> float | None:
    return None if raw is None or raw != raw else float(raw)


def _maybe_round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@router.get("/time", summary="The server's clock (simulated in the demo and training)",
            response_model=ServerTime)
def get_time(runtime: Runtime = Depends(get_runtime)) -> dict[str, str]:
    return {"now": runtime.clock.now().isoformat(), "wall": datetime.now(UTC).isoformat()}


@router.websocket("/sites/{site_id}/zones/stream")
async def stream_zone_states(websocket: WebSocket, site_id: str) -> None:
    """Sends a full snapshot on connect, then every visible change as it happens; and a notice
    (`{"type": "changed", "topic": ...}`) when alerts, advice or sources change (csm.api.live_notices)."""
    sr = ws_site_runtime(site_id, websocket)
    if sr is None:
        await websocket.close(code=4404, reason="unknown site")
        return
    runtime: Runtime = websocket.app.state.runtime
    principal = principal_of(websocket)
    await websocket.accept()
    gauge = runtime.metrics.stream_clients.labels(site_id)
    gauge.inc()
    try:
        async with contextlib.AsyncExitStack() as subscriptions:
            queue = await subscriptions.enter_async_context(runtime.bus.subscribe(ZONES_TOPIC))
            notices = {topic: await subscriptions.enter_async_context(runtime.bus.subscribe(topic))
                       for topic in notice_topics(principal)}
            as_of, zones = sr.picture.snapshot()
            await websocket.send_json(
                {"type": "snapshot", "as_of": as_of.isoformat() if as_of else None,
                 "zones": view_states(principal, sr.site, zones)}
            )

            sending = asyncio.Lock()  # one message at a time on the socket, whichever task sends

            async def send(document: dict[str, Any]) -> None:
                async with sending:
                    await websocket.send_json(document)

            frames = runtime.state.get(UPDATE_FRAMES)

            async def forward_changes() -> None:
                while True:
                    message = await queue.get()
                    if not isinstance(message, ZonesMessage) or message.site != site_id:
                        continue
                    frame = frames.frame(message, principal, sr.site)  # encoded once per view
                    if frame is not None:
                        async with sending:
                            await websocket.send_text(frame)

            async def forward_notices(topic: str, notice_queue: asyncio.Queue[Any]) -> None:
                visible = visible_zone_ids(principal, sr.site)
                while True:
                    notice = notice_for(topic, await notice_queue.get(), site_id, visible)
                    if notice is not None:
                        await send(notice)

            async def until_disconnect() -> None:
                while True:
                    await websocket.receive_text()

            tasks = {asyncio.create_task(forward_changes()), asyncio.create_task(until_disconnect())}
            tasks |= {asyncio.create_task(forward_notices(t, q)) for t, q in notices.items()}
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            for task in done:
                exc = task.exception()
                if exc is not None and not isinstance(exc, WebSocketDisconnect):
                    raise exc
    except WebSocketDisconnect:
        pass
    finally:
        gauge.dec()
