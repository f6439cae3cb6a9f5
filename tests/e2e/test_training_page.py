"""A training exercise in real browsers against the real server and the demo site: a trainer starts a
session from the page, injects a surge at the Pier, a trainee (a second browser context) sees the
page marked TRAINING and handles the resulting alert, the trainer jumps back and forth (buttons and
the slider), ends the session, and the debrief shows the trainee's action with its lead time.
Screenshots at 1600×1000, 1024×768 and 390×844 (touch) go to test-artifacts/ (and, with
CSM_DOC_SHOTS=1, to docs/img/)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from csm.auth.roles import Role
from csm.runtime import Runtime
from tests.e2e.conftest import ARTIFACTS, DESKTOP, PHONE, demo_with_accounts, log_in
from tests.e2e.test_control_room import DOC_SHOTS, DOCS_IMG, small_png
from tests.e2e.test_map import axe_violations

pytestmark = pytest.mark.browser

TABLET = {"width": 1024, "height": 768}
SLOW = 90_000  # ms: building a sandbox of the demo day takes seconds on a busy machine


@dataclass
class Exercise:
    base_url: str
    runtime: Runtime
    browser: Any

    def open(self, user: str, device: dict[str, Any], path: str) -> Any:
        page = log_in(self.browser, self.base_url, user, device)
        page.wait_for_url(re.compile(r".*/$|.*/\?.*"), timeout=30_000)
        page.goto(f"{self.base_url}{path}")
        page.wait_for_selector("#training-badge", timeout=SLOW)
        return page


@pytest.fixture(scope="module")
def exercise(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exercise]:
    accounts = {"trainer": (Role.MUNICIPALITY, None), "trainee": (Role.EMERGENCY_SERVICES, None)}
    with demo_with_accounts(tmp_path_factory, "training", accounts, tune=False) as (base_url, runtime, browser):
        yield Exercise(base_url, runtime, browser)


def shot(page: Any, name: str) -> None:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if DOC_SHOTS:
        small_png(path, DOCS_IMG / f"{name}.png")


def marked_training(page: Any, clock: bool = True) -> None:
    """Every view: the badge, the striped frame, TRAINING in the title and (in a session) its clock."""
    assert page.locator("#training-badge").inner_text() == "TRAINING"
    assert page.locator(".training-frame").is_visible()
    page.wait_for_function("() => document.title.startsWith('TRAINING ')", timeout=SLOW)
    if clock:
        page.wait_for_function(
            "() => /session clock \\w{3},? \\d+ \\w{3},? \\d\\d:\\d\\d/.test("
            "document.getElementById('training-clock').textContent)", timeout=SLOW)


def map_shows_the_table(page: Any, pier: str | None = None) -> None:
    """The 3D map draws every zone at the level the sandbox's zone table gives it (and the Pier at
    `pier`, when given): the session's levels, not live ones."""
    if pier is not None:
        page.wait_for_selector(f"#training-zones tr[data-zone='pier'] .level-chip:has-text('{pier}')", timeout=SLOW)
    page.wait_for_function("""() => {
        const drawn = JSON.parse(document.getElementById('map').dataset.levels || '{}');
        const rows = [...document.querySelectorAll('#training-zones tbody tr')];
        const level = (r) => r.querySelector('.level-chip').textContent.trim().split(' ').pop();  // after its mark
        return rows.length > 0 && rows.every((r) => drawn[r.dataset.zone] === level(r));
    }""", timeout=SLOW)
    page.wait_for_selector("#map.training-map[data-map-idle]", timeout=SLOW)  # drawn, zones and all


def clock_reads(page: Any, hhmm: str) -> None:
    page.wait_for_function(f"() => document.getElementById('training-clock').textContent.includes('{hhmm}')",
                           timeout=SLOW)


def test_a_trainer_runs_an_exercise_a_trainee_handles_it_and_the_debrief_shows_the_lead_time(
    exercise: Exercise
) -> None:
    trainer = exercise.open("e2e-trainer", DESKTOP, "/?training")
    marked_training(trainer, clock=False)
    trainer.fill("#training-start input[name=start]", "14:00")
    trainer.click("#training-start button[type=submit]")
    trainer.wait_for_url(re.compile(r".*\?training=\w+"), timeout=SLOW)
    trainer.wait_for_selector("#training-inject", timeout=SLOW)
    session_url = trainer.url.removeprefix(exercise.base_url)
    clock_reads(trainer, "14:00")

    trainer.select_option("#incident-kind", "surge")
    trainer.select_option("#incident-zone", "pier")
    trainer.fill("#incident-factor", "3")
    trainer.click("#training-inject button[type=submit]")
    trainer.wait_for_selector("#training-incidents li:has-text('surge at pier')", timeout=SLOW)
    trainer.click("button[data-jump='5']")
    clock_reads(trainer, "14:05")

    trainee = exercise.open("e2e-trainee", DESKTOP, session_url)
    marked_training(trainee)
    assert trainee.locator("#training-tabs button").all_inner_texts() == ["Alerts and zones"]
    orange = trainee.locator("li.training-alert[data-zone='pier']:has(.level-chip:has-text('orange'))")
    orange.wait_for(timeout=SLOW)
    # The sandbox's levels on the site's 3D map (buildings and all), as on the live page.
    trainee.wait_for_selector("#map.training-map canvas.maplibregl-canvas", timeout=SLOW)
    map_shows_the_table(trainee)
    assert axe_violations(trainee) == [], "trainee view with the map"
    orange.locator("button[data-step='ack']").click()
    trainee.wait_for_selector("li.training-alert[data-zone='pier'].status-acknowledged", timeout=SLOW)
    trainer.wait_for_selector("#training-feed li[data-type='action']:has-text('acknowledged')", timeout=SLOW)
    assert "e2e-trainee" in trainer.locator("#training-feed li[data-type='action']").first.inner_text()
    shot(trainee, "training-trainee-1600")
    shot(trainer, "training-console-1600")

    trainer.click("button[data-jump='5']")  # ahead to 14:10: the Pier turned red at 14:07
    clock_reads(trainer, "14:10")
    trainee.wait_for_selector("li.training-alert[data-zone='pier']:has(.level-chip:has-text('red'))", timeout=SLOW)
    map_shows_the_table(trainee, pier="red")
    trainer.click("button[data-jump='-5']")  # back to 14:05: the day is replayed, red not yet
    clock_reads(trainer, "14:05")
    trainer.wait_for_selector("#training-feed li[data-type='rewind']", timeout=SLOW)
    trainee.wait_for_selector("li.training-alert[data-zone='pier']:has(.level-chip:has-text('red'))",
                              state="detached", timeout=SLOW)
    assert trainee.locator("li.training-alert[data-zone='pier'].status-acknowledged").count() == 1  # kept
    # ... and forward again with the slider, to 14:10.
    trainer.eval_on_selector("#training-slider", """(slider) => {
        slider.value = String(Number(slider.value) + 5 * 60000);
        slider.dispatchEvent(new Event('input')); slider.dispatchEvent(new Event('change')); }""")
    clock_reads(trainer, "14:10")
    trainee.wait_for_selector("li.training-alert[data-zone='pier']:has(.level-chip:has-text('red'))", timeout=SLOW)

    for page, name in ((trainer, "training-console"), (trainee, "training-trainee")):
        page.set_viewport_size(TABLET)
        page.wait_for_timeout(300)
        shot(page, f"{name}-1024")
        page.set_viewport_size(DESKTOP["viewport"])
    phone_trainee = exercise.open("e2e-trainee", PHONE, session_url)
    phone_trainee.wait_for_selector("li.training-alert", timeout=SLOW)
    map_shows_the_table(phone_trainee, pier="red")
    marked_training(phone_trainee)
    assert phone_trainee.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(phone_trainee, "training-trainee-390")
    phone_trainer = exercise.open("e2e-trainer", PHONE, session_url)
    phone_trainer.wait_for_selector("#training-inject", timeout=SLOW)
    assert phone_trainer.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(phone_trainer, "training-console-390")

    trainer.once("dialog", lambda dialog: dialog.accept())
    trainer.click("#training-end")
    trainer.wait_for_selector("#debrief", timeout=SLOW)
    ack = trainer.locator("#training-main tr[data-action='acknowledged']")
    assert ack.count() == 1
    row = ack.inner_text()
    assert "e2e-trainee" in row and "+2 min (red at 14:07)" in row, row
    shot(trainer, "training-debrief-1600")
    trainer.set_viewport_size(TABLET)
    trainer.wait_for_timeout(300)
    shot(trainer, "training-debrief-1024")

    # The trainee's page turns to the debrief once the session has ended (theirs to read too).
    trainee.wait_for_selector("#debrief", timeout=SLOW)
    marked_training(trainee)
    assert "+2 min" in trainee.locator("tr[data-action='acknowledged']").inner_text()
    phone_trainee.wait_for_selector("#debrief", timeout=SLOW)
    assert phone_trainee.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(phone_trainee, "training-debrief-390")
    for page in (trainer, trainee, phone_trainee, phone_trainer):
        assert not page.errors, page.errors
