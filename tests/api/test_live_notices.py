"""The stream's notices: only what the caller may see, never the content (the dashboard rereads
the REST answer, where scope and roles apply)."""

from __future__ import annotations

from datetime import UTC, datetime

from csm.api.live_notices import NOTICE_TOPICS, notice_for, notice_topics
from csm.auth.principal import Principal
from csm.auth.roles import Permission, Role
from csm.domain.alerts import Alert
from csm.topics import AdviceMessage, AlertMessage, ObservationsMessage, Resync, SourcesMessage

NOON = datetime(2026, 7, 18, 12, tzinfo=UTC)
ALERT = Alert(
    id="a1", zone_id="pier", level="red", kind="level_change", status="raised", raised_at=NOON,
    message="De Pier is red: 4.1 persons/m²", expected_at=None, probability=None, acknowledged_by=None,
    acknowledged_at=None, measures_taken=[], resolved_at=None, resolved_by=None, updated_at=NOON, history=[],
)


def test_an_alert_notice_names_the_alert_only_for_zones_in_scope() -> None:
    message = AlertMessage(site="tiny", event="raised", alert=ALERT)
    notice = notice_for("alerts", message, "tiny", {"pier", "plein"})
    assert notice == {"type": "changed", "topic": "alerts", "event": "raised", "alert_id": "a1", "zone_id": "pier"}
    assert notice_for("alerts", message, "tiny", {"plein"}) is None  # an organiser of another zone
    assert notice_for("alerts", message, "other-site", {"pier"}) is None


def test_advice_sources_and_resync_notices() -> None:
    assert notice_for("advice", AdviceMessage(site="tiny", as_of=NOON, advice=[]), "tiny", set()) == {
        "type": "changed", "topic": "advice", "as_of": NOON.isoformat()}
    assert notice_for("sources", SourcesMessage(site="tiny", source="weather"), "tiny", set()) == {
        "type": "changed", "topic": "sources", "source": "weather"}
    assert notice_for("sources", SourcesMessage(site="else", source="weather"), "tiny", set()) is None
    assert notice_for("alerts", Resync(), "tiny", set()) == {"type": "changed", "topic": "alerts"}
    assert notice_for("alerts", ObservationsMessage(site="tiny", sensors=[]), "tiny", {"pier"}) is None


def test_only_roles_that_view_alerts_hear_of_alerts_and_advice() -> None:
    for role in Role:
        principal = Principal(name="x", role=role, sites=frozenset({"*"}))
        expected = NOTICE_TOPICS if principal.can(Permission.VIEW_ALERTS) else ("sources",)
        assert notice_topics(principal) == expected, role
    ingest = Principal(name="feed", role=None, sites=frozenset({"tiny"}), kind="ingest")
    assert notice_topics(ingest) == ("sources",)
