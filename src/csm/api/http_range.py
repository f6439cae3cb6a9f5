"""HTTP byte ranges (RFC 9110 §14) for serving large site files such as PMTiles archives, which
the page reads a few kilobytes at a time."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import Response

_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte span a `Range` header asks for, or None for the whole file. Several
    ranges in one header are answered with the whole file (allowed by the RFC)."""
    if not header:
        return None
    match = _SINGLE_RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable(header)
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(header)
    return start, end


def file_response(path: Path, range_header: str | None, media_type: str) -> Response:
    """200 with the whole file, 206 with the requested span, or 416 when it lies outside."""
    stat = path.stat()
    size = stat.st_size
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{stat.st_mtime_ns:x}-{size:x}"',
        "Cache-Control": "private, max-age=300",
    }
    try:
        span = parse_range(range_header, size)
    except RangeNotSatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    with path.open("rb") as handle:
        if span is None:
            return Response(handle.read(), media_type=media_type, headers=headers)
        start, end = span
        handle.seek(start)
        body = handle.read(end - start + 1)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(body, status_code=206, media_type=media_type, headers=headers)
