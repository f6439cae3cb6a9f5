"""Typed bus messages: every topic's message survives the trip between processes unchanged, a
message that is not its topic's model is refused (by the publisher loudly, by the receiver with a
logged reason), and the in-process bus hands subscribers the typed message."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

import pytest

from csm.bus import LocalBus
from csm.domain.advice import AdviceItem
from csm.domain.alerts import Alert, AlertStep
from csm.domain.model import Level
from csm.domain.zone_view import SourceFreshnessModel, ZoneStateModel
from csm.topics import (
    ADVICE_TOPIC,
    ALERTS_TOPIC,
    FEED_TOPIC,
    MAX_MESSAGE_BYTES,
    OBSERVATIONS_TOPIC,
    SOURCES_TOPIC,
    TOPIC_MESSAGES,
    ZONES_TOPIC,
    AdviceMessage,
    AlertMessage,
    BusMessage,
    FeedMessage,
    ObservationsMessage,
    Resync,
    SourcesMessage,
    UnknownTopic,
    ZonesMessage,
    check_message,
    decode,
    encode,
)

NOON = datetime(2026, 7, 18, 12, tzinfo=UTC)
ZONE = ZoneStateModel(
    zone_id="pier", name="De Pier", occupancy=120.0, density_per_m2=0.4, level="yellow", capacity=900,
    walkable_area_m2=300.0, utilisation=0.133, stale=False, as_of=NOON, last_data_at=NOON,
    sources=[SourceFreshnessModel(sensor_id="cam-a", kind="area_counter", last_interval_end=NOON,
                                  age_seconds=30.0, stale=False)],
)
ALERT = Alert(
    id="a1", zone_id="pier", level="orange", kind="predicted_crossing", status="raised", raised_at=NOON,
    message="De Pier expected orange", expected_at=NOON, probability=0.7, acknowledged_by=None,
    acknowledged_at=None, measures_taken=[], resolved_at=None, resolved_by=None, updated_at=NOON,
    history=[AlertStep(status="raised", at=NOON, by="csm")], lead_time_minutes=30,
)
ADVICE = AdviceItem(
    measure_id="police", measure="Police at the pier", owner="police", level=Level.ORANGE, zone_id="pier",
    zones=("pier",), start_by=NOON, expected_at=NOON, lead_time_minutes=60, probability=0.712,
    status="start_now", trigger="predicted", reason="De Pier expected orange", sources=("forecast", "cam-a"),
)
ONE_OF_EACH: dict[str, BusMessage] = {
    OBSERVATIONS_TOPIC: ObservationsMessage(site="tiny", sensors=["cam-a", "lc-b"]),
    ZONES_TOPIC: ZonesMessage(site="tiny", as_of=NOON, zones=[ZONE]),
    ALERTS_TOPIC: AlertMessage(site="tiny", event="raised", alert=ALERT),
    ADVICE_TOPIC: AdviceMessage(site="tiny", as_of=NOON, advice=[ADVICE]),
    SOURCES_TOPIC: SourcesMessage(site="tiny", source="weather", stored=12),
    FEED_TOPIC: FeedMessage(site="tiny", items=[{"sensor_id": "cam-a", "occupancy": 3}]),
}


def test_every_topic_has_a_message_and_each_round_trips() -> None:
    assert set(ONE_OF_EACH) == set(TOPIC_MESSAGES)
    for topic, message in ONE_OF_EACH.items():
        assert decode(topic, encode(topic, message)) == message, topic
        assert decode(topic, encode(topic, Resync())) == Resync()
    # The advice item keeps its typed level; its probability travels as shown (three decimals).
    exact = AdviceMessage(site="tiny", as_of=NOON, advice=[ADVICE.model_copy(update={"probability": 0.71234})])
    advice = decode(ADVICE_TOPIC, encode(ADVICE_TOPIC, exact))
    assert isinstance(advice, AdviceMessage) and advice.advice[0].level is Level.ORANGE
    assert advice.advice[0].probability == 0.712


def test_a_publisher_must_send_its_topics_model() -> None:
    with pytest.raises(TypeError, match="carries ObservationsMessage"):
        check_message(OBSERVATIONS_TOPIC, ONE_OF_EACH[SOURCES_TOPIC])
    with pytest.raises(UnknownTopic):
        check_message("nonsense", ONE_OF_EACH[SOURCES_TOPIC])
    with pytest.raises(TypeError):
        LocalBus().publish(ALERTS_TOPIC, ONE_OF_EACH[ZONES_TOPIC])


@pytest.mark.parametrize(("raw", "reason"), [
    (b"\xff\xfe", "not JSON"),
    ("[1, 2]", "(message): model_type"),
    ('{"site": "tiny"}', "sensors: missing"),
    ('{"site": "tiny", "sensors": [], "extra": 1}', "extra: extra_forbidden"),
    ('{"site": ["tiny"], "sensors": []}', "site: string_type"),
    (" " * (MAX_MESSAGE_BYTES + 1), "exceeds"),
])
def test_a_malformed_message_is_refused_with_a_logged_reason(
    raw: str | bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="csm.topics"):
        assert decode(OBSERVATIONS_TOPIC, raw) is None
    assert "bus message on observations refused" in caplog.text and reason in caplog.text


def test_a_message_on_an_unknown_topic_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="csm.topics"):
        assert decode("nonsense", json.dumps({"site": "tiny"})) is None
    assert "unknown topic" in caplog.text


def test_the_local_bus_hands_subscribers_the_typed_message() -> None:
    bus = LocalBus()

    async def exchange() -> BusMessage:
        async with bus.subscribe(ALERTS_TOPIC) as queue:
            bus.publish(ALERTS_TOPIC, ONE_OF_EACH[ALERTS_TOPIC])
            return await asyncio.wait_for(queue.get(), 2)

    received = asyncio.run(exchange())
    assert isinstance(received, AlertMessage) and received.alert.id == "a1" and received.alert.level == "orange"
