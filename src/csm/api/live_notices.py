"""What the live stream tells a caller when alerts, advice or sources change on the bus: a short
notice ("alerts changed"), never the content. The dashboard rereads the REST answer, where scope,
roles and k-anonymity are applied in one place; the notice itself names only what the caller may
see (an alert of a zone in its scope, alerts and advice only to roles that view alerts).

Every API worker subscribes, so a worker that does not run the jobs still tells its clients at
once (through the Redis bus) instead of at their next poll."""

from __future__ import annotations

from typing import Any

from csm.auth.principal import Principal
from csm.auth.roles import Permission
from csm.topics import (
    ADVICE_TOPIC,
    ALERTS_TOPIC,
    SOURCES_TOPIC,
    AdviceMessage,
    AlertMessage,
    BusMessage,
    Resync,
    SourcesMessage,
)

NOTICE_TOPICS = (ALERTS_TOPIC, ADVICE_TOPIC, SOURCES_TOPIC)


def notice_topics(principal: Principal) -> tuple[str, ...]:
    """The topics this caller hears about (sources: everyone who sees the picture)."""
    if principal.can(Permission.VIEW_ALERTS):
        return NOTICE_TOPICS
    return (SOURCES_TOPIC,)


def notice_for(topic: str, message: BusMessage, site_id: str, visible_zones: set[str]) -> dict[str, Any] | None:
    """The stream's notice for one bus message, or None when it is not this caller's business."""
    if isinstance(message, Resync):  # the bus reconnected: something may have been missed
        return {"type": "changed", "topic": topic}
    if isinstance(message, AlertMessage):
        if message.site != site_id or message.alert.zone_id not in visible_zones:
            return None
        return {"type": "changed", "topic": ALERTS_TOPIC, "event": message.event, "alert_id": message.alert.id,
                "zone_id": message.alert.zone_id}
    if isinstance(message, AdviceMessage):
        if message.site != site_id:
            return None
        return {"type": "changed", "topic": ADVICE_TOPIC, "as_of": message.as_of.isoformat()}
    if isinstance(message, SourcesMessage):
        if message.site != site_id:
            return None
        return {"type": "changed", "topic": SOURCES_TOPIC, "source": message.source}
    return None
