"""The limit the zone-state route is measured against: a bare ASGI app that answers every GET with
the same bytes CSM sends (read once from CSM_BARE_BODY), no routing, no auth, no middleware.
With CSM_BARE_ENCODING=gzip the file holds the compressed body and is sent as such (Content-Encoding),
the form CSM sends a client that accepts gzip — every browser, so every dashboard.

    python -m uvicorn _bare:app --app-dir bench --workers 2 --http h11
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BODY = Path(os.environ["CSM_BARE_BODY"]).read_bytes() if os.environ.get("CSM_BARE_BODY") else b"{}"
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
if os.environ.get("CSM_BARE_ENCODING"):
    HEADERS.append((b"content-encoding", os.environ["CSM_BARE_ENCODING"].encode()))


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
