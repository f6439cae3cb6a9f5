"""Play the simulated day: seed the history archive, backfill this morning, then feed live.

Live readings travel like real ones: over the in-process bus (embedded default) or over MQTT
(`--mqtt`), and always through the one ingest path.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date, datetime, time, timedelta

import pandas as pd

from csm.demo.simulator import DaySimulator, daily_temperature
from csm.domain.levels import level_for_density
from csm.ingest.mqtt import counts_topic
from csm.picture.nowcast import last_reset
from csm.picture.service import floor_time
from csm.runtime import BackgroundJob, Runtime, SiteRuntime

log = logging.getLogger(__name__)
FEED_TOPIC = "sensor-feed"


def demo_start(site_runtime: SiteRuntime, day: str | None, start: str | None) -> datetime:
    demo = site_runtime.site.config.demo or {}
    the_day = date.fromisoformat(day or str(demo.get("date", date.today().isoformat())))
    the_time = time.fromisoformat(start or str(demo.get("start", "09:00")))
    return datetime.combine(the_day, the_time, tzinfo=site_runtime.site.tz)


def seed_history(site_runtime: SiteRuntime, sim: DaySimulator, before: datetime, days: int) -> int:
    """Write `days` of past zone occupancy (the archive a city would import) up to the counters'
    reset on `before`'s day, from where the backfill through ingest takes over."""
    site = site_runtime.site
    step = site_runtime.picture.history_step
    first_day = before.astimezone(site.tz).date() - timedelta(days=days)
    stop = last_reset(before, site.defaults.line_counter_reset, site)
    rows = []
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        temperature = daily_temperature(day)
        moment = datetime.combine(day, time(0), tzinfo=site.tz)
        end = min(datetime.combine(day + timedelta(days=1), time(0), tzinfo=site.tz), stop)
        while moment < end:
            for zone in site.zones.values():
                occupancy = sim.truth(zone.id, moment, temperature)
                density = occupancy / zone.walkable_area_m2
                level = level_for_density(density, zone.thresholds, occupancy, zone.capacity)
                rows.append((zone.id, moment, occupancy, density, level.value, False))
            moment += step
    frame = pd.DataFrame(rows, columns=["zone_id", "ts", "occupancy", "density", "level", "stale"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return site_runtime.picture.store.write_zone_history(site.id, frame)


def backfill_until(site_runtime: SiteRuntime, sim: DaySimulator, start: datetime) -> int:
    """Feed every reading from this morning's counter reset up to `start` through ingest."""
    site = site_runtime.site
    reset = last_reset(start, site.defaults.line_counter_reset, site)
    items = sim.items_between(reset.astimezone(start.tzinfo), start)
    report = site_runtime.ingest.ingest_items(items, "demo-backfill")
    site_runtime.picture.rebuild_history(reset, floor_time(start, site_runtime.picture.history_step))
    return report.accepted


def feed_job(sims: dict[str, DaySimulator], mqtt_url: str | None, wall_period: float = 1.0) -> BackgroundJob:
    """A background job that emits each sensor's readings as simulated time passes."""

    async def run(runtime: Runtime, stop: asyncio.Event) -> None:
        publisher = _mqtt_publisher(mqtt_url) if mqtt_url else None
        last = runtime.clock.now()
        try:
            while not stop.is_set():
                await asyncio.sleep(wall_period)
                now = runtime.clock.now()
                if now <= last:
                    last = now  # the clock was paused or jumped back
                    continue
                for site_id, sim in sims.items():
                    items = sim.items_between(last, now)
                    if not items:
                        continue
                    if publisher is not None:
                        for item in items:
                            publisher.publish(
                                counts_topic(site_id, item["sensor_id"]), json.dumps(item), qos=1
                            )
                    else:
                        runtime.bus.publish(FEED_TOPIC, {"site": site_id, "items": items})
                last = now
        finally:
            if publisher is not None:
                publisher.loop_stop()
                publisher.disconnect()

    return run


async def bus_feed_consumer(runtime: Runtime, stop: asyncio.Event) -> None:
    """Ingest sensor messages that arrive over the in-process bus."""
    async with runtime.bus.subscribe(FEED_TOPIC) as queue:
        while not stop.is_set():
            message = await queue.get()
            site_runtime = runtime.sites.get(message.get("site", ""))
            if site_runtime is None:
                log.warning("feed message for unknown site %r dropped", message.get("site"))
                continue
            await asyncio.to_thread(site_runtime.ingest.ingest_items, message["items"], "bus")


def _mqtt_publisher(url: str):  # type: ignore[no-untyped-def]
    import paho.mqtt.client as mqtt

    from csm.ingest.mqtt import BrokerAddress

    address = BrokerAddress.parse(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="csm-demo-feed")
    client.connect(address.host, address.port)
    client.loop_start()
    return client
