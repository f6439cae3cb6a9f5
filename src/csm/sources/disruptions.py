"""The service disruptions of a site now, for readers without the runtime at hand (advice):
the Alerts of its GTFS-Realtime sources, placed in zones through the stops its GTFS source
found near them."""

from __future__ import annotations

from csm.sources.coordinator import descriptions_of
from csm.sources.transit_alerts import Disruption, disruptions_from


def site_disruptions(site_id: str) -> list[Disruption]:
    return disruptions_from(descriptions_of(site_id, "gtfs"), descriptions_of(site_id, "gtfs_realtime"))
