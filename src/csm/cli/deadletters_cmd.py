"""`csm deadletters list` and `csm deadletters replay`: inspect refused input, replay after a fix."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from csm.ingest.replay import REPLAYED, replay_dead_letters
from csm.runtime import build_runtime
from csm.store.factory import open_store

STORE_HELP = "duckdb:PATH or postgresql://..."


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Refused input kept for inspection and replay.", no_args_is_help=True)
    app.add_typer(group, name="deadletters")

    @group.command("list")
    def list_letters(
        store: str = typer.Option("duckdb:var/csm.duckdb", help=STORE_HELP),
        reason: str | None = typer.Option(None, help="only this refusal reason, e.g. unknown_sensor"),
        site_id: str | None = typer.Option(None, "--site-id", help="only this site"),
        limit: int = typer.Option(100, min=1, help="newest N"),
        as_json: bool = typer.Option(False, "--json", help="one JSON object per line"),
    ) -> None:
        """Newest refused items first: id, time, site, channel, reason, field, detail, payload."""
        opened = open_store(store)
        try:
            letters = opened.list_dead_letters(site_id, limit, reason=reason)
        finally:
            opened.close()
        for d in letters:
            if as_json:
                typer.echo(json.dumps({
                    "id": d.id, "site_id": d.site_id, "channel": d.channel, "received_at": d.received_at.isoformat(),
                    "reason": d.reason, "field": d.field, "detail": d.detail, "payload": d.payload,
                }))
            else:
                payload = d.payload if len(d.payload) <= 80 else d.payload[:77] + "..."
                typer.echo(f"{d.id}\t{d.received_at:%Y-%m-%dT%H:%M:%SZ}\t{d.site_id}\t{d.channel}\t"
                           f"{d.reason}\t{d.field or '-'}\t{d.detail}\t{payload}")
        if not as_json:
            typer.echo(f"{len(letters)} dead letter(s)", err=True)

    @group.command("replay")
    def replay(
        site: list[Path] = typer.Option(..., "--site", help="site folder(s) whose configuration validates"),
        store: str = typer.Option("duckdb:var/csm.duckdb", help=STORE_HELP),
        ids: list[int] = typer.Option([], "--id", help="replay these ids (repeat)"),
        replay_all: bool = typer.Option(False, "--all", help="replay every letter (with --reason: of that reason)"),
        reason: str | None = typer.Option(None, help="with --all: only this refusal reason"),
        limit: int = typer.Option(10_000, min=1, help="with --all: at most N letters"),
    ) -> None:
        """Re-validate and ingest; a replayed letter is removed, a still-refused one stays."""
        if bool(ids) == replay_all:
            raise typer.BadParameter("give --id ... or --all (not both)")
        runtime = build_runtime(list(site), store)
        try:
            if replay_all:
                letters = [d for sid in runtime.sites
                           for d in runtime.store.list_dead_letters(sid, limit, reason=reason)]
            else:
                letters = runtime.store.list_dead_letters(None, len(ids), ids=ids)
                missing = sorted(set(ids) - {d.id for d in letters})
                for letter_id in missing:
                    typer.echo(f"{letter_id}: no such dead letter", err=True)
            outcomes = replay_dead_letters(runtime, letters)
        finally:
            runtime.close()
        for o in outcomes:
            if o.status == REPLAYED:
                typer.echo(f"{o.id}: replayed ({o.accepted} stored, {o.duplicates} duplicates)")
            else:
                typer.echo(f"{o.id}: {o.status} {o.reason or ''}: {o.detail}".replace("  ", " "))
        replayed = sum(o.status == REPLAYED for o in outcomes)
        typer.echo(f"{replayed} of {len(outcomes)} replayed")
        if outcomes and not replayed:
            raise typer.Exit(1)
