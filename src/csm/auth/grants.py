"""Nobody grants rights beyond their own: the checks behind every administrative action.

An actor may create, change, remove or issue tokens only within its own sites, and may give
only a role whose permissions it holds itself. An account it could not have created, it may
neither change nor remove (a site administrator cannot touch a global one). Reads of audit
entries and dead letters are limited to the actor's sites the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from csm.auth.ledger import GLOBAL_SITE, User
from csm.auth.principal import Principal
from csm.auth.roles import Role, permissions_of


class GrantRefused(PermissionError):
    """The actor asked to give or touch rights beyond its own."""


class LastAdministrator(ValueError):
    """The change would leave no account that administers every site."""


def administers_everything(role: Role, sites: Iterable[str]) -> bool:
    return role is Role.ADMINISTRATOR and GLOBAL_SITE in set(sites)


def check_keeps_administration(accounts: Iterable[User], target: User,
                               after: tuple[Role, Iterable[str]] | None) -> None:
    """Refuse removing (`after` None) or changing `target` if it is the last account that
    administers every site: nobody could then manage accounts, sites or tokens from the dashboard
    or the API (only `csm users` on the server could). Stepping down stays possible once another
    account holds those rights."""
    if not administers_everything(target.role, target.sites):
        return
    if after is not None and administers_everything(*after):
        return
    if any(u.username != target.username and administers_everything(u.role, u.sites) for u in accounts):
        return
    raise LastAdministrator(f"{target.username!r} is the last administrator of every site: "
                            "give another account those rights first")


def covers(actor: Principal, sites: Iterable[str]) -> bool:
    """True when every site in `sites` is within the actor's sites (`*` only within `*`)."""
    wanted = set(sites)
    if GLOBAL_SITE in actor.sites:
        return True
    return GLOBAL_SITE not in wanted and wanted <= actor.sites


def check_grant(actor: Principal, role: Role, sites: Iterable[str]) -> None:
    """May `actor` give `role` on `sites`? Raises GrantRefused with the reason when not."""
    sites = list(sites)
    if not covers(actor, sites):
        raise GrantRefused(f"you may grant access only to your own sites ({', '.join(sorted(actor.sites))})")
    if not permissions_of(role) <= actor.permissions:
        raise GrantRefused(f"you may not grant the role {role.value}: it has rights you do not have")


def check_manage(actor: Principal, target: User) -> None:
    """May `actor` change or remove `target`? Only accounts it could have created itself."""
    if actor.kind == "user" and actor.name == target.username:
        return  # one's own account (e.g. stepping down) never widens anyone's rights
    check_grant(actor, target.role, target.sites)


def visible_sites(actor: Principal, asked: str | None) -> list[str] | None:
    """The sites whose administrative records (audit, dead letters) `actor` may read.

    None means every site and the global records; a list means exactly these sites.
    Raises GrantRefused when the actor asks for a site outside its scope.
    """
    if GLOBAL_SITE in actor.sites:
        return None if asked is None else [asked]
    if asked is None:
        return sorted(actor.sites)
    if asked not in actor.sites:
        raise GrantRefused(f"no access to site {asked!r}")
    return [asked]
