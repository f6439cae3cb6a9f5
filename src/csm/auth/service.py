"""The authorisation guard every route passes through: who is asking, may they, and the audit."""

from __future__ import annotations

import hmac
import os
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, WebSocketException
from starlette.requests import HTTPConnection

from csm.auth.policy import Rule, rule_for
from csm.auth.principal import Principal
from csm.auth.proxies import client_address
from csm.auth.ratelimit import RateLimits
from csm.auth.secrets import read_secret, signing_key
from csm.auth.sessions import SessionBook
from csm.auth.tokens import TokenError, read_ingest_token
from csm.auth.users import GLOBAL_SITE, UserDirectory
from csm.store.base import Store

__all__ = ["AUDIT_STREAM", "CSRF_COOKIE", "SESSION_COOKIE", "AuthService", "client_address", "redact_secrets"]

SESSION_COOKIE = "csm_session"
CSRF_COOKIE = "csm_csrf"
CSRF_HEADER = "x-csrf-token"
AUDIT_STREAM = "audit"
# The same person re-reading the same view within this many seconds is one audit entry.
AUDIT_COALESCE_SECONDS = 60.0
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PASSES_LIMIT = 4096  # remembered guard decisions per worker; cleared when full
# Query parameters whose values are credentials: never written to a log or the audit.
_SECRET_PARAMS = re.compile(r"(?i)((?:^|[?&;])(?:token|ticket|access_token|id_token|code|state|password)=)[^&;#\s]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact_secrets(text: str) -> str:
    """`text` with the values of credential-bearing query parameters and bearer tokens hidden."""
    if "=" in text:  # a parameter value needs one (every access-log line passes here)
        text = _SECRET_PARAMS.sub(r"\1[redacted]", text)
    return _BEARER.sub(r"\1[redacted]", text)


class AuthService:
    def __init__(self, store: Store, limits: RateLimits | None = None,
                 remembered_routes: frozenset[tuple[str, str]] = frozenset()) -> None:
        """`remembered_routes`: (method, route template) whose decisions `remembered` may reuse."""
        self.store = store
        self.remembered_routes = remembered_routes
        self.users = UserDirectory(store)
        self.sessions = SessionBook(store)
        limits = limits or RateLimits.in_process()
        self.login_failures = limits.login_failures  # per user name + address
        self.login_attempts_per_address = limits.login_attempts_per_address
        self.ingest_requests = limits.ingest_requests  # per ingest client
        self._audit_seen: dict[tuple[str, str, str, str], float] = {}
        self._audit_lock = threading.Lock()
        # Guard decisions remembered for `remembered` (the dashboard's poll): (Authorization,
        # Cookie, method, route template, site) → (ledger position, valid until, signing key, who).
        self._passes: dict[tuple[str | None, str | None, str, str, str], tuple[int, float, str, Principal]] = {}

    # -- identification -----------------------------------------------------------------------
    def identify(self, conn: HTTPConnection) -> Principal | None:
        """The principal behind a bearer token, a session cookie or (WebSocket) a stream ticket."""
        header = conn.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        if token:
            return self._bearer(conn, token)
        if conn.scope["type"] == "websocket" and "ticket" in conn.query_params:
            try:
                return self.sessions.redeem_ticket(conn.query_params["ticket"], conn.path_params.get("site_id", ""))
            except TokenError as exc:
                raise HTTPException(401, str(exc)) from exc
        cookie = conn.cookies.get(SESSION_COOKIE)
        if cookie:
            if conn.scope["type"] == "websocket" and not same_origin(conn):
                raise HTTPException(403, "the stream refuses pages of another origin")
            try:
                opened = self.sessions.resolve(cookie, method="cookie")
            except TokenError:
                return None
            conn.state.session = opened
            conn.state.session_token = (cookie, "cookie")
            return opened.principal
        return None

    def _bearer(self, conn: HTTPConnection, token: str) -> Principal:
        # A session first: the token of nearly every request. The metrics token (no JWT) and
        # ingest tokens are tried when it is not one (the metrics token's two environment reads
        # were a tenth of the guard's time on every dashboard poll).
        try:
            opened = self.sessions.resolve(token)
        except TokenError as session_error:
            metrics_token = read_secret("CSM_METRICS_TOKEN")
            if metrics_token and hmac.compare_digest(token, metrics_token):
                return Principal("metrics-scraper", None, frozenset({"*"}), kind="metrics",
                                 auth_method="metrics-token")
            try:
                return read_ingest_token(token)
            except TokenError:
                raise HTTPException(401, str(session_error) if "ended" in str(session_error)
                                    else "invalid or expired token",
                                    headers={"WWW-Authenticate": "Bearer"}) from None
        conn.state.session = opened
        conn.state.session_token = (token, None)
        return opened.principal

    # -- the guard ----------------------------------------------------------------------------
    def authorize(self, conn: HTTPConnection) -> Principal | None:
        """Identify, apply the policy (raises 401/403) and write the audit entry if one is due."""
        write_audit = self.check(conn)
        if write_audit is not None:
            write_audit()
        principal: Principal | None = conn.state.principal
        return principal

    def check(self, conn: HTTPConnection) -> Callable[[], None] | None:
        """Identify and apply the policy, touching the store only where sessions are not checked in
        memory; returns the audit write still due (a store write), for the caller to run off the
        event loop."""
        template = getattr(conn.scope.get("route"), "path", None) or conn.url.path  # (building .url costs)
        method = "GET" if conn.scope["type"] == "websocket" else conn.scope["method"]
        if method == "HEAD":
            method = "GET"
        rule = rule_for(method, template)
        try:
            principal = self.identify(conn)
            self._check(conn, rule, principal, template, method)
        except HTTPException as exc:
            if conn.scope["type"] == "websocket":
                raise WebSocketException(code=1008, reason=str(exc.detail)) from exc
            raise
        conn.state.principal = principal
        if principal is not None and (method, template) in self.remembered_routes and conn.scope["type"] == "http":
            self._remember(conn, method, template, principal)
        if rule is not None and rule.audited and principal is not None:
            return self.audit_due(principal, method, template, conn)
        return None

    # -- remembered decisions -----------------------------------------------------------------
    def remembered(self, authorization: str | None, cookie: str | None, method: str, template: str,
                   site_id: str, path: str) -> Principal | None:
        """The principal `check` let through for a request with these same credential headers, to
        this route and site, while nothing it decided on has moved since: no account or session
        changed (the ledger position), the session is still open, the signing key is the same, and
        an audit entry for this read is not due. None: run `check` (it remembers what it allows).

        A dashboard polls one route with one session every two seconds; this answers such a poll
        without building a request object or identifying the caller again. Only sessions checked
        in memory are remembered (`checks_in_memory`), so a live ledger watch ends a pass at once."""
        entry = self._passes.get((authorization, cookie, method, template, site_id))
        if entry is None or not self.checks_in_memory:
            return None
        position, until, key, principal = entry
        if (position != self.sessions.ledger.current().last_id or time.time() >= until
                or not hmac.compare_digest(key, signing_key())):
            return None
        if method in UNSAFE_METHODS or not self._audited_lately((principal.name, method, path, site_id),
                                                                time.monotonic()):
            return None  # an audit entry is due: `check` writes it
        return principal

    def _remember(self, conn: HTTPConnection, method: str, template: str, principal: Principal) -> None:
        """Keep the decision `check` just made for a session (not for metrics or ingest tokens)."""
        used = conn.scope.get("state", {}).get("session_token")
        validity = self.sessions.validity(*used) if used is not None else None
        if validity is None:
            return
        key = (conn.headers.get("authorization"), conn.headers.get("cookie"), method, template,
               conn.path_params.get("site_id", GLOBAL_SITE))
        if len(self._passes) >= _PASSES_LIMIT:
            self._passes.clear()
        self._passes[key] = (*validity, signing_key(), principal)

    @property
    def checks_in_memory(self) -> bool:
        """Whether `check` reads nothing from the store (sessions folded in memory)."""
        return self.sessions.ledger.in_memory

    def start(self) -> None:
        """In a serving process: follow account changes by notification (PostgreSQL)."""
        self.sessions.ledger.watch()

    def stop(self) -> None:
        self.sessions.ledger.unwatch()

    def _check(
        self, conn: HTTPConnection, rule: Rule | None, principal: Principal | None, template: str, method: str
    ) -> None:
        if rule is None:
            raise HTTPException(403, f"no access policy for {method} {template}: refused for everyone")
        if rule.permission is None and not rule.authenticated_only:
            return
        if principal is None:
            raise HTTPException(401, "login required", headers={"WWW-Authenticate": "Bearer"})
        if rule.permission is not None and not principal.can(rule.permission):
            raise HTTPException(403, f"your role may not {rule.permission.value.replace('_', ' ')}")
        site_id = conn.path_params.get("site_id")
        if site_id is not None and not principal.may_see_site(site_id):
            raise HTTPException(403, f"no access to site {site_id!r}")
        if (
            method in UNSAFE_METHODS
            and principal.auth_method == "cookie"
            and not _csrf_ok(conn)
        ):
            raise HTTPException(403, "missing or wrong CSRF token (send the csm_csrf cookie value as X-CSRF-Token)")

    # -- audit --------------------------------------------------------------------------------
    def audit(self, principal: Principal, method: str, template: str, conn: HTTPConnection) -> None:
        """Record who read or changed what, coalescing repeated reads of one view per minute."""
        write = self.audit_due(principal, method, template, conn)
        if write is not None:
            write()

    def audit_due(self, principal: Principal, method: str, template: str, conn: HTTPConnection
                  ) -> Callable[[], None] | None:
        """The audit write this request calls for, or None when a recent identical read covers it."""
        site_id = conn.path_params.get("site_id", GLOBAL_SITE)
        key = (principal.name, method, conn.scope["path"], site_id)
        now = time.monotonic()
        if method not in UNSAFE_METHODS:
            with self._audit_lock:
                if self._audited_lately(key, now):
                    return None
                self._audit_seen[key] = now
        return partial(self.record, site_id, principal.name,
                       principal.role.value if principal.role else principal.kind,
                       f"{method} {conn.url.path}", client_address(conn), conn.url.query or None)

    def _audited_lately(self, key: tuple[str, str, str, str], now: float) -> bool:
        """Whether this read (who, method, path, site) was audited within the coalescing window."""
        return now - self._audit_seen.get(key, -1e9) < AUDIT_COALESCE_SECONDS

    def record(self, site_id: str, who: str, role: str, action: str, client: str | None,
               detail: str | None = None) -> None:
        payload: dict[str, Any] = {"user": who, "role": role, "action": redact_secrets(action), "client": client}
        if detail:
            payload["detail"] = redact_secrets(detail)[:500]
        self.store.append_event(site_id, AUDIT_STREAM, datetime.now(UTC), payload)


def _csrf_ok(conn: HTTPConnection) -> bool:
    cookie = conn.cookies.get(CSRF_COOKIE)
    header = conn.headers.get(CSRF_HEADER)
    return bool(cookie and header and hmac.compare_digest(cookie, header))


def allowed_origins() -> set[str]:
    """Extra origins (CSM_ALLOWED_ORIGINS, space-separated) whose pages may open the stream."""
    return {o.rstrip("/") for o in os.environ.get("CSM_ALLOWED_ORIGINS", "").split() if o}


def same_origin(conn: HTTPConnection) -> bool:
    """A browser always sends Origin on a WebSocket: it must be this server (by Host) or allowed.

    Cookies ride along with any page's WebSocket, so without this check a foreign page could read
    the live picture with a logged-in user's cookie (cross-site WebSocket hijacking).
    """
    origin = conn.headers.get("origin")
    if origin is None:
        return True  # not a browser: it has no ambient cookie a foreign page could borrow
    if origin.rstrip("/") in allowed_origins():
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == conn.headers.get("host", "").lower()
