"""Per-gateway broker accounts for Mosquitto: a password file entry and an ACL block each.

A gateway may publish only `csm/{site}/sensors/{sensor}/counts` of the sensors it serves; the
ingest workers may only read counts. The ACL file keeps one marked block per account, so adding
or changing an account rewrites its own block and leaves hand-written lines alone.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from csm.ingest.mqtt import TOPIC_FILTER, counts_topic

_ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class BrokerAuthError(ValueError):
    """An account name, sensor list or file that cannot be used."""


def _check_name(name: str) -> None:
    if not _ACCOUNT.match(name):
        raise BrokerAuthError("account name: 1–64 letters, digits and . _ - (no spaces, no wildcards)")


def gateway_block(name: str, site_id: str, sensors: Iterable[str]) -> str:
    """ACL lines: `name` may write the counts topics of exactly these sensors."""
    _check_name(name)
    topics = [counts_topic(site_id, s) for s in sorted(set(sensors))]
    if not topics:
        raise BrokerAuthError("a gateway needs at least one sensor")
    if any(c in t for t in topics for c in "+#"):
        raise BrokerAuthError("sensor ids must not contain MQTT wildcards")
    return "\n".join([f"user {name}", *(f"topic write {t}" for t in topics)]) + "\n"


def ingest_block(name: str) -> str:
    """ACL lines: `name` (the ingest workers) may read every site's counts, and write nothing."""
    _check_name(name)
    return f"user {name}\ntopic read {TOPIC_FILTER}\n"


def write_acl_block(acl_file: Path, name: str, block: str) -> None:
    """Put `block` between this account's markers in `acl_file`, replacing an older block."""
    begin, end = f"# >>> csm account {name}", f"# <<< csm account {name}"
    text = acl_file.read_text(encoding="utf-8") if acl_file.exists() else ""
    pattern = re.compile(rf"{re.escape(begin)}\n.*?{re.escape(end)}\n?", re.S)
    text = pattern.sub("", text)
    if text and not text.endswith("\n"):
        text += "\n"
    acl_file.write_text(f"{text}{begin}\n{block}{end}\n", encoding="utf-8")


def set_password(password_file: Path, name: str, password: str | None = None) -> str:
    """Add or change `name` in a Mosquitto password file (hashed by mosquitto_passwd); returns
    the password, generated when not given."""
    _check_name(name)
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        raise BrokerAuthError("mosquitto_passwd not found: install the mosquitto package")
    password = password or secrets.token_urlsafe(24)
    args = [tool, "-b", str(password_file), name, password]
    if not password_file.exists():
        args.insert(1, "-c")
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BrokerAuthError(f"mosquitto_passwd failed: {result.stderr.strip() or result.stdout.strip()}")
    return password
