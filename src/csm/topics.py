"""The live-update bus topics: their names and the typed message each one carries, in one low
module so that a publisher and its subscribers agree without importing each other
(ingest → picture → advice → API).

Publishers hand the bus a message model; subscribers receive one. Between processes a message
travels as JSON (`encode`) and is read back by `decode`, which refuses a malformed or unexpected
message with a logged reason instead of handing it on (a subscriber never sees an untyped dict).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from csm.domain.advice import AdviceItem
from csm.domain.alerts import Alert
from csm.domain.zone_view import ZoneStateModel

log = logging.getLogger(__name__)

OBSERVATIONS_TOPIC = "observations"  # new observations of a site were stored
ZONES_TOPIC = "zones"  # a site's live picture changed
ALERTS_TOPIC = "alerts"  # an alert was raised, updated, acknowledged or resolved
ADVICE_TOPIC = "advice"  # the ranked advice of a site changed
SOURCES_TOPIC = "sources"  # a source was polled: new values, or a changed status
FEED_TOPIC = "sensor-feed"  # demo: simulated sensor messages on the in-process bus

# A message larger than this is refused on arrival (a bus message is a notification, not a dump).
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class BusMessage(BaseModel):
    """Every bus message is frozen (one object may reach several subscribers) and refuses unknown
    keys (a publisher of a different version is noticed, not half-read)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ObservationsMessage(BusMessage):
    """New observations of these sensors were stored: recompute the picture."""

    site: str
    sensors: list[str]


class ZonesMessage(BusMessage):
    """The zones whose visible state changed."""

    site: str
    as_of: datetime
    zones: list[ZoneStateModel]


class AlertMessage(BusMessage):
    """One step of an alert's lifecycle (raised, updated, acknowledged, measure_taken, resolved)."""

    site: str
    event: str
    alert: Alert


class AdviceMessage(BusMessage):
    """The ranked advice of a site, when it changed."""

    site: str
    as_of: datetime
    advice: list[AdviceItem]


class SourcesMessage(BusMessage):
    """A source of a site was polled: its status (and maybe its stored values) changed."""

    site: str
    source: str
    stored: int = Field(0, ge=0, description="new values stored by this poll")


class FeedMessage(BusMessage):
    """Demo: simulated sensor items, validated by the ingest path like any other channel's."""

    site: str
    items: list[dict[str, Any]]


class Resync(BusMessage):
    """From the bus itself, on every topic, after it reconnected: messages may have been missed,
    so a subscriber should reread the state instead of trusting its deltas."""

    type: Literal["resync"] = "resync"


TOPIC_MESSAGES: dict[str, type[BusMessage]] = {
    OBSERVATIONS_TOPIC: ObservationsMessage,
    ZONES_TOPIC: ZonesMessage,
    ALERTS_TOPIC: AlertMessage,
    ADVICE_TOPIC: AdviceMessage,
    SOURCES_TOPIC: SourcesMessage,
    FEED_TOPIC: FeedMessage,
}


class UnknownTopic(ValueError):
    pass


def check_message(topic: str, message: BusMessage) -> None:
    """A publisher's message must be its topic's model (a programming error otherwise)."""
    expected = TOPIC_MESSAGES.get(topic)
    if expected is None:
        raise UnknownTopic(f"unknown bus topic {topic!r}; known: {sorted(TOPIC_MESSAGES)}")
    if not isinstance(message, (expected, Resync)):
        raise TypeError(f"topic {topic!r} carries {expected.__name__}, not {type(message).__name__}")


def encode(topic: str, message: BusMessage) -> str:
    """The JSON text that travels between processes."""
    check_message(topic, message)
    return message.model_dump_json()


def decode(topic: str, raw: str | bytes) -> BusMessage | None:
    """The typed message of `topic`, or None (logged with the reason) when it is not one."""
    expected = TOPIC_MESSAGES.get(topic)
    if expected is None:
        log.warning("bus message on unknown topic %r refused", topic)
        return None
    if len(raw) > MAX_MESSAGE_BYTES:
        log.warning("bus message on %s refused: %d bytes exceeds %d", topic, len(raw), MAX_MESSAGE_BYTES)
        return None
    try:
        document = json.loads(raw)
    except (ValueError, TypeError):  # UnicodeDecodeError is a ValueError
        log.warning("bus message on %s refused: not JSON", topic)
        return None
    if isinstance(document, dict) and document.get("type") == "resync":
        return Resync()
    try:
        return expected.model_validate(document)
    except ValidationError as exc:
        # Locations and error types only: the values may be anything a peer sent.
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(message)'}: {e['type']}"
                             for e in exc.errors()[:5])
        log.warning("bus message on %s refused: not a %s (%s)", topic, expected.__name__, problems)
        return None
