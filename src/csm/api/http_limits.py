"""How CSM's HTTP server is configured against hostile clients: header size and proxy trust.

The request head (request line and headers) is limited to CSM_MAX_HEADER_BYTES (default 64 KiB).
CSM runs uvicorn's httptools parser, twice as fast as h11 on the dashboard's poll, but httptools
buffers a header until it is complete and has no limit of its own: a client sending a 200 MB
header would grow the worker's memory by as much. `HeadLimitedHttpToolsProtocol` counts the
bytes of each request head as they arrive and answers 431 and closes the connection as soon as
a head passes the limit, so no more than the limit plus one read (256 KiB) is ever buffered.
Forwarded headers (X-Forwarded-For/-Proto) are believed only from CSM_TRUSTED_PROXIES.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

DEFAULT_MAX_HEADER_BYTES = 64 * 1024
# As an import string: it also goes on uvicorn's command line (`csm serve --workers`).
HTTP_PROTOCOL = "csm.api.http_limits:HeadLimitedHttpToolsProtocol"
REFUSAL = b"request head too large"

log = logging.getLogger(__name__)


def max_header_bytes() -> int:
    return int(os.environ.get("CSM_MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES))


class HeadLimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a limit on each request head.

    Bytes are counted from the end of one request (or the connection's start) until the parser
    reports the head complete; a request's body is not counted (the body limit is the
    middleware's), and the count starts again for the next request on a kept-alive connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_limit = max_header_bytes()
        self._head_bytes = 0
        self._in_head = True
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # An unfinished head over the limit (the parser would buffer it), or a finished one that was.
        if (self._refused or (self._in_head and self._head_bytes > self._head_limit)) \
                and not self.transport.is_closing():
            self._refused = True
            self._refuse_head()

    def on_headers_complete(self) -> None:
        """A head that arrived whole in one read is measured here, from what the parser found."""
        self._in_head = False
        if self._refused or len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers) > self._head_limit:
            self._refused = True  # no request is started; data_received answers 431
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0

    def _refuse_head(self) -> None:
        """431 and close: the head is never completed, so no request reaches the app."""
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        log.warning("refused a request head of more than %d bytes from %s", self._head_limit, client)
        head = [STATUS_LINE[431]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend([b"content-type: text/plain; charset=utf-8\r\n",
                     b"content-length: " + str(len(REFUSAL)).encode("ascii") + b"\r\n",
                     b"connection: close\r\n\r\n", REFUSAL])
        self.transport.write(b"".join(head))
        self.transport.close()


def uvicorn_options() -> dict[str, Any]:
    """Keyword arguments for uvicorn.run / uvicorn.Config used by every CSM server."""
    proxies = os.environ.get("CSM_TRUSTED_PROXIES", "").replace(",", " ").split()
    return {
        "http": HTTP_PROTOCOL,
        "access_log": False,  # CSM writes its own, in batches (csm.api.access_log)
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": ",".join(proxies) if proxies else "",
        "server_header": False,
    }


def uvicorn_cli_flags() -> list[str]:
    """The same options as command-line flags, for `csm serve --workers` (uvicorn in a subprocess)."""
    options = uvicorn_options()
    flags = ["--http", options["http"], "--no-access-log", "--no-server-header"]
    if options["proxy_headers"]:
        flags += ["--proxy-headers", "--forwarded-allow-ips", options["forwarded_allow_ips"]]
    else:
        flags.append("--no-proxy-headers")
    return flags
