"""Calendar covariates in the site's local time: time of day and week, season, holidays."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd

SCHOOL_REGIONS = {"NL": ("Noord", "Midden", "Zuid")}


def holiday_region(country: str) -> tuple[str, str | None]:
    """'NL' → ('NL', None); 'NZ-AUK' → ('NZ', 'AUK'): a country, or one of its subdivisions in
    ISO 3166-2 style, whose own public holidays count too (Auckland Anniversary Day, a German
    state's holidays) — a crowd follows the holidays of where it is."""
    code, _, subdiv = country.strip().upper().partition("-")
    return code, subdiv or None


def unknown_holiday_region(country: str) -> str | None:
    """Why the `holidays` package cannot give this country's (or subdivision's) holidays, if it cannot."""
    code, subdiv = holiday_region(country)
    try:
        holidays.country_holidays(code, subdiv=subdiv, years=2024)
    except NotImplementedError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=64)
def public_holidays(country: str, year: int) -> dict[date, str]:
    """Date → name of the public holidays of a country, or of one of its subdivisions ('DE-BY',
    'NZ-AUK'); a subdivision the `holidays` package does not know counts as the country itself
    ('NL-ZH': the Netherlands has no provincial holidays). Raises NotImplementedError for an
    unknown country."""
    code, subdiv = holiday_region(country)
    if subdiv:
        try:
            return dict(holidays.country_holidays(code, subdiv=subdiv, years=year).items())
        except NotImplementedError:
            pass
    return dict(holidays.country_holidays(code, years=year).items())


@lru_cache(maxsize=64)
def _public(country: str, year: int) -> frozenset[object]:
    try:
        return frozenset(public_holidays(country, year))
    except NotImplementedError:
        return frozenset()


@lru_cache(maxsize=64)
def _school_regions(country: str, year: int) -> dict[object, int]:
    """Per date, how many school-holiday regions are off (NL: Noord, Midden, Zuid)."""
    counts: dict[object, int] = {}
    code, _ = holiday_region(country)
    for region in SCHOOL_REGIONS.get(code, ()):
        try:
            days = holidays.country_holidays(code, subdiv=region, years=year, categories=("school",))
        except (NotImplementedError, ValueError):
            continue
        for day in days:
            counts[day] = counts.get(day, 0) + 1
    return counts


HOLIDAY_DISTANCE_CAP_DAYS = 14


def _holiday_distances(unique_dates: np.ndarray, country: str) -> tuple[np.ndarray, np.ndarray]:
    """Days until the next and since the previous public holiday (capped): the run-up to and the
    day after a holiday differ from an ordinary day (bridge days, travel, shopping)."""
    years = {d.year for d in unique_dates}
    holiday_days = sorted({h.toordinal() for y in range(min(years) - 1, max(years) + 2)  # type: ignore[attr-defined]
                           for h in _public(country, y)})
    ordinals = np.array([d.toordinal() for d in unique_dates])
    if not holiday_days:
        cap = np.full(len(ordinals), float(HOLIDAY_DISTANCE_CAP_DAYS))
        return cap, cap
    known = np.array(holiday_days)
    after = np.searchsorted(known, ordinals, side="left")
    before = np.searchsorted(known, ordinals, side="right") - 1
    to_next = np.where(after < len(known), known[np.clip(after, 0, len(known) - 1)] - ordinals, 10**6)
    since = np.where(before >= 0, ordinals - known[np.clip(before, 0, len(known) - 1)], 10**6)
    return (np.minimum(to_next, HOLIDAY_DISTANCE_CAP_DAYS).astype(float),
            np.minimum(since, HOLIDAY_DISTANCE_CAP_DAYS).astype(float))


def calendar_features(index: pd.DatetimeIndex, tz: ZoneInfo, country: str | None) -> pd.DataFrame:
    local = index.tz_convert(tz)
    hour = local.hour + local.minute / 60.0
    dow = local.dayofweek
    doy = local.dayofyear
    dates = local.date
    public = np.zeros(len(index))
    school = np.zeros(len(index))
    to_holiday = np.full(len(index), float(HOLIDAY_DISTANCE_CAP_DAYS))
    from_holiday = np.full(len(index), float(HOLIDAY_DISTANCE_CAP_DAYS))
    if country:  # look each distinct date up once, not each grid row
        unique_dates, position = np.unique(np.asarray(dates), return_inverse=True)
        public_by_date = np.array([day in _public(country, day.year) for day in unique_dates], dtype=float)
        school_by_date = np.array([_school_regions(country, day.year).get(day, 0) for day in unique_dates],
                                  dtype=float)
        public, school = public_by_date[position], school_by_date[position]
        to_next, since = _holiday_distances(unique_dates, country)
        to_holiday, from_holiday = to_next[position], since[position]
    return pd.DataFrame(
        {
            "hour": hour,
            "dow": dow,
            "hour_of_week": dow * 24 + hour,
            "doy_sin": np.sin(2 * np.pi * doy / 365.25),
            "doy_cos": np.cos(2 * np.pi * doy / 365.25),
            "public_holiday": public,
            "school_holiday_regions": school,
            "weekend_or_holiday": ((dow >= 5) | (public > 0)).astype(float),
            "days_to_holiday": to_holiday,
            "days_from_holiday": from_holiday,
        },
        index=index,
    )
