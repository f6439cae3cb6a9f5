"""Read side shared by the engine and the API: stable levels, predicted crossings and ranked advice
for one site at one moment, from the store (forecast, alert log) and the live picture."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from csm.advice.access_routes import Post, Route, access_route, build_network, load_posts
from csm.advice.alternatives import redirect_targets
from csm.advice.crossings import PredictedCrossing, predicted_crossings
from csm.advice.lifecycle import AlertBook
from csm.advice.playbook import PlaybookSchema, load_playbook
from csm.advice.ranking import rank_advice, triggers_from
from csm.advice.transit import annotate, transit_advice
from csm.context import SiteRuntime
from csm.domain.advice import AdviceItem
from csm.domain.model import Level
from csm.site.files import NETWORK_FILE, POSTS_FILE, read_geojson
from csm.site.model import Site
from csm.sources.disruptions import site_disruptions


def stable_levels(site_runtime: SiteRuntime, book: AlertBook) -> dict[str, tuple[Level, datetime]]:
    """Levels as the engine committed them (hysteresis, dwell); the raw live level for zones it has
    not judged yet (engine not running, or just started)."""
    levels = book.levels()
    as_of, states = site_runtime.picture.states()
    for zone in states:
        if zone.zone_id not in levels and zone.level is not Level.UNKNOWN and as_of is not None:
            levels[zone.zone_id] = (zone.level, as_of)
    return levels


def crossings_now(
    site_runtime: SiteRuntime,
    playbook: PlaybookSchema,
    levels: dict[str, tuple[Level, datetime]],
    now: datetime,
    min_probability: float | None = None,
) -> tuple[datetime | None, list[PredictedCrossing]]:
    issued_at, frame = site_runtime.picture.store.latest_forecast(site_runtime.site.id)
    settings = playbook.settings
    found = predicted_crossings(
        frame,
        site_runtime.site.zones,
        now,
        {z: lvl for z, (lvl, _) in levels.items()},
        settings.min_probability if min_probability is None else min_probability,
        timedelta(hours=settings.horizon_hours),
    )
    return issued_at, found


def sources_by_zone(site_runtime: SiteRuntime) -> dict[str, list[str]]:
    site = site_runtime.site
    return {z: [s.id for s in site.sensors_of_zone(z)] for z in site.zones}


def current_advice(
    site_runtime: SiteRuntime, book: AlertBook, now: datetime
) -> tuple[datetime | None, list[PredictedCrossing], list[AdviceItem]]:
    """The forecast's issue time, its predicted crossings, and the ranked advice."""
    site = site_runtime.site
    playbook = load_playbook(site)
    levels = stable_levels(site_runtime, book)
    issued_at, crossings = crossings_now(site_runtime, playbook, levels, now)
    triggers = triggers_from(levels, crossings, now)
    return issued_at, crossings, rank_advice(site, playbook, triggers, now, sources_by_zone(site_runtime))


def crossing_dict(c: PredictedCrossing, now: datetime) -> dict[str, Any]:
    return {
        "zone_id": c.zone_id,
        "level": c.level.value,
        "expected_at": c.at.isoformat(),
        "lead_time_minutes": round(c.lead_time.total_seconds() / 60),
        "probability": c.probability,
        "peak_probability": c.peak_probability,
        "peak_at": c.peak_at.isoformat(),
        "threshold_persons": c.threshold_persons,
        "p50": round(c.p50),
        "p90": round(c.p90),
    }


def site_network(site: Site) -> tuple[nx.Graph, dict[str, Post]]:
    """The site's network and posts, read once per file version."""
    net, posts = site.optional_file(NETWORK_FILE), site.optional_file(POSTS_FILE)
    return _read_network(net, net.stat().st_mtime if net else 0.0, posts, posts.stat().st_mtime if posts else 0.0)


@lru_cache(maxsize=16)
def _read_network(net: Path | None, _net_mtime: float, posts: Path | None, _posts_mtime: float,
                  ) -> tuple[nx.Graph, dict[str, Post]]:
    """A pure memo of two files (keyed by their modification times): nothing a worker decides."""
    return build_network(read_geojson(net)), load_posts(read_geojson(posts))


def routes_to(site: Site, zone_id: str, levels: dict[str, Level], post_id: str | None = None) -> list[Route]:
    """Access routes from every post (or one) to a zone, avoiding red zones; shortest first."""
    graph, posts = site_network(site)
    chosen = [posts[post_id]] if post_id is not None else list(posts.values())
    target = site.zones[zone_id].centroid
    found = [r for p in chosen if (r := access_route(graph, p, zone_id, target, levels)) is not None]
    return sorted(found, key=lambda r: r.cost_m)


def expected_at(site_runtime: SiteRuntime, moment: datetime) -> dict[str, float]:
    """Persons per zone expected at `moment`: the forecast's p50 at the nearest step, else now."""
    _, states = site_runtime.picture.states()
    expected = {z.zone_id: z.occupancy for z in states if z.occupancy is not None}
    _, frame = site_runtime.picture.store.latest_forecast(site_runtime.site.id)
    if not frame.empty:
        gap = (pd.to_datetime(frame["ts"], utc=True) - pd.Timestamp(moment)).abs()
        nearest = frame.assign(gap=gap).sort_values("gap").drop_duplicates("zone_id")
        nearest = nearest[nearest["gap"] <= pd.Timedelta(minutes=30)]
        expected.update({str(z): float(v) for z, v in zip(nearest["zone_id"], nearest["p50"], strict=True)})
    return expected


def alternatives_for(
    site_runtime: SiteRuntime, zone_id: str, moment: datetime, levels: dict[str, Level]
) -> dict[str, Any]:
    site = site_runtime.site
    playbook = load_playbook(site)
    redirect = redirect_targets(site, zone_id, expected_at(site_runtime, moment), levels, playbook.alternatives)
    routes = routes_to(site, zone_id, levels)
    _, posts = site_network(site)
    return {
        "zone_id": zone_id,
        "redirect_to": redirect,
        "access_routes": [
            {"post": r.post_id, "post_name": posts[r.post_id].name, "service": posts[r.post_id].service,
             "mode": r.mode, "length_m": round(r.length_m), "avoids": r.avoided, "passes_orange": r.penalised}
            for r in routes
        ],
        "no_route_from": sorted(set(posts) - {r.post_id for r in routes}),
    }


def advice_payload(site_runtime: SiteRuntime, book: AlertBook, now: datetime) -> dict[str, Any]:
    """The answer of GET .../advice: ranked advice; for zones heading to orange or red, where to
    send visitors instead and how emergency services get there."""
    issued_at, crossings, advice = current_advice(site_runtime, book, now)
    levels = {z: lvl for z, (lvl, _) in stable_levels(site_runtime, book).items()}
    # Route and redirect as things will be: zones predicted red count as red.
    future = dict(levels)
    for c in crossings:
        if c.level.rank > future.get(c.zone_id, Level.UNKNOWN).rank:
            future[c.zone_id] = c.level
    alternatives: dict[str, dict[str, Any]] = {}
    items = []
    for a in advice:
        item = a.model_dump(mode="json", exclude_none=True)
        if a.level.rank >= Level.ORANGE.rank:
            if a.zone_id not in alternatives:
                alternatives[a.zone_id] = alternatives_for(site_runtime, a.zone_id, a.expected_at, future)
            found = alternatives[a.zone_id]
            item["alternatives"] = {
                "redirect_to": [z["zone_id"] for z in found["redirect_to"][:3]],
                "access_routes": found["access_routes"][:3],
            }
        items.append(item)
    transit = transit_advice(site_runtime.site, site_disruptions(site_runtime))
    annotate(items, transit)
    return {
        "site": site_runtime.site.id,
        "as_of": now.isoformat(),
        "forecast_issued_at": issued_at.isoformat() if issued_at else None,
        "advice": items,
        "crossings": [crossing_dict(c, now) for c in crossings],
        "alternatives": list(alternatives.values()),
        "levels": {z: lvl.value for z, lvl in levels.items()},
        "transit": transit,
    }
