"""Signed ingest tokens (JWT, HS256) per sensor or source. User sessions are server-side: see sessions.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from csm.auth.principal import Principal
from csm.auth.secrets import signing_key

ISSUER = "csm"


class TokenError(ValueError):
    """A token that is missing, malformed, expired or signed with another key."""


def _encode(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, signing_key(), algorithm="HS256")


def _decode(token: str, audience: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, signing_key(), algorithms=["HS256"], audience=audience, issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    return claims


def issue_ingest_token(
    name: str, site_id: str, sensors: Iterable[str] | None, ttl: timedelta = timedelta(days=365),
    now: datetime | None = None,
) -> str:
    """A token a sensor or source presents to write its own data (and nothing else)."""
    now = now or datetime.now(UTC)
    return _encode(
        {
            "iss": ISSUER, "aud": "ingest", "sub": name, "iat": now, "exp": now + ttl,
            "site": site_id, "sensors": sorted(sensors) if sensors is not None else None,
        }
    )


def read_ingest_token(token: str) -> Principal:
    claims = _decode(token, "ingest")
    sensors = claims.get("sensors")
    return Principal(
        name=str(claims["sub"]),
        role=None,
        sites=frozenset({str(claims["site"])}),
        sensors=frozenset(sensors) if sensors is not None else None,
        kind="ingest",
        auth_method="ingest-token",
    )
