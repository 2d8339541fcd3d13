"""The compiler's answer equals a direct count over the marts, for random forces, periods (any days, not
only whole months), levels and breakdowns (hypothesis).

The direct count is written here independently of ``metrics.compiler``, in pandas, from the registry's
declarations read as a person reads them: the fact's rows whose event date falls in the period and whose
``where`` flags are all true are counted (or their ``sum_of`` column summed); a ``distinct`` measure
counts each person of a force once, at the unit (and breakdown value) of their last record in the period,
when any of their records there has the flags. Both the facts and the monthly mart are compared.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from metrics.compiler import count_measures
from metrics.registry import FACTS, LEVELS, all_measures
from tests.metrics.test_properties import PROPERTY_SETTINGS, forces, load

MEASURES = all_measures()
BREAKDOWNS = sorted({b for fact in FACTS.values() for b in fact.breakdowns})


def direct_counts(con, level: str, period_from: date, period_to: date, breakdown: str | None) -> dict:
    """(measure key, unit, breakdown value) -> count, by hand over the fact tables."""
    start, end = pd.Timestamp(period_from), pd.Timestamp(period_to + timedelta(days=1))
    found: dict[tuple, float] = {}
    tables = {name: con.execute(f"SELECT * FROM {fact.table}").df() for name, fact in FACTS.items()}
    for measure in MEASURES:
        fact = FACTS[measure.fact]
        if breakdown is not None and breakdown not in fact.breakdowns:
            continue
        rows = tables[measure.fact]
        dates = pd.to_datetime(rows[measure.date])
        rows = rows[(dates >= start) & (dates < end)]
        flags = np.ones(len(rows), dtype=bool)
        for flag in measure.where:
            flags &= rows[flag].fillna(False).astype(bool).to_numpy()
        unit = fact.units[level]
        band = fact.breakdowns.get(breakdown) if breakdown else None
        if measure.distinct:
            rows = rows.assign(_flag=flags)[rows[measure.distinct].notna()]
            rows = rows.sort_values([measure.date, fact.record_id])
            for _, person in rows.groupby(["force_code", measure.distinct]):
                last = person.iloc[-1]
                if pd.isna(last[unit]) or not person["_flag"].any():
                    continue
                key = (measure.key, last[unit], last[band] if band else None)
                found[key] = found.get(key, 0) + 1
            continue
        rows = rows[flags & rows[unit].notna().to_numpy()]
        for _, record in rows.iterrows():
            key = (measure.key, record[unit], record[band] if band else None)
            amount = record[measure.sum_of] if measure.sum_of else 1
            found[key] = found.get(key, 0) + (0 if pd.isna(amount) else amount)
    return found


def compiled_counts(con, level, period_from, period_to, breakdown, source) -> dict:
    frame = count_measures(con, MEASURES, level, period_from, period_to, breakdowns=[breakdown] if breakdown else [],
                           source=source)
    frame = frame[frame["breakdown"].isna()] if breakdown is None else frame[frame["breakdown"] == breakdown]
    found = {}
    for _, record in frame.iterrows():
        for measure in MEASURES:
            count = record[measure.key]
            if not pd.isna(count) and count:
                found[(measure.key, record["unit_code"], record["breakdown_value"])] = float(count)
    return found


@st.composite
def questions(draw):
    first = date(2023, 7, 1) + timedelta(days=draw(st.integers(0, 540)))
    last = first + timedelta(days=draw(st.integers(0, 400)))
    whole = draw(st.booleans())
    if whole:  # whole months, which the monthly mart answers
        first = first.replace(day=1)
        last = (pd.Timestamp(last) + pd.offsets.MonthEnd(0)).date()
    return (draw(st.sampled_from(LEVELS)), first, last, draw(st.sampled_from([None, *BREAKDOWNS])))


@PROPERTY_SETTINGS
@given(forces(), st.lists(questions(), min_size=3, max_size=3))
def test_the_compiler_counts_what_a_direct_count_over_the_marts_counts(records, asked):
    con = load(records)
    for level, period_from, period_to, breakdown in asked:
        expected = {k: float(v) for k, v in direct_counts(con, level, period_from, period_to, breakdown).items() if v}
        for source in ("facts", "auto"):
            got = compiled_counts(con, level, period_from, period_to, breakdown, source)
            assert got == expected, (level, period_from, period_to, breakdown, source)
    con.close()
