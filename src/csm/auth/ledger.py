"""The account ledger: accounts, server-side sessions and used stream tickets, folded from one
append-only stream in the store, shared by every API worker on that store.

Why one stream: one "version" (the newest event id) says whether anything about access changed,
so a worker knows with one cheap check, and never trusts rights frozen into a token.

Why a per-store cache without a lock on the read path: an embedded (DuckDB) store is opened by
one process only, so every change passes through this process and updates the cache as it is
written; a shared store (PostgreSQL) may be changed by another worker or the CLI. There every
write sends a NOTIFY, and an API worker that `watch`es folds new events when told (ledger_watch.py),
checking sessions in memory in between; without a live watch each check first reads the events
newer than the cached version (one indexed query, no process-wide lock).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from csm.auth.ledger_watch import LedgerNotifier, LedgerWatch
from csm.auth.principal import Principal
from csm.auth.roles import Role
from csm.store.base import Store

USERS_STREAM = "users"
GLOBAL_SITE = "*"
_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: Role
    sites: frozenset[str]
    zones: dict[str, frozenset[str]]
    password_hash: str | None
    # The one external identity (OIDC issuer, subject) that logs in as this account, if any.
    external: tuple[str, str] | None = None

    def principal(self, method: str = "password") -> Principal:
        """The rights of this account as it is now."""
        return Principal(self.username, self.role, self.sites, self.zones, auth_method=method)

    def public(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "username": self.username,
            "role": self.role.value,
            "sites": sorted(self.sites),
            "zones": {s: sorted(z) for s, z in self.zones.items()},
        }
        if self.external:
            shown["oidc"] = {"issuer": self.external[0], "subject": self.external[1]}
        return shown


@dataclass(frozen=True, slots=True)
class Session:
    """A login. Rights are not kept here: they are read from the account at every request, except
    for identities the identity provider's claims admit without a local account (`granted`)."""

    sid_hash: str
    username: str
    method: str
    expires: datetime
    granted: dict[str, Any] | None = None  # {"role": ..., "sites": [...]} for oidc-claims logins


@dataclass
class _Folded:
    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    # ticket id → (expiry, id of its first use): the first use in the stream's order wins, on
    # every worker alike, so a ticket raced to two workers opens one stream only.
    used_tickets: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    last_id: int = 0


class AccountLedger:
    """The folded state of one store's account stream. Get it with `ledger_for(store)`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.shared = not store.url.startswith("duckdb")
        self._state = _Folded()
        self._refresh_lock = threading.Lock()
        self._watch: LedgerWatch | None = None
        self._notifier = LedgerNotifier(store.url) if self.shared else None
        self._refresh()

    def watch(self) -> None:
        """Fold on change notifications instead of reading the store per check (API workers)."""
        if self.shared and self._watch is None:
            self._watch = LedgerWatch(self.store.url, self._refresh)

    def unwatch(self) -> None:
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        if self._notifier is not None:
            self._notifier.close()

    @property
    def in_memory(self) -> bool:
        """Whether a check needs no store read: embedded store, or a live watch."""
        watch = self._watch
        return not self.shared or (watch is not None and watch.live.is_set())

    # -- reading --------------------------------------------------------------------------------
    def current(self) -> _Folded:
        """The folded state, brought up to date first when other processes may write the store."""
        if not self.in_memory:
            self._refresh()
        return self._state

    def knowing(self, sid_hash: str) -> _Folded:
        """The folded state, read afresh when it does not know this session yet: a login on
        another worker moments ago may not have been notified here (a store read only then)."""
        state = self.current()
        if sid_hash not in state.sessions and self.shared:
            self._refresh()
        return self._state

    def _refresh(self) -> None:
        # The common case (nothing new) takes no lock: requests never queue behind each other here.
        if not self.store.read_events(GLOBAL_SITE, USERS_STREAM, self._state.last_id, 1):
            return
        with self._refresh_lock:  # only while folding new events, in order, once each
            while True:
                events = self.store.read_events(GLOBAL_SITE, USERS_STREAM, self._state.last_id, _PAGE)
                for event in events:
                    _apply(self._state, event.payload, event.id)
                    self._state.last_id = event.id
                if len(events) < _PAGE:
                    return

    # -- writing --------------------------------------------------------------------------------
    def append(self, payload: dict[str, Any]) -> int:
        """Write one change and fold it (and anything newer from other writers) at once; its id."""
        event_id = self.store.append_event(GLOBAL_SITE, USERS_STREAM, datetime.now(UTC), payload)
        if self._notifier is not None:
            self._notifier.notify()
        self._refresh()
        return event_id


def _apply(state: _Folded, event: dict[str, Any], event_id: int = 0) -> None:
    op = event.get("op")
    name = str(event.get("username", ""))
    if op == "add":
        external = event.get("external")
        state.users[name] = User(
            username=name,
            role=Role(event["role"]),
            sites=frozenset(event["sites"]),
            zones={s: frozenset(z) for s, z in (event.get("zones") or {}).items()},
            password_hash=event.get("password_hash"),
            external=(str(external[0]), str(external[1])) if external else None,
        )
    elif op == "remove":
        state.users.pop(name, None)
        _close_sessions_of(state, name)
    elif op == "password" and name in state.users:
        old = state.users[name]
        state.users[name] = User(old.username, old.role, old.sites, old.zones, event["password_hash"], old.external)
    elif op == "update" and name in state.users:
        old = state.users[name]
        state.users[name] = User(
            old.username,
            Role(event["role"]) if event.get("role") else old.role,
            frozenset(event["sites"]) if event.get("sites") else old.sites,
            {s: frozenset(z) for s, z in event["zones"].items()} if event.get("zones") is not None else old.zones,
            old.password_hash,
            old.external,
        )
    elif op == "session_open":
        state.sessions[event["sid_hash"]] = Session(
            sid_hash=event["sid_hash"], username=name, method=str(event.get("method", "password")),
            expires=datetime.fromisoformat(event["expires"]), granted=event.get("granted"),
        )
        _prune(state)
    elif op == "session_close":
        state.sessions.pop(str(event.get("sid_hash")), None)
    elif op == "sessions_close_all":
        _close_sessions_of(state, name)
    elif op == "ticket_used":
        state.used_tickets.setdefault(str(event["jti"]), (datetime.fromisoformat(event["expires"]), event_id))


def _close_sessions_of(state: _Folded, username: str) -> None:
    for sid_hash in [h for h, s in state.sessions.items() if s.username == username]:
        del state.sessions[sid_hash]


def _prune(state: _Folded) -> None:
    """Forget expired sessions and tickets, so memory stays bounded by the live ones."""
    now = datetime.now(UTC)
    for sid_hash in [h for h, s in state.sessions.items() if s.expires <= now]:
        del state.sessions[sid_hash]
    for jti in [j for j, (exp, _) in state.used_tickets.items() if exp <= now]:
        del state.used_tickets[jti]


_LEDGERS: weakref.WeakKeyDictionary[Store, AccountLedger] = weakref.WeakKeyDictionary()
_LEDGERS_LOCK = threading.Lock()


def ledger_for(store: Store) -> AccountLedger:
    """One ledger per open store in this process, so every part of it sees a change at once."""
    ledger = _LEDGERS.get(store)
    if ledger is not None:
        return ledger
    with _LEDGERS_LOCK:
        ledger = _LEDGERS.get(store)
        if ledger is None:
            ledger = AccountLedger(store)
            _LEDGERS[store] = ledger
        return ledger
