"""Give an API worker's event loop the interpreter back quickly while a worker thread computes.

The event loop serves the polls; the picture tick (about 20 ms of pure Python at 1,000 zones) and
the encoding of a new answer run in worker threads, every two seconds. CPython lets a waiting
thread take the GIL only after the holder has run for the switch interval (5 ms by default), and
the loop thread gives it up at every wait for the network: with a computing thread beside it, the
loop then waits up to 5 ms to run again, each time (the "convoy effect"), and every poll in flight
during a tick waited with it — the long tail of the 200-connection benchmark. A shorter interval
costs the computing thread a few more switches; the loop stays responsive.

An MQTT consumer inside the serving process (`csm serve --mqtt`, the laptop setup) shares the
interval, and its two threads pay for it (about a fifth more CPU per message in one A/B run);
`csm ingest-worker`, the consumer of a deployment past one machine, keeps the default.
"""

from __future__ import annotations

import sys

# Measured with `python bench/limits_bench.py api` (docs/benchmarks.md): at 0.5 ms the zone
# state's p99 at 200 connections fell by a quarter, and throughput rose with it.
SWITCH_INTERVAL_SECONDS = 0.0005


def keep_loop_responsive() -> float:
    """Shorten the interpreter's thread switch interval (a serving process); returns the old one."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    return previous
