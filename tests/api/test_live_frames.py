"""Stream updates are encoded once per change and view: every client with the same view gets the
very same frame, and each view shows what the REST answer shows it (scope, suppressed counts)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from csm.api.live_frames import UpdateFrames
from csm.auth.principal import Principal
from csm.auth.roles import Role
from csm.domain.zone_view import ZoneStateModel
from csm.runtime import Runtime
from csm.topics import ZonesMessage


def _message(runtime: Runtime) -> ZonesMessage:
    picture = runtime.sites["tiny"].picture
    picture.refresh()
    as_of, zones = picture.snapshot()
    changed = [ZoneStateModel.model_validate({**z, "occupancy": 2.0 if z["zone_id"] == "pier" else 40.0})
               for z in zones]
    return ZonesMessage(site="tiny", as_of=as_of or datetime.now(UTC), zones=changed)


def test_one_frame_per_view_with_scope_and_suppression(tiny_runtime: Runtime) -> None:
    site = tiny_runtime.sites["tiny"].site
    message = _message(tiny_runtime)
    frames = UpdateFrames()
    chief = Principal("chief", Role.MUNICIPALITY, frozenset({"tiny"}))
    deputy = Principal("deputy", Role.POLICE, frozenset({"*"}))
    viewer = Principal("viewer", Role.VIEWER, frozenset({"tiny"}))
    organiser = Principal("organiser", Role.EVENT_ORGANISER, frozenset({"tiny"}), zones={"tiny": frozenset({"pier"})})
    outsider = Principal("outsider", Role.MUNICIPALITY, frozenset({"elsewhere"}))

    full = frames.frame(message, chief, site)
    assert full is not None and frames.frame(message, deputy, site) is full  # same view: the same text
    document = json.loads(full)
    assert document["type"] == "update" and document["site"] == "tiny"
    assert {z["zone_id"]: z["occupancy"] for z in document["zones"]} == {"plein": 40.0, "pier": 2.0, "strand": 40.0}

    shown = {z["zone_id"]: z for z in json.loads(frames.frame(message, viewer, site) or "{}")["zones"]}
    assert shown["pier"]["occupancy"] is None and shown["pier"]["suppressed"] is True  # below k for a viewer
    assert shown["plein"]["occupancy"] == 40.0
    scoped = json.loads(frames.frame(message, organiser, site) or "{}")["zones"]
    assert [z["zone_id"] for z in scoped] == ["pier"]
    assert frames.frame(message, outsider, site) is None

    newer = _message(tiny_runtime)
    assert frames.frame(newer, chief, site) is not full  # a new change: a new frame
