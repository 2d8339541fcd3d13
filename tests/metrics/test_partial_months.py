"""The one rule for periods and months the data do not wholly cover (``metrics.periods.data_coverage``) and
its use by the SPC table: a month with no data is dropped, a part month is marked, kept out of the limits
and never flagged. Expected values are worked by hand."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.periods import data_coverage, month_coverage, month_end
from metrics.stats import spc_table

FIRST, LAST = date(2024, 1, 31), date(2024, 6, 30)  # a load that starts on the last day of January


@pytest.mark.parametrize(("period", "expected"), [
    ((date(2024, 2, 1), date(2024, 6, 30)), "whole"),
    ((date(2024, 1, 31), date(2024, 1, 31)), "whole"),
    ((date(2024, 1, 1), date(2024, 3, 31)), "part"),      # January has one day of data
    ((date(2024, 6, 1), date(2024, 7, 31)), "part"),      # July has none
    ((date(2099, 1, 1), date(2099, 3, 31)), "none"),
    ((date(2010, 1, 1), date(2010, 12, 31)), "none"),
    ((date(2023, 1, 1), date(2024, 1, 30)), "none"),      # ends the day before the data begin
])
def test_data_coverage(period, expected):
    assert data_coverage(*period, FIRST, LAST) == expected


def test_month_coverage():
    assert [month_coverage(date(2024, m, 15), FIRST, LAST) for m in (1, 2, 6, 7)] == ["part", "whole", "whole", "none"]


@given(st.dates(date(2020, 1, 1), date(2028, 12, 31)), st.integers(0, 800), st.dates(date(2020, 1, 1), date(2028, 12, 31)),
       st.integers(0, 800))
def test_coverage_agrees_with_counting_days(start, length, first, span):
    """Whole: every day of the period is a day of data; none: no day is; part: some are."""
    end, last = date.fromordinal(start.toordinal() + length), date.fromordinal(first.toordinal() + span)
    inside = sum(first <= date.fromordinal(d) <= last for d in range(start.toordinal(), end.toordinal() + 1))
    expected = "whole" if inside == length + 1 else "none" if inside == 0 else "part"
    assert data_coverage(start, end, first, last) == expected


def _series(values, numerators=None, denominators=None):
    months = pd.date_range("2023-12-01", periods=len(values), freq="MS").date
    return pd.DataFrame({"month": months, "numerator": numerators if numerators is not None else values,
                         "denominator": denominators if denominators is not None else [None] * len(values),
                         "value": values})


def test_xmr_limits_leave_out_the_part_month_and_drop_months_without_data():
    # December 2023 is before the data (dropped, not a zero); January 2024 has one day of data (3 incidents).
    table = spc_table(_series([0.0, 3.0, 10.0, 12.0, 11.0, 13.0, 14.0]), "count", data_span=(FIRST, LAST))
    assert list(pd.to_datetime(table["month"]).dt.month) == [1, 2, 3, 4, 5, 6]
    assert list(table["partial"]) == [True, False, False, False, False, False]
    # Whole months 10, 12, 11, 13, 14: centre 12; moving ranges 2, 1, 2, 1 -> 1.5; limits 12 -/+ 2.66 x 1.5.
    assert table["centre"].tolist() == pytest.approx([12.0] * 6)
    assert table["ucl"].tolist() == pytest.approx([15.99] * 6)
    assert table["lcl"].tolist() == pytest.approx([8.01] * 6)
    # The part month lies far below the lower limit, yet is not a signal: its count covers one day.
    assert not table["special_cause"].any()


def test_without_the_data_span_the_part_month_would_be_a_special_cause():
    table = spc_table(_series([3.0, 10.0, 12.0, 11.0, 13.0, 14.0]), "count")
    assert not table["partial"].any()
    assert bool(table.iloc[0]["beyond_limits"])  # the artefact the rule removes


def test_p_chart_centre_from_whole_months_and_part_month_limits_at_its_own_size():
    frame = _series([0.2, 0.2, 0.3], numerators=[1, 20, 30], denominators=[5, 100, 100]).iloc[0:3]
    frame["month"] = [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    table = spc_table(frame, "proportion", data_span=(FIRST, LAST))
    # p-bar = (20 + 30) / 200 = 0.25; n = 100: 0.25 -/+ 3 x sqrt(0.25 x 0.75 / 100) = 0.25 -/+ 0.1299.
    assert table["centre"].tolist() == pytest.approx([0.25] * 3)
    assert table.loc[1:, "ucl"].tolist() == pytest.approx([0.379904] * 2, abs=1e-6)
    assert table.loc[1:, "lcl"].tolist() == pytest.approx([0.120096] * 2, abs=1e-6)
    # The part month (n = 5): 0.25 + 3 x sqrt(0.1875 / 5) = 0.830948; the lower limit is floored at 0.
    assert table.loc[0, "ucl"] == pytest.approx(0.830948, abs=1e-6)
    assert table.loc[0, "lcl"] == 0.0
    assert list(table["partial"]) == [True, False, False]


def test_a_part_month_ends_no_run():
    # Seven whole months above the centre after a part month: the run is the seven, the part month is not in it.
    values = [1.0] + [20.0] * 7 + [1.0] * 7
    months = pd.date_range("2024-01-01", periods=len(values), freq="MS").date
    frame = pd.DataFrame({"month": months, "numerator": values, "denominator": None, "value": values})
    table = spc_table(frame, "count", data_span=(FIRST, month_end(months[-1])))
    assert not bool(table.iloc[0]["special_cause"]) and bool(table.iloc[0]["partial"])
    assert table.iloc[1:8]["run"].all()
