"""`csm users add/set/remove/logout/list` and `csm tokens ingest`: accounts and ingest tokens.

The CLI acts as the operator of the deployment (it holds the store and the signing key), so it is
not limited by an account's scope; the API applies csm.auth.grants to every administrator.
"""

from __future__ import annotations

import getpass
import os
from datetime import timedelta
from pathlib import Path

import typer

from csm.auth.roles import Role
from csm.auth.sessions import SessionBook
from csm.auth.tokens import issue_ingest_token
from csm.auth.users import UserDirectory, UserError
from csm.site.loader import load_site
from csm.store.factory import open_store

STORE_HELP = "duckdb:PATH or postgresql://... (the deployment's store)"


def _parse_zones(zones: list[str]) -> dict[str, list[str]] | None:
    """`SITE:ZONE` pairs into a mapping of site → zones."""
    if not zones:
        return None
    scoped: dict[str, list[str]] = {}
    for pair in zones:
        site, sep, zone = pair.partition(":")
        if not sep or not site or not zone:
            raise typer.BadParameter(f"{pair!r}: expected SITE:ZONE")
        scoped.setdefault(site, []).append(zone)
    return scoped


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="Accounts of authorised staff.", no_args_is_help=True)

    @users.command("add")
    def add(
        username: str,
        role: Role = typer.Option(..., help="administrator, municipality, police, emergency_services, "
                                  "event_organiser or viewer"),
        site: list[str] = typer.Option(..., "--site", help="site id it may see (repeat; * for all)"),
        zone: list[str] = typer.Option([], "--zone", help="event organisers: SITE:ZONE of their event"),
        store: str = typer.Option("duckdb:var/csm.duckdb", help=STORE_HELP),
        external: bool = typer.Option(False, help="logs in through OpenID Connect only: no password"),
        oidc_issuer: str | None = typer.Option(None, help="the identity provider (issuer URL) of this account"),
        oidc_subject: str | None = typer.Option(
            None, help="the provider's subject (sub) of this person: binds the account to that identity"),
        password_env: str | None = typer.Option(None, help="read the password from this environment variable"),
    ) -> None:
        """Add an account. The password is asked for (twice) unless --external or --password-env."""
        password: str | None = None
        if (oidc_issuer is None) != (oidc_subject is None):
            raise typer.BadParameter("give --oidc-issuer and --oidc-subject together")
        bound = (oidc_issuer, oidc_subject) if oidc_issuer and oidc_subject else None
        if not external:
            if password_env:
                password = os.environ.get(password_env)
                if not password:
                    raise typer.BadParameter(f"environment variable {password_env} is empty")
            else:
                password = getpass.getpass("password: ")
                if getpass.getpass("again: ") != password:
                    typer.echo("passwords differ", err=True)
                    raise typer.Exit(2)
        directory = UserDirectory(open_store(store))
        try:
            user = directory.add(username, role, list(site), password, _parse_zones(zone), external=bound)
        except UserError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"added {user.username} ({user.role.value}) for {', '.join(sorted(user.sites))}")

    @users.command("set")
    def set_scope(
        username: str,
        role: Role | None = typer.Option(None, help="the new role"),
        site: list[str] = typer.Option([], "--site", help="the new site ids (repeat; replaces the old)"),
        zone: list[str] = typer.Option([], "--zone", help="event organisers: SITE:ZONE (replaces the old)"),
        store: str = typer.Option("duckdb:var/csm.duckdb", help=STORE_HELP),
    ) -> None:
        """Change an account's role or scope; its open sessions get the new rights at once."""
        try:
            user = UserDirectory(open_store(store)).update(username, role, list(site) or None, _parse_zones(zone))
        except UserError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"{user.username} is now {user.role.value} for {', '.join(sorted(user.sites))}")

    @users.command("logout")
    def logout_everywhere(username: str, store: str = typer.Option("duckdb:var/csm.duckdb", help=STORE_HELP)) -> None:
        """End every open session of an account (e.g. a lost laptop)."""
        opened = open_store(store)
        if UserDirectory(opened).get(username) is None:
            typer.echo(f"error: no user {username!r}", err=True)
            raise typer.Exit(2)
        SessionBook(opened).close_all(username, by="cli")
        typer.echo(f"ended every session of {username}")

    @users.command("remove")
    def remove(username: str, store: str = typer.Option("duckdb:var/csm.duckdb", help=STORE_HELP)) -> None:
        """Remove an account; its sessions end at once."""
        try:
            UserDirectory(open_store(store)).remove(username)
        except UserError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"removed {username}")

    @users.command("list")
    def list_users(store: str = typer.Option("duckdb:var/csm.duckdb", help=STORE_HELP)) -> None:
        """List accounts: name, role, sites, zones."""
        for user in UserDirectory(open_store(store)).all():
            zones = "; ".join(f"{s}: {', '.join(sorted(z))}" for s, z in user.zones.items())
            typer.echo(f"{user.username}\t{user.role.value}\t{','.join(sorted(user.sites))}\t{zones}")

    tokens = typer.Typer(help="Signed ingest tokens for sensors and sources.", no_args_is_help=True)

    @tokens.command("ingest")
    def ingest_token(
        name: str = typer.Argument(..., help="who holds it, e.g. the camera gateway's name"),
        site: Path = typer.Option(..., "--site", help="site folder"),
        sensor: list[str] = typer.Option([], "--sensor", help="sensor it may write (repeat); none = all"),
        days: int = typer.Option(365, min=1, max=3650),
    ) -> None:
        """Print a token with which NAME may write the given sensors of the site (needs CSM_SECRET_KEY)."""
        loaded = load_site(site)
        unknown = [s for s in sensor if s not in loaded.sensors]
        if unknown:
            typer.echo(f"error: unknown sensor(s) in {loaded.id}: {', '.join(unknown)}", err=True)
            raise typer.Exit(2)
        if not os.environ.get("CSM_SECRET_KEY") and not os.environ.get("CSM_SECRET_KEY_FILE"):
            typer.echo("error: set CSM_SECRET_KEY (or _FILE) to the deployment's key first", err=True)
            raise typer.Exit(2)
        typer.echo(issue_ingest_token(name, loaded.id, sensor or None, timedelta(days=days)))

    app.add_typer(users, name="users")
    app.add_typer(tokens, name="tokens")
