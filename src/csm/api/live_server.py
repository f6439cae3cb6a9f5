"""Run the ASGI app on a loopback port in a background thread: for browser tests and benchmarks
that need a real HTTP/WebSocket server next to the code driving them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve_in_thread(app: FastAPI, host: str = "127.0.0.1", startup_timeout: float = 30.0) -> Iterator[str]:
    """Yields the base URL once the server accepts requests (lifespan started); stops it after."""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("serve_in_thread is for loopback addresses only")
    from csm.api.http_limits import uvicorn_options

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=free_port(host), log_level="warning",
                                           lifespan="on", **uvicorn_options()))
    thread = threading.Thread(target=server.run, name="csm-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
