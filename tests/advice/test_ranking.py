"""Advice from constructed forecasts: what to start now, ranked, with the reason."""

from __future__ import annotations

from datetime import timedelta

from csm.advice.crossings import predicted_crossings
from csm.advice.playbook import load_playbook
from csm.advice.ranking import START_NOW, UPCOMING, rank_advice, triggers_from
from csm.domain.advice import AdviceItem
from csm.domain.model import Level
from csm.site.model import Site
from tests.advice.conftest import NOW, forecast


def advise(site: Site, p50: dict[str, list[float]], current: dict[str, Level]) -> list[AdviceItem]:
    levels = {z: (lvl, NOW - timedelta(minutes=20)) for z, lvl in current.items()}
    crossings = predicted_crossings(forecast(p50, spread=0.1), site.zones, NOW, current)
    return rank_advice(site, load_playbook(site), triggers_from(levels, crossings, NOW), NOW,
                       {"zuid": ["cam-zuid"]})


def test_lead_times_decide_what_starts_now(mini_site: Site) -> None:
    # Zuid: orange (1110) from 11:30 UTC (+30 min), red (2000) from 12:00 UTC (+60 min), sure.
    advice = advise(mini_site, {"zuid": [800, 1300, 1500, 2400, 2600, 2600]}, {"zuid": Level.YELLOW})
    by_id = {a.measure_id: a for a in advice}
    # police 60 min → start by 11:00 = now; traffic controllers 45 → 10:45 (late already);
    # BOA 30 → 11:30 (within the 30 upcoming minutes); closing access 15 → 11:45: not yet.
    assert by_id["police"].status == START_NOW and by_id["police"].start_by == NOW
    assert by_id["traffic-controllers"].status == START_NOW
    assert by_id["boa"].status == UPCOMING and by_id["boa"].start_by == NOW + timedelta(minutes=30)
    assert "close-access" not in by_id
    assert by_id["city-hosts"].trigger == "current"  # yellow holds already
    assert [a.measure_id for a in advice] == ["police", "traffic-controllers", "city-hosts", "boa"]


def test_reason_names_zone_time_probability_and_sources(mini_site: Site) -> None:
    advice = advise(mini_site, {"zuid": [800, 1300, 1500, 2400, 2600, 2600]}, {"zuid": Level.YELLOW})
    police = next(a for a in advice if a.measure_id == "police")
    assert police.zone_id == "zuid" and police.owner == "police"
    assert police.expected_at == NOW + timedelta(minutes=60) and police.probability > 0.9
    assert "Boulevard Zuid expected to reach red at 14:00" in police.reason  # local time
    assert "start by 13:00" in police.reason
    assert police.sources == ("forecast", "cam-zuid")
    body = police.model_dump(mode="json")
    assert {"measure", "owner", "zone_id", "start_by", "reason", "probability"} <= set(body)


def test_higher_level_then_likelier_first(mini_site: Site) -> None:
    # Noord: certainly orange in 45 min; zuid: maybe red in 60 min (p50 just below 2000).
    advice = advise(mini_site, {"noord": [900, 1000, 1500, 1500], "zuid": [900, 1000, 1100, 1950]}, {})
    start_now = [a for a in advice if a.status == START_NOW]
    assert start_now[0].measure_id == "police" and start_now[0].probability < 0.6
    orange = [a for a in start_now if a.level is Level.ORANGE]
    assert [a.measure_id for a in orange] == ["extra-trams", "traffic-controllers"]  # same level:
    assert orange[0].probability >= orange[1].probability  # likelier first, then earlier start


def test_one_advice_per_measure_naming_the_most_urgent_zone(mini_site: Site) -> None:
    advice = advise(mini_site, {"noord": [900, 1200, 1300], "zuid": [1200, 1300, 1300]}, {})
    controllers = [a for a in advice if a.measure_id == "traffic-controllers"]
    assert len(controllers) == 1
    assert controllers[0].zone_id == "zuid" and controllers[0].zones == ("noord", "zuid")


def test_current_level_triggers_its_measures_and_those_below(mini_site: Site) -> None:
    advice = advise(mini_site, {}, {"noord": Level.ORANGE})
    assert {a.measure_id for a in advice} == {"city-hosts", "traffic-controllers", "extra-trams"}
    assert all(a.status == START_NOW and a.probability == 1.0 and a.trigger == "current" for a in advice)
    assert advice[0].level is Level.ORANGE and "is orange since 12:40" in advice[0].reason
    assert advise(mini_site, {}, {"noord": Level.GREEN}) == []
