"""HTTP error answers the framework gives, made to match the OpenAPI document.

Starlette answers a wrong method on a path with 405 and an `Allow` header naming only the first
route that matched the path; a path served by several routes (GET and POST on one collection)
must list every method it supports, as the OpenAPI document does.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the app's OpenAPI document gives this path (the contract clients read)."""
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        regex, _, _ = compile_path(template)
        if regex.match(path):
            methods |= {m.upper() for m in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    async def method_not_allowed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            allowed = allowed_methods(app, request.url.path)
            if allowed:
                exc = StarletteHTTPException(405, exc.detail, headers={"Allow": ", ".join(allowed)})
        return await http_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, method_not_allowed)
