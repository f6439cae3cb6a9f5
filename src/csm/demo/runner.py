"""Play the simulated day: seed the history archive, backfill this morning, then feed live.

Live readings travel like real ones: over the in-process bus (embedded default) or over MQTT
(`--mqtt`), and always through the one ingest path.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd

from csm.domain.levels import level_for_density
from csm.domain.model import Observation
from csm.ingest.mqtt import counts_topic
from csm.jobs import Job, job_succeeded
from csm.picture.live import floor_time
from csm.picture.nowcast import last_reset
from csm.runtime import Runtime, SiteRuntime
from csm.synthetic.day import DaySimulator, daily_temperature
from csm.topics import FEED_TOPIC, FeedMessage

log = logging.getLogger(__name__)


def demo_start(site_runtime: SiteRuntime, day: str | None, start: str | None) -> datetime:
    demo = site_runtime.site.config.demo
    the_day = date.fromisoformat(day) if day else demo.date or date.today()
    the_time = time.fromisoformat(start) if start else demo.start or time(9, 0)
    return datetime.combine(the_day, the_time, tzinfo=site_runtime.site.tz)


def seed_history(site_runtime: SiteRuntime, sim: DaySimulator, before: datetime, days: int) -> int:
    """Write `days` of past zone occupancy (the archive a city would import) up to the counters'
    reset on `before`'s day, from where the backfill through ingest takes over."""
    site = site_runtime.site
    step = site_runtime.picture.history_step
    first_day = before.astimezone(site.tz).date() - timedelta(days=days)
    stop = last_reset(before, site.defaults.line_counter_reset, site)
    today = before.astimezone(site.tz).date()
    start = datetime.combine(first_day, time(0), tzinfo=site.tz)
    moments = pd.date_range(start, stop, freq=step, inclusive="left")
    if moments.empty:
        return 0
    dates = moments.tz_convert(site.tz).date
    by_day = {d: sim.temperature_c if d == today else daily_temperature(d) for d in set(dates)}
    temperatures = np.array([by_day[d] for d in dates])
    frames = []
    for zone in site.zones.values():
        occupancy = sim.truths(zone.id, moments, temperatures)
        density = occupancy / zone.walkable_area_m2
        levels = [level_for_density(d, zone.thresholds, o, zone.capacity).value
                  for d, o in zip(density, occupancy, strict=True)]
        frames.append(pd.DataFrame({"zone_id": zone.id, "ts": moments.tz_convert("UTC"), "occupancy": occupancy,
                                    "density": density, "level": levels, "stale": False}))
    frame = pd.concat(frames, ignore_index=True)
    seed_weather(site_runtime, sim, before, days)
    return site_runtime.picture.store.write_zone_history(site.id, frame)


def hourly_temperature(day_max_c: float, hour: int) -> float:
    """A summer day's curve: nine degrees cooler at 03:00 than at the 15:00 maximum."""
    return day_max_c - 9.0 * (0.5 - 0.5 * math.cos(2 * math.pi * (hour - 15) / 24))


def seed_weather(site_runtime: SiteRuntime, sim: DaySimulator, before: datetime, days: int) -> int:
    """The weather that went with the seeded days (observed, hourly) and this morning's hourly
    forecast for today and tomorrow, as the weather sources would have stored them; the
    forecast model learns from it how warm days fill the coast."""
    from csm.sources.weather_buienradar import forecast_sensor, weather_sensor

    site = site_runtime.site
    today = before.astimezone(site.tz).date()
    observations = []
    for offset in range(-days, 2):
        day = today + timedelta(days=offset)
        day_max = sim.temperature_c if day >= today else daily_temperature(day)
        for hour in range(24):
            start = datetime.combine(day, time(hour), tzinfo=site.tz).astimezone(UTC)
            value = round(hourly_temperature(day_max, hour), 1)
            if start + timedelta(hours=1) <= before:
                observations.append(Observation(site.id, weather_sensor(site), "temperature_c", start, 3600, value))
            if day >= today:
                observations.append(Observation(site.id, forecast_sensor(site), "temperature_c", start, 3600, value))
    return site_runtime.picture.store.write_observations(observations, received_at=before).inserted


def backfill_until(site_runtime: SiteRuntime, sim: DaySimulator, start: datetime) -> int:
    """Feed every reading from this morning's counter reset up to `start` through ingest."""
    site = site_runtime.site
    reset = last_reset(start, site.defaults.line_counter_reset, site)
    items = sim.items_between(reset.astimezone(start.tzinfo), start)
    report = site_runtime.ingest.ingest_items(items, "demo-backfill")
    site_runtime.picture.rebuild_history(reset, floor_time(start, site_runtime.picture.history_step))
    return report.accepted


def feed_job(sims: dict[str, DaySimulator], mqtt_url: str | None, wall_period: float = 1.0) -> Job:
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
                        runtime.bus.publish(FEED_TOPIC, FeedMessage(site=site_id, items=items))
                last = now
                job_succeeded()
        finally:
            if publisher is not None:
                publisher.loop_stop()
                publisher.disconnect()

    return Job("demo-feed", run)


async def bus_feed_consumer(runtime: Runtime, stop: asyncio.Event) -> None:
    """Ingest sensor messages that arrive over the in-process bus."""
    async with runtime.bus.subscribe(FEED_TOPIC) as queue:
        while not stop.is_set():
            message = await queue.get()
            if not isinstance(message, FeedMessage):
                continue
            site_runtime = runtime.sites.get(message.site)
            if site_runtime is None:
                log.warning("feed message for unknown site %r dropped", message.site)
                continue
            await asyncio.to_thread(site_runtime.ingest.ingest_items, message.items, "bus")
            job_succeeded()


def _mqtt_publisher(url: str):  # type: ignore[no-untyped-def]
    import paho.mqtt.client as mqtt

    from csm.ingest.mqtt import BrokerAddress

    address = BrokerAddress.parse(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="csm-demo-feed")
    address.authenticate(client)
    client.connect(address.host, address.port)
    client.loop_start()
    return client
