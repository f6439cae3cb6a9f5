"""What a caller may see of a site: organisers their event's zones only; small counts suppressed
for roles without the right to see them (k-anonymity threshold from the site's privacy settings).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from csm.auth.principal import Principal
from csm.auth.roles import Permission
from csm.site.model import Site


def principal_of(conn: HTTPConnection) -> Principal:
    principal: Principal = conn.state.principal
    return principal


def visible_zone_ids(principal: Principal, site: Site) -> set[str]:
    return set(principal.visible_zones(site.id, list(site.zones)))


def view_key(principal: Principal, site: Site) -> tuple[str, ...]:
    """What `visible_zone_ids` would give, as a short hashable key (cache keys ask per request):
    ("*",) for the whole site, without listing its zones."""
    if not principal.may_see_site(site.id):
        return ()
    limit = principal.zones.get(site.id)
    return ("*",) if limit is None else tuple(sorted(z for z in limit if z in site.zones))


def must_suppress(principal: Principal) -> bool:
    return not principal.can(Permission.VIEW_SMALL_COUNTS)


def suppress_state(zone: dict[str, Any], k: int) -> dict[str, Any]:
    """A zone state with a count below k shows no numbers, only that it is quiet."""
    occupancy = zone.get("occupancy")
    if occupancy is None or occupancy >= k:
        return zone
    return {**zone, "occupancy": None, "density_per_m2": None, "utilisation": None, "suppressed": True}


def view_states(principal: Principal, site: Site, zones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    visible = visible_zone_ids(principal, site)
    shown = [z for z in zones if z["zone_id"] in visible]
    if must_suppress(principal):
        k = site.privacy.k_anonymity
        shown = [suppress_state(z, k) for z in shown]
    return shown


def view_series_value(principal: Principal, site: Site, value: float | None) -> float | None:
    """One count in a history or forecast series: None when it must be suppressed."""
    if value is None or not must_suppress(principal):
        return value
    return None if value < site.privacy.k_anonymity else value
