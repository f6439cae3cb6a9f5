"""What each caller sees of an alert and may do with it: the playbook's measures for the alert's
zone and level (with readable owners), the steps the caller may take, and whether the zone's data
is stale. The API decides; the dashboard only shows the buttons the answer allows."""

from __future__ import annotations

from csm.advice.lifecycle import ACKNOWLEDGED, MEASURE_TAKEN, RESOLVED
from csm.advice.owners import owner_label, owner_of_role
from csm.advice.playbook import load_playbook, measures_for
from csm.auth.principal import Principal
from csm.auth.roles import Permission
from csm.domain.alerts import Alert
from csm.domain.model import Level
from csm.runtime import SiteRuntime
from csm.site.model import Site


def stale_zones(sr: SiteRuntime) -> set[str]:
    """Zones whose live state rests on stale data (or none) right now."""
    _, zones = sr.picture.snapshot()
    return {z["zone_id"] for z in zones if z.get("stale")}


def advised_measures(site: Site, alert: Alert) -> list[dict[str, str]]:
    """The agreed measures for the alert's zone and level, to pick from when recording one."""
    try:
        level = Level(alert.level)
        found = measures_for(load_playbook(site), site, alert.zone_id, level)
    except ValueError:
        return []
    return [{"id": m.id, "measure": m.measure, "owner": m.owner, "owner_label": owner_label(m.owner)} for m in found]


def own_measure_ids(principal: Principal, site: Site, alert: Alert) -> set[str]:
    owner = owner_of_role(principal.role.value if principal.role else None)
    return {m["id"] for m in advised_measures(site, alert) if m["owner"] == owner}


def may_take(principal: Principal, site: Site, alert: Alert, measure: str | None) -> bool:
    """Without handle_alerts (organisers): acknowledge an alert that has a measure of theirs, and
    record only such a measure; never resolve."""
    own = own_measure_ids(principal, site, alert)
    if not own or not principal.can(Permission.HANDLE_OWN_MEASURES):
        return False
    return measure is None or measure in own


def actions_for(principal: Principal, alert: Alert, site: Site | None = None) -> list[str]:
    """The steps this caller may take on the alert now: "ack", "measure", "resolve"."""
    status = alert.status
    if status == RESOLVED:
        return []
    everything = principal.can(Permission.HANDLE_ALERTS)
    if not everything and (site is None or not may_take(principal, site, alert, None)):
        return []
    actions = ["ack"] if status not in (ACKNOWLEDGED, MEASURE_TAKEN) else []
    actions.append("measure")
    if everything:
        actions.append("resolve")
    return actions
