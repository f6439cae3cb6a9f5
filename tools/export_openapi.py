"""Write the API's OpenAPI document (default web/openapi.json), no server needed.

web/src/api-types.ts is generated from it (`make api-types`); `make lint` fails when either drifts.
Run: .venv/bin/python tools/export_openapi.py [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

from csm.api.openapi_export import openapi_json

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "web" / "openapi.json"


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    out.write_text(openapi_json(), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
