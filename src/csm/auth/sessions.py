"""Server-side sessions and single-use stream tickets.

A session token is signed (so garbage is refused without a lookup) but grants nothing by itself:
it names a session that must still be open in the account ledger, and the rights are those of
the account now. Logging out, removing an account or changing its role or sites therefore takes
effect on the next request of the worker that made the change, and on every other worker sharing
the store as soon as PostgreSQL's change notification reaches it (milliseconds: ledger_watch.py).

A stream ticket lets a client that cannot send headers (a browser WebSocket without the cookie)
open the live stream: it lives 30 seconds, is used once, and dies with its session.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from csm.auth.ledger import Session, ledger_for
from csm.auth.principal import Principal
from csm.auth.roles import Role
from csm.auth.secrets import signing_key
from csm.auth.tokens import ISSUER, TokenError
from csm.auth.users import User
from csm.store.base import Store

SESSION_TTL = timedelta(hours=12)
TICKET_TTL = timedelta(seconds=30)


class SessionEnded(TokenError):
    """A well-signed token whose session was closed, expired or whose account is gone."""


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


# Verified claims by (audience, token, key): a dashboard sends the same token with every request,
# and checking its signature again (HMAC plus PyJWT's key handling) was the largest part of a
# cached request. Expiry is still checked on every use; another key verifies afresh.
_VERIFIED: OrderedDict[tuple[str, str, str], dict[str, Any]] = OrderedDict()
_VERIFIED_LIMIT = 4096
_VERIFIED_LOCK = threading.Lock()


def _decode(token: str, audience: str) -> dict[str, Any]:
    key = signing_key()
    cache_key = (audience, token, key)
    with _VERIFIED_LOCK:
        cached = _VERIFIED.get(cache_key)
    if cached is not None and time.time() < cached["exp"]:
        return cached
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=["HS256"], audience=audience, issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "sid"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    with _VERIFIED_LOCK:
        _VERIFIED[cache_key] = claims
        while len(_VERIFIED) > _VERIFIED_LIMIT:
            _VERIFIED.popitem(last=False)
    return claims


@dataclass(frozen=True, slots=True)
class OpenSession:
    """What a worker knows about the session behind a request: who, with which rights, which sid."""

    principal: Principal
    sid_hash: str


_RESOLVED_LIMIT = 4096


class SessionBook:
    def __init__(self, store: Store) -> None:
        self.ledger = ledger_for(store)
        # (token, method, key) → (ledger position, valid until (epoch s), the answer): a dashboard
        # sends the same token every two seconds, and nothing about its session can change until
        # the account ledger moves on, so the answer is reused until then (or until it expires).
        self._resolved: dict[tuple[str, str | None, str], tuple[int, float, OpenSession]] = {}

    # -- sessions -------------------------------------------------------------------------------
    def open(self, user: User | None, method: str = "password", *, granted: Principal | None = None,
             ttl: timedelta = SESSION_TTL) -> str:
        """A new session for a local account, or (`granted`) for an identity without one."""
        if (user is None) == (granted is None):
            raise ValueError("give a local account or the rights an identity provider granted")
        now = datetime.now(UTC)
        sid = secrets.token_urlsafe(24)
        name = user.username if user is not None else granted.name  # type: ignore[union-attr]
        grant = None
        if granted is not None:
            grant = {"role": granted.role.value if granted.role else None, "sites": sorted(granted.sites)}
        self.ledger.append({
            "op": "session_open", "username": name, "sid_hash": _hash(sid), "method": method,
            "expires": (now + ttl).isoformat(), "granted": grant,
        })
        return jwt.encode({"iss": ISSUER, "aud": "session", "sub": name, "sid": sid, "iat": now,
                           "exp": now + ttl}, signing_key(), algorithm="HS256")

    def resolve(self, token: str, method: str | None = None) -> OpenSession:
        """The principal of an open session, with the account's current rights."""
        cache_key = (token, method, signing_key())
        position = self.ledger.current().last_id
        hit = self._resolved.get(cache_key)
        if hit is not None and hit[0] == position and time.time() < hit[1]:
            return hit[2]
        claims = _decode(token, "session")
        sid_hash = _hash(str(claims["sid"]))
        state = self.ledger.knowing(sid_hash)
        position = state.last_id
        session = state.sessions.get(sid_hash)
        if session is None or session.expires <= datetime.now(UTC) or session.username != claims["sub"]:
            raise SessionEnded("this session has ended: log in again")
        opened = OpenSession(self._principal(session, state.users.get(session.username), method), sid_hash)
        if len(self._resolved) >= _RESOLVED_LIMIT:
            self._resolved.clear()
        self._resolved[cache_key] = (position, min(float(claims["exp"]), session.expires.timestamp()), opened)
        return opened

    def validity(self, token: str, method: str | None = None) -> tuple[int, float] | None:
        """(ledger position, valid until in epoch seconds) of the answer `resolve` last gave for
        this token, or None: what a caller remembering that answer must check before reusing it."""
        hit = self._resolved.get((token, method, signing_key()))
        return (hit[0], hit[1]) if hit is not None else None

    @staticmethod
    def _principal(session: Session, user: User | None, method: str | None) -> Principal:
        how = method or session.method
        if session.granted is not None:
            try:
                role = Role(str(session.granted.get("role")))
            except ValueError as exc:
                raise SessionEnded("this session grants no role") from exc
            return Principal(session.username, role, frozenset(session.granted.get("sites") or []),
                             auth_method=how)
        if user is None:
            raise SessionEnded("this account no longer exists")
        return user.principal(how)

    def close(self, sid_hash: str, by: str) -> None:
        self.ledger.append({"op": "session_close", "sid_hash": sid_hash, "username": by})

    def close_all(self, username: str, by: str) -> None:
        self.ledger.append({"op": "sessions_close_all", "username": username, "by": by})

    def open_count(self, username: str) -> int:
        now = datetime.now(UTC)
        sessions = list(self.ledger.current().sessions.values())  # a snapshot: others may fold meanwhile
        return sum(s.username == username and s.expires > now for s in sessions)

    # -- stream tickets -------------------------------------------------------------------------
    def issue_ticket(self, session: OpenSession, site_id: str) -> str:
        now = datetime.now(UTC)
        return jwt.encode({"iss": ISSUER, "aud": "stream-ticket", "sub": session.principal.name,
                           "sid": session.sid_hash, "site": site_id, "jti": secrets.token_urlsafe(12),
                           "iat": now, "exp": now + TICKET_TTL}, signing_key(), algorithm="HS256")

    def redeem_ticket(self, ticket: str, site_id: str) -> Principal:
        """The principal behind a ticket, once: a second use, another site or an ended session fail."""
        claims = _decode(ticket, "stream-ticket")
        if claims.get("site") != site_id:
            raise TokenError("this ticket is for another site")
        jti = str(claims.get("jti", ""))
        state = self.ledger.current()
        if not jti or jti in state.used_tickets:
            raise TokenError("this ticket was already used")
        mine = self.ledger.append({"op": "ticket_used", "username": str(claims["sub"]), "jti": jti,
                                   "expires": datetime.fromtimestamp(int(claims["exp"]), UTC).isoformat()})
        state = self.ledger.current()
        if state.used_tickets.get(jti, (None, mine))[1] != mine:
            raise TokenError("this ticket was already used")  # another worker redeemed it first
        state = self.ledger.knowing(str(claims["sid"]))
        session = state.sessions.get(str(claims["sid"]))
        if session is None or session.expires <= datetime.now(UTC):
            raise SessionEnded("the session of this ticket has ended")
        return self._principal(session, state.users.get(session.username), "stream-ticket")
