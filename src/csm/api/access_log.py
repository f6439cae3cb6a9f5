"""The access log: one line per request and WebSocket, written in batches off the request path.

uvicorn's access log makes a log record per request (record, caller lookup, filters, a formatter
that copies the record, a locked write and flush): a third of a zone-state poll's CPU at 1,000
zones (6,100 against 8,500 requests/s on two workers). CSM keeps the same lines — client, request
line, status, plus the time taken — but a request only appends a short string to a buffer; a
thread writes what gathered every quarter second as one record of the `csm.access` logger
(to standard output unless a logging configuration gives that logger handlers of its own).
Credential-bearing query values are redacted before anything is written (csm.auth.service).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from csm.auth.service import redact_secrets

LOGGER = "csm.access"
FLUSH_SECONDS = 0.25
MAX_WAITING = 100_000  # lines; a log that cannot keep up drops the oldest rather than grow memory

log = logging.getLogger(LOGGER)


class AccessLog:
    """Gathers request lines; a daemon thread hands them to the logger in batches."""

    def __init__(self, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.flush_seconds = flush_seconds
        self._lines: deque[str] = deque(maxlen=MAX_WAITING)  # the bound as it is when the log is made
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def add(self, line: str) -> None:
        self._lines.append(line)
        if self._thread is None:
            self._start()

    def flush(self) -> None:
        """Write every waiting line now (also at shutdown and in tests)."""
        batch = []
        while self._lines:
            try:
                batch.append(self._lines.popleft())
            except IndexError:
                break
        if batch and log.isEnabledFor(logging.INFO):
            log.info("\n".join(batch))

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                _ensure_output()
                self._thread = threading.Thread(target=self._run, name="csm-access-log", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.flush_seconds)
            try:
                self.flush()
            except Exception:  # a broken log stream must not end the log thread
                logging.getLogger(__name__).exception("access log write failed")


def _ensure_output() -> None:
    """Standard output, as uvicorn's access log, unless configuration gave the logger handlers."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)


ACCESS_LOG = AccessLog()


def request_line(scope: Scope, status: int, started: float) -> str:
    client = scope.get("client")
    where = f"{client[0]}:{client[1]}" if client else "-"
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string") or b""
    target = (path + b"?" + query if query else path).decode("latin-1")
    if query:
        target = redact_secrets(target)
    method = scope["method"] if scope["type"] == "http" else "WebSocket"
    took = (time.perf_counter() - started) * 1000
    return f'INFO:     {where} - "{method} {target} HTTP/{scope.get("http_version", "1.1")}" {status} {took:.1f} ms'


class AccessLogMiddleware:
    """Outermost: sees every answer's status, also a 500 made from an exception further in."""

    def __init__(self, app: ASGIApp, access_log: AccessLog = ACCESS_LOG) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def noting_send(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
            elif kind == "websocket.accept":
                status = 101
            elif kind == "websocket.close" and not status:
                status = 403  # closed before it was accepted: refused
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        except BaseException:
            status = status or 500
            raise
        finally:
            self.access_log.add(request_line(scope, status, started))
