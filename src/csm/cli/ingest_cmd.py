"""`csm ingest FILE.csv` (batch import) and `csm ingest-mqtt` (consume from a broker)."""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path
from typing import Any

import typer

from csm.runtime import build_runtime

CSV_COLUMNS = ("sensor_id", "interval_start", "interval_seconds", "metric", "value")


def read_count_rows(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """CSV rows as ingest items; structural problems of the file itself are returned as messages."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in ("sensor_id", "interval_start", "metric", "value") if c not in header]
        if missing:
            return [], [f"{path}: header lacks column(s) {', '.join(missing)}; expected {','.join(CSV_COLUMNS)}"]
        items: list[dict[str, Any]] = []
        for row in reader:
            item: dict[str, Any] = {k: v for k, v in row.items() if k in CSV_COLUMNS and v != ""}
            for key, cast in (("interval_seconds", int), ("value", float)):
                if key in item:
                    # Left as text when it does not parse: validation refuses it with a reason.
                    with contextlib.suppress(ValueError):
                        item[key] = cast(item[key])
            items.append(item)
    return items, []


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV of counts"),
        site: Path = typer.Option(..., "--site", help="site folder"),
        store: str = typer.Option("duckdb:var/csm.duckdb", help="duckdb:PATH or postgresql://..."),
    ) -> None:
        """Import counts from CSV: sensor_id,interval_start,interval_seconds,metric,value.

        Refused rows are listed (row number, reason, field) and kept as dead letters.
        """
        runtime = build_runtime([site], store)
        try:
            items, problems = read_count_rows(file)
            if problems:
                for p in problems:
                    typer.echo(p, err=True)
                raise typer.Exit(2)
            site_runtime = next(iter(runtime.sites.values()))
            report = site_runtime.ingest.ingest_items(items, "csv")
            for r in report.rejected:
                row = (r.index or 0) + 2  # header is line 1
                typer.echo(f"{file}:{row}: {r.reason} ({r.field}): {r.detail}", err=True)
            typer.echo(
                f"{report.accepted} stored, {report.duplicates} duplicates, "
                f"{len(report.rejected)} refused of {report.received} rows"
            )
            if report.rejected and not report.accepted and not report.duplicates:
                raise typer.Exit(1)
        finally:
            runtime.close()
