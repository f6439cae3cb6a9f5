"""Encoded zone-state answers, reused until the picture changes.

A dashboard polls the zone state of a site; with 1,000 zones each answer is a large JSON document
that used to be filtered and encoded again for every request. The picture only changes when it is
refreshed (a new version), and what a caller sees depends only on the zones they may see and
whether small counts are suppressed for them, so one encoding serves everyone with the same view.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from csm.api.visibility import must_suppress, view_states, visible_zone_ids
from csm.auth.principal import Principal
from csm.context import SiteRuntime, Slot

CACHE_ENTRIES = 64


class StateAnswerCache:
    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._answers: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def answer(self, site_runtime: SiteRuntime, principal: Principal) -> bytes:
        version, as_of, zones = site_runtime.picture.versioned_snapshot()
        site = site_runtime.site
        key = (site.id, version, tuple(sorted(visible_zone_ids(principal, site))), must_suppress(principal))
        with self._lock:
            cached = self._answers.get(key)
            if cached is not None:
                self._answers.move_to_end(key)
                return cached
        document = {
            "site": site.id,
            "as_of": as_of.isoformat() if as_of else None,
            "zones": view_states(principal, site, zones),
        }
        encoded = json.dumps(document, separators=(",", ":")).encode("utf-8")
        with self._lock:
            self._answers[key] = encoded
            while len(self._answers) > self.entries:
                self._answers.popitem(last=False)
        return encoded


# Per process: each worker encodes its own picture's versions.
STATE_ANSWERS = Slot("api.state_answers", StateAnswerCache)
