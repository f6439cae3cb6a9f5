"""Replay dead letters: re-validate against today's site configuration and ingest what now passes.

Typical use: a sensor was missing from site.yaml (reason `unknown_sensor`); after adding it, its
refused counts are replayed. A letter is removed only once its items are stored (all of them, so a
letter is never half replayed); one that is still refused stays, with the reason it fails now.
Connector letters (`source:*` channels) hold raw upstream documents, which their source re-fetches:
they are reported, not replayed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from csm.ingest.ports import IngestTargets
from csm.ingest.validate import ItemError, validate_item
from csm.store.base import DeadLetter

REPLAYED = "replayed"
STILL_REFUSED = "still_refused"
NOT_REPLAYABLE = "not_replayable"


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    id: int
    status: str  # replayed | still_refused | not_replayable
    reason: str | None = None
    detail: str = ""
    accepted: int = 0
    duplicates: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def replay_dead_letters(runtime: IngestTargets, letters: Sequence[DeadLetter]) -> list[ReplayOutcome]:
    outcomes = [_replay_one(runtime, letter) for letter in letters if letter.id is not None]
    runtime.store.delete_dead_letters([o.id for o in outcomes if o.status == REPLAYED])
    return outcomes


def _replay_one(runtime: IngestTargets, letter: DeadLetter) -> ReplayOutcome:
    assert letter.id is not None
    site_runtime = runtime.sites.get(letter.site_id or "")
    if site_runtime is None:
        return ReplayOutcome(letter.id, NOT_REPLAYABLE, detail=f"site {letter.site_id!r} is not served here")
    if letter.channel.startswith("source:"):
        return ReplayOutcome(letter.id, NOT_REPLAYABLE, detail="connector input: its source fetches it again")
    try:
        document = json.loads(letter.payload)
    except ValueError as exc:
        return ReplayOutcome(letter.id, STILL_REFUSED, "bad_json", f"not valid JSON: {exc}")
    if isinstance(document, dict) and "observations" in document:
        document = document["observations"]
    items = document if isinstance(document, list) else [document]
    ingest = site_runtime.ingest
    now = runtime.clock.now()
    for item in items:
        try:
            validate_item(item, site_runtime.site, now, ingest.max_lateness)
        except ItemError as error:
            return ReplayOutcome(letter.id, STILL_REFUSED, error.reason, error.detail)
    report = ingest.ingest_items(items, f"replay:{letter.channel}")
    return ReplayOutcome(letter.id, REPLAYED, accepted=report.accepted, duplicates=report.duplicates)
