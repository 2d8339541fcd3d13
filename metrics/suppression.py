"""Small-number suppression for partnership and scrutiny audiences, and every export meant for them.

The rules (metric catalogue, "Showing numbers honestly"), applied to the export format (``metric_id,
level, unit_code, period_from, period_to, breakdown, breakdown_value, numerator, denominator, value``,
optionally ``ci_low, ci_high``):

1. **Small counts.** A count from 1 to 4 — a count row's numerator and value, or a numerator or
   denominator of a rate or proportion — is shown as ``"<5"``. Zero is shown: it identifies nobody.
2. **Small bases.** A rate or proportion whose denominator is under 10 is not shown (value and interval
   withheld): it says too little to be worth the risk.
3. **No back door through a rate.** When a rate's numerator or denominator is hidden, its value and
   interval are withheld too, because value × denominator (or numerator ÷ value) would give the hidden
   number back. So a proportion is shown only when its numerator is 0 or at least 5 and its
   denominator is at least 10.
4. **No group attribute through a small base.** A rate's or proportion's numerator over a denominator
   of 1 to 4 is hidden as well, even when it is 0 (shown ``"[c]"``): "0 of <5 victims were repeat
   victims" says that none of those few people was one.
5. **Secondary suppression.** Cells that add up to a shown total must not let the total reveal a
   hidden cell. The groups are (a) a metric's breakdown rows (one breakdown, e.g. ``victim_sex``) under
   its headline row for the same unit and period, and (b) the division rows, and separately the CSP rows,
   under the force row for the same metric, breakdown value and period, when the frame holds both, and
   (c) the CSP rows under their division's row when the caller gives ``csp_divisions`` (the export
   itself does not say which division a CSP is in). The
   numerators are checked, and the denominators where the total has one. If exactly one cell of a group
   (its total included) is hidden, the smallest other shown non-zero cell is hidden too (a hidden zero
   would not protect a hidden 1) — a zero only when nothing else is left, then the total — and this is
   repeated over all groups until none has exactly one hidden cell. A cell hidden this way shows
   ``"[c]"`` (the Government Statistical Service's "confidential" mark), not ``"<5"``, because its true
   value may well be 5 or more. Groups are treated as additive even where they are not quite (records a
   force cannot place count at force level only): that can only hide more, never less.

6. **Rounding, so that differences give nothing away.** After suppression, every count still shown
   (a count, and a rate's numerator and its denominator when that is a count of cases) is rounded to the
   nearest multiple of 5 (``ROUND_BASE``; 5, 6, 7 show as 5, 8 to 12 as 10), and a rate, a proportion and
   its interval are worked out from the rounded counts (a population, a public figure, is not rounded).
   A count shown as ``n`` then stands for any of five values (n − 2 to n + 2), ``<5`` for any of four,
   so the difference of two shown counts — two overlapping periods (February to May less February to
   April), two levels (a division less its partnerships), or a denominator less its numerator (6 of 8
   referred shows that 2 were not) — can be any of at least nine values and never pins a count of 1 to 4.
   With the fixed reporting periods the partnership page offers (financial years and their quarters,
   ``metrics.periods.reporting_periods``), the overlaps an attacker can draw are few. ``round_to=None``
   skips this stage (to test the suppression rules on their own).

What is not covered, and why: a linear combination of many published cells, each at the edge of its
rounding interval, can narrow a cell's range; fixed reporting periods, secondary suppression and rounding
together keep such combinations few and long. The method and its reasons are in docs/DEPLOYMENT.md.

``suppress`` returns a copy with ``suppressed`` (True when anything in the row is hidden or withheld)
and ``suppressed_reason``; it never mutates its input. ``suppress_value`` does the same for one number on
a tile.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

SMALL_COUNT_MARK = "<5"
SECONDARY_MARK = "[c]"
SMALL_COUNT_LIMIT = 5  # counts above 0 and below this are hidden
MIN_DENOMINATOR = 10  # rates on fewer cases than this are not shown
ROUND_BASE = 5  # shown counts are rounded to the nearest multiple of this

REASON_SMALL_COUNT = "count under 5"
REASON_SMALL_NUMERATOR = "numerator under 5"
REASON_SMALL_DENOMINATOR = "denominator under 10"
REASON_SECONDARY = "protects a hidden cell in the same total"
REASON_SMALL_BASE = "its base is under 5"

_INTERVAL_COLUMNS = ("ci_low", "ci_high")
_KEY_COLUMNS = ("metric_id", "level", "unit_code", "period_from", "period_to", "breakdown", "breakdown_value")
_LOWER_LEVELS = ("division", "csp")
_NULL_KEY = "\x00null"


def _is_small(x: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.isfinite(x) & (x > 0) & (x < SMALL_COUNT_LIMIT)


def suppress_value(count):
    """One count for a tile: ``"<5"`` for 1 to 4, otherwise the count rounded to the nearest 5 (rule 6);
    None/NaN pass through."""
    if count is None or count is pd.NA:
        return count
    if isinstance(count, (int, float, np.integer, np.floating)) and not isinstance(count, bool):
        if np.isfinite(count) and 0 < count < SMALL_COUNT_LIMIT:
            return SMALL_COUNT_MARK
        if np.isfinite(count):
            return int(round_count(float(count)))
    return count


def _numeric(df: pd.DataFrame, column: str) -> np.ndarray:
    if column not in df.columns:
        return np.full(len(df), np.nan)
    return np.asarray(pd.to_numeric(df[column], errors="coerce"), dtype=float)


def _key(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The grouping columns as strings (a missing column read as all-null, every null as one value)."""
    out = pd.DataFrame(index=range(len(df)))
    for col in columns:
        if col in df.columns:
            values = df[col].reset_index(drop=True)
            out[col] = values.astype(str).where(values.notna(), _NULL_KEY).astype(object)
        else:
            out[col] = _NULL_KEY
    return out


def _additive_groups(
    df: pd.DataFrame, csp_divisions: Mapping[str, str] | None = None
) -> list[tuple[list[int], int]]:
    """(member row positions, total row position) for every group of rows that add up to a total."""
    groups: list[tuple[list[int], int]] = []
    if len(df) == 0 or "metric_id" not in df.columns:
        return groups
    keys = _key(df, _KEY_COLUMNS)
    headline = (keys["breakdown"] == _NULL_KEY).to_numpy()

    def first_row_by(mask: np.ndarray, cols: list[str]) -> dict[tuple, int]:
        rows = keys[mask]
        return {tuple(k): int(i) for k, i in zip(rows[cols].itertuples(index=False), rows.index)}

    def rows_by(mask: np.ndarray, cols: list[str]) -> dict[tuple, np.ndarray]:
        rows = keys[mask]
        if rows.empty:
            return {}
        return {k if isinstance(k, tuple) else (k,): rows.index[pos].to_numpy()
                for k, pos in rows.groupby(cols, sort=False).indices.items()}

    # (a) breakdown rows under the headline row of the same metric, level, unit and period.
    unit_cols = ["metric_id", "level", "unit_code", "period_from", "period_to"]
    totals = first_row_by(headline, unit_cols)
    for key, members in rows_by(~headline, [*unit_cols, "breakdown"]).items():
        total = totals.get(key[:-1])
        if total is not None:
            groups.append(([int(m) for m in members], total))

    # (b) division rows, and CSP rows, under the force row with the same metric, breakdown and period.
    cross_cols = ["metric_id", "period_from", "period_to", "breakdown", "breakdown_value"]
    force_totals = first_row_by((keys["level"] == "force").to_numpy(), cross_cols)
    lower = keys["level"].isin(_LOWER_LEVELS).to_numpy()
    for key, members in rows_by(lower, ["level", *cross_cols]).items():
        total = force_totals.get(key[1:])
        if total is not None:
            groups.append(([int(m) for m in members], total))

    # (c) CSP rows under their division's row, when the caller says which division each CSP is in.
    if csp_divisions:
        division = (keys["level"] == "division").to_numpy()
        division_totals = first_row_by(division, ["unit_code", *cross_cols])
        csp_rows = keys[(keys["level"] == "csp").to_numpy()].copy()
        csp_rows["division"] = csp_rows["unit_code"].map(lambda c: csp_divisions.get(c, _NULL_KEY))
        for key, pos in csp_rows.groupby(["division", *cross_cols], sort=False).indices.items():
            total = division_totals.get(key)
            if total is not None:
                groups.append(([int(m) for m in csp_rows.index[pos]], total))
    return groups


def _secondary(
    values: np.ndarray,
    hidden: np.ndarray,
    groups: Iterable[tuple[list[int], int]],
    last_resort: np.ndarray | None = None,
) -> np.ndarray:
    """Cells to hide so that no group has exactly one hidden cell (a fixed point over all groups).

    ``last_resort`` marks cells picked only when no other cell of the group will do."""
    last = np.zeros(len(values), dtype=bool) if last_resort is None else last_resort
    hidden = hidden.copy()
    secondary = np.zeros(len(values), dtype=bool)
    present = np.isfinite(values)
    groups = [
        ([m for m in members if present[m]], total) for members, total in groups if present[total]
    ]
    groups = [(members, total) for members, total in groups if members]
    changed = True
    while changed:
        changed = False
        for members, total in groups:
            cells = [*members, total]
            if int(hidden[cells].sum()) != 1:
                continue
            shown = [m for m in members if not hidden[m]]
            nonzero = [m for m in shown if values[m] != 0]
            candidates = nonzero or shown
            # Smallest first; ties go to the earlier row, so the result does not depend on set order.
            pick = min(candidates, key=lambda m: (last[m], values[m], m)) if candidates else total
            if hidden[pick]:
                continue
            hidden[pick] = True
            secondary[pick] = True
            changed = True
    return secondary


def round_count(value: float, base: int = ROUND_BASE) -> float:
    """The nearest multiple of ``base`` (halves up: with base 5 and whole numbers, none occur)."""
    return float(np.floor(value / base + 0.5) * base)


def _population_rows(df: pd.DataFrame) -> np.ndarray:
    """Rows whose denominator is a population (a public figure, not a count of cases: not rounded)."""
    if "metric_id" not in df.columns:
        return np.zeros(len(df), dtype=bool)
    from metrics.registry import METRICS

    populations = {mid for mid, metric in METRICS.items() if metric.population}
    return df["metric_id"].isin(populations).to_numpy()


def _round_shown(out: pd.DataFrame, original: pd.DataFrame, is_count: np.ndarray, withheld: np.ndarray,
                 base: int) -> None:
    """Round every shown count to ``base`` and rework rates, proportions and intervals from the rounded
    counts (rule 6 of the module docstring); in place on ``out``."""
    from metrics.stats import wilson_interval

    population = _population_rows(original)
    num = _numeric(original, "numerator")
    den = _numeric(original, "denominator")
    value = _numeric(original, "value")

    def rounded(column: str, keep: np.ndarray) -> np.ndarray:
        values = out[column].astype(object).to_numpy(copy=True)
        numbers = np.array([isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                            and np.isfinite(float(v)) for v in values])
        for i in np.flatnonzero(numbers & ~keep):
            values[i] = int(round_count(float(values[i]), base))
        out[column] = pd.Series(values, index=out.index, dtype=object)
        return numbers

    if "numerator" in out.columns:
        rounded("numerator", np.zeros(len(out), dtype=bool))
    if "denominator" in out.columns:
        rounded("denominator", population)
    if "value" not in out.columns:
        return
    values = out["value"].astype(object).to_numpy(copy=True)
    shown_num = pd.to_numeric(out["numerator"], errors="coerce").to_numpy(dtype=float) if "numerator" in out else num
    shown_den = pd.to_numeric(out["denominator"], errors="coerce").to_numpy(dtype=float) if "denominator" in out else den
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where((num > 0) & (den > 0), value / (num / den), 1.0)  # per 1,000 a year, ...
    for i in range(len(out)):
        if withheld[i] or values[i] is None or isinstance(values[i], str):
            continue
        if is_count[i]:
            values[i] = int(round_count(float(values[i]), base)) if np.isfinite(float(values[i])) else values[i]
        elif shown_den[i] > 0:
            values[i] = shown_num[i] / shown_den[i] * scale[i]
    out["value"] = pd.Series(values, index=out.index, dtype=object)
    if {"ci_low", "ci_high"} <= set(out.columns):
        has_interval = ~withheld & ~is_count & np.isfinite(_numeric(original, "ci_low")) & (shown_den > 0)
        if has_interval.any():
            low, high = wilson_interval(shown_num[has_interval], shown_den[has_interval])
            out.loc[has_interval, "ci_low"] = low
            out.loc[has_interval, "ci_high"] = high


def suppress(
    df: pd.DataFrame,
    *,
    also_withhold: Sequence[str] = (),
    csp_divisions: Mapping[str, str] | None = None,
    hide_last: Sequence[str] = (),
    round_to: int | None = ROUND_BASE,
) -> pd.DataFrame:
    """A copy of an export-format frame with small numbers hidden (see the module docstring for the rules).

    A row with no denominator is a count (``value`` mirrors ``numerator``); a row with one is a rate or
    proportion. ``also_withhold`` names further columns derived from the value (e.g. a representation
    ratio) that are withheld whenever the value is. ``csp_divisions`` (CSP code -> division code) adds
    the CSP rows under their division's row as groups, for a frame holding both levels. ``hide_last``
    names breakdown values that secondary suppression picks only when nothing else will do (the victim
    profile's ``not_known``, whose count is also the gap between all victims and the known ones).
    ``round_to``: the rounding base of rule 6 (None: no rounding). Adds ``suppressed`` (bool) and
    ``suppressed_reason``.
    """
    out = df.copy()
    n = len(out)
    num = _numeric(out, "numerator")
    den = _numeric(out, "denominator")
    value = _numeric(out, "value")
    is_count = np.isnan(den) if "denominator" in out.columns else np.ones(n, dtype=bool)
    # A count row that carries only its value is judged on the value.
    count_cell = np.where(is_count & np.isnan(num), value, num)

    hide_num_primary = _is_small(count_cell)
    hide_den_primary = _is_small(den)
    # Rule 4: a numerator over a denominator of 1 to 4 would say something of every person in that small
    # group ("0 of <5 victims were repeat victims": none of them was), so it is hidden too, and shown as
    # confidential ("[c]": it may be 0) like a secondary cell.
    base_hidden = ~is_count & hide_den_primary & ~hide_num_primary
    groups = _additive_groups(out.reset_index(drop=True), csp_divisions)
    last_resort = (
        out["breakdown_value"].isin(list(hide_last)).to_numpy()
        if hide_last and "breakdown_value" in out.columns
        else None
    )
    hide_num_secondary = _secondary(count_cell, hide_num_primary | base_hidden, groups, last_resort) | base_hidden
    hide_den_secondary = _secondary(den, hide_den_primary, groups, last_resort)
    hide_num = hide_num_primary | hide_num_secondary
    hide_den = hide_den_primary | hide_den_secondary

    with np.errstate(invalid="ignore"):
        small_base = ~is_count & np.isfinite(den) & (den < MIN_DENOMINATOR)
    withhold_rate = ~is_count & (small_base | hide_num | hide_den)

    reasons: list[list[str]] = [[] for _ in range(n)]
    for i in np.flatnonzero(is_count & hide_num_primary):
        reasons[i].append(REASON_SMALL_COUNT)
    for i in np.flatnonzero(~is_count & hide_num_primary):
        reasons[i].append(REASON_SMALL_NUMERATOR)
    for i in np.flatnonzero(small_base):
        reasons[i].append(REASON_SMALL_DENOMINATOR)
    for i in np.flatnonzero(hide_den_primary & ~small_base):
        reasons[i].append(REASON_SMALL_DENOMINATOR)  # a denominator of 1-4 is under 10 as well
    for i in np.flatnonzero(base_hidden):
        reasons[i].append(REASON_SMALL_BASE)
    for i in np.flatnonzero((hide_num_secondary & ~hide_num_primary & ~base_hidden)
                            | (hide_den_secondary & ~hide_den_primary)):
        reasons[i].append(REASON_SECONDARY)

    def marked(values: pd.Series, primary: np.ndarray, secondary: np.ndarray) -> pd.Series:
        shown = values.astype(object).to_numpy(copy=True)
        shown[primary] = SMALL_COUNT_MARK
        shown[secondary & ~primary] = SECONDARY_MARK
        return pd.Series(shown, index=values.index, dtype=object)

    if "numerator" in out.columns:
        out["numerator"] = marked(out["numerator"], hide_num_primary, hide_num_secondary)
    if "denominator" in out.columns:
        out["denominator"] = marked(out["denominator"], hide_den_primary, hide_den_secondary)
    if "value" in out.columns:
        shown_value = marked(out["value"], is_count & hide_num_primary, is_count & hide_num_secondary).to_numpy(
            copy=True
        )
        shown_value[withhold_rate] = None
        out["value"] = pd.Series(shown_value, index=out.index, dtype=object)
    withheld = withhold_rate | (is_count & hide_num)
    for col in (*_INTERVAL_COLUMNS, *also_withhold):
        if col in out.columns:
            if pd.api.types.is_numeric_dtype(out[col]):
                column = out[col].astype(float).to_numpy(copy=True)
                column[withheld] = np.nan
                out[col] = pd.Series(column, index=out.index)
            else:
                column = out[col].astype(object).to_numpy(copy=True)
                column[withheld] = None
                out[col] = pd.Series(column, index=out.index, dtype=object)

    if round_to and n:
        _round_shown(out, df, is_count, withheld, round_to)
    out["suppressed"] = hide_num | hide_den | withhold_rate
    out["suppressed_reason"] = pd.Series(
        ["; ".join(dict.fromkeys(r)) if r else None for r in reasons], index=out.index, dtype=object
    )
    return out
