"""Rate limits counted in Redis: several API workers refuse a brute-force login after the same five
failures, whichever worker each guess reached; nothing personal is written to Redis; and a worker
whose Redis is gone keeps limiting on its own instead of failing or waiting on every request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from csm.api.app import create_app
from csm.auth.ratelimit import RateLimits, SharedSlidingWindow, limits_client
from csm.auth.roles import Role
from csm.auth.users import UserDirectory
from csm.bus_redis import split_bus_url
from csm.clock import FixedClock
from csm.runtime import Runtime, build_runtime
from tests.conftest import NOON
from tests.scale.servers import running_server

pytestmark = pytest.mark.services


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


def windows(client: redis.Redis, limit: int, window: float, namespace: str) -> list[SharedSlidingWindow]:
    """Two workers' views of one limit."""
    return [SharedSlidingWindow(client, "test", limit, window, namespace) for _ in range(2)]


def test_failures_on_either_worker_count_toward_one_limit(client: redis.Redis) -> None:
    first, second = windows(client, 5, 300, f"test-{uuid.uuid4().hex[:10]}")
    key = "alice|192.0.2.7"
    for window in (first, second, first, second):
        window.hit(key)
    assert first.retry_after(key) == 0 and second.retry_after(key) == 0  # four of five
    second.hit(key)
    assert 299 < first.retry_after(key) <= 300 and 299 < second.retry_after(key) <= 300
    assert first.retry_after("bob|192.0.2.7") == 0  # another name is counted apart
    first.reset(key)  # a successful login on one worker clears it for all
    assert second.retry_after(key) == 0


def test_allow_admits_exactly_the_limit_across_workers_and_the_window_moves_on(client: redis.Redis) -> None:
    first, second = windows(client, 3, 0.3, f"test-{uuid.uuid4().hex[:10]}")
    answers = [window.allow("sensor-gateway") for window in (first, second, first, second)]
    assert answers == [True, True, True, False]
    time.sleep(0.35)
    assert second.allow("sensor-gateway")


def test_no_name_or_address_reaches_redis(client: redis.Redis) -> None:
    namespace = f"test-{uuid.uuid4().hex[:10]}"
    first, _ = windows(client, 5, 300, namespace)
    first.hit("alice.jansen@example.org|198.51.100.23")
    keys = [k.decode() for k in client.scan_iter(f"{namespace}:*")]
    assert len(keys) == 1 and keys[0].startswith(f"{namespace}:ratelimit:test:")
    stored = " ".join(keys + [m.decode() for m in client.zrange(keys[0], 0, -1)])
    assert "alice" not in stored and "198.51.100.23" not in stored and "example.org" not in stored
    assert 299 < client.pttl(keys[0]) / 1000 <= 300  # and it expires with the window


def test_a_worker_whose_redis_is_gone_limits_on_its_own_without_waiting(caplog: pytest.LogCaptureFixture) -> None:
    window = SharedSlidingWindow(limits_client("redis://127.0.0.1:1/0"), "test", 2, 300)  # nobody listens
    started = time.monotonic()
    answers = [window.allow("gateway") for _ in range(3)]
    window.hit("alice|192.0.2.7")
    assert answers == [True, True, False]  # the worker's own counters
    assert window.retry_after("gateway") > 0
    window.reset("alice|192.0.2.7")  # a successful login meanwhile
    assert time.monotonic() - started < 1.0  # one failed attempt, then no waiting for a while
    assert sum("Redis unreachable" in r.getMessage() for r in caplog.records) == 1


def test_two_workers_refuse_the_sixth_guess_wherever_the_guesses_went(
        two_workers_on_redis: list[Runtime], bus_url: str) -> None:
    first, second = two_workers_on_redis
    UserDirectory(first.store).add("mila", Role.POLICE, ["tiny"], "correct-horse-battery-staple")
    assert isinstance(create_app(first, web_dist=None).state.auth.ingest_requests, SharedSlidingWindow)
    with running_server(create_app(first, web_dist=None)) as a, running_server(create_app(second, web_dist=None)) as b:
        workers = [httpx.Client(base_url=f"http://{address}", timeout=30) for address in (a, b)]
        guess = {"username": "mila", "password": "wrong-guess"}
        answers = [workers[i % 2].post("/api/v1/auth/login", json=guess).status_code for i in range(5)]
        assert answers == [401] * 5  # three on one worker, two on the other
        for worker in workers:  # each worker alone saw at most three: in-process counters would let these by
            refused = worker.post("/api/v1/auth/login", json=guess)
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        right = {"username": "mila", "password": "correct-horse-battery-staple"}
        assert workers[1].post("/api/v1/auth/login", json=right).status_code == 429  # locked for this name here
    _, namespace = split_bus_url(bus_url)
    with redis.Redis.from_url(split_bus_url(bus_url)[0]) as connection:
        assert any(k.startswith(f"{namespace}:ratelimit:".encode()) for k in connection.scan_iter(f"{namespace}:*"))


def test_without_a_redis_bus_the_limits_stay_in_the_process(tmp_path: Path, tiny_site_dir: Path) -> None:
    runtime = build_runtime([tiny_site_dir], f"duckdb:{tmp_path / 'one.duckdb'}", clock=FixedClock(NOON))
    try:
        limits = create_app(runtime, web_dist=None).state.auth
        assert not isinstance(limits.login_failures, SharedSlidingWindow)
        assert isinstance(RateLimits.in_process().login_failures, type(limits.login_failures))
    finally:
        runtime.close()
