"""Disclosure control survives differencing (issue: small numbers recoverable by differencing).

For a partnership user, every number comes from ``compute`` for a fixed reporting period (a financial year
or one of its quarters, ``metrics.periods.reporting_periods``) at partnership or force level, protected by
``metrics.suppression.suppress`` as the partnership page and the scrutiny pack protect them. An attacker
takes two numbers whose records are nested — a quarter inside its financial year, a partnership inside its
force, a breakdown category inside its headline, a numerator inside its denominator (a complement) — and
subtracts. Over random small forces (hypothesis), whenever the true difference is a count from 1 to 4, the
shown numbers must leave it open: at least two candidate values.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from hypothesis import event, given

from metrics.compute import compute
from metrics.periods import reporting_periods
from metrics.registry import METRICS
from metrics.suppression import SECONDARY_MARK, SMALL_COUNT_LIMIT, SMALL_COUNT_MARK, suppress
from tests.metrics.test_properties import PROPERTY_SETTINGS, forces, load

# The generated records run from July 2023 to February 2025.
PERIODS = reporting_periods(date(2023, 7, 1), date(2025, 3, 31))
KEY = ["metric_id", "unit_code", "breakdown", "breakdown_value"]


def feasible(shown) -> set[int] | None:
    """The true counts a shown cell can stand for; None when it is hidden without a bound (a "[c]" or a
    withheld cell pins nothing)."""
    if shown == SMALL_COUNT_MARK:
        return {1, 2, 3, 4}
    if shown is None or shown == SECONDARY_MARK or (isinstance(shown, float) and pd.isna(shown)):
        return None
    number = int(round(float(shown)))
    if number == 0:
        return {0}
    return {v for v in range(number - 2, number + 3) if v >= SMALL_COUNT_LIMIT}


def _cells(con) -> dict[tuple, tuple[float, object]]:
    """(period, level, metric, unit, breakdown, value, part) -> (true count, shown) for every count a
    partnership user can see (populations, public figures, are left out: they hide nobody)."""
    cells = {}
    for period_key, period_from, period_to in PERIODS:
        for level in ("force", "csp"):
            true = compute(con, level, period_from, period_to)
            shown = suppress(true)
            for (_, t), (_, s) in zip(true.iterrows(), shown.iterrows()):
                metric = METRICS[t["metric_id"]]
                parts = ["numerator"] + (["denominator"] if metric.kind != "count" and not metric.population else [])
                for part in parts:
                    cells[(period_key, level, t["metric_id"], t["unit_code"], t["breakdown"],
                           t["breakdown_value"], part)] = (float(t[part]), s[part])
    return cells


def _nested_pairs(cells: dict) -> list[tuple[tuple, tuple]]:
    """(outer, inner) pairs of cells whose inner records are among the outer's."""
    pairs = []
    quarters_of = {key: [q for q, f, t in PERIODS if len(q) > 7 and q.startswith(key)] for key, _, _ in PERIODS
                   if len(key) == 7}
    for key in cells:
        period, level, metric, unit, breakdown, value, part = key
        for quarter in quarters_of.get(period, []):              # a quarter inside its financial year
            inner = (quarter, *key[1:])
            if inner in cells:
                pairs.append((key, inner))
        if level == "force":                                      # a partnership inside the force
            pairs += [(key, other) for other in cells if other[0] == period and other[1] == "csp"
                      and other[2] == metric and other[4:] == key[4:]]
        if breakdown is not None:                                 # a category inside its headline
            headline = (period, level, metric, unit, None, None, part)
            if headline in cells:
                pairs.append((headline, key))
        if part == "denominator":                                 # the numerator inside its denominator
            pairs.append((key, (*key[:-1], "numerator")))
    return pairs


@PROPERTY_SETTINGS
@given(forces())
def test_no_count_from_one_to_four_is_recovered_by_differencing_two_shown_numbers(records):
    con = load(records)
    cells = _cells(con)
    checked = 0
    for outer, inner in _nested_pairs(cells):
        (true_outer, shown_outer), (true_inner, shown_inner) = cells[outer], cells[inner]
        difference = true_outer - true_inner
        if not 1 <= difference <= 4:
            continue
        outer_set, inner_set = feasible(shown_outer), feasible(shown_inner)
        if outer_set is None or inner_set is None:
            continue
        candidates = {a - b for a in outer_set for b in inner_set if a >= b}
        assert difference in candidates, (outer, inner)  # the protection never contradicts the truth
        assert len(candidates) > 1, (outer, shown_outer, inner, shown_inner, difference)
        checked += 1
    event(f"small differences checked: {min(checked, 10)}{'+' if checked > 10 else ''}")
    con.close()


def test_the_finding_a_year_less_a_quarter_no_longer_gives_a_small_count(force_builder):
    # Partnership C1 receives 9 Clare's Law applications from January to March 2025 and 3 more earlier in
    # the financial year 2024-25: the year shows 12 and the quarter 9 without rounding, so the other
    # three quarters' 3 (a count under 5) is given away by differencing.
    b = force_builder
    for day in range(1, 10):
        b.dvds(f"2025-01-{day:02d} 10:00", csp="C1")
    for month in ("2024-05", "2024-08", "2024-11"):
        b.dvds(f"{month}-15 10:00", csp="C1")
    year, quarter = (date(2024, 4, 1), date(2025, 3, 31)), (date(2025, 1, 1), date(2025, 3, 31))

    def shown(period, **rounding):
        frame = compute(b.con, "csp", *period, metric_ids=["dvds_applications"], unit_codes=["C1"],
                        breakdowns=False)
        return suppress(frame, **rounding).iloc[0]["numerator"]

    assert (shown(year, round_to=None), shown(quarter, round_to=None)) == (12, 9)  # 12 - 9 = 3: recovered
    assert (shown(year), shown(quarter)) == (10, 10)
    candidates = {a - q for a in feasible(shown(year)) for q in feasible(shown(quarter)) if a >= q}
    assert candidates == {0, 1, 2, 3, 4}  # 3 is one of five
