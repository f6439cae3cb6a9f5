"""Zone scope in one place: what part of a site the caller may see.

An event organiser is scoped to the zones of their event; every other role sees every zone of its
sites. Two parts, both here:
- `ZoneScopeMiddleware` passes every JSON answer about a site (a path with `{site_id}`) through
  `ZoneScope.redact` for a caller with a zone scope, so no route filters by hand and a new route
  cannot forget (tests/api/test_zone_scope.py walks every route as a scoped organiser);
- the `zone_scope` dependency, for routes that take a zone as input (`?zone=`): out-of-scope zones
  are answered like unknown ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from csm.api.deps import get_site_runtime
from csm.api.visibility import principal_of, view_series_value, view_states, visible_zone_ids
from csm.auth.principal import Principal
from csm.runtime import SiteRuntime
from csm.site.model import Site

T = TypeVar("T")
# Keys under which answers carry zone ids (a single id or a list of ids).
ZONE_KEYS = ("zone", "zone_id", "opposite_zone")
ZONE_LIST_KEYS = ("zones", "zones_passed", "avoided_red_zones", "penalised_orange_zones", "avoids",
                  "passes_orange", "redirect_to", "stops")


@dataclass(frozen=True, slots=True)
class ZoneScope:
    principal: Principal
    site: Site
    visible: frozenset[str]

    @property
    def unrestricted(self) -> bool:
        return self.visible >= frozenset(self.site.zones)

    def sees(self, zone_id: str | None) -> bool:
        """A zone id of this site is visible when in scope; anything else (site-wide) is not a zone."""
        return zone_id is None or zone_id not in self.site.zones or zone_id in self.visible

    def require(self, zone_id: str) -> None:
        """A zone the caller names: unknown and out-of-scope zones look the same (404)."""
        if zone_id not in self.site.zones or zone_id not in self.visible:
            raise HTTPException(404, detail=f"unknown zone {zone_id!r}")

    def ids(self, zone_ids: Iterable[str]) -> list[str]:
        return [z for z in zone_ids if self.sees(z)]

    def keep(self, items: Iterable[T], key: str = "zone_id") -> list[T]:
        """Items (dicts) whose `key` names a visible zone."""
        return [i for i in items if self.sees(_get(i, key))]

    def keys(self, mapping: Mapping[str, T]) -> dict[str, T]:
        return {z: v for z, v in mapping.items() if self.sees(z)}

    def states(self, zones: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Zone states the caller may see, with small counts suppressed where required."""
        return view_states(self.principal, self.site, zones)

    def count(self, value: float | None) -> float | None:
        """One count of a series: None when small counts must be suppressed for the caller."""
        return view_series_value(self.principal, self.site, value)

    def redact(self, value: Any) -> Any:
        """A JSON document without out-of-scope zones: objects that name one (under a zone key), or
        that concern only such zones (their `zones`), are dropped from lists; mappings keyed by one
        lose that entry; id lists lose those ids."""
        if self.unrestricted:
            return value
        return self._redact(value)

    def _redact(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._redact(v) for v in value if not self._names_hidden_zone(v)]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in self.site.zones and not self.sees(key):
                continue
            if key in ZONE_LIST_KEYS and isinstance(item, list) and all(isinstance(z, str) for z in item):
                out[key] = self.ids(item)
            elif key in ZONE_KEYS and isinstance(item, str) and not self.sees(item):
                out[key] = None
            else:
                out[key] = self._redact(item)
        return out

    def _names_hidden_zone(self, value: Any) -> bool:
        if isinstance(value, str):
            return not self.sees(value)
        if not isinstance(value, dict):
            return False
        props = value.get("properties") if value.get("type") == "Feature" else None
        for holder in (value, props if isinstance(props, dict) else {}):
            for key in ("zone_id", "zone"):
                found = holder.get(key)
                if isinstance(found, str) and not self.sees(found):
                    return True
        if value.get("type") == "Feature" and isinstance(value.get("id"), str):
            return not self.sees(value["id"])
        return self._serves_only_hidden_zones(value.get("zones"))

    def _serves_only_hidden_zones(self, zones: Any) -> bool:
        """Context for other zones only (a garage, a stop, an event for zones out of scope)."""
        if not isinstance(zones, list):
            return False
        named = [z for z in zones if isinstance(z, str) and z in self.site.zones]
        return bool(named) and not any(z in self.visible for z in named)


def zone_scope(request: Request, sr: SiteRuntime = Depends(get_site_runtime)) -> ZoneScope:
    """The caller's zone scope in the site named by the path."""
    principal = principal_of(request)
    return ZoneScope(principal, sr.site, frozenset(visible_zone_ids(principal, sr.site)))



def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


def sees_whole_site(principal: Principal, site_id: str) -> bool:
    """The common case, decided without listing the site's zones (every answer asks)."""
    return principal.may_see_site(site_id) and principal.zones.get(site_id) is None


def scope_of(principal: Principal | None, site: Site) -> ZoneScope | None:
    if principal is None:
        return None
    return ZoneScope(principal, site, frozenset(visible_zone_ids(principal, site)))


class ZoneScopeMiddleware:
    """Redacts out-of-scope zones from every JSON answer under /api/v1/sites/{site_id} (and any
    other route with a `site_id` path parameter), after routing has identified the caller."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def filtering_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                zone_scope = _restricted_scope(scope)
                if zone_scope is None or not _is_json(message):
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            zone_scope = _restricted_scope(scope)
            if zone_scope is not None and body:
                try:
                    document = json.loads(body)
                except ValueError:
                    document = None
                if document is not None:
                    body = json.dumps(zone_scope.redact(document), separators=(",", ":")).encode("utf-8")
            headers = MutableHeaders(raw=list(start.get("headers", [])))
            headers["content-length"] = str(len(body))
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, filtering_send)


# Routes that decide themselves what a zone-scoped caller sees: the role view gives an organiser the
# surrounding zones as outlines and names only, on purpose (docs/privacy.md).
SELF_SCOPED_SUFFIXES = ("/view",)


def _restricted_scope(scope: Scope) -> ZoneScope | None:
    if str(scope.get("path", "")).endswith(SELF_SCOPED_SUFFIXES):
        return None
    site_id = (scope.get("path_params") or {}).get("site_id")
    principal = (scope.get("state") or {}).get("principal")
    app = scope.get("app")
    if site_id is None or principal is None or app is None:
        return None
    site_runtime = app.state.runtime.sites.get(site_id)
    if site_runtime is None or sees_whole_site(principal, site_id):
        return None
    zone_scope = scope_of(principal, site_runtime.site)
    return None if zone_scope is None or zone_scope.unrestricted else zone_scope


def _is_json(message: Message) -> bool:
    for key, value in message.get("headers", []):
        if key.lower() == b"content-type":
            return bool(value.split(b";")[0].strip().endswith(b"json"))
    return False
