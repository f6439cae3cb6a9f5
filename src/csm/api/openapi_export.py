"""The app's OpenAPI document without a server: what web/openapi.json holds and the dashboard's
TypeScript types are generated from (tools/export_openapi.py, `make api-types`)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

SITE = Path(__file__).resolve().parents[3] / "sites" / "scheveningen"


def openapi_document(site: Path = SITE) -> dict[str, Any]:
    """The OpenAPI document of an app serving `site` (routes do not depend on the site)."""
    from csm.api.app import create_app
    from csm.runtime import build_runtime

    with tempfile.TemporaryDirectory(prefix="csm-openapi-") as folder:
        runtime = build_runtime([site], f"duckdb:{Path(folder) / 'openapi.duckdb'}")
        try:
            document: dict[str, Any] = create_app(runtime, web_dist=None).openapi()
        finally:
            runtime.close()
    return document


def openapi_json(site: Path = SITE) -> str:
    """Stable text: sorted keys, two-space indent, newline at the end."""
    return json.dumps(openapi_document(site), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
