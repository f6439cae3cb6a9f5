"""Encoded zone-state answers, reused until the picture changes.

A dashboard polls the zone state of a site; with 1,000 zones each answer is a large JSON document
that used to be filtered and encoded again for every request. The picture only changes when it is
refreshed (a new version), and what a caller sees depends only on the zones they may see and
whether small counts are suppressed for them, so one encoding serves everyone with the same view.

Each encoding carries a strong ETag (a digest of its bytes, so every worker gives the same tag to
the same content) and, made at most once, its gzip form: a poll that changed nothing costs a 304,
and a changed 400 kB answer crosses the network as about a tenth of that.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from starlette.concurrency import run_in_threadpool

from csm.api.visibility import must_suppress, view_key, view_states
from csm.auth.principal import Principal
from csm.context import SiteRuntime, Slot
from csm.site.model import Site

CACHE_ENTRIES = 64
# Callers remembered (`StateAnswerCache._caller`); far more than the sessions polling one worker.
CALLERS_LIMIT = 1024
# Level 5: within a few per cent of the best size at a third of level 9's time, paid once per version.
GZIP_LEVEL = 5
# Below this a compressed answer saves less than its headers and the client's work.
GZIP_MIN_BYTES = 1024


RawHeaders = list[tuple[bytes, bytes]]


@dataclass(slots=True)
class EncodedAnswer:
    body: bytes
    etag: str
    _gzipped: bytes | None = field(default=None, repr=False)
    # The response headers of each form of this answer (304, plain, gzip), built once: a poll
    # then sends a ready list instead of encoding the same header values again.
    _heads: dict[str, RawHeaders] = field(default_factory=dict, repr=False)

    @property
    def needs_gzip(self) -> bool:
        """True until the compressed form exists (making it takes milliseconds: not on the event loop)."""
        return self._gzipped is None

    def gzipped(self) -> bytes:
        """The body gzip-compressed, made on first use and kept (a race makes it twice, harmlessly)."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=GZIP_LEVEL, mtime=0)
        return self._gzipped

    def head(self, form: str) -> RawHeaders:
        """The headers of this answer as `form` ("304", "plain" or "gzip"; gzip after `gzipped()`)."""
        found = self._heads.get(form)
        if found is None:
            found = [(b"etag", self.etag.encode("latin-1")), (b"cache-control", b"private, no-cache"),
                     (b"vary", b"Accept-Encoding")]
            if form == "gzip":
                found += [(b"content-encoding", b"gzip"), (b"content-length", str(len(self.gzipped())).encode())]
            if form in ("plain", "gzip"):
                found.append((b"content-type", b"application/json"))
            if form == "plain":
                found.append((b"content-length", str(len(self.body)).encode()))
            self._heads[form] = found
        return found


def encode_answer(document: dict[str, Any]) -> EncodedAnswer:
    body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    return EncodedAnswer(body, f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"')


@dataclass(slots=True, eq=False)
class _Caller:
    """A caller's view of a site and the answer it was last given (for `version` of the picture)."""

    principal: Principal
    site: Site
    view: tuple[str, ...]
    suppress: bool
    # (picture version, its answer), replaced whole: a reader never pairs one version with another's answer.
    last: tuple[int, EncodedAnswer] | None = None

    def key(self, version: int) -> tuple[Any, ...]:
        """The cache key of this caller's answer for a version: everyone with the same view shares it."""
        return self.site.id, version, self.view, self.suppress


class StateAnswerCache:
    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._answers: OrderedDict[tuple[Any, ...], EncodedAnswer] = OrderedDict()
        self._lock = threading.Lock()
        self._encoding: dict[tuple[Any, ...], asyncio.Future[Any]] = {}
        self._callers: dict[int, _Caller] = {}

    def _caller(self, principal: Principal, site: Site) -> _Caller:
        """What is remembered of a caller of `site`, per principal object: a dashboard's repeated
        polls carry the same one (`AuthService.remembered`), and working out its view and finding its
        answer again were a few microseconds of every poll. A principal is immutable; the entry holds
        it, so its id is not reused while the entry lives."""
        found = self._callers.get(id(principal))
        if found is not None and found.principal is principal and found.site is site:
            return found
        if len(self._callers) >= CALLERS_LIMIT:
            self._callers.clear()
        made = self._callers[id(principal)] = _Caller(principal, site, view_key(principal, site),
                                                      must_suppress(principal))
        return made

    def view_of(self, principal: Principal, site: Site) -> tuple[str, ...]:
        """`view_key(principal, site)`, remembered per caller."""
        return self._caller(principal, site).view

    def _key(self, site_runtime: SiteRuntime, principal: Principal, version: int) -> tuple[Any, ...]:
        return self._caller(principal, site_runtime.site).key(version)

    def cached(self, site_runtime: SiteRuntime, principal: Principal) -> EncodedAnswer | None:
        """The answer for the picture's current version if it was encoded already (no encoding here)."""
        version = site_runtime.picture.version
        caller = self._caller(principal, site_runtime.site)
        last = caller.last
        if last is not None and last[0] == version:
            return last[1]
        with self._lock:
            found = self._answers.get(caller.key(version))
        if found is not None:
            caller.last = (version, found)
        return found

    async def current(self, site_runtime: SiteRuntime, principal: Principal) -> EncodedAnswer:
        """The answer for the current version; a missing one is encoded once, in a worker thread.

        When a new picture version arrives, every open poll misses at once (200 connections: 200
        misses); they all wait for the one encoding instead of each encoding the same 400 kB in
        its own thread (and queueing for the thread pool)."""
        found = self.cached(site_runtime, principal)
        if found is not None:
            return found
        key = self._key(site_runtime, principal, site_runtime.picture.version)
        answer: EncodedAnswer = await self._once(key, self.answer, site_runtime, principal)
        return answer

    async def gzipped(self, answer: EncodedAnswer) -> bytes:
        """The compressed body; made once in a worker thread however many polls ask at once."""
        if not answer.needs_gzip:
            return answer.gzipped()
        body: bytes = await self._once(("gzip", answer.etag), answer.gzipped)
        return body

    async def _once(self, key: tuple[Any, ...], work: Any, *args: Any) -> Any:
        """`work(*args)` in a worker thread, shared by every caller asking with the same key meanwhile."""
        loop = asyncio.get_running_loop()
        key = (id(loop), *key)  # a future belongs to its event loop (tests run several)
        pending = self._encoding.get(key)
        if pending is None:
            pending = self._encoding[key] = loop.create_task(run_in_threadpool(work, *args))
            pending.add_done_callback(lambda _: self._encoding.pop(key, None))
        return await asyncio.shield(pending)

    def answer(self, site_runtime: SiteRuntime, principal: Principal) -> EncodedAnswer:
        version, as_of, zones = site_runtime.picture.versioned_snapshot()
        site = site_runtime.site
        key = self._key(site_runtime, principal, version)
        with self._lock:
            cached = self._answers.get(key)
            if cached is not None:
                self._answers.move_to_end(key)
                return cached
        encoded = encode_answer({
            "site": site.id,
            "as_of": as_of.isoformat() if as_of else None,
            "zones": view_states(principal, site, zones),
        })
        with self._lock:
            self._answers[key] = encoded
            while len(self._answers) > self.entries:
                self._answers.popitem(last=False)
        return encoded


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: `*` or any listed tag, compared weakly (a W/ prefix is ignored)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


@lru_cache(maxsize=64)  # browsers send a handful of distinct values; a poll asks every time
def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether Accept-Encoding admits gzip (a q=0 refuses it)."""
    for part in (accept_encoding or "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return not params.strip().startswith("q=") or float(q) > 0
            except ValueError:
                return False
    return False


# Per process: each worker encodes its own picture's versions.
STATE_ANSWERS = Slot("api.state_answers", StateAnswerCache)
