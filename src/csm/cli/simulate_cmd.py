"""`csm simulate square`: clear one zone with JuPedSim (optional extra `sim`)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    simulate_app = typer.Typer(help="Detailed pedestrian simulation of one location (JuPedSim + PedPy).",
                               no_args_is_help=True)

    @simulate_app.command("square")
    def square(
        zone: str = typer.Option("gevers-deynootplein", "--zone", help="zone id of the square to clear"),
        agents: int = typer.Option(1000, "--agents", min=1, help="persons on the square at the start"),
        site: Path = typer.Option(Path("sites/scheveningen"), "--site", help="site folder"),
        seed: int = typer.Option(1, help="seed of the start positions and walking speeds"),
        max_seconds: float = typer.Option(900.0, "--max-seconds", help="stop after this much simulated time"),
        out: Path | None = typer.Option(None, "--out", help="write the result (with GeoJSON density grid)"),
    ) -> None:
        """Everyone leaves the square through its nearest exit: exit times, densities, exit flows."""
        from csm.sim.clearing import simulate_clearing
        from csm.sim.run import SimulationUnavailable
        from csm.site.loader import load_site

        try:
            result = simulate_clearing(load_site(site), zone, agents, seed, max_seconds)
        except SimulationUnavailable as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        cleared = (f"cleared in {result['evacuation_time_s']} s" if result["cleared"]
                   else f"{result['remaining']} still there after {result['simulated_s']} s")
        typer.echo(f"{result['zone_name']}: {result['agents']} persons, {cleared}"
                   f" (90 % out after {result['time_for_90_percent_s']} s); simulated in {result['wall_s']} s")
        typer.echo(f"peak density: {result['peak_density_cell_p_per_m2']} p/m² in a {result['grid_m']:.0f} m cell;"
                   f" square mean (PedPy classic) {result['classic_mean_peak_p_per_m2']} p/m²")
        typer.echo(f"{'exit towards':<22} {'width':>6} {'persons':>8} {'last out':>9} {'p/s':>6} {'p/(m·s)':>8}"
                   f" {'Voronoi peak':>13}")
        voronoi = result["voronoi_peak_at_exits_p_per_m2"]
        for e in result["exits"]:
            typer.echo(f"{e['exit']:<22} {e['width_m']:>5.1f}m {e['persons']:>8} {e['last_out_s'] or '-':>9}"
                       f" {e['flow_p_per_s']:>6} {e['specific_flow_p_per_m_s']:>8} {voronoi[e['exit']]:>13}")
        if out is not None:
            out.write_text(json.dumps(result), encoding="utf-8")
            typer.echo(f"result with density grid (GeoJSON) → {out}")

    app.add_typer(simulate_app, name="simulate")
