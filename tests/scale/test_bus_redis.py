"""RedisBus against the real Redis on loopback: fan-out between two processes' buses, local topics,
recovery after the server drops the subscription, bounded memory while Redis is away."""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime

import pytest
import redis

from csm.bus_redis import RedisBus, split_bus_url
from csm.topics import BusMessage, ObservationsMessage, Resync, SourcesMessage, ZonesMessage

pytestmark = pytest.mark.services


NOON = datetime(2026, 7, 18, 12, tzinfo=UTC)


async def next_message(queue: asyncio.Queue[BusMessage], timeout: float = 5.0) -> BusMessage:
    return await asyncio.wait_for(queue.get(), timeout)


async def wait_subscribed(bus: RedisBus) -> None:
    for _ in range(100):
        if bus.connected.is_set():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the bus never subscribed")


def test_bus_url_namespace() -> None:
    assert split_bus_url("redis://127.0.0.1:6379/0?namespace=city") == ("redis://127.0.0.1:6379/0", "city")
    assert split_bus_url("redis://127.0.0.1:6379/2") == ("redis://127.0.0.1:6379/2", "csm")
    with pytest.raises(ValueError):
        split_bus_url("amqp://127.0.0.1")


async def test_message_published_by_one_worker_reaches_subscribers_of_every_worker(bus_url: str) -> None:
    first, second = RedisBus(bus_url), RedisBus(bus_url)
    try:
        async with first.subscribe("observations") as q1, second.subscribe("observations") as q2:
            await wait_subscribed(first)
            await wait_subscribed(second)
            await asyncio.sleep(0.1)  # the SUBSCRIBE has reached the server
            sent = ObservationsMessage(site="tiny", sensors=["cam-a"])
            first.publish("observations", sent)
            assert await next_message(q1) == sent
            assert await next_message(q2) == sent
            # "zones" is computed by each worker for its own clients: it never crosses processes.
            async with second.subscribe("zones") as zones:
                first.publish("zones", ZonesMessage(site="elsewhere", as_of=NOON, zones=[]))
                second.publish("zones", ZonesMessage(site="tiny", as_of=NOON, zones=[]))
                received = await next_message(zones)
                assert isinstance(received, ZonesMessage) and received.site == "tiny"
                await asyncio.sleep(0.2)
                assert zones.empty()
    finally:
        first.close()
        second.close()


async def test_subscription_recovers_after_redis_drops_it(bus_url: str) -> None:
    url, _ = split_bus_url(bus_url)
    bus, publisher = RedisBus(bus_url, max_backoff=0.5), RedisBus(bus_url, max_backoff=0.5)
    admin = redis.Redis.from_url(url)
    try:
        async with bus.subscribe("sources") as queue:
            await wait_subscribed(bus)
            # Drop our subscription connection, as a Redis restart would (other clients untouched).
            killed = 0
            for client in admin.client_list(_type="pubsub"):
                if client.get("name") == bus.client_name:
                    killed += admin.client_kill_filter(_id=client["id"])
            assert killed >= 1
            assert await next_message(queue, timeout=8) == Resync()
            assert bus.reconnects >= 1
            await asyncio.sleep(0.1)
            publisher.publish("sources", SourcesMessage(site="tiny", source="weather", stored=3))
            assert await next_message(queue) == SourcesMessage(site="tiny", source="weather", stored=3)
    finally:
        admin.close()
        bus.close()
        publisher.close()


def test_outbox_is_bounded_while_redis_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the socket is closed
    bus = RedisBus(f"redis://127.0.0.1:{port}/0", outbox_limit=50, max_backoff=0.2)
    try:
        for n in range(500):
            bus.publish("observations", ObservationsMessage(site="tiny", sensors=[f"cam-{n}"]))
        for _ in range(100):
            if bus.dropped >= 449:
                break
            asyncio.run(asyncio.sleep(0.02))
        assert bus.dropped >= 449  # the newest 50 (and one being retried) are kept, the rest dropped
    finally:
        bus.close()


async def test_a_malformed_message_is_refused_with_a_reason_and_the_subscriber_goes_on(
    bus_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever else writes to the channel (another version, a person with redis-cli), the
    subscriber receives only typed messages; the refusals are logged without their content."""
    url, namespace = split_bus_url(bus_url)
    bus, publisher = RedisBus(bus_url), RedisBus(bus_url)
    raw = redis.Redis.from_url(url)
    channel = f"{namespace}:bus:observations"
    try:
        async with bus.subscribe("observations") as queue:
            await wait_subscribed(bus)
            await asyncio.sleep(0.1)
            with caplog.at_level(logging.WARNING, logger="csm.topics"):
                raw.publish(channel, b"\xff not json")
                raw.publish(channel, '{"site": "tiny", "sensors": "cam-a"}')
                raw.publish(channel, '{"site": "tiny", "sensors": ["cam-a"], "secret": "jan@example.nl"}')
                raw.publish(channel, '["a list"]')
                good = ObservationsMessage(site="tiny", sensors=["cam-b"])
                publisher.publish("observations", good)
                assert await next_message(queue) == good  # the four before it never arrived
            assert queue.empty()
            assert caplog.text.count("bus message on observations refused") == 4
            assert "sensors: list_type" in caplog.text and "secret: extra_forbidden" in caplog.text
            assert "jan@example.nl" not in caplog.text
    finally:
        raw.close()
        bus.close()
        publisher.close()
