"""Emergency access routes on the site's network: shortest, around red zones, orange penalised."""

from __future__ import annotations

from typing import Any

from csm.advice.access_routes import Post, access_route, build_network, load_posts
from csm.domain.model import Level

# A post in the west, the target zone in the east; the direct street crosses zone "plein",
# a longer detour runs north through "noord"; a footpath only for walkers crosses "strand".
TARGET = (4.2840, 52.1100)


def line(id_: str, coords: list[tuple[float, float]], zone: str | None, mode: str = "both") -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]},
            "properties": {"id": id_, "mode": mode, **({"zone": zone} if zone else {})}}


NETWORK = {"type": "FeatureCollection", "features": [
    line("direct", [(4.2800, 52.1100), (4.2820, 52.1100), (4.2840, 52.1100)], "plein"),
    line("detour", [(4.2800, 52.1100), (4.2800, 52.1120), (4.2840, 52.1120), (4.2840, 52.1100)], "noord"),
    line("footpath", [(4.2800, 52.1100), (4.2820, 52.1090), (4.2840, 52.1100)], "strand", mode="walk"),
]}
AMBULANCE = Post("amb", "Ambulance", "ambulance", 4.2800, 52.1100)
FIRST_AID = Post("ehbo", "First aid", "first_aid", 4.2800, 52.1100)


def test_shortest_drive_when_all_is_calm() -> None:
    route = access_route(build_network(NETWORK), AMBULANCE, "oost", TARGET, {})
    assert route is not None
    assert route.zones_passed == ["plein"] and route.mode == "drive"
    assert 250 < route.length_m < 300  # 0.004° of longitude at 52° N ≈ 274 m


def test_red_zone_is_avoided_and_orange_is_penalised() -> None:
    graph = build_network(NETWORK)
    around = access_route(graph, AMBULANCE, "oost", TARGET, {"plein": Level.RED})
    assert around is not None and around.zones_passed == ["noord"]
    assert around.avoided == ["plein"] and around.length_m > 650
    # Orange counts three times its length: 3 × 274 m through "plein" costs more than the ~718 m
    # detour, so the detour is taken and the route passes no orange zone.
    busy = access_route(graph, AMBULANCE, "oost", TARGET, {"plein": Level.ORANGE})
    assert busy is not None and busy.zones_passed == ["noord"] and busy.penalised == []


def test_no_route_when_every_way_is_red_and_walkers_use_footpaths() -> None:
    graph = build_network(NETWORK)
    blocked = {"plein": Level.RED, "noord": Level.RED}
    assert access_route(graph, AMBULANCE, "oost", TARGET, blocked) is None  # say so, never route through red
    walk = access_route(graph, FIRST_AID, "oost", TARGET, blocked)
    assert walk is not None and walk.zones_passed == ["strand"] and walk.mode == "walk"


def test_posts_and_geojson_of_a_route() -> None:
    posts = load_posts({"features": [{"geometry": {"type": "Point", "coordinates": [4.28, 52.11]},
                                      "properties": {"id": "p1", "name": "Post 1", "service": "police"}}]})
    assert posts["p1"].mode == "drive"
    route = access_route(build_network(NETWORK), AMBULANCE, "oost", TARGET, {"plein": Level.RED})
    assert route is not None
    feature = route.feature()
    assert feature["geometry"]["type"] == "LineString"
    assert feature["properties"]["avoided_red_zones"] == ["plein"]
