"""Features added for point accuracy: distance to public holidays, the site's deviation from usual,
and the ablation switch that takes a group of them out."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from csm.forecast.calendar import HOLIDAY_DISTANCE_CAP_DAYS, calendar_features, holiday_region
from csm.forecast.features import site_deviation
from csm.forecast.io import timezone_for
from csm.forecast.model import GlobalQuantileForecaster, make_grid
from tests.forecast.synthetic import synthetic_counts

TZ = ZoneInfo("Europe/Amsterdam")


def test_days_to_and_from_public_holidays_in_local_time() -> None:
    # Christmas 2025: Thursday 25 and Friday 26 December; the calendar reads local dates.
    index = pd.date_range("2025-12-22T23:00", "2025-12-28T22:00", freq="1h", tz="UTC")
    calendar = calendar_features(index, TZ, "NL")
    local_date = index.tz_convert(TZ).date
    by_date = calendar.assign(date=local_date).groupby("date")[["days_to_holiday", "days_from_holiday"]].first()
    assert by_date.loc[date(2025, 12, 23), "days_to_holiday"] == 2
    assert by_date.loc[date(2025, 12, 25), "days_to_holiday"] == 0
    assert by_date.loc[date(2025, 12, 28), "days_from_holiday"] == 2
    assert by_date["days_to_holiday"].max() <= HOLIDAY_DISTANCE_CAP_DAYS
    none = calendar_features(index, TZ, None)
    assert (none["days_to_holiday"] == HOLIDAY_DISTANCE_CAP_DAYS).all()


def test_a_subdivision_adds_its_own_public_holidays() -> None:
    """Auckland Anniversary Day (Monday 27 January 2025) is a public holiday in Auckland, not in
    all of New Zealand; 'NZ-AUK' (ISO 3166-2 style) counts it, 'NZ' does not; the time zone and
    the school calendar follow the country part."""
    auckland = ZoneInfo("Pacific/Auckland")
    index = pd.date_range("2025-01-26T11:00", periods=48, freq="1h", tz="UTC")  # 27-28 January, local
    by_date = {
        country: calendar_features(index, auckland, country).assign(date=index.tz_convert(auckland).date)
        .groupby("date")["public_holiday"].max()
        for country in ("NZ-AUK", "NZ")
    }
    assert by_date["NZ-AUK"][date(2025, 1, 27)] == 1 and by_date["NZ"][date(2025, 1, 27)] == 0
    assert by_date["NZ-AUK"][date(2025, 1, 28)] == 0
    waitangi = pd.date_range("2025-02-05T11:00", periods=24, freq="1h", tz="UTC")  # 6 February, local
    assert calendar_features(waitangi, auckland, "NZ-XYZ")["public_holiday"].max() == 1  # unknown: the country's
    assert holiday_region("nz-auk") == ("NZ", "AUK") and holiday_region("NL") == ("NL", None)
    assert timezone_for("NZ-AUK").key == "Pacific/Auckland"
    autumn = pd.date_range("2025-10-20T00:00", periods=24, freq="1h", tz="UTC")  # NL autumn school holiday
    assert calendar_features(autumn, TZ, "NL")["school_holiday_regions"].max() > 0


def test_site_deviation_is_the_zones_average_busier_than_usual() -> None:
    week = 4
    day_means = np.ones((6 * week, 3))
    day_means[-1] = [2.0, 3.0, 1.0]  # the last row: two zones busier than in the weeks before
    rows = np.array([len(day_means) - 1, len(day_means) - 2, -1])
    deviation = site_deviation(day_means, rows, week)
    assert np.isclose(deviation[0], (1.0 + 2.0 + 0.0) / 3)
    assert np.isclose(deviation[1], 0.0)
    assert np.isnan(deviation[2])  # before the data: unknown


def test_an_ablation_takes_the_group_out_of_the_model() -> None:
    history = synthetic_counts(days=30, zones=2)
    history["timestamp"] = history["timestamp"].dt.tz_convert("UTC")
    stamps = pd.date_range(history["timestamp"].min(), history["timestamp"].max(), freq="1h")
    weather = pd.DataFrame({"temperature_c": 15 + 5 * np.sin(np.arange(len(stamps)) / 24)}, index=stamps)
    grid = make_grid(history, "1h", TZ, "NL", weather)
    origin = len(grid.index) - 13
    full = GlobalQuantileForecaster(horizon=12).fit(grid, origin)
    ablated = GlobalQuantileForecaster(horizon=12, without=("weather", "site_deviation", "blend")).fit(grid, origin)
    assert "temperature_c" in full.models[0.5].feature_name_ and "site_day_vs_usual" in full.models[0.5].feature_name_
    names = ablated.models[0.5].feature_name_
    assert "temperature_c" not in names and "site_day_vs_usual" not in names
    assert np.all(ablated.blend.weights == 1.0)  # no blend with the profile
    assert ablated.predict(grid, origin).shape == (2, 12, 3)
