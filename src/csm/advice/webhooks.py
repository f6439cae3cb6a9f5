"""Signed webhook notifications with retry, quiet hours and level filters.

Signature (like Stripe's): header `X-CSM-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>." + body>` with a secret from the environment only. The timestamp is wall time (not the
demo's simulated clock) so a receiver can refuse replays older than a few minutes.
Retries: connection errors, 429 and 5xx, with exponential backoff; other 4xx are final (the
receiver said no, repeating will not help).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import time as wall
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import time
from typing import Any

import httpx

from csm.advice.playbook import NotificationsSchema, QuietHoursSchema, WebhookSchema
from csm.domain.alerts import Alert
from csm.domain.model import Level

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-CSM-Signature"
DELIVERY_HEADER = "X-CSM-Delivery"
MAX_BACKOFF_SECONDS = 60.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance_seconds: float = 300) -> bool:
    """What a receiver does: recompute the HMAC, compare in constant time, refuse old timestamps."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    url: str
    ok: bool
    attempts: int
    status_code: int | None
    error: str | None = None


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


async def deliver(
    url: str,
    payload: dict[str, Any],
    secret: str,
    delivery_id: str,
    max_attempts: int = 5,
    base_delay: float = 0.5,
    timeout: float = 5.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> DeliveryResult:
    """POST the payload, signed afresh on each attempt, until accepted or out of attempts."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
    status: int | None = None
    error: str | None = None
    async with httpx.AsyncClient(timeout=timeout) as client:
        for attempt in range(1, max_attempts + 1):
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(secret, int(wall.time()), body),
                DELIVERY_HEADER: delivery_id,
            }
            try:
                response = await client.post(url, content=body, headers=headers)
                status, error = response.status_code, None
                if response.is_success:
                    return DeliveryResult(url, True, attempt, status)
                if not _retryable(status):
                    return DeliveryResult(url, False, attempt, status, f"refused with {status}")
            except httpx.TransportError as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
            if attempt < max_attempts:
                await sleep(min(base_delay * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))
    return DeliveryResult(url, False, max_attempts, status, error or f"status {status}")


def in_quiet_hours(local: time, quiet: QuietHoursSchema | None) -> bool:
    if quiet is None or quiet.start == quiet.end:
        return False
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end  # spans midnight


def wanted(webhook: WebhookSchema, level: Level, local: time, quiet: QuietHoursSchema | None) -> bool:
    """The webhook takes this level, and quiet hours (if now) do not hold it back."""
    if level.value not in webhook.levels:
        return False
    return not (in_quiet_hours(local, quiet) and quiet is not None and level.rank < Level(quiet.min_level).rank)


async def notify(
    site_id: str,
    event: str,
    alert: Alert,
    local: time,
    settings: NotificationsSchema,
    base_delay: float = 0.5,
) -> list[DeliveryResult]:
    """Send one alert event to every webhook that wants it; missing secrets are logged, not sent."""
    level = Level(alert.level)
    results = []
    for webhook in settings.webhooks:
        if not wanted(webhook, level, local, settings.quiet_hours):
            continue
        secret = os.environ.get(webhook.secret_env)
        if not secret:
            log.warning("webhook %s skipped: environment variable %s is not set", webhook.url, webhook.secret_env)
            continue
        payload = {"site": site_id, "event": event, "alert": alert.model_dump(mode="json")}
        result = await deliver(webhook.url, payload, secret, f"{alert.id}:{event}:{alert.updated_at.isoformat()}",
                               webhook.max_attempts, base_delay)
        if not result.ok:
            log.warning("webhook %s failed after %d attempts: %s", webhook.url, result.attempts, result.error)
        results.append(result)
    return results
