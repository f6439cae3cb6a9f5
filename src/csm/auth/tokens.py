"""Signed tokens (JWT, HS256): user sessions with expiry, and ingest tokens per sensor/source."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from csm.auth.principal import Principal
from csm.auth.roles import Role
from csm.auth.secrets import signing_key

ISSUER = "csm"
SESSION_TTL = timedelta(hours=12)


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


def issue_session(principal: Principal, now: datetime | None = None, ttl: timedelta = SESSION_TTL) -> str:
    now = now or datetime.now(UTC)
    return _encode(
        {
            "iss": ISSUER, "aud": "session", "sub": principal.name, "iat": now, "exp": now + ttl,
            "role": principal.role.value if principal.role else None,
            "sites": sorted(principal.sites),
            "zones": {site: sorted(zones) for site, zones in principal.zones.items()},
            "amr": principal.auth_method,
        }
    )


def read_session(token: str) -> Principal:
    claims = _decode(token, "session")
    try:
        role = Role(claims["role"])
    except (KeyError, ValueError) as exc:
        raise TokenError("token names no valid role") from exc
    return Principal(
        name=str(claims["sub"]),
        role=role,
        sites=frozenset(claims.get("sites", [])),
        zones={site: frozenset(zones) for site, zones in (claims.get("zones") or {}).items()},
        auth_method=str(claims.get("amr", "session")),
    )


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
