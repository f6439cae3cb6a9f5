"""The shipped Mosquitto configuration (deploy/mosquitto/) requires authentication and limits each
gateway to its own sensors; the ingest worker authenticates from its URL (issue 12, item 7).

Runs a PRIVATE mosquitto with that configuration on a free loopback port (never the system one).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from csm.ingest.broker_auth import gateway_block, ingest_block, set_password, write_acl_block
from csm.ingest.mqtt import MqttIngestConsumer, counts_topic
from csm.runtime import Runtime
from tests.conftest import REPO
from tests.test_ingest_http import item
from tests.test_ingest_mqtt import wait_for

SHIPPED = REPO / "deploy" / "mosquitto" / "mosquitto.conf"
pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None, reason="mosquitto is not installed")


@dataclass
class Broker:
    port: int
    accounts: dict[str, str]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def shipped_config(folder: Path, port: int) -> str:
    """The shipped file with only paths and the port changed for a throw-away broker."""
    text = SHIPPED.read_text(encoding="utf-8")
    assert re.search(r"^allow_anonymous false$", text, re.M)
    text = re.sub(r"^password_file .*$", f"password_file {folder}/passwd", text, flags=re.M)
    text = re.sub(r"^acl_file .*$", f"acl_file {folder}/acl", text, flags=re.M)
    text = re.sub(r"^persistence_location .*$", f"persistence_location {folder}/", text, flags=re.M)
    text = re.sub(r"^listener 1883 127\.0\.0\.1$", f"listener {port} 127.0.0.1", text, flags=re.M)
    assert f"listener {port} 127.0.0.1" in text
    return text


@pytest.fixture
def broker() -> Iterator[Broker]:
    # Not under pytest's tmp_path: mosquitto drops root for its own user, who cannot enter that.
    with tempfile.TemporaryDirectory(prefix="csm-test-mqtt-") as tmp:
        yield from _run_broker(Path(tmp))


def _run_broker(folder: Path) -> Iterator[Broker]:
    port = _free_port()
    (folder / "mosquitto.conf").write_text(shipped_config(folder, port), encoding="utf-8")
    passwd, acl = folder / "passwd", folder / "acl"
    accounts = {"csm-ingest": set_password(passwd, "csm-ingest"), "gw-plein": set_password(passwd, "gw-plein")}
    write_acl_block(acl, "csm-ingest", ingest_block("csm-ingest"))
    write_acl_block(acl, "gw-plein", gateway_block("gw-plein", "tiny", ["cam-a"]))
    if os.geteuid() == 0:  # mosquitto drops root for its own user
        for path in (folder, passwd, acl):
            with contextlib.suppress(LookupError):
                shutil.chown(path, "mosquitto")
    process = subprocess.Popen(["mosquitto", "-c", str(folder / "mosquitto.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: _connect_code(port, None, None) is not None, 10), "private mosquitto did not start"
        yield Broker(port, accounts)
    finally:
        process.terminate()
        process.wait(10)


def _connect_code(port: int, user: str | None, password: str | None) -> int | None:
    """The CONNACK reason (0 = accepted), or None when nothing listens yet."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:8]}")
    if user:
        client.username_pw_set(user, password)
    codes: list[int] = []
    client.on_connect = lambda c, u, flags, reason, props: codes.append(reason.value)
    try:
        client.connect("127.0.0.1", port)
    except OSError:
        return None
    client.loop_start()
    wait_for(lambda: bool(codes), 5)
    client.loop_stop()
    client.disconnect()
    return codes[0] if codes else None


def _gateway(broker: Broker, user: str | None) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"gw-{uuid.uuid4().hex[:8]}")
    if user:
        client.username_pw_set(user, broker.accounts[user])
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def test_anonymous_clients_and_wrong_passwords_are_refused(broker: Broker) -> None:
    assert _connect_code(broker.port, None, None) not in (None, 0)
    assert _connect_code(broker.port, "gw-plein", "wrong-password") not in (None, 0)
    assert _connect_code(broker.port, "gw-plein", broker.accounts["gw-plein"]) == 0


def test_the_ingest_worker_stores_only_what_a_gateway_may_publish(tiny_runtime: Runtime, broker: Broker) -> None:
    url = f"mqtt://csm-ingest:{broker.accounts['csm-ingest']}@127.0.0.1:{broker.port}"
    consumer = MqttIngestConsumer(tiny_runtime, url, client_id=f"csm-test-{uuid.uuid4().hex[:8]}",
                                  batch_seconds=0.05, session_expiry=30, shared_group="csm")
    consumer.start()
    try:
        assert consumer.connected.wait(10), "the ingest worker could not log in to the broker"
        gateway = _gateway(broker, "gw-plein")
        try:
            for sensor, minute in (("lc-b", 2), ("est-c", 3), ("cam-a", 4)):  # only cam-a is in its ACL
                payload = item(sensor, minute, occupancy=40) if sensor != "lc-b" else item(sensor, minute, **{"in": 3})
                gateway.publish(counts_topic("tiny", sensor), json.dumps(payload), qos=1).wait_for_publish(5)
        finally:
            gateway.loop_stop()
            gateway.disconnect()
        assert wait_for(lambda: tiny_runtime.store.count_observations("tiny") >= 1)
        time.sleep(0.5)  # time for anything the broker wrongly passed on to arrive
        frame = tiny_runtime.store.observations_frame("tiny", *_day())
        assert set(frame["sensor_id"]) == {"cam-a"}
        assert consumer.totals.accepted == 1
    finally:
        consumer.stop()


def _day() -> tuple[object, object]:
    from datetime import timedelta

    from tests.conftest import NOON

    return NOON - timedelta(days=1), NOON + timedelta(days=1)


def test_the_ingest_account_cannot_publish(tiny_runtime: Runtime, broker: Broker) -> None:
    """A leaked ingest password writes nothing: the account may only read."""
    open_consumer = MqttIngestConsumer(
        tiny_runtime, f"mqtt://csm-ingest:{broker.accounts['csm-ingest']}@127.0.0.1:{broker.port}",
        client_id=f"csm-test-{uuid.uuid4().hex[:8]}", batch_seconds=0.05, session_expiry=30)
    open_consumer.start()
    try:
        assert open_consumer.connected.wait(10)
        ingest_as_publisher = _gateway(broker, "csm-ingest")
        ingest_as_publisher.publish(counts_topic("tiny", "cam-a"), json.dumps(item("cam-a", 5, occupancy=9)),
                                    qos=1).wait_for_publish(5)
        ingest_as_publisher.loop_stop()
        ingest_as_publisher.disconnect()
        time.sleep(1.0)
        assert tiny_runtime.store.count_observations("tiny") == 0
    finally:
        open_consumer.stop()
