"""The zone-state answer: encoded once per picture version, with an ETag (If-None-Match → 304)
and gzip for clients that accept it; the same content gets the same tag in every worker."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from csm.api import zone_state_answer
from csm.api.app import create_app
from csm.api.state_cache import StateAnswerCache, accepts_gzip, encode_answer, etag_matches
from csm.auth.principal import Principal
from csm.auth.roles import Role
from csm.runtime import Runtime
from tests.conftest import AuthedClient, session_token
from tests.test_ingest_http import item

URL = "/api/v1/sites/tiny/zones/state"


@pytest.fixture
def client(tiny_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(tiny_runtime, web_dist=None)) as test_client:
        yield AuthedClient(test_client, tiny_runtime)  # type: ignore[misc]


def test_an_unchanged_picture_answers_304_and_a_new_version_a_new_tag(client: TestClient,
                                                                       tiny_runtime: Runtime) -> None:
    tiny_runtime.sites["tiny"].picture.refresh()
    first = client.get(URL)
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('"') and first.headers["cache-control"] == "private, no-cache"
    again = client.get(URL, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert client.get(URL, headers={"If-None-Match": f'"other", W/{tag}'}).status_code == 304
    client.post("/api/v1/observations", json=[item(occupancy=1200)])
    tiny_runtime.sites["tiny"].picture.refresh()
    changed = client.get(URL, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert {z["zone_id"]: z["occupancy"] for z in changed.json()["zones"]}["plein"] == 2400


def test_gzip_for_clients_that_accept_it_with_the_same_document(client: TestClient, tiny_runtime: Runtime,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zone_state_answer, "GZIP_MIN_BYTES", 1)  # the tiny site's answer is small
    tiny_runtime.sites["tiny"].picture.refresh()
    plain = client.get(URL, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["vary"] == "Accept-Encoding"
    zipped = client.get(URL, headers={"Accept-Encoding": "br;q=1.0, gzip;q=0.8"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json() == plain.json()  # the client unpacks it
    assert zipped.headers["etag"] == plain.headers["etag"]
    refused = client.get(URL, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_a_zone_scoped_caller_gets_plain_json_of_their_zones(client: TestClient, tiny_runtime: Runtime,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zone_state_answer, "GZIP_MIN_BYTES", 1)
    tiny_runtime.sites["tiny"].picture.refresh()
    token = session_token(tiny_runtime, role="event_organiser", sites=("tiny",), zones={"tiny": ["pier"]})
    answer = client.get(URL, headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and "content-encoding" not in answer.headers
    assert [z["zone_id"] for z in answer.json()["zones"]] == ["pier"]
    everyone = client.get(URL)
    assert everyone.headers["etag"] != answer.headers["etag"]


def test_the_tag_depends_on_the_content_only() -> None:
    document = {"site": "s", "as_of": None, "zones": [{"zone_id": "a", "occupancy": 3}]}
    one, two = encode_answer(document), encode_answer(json.loads(json.dumps(document)))
    assert one.etag == two.etag and one.body == two.body
    assert encode_answer({**document, "as_of": "x"}).etag != one.etag
    assert gzip.decompress(one.gzipped()) == one.body and one.gzipped() is one.gzipped()


@pytest.mark.parametrize(("header", "expected"), [
    (None, False), ("", False), ("gzip", True), ("GZIP", True), ("deflate, gzip;q=0.5", True),
    ("gzip;q=0", False), ("gzip;q=0.0", False), ("*", True), ("br", False), ("gzip;q=nonsense", False),
])
def test_accept_encoding(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


@pytest.mark.parametrize(("header", "expected"), [
    (None, False), ("", False), ('"t"', True), ('W/"t"', True), ('"a", "t"', True), ("*", True), ('"a"', False),
])
def test_if_none_match(header: str | None, expected: bool) -> None:
    assert etag_matches(header, '"t"') is expected


def test_a_callers_answer_is_remembered_per_version_and_never_given_to_another_view(tiny_runtime: Runtime) -> None:
    sr = tiny_runtime.sites["tiny"]
    sr.picture.refresh()
    cache = StateAnswerCache()
    everyone = Principal("anna", Role.MUNICIPALITY, frozenset({"tiny"}))
    organiser = Principal("otto", Role.EVENT_ORGANISER, frozenset({"tiny"}), {"tiny": frozenset({"pier"})})
    assert cache.cached(sr, everyone) is None  # nothing encoded yet
    whole = cache.answer(sr, everyone)
    assert cache.cached(sr, everyone) is whole and cache.cached(sr, everyone) is whole
    assert cache.cached(sr, organiser) is None  # another view: never the whole site's answer
    pier = cache.answer(sr, organiser)
    assert [z["zone_id"] for z in json.loads(pier.body)["zones"]] == ["pier"]
    assert cache.cached(sr, organiser) is pier and cache.cached(sr, everyone) is whole
    assert cache.view_of(organiser, sr.site) == ("pier",) and cache.view_of(everyone, sr.site) == ("*",)
    twin = Principal("anna", Role.MUNICIPALITY, frozenset({"tiny"}))  # equal, another object: the same view
    assert cache.cached(sr, twin) is whole
    sr.picture.refresh()  # a new version: the remembered answer is not given for it
    assert cache.cached(sr, everyone) is None
    assert cache.answer(sr, everyone) is not whole
