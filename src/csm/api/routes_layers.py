"""The basemap of a site: its configuration for the page, the GeoJSON context layer and the
PMTiles archive (with range requests). Access as for every other site read (view picture)."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel

from csm.api.deps import get_site_runtime
from csm.api.http_range import file_response
from csm.api.schemas.common import FeatureCollection, errors, file_answer
from csm.runtime import SiteRuntime
from csm.site.basemap import basemap_file, basemap_of

router = APIRouter(prefix="/api/v1", tags=["map"])


class BasemapInfo(BaseModel):
    """What the page needs to draw the basemap; URLs are same-origin except `style_url`."""

    kind: Literal["style", "pmtiles", "context", "none"]
    theme: Literal["dark", "light"] = "dark"
    style_url: str | None = None
    pmtiles_url: str | None = None
    context_url: str | None = None


@router.get("/sites/{site_id}/basemap", summary="The site's basemap for the dashboard", response_model=BasemapInfo,
            responses=errors(404))
def get_basemap(sr: SiteRuntime = Depends(get_site_runtime)) -> BasemapInfo:
    basemap = basemap_of(sr.site)
    if basemap is None:
        return BasemapInfo(kind="none")
    base = f"/api/v1/sites/{sr.site.id}/basemap"
    return BasemapInfo(
        kind=basemap.kind,
        theme=basemap.theme,
        style_url=basemap.url if basemap.kind == "style" else None,
        pmtiles_url=f"{base}/tiles.pmtiles" if basemap.kind == "pmtiles" else None,
        context_url=f"{base}/context" if basemap.context else None,
    )


@router.get("/sites/{site_id}/basemap/context", summary="The site's context layer (GeoJSON)",
            response_model=FeatureCollection, responses=errors(404))
def get_context(sr: SiteRuntime = Depends(get_site_runtime)) -> dict[str, Any]:
    basemap = basemap_of(sr.site)
    path = basemap_file(sr.site, basemap.context if basemap else None)
    if path is None:
        raise HTTPException(404, detail=f"site {sr.site.id!r} has no basemap context layer")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# GET and HEAD registered apart: one operation id each in the OpenAPI document (generated types).
@router.get(
    "/sites/{site_id}/basemap/tiles.pmtiles",
    summary="The site's PMTiles archive (HTTP range requests: 206 with Content-Range)",
    response_class=Response,
    responses={**file_answer("application/vnd.pmtiles", "the archive, or the requested byte range", 200, 206),
               **errors(404)},
)
@router.head(
    "/sites/{site_id}/basemap/tiles.pmtiles",
    summary="The site's PMTiles archive (HTTP range requests: 206 with Content-Range)",
    response_class=Response,
    responses={**file_answer("application/vnd.pmtiles", "the archive, or the requested byte range", 200, 206),
               **errors(404)},
)
def get_pmtiles(request: Request, sr: SiteRuntime = Depends(get_site_runtime)) -> Response:
    basemap = basemap_of(sr.site)
    path = basemap_file(sr.site, basemap.file if basemap and basemap.kind == "pmtiles" else None)
    if path is None:
        raise HTTPException(404, detail=f"site {sr.site.id!r} has no PMTiles basemap")
    return file_response(path, request.headers.get("range"), "application/vnd.pmtiles")
