"""The answer to a zone-state poll, shared by the route and its fast path (csm.api.zone_state_fast).

The body is bytes cached per picture version (csm.api.state_cache); so are its header lists, so a
poll builds nothing but two ASGI messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from csm.api.state_cache import GZIP_MIN_BYTES, STATE_ANSWERS, RawHeaders, accepts_gzip, etag_matches
from csm.auth.principal import Principal
from csm.runtime import Runtime, SiteRuntime


@dataclass(frozen=True, slots=True)
class ZoneStateAnswer:
    """What a zone-state request is answered with: status, headers built once per answer, body."""

    status: int
    headers: RawHeaders
    body: bytes
    # What makes this answer's headers what they are (its ETag and form): a key for lists built from them.
    form: tuple[str, str] = ("", "")

    def response(self) -> Response:
        return PreparedResponse(self.status, self.headers, self.body)


class PreparedResponse(Response):
    """A Response whose header list was built before (the encoded answer's): nothing to render."""

    def __init__(self, status_code: int, headers: RawHeaders, body: bytes) -> None:  # no super(): no rendering
        self.status_code = status_code
        self.raw_headers = list(headers)  # a copy: middleware may change its own in place
        self.body = body
        self.background = None


async def zone_state_answer(runtime: Runtime, sr: SiteRuntime, principal: Principal, if_none_match: str | None,
                            accept_encoding: str | None) -> ZoneStateAnswer:
    """The zone-state answer for an authorised caller: 304, gzip or plain bytes from the cache."""
    answers = runtime.state.get(STATE_ANSWERS)
    # The usual poll finds its answer encoded already: no coroutine to wait for.
    answer = answers.cached(sr, principal) or await answers.current(sr, principal)
    if etag_matches(if_none_match, answer.etag):
        return ZoneStateAnswer(304, answer.head("304"), b"", (answer.etag, "304"))
    # A zone-scoped caller's answer passes through the scope filter, which reads plain JSON.
    unrestricted = answers.view_of(principal, sr.site) == ("*",)
    if unrestricted and len(answer.body) >= GZIP_MIN_BYTES and accepts_gzip(accept_encoding):
        body = answer.gzipped() if not answer.needs_gzip else await answers.gzipped(answer)
        return ZoneStateAnswer(200, answer.head("gzip"), body, (answer.etag, "gzip"))
    return ZoneStateAnswer(200, answer.head("plain"), answer.body, (answer.etag, "plain"))
