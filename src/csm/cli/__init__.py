"""The `csm` command line. Each command group lives in its own module with a `register(app)`."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="csm",
    help="Crowd Safety Manager: live and forecast crowd levels per zone, advice and scenarios.",
    no_args_is_help=True,
    add_completion=False,
)

# One line per command module; adding a command group touches its module and this list only.
COMMAND_MODULES = [
    "csm.cli.site_cmd",
    "csm.cli.serve_cmd",
    "csm.cli.ingest_cmd",
    "csm.cli.users_cmd",
    "csm.cli.forecast_cmd",
    "csm.cli.scenario_cmd",
    "csm.cli.flow_cmd",
    "csm.cli.simulate_cmd",
    "csm.cli.training_cmd",
    "csm.cli.ingest_worker_cmd",
    "csm.cli.deadletters_cmd",
    "csm.cli.report_cmd",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()
