"""Issue 12 item 2: 20 forms × 5 places of personal data are refused and stored nowhere — not in
observations, dead letters (payload, field, detail), answers, logs or metric labels — on both stores."""

from __future__ import annotations

import logging

import pytest

from csm.ingest.privacy import find_personal_data, redacted_shape
from csm.runtime import Runtime
from tests.conftest import NOON, AuthedClient
from tests.hardening.items import good
from tests.hardening.pii import FORMS, PLACES, leaks


def test_every_form_in_every_place_is_refused_and_kept_nowhere(
    http: AuthedClient, store_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    problems: list[str] = []
    minute = 2
    for form_name, form in FORMS.items():
        for place, build in PLACES.items():
            minute += 1
            neighbour = good(minutes_ago=minute + 200)
            response = http.post("/api/v1/observations", json=[build(form), neighbour])
            body = response.json()  # type: ignore[attr-defined]
            where = f"{form_name} as {place}"
            if response.status_code != 200 or body.get("accepted") != 1:  # type: ignore[attr-defined]
                problems.append(f"{where}: answered {response.status_code} {body}")  # type: ignore[attr-defined]
                continue
            (rejection,) = body["rejected"]
            if rejection["reason"] != "personal_data":
                problems.append(f"{where}: refused as {rejection['reason']}, not personal_data")
            if leaks(form, response.text):  # type: ignore[attr-defined]
                problems.append(f"{where}: the answer repeats it")
    letters = store_runtime.store.list_dead_letters("tiny", limit=1000)
    assert len(letters) == len(FORMS) * len(PLACES)
    kept = "\n".join(f"{d.payload}\t{d.field}\t{d.detail}" for d in letters)
    observations = store_runtime.store.observations_frame("tiny", NOON.replace(year=2020), NOON)
    assert len(observations) == len(FORMS) * len(PLACES)
    stored = observations.to_csv()
    metrics = http.get("/metrics").text  # type: ignore[attr-defined]
    for form_name, form in FORMS.items():
        for what, text in (("dead letters", kept), ("observations", stored), ("logs", caplog.text),
                           ("metrics", metrics)):
            if leaks(form, text):
                problems.append(f"{form_name}: found in {what}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("form_name", sorted(FORMS))
def test_detector_finds_each_form_alone_and_inside_text(form_name: str) -> None:
    form = FORMS[form_name]
    assert find_personal_data({"x": form}) is not None
    assert find_personal_data({"x": f"seen {form} at the pier"}) is not None
    assert find_personal_data({form: 1}) is not None
    shape = redacted_shape({"note": f"seen {form} at the pier", form: [form]})
    assert not leaks(form, str(shape)), shape


def test_the_demo_site_configuration_is_not_personal_data() -> None:
    """No false alarm on real ids, even unscanned by trust: every sensor id of the demo site passes."""
    from csm.site.loader import load_site
    from tests.conftest import DEMO_SITE

    site = load_site(DEMO_SITE)
    flagged = [s for s in site.sensors if find_personal_data({"sensor_id": s}) is not None]
    assert flagged == []


def test_ordinary_values_are_not_personal_data() -> None:
    ordinary = {"sensor_id": "cam-boulevard-kurhaus-1", "interval_start": "2026-07-18T13:00:00+02:00",
                "interval_seconds": 60, "counts": {"in": 12, "out": 7, "occupancy": 812, "visitors": 4300}}
    assert find_personal_data(ordinary) is None
    assert find_personal_data({"interval_start": "2026-07-18 13:00:00"}) is None
    assert redacted_shape(ordinary) == ordinary
