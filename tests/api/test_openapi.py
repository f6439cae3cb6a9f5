"""The API describes itself: typed 2xx answers on (nearly) every operation, and the committed
OpenAPI document (web/openapi.json, the source of the dashboard's types) matches the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.api.openapi_export import openapi_json
from csm.runtime import Runtime

WEB = Path(__file__).resolve().parents[2] / "web"
TYPED_SHARE = 0.95
PUBLIC = {"/api/v1/time", "/api/v1/auth/login"}


def typed_schema(schema: dict[str, Any] | None) -> bool:
    """A named model (or a list of them), or a string body (text formats): not a bare object."""
    if not schema:
        return False
    if "$ref" in schema or schema.get("type") == "string":
        return True
    if schema.get("type") == "array":
        return typed_schema(schema.get("items"))
    return any(typed_schema(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def success_is_typed(op: dict[str, Any]) -> bool:
    """Every 2xx answer has a typed body; an operation that only redirects (3xx) has no body."""
    codes = [c for c in op["responses"] if c.startswith("2")]
    if not codes:
        return any(c.startswith("3") for c in op["responses"])
    return all(
        content and all(typed_schema(media.get("schema")) for media in content.values())
        for content in (op["responses"][c].get("content") for c in codes)
    )


def test_at_least_95_percent_of_operations_declare_a_typed_success(tiny_runtime: Runtime) -> None:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as client:
        spec = client.get("/openapi.json").json()
    ops = {f"{m.upper()} {p}": op for p, ops in spec["paths"].items() for m, op in ops.items()}
    untyped = sorted(name for name, op in ops.items() if not success_is_typed(op))
    assert len(ops) >= 56
    assert 1 - len(untyped) / len(ops) >= TYPED_SHARE, untyped


def test_error_answers_are_documented_with_the_error_body(tiny_runtime: Runtime) -> None:
    spec = create_app(tiny_runtime, web_dist=None).openapi()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path.startswith("/api/v1/") and path not in PUBLIC and "oidc" not in path:
                assert {"401", "403"} <= set(op["responses"]), f"{method} {path}"


def test_committed_openapi_document_matches_the_app() -> None:
    # Compared as documents: another test in the session may change how json writes floats.
    committed = json.loads((WEB / "openapi.json").read_text(encoding="utf-8"))
    assert committed == json.loads(openapi_json()), "web/openapi.json drifted: run `make api-types` and commit"
