"""Signed webhooks against a real HTTP receiver on loopback: signature, retry, refusal, filters."""

from __future__ import annotations

import threading
import time as wall
from collections.abc import Iterator
from datetime import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from csm.advice.playbook import NotificationsSchema, QuietHoursSchema, WebhookSchema
from csm.advice.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, deliver, notify, verify
from csm.domain.alerts import Alert
from csm.domain.model import Level

SECRET = "s3cret-for-tests"


class Receiver(BaseHTTPRequestHandler):
    """Answers with the next scripted status; records what it received."""

    script: ClassVar[list[int]] = []
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        status = Receiver.script.pop(0) if Receiver.script else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.script, Receiver.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


async def test_signed_delivery_retried_after_server_errors(receiver: str) -> None:
    Receiver.script = [500, 503, 200]
    result = await deliver(receiver, {"alert": {"id": "a1"}}, SECRET, "a1:raised", base_delay=0.01)
    assert (result.ok, result.attempts, result.status_code) == (True, 3, 200)
    assert len(Receiver.received) == 3
    for headers, body in Receiver.received:
        assert verify(SECRET, headers[SIGNATURE_HEADER], body, wall.time())  # each attempt signed
        assert headers[DELIVERY_HEADER] == "a1:raised"  # one id: the receiver can de-duplicate
    headers, body = Receiver.received[-1]
    assert not verify("another-secret", headers[SIGNATURE_HEADER], body, wall.time())
    assert not verify(SECRET, headers[SIGNATURE_HEADER], body + b" ", wall.time())  # tampered body
    assert not verify(SECRET, headers[SIGNATURE_HEADER], body, wall.time() + 3600)  # replayed later


async def test_a_refusal_is_final_and_an_absent_receiver_is_retried(receiver: str) -> None:
    Receiver.script = [400]
    refused = await deliver(receiver, {"x": 1}, SECRET, "d", base_delay=0.01)
    assert (refused.ok, refused.attempts, refused.status_code) == (False, 1, 400)
    gone = await deliver("http://127.0.0.1:9/hook", {"x": 1}, SECRET, "d", max_attempts=3, base_delay=0.01)
    assert (gone.ok, gone.attempts, gone.status_code) == (False, 3, None)
    assert gone.error and "Connect" in gone.error


async def test_notify_filters_levels_and_quiet_hours(receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSM_WEBHOOK_SECRET_OPS", SECRET)
    settings = NotificationsSchema(
        webhooks=[WebhookSchema(url=receiver, secret_env="CSM_WEBHOOK_SECRET_OPS", levels=["orange", "red"])],
        quiet_hours=QuietHoursSchema(start=time(23), end=time(7), min_level="red"),
    )
    at = "2026-07-18T12:00:00+00:00"
    alert = Alert.model_validate({
        "id": "a2", "zone_id": "zuid", "level": Level.ORANGE.value, "kind": "level_change", "status": "raised",
        "raised_at": at, "message": "Zuid is orange", "expected_at": None, "probability": None,
        "acknowledged_by": None, "acknowledged_at": None, "measures_taken": [], "resolved_at": None,
        "resolved_by": None, "updated_at": at, "history": []})
    assert len(await notify("site", "raised", alert, time(14), settings, base_delay=0.01)) == 1
    assert await notify("site", "raised", alert, time(2), settings, base_delay=0.01) == []  # quiet hours
    red = alert.model_copy(update={"level": Level.RED.value})
    assert len(await notify("site", "raised", red, time(2), settings, base_delay=0.01)) == 1  # red goes out
    yellow = alert.model_copy(update={"level": Level.YELLOW.value})
    assert await notify("site", "raised", yellow, time(14), settings, base_delay=0.01) == []  # not wanted
    assert len(Receiver.received) == 2
    monkeypatch.delenv("CSM_WEBHOOK_SECRET_OPS")
    assert await notify("site", "raised", red, time(14), settings, base_delay=0.01) == []  # no secret: not sent
