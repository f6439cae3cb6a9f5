"""The request-head limit CSM adds to uvicorn's httptools parser (csm.api.http_limits).

Over a real socket against a live server: a head over the limit is refused with 431 however it
is built (one long header, many small ones, a long URL, dripped slowly), while keep-alive and
pipelined requests whose heads add up to more than the limit, and bodies larger than it, pass.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from csm.api.app import create_app
from csm.api.http_limits import HTTP_PROTOCOL, uvicorn_cli_flags
from csm.api.live_server import serve_in_thread
from csm.runtime import Runtime

LIMIT = 16 * 1024


@pytest.fixture
def port(two_sites: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("CSM_MAX_HEADER_BYTES", str(LIMIT))
    with serve_in_thread(create_app(two_sites, web_dist=None)) as base:
        yield int(base.rsplit(":", 1)[1])


def _exchange(port: int, data: bytes, chunk: int = 0) -> bytes:
    """Send `data` (in pieces of `chunk` bytes if set), then read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        try:
            if chunk:
                for start in range(0, len(data), chunk):
                    conn.sendall(data[start:start + chunk])
            else:
                conn.sendall(data)
        except OSError:  # the server may close while we still send: what it answered is what counts
            pass
        received = b""
        try:
            while part := conn.recv(65536):
                received += part
        except OSError:
            pass
    return received


def _statuses(answer: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)]  # bodies end without a newline


@pytest.mark.parametrize("head", [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (LIMIT + 1) + b"\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-N%d: v\r\n" % i for i in range(LIMIT // 8)) + b"\r\n",
    b"GET /healthz?" + b"q" * (LIMIT + 1) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
], ids=["one long header", "many small headers", "long URL"])
def test_a_head_over_the_limit_is_refused_with_431(port: int, head: bytes) -> None:
    answer = _exchange(port, head)
    assert _statuses(answer) == [431]
    assert answer.endswith(b"request head too large")


def test_a_head_dripped_in_small_pieces_is_refused_once_it_passes_the_limit(port: int) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"b" * (4 * LIMIT) + b"\r\n\r\n"
    assert _statuses(_exchange(port, head, chunk=512)) == [431]


def test_heads_on_a_kept_alive_connection_are_counted_one_by_one(port: int) -> None:
    one = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"c" * (LIMIT // 2) + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        for _ in range(6):  # 3× the limit in all, each head half of it
            conn.sendall(one)
            answer = conn.recv(65536)
            assert _statuses(answer) == [200]


def test_pipelined_requests_and_a_body_larger_than_the_limit_pass(port: int) -> None:
    body = b"{" + b" " * (4 * LIMIT) + b"}"
    post = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body
    last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    statuses = _statuses(_exchange(port, post + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + last))
    assert len(statuses) == 3
    assert 431 not in statuses and statuses[1:] == [200, 200]
    assert statuses[0] < 500  # the login refuses the empty object: a client error, not a head refusal


def test_the_workers_command_line_names_the_limited_parser() -> None:
    flags = uvicorn_cli_flags()
    assert flags[flags.index("--http") + 1] == HTTP_PROTOCOL
