"""The alert lifecycle in the append-only log: order of steps, de-duplication, the fold."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from csm.advice.lifecycle import (
    ACKNOWLEDGED,
    LEVEL_CHANGE,
    MEASURE_TAKEN,
    PREDICTED_CROSSING,
    RESOLVED,
    AlertBook,
    AlertNotFound,
    AlertTransitionError,
)
from csm.domain.model import Level
from csm.store.factory import open_store
from tests.advice.conftest import NOW, Recorder


@pytest.fixture
def book(tmp_path: Path) -> AlertBook:
    return AlertBook(open_store(f"duckdb:{tmp_path / 'log.duckdb'}"), "mini", Recorder())  # type: ignore[arg-type]


def test_raised_acknowledged_measure_resolved(book: AlertBook) -> None:
    alert = book.raise_alert("zuid", Level.ORANGE, LEVEL_CHANGE, "Boulevard Zuid is orange", NOW)
    assert alert is not None and alert.status == "raised" and alert.raised_at == NOW
    later = NOW + timedelta(minutes=3)
    book.transition(alert.id, ACKNOWLEDGED, "Anna (gemeente)", later, "on it")
    book.transition(alert.id, MEASURE_TAKEN, "Anna (gemeente)", later, measure="traffic-controllers")
    done = book.transition(alert.id, RESOLVED, "Anna (gemeente)", later + timedelta(hours=1))
    assert done.status == RESOLVED and done.acknowledged_by == "Anna (gemeente)"
    assert done.measures_taken[0].measure == "traffic-controllers"
    assert [h.status for h in done.history] == ["raised", "acknowledged", "measure_taken", "resolved"]
    # Another process folding the same log sees the same state.
    fresh = AlertBook(book.store, "mini")
    assert fresh.get(alert.id) == done
    events = book.store.read_events("mini", "alerts")
    assert [e.payload["type"] for e in events] == ["raised", "acknowledged", "measure_taken", "resolved"]
    recorder = book.bus
    assert isinstance(recorder, Recorder)
    assert [m.event for _, m in recorder.messages] == ["raised", "acknowledged", "measure_taken", "resolved"]
    assert {t for t, _ in recorder.messages} == {"alerts"}


def test_steps_out_of_order_are_refused(book: AlertBook) -> None:
    alert = book.raise_alert("zuid", Level.RED, LEVEL_CHANGE, "red", NOW)
    assert alert is not None
    book.transition(alert.id, ACKNOWLEDGED, "a", NOW)
    with pytest.raises(AlertTransitionError):
        book.transition(alert.id, ACKNOWLEDGED, "b", NOW)
    book.transition(alert.id, RESOLVED, "a", NOW)
    with pytest.raises(AlertTransitionError):
        book.transition(alert.id, MEASURE_TAKEN, "a", NOW, measure="police")
    with pytest.raises(AlertNotFound):
        book.transition("nope", RESOLVED, "a", NOW)


def test_duplicates_are_not_raised(book: AlertBook) -> None:
    first = book.raise_alert("zuid", Level.RED, PREDICTED_CROSSING, "red at 14:00", NOW)
    assert first is not None
    assert book.raise_alert("zuid", Level.RED, PREDICTED_CROSSING, "again", NOW) is None
    assert book.raise_alert("noord", Level.RED, PREDICTED_CROSSING, "other zone", NOW) is not None
    book.transition(first.id, RESOLVED, "csm", NOW)
    dedup = timedelta(minutes=30)
    assert book.raise_alert("zuid", Level.RED, PREDICTED_CROSSING, "soon", NOW + timedelta(minutes=10), dedup) is None
    assert book.raise_alert("zuid", Level.RED, PREDICTED_CROSSING, "later", NOW + timedelta(minutes=31), dedup)
    assert len(book.alerts()) == 3 and len(book.alerts(status="raised")) == 2


def test_levels_are_folded_from_the_log(book: AlertBook) -> None:
    book.record_level("zuid", Level.UNKNOWN, Level.YELLOW, NOW)
    book.record_level("zuid", Level.YELLOW, Level.ORANGE, NOW + timedelta(minutes=5))
    assert AlertBook(book.store, "mini").levels() == {"zuid": (Level.ORANGE, NOW + timedelta(minutes=5))}


def test_an_event_this_release_cannot_read_is_skipped_with_a_reason(
    book: AlertBook, caplog: pytest.LogCaptureFixture
) -> None:
    """A step logged by an older release without what a step needs, or hand-edited, never breaks
    the fold: it is skipped (logged by location, not value) and the alert keeps its state."""
    alert = book.raise_alert("zuid", Level.RED, LEVEL_CHANGE, "red", NOW)
    assert alert is not None
    book.store.append_event("mini", "alerts", NOW, {"type": "acknowledged", "alert_id": alert.id, "at": "soon"})
    book.store.append_event("mini", "alerts", NOW, {"type": "exploded", "at": NOW.isoformat()})
    with caplog.at_level("WARNING"):
        fresh = AlertBook(book.store, "mini")
        assert fresh.get(alert.id) == alert
    assert "alert log event" in caplog.text and "at: datetime" in caplog.text
    # and the book goes on: the next step is recorded as usual
    assert fresh.transition(alert.id, ACKNOWLEDGED, "a", NOW).status == ACKNOWLEDGED


def test_details_the_engine_logged_are_typed_fields(book: AlertBook) -> None:
    expected = NOW + timedelta(minutes=40)
    alert = book.raise_alert("zuid", Level.RED, PREDICTED_CROSSING, "red at 14:00", NOW, expected_at=expected,
                             probability=0.7, lead_time_minutes=40)
    assert alert is not None
    assert (alert.expected_at, alert.probability, alert.lead_time_minutes) == (expected, 0.7, 40)
    moved = book.update(alert.id, NOW + timedelta(minutes=5), message="red at 14:10",
                        expected_at=expected + timedelta(minutes=10), probability=0.9)
    assert (moved.message, moved.expected_at, moved.probability) == (
        "red at 14:10", expected + timedelta(minutes=10), 0.9)
    assert moved.lead_time_minutes == 40 and moved.status == "raised"
