"""Where a forecast is good and where it is not: scores per hour of day, per day and per day type.

An average over half a year hides the hours and days operators care about: the band may cover
80 % overall and 72 % in the busy afternoon, and a model that wins on average may lose to a
simple profile on a holiday. These tables show that, from the same arrays the backtest scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

DAY_TYPES = ("weekday", "weekend", "public_holiday", "school_holiday", "event_day")


def _absolute_error(actual: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    return np.abs(predicted[..., 1] - actual)


def _inside(actual: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    return (actual >= predicted[..., 0]) & (actual <= predicted[..., 2])


def coverage_by_hour(actual: np.ndarray, predictions: dict[str, np.ndarray], local_hour: np.ndarray) -> pd.DataFrame:
    """Coverage of the p10–p90 band per local hour of the target (rows) and method (columns).

    actual: (origins × zones × horizon); local_hour: (origins × horizon).
    """
    ok = ~np.isnan(actual)
    hours = np.broadcast_to(local_hour[:, None, :], actual.shape)
    table = {}
    for method, predicted in predictions.items():
        inside = _inside(actual, predicted)
        table[method] = [float(inside[ok & (hours == h)].mean()) if (ok & (hours == h)).any() else np.nan
                         for h in range(24)]
    return pd.DataFrame(table, index=pd.RangeIndex(24, name="hour"))


def _day_scores(actual: np.ndarray, predicted: np.ndarray, mase_scale: np.ndarray,
                mask: np.ndarray) -> tuple[float, float]:
    """(MASE, coverage) over the cells in `mask` (MASE per zone, then averaged)."""
    ok = mask & ~np.isnan(actual)
    if not ok.any():
        return np.nan, np.nan
    error = _absolute_error(actual, predicted)
    per_zone = []
    for z in range(actual.shape[1]):
        mine = ok[:, z]
        if mine.any() and mase_scale[z] > 0:
            per_zone.append(error[:, z][mine].mean() / mase_scale[z])
    mase = float(np.mean(per_zone)) if per_zone else np.nan
    return mase, float(_inside(actual, predicted)[ok].mean())


def scores_by_day(actual: np.ndarray, predictions: dict[str, np.ndarray], mase_scale: np.ndarray,
                  local_day: np.ndarray) -> pd.DataFrame:
    """MASE and coverage per local date of the target, one column pair per method.

    local_day: (origins × horizon) proleptic ordinals (`date.toordinal()`) of the target's date.
    """
    days = np.broadcast_to(local_day[:, None, :], actual.shape)
    rows = []
    for day in np.unique(local_day):
        mask = days == day
        row: dict[str, object] = {"date": date.fromordinal(int(day))}
        for method, predicted in predictions.items():
            row[f"{method}_MASE"], row[f"{method}_coverage"] = _day_scores(actual, predicted, mase_scale, mask)
        rows.append(row)
    return pd.DataFrame(rows).set_index("date")


def scores_by_week(actual: np.ndarray, predictions: dict[str, np.ndarray], mase_scale: np.ndarray,
                   local_day: np.ndarray) -> pd.DataFrame:
    """MASE and coverage per week (Monday to Sunday, labelled by its Monday) of the target's local
    date: where a band that is right on average goes wrong in time (a holiday season's first weeks)."""
    monday = local_day - np.array([date.fromordinal(int(d)).weekday() for d in local_day.ravel()],
                                  dtype=np.int64).reshape(local_day.shape)
    return scores_by_day(actual, predictions, mase_scale, monday).rename_axis("week")


def day_types(dates: Iterable[date], calendar_by_date: pd.DataFrame, event_days: set[date]) -> dict[date, set[str]]:
    """Every day type a local date belongs to (a holiday Saturday is a weekend and a holiday)."""
    types: dict[date, set[str]] = {}
    for day in dates:
        kinds = {"weekend" if day.weekday() >= 5 else "weekday"}
        if day in calendar_by_date.index:
            if calendar_by_date.loc[day, "public_holiday"] > 0:
                kinds.add("public_holiday")
            if calendar_by_date.loc[day, "school_holiday_regions"] > 0:
                kinds.add("school_holiday")
        if day in event_days:
            kinds.add("event_day")
        types[day] = kinds
    return types


def scores_by_day_type(actual: np.ndarray, predictions: dict[str, np.ndarray], mase_scale: np.ndarray,
                       local_day: np.ndarray, types: dict[date, set[str]]) -> pd.DataFrame:
    """MASE and coverage per day type (rows) and method; `days` counts the dates of each type."""
    days = np.broadcast_to(local_day[:, None, :], actual.shape)
    rows = []
    for kind in DAY_TYPES:
        members = [d.toordinal() for d, kinds in types.items() if kind in kinds]
        row: dict[str, object] = {"day_type": kind, "days": len(members)}
        mask = np.isin(days, np.array(members, dtype=np.int64))
        for method, predicted in predictions.items():
            row[f"{method}_MASE"], row[f"{method}_coverage"] = _day_scores(actual, predicted, mase_scale, mask)
        rows.append(row)
    return pd.DataFrame(rows).set_index("day_type")


def losing_days(by_day: pd.DataFrame, method: str = "csm", reference: str = "how_mean_4w") -> pd.DataFrame:
    """The days on which `method` had a higher MASE than `reference`."""
    mine, theirs = f"{method}_MASE", f"{reference}_MASE"
    if mine not in by_day or theirs not in by_day:
        return by_day.iloc[0:0]
    return by_day[by_day[mine] > by_day[theirs]]
