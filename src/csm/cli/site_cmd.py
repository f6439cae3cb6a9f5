"""`csm site validate DIR`: report every problem of a site folder."""

from __future__ import annotations

from pathlib import Path

import typer

from csm.site.loader import validate_site_dir


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

    app.add_typer(site_app, name="site")
