"""The monthly mart gives exactly the numbers of the facts.

Counts of whole months are sums of the monthly marts (the compiled counts, month by month, built
at load; ``source="auto"``, the default); ``source="facts"`` asks the fact tables for the period itself.
On the synthetic test force (every table filled, 42 months) the two must agree to the last digit for
every metric at every level: periods of 12 and 6 whole months, their previous periods, the monthly
series behind the dashboard's SPC charts (one metric at a time and all together), and a period that is
not whole months (always direct).
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from daperf.db import connect_readonly
from metrics.compute import LEVELS, compute, level_units, monthly, monthly_series
from metrics.periods import default_period, previous_period
from metrics.registry import METRICS


@pytest.fixture(scope="module")
def force(synthetic_force_db):
    con = connect_readonly(synthetic_force_db)
    yield con
    con.close()


def _periods() -> list[tuple[date, date]]:
    period_from, period_to = default_period(date.today())  # the last 12 whole months
    six_months_from = date(period_to.year - (period_to.month <= 6), (period_to.month - 6) % 12 + 1, 1)
    return [(period_from, period_to), previous_period(period_from, period_to),
            (six_months_from, period_to), previous_period(six_months_from, period_to),
            (period_from.replace(day=15), period_to)]


@pytest.mark.parametrize("level", LEVELS)
def test_headlines_from_months_equal_the_direct_computation(force, level):
    for period_from, period_to in _periods():
        fast = compute(force, level, period_from, period_to, breakdowns=False)
        direct = compute(force, level, period_from, period_to, breakdowns=False, source="facts")
        assert set(fast["metric_id"]) == set(METRICS)
        assert fast["numerator"].sum() > 0
        pd.testing.assert_frame_equal(fast, direct, check_exact=True)


@pytest.mark.parametrize("level", LEVELS)
def test_monthly_series_from_months_equal_the_direct_computation(force, level):
    period_from, period_to = default_period(date.today())
    series_from, _ = previous_period(period_from, period_to)  # the tiles' sparklines: both periods
    unit_code = level_units(force, level)["unit_code"].iloc[0]
    together = monthly_series(force, list(METRICS), level, unit_code, series_from, period_to)
    for metric_id in METRICS:
        fast = monthly(force, metric_id, level, unit_code, series_from, period_to)
        direct = monthly(force, metric_id, level, unit_code, series_from, period_to, source="facts")
        assert len(fast) == 24
        pd.testing.assert_frame_equal(fast, direct, check_exact=True)
        # The dashboard asks for the tiles' series together: the same numbers as one at a time.
        one = together[together["metric_id"] == metric_id].drop(columns="metric_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(one, direct, check_exact=True)
