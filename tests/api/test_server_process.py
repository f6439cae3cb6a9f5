"""What a serving process sets up once its app has started (`create_app(server_process=True)`):
start-up's objects frozen out of the collector's full passes, and a short thread switch interval
so the event loop is not kept waiting by the picture tick's thread (csm.api.heap, csm.api.gil)."""

from __future__ import annotations

import gc
import sys

from fastapi.testclient import TestClient

from csm.api.app import create_app
from csm.api.gil import SWITCH_INTERVAL_SECONDS
from csm.runtime import Runtime


def test_a_serving_process_freezes_start_up_and_switches_threads_sooner(tiny_runtime: Runtime) -> None:
    before = sys.getswitchinterval()
    try:
        with TestClient(create_app(tiny_runtime, web_dist=None, server_process=True)) as client:
            assert sys.getswitchinterval() == SWITCH_INTERVAL_SECONDS < before
            assert gc.get_freeze_count() > 0
            assert client.get("/healthz").status_code == 200
    finally:
        sys.setswitchinterval(before)
        gc.unfreeze()


def test_an_app_in_tests_leaves_the_interpreter_alone(tiny_runtime: Runtime) -> None:
    before = sys.getswitchinterval()
    with TestClient(create_app(tiny_runtime, web_dist=None)):
        assert sys.getswitchinterval() == before
