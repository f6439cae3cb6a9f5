"""`csm scenario run FILE.yaml` and `csm scenario validate FILE.yaml`: what-if days."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from csm.site.loader import SiteConfigError, load_site


def _site_dir(file: Path, site: Path | None) -> Path:
    """--site, or the site folder the file lies in (SITE/scenarios/FILE.yaml)."""
    if site is not None:
        return site
    candidate = file.resolve().parent.parent
    if (candidate / "site.yaml").is_file():
        return candidate
    typer.echo("error: give --site DIR (the file is not in a site's scenarios/ folder)", err=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    scenario_app = typer.Typer(help="What-if scenarios: events, heat, transport disruption.", no_args_is_help=True)

    @scenario_app.command("validate")
    def validate(
        file: Path = typer.Argument(..., help="scenario YAML file"),
        site: Path | None = typer.Option(None, "--site", help="site folder (default: the file's site)"),
    ) -> None:
        """Check a scenario file against its site; prints each problem as FILE: PATH: MESSAGE."""
        from csm.flow.network import network_from_site
        from csm.scenario.loader import ScenarioError, load_scenario

        try:
            the_site = load_site(_site_dir(file, site))
            scenario = load_scenario(file, the_site, network_from_site(the_site))
        except (ScenarioError, SiteConfigError) as exc:
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"ok: {scenario.name} ({len(scenario.changes)} changes)")

    @scenario_app.command("run")
    def run(
        file: Path = typer.Argument(..., help="scenario YAML file"),
        site: Path | None = typer.Option(None, "--site", help="site folder (default: the file's site)"),
        out: Path | None = typer.Option(None, "--out", help="write the full result (per zone per 15 min) as JSON"),
        store: str | None = typer.Option(None, "--store", help="read the baseline forecast from this store,"
                                         " e.g. duckdb:var/csm.duckdb (default: demo profiles)"),
    ) -> None:
        """Run a scenario: peak level per zone, baseline vs scenario, and the measures it triggers."""
        from csm.flow.network import network_from_site
        from csm.scenario.baseline import BaselineUnavailable
        from csm.scenario.loader import ScenarioError, load_scenario
        from csm.scenario.planning import execute
        from csm.scenario.report import render
        from csm.store.factory import open_store

        try:
            the_site = load_site(_site_dir(file, site))
            network = network_from_site(the_site)
            scenario = load_scenario(file, the_site, network)
        except (ScenarioError, SiteConfigError) as exc:
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            raise typer.Exit(1) from exc
        opened = open_store(store) if store else None
        try:
            result = execute(the_site, scenario, opened, network)
        except BaselineUnavailable as exc:
            typer.echo(f"error: no baseline: {exc}", err=True)
            raise typer.Exit(1) from exc
        finally:
            if opened is not None:
                opened.close()
        typer.echo(render(result))
        if out is not None:
            out.write_text(json.dumps(result, indent=1), encoding="utf-8")
            typer.echo(f"\nfull result → {out}")

    app.add_typer(scenario_app, name="scenario")
