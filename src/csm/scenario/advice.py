"""The advice the playbook would give over a whole planned day, from a p10/p50/p90 frame.

Uses the live advice's own functions (predicted crossings → triggers → ranked advice), seen from
the start of the day with a look-ahead over all of it, so a planner sees every measure, when it
must start and why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from csm.advice.crossings import predicted_crossings
from csm.advice.playbook import PlaybookSchema
from csm.advice.ranking import rank_advice, triggers_from
from csm.site.model import Site


def whole_day(playbook: PlaybookSchema, hours: float) -> PlaybookSchema:
    """The playbook with its look-ahead stretched over the day (measures stay as they are)."""
    settings = playbook.settings.model_copy(
        update={"horizon_hours": hours, "upcoming_minutes": int(hours * 60)}
    )
    return playbook.model_copy(update={"settings": settings})


def day_advice(site: Site, playbook: PlaybookSchema, frame: pd.DataFrame, slots: list[datetime]
               ) -> list[dict[str, Any]]:
    """Ranked measures for the day: frame has zone_id, ts, p10, p50, p90 (persons)."""
    if not slots:
        return []
    now = slots[0] - timedelta(seconds=1)
    hours = (slots[-1] - now).total_seconds() / 3600 + 0.25
    book = whole_day(playbook, hours)
    crossings = predicted_crossings(
        frame, site.zones, now, {}, book.settings.min_probability, timedelta(hours=hours)
    )
    advice = rank_advice(site, book, triggers_from({}, crossings, now), now)
    ordered = sorted(advice, key=lambda a: (a.start_by, -a.level.rank, a.measure_id))
    return [
        {
            "measure_id": a.measure_id,
            "measure": a.measure,
            "owner": a.owner,
            "level": a.level.value,
            "zone_id": a.zone_id,
            "zones": list(a.zones),
            "start_by": a.start_by.isoformat(),
            "expected_at": a.expected_at.isoformat(),
            "probability": round(a.probability, 3),
            "reason": a.reason,
        }
        for a in ordered
    ]
