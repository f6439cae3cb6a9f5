"""Local accounts: add, change, remove, authenticate. Kept in the account ledger (see ledger.py).

Passwords are hashed with Argon2id (argon2-cffi defaults: RFC 9106 low-memory profile).
Who may do what to whom is decided in grants.py; this module only keeps accounts consistent.
"""

from __future__ import annotations

import re
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from csm.auth.ledger import GLOBAL_SITE, USERS_STREAM, User, ledger_for
from csm.auth.principal import Principal
from csm.auth.roles import Role
from csm.store.base import Store

__all__ = [
    "GLOBAL_SITE",
    "MIN_PASSWORD_LENGTH",
    "USERS_STREAM",
    "User",
    "UserDirectory",
    "UserError",
    "principal_of_user",
]

MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_HASHER = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown name like a real one.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")


class UserError(ValueError):
    """A user request that cannot be honoured, with a message fit for the person asking."""


def principal_of_user(user: User, method: str = "password") -> Principal:
    """The rights of an account as it is now (never as it was when a token was issued)."""
    return user.principal(method)


def _check_scope(role: Role, sites: list[str], zones: dict[str, list[str]] | None) -> None:
    if not sites:
        raise UserError("give at least one site (or * for all)")
    if zones and role is not Role.EVENT_ORGANISER:
        raise UserError("zone scopes are for event organisers; other roles see whole sites")
    if role is Role.EVENT_ORGANISER and not zones:
        raise UserError("an event organiser needs the zones of their event (--zones)")
    if zones and GLOBAL_SITE not in sites and not set(zones) <= set(sites):
        raise UserError("zones must belong to the account's sites")


class UserDirectory:
    """Accounts of one store, as the ledger folds them (shared by every user of that store)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ledger = ledger_for(store)

    def get(self, username: str) -> User | None:
        return self.ledger.current().users.get(username)

    def all(self) -> list[User]:
        return sorted(self.ledger.current().users.values(), key=lambda u: u.username)

    def by_external(self, issuer: str, subject: str) -> User | None:
        """The account bound to this external identity (OIDC issuer and subject), if any."""
        wanted = (issuer.rstrip("/"), subject)
        for user in list(self.ledger.current().users.values()):  # a snapshot: others may fold meanwhile
            if user.external is not None and (user.external[0].rstrip("/"), user.external[1]) == wanted:
                return user
        return None

    def add(
        self, username: str, role: Role, sites: list[str], password: str | None,
        zones: dict[str, list[str]] | None = None, by: str = "cli",
        external: tuple[str, str] | None = None,
    ) -> User:
        if not _USERNAME.match(username):
            raise UserError("username: 2–64 characters, lower-case letters, digits and . _ @ -")
        _check_scope(role, sites, zones)
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
        if self.get(username) is not None:
            raise UserError(f"user {username!r} exists; remove it first")
        if external is not None and self.by_external(*external) is not None:
            raise UserError("that external identity is already bound to another account")
        event: dict[str, Any] = {
            "op": "add", "username": username, "role": role.value, "sites": sorted(sites),
            "zones": {s: sorted(z) for s, z in (zones or {}).items()},
            "password_hash": _HASHER.hash(password) if password is not None else None, "by": by,
            "external": [external[0].rstrip("/"), external[1]] if external else None,
        }
        self.ledger.append(event)
        user = self.get(username)
        assert user is not None
        return user

    def update(
        self, username: str, role: Role | None = None, sites: list[str] | None = None,
        zones: dict[str, list[str]] | None = None, by: str = "cli",
    ) -> User:
        """Change role and/or scope; every session of the account has the new rights at once."""
        user = self.get(username)
        if user is None:
            raise UserError(f"no user {username!r}")
        new_role = role or user.role
        new_sites = sites if sites is not None else sorted(user.sites)
        new_zones = zones if zones is not None else (
            {s: sorted(z) for s, z in user.zones.items()} if new_role is Role.EVENT_ORGANISER else {}
        )
        _check_scope(new_role, new_sites, new_zones)
        self.ledger.append({
            "op": "update", "username": username, "role": new_role.value, "sites": sorted(new_sites),
            "zones": {s: sorted(z) for s, z in new_zones.items()}, "by": by,
        })
        updated = self.get(username)
        assert updated is not None
        return updated

    def remove(self, username: str, by: str = "cli") -> None:
        if self.get(username) is None:
            raise UserError(f"no user {username!r}")
        self.ledger.append({"op": "remove", "username": username, "by": by})

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password matches; None otherwise (same work either way)."""
        user = self.get(username)
        stored = user.password_hash if user else None
        try:
            _HASHER.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return user if stored else None
