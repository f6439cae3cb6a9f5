"""How CSM's HTTP server is configured against hostile clients: header size and proxy trust.

The request head (request line and headers) is limited to CSM_MAX_HEADER_BYTES (default 64 KiB)
by uvicorn's h11 parser, which refuses a longer head and closes the connection before it grows
memory; the faster httptools parser has no such limit, so CSM always runs h11.
Forwarded headers (X-Forwarded-For/-Proto) are believed only from CSM_TRUSTED_PROXIES.
"""

from __future__ import annotations

import os
from typing import Any

DEFAULT_MAX_HEADER_BYTES = 64 * 1024


def max_header_bytes() -> int:
    return int(os.environ.get("CSM_MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES))


def uvicorn_options() -> dict[str, Any]:
    """Keyword arguments for uvicorn.run / uvicorn.Config used by every CSM server."""
    proxies = os.environ.get("CSM_TRUSTED_PROXIES", "").replace(",", " ").split()
    return {
        "http": "h11",
        "h11_max_incomplete_event_size": max_header_bytes(),
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": ",".join(proxies) if proxies else "",
        "server_header": False,
    }
