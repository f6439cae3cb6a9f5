"""`csm serve` (a configured deployment) and `csm demo` (the demo site, embedded default)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import typer
import uvicorn

from csm.ingest.mqtt import consumer_job
from csm.runtime import Runtime, build_runtime
from csm.settings import Settings, join_sites
from csm.store.factory import duckdb_path, store_backend

DEMO_USER = "demo"


def demo_site_folder() -> Path:
    """The Scheveningen demo site shipped inside the package (works from an installed wheel)."""
    return Path(str(resources.files("csm") / "demo_site"))


def ensure_demo_user(runtime: Runtime) -> str:
    """The demo's operator account (password from CSM_DEMO_PASSWORD, else a fixed demo one)."""
    from csm.auth.roles import Role
    from csm.auth.users import UserDirectory

    password = runtime.settings.demo_password
    directory = UserDirectory(runtime.store)
    if directory.get(DEMO_USER) is None:
        directory.add(DEMO_USER, Role.MUNICIPALITY, list(runtime.sites), password, by="demo")
    return password


BUS_HELP = "live-update bus: local (one process) or redis://HOST:PORT/DB[?namespace=NS]"


def _serve(runtime: Runtime, host: str, port: int) -> None:
    from csm.api.app import create_app
    from csm.api.http_limits import uvicorn_options

    app = create_app(runtime, server_process=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", **uvicorn_options())
    finally:
        runtime.close()


def _serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """Several uvicorn worker processes, each building its runtime from the settings handed to
    them in their own environment (this process's environment is left as it is)."""
    if store_backend(settings.store) != "postgresql":
        raise typer.BadParameter("several workers share one store: use --store postgresql://...", param_hint="--store")
    if not settings.bus or settings.bus == "local":
        typer.echo("note: without --bus redis://... live updates reach other workers only on their next tick", err=True)
    typer.echo(f"Crowd Safety Manager: http://{host}:{port}/  ({workers} workers; API docs: /docs)")
    from csm.api.http_limits import uvicorn_cli_flags

    command = [sys.executable, "-m", "uvicorn", "csm.api.factory:app_from_env", "--factory", "--host", host,
               "--port", str(port), "--workers", str(workers), "--log-level", "info", *uvicorn_cli_flags()]
    try:
        finished = subprocess.run(command, env={**os.environ, **settings.for_workers()}, check=False)
    except KeyboardInterrupt:  # the workers got the same Ctrl-C and stop by themselves
        return
    raise typer.Exit(finished.returncode)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        site: list[Path] = typer.Option(..., "--site", help="site folder (repeat for several)"),
        store: str = typer.Option("duckdb:var/csm.duckdb", help="duckdb:PATH or postgresql://..."),
        host: str = typer.Option("127.0.0.1"),
        port: int = typer.Option(8000),
        mqtt: str | None = typer.Option(None, help="also ingest from this broker, mqtt://HOST:PORT"),
        bus: str | None = typer.Option(None, help=BUS_HELP, envvar="CSM_BUS"),
        workers: int = typer.Option(1, min=1, help="API worker processes (needs a PostgreSQL store)"),
    ) -> None:
        """Serve the API, live stream and dashboard for one or more sites."""
        logging.basicConfig(level=logging.INFO)
        settings = Settings(sites=join_sites(list(site)), store=store, bus=bus, mqtt=mqtt)
        if workers > 1:
            _serve_workers(settings, host, port, workers)
            return
        runtime = build_runtime(settings.site_folders, settings.store, bus_url=settings.bus, settings=settings)
        if mqtt:
            runtime.jobs.append(consumer_job(mqtt))
        typer.echo(f"Crowd Safety Manager: http://{host}:{port}/  (API docs: /docs)")
        _serve(runtime, host, port)

    @app.command("demo")
    def demo(
        store: str = typer.Option("duckdb:var/demo.duckdb", help="duckdb:PATH or postgresql://..."),
        host: str = typer.Option("127.0.0.1"),
        port: int = typer.Option(8000),
        speed: float = typer.Option(60.0, help="simulated seconds per real second"),
        day: str | None = typer.Option(None, "--date", help="simulated day, YYYY-MM-DD"),
        start: str | None = typer.Option(None, help="simulated start time, HH:MM"),
        history_days: int = typer.Option(28, help="days of past zone history to seed"),
        mqtt: str | None = typer.Option(
            None, help="send sensor feeds through this MQTT broker (mqtt://127.0.0.1:1883)"
        ),
        keep: bool = typer.Option(False, help="keep an existing demo store instead of starting fresh"),
        bus: str | None = typer.Option(None, help=BUS_HELP, envvar="CSM_BUS"),
    ) -> None:
        """Start the Scheveningen demo: simulated live feeds, the picture and the dashboard."""
        from csm.clock import SimulatedClock
        from csm.demo.runner import (
            backfill_until,
            bus_feed_consumer,
            demo_start,
            feed_job,
            seed_history,
        )
        from csm.synthetic.day import DaySimulator

        logging.basicConfig(level=logging.INFO)
        site_folder = demo_site_folder()
        settings = Settings(sites=join_sites([site_folder]), store=store, bus=bus)
        if store_backend(store) == "duckdb" and not keep and duckdb_path(store) != ":memory:":
            path = Path(duckdb_path(store))
            for stale in (path, path.with_name(path.name + ".wal")):
                if stale.exists():
                    stale.unlink()
        probe = build_runtime([site_folder], "duckdb::memory:", settings=settings)
        moment = demo_start(next(iter(probe.sites.values())), day, start)
        probe.close()
        clock = SimulatedClock(moment, speed=speed)
        clock.pause()
        runtime = build_runtime([site_folder], store, clock=clock, bus_url=bus, settings=settings)
        sims = {}
        for site_id, site_runtime in runtime.sites.items():
            sim = DaySimulator(site_runtime.site)
            sims[site_id] = sim
            typer.echo(f"seeding {history_days} days of zone history for {site_id} ...")
            seed_history(site_runtime, sim, moment, history_days)
            accepted = backfill_until(site_runtime, sim, moment)
            typer.echo(f"backfilled {accepted} observations from this morning")
        password = ensure_demo_user(runtime)
        clock.resume()
        runtime.jobs.append(feed_job(sims, mqtt))
        if mqtt:
            runtime.jobs.append(consumer_job(mqtt))
        else:
            runtime.jobs.append(bus_feed_consumer)
        Path("var").mkdir(exist_ok=True)
        typer.echo(f"Crowd Safety Manager demo: http://{host}:{port}/  (API docs: /docs)")
        typer.echo(f"Demo login: user {DEMO_USER!r}, password {password!r} (role municipality)")
        typer.echo(f"Simulated day {moment.date()} from {moment.strftime('%H:%M')}, {speed:g}× speed")
        _serve(runtime, host, port)
