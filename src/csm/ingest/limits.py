"""The bounds that keep hostile or careless input from amplifying into a denial of service.

Documented in docs/ingest.md; a batch over a bound is answered at once, before any item is
validated or stored.
"""

from __future__ import annotations

# Items in one HTTP body, MQTT message or CSV upload (a CSV file on the CLI is imported in
# batches of this size).
MAX_ITEMS_PER_BATCH = 10_000
# Dead letters kept per batch with their redacted item; further refusals of the same batch are
# counted in one summary letter (reason `refusals_summarised`).
DEAD_LETTERS_PER_BATCH = 100
# An item is an object of fields whose values are numbers, text or one object of counts: deeper
# nesting is refused as `too_deep` before anything else looks at it.
MAX_ITEM_DEPTH = 8
# One MQTT message (HTTP bodies have their own limit in the API middleware).
MAX_MESSAGE_BYTES = 1024 * 1024
# JSON integers longer than this are refused (Python refuses to print more than 4,300 digits).
MAX_INTEGER_DIGITS = 30
