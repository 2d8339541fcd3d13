"""Small-number protection: hand-made cases, then properties over generated exports (hypothesis).

Rules 1-5 (small counts, small bases, rates, a numerator over a base of 1 to 4, secondary suppression) are
tested on their own (``round_to=None``); rule 6 (rounding, and what differences of overlapping cells can
recover) after them."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.suppression import (
    REASON_SECONDARY,
    REASON_SMALL_BASE,
    REASON_SMALL_COUNT,
    REASON_SMALL_DENOMINATOR,
    REASON_SMALL_NUMERATOR,
    SECONDARY_MARK,
    SMALL_COUNT_LIMIT,
    SMALL_COUNT_MARK,
    suppress,
    suppress_value,
)
from metrics.stats import wilson_interval

HIDDEN = (SMALL_COUNT_MARK, SECONDARY_MARK)
PERIOD = {"period_from": "2024-01-01", "period_to": "2024-12-31"}


def row(metric_id, level, unit_code, numerator, denominator=None, breakdown=None, breakdown_value=None, **more):
    if denominator is None:
        value = float(numerator)
    else:
        value = numerator / denominator if denominator else math.nan
    return {"metric_id": metric_id, "level": level, "unit_code": unit_code, **PERIOD, "breakdown": breakdown,
            "breakdown_value": breakdown_value, "numerator": numerator,
            "denominator": math.nan if denominator is None else denominator, "value": value, **more}


def test_suppress_value_for_tiles():
    assert [suppress_value(n) for n in (0, 1, 4, 5, 120)] == [0, "<5", "<5", 5, 120]
    assert suppress_value(None) is None
    assert math.isnan(suppress_value(math.nan))
    assert suppress_value(np.int64(3)) == "<5"


def test_counts_one_to_four_and_the_breakdown_cell_that_would_give_one_away():
    # Headline 30 = female 20 + male 7 + other 3. "other" (3) is hidden; with only it hidden, 30 − 20 − 7
    # would reveal it, so the next smallest non-zero cell (male, 7) is hidden too, marked [c].
    frame = pd.DataFrame([
        row("incidents", "csp", "A", 30),
        row("incidents", "csp", "A", 20, breakdown="victim_sex", breakdown_value="female"),
        row("incidents", "csp", "A", 7, breakdown="victim_sex", breakdown_value="male"),
        row("incidents", "csp", "A", 3, breakdown="victim_sex", breakdown_value="other"),
        row("incidents", "csp", "A", 0, breakdown="victim_sex", breakdown_value="not_known"),
    ])
    before = frame.copy(deep=True)
    out = suppress(frame, round_to=None)
    pd.testing.assert_frame_equal(frame, before)  # the input is never changed
    assert out["numerator"].tolist() == [30, 20, SECONDARY_MARK, SMALL_COUNT_MARK, 0]
    assert out["value"].tolist() == [30.0, 20.0, SECONDARY_MARK, SMALL_COUNT_MARK, 0.0]
    assert out["suppressed"].tolist() == [False, False, True, True, False]
    assert out["suppressed_reason"].tolist() == [None, None, REASON_SECONDARY, REASON_SMALL_COUNT, None]


def test_rate_rules():
    frame = pd.DataFrame([
        row("charge_rate", "csp", "A", 3, 40, ci_low=0.03, ci_high=0.2),   # numerator 1-4: value withheld
        row("charge_rate", "csp", "B", 6, 8, ci_low=0.4, ci_high=0.9),     # base under 10: value withheld
        row("charge_rate", "csp", "C", 0, 12, ci_low=0.0, ci_high=0.24),   # zero of 12: shown
        row("charge_rate", "csp", "D", 12, 40, ci_low=0.18, ci_high=0.45), # shown
        row("charge_rate", "csp", "E", 2, 3, ci_low=0.2, ci_high=0.9),     # both small
        row("charge_rate", "csp", "F", 0, 3, ci_low=0.0, ci_high=0.56),    # none of a group of 1-4
    ])
    out = suppress(frame, round_to=None).set_index("unit_code")
    assert out.loc["A", "numerator"] == SMALL_COUNT_MARK and out.loc["A", "denominator"] == 40
    assert out.loc["A", "value"] is None and np.isnan(out.loc["A", "ci_low"])
    assert out.loc["A", "suppressed_reason"] == REASON_SMALL_NUMERATOR
    assert out.loc["B", "numerator"] == 6 and out.loc["B", "denominator"] == 8 and out.loc["B", "value"] is None
    assert out.loc["B", "suppressed_reason"] == REASON_SMALL_DENOMINATOR
    assert out.loc["C", "value"] == 0.0 and not out.loc["C", "suppressed"]
    assert out.loc["D", "value"] == 0.3 and out.loc["D", "ci_high"] == 0.45
    assert out.loc["E", "numerator"] == SMALL_COUNT_MARK and out.loc["E", "denominator"] == SMALL_COUNT_MARK
    assert out.loc["E", "value"] is None
    # "0 of <5" would say that none of those few people was charged: the zero is hidden as confidential.
    assert out.loc["F", "numerator"] == SECONDARY_MARK and out.loc["F", "denominator"] == SMALL_COUNT_MARK
    assert out.loc["F", "value"] is None and REASON_SMALL_BASE in out.loc["F", "suppressed_reason"]


def test_csp_rows_under_the_force_total():
    # Force 33 = A 3 + B 10 + C 20 + D 0: A hidden, B (the smallest non-zero) hidden to protect it.
    frame = pd.DataFrame([
        row("arrests", "force", "F", 33),
        row("arrests", "csp", "A", 3),
        row("arrests", "csp", "B", 10),
        row("arrests", "csp", "C", 20),
        row("arrests", "csp", "D", 0),
    ])
    out = suppress(frame, round_to=None)
    assert out["numerator"].tolist() == [33, SMALL_COUNT_MARK, SECONDARY_MARK, 20, 0]


def test_csps_under_their_division_when_the_caller_says_which():
    # Force 43; D1 33 = C1 3 + C2 30; D2 10 = C3 10. Under the force alone, C3 (10, the smallest) would
    # protect C1 — but then D1 − C2 = 3 gives C1 away. Told the divisions, the D1 group hides C2; the D2
    # group (C3 hidden, nothing else in it) hides its total D2; and the divisions under the force then
    # have one hidden cell, so D1 goes too.
    frame = pd.DataFrame([
        row("arrests", "force", "F", 43),
        row("arrests", "division", "D1", 33),
        row("arrests", "division", "D2", 10),
        row("arrests", "csp", "C1", 3),
        row("arrests", "csp", "C2", 30),
        row("arrests", "csp", "C3", 10),
    ])
    naive = suppress(frame, round_to=None)
    assert naive["numerator"].tolist() == [43, 33, 10, SMALL_COUNT_MARK, 30, SECONDARY_MARK]
    told = suppress(frame, round_to=None, csp_divisions={"C1": "D1", "C2": "D1", "C3": "D2"})
    assert told["numerator"].tolist() == [43, SECONDARY_MARK, SECONDARY_MARK, SMALL_COUNT_MARK,
                                          SECONDARY_MARK, SECONDARY_MARK]


def test_secondary_suppression_cascades_across_groups():
    # CSP A: headline 12 = female 9 + male 3; CSP B: headline 30 = female 24 + male 6; force rows add up.
    # A/male (3) is hidden; A/female (9) protects it. Then force/female 33 = 9 + 24 has one hidden cell
    # (A/female), so B/female (24) is hidden; then B's own sex group has one hidden cell, so B/male (6) is.
    # Force/male 9 = 3 + 6 now has two hidden. Every group ends with 0 or at least 2 hidden cells.
    frame = pd.DataFrame([
        row("incidents", "force", "F", 42),
        row("incidents", "force", "F", 33, breakdown="victim_sex", breakdown_value="female"),
        row("incidents", "force", "F", 9, breakdown="victim_sex", breakdown_value="male"),
        row("incidents", "csp", "A", 12),
        row("incidents", "csp", "A", 9, breakdown="victim_sex", breakdown_value="female"),
        row("incidents", "csp", "A", 3, breakdown="victim_sex", breakdown_value="male"),
        row("incidents", "csp", "B", 30),
        row("incidents", "csp", "B", 24, breakdown="victim_sex", breakdown_value="female"),
        row("incidents", "csp", "B", 6, breakdown="victim_sex", breakdown_value="male"),
    ])
    out = suppress(frame, round_to=None)
    assert out["numerator"].tolist() == [42, 33, 9, 12, SECONDARY_MARK, SMALL_COUNT_MARK, 30,
                                         SECONDARY_MARK, SECONDARY_MARK]


def test_denominators_are_protected_like_numerators():
    # Proportion rows: denominators 3 (hidden) and 40 under a force denominator 43.
    frame = pd.DataFrame([
        row("charge_rate", "force", "F", 10, 43),
        row("charge_rate", "csp", "A", 0, 3),
        row("charge_rate", "csp", "B", 10, 40),
    ])
    out = suppress(frame, round_to=None)
    assert out["denominator"].tolist() == [43, SMALL_COUNT_MARK, SECONDARY_MARK]
    assert out["value"].tolist()[1:] == [None, None]


def test_an_export_with_no_groups_or_rows():
    assert suppress(pd.DataFrame([row("arrests", "csp", "A", 2)]))["numerator"].tolist() == [SMALL_COUNT_MARK]
    empty = suppress(pd.DataFrame(columns=["metric_id", "level", "unit_code", "numerator", "denominator", "value"]))
    assert len(empty) == 0 and "suppressed" in empty.columns


# --- Properties over generated exports -------------------------------------------------------------

SEXES = ("female", "male", "not_known")
CSP_DIVISION = {f"C{c}": f"D{c % 2}" for c in range(4)}


@st.composite
def exports(draw):
    """A count metric and a proportion metric for 1-4 CSPs in two divisions (CSP c in division D{c % 2}),
    each unit's rows split by sex, with the division and force rows the sums of their CSPs' rows: every
    group of the rules adds up exactly."""
    n_csps = draw(st.integers(1, 4))
    small = st.integers(0, 12)
    rows = []
    count_cells = {(c, s): draw(small) for c in range(n_csps) for s in SEXES}
    prop_cells = {}
    for key in count_cells:
        den = draw(st.integers(0, 25))
        prop_cells[key] = (draw(st.integers(0, den)), den)
    units_of = [("csp", f"C{c}", [c]) for c in range(n_csps)]
    units_of += [("division", f"D{d}", [c for c in range(n_csps) if c % 2 == d]) for d in (0, 1) if d < n_csps]
    units_of.append(("force", "F", list(range(n_csps))))
    for level, code, units in units_of:
        count_total = sum(count_cells[(c, s)] for c in units for s in SEXES)
        num_total = sum(prop_cells[(c, s)][0] for c in units for s in SEXES)
        den_total = sum(prop_cells[(c, s)][1] for c in units for s in SEXES)
        rows.append(row("incidents", level, code, count_total))
        rows.append(row("charge_rate", level, code, num_total, den_total))
        for s in SEXES:
            rows.append(row("incidents", level, code, sum(count_cells[(c, s)] for c in units),
                            breakdown="victim_sex", breakdown_value=s))
            rows.append(row("charge_rate", level, code, sum(prop_cells[(c, s)][0] for c in units),
                            sum(prop_cells[(c, s)][1] for c in units), breakdown="victim_sex", breakdown_value=s))
    return pd.DataFrame(rows)


def _numbers(column: pd.Series) -> list[float]:
    return [float(v) for v in column if isinstance(v, (int, float, np.integer, np.floating)) and not pd.isna(v)]


def _groups(frame: pd.DataFrame):
    """The additive groups, worked out independently of the module: (member indexes, total index)."""
    records = list(frame.fillna({"breakdown": "", "breakdown_value": ""}).itertuples())
    headline = {(r.metric_id, r.level, r.unit_code): r.Index for r in records if not r.breakdown}
    force = {(r.metric_id, r.breakdown_value): r.Index for r in records if r.level == "force"}
    division = {(r.metric_id, r.unit_code, r.breakdown_value): r.Index for r in records if r.level == "division"}
    groups: dict[tuple, list[int]] = {}
    for r in records:
        if r.breakdown:  # a breakdown row under its unit's headline
            total = headline[(r.metric_id, r.level, r.unit_code)]
            groups.setdefault(("unit", r.breakdown, total), []).append(r.Index)
        if r.level in ("csp", "division"):  # a CSP or division row under the force's
            groups.setdefault((r.level, force[(r.metric_id, r.breakdown_value)]), []).append(r.Index)
        if r.level == "csp":  # a CSP row under its division's
            total = division[(r.metric_id, CSP_DIVISION[r.unit_code], r.breakdown_value)]
            groups.setdefault(("in_division", total), []).append(r.Index)
    return [(members, key[-1]) for key, members in groups.items()]


@settings(max_examples=30, deadline=None)
@given(exports())
def test_no_cell_shows_a_count_from_one_to_four(frame):
    out = suppress(frame)
    for column in ("numerator", "denominator"):
        assert not any(0 < v < 5 for v in _numbers(out[column]))
    counts = out[out["metric_id"] == "incidents"]
    assert not any(0 < v < 5 for v in _numbers(counts["value"]))


@settings(max_examples=30, deadline=None)
@given(exports())
def test_nothing_is_said_of_a_group_of_one_to_four(frame):
    out = suppress(frame)
    small_base = frame["denominator"].between(1, 4)
    assert out.loc[small_base, "numerator"].isin(HIDDEN).all()


@settings(max_examples=30, deadline=None)
@given(exports())
def test_no_rate_on_fewer_than_ten_is_shown(frame):
    out = suppress(frame)
    rates = out[frame["denominator"].notna()]
    small_base = frame.loc[rates.index, "denominator"] < 10
    assert rates.loc[small_base, "value"].isna().all()


@settings(max_examples=30, deadline=None)
@given(exports())
def test_no_total_reveals_a_single_hidden_cell(frame):
    out = suppress(frame, csp_divisions=CSP_DIVISION)
    for column in ("numerator", "denominator"):
        hidden = out[column].isin(HIDDEN)
        for members, total in _groups(frame):
            if pd.isna(frame.loc[total, column]):
                continue
            n_hidden = int(hidden[members].sum()) + int(hidden[total])
            assert n_hidden != 1, (column, members, total, out.loc[[*members, total], column].tolist())


@settings(max_examples=30, deadline=None)
@given(exports())
def test_what_is_shown_is_the_true_number(frame):
    before = frame.copy(deep=True)
    out = suppress(frame, round_to=None)
    pd.testing.assert_frame_equal(frame, before)
    for column in ("numerator", "denominator", "value"):
        shown = out[column].map(lambda v: v not in HIDDEN and v is not None and not pd.isna(v))
        assert (out.loc[shown, column].astype(float) == frame.loc[shown, column].astype(float)).all()
    # Nothing is hidden that the rules do not require: a row with no small count and a base of 10+ (or
    # none) is untouched unless secondary suppression picked it.
    untouched = ~out["suppressed"]
    assert not out.loc[untouched, "numerator"].isin(HIDDEN).any()


# --- Rule 6: rounding, and what differences can recover -------------------------------------------

def test_shown_counts_are_rounded_to_five_and_rates_worked_from_the_rounded_counts():
    frame = pd.DataFrame([
        row("incidents", "csp", "A", 33),                                  # 33 -> 35
        row("incidents", "csp", "B", 7),                                   # 5, 6, 7 -> 5
        row("incidents", "csp", "C", 8),                                   # 8 to 12 -> 10
        row("incidents", "csp", "D", 2),                                   # <5, as before
        row("incidents", "csp", "E", 0),                                   # 0 stays 0
        row("charge_rate", "csp", "A", 12, 41, ci_low=0.16, ci_high=0.44),  # 10 of 40 -> 25%
        # A population rate: the count is rounded, the population (public) is not; 33 / 10,000 x 1,000
        # a year = 3.3 becomes 35 / 10,000 x 1,000 = 3.5.
        {**row("incidents_per_1000", "csp", "A", 33, 10_000), "value": 3.3},
    ])
    out = suppress(frame)
    assert out["numerator"].tolist() == [35, 5, 10, SMALL_COUNT_MARK, 0, 10, 35]
    assert out["value"].tolist()[:5] == [35, 5, 10, SMALL_COUNT_MARK, 0]
    rate = out.iloc[5]
    assert (rate["denominator"], rate["value"]) == (40, 0.25)
    low, high = wilson_interval(10, 40)
    assert (rate["ci_low"], rate["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    population = out.iloc[6]
    assert population["denominator"] == 10_000 and population["value"] == pytest.approx(3.5)


def feasible(shown) -> set[int] | None:
    """The true counts a shown cell can stand for (None: hidden without a bound, so nothing to pin)."""
    if shown == SMALL_COUNT_MARK:
        return {1, 2, 3, 4}
    if shown is None or shown == SECONDARY_MARK or (isinstance(shown, float) and np.isnan(shown)):
        return None
    n = int(shown)
    if n == 0:
        return {0}
    return {v for v in range(n - 2, n + 3) if v >= SMALL_COUNT_LIMIT}


def test_the_example_of_the_finding_cannot_be_recovered():
    # Maldon's disclosures: February to May 12, February to April 9; May alone 3 shows as <5. Rounded,
    # the two show as 10 and 10: May is anything from 0 to 4 as far as they tell (and 12 - 9 = 3 is one
    # of nine candidates, -4 to 4).
    wide, narrow = suppress(pd.DataFrame([row("dvds_applications", "csp", "M", 12),
                                          row("dvds_applications", "csp", "M", 9)]))["numerator"]
    candidates = {a - b for a in feasible(wide) for b in feasible(narrow) if a >= b}
    assert (wide, narrow) == (10, 10) and candidates == {0, 1, 2, 3, 4}
    # 6 of 8 high-risk victims referred: shown as 5 of 10, so those not referred are 0 to 7, not 2.
    referred, victims = suppress(pd.DataFrame([row("high_risk_marac_referral_rate", "csp", "M", 6, 8)])).iloc[0][
        ["numerator", "denominator"]]
    assert len({d - n for d in feasible(victims) for n in feasible(referred) if d >= n}) > 1
