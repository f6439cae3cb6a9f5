"""`csm site ...`: validate a site folder, import its buildings, build its offline basemap."""

from __future__ import annotations

from pathlib import Path

import typer

from csm.site.basemap import basemap_of
from csm.site.buildings import read_buildings, write_buildings
from csm.site.loader import load_site, validate_site_dir
from csm.site.pmtiles_build import build_pmtiles, read_collection


def register(app: typer.Typer) -> None:
    site_app = typer.Typer(help="Site folders: site.yaml + zones.geojson.", no_args_is_help=True)

    @site_app.command("validate")
    def validate(folder: Path = typer.Argument(..., help="site folder")) -> None:
        """Check a site folder; prints each problem as FILE: PATH: MESSAGE and exits 1 if any."""
        site, problems = validate_site_dir(folder)
        if problems or site is None:
            for problem in problems:
                typer.echo(f"{folder}/{problem}", err=True)
            typer.echo(f"{len(problems)} problem(s) in {folder}", err=True)
            raise typer.Exit(1)
        typer.echo(
            f"ok: site {site.id!r} ({site.name}): {len(site.zones)} zones, {len(site.sensors)} sensors"
        )

    @site_app.command("import-buildings")
    def import_buildings(
        sources: list[Path] = typer.Argument(..., help="CityJSON (3D BAG tiles) or GeoJSON files", exists=True),
        site: Path = typer.Option(..., "--site", help="site folder: writes its buildings.geojson"),
        crs: str | None = typer.Option(
            None, help="source CRS, e.g. EPSG:28992 (default: the file's own, CityJSON else RD New)"),
        height_property: str | None = typer.Option(
            None, help="GeoJSON: the property holding the height in m (default: height, hoogte, ...)"),
        append: bool = typer.Option(False, help="keep the buildings already in buildings.geojson"),
        provenance: str = typer.Option("", help="where the data comes from, stored in the file"),
    ) -> None:
        """Footprints with heights, reprojected to WGS84, into SITE/buildings.geojson."""
        found = []
        for source in sources:
            buildings = read_buildings(source, crs, height_property)
            typer.echo(f"{source}: {len(buildings)} buildings")
            found += buildings
        if not found:
            typer.echo("no buildings with a footprint and a height found", err=True)
            raise typer.Exit(1)
        text = provenance or ", ".join(s.name for s in sources)
        target, count = write_buildings(site, found, text, append=append)
        typer.echo(f"wrote {target} ({count} buildings)")

    @site_app.command("build-basemap")
    def build_basemap(
        site: Path = typer.Option(..., "--site", help="site folder with a basemap context layer"),
        out: Path | None = typer.Option(None, help="archive to write (default SITE/basemap.pmtiles)"),
        min_zoom: int = typer.Option(12, min=0, max=22),
        max_zoom: int = typer.Option(16, min=0, max=22),
    ) -> None:
        """The site's context layer (and buildings) as an offline PMTiles basemap; then set
        `basemap: {kind: pmtiles, file: basemap.pmtiles}` in site.yaml."""
        loaded = load_site(site)
        basemap = basemap_of(loaded)
        if basemap is None or basemap.context is None:
            typer.echo("site.yaml has no basemap.context GeoJSON to tile", err=True)
            raise typer.Exit(1)
        layers = {"context": read_collection(site / basemap.context)}
        if (site / "buildings.geojson").is_file():
            layers["buildings"] = read_collection(site / "buildings.geojson")
        target = out or site / "basemap.pmtiles"
        count = build_pmtiles(layers, target, min_zoom, max_zoom, attribution=loaded.name)
        typer.echo(f"wrote {target}: {count} tiles, zoom {min_zoom}-{max_zoom}, {target.stat().st_size} bytes")

    app.add_typer(site_app, name="site")
