"""Dead letters of one batch: the first few kept with a redacted shape of their item, the rest
counted in one summary letter, so a batch of refusals costs one bulk write of bounded size."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from csm.ingest.limits import DEAD_LETTERS_PER_BATCH
from csm.ingest.privacy import redacted_shape, redacted_text
from csm.store.base import DeadLetter

# A dead letter keeps at most this much of its (redacted) input.
PAYLOAD_LIMIT = 64 * 1024
SUMMARY_REASON = "refusals_summarised"


def payload_of(item: Any, trusted: Collection[str] = frozenset()) -> str:
    """The redacted shape of refused input as text: never the raw bytes (issue 12, item 2)."""
    if isinstance(item, bytes | bytearray):
        text = redacted_text(bytes(item[:PAYLOAD_LIMIT]).decode("utf-8", errors="replace"))
    elif isinstance(item, str):
        text = redacted_text(item[:PAYLOAD_LIMIT])
    else:
        text = json.dumps(redacted_shape(item, trusted), ensure_ascii=True)
    return text[:PAYLOAD_LIMIT]


@dataclass
class DeadLetterBatch:
    """Collects the refusals of one batch; `letters()` gives what to write in one go."""

    site_id: str | None
    channel: str
    received_at: datetime
    trusted: Collection[str] = frozenset()
    limit: int = DEAD_LETTERS_PER_BATCH
    kept: list[DeadLetter] = field(default_factory=list)
    not_kept: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str, field_name: str | None, detail: str, item: Any) -> None:
        if len(self.kept) >= self.limit:
            self.not_kept[reason] += 1
            return
        self.kept.append(DeadLetter(
            site_id=self.site_id, channel=self.channel, received_at=self.received_at, reason=reason,
            field=field_name, detail=detail, payload=payload_of(item, self.trusted),
        ))

    def letters(self) -> list[DeadLetter]:
        if not self.not_kept:
            return list(self.kept)
        total = sum(self.not_kept.values())
        by_reason = ", ".join(f"{reason} {count}" for reason, count in self.not_kept.most_common())
        summary = DeadLetter(
            site_id=self.site_id, channel=self.channel, received_at=self.received_at,
            reason=SUMMARY_REASON, field=None,
            detail=f"{total} more refused items of this batch were not kept: {by_reason}",
            payload=json.dumps({"not_kept": total, "by_reason": dict(self.not_kept)}),
        )
        return [*self.kept, summary]
