"""Property-based and fuzz tests of the inputs: no input crashes ingest, no request gives a 5xx."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csm.api.app import create_app
from csm.clock import FixedClock
from csm.ingest.validate import ItemError, validate_item
from csm.runtime import build_runtime
from csm.site.loader import load_site
from tests.conftest import NOON, TEST_SECRET, TINY_SITE, TINY_ZONES, ingest_token, session_token, write_site

os.environ.setdefault("CSM_SECRET_KEY", TEST_SECRET)
_FOLDER = write_site(Path(tempfile.mkdtemp(prefix="csm-fuzz-")) / "tiny", TINY_SITE, TINY_ZONES)
SITE = load_site(_FOLDER)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=12,
)
plausible_items = st.fixed_dictionaries(
    {
        "sensor_id": st.sampled_from(["cam-a", "lc-b", "est-c", "nope", ""]),
        "interval_start": st.one_of(
            st.datetimes(min_value=NOON.replace(tzinfo=None) - timedelta(days=9),
                         max_value=NOON.replace(tzinfo=None) + timedelta(hours=1)).map(lambda d: d.isoformat()),
            st.text(max_size=25),
        ),
        "counts": st.dictionaries(st.sampled_from(["in", "out", "occupancy", "visitors", "x"]),
                                  st.one_of(st.integers(-5, 10**7), st.floats(), st.text(max_size=5)),
                                  max_size=3),
    },
    optional={"interval_seconds": st.integers(-10, 2000), "metric": st.text(max_size=8)},
)


@given(st.one_of(json_values, plausible_items))
@settings(max_examples=400, deadline=None)
def test_validation_never_fails_other_than_with_a_reason(item: Any) -> None:
    try:
        observations = validate_item(item, SITE, NOON, timedelta(days=7))
    except ItemError as error:
        assert error.reason and error.detail
        return
    for observation in observations:
        assert observation.value >= 0 and observation.sensor_id in SITE.sensors
        assert observation.interval_start.tzinfo is not None


_RUNTIME = build_runtime([_FOLDER], f"duckdb:{_FOLDER.parent / 'fuzz.duckdb'}", clock=FixedClock(NOON))
_ADMIN = session_token(_RUNTIME)
_FEED = ingest_token("tiny")
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_RUNTIME, web_dist=None))


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case: Any) -> None:
    token = _FEED if case.path == "/api/v1/observations" else _ADMIN
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:300]}"
