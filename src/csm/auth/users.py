"""Local accounts, kept as an append-only stream in the store (works on every backend).

Passwords are hashed with Argon2id (argon2-cffi defaults: RFC 9106 low-memory profile).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from csm.auth.principal import Principal
from csm.auth.roles import Role
from csm.store.base import Store

USERS_STREAM = "users"
GLOBAL_SITE = "*"
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_HASHER = PasswordHasher()
# Verifying against this keeps the time of a login with an unknown name like a real one.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")


class UserError(ValueError):
    """A user request that cannot be honoured, with a message fit for the person asking."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: Role
    sites: frozenset[str]
    zones: dict[str, frozenset[str]]
    password_hash: str | None

    def principal(self, method: str = "password") -> Principal:
        return Principal(self.username, self.role, self.sites, self.zones, auth_method=method)

    def public(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "role": self.role.value,
            "sites": sorted(self.sites),
            "zones": {s: sorted(z) for s, z in self.zones.items()},
        }


class UserDirectory:
    """Users folded from the store's `users` stream; refreshed incrementally on every read."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._users: dict[str, User] = {}
        self._last_id = 0
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        with self._lock:
            for event in self.store.read_events(GLOBAL_SITE, USERS_STREAM, self._last_id, 10_000):
                self._apply(event.payload)
                self._last_id = event.id

    def _apply(self, event: dict[str, Any]) -> None:
        name = event["username"]
        if event["op"] == "remove":
            self._users.pop(name, None)
            return
        if event["op"] == "password" and name in self._users:
            old = self._users[name]
            self._users[name] = User(old.username, old.role, old.sites, old.zones, event["password_hash"])
            return
        if event["op"] == "add":
            self._users[name] = User(
                username=name,
                role=Role(event["role"]),
                sites=frozenset(event["sites"]),
                zones={s: frozenset(z) for s, z in (event.get("zones") or {}).items()},
                password_hash=event.get("password_hash"),
            )

    def get(self, username: str) -> User | None:
        self._refresh()
        return self._users.get(username)

    def all(self) -> list[User]:
        self._refresh()
        return sorted(self._users.values(), key=lambda u: u.username)

    def add(
        self, username: str, role: Role, sites: list[str], password: str | None,
        zones: dict[str, list[str]] | None = None, by: str = "cli",
    ) -> User:
        if not _USERNAME.match(username):
            raise UserError("username: 2–64 characters, lower-case letters, digits and . _ @ -")
        if not sites:
            raise UserError("give at least one site (or * for all)")
        if zones and role is not Role.EVENT_ORGANISER:
            raise UserError("zone scopes are for event organisers; other roles see whole sites")
        if role is Role.EVENT_ORGANISER and not zones:
            raise UserError("an event organiser needs the zones of their event (--zones)")
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
        if self.get(username) is not None:
            raise UserError(f"user {username!r} exists; remove it first")
        event: dict[str, Any] = {
            "op": "add", "username": username, "role": role.value, "sites": sorted(sites),
            "zones": {s: sorted(z) for s, z in (zones or {}).items()},
            "password_hash": _HASHER.hash(password) if password is not None else None, "by": by,
        }
        self.store.append_event(GLOBAL_SITE, USERS_STREAM, datetime.now(UTC), event)
        user = self.get(username)
        assert user is not None
        return user

    def remove(self, username: str, by: str = "cli") -> None:
        if self.get(username) is None:
            raise UserError(f"no user {username!r}")
        self.store.append_event(
            GLOBAL_SITE, USERS_STREAM, datetime.now(UTC), {"op": "remove", "username": username, "by": by}
        )
        self._refresh()

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password matches; None otherwise (same work either way)."""
        user = self.get(username)
        stored = user.password_hash if user else None
        try:
            _HASHER.verify(stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return user if stored else None
