"""The service disruptions of a site now: the Alerts of its GTFS-Realtime sources, placed in
zones through the stops its GTFS source found near them. Read from the sources' descriptions the
polling process stored, so every worker (and the advice engine) sees the same."""

from __future__ import annotations

from csm.context import SiteRuntime
from csm.sources.coordinator import stored_descriptions
from csm.sources.transit_alerts import Disruption, disruptions_from


def site_disruptions(site_runtime: SiteRuntime) -> list[Disruption]:
    stops, alerts = stored_descriptions(site_runtime, "gtfs"), stored_descriptions(site_runtime, "gtfs_realtime")
    return disruptions_from(stops, alerts)
