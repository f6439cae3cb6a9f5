"""`csm mqtt gateway` and `csm mqtt ingest-account`: broker accounts with topic ACLs (Mosquitto)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from csm.ingest.broker_auth import BrokerAuthError, gateway_block, ingest_block, set_password, write_acl_block
from csm.site.loader import load_site

PASSWD_HELP = "the broker's password file (mosquitto `password_file`)"
ACL_HELP = "the broker's ACL file (mosquitto `acl_file`)"


def _password(env: str | None) -> str | None:
    if env is None:
        return None
    value = os.environ.get(env)
    if not value:
        raise typer.BadParameter(f"environment variable {env} is empty")
    return value


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Broker accounts: each gateway may publish only its own sensors.",
                        no_args_is_help=True)
    app.add_typer(group, name="mqtt")

    @group.command("gateway")
    def gateway(
        name: str = typer.Argument(..., help="the gateway's broker account name"),
        site: Path = typer.Option(..., "--site", help="site folder"),
        sensor: list[str] = typer.Option(..., "--sensor", help="sensor it may publish (repeat)"),
        passwd: Path = typer.Option(..., help=PASSWD_HELP),
        acl: Path = typer.Option(..., help=ACL_HELP),
        password_env: str | None = typer.Option(None, help="take the password from this variable (else generated)"),
    ) -> None:
        """Create or update a gateway account; prints the password when it was generated.
        Reload the broker afterwards (e.g. `systemctl reload mosquitto`, or SIGHUP)."""
        loaded = load_site(site)
        unknown = [s for s in sensor if s not in loaded.sensors]
        if unknown:
            typer.echo(f"error: unknown sensor(s) in {loaded.id}: {', '.join(unknown)}", err=True)
            raise typer.Exit(2)
        try:
            block = gateway_block(name, loaded.id, sensor)
            password = set_password(passwd, name, _password(password_env))
            write_acl_block(acl, name, block)
        except BrokerAuthError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"{name} may publish {len(set(sensor))} sensor(s) of {loaded.id}")
        if password_env is None:
            typer.echo(f"password: {password}")

    @group.command("ingest-account")
    def ingest_account(
        name: str = typer.Argument("csm-ingest", help="the ingest workers' broker account name"),
        passwd: Path = typer.Option(..., help=PASSWD_HELP),
        acl: Path = typer.Option(..., help=ACL_HELP),
        password_env: str | None = typer.Option(None, help="take the password from this variable (else generated)"),
    ) -> None:
        """Create or update the account the ingest workers read counts with (read only)."""
        try:
            password = set_password(passwd, name, _password(password_env))
            write_acl_block(acl, name, ingest_block(name))
        except BrokerAuthError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"{name} may read every site's counts")
        if password_env is None:
            typer.echo(f"password: {password}")
