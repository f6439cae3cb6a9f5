"""HTTP hardening: security headers, request size limits, and the dashboard behind the login."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from csm.auth.service import SESSION_COOKIE, AuthService
from csm.auth.tokens import TokenError


# MapLibre needs blob: workers and inline style attributes; nothing loads from elsewhere unless a
# site configures a basemap (its origin, plus any in CSM_MAP_ORIGINS, may serve styles and tiles).
def content_security_policy(map_origins: Sequence[str] = ()) -> str:
    extra = "".join(f" {o}" for o in map_origins)
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:{extra}; worker-src 'self' blob:; child-src 'self' blob:; "
        f"connect-src 'self' ws: wss:{extra}; font-src 'self' data:{extra}; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL; None for relative or other URLs."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


# FastAPI's /docs page initialises Swagger UI inline and loads it from a CDN (so it needs a network).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https:; style-src 'self' 'unsafe-inline' https:; "
    "img-src 'self' data: https:"
)
# JSON answers are data, never a document: nothing may load from them or frame them (OWASP REST
# Security Cheat Sheet, "Security Headers"). The document-only headers (Permissions-Policy,
# Cross-Origin-Opener-Policy) are left off them: every poll carried 300 bytes it had no use for.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"
_JSON_TYPES = (b"application/json", b"application/problem+json")
DEFAULT_BODY_LIMIT = 1024 * 1024
BODY_LIMITS = {"/api/v1/observations": 16 * 1024 * 1024}
DASHBOARD_PAGES = frozenset({"/", "/index.html"})


class SecurityHeaders:
    """The security headers of an answer, by kind (a document, the API docs page, JSON data) and scheme.

    The six possible header sets are encoded once: they are added to every answer, the zone-state
    poll included."""

    def __init__(self, hsts_max_age: int = 31_536_000, map_origins: Sequence[str] = ()) -> None:
        self.hsts = f"max-age={hsts_max_age}; includeSubDomains"
        self.csp = content_security_policy(map_origins)
        self._extra = {(kind, https): self._headers(kind, https)
                       for kind in ("page", "docs", "data") for https in (False, True)}

    def _headers(self, kind: str, https: bool) -> list[tuple[bytes, bytes]]:
        extra = {
            b"content-security-policy": {"page": self.csp, "docs": DOCS_CSP, "data": DATA_CSP}[kind].encode(),
            b"x-content-type-options": b"nosniff",
            b"x-frame-options": b"DENY",
            b"referrer-policy": b"no-referrer",
        }
        if kind != "data":
            extra[b"permissions-policy"] = b"camera=(), microphone=(), geolocation=()"
            extra[b"cross-origin-opener-policy"] = b"same-origin"
        if https:
            extra[b"strict-transport-security"] = self.hsts.encode()
        return list(extra.items())

    def completed(self, scope: Scope, headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """`headers` (a new list) with the security headers they do not set themselves."""
        completed = list(headers)
        present = {k.lower(): v for k, v in completed}
        if scope["path"] in ("/docs", "/redoc"):
            kind = "docs"
        else:
            content_type = present.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
            kind = "data" if content_type in _JSON_TYPES else "page"
        completed += [(k, v) for k, v in self._extra[kind, scope.get("scheme") == "https"] if k not in present]
        return completed

    def wrap(self, scope: Scope, send: Send) -> Send:
        """`send` adding the headers an answer does not set itself."""

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.completed(scope, message.get("headers", []))
            await send(message)

        return with_headers


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP answer that does not set them itself."""

    def __init__(self, app: ASGIApp, headers: SecurityHeaders) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self.headers.wrap(scope, send))


class BodyLimitMiddleware:
    """Refuse bodies over the route's limit, whether announced (Content-Length) or streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = BODY_LIMITS.get(scope["path"], DEFAULT_BODY_LIMIT)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _BodyTooLarge:
            await _too_large(limit)(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (ASGI names are lower case), without building a Headers."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class _BodyTooLarge(Exception):
    pass


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": f"request body over {limit} bytes"}, status_code=413)


def canonical_path(path: str) -> str:
    """`path` with `//`, `/./`, `/../` and a trailing slash resolved, so every check sees one spelling."""
    if not path.startswith("/"):
        path = "/" + path
    normal = posixpath.normpath(path)
    if normal.startswith("//"):  # normpath keeps a leading double slash (POSIX); collapse it
        normal = "/" + normal.lstrip("/")
    return normal


class CanonicalPathMiddleware:
    """Answer a non-canonical path with a redirect to its canonical form, before any other check.

    The login check, the access policy and the static files must agree on what a path names;
    `/./`, `//` or `/index.html/` once reached the dashboard page without a login.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path: str = scope["path"]
            normal = canonical_path(path)
            if normal != path:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008, "reason": "non-canonical path"})
                    return
                query = scope.get("query_string", b"").decode("latin-1")
                await RedirectResponse(normal + (f"?{query}" if query else ""), status_code=308)(
                    scope, receive, send)
                return
        await self.app(scope, receive, send)


class DashboardLoginMiddleware:
    """The dashboard page is for logged-in staff: without an open session, go to the login page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _is_dashboard_page(scope["path"]) and scope["method"] in ("GET", "HEAD"):
            cookie = _cookie(scope, SESSION_COOKIE)
            auth: AuthService = scope["app"].state.auth
            try:
                if cookie is None:
                    raise TokenError("no session")
                auth.sessions.resolve(cookie)
            except TokenError:
                await RedirectResponse("/login", status_code=303)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _is_dashboard_page(path: str) -> bool:
    """The page itself (any HTML the static files would serve), whatever the spelling."""
    if "." not in path and path.strip("/"):
        return False  # no spelling without a dot names "/" or ends in .html: the API's paths
    normal = canonical_path(path)
    return normal in DASHBOARD_PAGES or (normal.endswith(".html") and not normal.startswith("/api/"))


def _cookie(scope: Scope, name: str) -> str | None:
    from http.cookies import SimpleCookie

    raw = Headers(scope=scope).get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header is simply no session
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None
