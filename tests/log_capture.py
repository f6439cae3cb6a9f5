"""A logging handler that keeps what it is given, for tests that read what a server logged."""

from __future__ import annotations

import logging


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())

    @property
    def lines(self) -> list[str]:
        """Every line written (one record of the access log holds many)."""
        return [line for record in self.records for line in record.split("\n")]
