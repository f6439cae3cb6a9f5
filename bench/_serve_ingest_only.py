"""`csm serve` for one site with the picture loop and the background jobs idle: only for
`limits_bench.py ingest --without-loops`, to show what the ingest path costs on its own next to
what the loops that share its process cost (issue 17). Not a way to run CSM.

    python bench/_serve_ingest_only.py SITE_DIR STORE_URL PORT
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from csm.api.app import create_app
from csm.api.http_limits import uvicorn_options
from csm.runtime import build_runtime


async def _idle(stop: asyncio.Event, tick_seconds: float = 2.0) -> None:
    await stop.wait()


def main() -> None:
    site, store, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    runtime = build_runtime([site], store)
    runtime.jobs.clear()
    for site_runtime in runtime.sites.values():
        site_runtime.picture.run = _idle  # type: ignore[method-assign]
    try:
        uvicorn.run(create_app(runtime), host="127.0.0.1", port=port, log_level="warning", **uvicorn_options())
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
