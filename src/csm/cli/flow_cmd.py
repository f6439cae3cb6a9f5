"""`csm flow run`: the macroscopic flow model over a whole day of a site."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    flow_app = typer.Typer(help="Site-scale pedestrian flow between zones (Weidmann, cell transmission).",
                           no_args_is_help=True)

    @flow_app.command("run")
    def run(
        site: Path = typer.Option(..., "--site", help="site folder"),
        day: str | None = typer.Option(None, "--date", help="local date (default: the site's demo date)"),
        temperature: float | None = typer.Option(None, "--temperature", help="°C of the demo day profiles"),
        out: Path | None = typer.Option(None, "--out", help="write per-zone occupancy per 15 min as JSON"),
    ) -> None:
        """Fit the flow model to the demo day: occupancy per zone, busiest links, conservation check."""
        from csm.flow.fit import fit_flow
        from csm.flow.model import FlowModel
        from csm.flow.network import network_from_site
        from csm.scenario.baseline import demo_baseline
        from csm.site.loader import load_site

        the_site = load_site(site)
        network = network_from_site(the_site)
        the_day = date.fromisoformat(day) if day else the_site.config.demo.date or date.today()
        baseline = demo_baseline(the_site, the_day, network.zone_ids, temperature)
        model = FlowModel(network)
        started = time.perf_counter()
        fitted = fit_flow(model, baseline.p50)
        wall = time.perf_counter() - started
        result = fitted.result
        typer.echo(f"{the_site.name}, {the_day}: {len(network.zone_ids)} zones, {len(network.links)} links,"
                   f" {result.steps} steps of {model.step_s:.0f} s, fitted in {wall:.1f} s")
        typer.echo(f"{'zone':<24} {'expected peak':>14} {'model peak':>11} {'passing at peak':>16}")
        for j, zone_id in enumerate(network.zone_ids):
            k = int(result.occupancy[:, j].argmax())
            passing = result.occupancy[k, j] - result.dwelling[k, j]
            typer.echo(f"{zone_id:<24} {baseline.p50[:, j].max():>14,.0f} {result.occupancy[k, j]:>11,.0f}"
                       f" {passing:>16,.0f}")
        ids = network.zone_ids
        busiest = sorted(range(len(result.directed_links)), key=lambda i: -result.peak_specific_flow[i])[:5]
        typer.echo("busiest links (peak persons per metre per second, capacity"
                   f" {model.capacity:.2f}):")
        for i in busiest:
            a, b, w = result.directed_links[i]
            typer.echo(f"  {ids[a]} → {ids[b]} ({w:.0f} m): {result.peak_specific_flow[i]:.2f}")
        typer.echo(f"people: {result.entered:,.0f} entered = {result.left:,.0f} left + {result.inside:,.0f} inside"
                   f" + {result.waiting:,.0f} waiting (imbalance {result.imbalance:.2e})")
        if out is not None:
            out.write_text(json.dumps({
                "site": the_site.id, "date": the_day.isoformat(),
                "slots": [ts.isoformat() for ts in baseline.slots],
                "zones": {z: [round(float(v)) for v in result.occupancy[: len(baseline.slots), j]]
                          for j, z in enumerate(ids)},
            }), encoding="utf-8")
            typer.echo(f"occupancy per zone per 15 min → {out}")

    app.add_typer(flow_app, name="flow")
