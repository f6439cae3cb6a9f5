"""Transit disruptions in advice: when a tram or bus line stops serving a zone's stops (an
operator's GTFS-Realtime alert with NO_SERVICE, REDUCED_SERVICE, DETOUR or STOP_MOVED), its
passengers walk to other stops and arrive in other zones; the operator should know why and
what to do. Small and separate: the ranked playbook advice is not changed, only annotated.
"""

from __future__ import annotations

from typing import Any

from csm.site.model import Site
from csm.sources.transit_alerts import Disruption


def transit_advice(site: Site, disruptions: list[Disruption]) -> list[dict[str, Any]]:
    """One advice item per disruption that takes service away from stops near zones."""
    items = []
    for d in disruptions:
        if not d.removes_service or not d.zones:
            continue
        names = ", ".join(site.zones[z].name if z in site.zones else z for z in d.zones)
        lines = ", ".join(d.routes) or "a line"
        effect = d.effect.replace("_", " ").lower()
        items.append({
            "kind": "transit_disruption",
            "disruption_id": d.id,
            "zones": d.zones,
            "reason": f"{lines}: {effect} ({d.header or d.cause.lower()}) — stops serving {names} are not "
                      "(fully) served, so passengers walk to other stops and zones",
            "measure": f"Expect more people walking between {names} and the nearest served stops; "
                       "announce the change at the stops and check the walking routes",
            "until": d.end.isoformat() if d.end else None,
        })
    return items


def annotate(advice_items: list[dict[str, Any]], transit: list[dict[str, Any]]) -> None:
    """Add the transit reason to ranked advice for a zone a disruption touches."""
    for item in advice_items:
        related = [t for t in transit if item.get("zone_id") in t["zones"]]
        if related:
            item["transit"] = [t["disruption_id"] for t in related]
            item["reason"] = f"{item.get('reason', '')}; transit: {related[0]['reason']}".lstrip("; ")
