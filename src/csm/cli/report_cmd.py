"""`csm report`: the after-action report of one day (HTML and PDF) from what the store recorded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from csm.report.data import build_day_report
from csm.report.render_html import render_html
from csm.report.render_pdf import render_pdf
from csm.site.loader import load_site
from csm.store.factory import open_store


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        site: Path = typer.Option(..., "--site", help="the site folder"),
        day: str = typer.Option(..., "--date", help="the day, YYYY-MM-DD in the site's timezone"),
        store: str = typer.Option("duckdb:var/csm.duckdb", help="duckdb:PATH or postgresql://..."),
        out: Path | None = typer.Option(None, "--out", help="HTML file (default: report-SITE-DATE.html)"),
        pdf: Path | None = typer.Option(None, "--pdf", help="also write this PDF file"),
    ) -> None:
        """Levels per zone, alerts and measures with lead times, forecast skill per crossing, data
        availability: the after-action report of a day or an event."""
        try:
            wanted = date.fromisoformat(day)
        except ValueError as error:
            raise typer.BadParameter(f"--date: {error}") from error
        loaded = load_site(site)
        opened = open_store(store)
        try:
            facts = build_day_report(opened, loaded, wanted)
        finally:
            opened.close()
        html_path = out or Path(f"report-{loaded.id}-{wanted.isoformat()}.html")
        html_path.write_text(render_html(facts), encoding="utf-8")
        typer.echo(f"wrote {html_path}")
        if pdf is not None:
            pdf.write_bytes(render_pdf(facts))
            typer.echo(f"wrote {pdf}")
        if not facts.has_data:
            typer.echo(f"note: no zone history stored for {wanted.isoformat()} at {loaded.id}", err=True)
