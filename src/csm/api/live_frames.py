"""The live stream's update frames, encoded once per change and view rather than once per client.

A change of the picture reaches every stream client of a worker (hundreds of dashboards) as the
same message object from the bus. What a client is shown depends only on its view (the zones it
may see, whether small counts are suppressed), so the zones are dumped, filtered and encoded as
JSON once per view and the text frame is sent to every client with that view. Everything runs on
the worker's event loop: no lock.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from csm.api.visibility import must_suppress, view_key, view_states
from csm.auth.principal import Principal
from csm.context import Slot
from csm.site.model import Site
from csm.topics import ZonesMessage

# Views alive at once per change: everyone's, plus a few organisers' scopes.
FRAME_ENTRIES = 64


class UpdateFrames:
    def __init__(self, entries: int = FRAME_ENTRIES) -> None:
        self.entries = entries
        self._frames: OrderedDict[tuple[Any, ...], tuple[ZonesMessage, str | None]] = OrderedDict()
        self._dumped: tuple[ZonesMessage, list[dict[str, Any]]] | None = None

    def frame(self, message: ZonesMessage, principal: Principal, site: Site) -> str | None:
        """The `update` frame this caller gets for `message`, or None when no zone of it is visible."""
        key = (id(message), view_key(principal, site), must_suppress(principal))
        found = self._frames.get(key)
        if found is not None and found[0] is message:  # the id alone could be a newer object's
            return found[1]
        shown = view_states(principal, site, self._zones(message))
        text = None
        if shown:
            text = json.dumps({"type": "update", "site": message.site, "as_of": message.as_of.isoformat(),
                               "zones": shown}, separators=(",", ":"), ensure_ascii=False)
        self._frames[key] = (message, text)
        while len(self._frames) > self.entries:
            self._frames.popitem(last=False)
        return text

    def _zones(self, message: ZonesMessage) -> list[dict[str, Any]]:
        if self._dumped is None or self._dumped[0] is not message:
            self._dumped = (message, [z.model_dump(mode="json", exclude_unset=True) for z in message.zones])
        return self._dumped[1]


# Per process: each worker's stream clients share its frames.
UPDATE_FRAMES = Slot("api.update_frames", UpdateFrames)
