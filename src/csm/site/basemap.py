"""The `basemap:` section of site.yaml: what the dashboard draws under the zones.

Three kinds, so a city can choose between convenience and independence:
- `style`: an online MapLibre style URL (a government or city vector-tile service);
- `pmtiles`: a PMTiles archive in the site folder, served by the API with range requests and read
  by the page through the `pmtiles` protocol (fully offline);
- `context`: a GeoJSON context layer in the site folder (sea, beach, streets, ...), drawn by the
  page's own style (fully offline; what the demo ships).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from csm.site.model import Site

CONTEXT_KINDS = (
    "sea", "beach", "dunes", "park", "harbour", "land", "boulevard", "pier", "street", "tram",
    "tram_stop", "landmark",
)


class BasemapSchema(BaseModel):
    """site.yaml `basemap:`; files are relative to the site folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["style", "pmtiles", "context"] = Field(
        description="style: online MapLibre style URL; pmtiles: local archive; context: local GeoJSON"
    )
    url: str | None = Field(None, description="kind style: the MapLibre style.json URL (http or https)")
    file: str | None = Field(None, description="kind pmtiles: the .pmtiles archive in the site folder")
    context: str | None = Field(
        None, description="GeoJSON context layer in the site folder (kind context; optional names"
        " on top of a style or pmtiles basemap)"
    )
    theme: Literal["dark", "light"] = Field("dark", description="the theme the dashboard opens with")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> BasemapSchema:
        if self.kind == "style" and not (self.url or "").startswith(("http://", "https://")):
            raise ValueError("kind style needs `url:` with an http(s) MapLibre style URL")
        if self.kind == "pmtiles" and not (self.file or "").endswith(".pmtiles"):
            raise ValueError("kind pmtiles needs `file:` naming a .pmtiles archive in the site folder")
        if self.kind == "context" and not self.context:
            raise ValueError("kind context needs `context:` naming a GeoJSON file in the site folder")
        for name in (self.file, self.context):
            if name is not None and (Path(name).is_absolute() or ".." in Path(name).parts):
                raise ValueError(f"{name!r}: files must be inside the site folder")
        return self


def basemap_of(site: Site) -> BasemapSchema | None:
    """The site's basemap; the older `basemap_style_url:` key still works (as kind style)."""
    raw = site.config.basemap
    if raw is not None:
        return BasemapSchema.model_validate(raw)
    if site.config.basemap_style_url:
        return BasemapSchema(kind="style", url=site.config.basemap_style_url)
    return None


def basemap_file(site: Site, name: str | None) -> Path | None:
    if name is None:
        return None
    path = site.folder / name
    return path if path.is_file() else None


def validate_basemap_section(site: Site) -> list[Any]:
    """SECTION_VALIDATORS entry: the section's fields, and that its files exist."""
    from csm.site.loader import SiteProblem  # the loader imports the validators' registry

    try:
        basemap = basemap_of(site)
    except ValidationError as exc:
        return [
            SiteProblem("site.yaml", "basemap" + "".join(f".{p}" for p in e["loc"]), e["msg"])
            for e in exc.errors()
        ]
    if basemap is None:
        return []
    problems = []
    for field in ("file", "context"):
        name = getattr(basemap, field)
        if name is not None and basemap_file(site, name) is None:
            problems.append(SiteProblem("site.yaml", f"basemap.{field}", f"{name!r} not found in {site.folder}"))
    return problems
