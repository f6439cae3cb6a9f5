"""Fail when web/openapi.json or web/src/api-types.ts no longer match the API (run by `make lint`).

Exports the OpenAPI document and generates the TypeScript types into a temporary folder with the
pinned openapi-typescript (web/typegen), then compares them with the committed files.
Fix a failure with `make api-types` and commit the result.
Run: .venv/bin/python tools/check_api_types.py
"""

from __future__ import annotations

import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

from csm.api.openapi_export import openapi_json

WEB = Path(__file__).resolve().parent.parent / "web"
TYPEGEN = WEB / "typegen"
GENERATOR = TYPEGEN / "node_modules" / ".bin" / "openapi-typescript"


def generate_types(spec: Path, out: Path) -> str:
    if not GENERATOR.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=TYPEGEN, check=True)
    subprocess.run([str(GENERATOR), str(spec), "--output", str(out)], check=True, capture_output=True)
    return out.read_text(encoding="utf-8")


def drift(name: str, committed: Path, fresh: str) -> list[str]:
    current = committed.read_text(encoding="utf-8") if committed.exists() else ""
    if current == fresh:
        return []
    diff = difflib.unified_diff(current.splitlines(), fresh.splitlines(), f"{name} (committed)",
                                f"{name} (from the API)", lineterm="", n=1)
    return list(diff)[:40]


def main() -> int:
    spec_text = openapi_json()
    with tempfile.TemporaryDirectory(prefix="csm-api-types-") as folder:
        spec = Path(folder) / "openapi.json"
        spec.write_text(spec_text, encoding="utf-8")
        types_text = generate_types(spec, Path(folder) / "api-types.ts")
    problems = drift("web/openapi.json", WEB / "openapi.json", spec_text)
    problems += drift("web/src/api-types.ts", WEB / "src" / "api-types.ts", types_text)
    if problems:
        print("\n".join(problems))
        print("The dashboard's API types drifted from the API: run `make api-types` and commit.")
        return 1
    print("web/openapi.json and web/src/api-types.ts match the API")
    return 0


if __name__ == "__main__":
    sys.exit(main())
