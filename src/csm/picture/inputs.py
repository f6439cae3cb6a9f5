"""The store inputs of the last picture refresh, kept per sensor so that the next refresh reads
only the sensors that changed (the incremental refresh of live.py).

Why this is exact: a sensor's newest values do not move unless it reports, and its line balance
at a later moment is the same sum with every weight (1 − leak)^(hours ago) multiplied by
(1 − leak)^(hours since) — so an unchanged sensor's balance is rescaled, not re-read. All
balances are kept valid at the moment of the last full read (`as_of`) and moved to the moment a
refresh needs. A new daily
reset starts the sums afresh: the inputs are then read whole again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from csm.picture.nowcast import group_inputs
from csm.store.base import LatestValue, LineBalance


@dataclass
class PictureInputs:
    reset: datetime
    as_of: datetime
    keep_per_hour: float
    latest: dict[str, dict[str, LatestValue]] = field(default_factory=dict)
    balances: dict[str, LineBalance] = field(default_factory=dict)

    @classmethod
    def read(cls, reset: datetime, as_of: datetime, keep_per_hour: float,
             latest: Iterable[LatestValue], balances: Iterable[LineBalance]) -> PictureInputs:
        by_sensor, balance_by_sensor = group_inputs(latest, balances)
        return cls(reset, as_of, keep_per_hour, by_sensor, balance_by_sensor)

    def balances_at(self, as_of: datetime, sensors: Iterable[str]) -> dict[str, LineBalance]:
        """The balances of `sensors` moved on to `as_of` (the weights of older crossings shrink)."""
        factor = self.keep_per_hour ** ((as_of - self.as_of).total_seconds() / 3600.0)
        chosen = (self.balances.get(s) for s in sensors)
        if factor == 1.0:
            return {b.sensor_id: b for b in chosen if b is not None}
        return {b.sensor_id: LineBalance(b.sensor_id, b.inflow * factor, b.outflow * factor, b.last_interval_end)
                for b in chosen if b is not None}

    def replace(self, sensors: Iterable[str], as_of: datetime, latest: Iterable[LatestValue],
                balances: Iterable[LineBalance]) -> None:
        """The inputs of `sensors`, read afresh at `as_of` (a sensor with no rows has none); the
        balances kept for other sensors are valid at `self.as_of`, so these are moved back there."""
        by_sensor, balance_by_sensor = group_inputs(latest, balances)
        factor = self.keep_per_hour ** ((self.as_of - as_of).total_seconds() / 3600.0)
        if factor != 1.0:
            balance_by_sensor = {s: LineBalance(s, b.inflow * factor, b.outflow * factor, b.last_interval_end)
                                 for s, b in balance_by_sensor.items()}
        for sensor in sensors:
            self.latest.pop(sensor, None)
            self.balances.pop(sensor, None)
        self.latest.update(by_sensor)
        self.balances.update(balance_by_sensor)
