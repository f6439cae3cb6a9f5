"""The covariate seam: how context series (weather, parking, transit, traffic, events) are named
in the store, so forecasts and flow read them without knowing which connector wrote them.

A connector stores its values under sensor id "<kind>:<key>" (namespaced, so the picture never
mistakes them for people counters); readers ask for a kind and key here, never for a connector.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CovariateKind(StrEnum):
    WEATHER = "weather"  # observed at the site's station; key: site id
    WEATHER_FORECAST = "weather-forecast"  # forecast for the site; key: site id
    PARKING = "parking"  # one parking facility; key: facility id
    TRANSIT = "transit"  # one public-transport stop; key: stop id
    TRAFFIC = "traffic"  # one road measurement site; key: its id
    EVENT = "event"  # expected event visitors of one zone; key: zone id
    CALENDAR = "calendar"  # public and school holidays of the site; key: "*"


@dataclass(frozen=True, slots=True)
class CovariateSeries:
    kind: CovariateKind
    key: str

    @property
    def sensor_id(self) -> str:
        return f"{self.kind.value}:{self.key}"

    @classmethod
    def parse(cls, sensor_id: str) -> CovariateSeries | None:
        """The series a stored sensor id names, or None for a people counter."""
        kind, sep, key = sensor_id.partition(":")
        if not sep:
            return None
        try:
            return cls(CovariateKind(kind), key)
        except ValueError:
            return None


def covariate_sensor_id(kind: CovariateKind, key: str) -> str:
    return CovariateSeries(kind, key).sensor_id


def site_weather_ids(site_id: str) -> tuple[str, str]:
    """Sensor ids of a site's observed weather and of its weather forecast."""
    observed = covariate_sensor_id(CovariateKind.WEATHER, site_id)
    return observed, covariate_sensor_id(CovariateKind.WEATHER_FORECAST, site_id)
