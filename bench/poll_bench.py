"""CPU of CSM's own code per zone-state poll, without sockets or a server.

The ASGI app (`create_app`, every layer a poll passes: access log, fast path, guard, answer) is
called directly, in one process, for a site of 1,000 zones on an embedded store, next to a bare
ASGI app that sends the same bytes through the same calling loop. The difference is what CSM's
code costs a poll; the rest of a poll's CPU under load (`limits_bench.py api`) is uvicorn and the
kernel, the same for both. Then its largest parts alone: the answer, the guard's decision
remembered from the poll before, and the whole guard that a first poll runs.
Each figure is the median of five blocks of requests.

    python bench/poll_bench.py [--requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import SECRET
from _sites import make_site

PATH = "/api/v1/sites/bench/zones/state"
BLOCKS = 5
Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _scope(app: Any, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": PATH, "raw_path": PATH.encode(), "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000), "state": {}, "app": app}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _per_call(app: Asgi, owner: Any, headers: list[tuple[bytes, bytes]], n: int) -> tuple[float, int]:
    """µs per request through `app`, and the status of the last answer."""
    status = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    def poll() -> Awaitable[None]:
        return app(_scope(owner, headers), _receive, send)

    for _ in range(min(n, 500)):  # warm: the answer is encoded once, caches filled
        await poll()
    return await _timed(poll, n), status


async def _timed(action: Callable[[], Awaitable[object]], n: int) -> float:
    """µs per `action`: the median of BLOCKS blocks (the runtime's own start-up jobs share the
    interpreter for a while)."""
    blocks = []
    for _ in range(BLOCKS):
        started = time.perf_counter()
        for _ in range(n // BLOCKS):
            await action()
        blocks.append((time.perf_counter() - started) / (n // BLOCKS) * 1e6)
    return statistics.median(blocks)


async def measure(n: int) -> None:
    from starlette.requests import Request

    from csm.api.app import create_app
    from csm.api.deps import authorize
    from csm.api.heap import settle_heap
    from csm.api.visibility import principal_of
    from csm.api.zone_state_answer import zone_state_answer
    from csm.api.zone_state_fast import _ROUTE
    from csm.auth.roles import Role
    from csm.auth.sessions import SessionBook
    from csm.auth.users import UserDirectory
    from csm.runtime import build_runtime

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        runtime = build_runtime([make_site(tmp / "site", zones=1000, sensors_per_zone=1)], f"duckdb:{tmp}/csm.duckdb")
        try:
            user = UserDirectory(runtime.store).add("bench", Role.ADMINISTRATOR, ["*"], "correct-horse-battery")
            token = SessionBook(runtime.store).open(user)
            app = create_app(runtime, web_dist=None)
            logging.getLogger("csm.access").setLevel(logging.WARNING)  # its lines are not the figures
            headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {token}".encode()),
                       (b"user-agent", b"poll-bench")]
            async with app.router.lifespan_context(app):
                settle_heap()  # as a server process does after start-up (csm.api.heap)
                csm_us, status = await _per_call(app, app, headers, n)
                if status != 200:
                    raise RuntimeError(f"the poll answered {status}")
                sr = runtime.sites["bench"]

                def routed() -> Request:  # the request as the fast path hands it to the guard
                    return Request({**_scope(app, headers), "route": _ROUTE, "path_params": {"site_id": "bench"}})

                request = routed()
                await authorize(request)
                principal = principal_of(request)
                answer = await zone_state_answer(runtime, sr, principal, None, None)
                bare_body, bare_headers = answer.body, [(b"content-type", b"application/json")]

                async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
                    await send({"type": "http.response.start", "status": 200, "headers": bare_headers})
                    await send({"type": "http.response.body", "body": bare_body})

                bare_us, _ = await _per_call(bare, app, headers, n)
                guard_us = await _timed(lambda: authorize(routed()), n)
                auth = app.state.auth

                async def remembered() -> None:  # what a repeated poll runs instead of the guard
                    if auth.remembered(f"Bearer {token}", None, "GET", _ROUTE.path, "bench", PATH) is None:
                        raise RuntimeError("the guard's decision was not remembered")

                remembered_us = await _timed(remembered, n)
                answer_us = await _timed(lambda: zone_state_answer(runtime, sr, principal, None, None), n)
        finally:
            runtime.close()
    print(f"zone-state poll in process, 1,000 zones ({len(bare_body):,} bytes), {n:,} requests each:")
    print(f"  CSM app {csm_us:.1f} µs per poll; bare ASGI app through the same loop {bare_us:.1f} µs; "
          f"CSM's own code {csm_us - bare_us:.1f} µs")
    print(f"  of which the answer (cache, ETag, encoding choice) {answer_us:.1f} µs and the guard's decision "
          f"remembered from an earlier poll {remembered_us:.1f} µs")
    print(f"  (a first poll, or one after an account change or with an audit entry due, runs the whole guard: "
          f"identify, policy, audit {guard_us:.1f} µs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.setdefault("CSM_SECRET_KEY", SECRET)
    asyncio.run(measure(args.requests))


if __name__ == "__main__":
    main()
