"""CSV import of counts, shared by `csm ingest FILE.csv` and `POST /api/v1/observations` with
`Content-Type: text/csv`: columns `sensor_id,interval_start,interval_seconds,metric,value`.

Each row is validated on its own and refused with its line number; the answer ends in a summary
(stored n, duplicates d, refused m by reason). UTF-8 (with or without a byte-order mark) and
Latin-1 files are read. A column outside the five refuses the whole file: an unknown column could
hold personal data, and silently dropping it would hide that the source sends it.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from csm.ingest.limits import MAX_ITEMS_PER_BATCH
from csm.ingest.pipeline import IngestReport, IngestService
from csm.ingest.privacy import safe_string
from csm.ingest.validate import Reason

CSV_COLUMNS = ("sensor_id", "interval_start", "interval_seconds", "metric", "value")
REQUIRED_COLUMNS = ("sensor_id", "interval_start", "metric", "value")
EXTRA_VALUES_FIELD = "extra_values"


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int
    item: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FileRefusal:
    reason: str
    detail: str
    shape: dict[str, Any]


@dataclass
class CsvReport:
    """What happened to a file: the ingest report and the line of each refused row."""

    encoding: str
    report: IngestReport = field(default_factory=IngestReport)
    lines: list[int] = field(default_factory=list)  # line of each entry of report.rejected

    @property
    def summary(self) -> str:
        r = self.report
        text = f"stored {r.accepted}, duplicates {r.duplicates}, refused {len(r.rejected)} of {r.received} rows"
        if r.rejected:
            by_reason = Counter(x.reason for x in r.rejected).most_common()
            text += " (" + ", ".join(f"{reason} {count}" for reason, count in by_reason) + ")"
        return text

    def as_dict(self) -> dict[str, Any]:
        answer = self.report.as_dict()
        for entry, line in zip(answer["rejected"], self.lines, strict=True):
            entry["line"] = line
        answer["summary"] = self.summary
        answer["encoding"] = self.encoding
        return answer


def decode(data: bytes) -> tuple[str, str]:
    """The text of a file and its encoding: UTF-8 (a byte-order mark is dropped), else Latin-1."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_rows(text: str) -> tuple[list[CsvRow], FileRefusal | None]:
    """Rows as ingest items with their line numbers, or why the file as a whole is refused."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader, [])]
        shape = {"columns": [safe_string(name) for name in header]}
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            return [], FileRefusal(
                Reason.MISSING_FIELD,
                f"header lacks column(s) {', '.join(missing)}; expected {','.join(CSV_COLUMNS)}",
                shape,
            )
        extra = [safe_string(name) for name in header if name not in CSV_COLUMNS]
        if extra:
            return [], FileRefusal(
                Reason.UNEXPECTED_COLUMN,
                f"column(s) {', '.join(extra)} not accepted (they could hold personal data); "
                f"expected {','.join(CSV_COLUMNS)}",
                shape,
            )
        return list(_rows(reader, header)), None
    except csv.Error as exc:
        return [], FileRefusal(Reason.BAD_CSV,
                               f"not a readable CSV file near line {reader.line_num} ({type(exc).__name__})",
                               {"line": reader.line_num})


def _rows(reader: Any, header: list[str]) -> Iterator[CsvRow]:
    line = 1
    for row in reader:
        first_line, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        item: dict[str, Any] = {k: v for k, v in zip(header, row, strict=False) if v != ""}
        if len(row) > len(header):
            item[EXTRA_VALUES_FIELD] = len(row) - len(header)  # a count, never the values
        for key, cast in (("interval_seconds", int), ("value", float)):
            if isinstance(item.get(key), str) and len(item[key]) <= 40:
                # Left as text when it does not parse: validation refuses it with a reason.
                with contextlib.suppress(ValueError):
                    item[key] = cast(item[key])
        yield CsvRow(first_line, item)


def ingest_csv(
    service: IngestService,
    data: bytes,
    channel: str = "csv",
    allowed_sensors: frozenset[str] | None = None,
    max_rows: int | None = None,
) -> CsvReport | FileRefusal:
    """Read, validate and store a CSV file in batches of at most MAX_ITEMS_PER_BATCH rows.

    With `max_rows` (the HTTP path) a file of more rows is refused whole, before validation."""
    text, encoding = decode(data)
    rows, refusal = read_rows(text)
    if refusal is None and max_rows is not None and len(rows) > max_rows:
        refusal = FileRefusal(Reason.TOO_MANY_ITEMS, f"{len(rows)} rows; at most {max_rows} in one upload",
                              {"rows": len(rows)})
    if refusal is not None:
        service.refuse_whole(refusal.shape, channel, refusal.reason, refusal.detail)
        return refusal
    answer = CsvReport(encoding)
    for offset in range(0, len(rows), MAX_ITEMS_PER_BATCH):
        chunk = rows[offset:offset + MAX_ITEMS_PER_BATCH]
        report = service.ingest_items([r.item for r in chunk], channel, allowed_sensors)
        answer.lines.extend(chunk[r.index or 0].line for r in report.rejected)
        answer.report.merge(report)
    return answer
