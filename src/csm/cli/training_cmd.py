"""`csm training preview`: dry-run a training day with its incidents, in a sandbox, in the terminal.

Live sessions are steered over the API (/api/v1/training); this lets a trainer design an
exercise first: which zones change colour when, given the incidents planned.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import typer

_INCIDENT = re.compile(r"^(?P<kind>surge|sensor_failure|tram_disruption):(?P<where>[a-z0-9_\-]+)"
                       r"(?::(?P<factor>[0-9.]+))?@(?P<at>\d{1,2}:\d{2})(?:\+(?P<minutes>[0-9.]+))?$")
_LETTER = {"green": "G", "yellow": "Y", "orange": "O", "red": "R", "unknown": "."}


def _incident(text: str, day: date, site_tz: object) -> dict[str, object]:
    match = _INCIDENT.match(text)
    if match is None:
        raise typer.BadParameter(f"{text!r}: expected KIND:WHERE[:FACTOR]@HH:MM[+MINUTES],"
                                 " e.g. surge:boulevard-kurhaus:3@15:00+30")
    kind, where = match["kind"], match["where"]
    spec: dict[str, object] = {"kind": kind,
                               "at": datetime.combine(day, time.fromisoformat(match["at"]), tzinfo=site_tz)}  # type: ignore[arg-type]
    if kind == "tram_disruption":
        spec["stops"] = [where]
    elif kind == "sensor_failure" and not where.startswith(("cam-", "est-", "lc-")):
        spec["zone"] = where
    elif kind == "sensor_failure":
        spec["sensor"] = where
    else:
        spec["zone"] = where
    if match["factor"]:
        spec["factor"] = float(match["factor"])
    if match["minutes"]:
        spec["duration_minutes"] = float(match["minutes"])
    return spec


def register(app: typer.Typer) -> None:
    training_app = typer.Typer(help="Training mode: sandbox days with injected incidents (API: /api/v1/training).",
                               no_args_is_help=True)

    @training_app.command("preview")
    def preview(
        site: Path = typer.Option(..., "--site", help="site folder"),
        day: str | None = typer.Option(None, "--date", help="local date (default: the site's demo date)"),
        start: str = typer.Option("14:00", "--start", help="local start time"),
        minutes: int = typer.Option(120, "--minutes", min=1, max=24 * 60, help="how long to play"),
        every: int = typer.Option(15, "--every", min=1, help="minutes between columns"),
        incident: list[str] = typer.Option([], "--incident", help="KIND:WHERE[:FACTOR]@HH:MM[+MINUTES]; kinds:"
                                           " surge, sensor_failure, tram_disruption (repeatable)"),
    ) -> None:
        """Play a scripted day in a sandbox and print each zone's level (G/Y/O/R, . = no data) over time."""
        from csm.site.loader import load_site
        from csm.training.incidents import IncidentSchema
        from csm.training.session import TrainingError, create_session, default_start

        the_site = load_site(site)
        begin = default_start(the_site, date.fromisoformat(day) if day else None, time.fromisoformat(start))
        session = create_session(the_site, "scripted", begin, speed=1.0, paused=True)
        try:
            for text in incident:
                session.inject(IncidentSchema.model_validate(_incident(text, begin.date(), the_site.tz)))
        except TrainingError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        columns: list[str] = []
        levels: dict[str, list[str]] = {z: [] for z in the_site.zones}
        for step in range(0, minutes + 1, every):
            if step:
                session.jump_to(begin + timedelta(minutes=step))
            _, zones = session.state()
            columns.append((begin + timedelta(minutes=step)).strftime("%H:%M"))
            for z in zones:
                levels[z["zone_id"]].append(_LETTER.get(z["level"], "?"))
        session.close()
        typer.echo(f"{'zone':<24} " + " ".join(f"{c:>5}" for c in columns))
        for zone_id, row in levels.items():
            typer.echo(f"{zone_id:<24} " + " ".join(f"{v:>5}" for v in row))
        for text in incident:
            typer.echo(f"incident: {text}")

    app.add_typer(training_app, name="training")
