"""No credential reaches a log: the server's access and error logs pass through a redacting filter.

uvicorn logs each request line with its query string, and WebSocket clients carry their stream
ticket there; a token copied from a log must never work, so its value is never written.
"""

from __future__ import annotations

import logging

from csm.auth.service import redact_secrets

LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "csm")


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_secrets(a) if isinstance(a, str) else a for a in record.args)
        return True


_FILTER = RedactSecrets()


def install() -> None:
    """Attach the filter to the server's loggers (idempotent) and to their handlers."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
