"""A small Mapbox Vector Tile (MVT 2.1) encoder: GeoJSON-like features already in tile
coordinates → protobuf bytes. Written here (about a hundred lines of the spec) rather than pulling
a package that would pin the project's protobuf version."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

EXTENT = 4096
_POINT, _LINE, _POLYGON = 1, 2, 3
_MOVE_TO, _LINE_TO, _CLOSE_PATH = 1, 2, 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field_number: int, wire_type: int) -> bytes:
    return _varint((field_number << 3) | wire_type)


def _bytes_field(field_number: int, payload: bytes) -> bytes:
    return _key(field_number, 2) + _varint(len(payload)) + payload


def _varint_field(field_number: int, value: int) -> bytes:
    return _key(field_number, 0) + _varint(value)


def _packed(field_number: int, values: Sequence[int]) -> bytes:
    return _bytes_field(field_number, b"".join(_varint(v) for v in values))


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 31)


def _command(command: int, count: int) -> int:
    return (command & 0x7) | (count << 3)


class _Cursor:
    """Geometry commands use deltas from the previous point across the whole feature."""

    def __init__(self) -> None:
        self.x = 0
        self.y = 0

    def points(self, coords: Iterable[tuple[float, float]]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for x, y in coords:
            p = (round(x), round(y))
            if not out or out[-1] != p:
                out.append(p)
        return out

    def encode(self, command: int, points: list[tuple[int, int]]) -> list[int]:
        out = [_command(command, len(points))]
        for x, y in points:
            out += [_zigzag(x - self.x), _zigzag(y - self.y)]
            self.x, self.y = x, y
        return out


def _encode_geometry(geom: BaseGeometry) -> tuple[int, list[int]] | None:
    cursor = _Cursor()
    commands: list[int] = []
    if isinstance(geom, Point | MultiPoint):
        pts = cursor.points([(p.x, p.y) for p in getattr(geom, "geoms", [geom])])
        return (_POINT, cursor.encode(_MOVE_TO, pts)) if pts else None
    if isinstance(geom, LineString | MultiLineString):
        for line in getattr(geom, "geoms", [geom]):
            pts = cursor.points(line.coords)
            if len(pts) >= 2:
                commands += cursor.encode(_MOVE_TO, pts[:1]) + cursor.encode(_LINE_TO, pts[1:])
        return (_LINE, commands) if commands else None
    if isinstance(geom, Polygon | MultiPolygon):
        for polygon in getattr(geom, "geoms", [geom]):
            # In tile coordinates (y down) MVT wants exterior rings with positive shoelace area.
            polygon = orient(polygon, sign=1.0)
            for i, ring in enumerate([polygon.exterior, *polygon.interiors]):
                pts = cursor.points(ring.coords[:-1])
                if len(pts) < 3:
                    if i == 0:
                        break
                    continue
                commands += cursor.encode(_MOVE_TO, pts[:1]) + cursor.encode(_LINE_TO, pts[1:])
                commands.append(_command(_CLOSE_PATH, 1))
        return (_POLYGON, commands) if commands else None
    return None


def _value(value: Any) -> bytes:
    if isinstance(value, bool):
        return _varint_field(7, int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return _varint_field(6, (value << 1) ^ (value >> 63))  # sint_value
    if isinstance(value, float):
        return _key(3, 1) + struct.pack("<d", value)
    return _bytes_field(1, str(value).encode("utf-8"))


@dataclass
class TileLayer:
    """One named layer: (geometry in tile coordinates, properties) pairs."""

    name: str
    features: list[tuple[BaseGeometry, dict[str, Any]]] = field(default_factory=list)

    def encode(self) -> bytes:
        keys: dict[str, int] = {}
        values: dict[tuple[str, Any], int] = {}
        encoded_features = []
        for number, (geom, properties) in enumerate(self.features, start=1):
            encoded = _encode_geometry(geom)
            if encoded is None:
                continue
            tags: list[int] = []
            for key, value in properties.items():
                if value is None or isinstance(value, dict | list):
                    continue
                k = keys.setdefault(key, len(keys))
                v = values.setdefault((type(value).__name__, value), len(values))
                tags += [k, v]
            kind, commands = encoded
            encoded_features.append(
                _varint_field(1, number) + _packed(2, tags) + _varint_field(3, kind) + _packed(4, commands)
            )
        if not encoded_features:
            return b""
        body = _varint_field(15, 2) + _bytes_field(1, self.name.encode("utf-8"))
        body += b"".join(_bytes_field(2, f) for f in encoded_features)
        body += b"".join(_bytes_field(3, k.encode("utf-8")) for k in keys)
        body += b"".join(_bytes_field(4, _value(v)) for (_, v) in values)
        body += _varint_field(5, EXTENT)
        return body


def encode_tile(layers: Iterable[TileLayer]) -> bytes:
    return b"".join(_bytes_field(3, body) for body in (layer.encode() for layer in layers) if body)
