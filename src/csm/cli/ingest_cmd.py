"""`csm ingest FILE.csv`: batch import of counts through the one CSV reader (`ingest.csv_import`)."""

from __future__ import annotations

from pathlib import Path

import typer

from csm.ingest.csv_import import CSV_COLUMNS, FileRefusal, ingest_csv
from csm.runtime import build_runtime


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV of counts"),
        site: Path = typer.Option(..., "--site", help="site folder"),
        store: str = typer.Option("duckdb:var/csm.duckdb", help="duckdb:PATH or postgresql://..."),
    ) -> None:
        """Import counts from CSV: sensor_id,interval_start,interval_seconds,metric,value.

        Refused rows are listed (line, reason, field) and kept as redacted dead letters; a summary
        ends the output. Exit 0 when any row was stored or already present, 1 when every row was
        refused, 2 when the file itself is refused (unknown or missing columns, unreadable).
        """
        runtime = build_runtime([site], store)
        try:
            site_runtime = next(iter(runtime.sites.values()))
            outcome = ingest_csv(site_runtime.ingest, file.read_bytes())
        finally:
            runtime.close()
        if isinstance(outcome, FileRefusal):
            typer.echo(f"{file}: {outcome.reason}: {outcome.detail}", err=True)
            raise typer.Exit(2)
        for rejection, line in zip(outcome.report.rejected, outcome.lines, strict=True):
            typer.echo(f"{file}:{line}: {rejection.reason} ({rejection.field}): {rejection.detail}", err=True)
        typer.echo(outcome.summary)
        report = outcome.report
        if report.rejected and not report.accepted and not report.duplicates:
            raise typer.Exit(1)


__all__ = ["CSV_COLUMNS", "register"]
