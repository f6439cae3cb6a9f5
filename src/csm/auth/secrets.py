"""Secrets come from the environment or from files (e.g. container secrets), never the repo."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)
_EPHEMERAL: dict[str, str] = {}


def read_secret(name: str, *, required: bool = False) -> str | None:
    """`NAME` from the environment, or the contents of the file named by `NAME_FILE`."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    if required:
        raise RuntimeError(f"secret {name} is not set: give {name} or {name}_FILE")
    return None


def signing_key() -> str:
    """The key that signs sessions and ingest tokens (CSM_SECRET_KEY[_FILE]).

    Without one, a random per-process key is used: fine for one laptop, but sessions then end at
    restart and several workers would not accept each other's tokens (so say so in the log).
    """
    configured = read_secret("CSM_SECRET_KEY")
    if configured:
        if len(configured) < 32:
            raise RuntimeError("CSM_SECRET_KEY must be at least 32 characters")
        return configured
    if "key" not in _EPHEMERAL:
        log.warning("CSM_SECRET_KEY not set: using a random key for this process only")
        _EPHEMERAL["key"] = secrets.token_urlsafe(48)
    return _EPHEMERAL["key"]
