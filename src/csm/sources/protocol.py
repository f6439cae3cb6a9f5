"""The one small protocol every source implements: typed settings, `fetch` bytes, pure `parse`.

Connectors stay pure parsers; scheduling, timeouts, retries, staleness and error bookkeeping
live in the coordinator, so a new source is one module plus its tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol
from urllib.parse import unquote, urlparse

import httpx
from pydantic import BaseModel, ConfigDict, Field

from csm.domain.model import Observation
from csm.site.model import Site

# Where a connector's data lies in time: measured ("past") or predicted/scheduled ("future").
DataTime = Literal["past", "future"]
# A streaming guard, not a cap on real feeds: national GTFS zips are hundreds of MB.
MAX_FEED_BYTES = 1024 * 1024 * 1024


class SourceSettings(BaseModel):
    """Settings every source shares; connectors subclass this with their own typed fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str | None = Field(None, description="connector name; defaults to the source's key")
    enabled: bool = True
    url: str | None = Field(None, description="http(s):// or file: (relative to the site folder)")
    poll_seconds: float = Field(300.0, gt=0, description="polling interval, clock seconds")
    timeout_seconds: float = Field(10.0, gt=0, le=300)
    retries: int = Field(2, ge=0, le=10, description="extra attempts when fetching fails")
    backoff_seconds: float = Field(1.0, ge=0, le=60, description="first retry delay; doubles, plus jitter")
    stale_after_seconds: float | None = Field(
        None, gt=0, description="data older than this is stale (default 3 × poll_seconds)"
    )
    replay: bool = Field(
        False, description="demo/training: shift the feed's times so its newest data is current"
    )

    @property
    def stale_after(self) -> float:
        return self.stale_after_seconds or 3 * self.poll_seconds


class SourceError(Exception):
    """A feed that could not be (fully) turned into observations: reason code, field, detail.

    `partial` holds observations that were good despite the error (e.g. other facilities).
    """

    def __init__(
        self, reason: str, field: str | None, detail: str, partial: Sequence[Observation] = ()
    ) -> None:
        super().__init__(detail)
        self.reason = reason
        self.field = field
        self.detail = detail
        self.partial = list(partial)


class FetchError(Exception):
    """The feed could not be fetched (network, HTTP status, missing file): worth a retry."""


class Source(Protocol):
    """What the coordinator needs from a connector."""

    kind: ClassVar[str]
    settings_model: ClassVar[type[SourceSettings]]
    data_time: ClassVar[DataTime]
    # People counts go through the ingest path (validation, picture); covariates straight to store.
    people_counts: ClassVar[bool]

    def fetch(self, settings: Any, site: Site, client: httpx.Client) -> bytes: ...

    def parse(self, raw: bytes, settings: Any, site: Site, now: datetime) -> list[Observation]: ...

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        """Static context for the API (stop names, facility zones, ...); may be empty."""
        ...

    def check(self, settings: Any, site: Site) -> list[tuple[str, str]]:
        """Cross-checks against the site: (path inside the source's settings, message)."""
        ...


class BaseSource:
    """Defaults: fetch `settings.url`, nothing to describe or cross-check."""

    kind: ClassVar[str] = ""
    settings_model: ClassVar[type[SourceSettings]] = SourceSettings
    data_time: ClassVar[DataTime] = "past"
    people_counts: ClassVar[bool] = False

    def fetch(self, settings: Any, site: Site, client: httpx.Client) -> bytes:
        if not settings.url:
            raise FetchError("no url configured")
        return fetch_url(settings.url, site.folder, client, settings.timeout_seconds)

    def describe(self, raw: bytes, settings: Any, site: Site) -> dict[str, Any]:
        return {}

    def check(self, settings: Any, site: Site) -> list[tuple[str, str]]:
        return []


def local_path(url: str, base: Path) -> Path | None:
    """The file a `file:` URL names (relative ones from the site folder); None for other schemes."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    path = Path(unquote(parsed.path))
    return path if path.is_absolute() else base / path


def fetch_url(url: str, base: Path, client: httpx.Client, timeout: float,
              max_bytes: int = MAX_FEED_BYTES) -> bytes:
    """Bytes from a file: or http(s): URL; every failure becomes a FetchError with the reason.

    The size limit is checked while the body streams in, so an endless response stops early.
    """
    path = local_path(url, base)
    if path is not None:
        try:
            if path.stat().st_size > max_bytes:
                raise FetchError(f"{path} is larger than {max_bytes} bytes")
            return path.read_bytes()
        except OSError as exc:
            raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if urlparse(url).scheme not in ("http", "https"):
        raise FetchError(f"unsupported URL scheme in {url!r}: use http(s):// or file:")
    try:
        with client.stream("GET", url, timeout=timeout) as response:
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} from {url}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{url} is larger than {max_bytes} bytes")
                chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise FetchError(f"timeout after {timeout:g} s fetching {url}") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"fetching {url} failed: {exc}") from exc
    return b"".join(chunks)
