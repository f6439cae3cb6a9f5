"""CSM's batched access log (csm.api.access_log): every answer logged once, secrets redacted,
many requests written as few records, and a log that cannot keep up bounded in memory."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from csm.api.access_log import LOGGER, AccessLog, AccessLogMiddleware
from tests.log_capture import LogCapture


@pytest.fixture
def capture() -> Iterator[LogCapture]:
    handler = LogCapture()
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def _app(access_log: AccessLog) -> Starlette:
    async def ok(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def boom(request: Request) -> PlainTextResponse:
        raise RuntimeError("broken route")

    async def stream(websocket: WebSocket) -> None:
        if websocket.query_params.get("let") == "in":
            await websocket.accept()
            await websocket.send_text("hi")
        await websocket.close()

    app = Starlette(routes=[Route("/ok", ok), Route("/boom", boom), WebSocketRoute("/ws", stream)])
    app.add_middleware(AccessLogMiddleware, access_log=access_log)
    return app


def test_each_answer_is_one_line_with_its_status(capture: LogCapture) -> None:
    access_log = AccessLog(flush_seconds=3600)  # flushed by hand below
    with TestClient(_app(access_log), raise_server_exceptions=False) as client:
        assert client.get("/ok?site=a").status_code == 200
        assert client.get("/missing").status_code == 404
        assert client.get("/boom").status_code == 500
        with client.websocket_connect("/ws?let=in") as ws:
            assert ws.receive_text() == "hi"
        with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws") as ws:
            ws.receive_text()
    access_log.flush()
    lines = capture.lines
    assert len(lines) == 5
    assert '"GET /ok?site=a HTTP/1.1" 200' in lines[0] and lines[0].startswith("INFO:     testclient:")
    assert '"GET /missing HTTP/1.1" 404' in lines[1]
    assert '"GET /boom HTTP/1.1" 500' in lines[2]
    assert '"WebSocket /ws?let=in HTTP/1.1" 101' in lines[3]
    assert '"WebSocket /ws HTTP/1.1" 403' in lines[4]
    assert all(line.endswith(" ms") for line in lines)


def test_credentials_in_the_query_are_redacted(capture: LogCapture) -> None:
    access_log = AccessLog(flush_seconds=3600)
    secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA"
    with TestClient(_app(access_log)) as client:
        client.get(f"/ok?token={secret}&site=a")
        client.get(f"/ok?access_token={secret}")
        client.get(f"/ok?ticket={secret}")
    access_log.flush()
    written = "\n".join(capture.lines)
    assert secret not in written and "c2lnbmF0dXJl" not in written
    assert written.count("[redacted]") == 3 and "site=a" in written


def test_a_burst_of_requests_is_written_as_few_records(capture: LogCapture) -> None:
    access_log = AccessLog(flush_seconds=3600)
    with TestClient(_app(access_log)) as client:
        for _ in range(200):
            client.get("/ok")
    access_log.flush()
    assert len(capture.lines) == 200
    assert len(capture.records) == 1


def test_a_log_that_cannot_keep_up_keeps_the_newest_lines_only(monkeypatch: pytest.MonkeyPatch,
                                                                capture: LogCapture) -> None:
    monkeypatch.setattr("csm.api.access_log.MAX_WAITING", 10)
    access_log = AccessLog(flush_seconds=3600)
    for i in range(25):
        access_log.add(f"line {i}")
    access_log.flush()
    assert capture.lines == [f"line {i}" for i in range(15, 25)]


def test_the_log_thread_writes_without_being_asked(capture: LogCapture) -> None:
    import time

    access_log = AccessLog(flush_seconds=0.05)
    access_log.add("written by the thread")
    deadline = time.monotonic() + 5
    while "written by the thread" not in capture.lines and time.monotonic() < deadline:
        time.sleep(0.02)
    assert capture.lines == ["written by the thread"]
