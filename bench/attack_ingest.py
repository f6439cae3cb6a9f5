"""Ingest probes of the attack run (issue 12): malformed items, unusable bodies, personal data,
batch caps, bounded dead letters, CSV, MQTT poison and topic checks, and reads while ingest
refuses at full speed — against a live `csm serve`.

`run_probes(target)` is called by `bench/attack.py`; on its own:

    python bench/attack_ingest.py --base-url http://127.0.0.1:8000 --token INGEST_TOKEN \\
        --admin-token ADMIN_TOKEN --site-dir sites/scheveningen [--mqtt 127.0.0.1:1883 \\
        --mqtt-user U --mqtt-password P] [--flood-seconds 5]

Every probe checks the server from the outside only: a valid neighbour counts as stored when
re-sending it is answered as a duplicate, and a form of personal data counts as kept when it
appears in an answer, in `GET /api/v1/deadletters` or in `/metrics`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from attack_common import AttackTarget, MqttTarget, ProbeResult
from csm.domain.model import METRICS_BY_KIND
from csm.ingest.limits import DEAD_LETTERS_PER_BATCH, MAX_ITEMS_PER_BATCH
from csm.site.loader import load_site

READ_BUDGET_MS = 100.0  # reads may slow by at most this much (p95) while ingest refuses

PERSONAL_DATA = [
    "jan.jansen@example.nl", "+31 6 12345678", "0612345678", "06-12345678", "+44 20 7946 0958",
    "Jan de Vries", "192.168.10.23", "2001:db8::8a2e:370:7334", "a4:5e:60:e8:12:01", "a45e60e81201",
    "490154203237518", "35-209900-176148-1", "204081234567890", "NL91ABNA0417164300", "111222333",
    "12-ABC-3", "ab-123-c", "1-abc-234", "AB12 CDE", "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
]
DEEP = 100_000


class Feed:
    """What a legitimate sensor of the target writes, with a fresh interval for every item.

    A plain class: bench/attack.py loads this file without registering it as a module, which
    dataclasses cannot cope with."""

    def __init__(self, sensor_id: str, metric: str, seconds: int, offsets: Iterator[int]) -> None:
        self.sensor_id = sensor_id
        self.metric = metric
        self.seconds = seconds
        self._offsets = offsets

    def item(self, value: float = 1) -> dict[str, Any]:
        now = datetime.now(UTC)
        aligned = int(now.timestamp()) // self.seconds * self.seconds
        start = datetime.fromtimestamp(aligned - self.seconds * next(self._offsets), UTC)
        return {"sensor_id": self.sensor_id, "interval_start": start.isoformat().replace("+00:00", "Z"),
                "interval_seconds": self.seconds, "counts": {self.metric: value}}


class Probes:
    def __init__(self, target: AttackTarget) -> None:
        self.target = target
        site = load_site(target.site_dir)
        known = [site.sensors[s] for s in target.sensor_ids if s in site.sensors]
        sensor = next((s for s in known if s.interval_seconds <= 60), known[0])
        # Start well back in time and walk further back: no probe collides with live feeds.
        offsets = count(int(uuid.uuid4().int % 500) + 600)
        self.feed = Feed(sensor.id, sorted(METRICS_BY_KIND[sensor.kind])[0], sensor.interval_seconds, offsets)
        self.other_sensor = next(s for s in site.sensors if s != sensor.id)
        self.http = httpx.Client(base_url=target.base_url, timeout=60)
        self.ingest_headers = {"Authorization": f"Bearer {target.ingest_token}"}
        self.admin_headers = {"Authorization": f"Bearer {target.admin_token}"}

    # -- plumbing ------------------------------------------------------------------------------
    def post(self, body: bytes, content_type: str = "application/json") -> httpx.Response:
        """POST to the ingest route, waiting out the per-client rate limit (429) like a sensor would."""
        for _ in range(10):
            response = self.http.post(f"/api/v1/observations?site={self.target.site_id}", content=body,
                                      headers={**self.ingest_headers, "content-type": content_type})
            if response.status_code != 429:
                break
            time.sleep(float(response.headers.get("retry-after", "1")))
        return response

    def stored(self, items: list[dict[str, Any]]) -> bool:
        """True when every item is already stored (re-sending it yields only duplicates)."""
        answer = self.post(json.dumps(items).encode())
        return answer.status_code == 200 and answer.json().get("duplicates") == len(items)

    def dead_letters(self, limit: int = 10_000) -> list[dict[str, Any]]:
        response = self.http.get("/api/v1/deadletters", params={"site": self.target.site_id, "limit": limit},
                                 headers=self.admin_headers)
        response.raise_for_status()
        return list(response.json())

    # -- HTTP ----------------------------------------------------------------------------------
    def malformed_items(self) -> ProbeResult:
        tried = held = 0
        failures = []
        for name, bad in malformed_items(self.feed).items():
            neighbours = [self.feed.item(), self.feed.item()]
            body = f"[{json.dumps(neighbours[0])}, {bad}, {json.dumps(neighbours[1])}]".encode()
            tried += 1
            response = self.post(body)
            if response.status_code == 200 and self.stored(neighbours):
                held += 1
            else:
                failures.append(f"{name}: {response.status_code}")
        return ProbeResult("ingest: malformed item among valid ones (HTTP)", tried, held, "; ".join(failures))

    def unusable_bodies(self) -> ProbeResult:
        bodies = {
            "empty": b"", "not JSON": b"\xff\xfe{not json", "null": b"null", "number": b"5",
            "observations not a list": b'{"observations": 5}', "deep": b"[" * DEEP + b"]" * DEEP,
            "huge integer": b"9" * 6000,
        }
        failures = [f"{name}: {r.status_code}" for name, body in bodies.items()
                    if not 400 <= (r := self.post(body)).status_code < 500]
        return ProbeResult("ingest: unusable body answers 4xx (HTTP)", len(bodies), len(bodies) - len(failures),
                           "; ".join(failures))

    def personal_data(self) -> ProbeResult:
        tried = held = 0
        failures = []
        for form in PERSONAL_DATA:
            for place, item in placements(self.feed, form).items():
                tried += 1
                response = self.post(json.dumps([item]).encode())
                answer = response.json() if response.status_code < 500 else {}
                refused = [r.get("reason") for r in answer.get("rejected", [])] == ["personal_data"]
                if refused and form not in response.text:
                    held += 1
                else:
                    failures.append(f"{form!r} as {place}")
        kept = json.dumps(self.dead_letters())
        metrics = self.http.get("/metrics", headers=self.admin_headers).text
        leaked = [form for form in PERSONAL_DATA if form in kept or json.dumps(form)[1:-1] in kept or form in metrics]
        held -= len(leaked) * 5
        failures += [f"{form!r} kept in dead letters or metrics" for form in leaked]
        return ProbeResult("privacy: 20 forms × 5 places refused, kept nowhere (HTTP)", tried, max(held, 0),
                           "; ".join(failures[:5]))

    def batch_cap(self) -> ProbeResult:
        failures = []
        started = time.perf_counter()
        million = self.post(b"[" + b",".join([b"{}"] * 1_000_000) + b"]")
        seconds = time.perf_counter() - started
        if million.status_code != 413 or seconds > 5:
            failures.append(f"a million {{}} items: {million.status_code} after {seconds:.1f}s")
        over = self.post(json.dumps([self.feed.item()] * (MAX_ITEMS_PER_BATCH + 1)).encode())
        if over.status_code != 413:
            failures.append(f"{MAX_ITEMS_PER_BATCH + 1} items: {over.status_code}")
        return ProbeResult("DoS: batch over the item cap answered 413 at once", 2, 2 - len(failures),
                           f"a million {{}} refused in {seconds * 1000:.0f} ms; " + "; ".join(failures))

    def dead_letter_bound(self) -> ProbeResult:
        before = max((d["id"] for d in self.dead_letters(limit=1)), default=0)
        refused = [{"sensor_id": self.feed.sensor_id}] * 5000
        response = self.post(json.dumps(refused).encode())
        added = [d for d in self.dead_letters(limit=DEAD_LETTERS_PER_BATCH * 4) if d["id"] > before]
        ok = response.status_code == 422 and len(added) <= DEAD_LETTERS_PER_BATCH + 1
        return ProbeResult("DoS: dead letters per batch bounded (first N + one summary)", 1, int(ok),
                           f"5000 refused items → {len(added)} dead letters")

    def csv_rows(self) -> ProbeResult:
        header = "sensor_id,interval_start,interval_seconds,metric,value\n"
        cases: dict[str, tuple[Callable[[], bytes], int]] = {}

        def good_row() -> str:
            item = self.feed.item()
            return f"{item['sensor_id']},{item['interval_start']},{self.feed.seconds},{self.feed.metric},3\n"

        bad_rows = ["x,0001-01-01T00:00:00,60,occupancy,5\n", f"{self.feed.sensor_id},9999-12-31T23:59:00,60,x,1\n",
                    f"{self.feed.sensor_id},{self.feed.item()['interval_start']},60,{self.feed.metric},{'9' * 5000}\n",
                    "caméra,2026-01-01T00:00:00,60,occupancy,1\n"]
        for index, bad in enumerate(bad_rows):
            cases[f"bad row {index} (utf-8)"] = (lambda bad=bad: (header + good_row() + bad).encode("utf-8"), 200)
            cases[f"bad row {index} (latin-1)"] = (lambda bad=bad: (header + good_row() + bad).encode("latin-1"), 200)
        cases["byte-order mark"] = (lambda: b"\xef\xbb\xbf" + (header + good_row()).encode(), 200)
        cases["extra column"] = (
            lambda: (header.strip() + ",phone\n" + good_row().strip() + ",0612345678\n").encode(), 422
        )
        failures = []
        for name, (build, expected) in cases.items():
            response = self.post(build(), "text/csv")
            if response.status_code != expected or "0612345678" in response.text:
                failures.append(f"{name}: {response.status_code}")
        return ProbeResult("CSV: per-row refusals, Latin-1, BOM, extra columns", len(cases),
                           len(cases) - len(failures), "; ".join(failures))

    # -- MQTT ----------------------------------------------------------------------------------
    def mqtt_client(self, broker: MqttTarget) -> mqtt.Client:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"attack-{uuid.uuid4().hex[:8]}")
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        client.connect(broker.host, broker.port)
        client.loop_start()
        return client

    def topic(self, sensor: str) -> str:
        return f"csm/{self.target.site_id}/sensors/{sensor}/counts"

    def mqtt_poison(self, broker: MqttTarget) -> list[ProbeResult]:
        client = self.mqtt_client(broker)
        try:
            pairs = []
            own_topic = self.topic(self.feed.sensor_id)
            for bad in malformed_items(self.feed).values():
                neighbour = self.feed.item()
                client.publish(own_topic, bad.encode(), qos=1).wait_for_publish(10)
                client.publish(own_topic, json.dumps(neighbour).encode(), qos=1).wait_for_publish(10)
                pairs.append(neighbour)
            ghost, other = self.feed.item(), self.feed.item()
            client.publish(self.topic("ghost-sensor"), json.dumps(ghost).encode(), qos=1).wait_for_publish(10)
            client.publish(self.topic(self.other_sensor), json.dumps(other).encode(), qos=1).wait_for_publish(10)
            pii_topic = self.topic("jan.jansen@example.nl")
            client.publish(pii_topic, json.dumps(self.feed.item()).encode(), qos=1).wait_for_publish(10)
        finally:
            client.loop_stop()
            client.disconnect()
        deadline = time.monotonic() + 30
        held = 0
        while time.monotonic() < deadline:
            held = sum(self.stored([n]) for n in pairs)
            if held == len(pairs):
                break
            time.sleep(1)
        # The topic checks: neither item may have been stored, so sending them now is accepted.
        answer = self.post(json.dumps([ghost, other]).encode()).json()
        topic_held = answer.get("accepted", 0)
        kept = json.dumps(self.dead_letters())
        return [
            ProbeResult("ingest: malformed message among valid ones (MQTT)", len(pairs), held),
            ProbeResult("ingest: topic sensor not in the site / not the payload's (MQTT)", 2, topic_held),
            ProbeResult("privacy: personal data in an MQTT topic kept nowhere", 1,
                        int("jan.jansen@example.nl" not in kept)),
        ]

    # -- responsiveness ------------------------------------------------------------------------
    def reads_under_refusal_flood(self, seconds: float) -> ProbeResult:
        reader = httpx.Client(base_url=self.target.base_url, timeout=30)
        state = f"/api/v1/sites/{self.target.site_id}/zones/state"

        def sample(n: int) -> list[float]:
            took = []
            for _ in range(n):
                for path, headers in (("/readyz", {}), (state, self.admin_headers)):
                    started = time.perf_counter()
                    reader.get(path, headers=headers)
                    took.append((time.perf_counter() - started) * 1000)
                time.sleep(0.05)
            return took

        baseline = sample(20)
        stop = threading.Event()
        sent = [0]
        refused_batch = json.dumps([{"sensor_id": "nope"}] * MAX_ITEMS_PER_BATCH).encode()

        def flood() -> None:
            with httpx.Client(base_url=self.target.base_url, timeout=60) as client:
                while not stop.is_set():
                    client.post(f"/api/v1/observations?site={self.target.site_id}", content=refused_batch,
                                headers={**self.ingest_headers, "content-type": "application/json"})
                    sent[0] += 1

        threads = [threading.Thread(target=flood, daemon=True) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        loaded: list[float] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            loaded += sample(5)
        stop.set()
        for thread in threads:
            thread.join(60)
        reader.close()
        base95, load95 = _p95(baseline), _p95(loaded)
        ok = load95 - base95 < READ_BUDGET_MS
        return ProbeResult(
            "DoS: /readyz and reads responsive while ingest refuses", 1, int(ok),
            f"p95 {base95:.0f} → {load95:.0f} ms over {len(loaded)} reads; "
            f"{sent[0]} batches of {MAX_ITEMS_PER_BATCH} refused items sent",
        )


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def malformed_items(feed: Feed) -> dict[str, str]:
    """Items whose validation used to raise; each is JSON text (some no json.dumps can write)."""

    def with_raw(field: str, raw: str) -> str:
        item = {k: v for k, v in feed.item().items() if k != field}
        return json.dumps(item)[:-1] + f', "{field}": {raw}}}'

    long_form = {k: v for k, v in feed.item().items() if k != "counts"}
    return {
        "metric as list": json.dumps({**long_form, "metric": [feed.metric], "value": 3}),
        "metric as object": json.dumps({**long_form, "metric": {"a": 1}, "value": 3}),
        "5000-digit integer": with_raw("counts", f'{{"{feed.metric}": {"7" * 5000}}}'),
        "10**400": with_raw("counts", f'{{"{feed.metric}": 1{"0" * 400}}}'),
        "year 0001": with_raw("interval_start", '"0001-01-01T00:00:00Z"'),
        "year 9999": with_raw("interval_start", '"9999-12-31T23:59:00"'),
        "nested 60 deep": with_raw("counts", f'{{"{feed.metric}": {"[" * 60}{"]" * 60}}}'),
        "nested beyond the parser": "[" * DEEP + "]" * DEEP,
        "NUL in sensor id": with_raw("sensor_id", '"cam\\u0000x"'),
        "lone surrogate": with_raw("sensor_id", '"cam\\ud800"'),
    }


def placements(feed: Feed, form: str) -> dict[str, dict[str, Any]]:
    base = feed.item()
    long_form = {k: v for k, v in base.items() if k != "counts"}
    return {
        "field value": {**long_form, "metric": feed.metric, "value": form},
        "nested value": {**base, "counts": {feed.metric: {"seen": [form]}}},
        "field name": {**base, form: 1},
        "metric name": {**base, "counts": {form: 3}},
        "sensor id": {**base, "sensor_id": form},
    }


def run_probes(target: AttackTarget) -> list[ProbeResult]:
    """Every ingest probe against the live target; `extra["flood_seconds"]` bounds the flood (5 s)."""
    probes = Probes(target)
    try:
        results = [probes.malformed_items(), probes.unusable_bodies(), probes.personal_data(),
                   probes.batch_cap(), probes.dead_letter_bound(), probes.csv_rows()]
        if target.mqtt is not None:
            results += probes.mqtt_poison(target.mqtt)
        results.append(probes.reads_under_refusal_flood(float(target.extra.get("flood_seconds", "5"))))
        return results
    finally:
        probes.http.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True, help="an ingest token of the site")
    parser.add_argument("--admin-token", required=True, help="a session token of an administrator")
    parser.add_argument("--site-dir", type=Path, required=True)
    parser.add_argument("--store", default="", help="the server's store URL (informational)")
    parser.add_argument("--mqtt", help="HOST:PORT of the broker the server ingests from")
    parser.add_argument("--mqtt-user")
    parser.add_argument("--mqtt-password")
    parser.add_argument("--flood-seconds", default="5")
    args = parser.parse_args()
    site = load_site(args.site_dir)
    broker = None
    if args.mqtt:
        host, _, port = args.mqtt.rpartition(":")
        broker = MqttTarget(host or "127.0.0.1", int(port), args.mqtt_user, args.mqtt_password)
    target = AttackTarget(
        base_url=args.base_url, site_id=site.id, site_dir=args.site_dir, store_url=args.store,
        admin_token=args.admin_token, ingest_token=args.token, sensor_ids=tuple(site.sensors),
        mqtt=broker, extra={"flood_seconds": args.flood_seconds},
    )
    results = run_probes(target)
    width = max(len(r.probe) for r in results)
    print(f"{'probe':<{width}}  tried  held  detail")
    for r in results:
        print(f"{r.probe:<{width}}  {r.tried:>5}  {r.held:>4}  {'' if r.ok else 'FAILED '}{r.detail}")
    sys.exit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main()
