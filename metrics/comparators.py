"""How the force compares: its figures beside its most similar group (MSG) and England and Wales.

Where every force's figures come from (one row per force, period and measure):

- **records**: the forces whose records the database holds, counted by the same compiler as every
  other figure (``metrics.compute``). At load ``build_comparator_marts`` works them out for every period
  other forces' figures are loaded for and, with several forces' records (a regional collaboration, an
  inspectorate, the national demo set), for the standard periods; any other period is computed when
  asked (and cached by the dashboard).
- **loaded**: the ``comparators`` reference table (docs/COMPARATORS.md): published tables, other forces'
  exports (``daperf export-comparators``) or the demo's synthetic national run. A force's own records win
  over a loaded figure for the same force, period and measure.

The comparison (``compare``) pools, never averages: England and Wales is the sum of every force's
numerators over the sum of their denominators (a population rate: the counts over the summed
populations), the most similar group the same over its peers with the force itself left out. A force
with no figure for the period is left out of both and listed. Forces are ranked by value (1 = highest;
tied forces share the better rank), and the force's difference from England and Wales is significant
when it lies outside the 95% funnel limits around the England and Wales value at its own size (the
funnel plots' test, ``metrics.stats.funnel_position``).

Only proportions and rates are compared (counts of forces of different sizes are not). Figures loaded
from a published table are compared only for measures whose published definition is ours
(``PUBLISHED``); where it differs a little the comparison carries the note saying how.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import duckdb
import numpy as np
import pandas as pd

from daperf.sqlfiles import sql
from metrics.comparability import (
    COMPARABLE_IDS,
    PUBLISHED,
    RECORDS_SOURCE,
    definition_note,
    export_source,
)
from metrics.comparison import Funnel, exposure_scale, funnel, value_scale
from metrics.compute import compute
from metrics.periods import add_months, data_coverage, default_period, previous_period, reporting_periods, whole_months
from metrics.registry import METRICS, Metric
from metrics.stats import funnel_position
from metrics.suppression import MIN_DENOMINATOR, suppress
from metrics.units import has_tables
from reference import geography

FIGURE_COLUMNS = ["force_code", "force_name", "period_from", "period_to", "metric_id", "numerator", "denominator",
                  "value", "source", "published_on", "origin"]
# The exchange format (the comparators reference table's columns, in order).
CONTRACT_COLUMNS = FIGURE_COLUMNS[:-1]
_ORIGIN_ORDER = {"records": 0, "loaded": 1}


# --- periods ---------------------------------------------------------------------------------------

def standard_periods(first_day: date, last_day: date) -> list[tuple[date, date]]:
    """The periods worked out for every force at load when the database holds several forces' records,
    and written by the demo: every financial year and quarter wholly inside the data
    (``metrics.periods.reporting_periods``), the rolling 12 months the dashboard opens on (ending with
    the last complete month) and the 12 months before it. Newest first, no duplicates."""
    periods = [(start, end) for _, start, end in reporting_periods(first_day, last_day)]
    rolling = default_period(last_day + timedelta(days=1))
    for period in (rolling, previous_period(*rolling)):
        if first_day <= period[0] and period not in periods:
            periods.append(period)
    return sorted(set(periods), key=lambda p: (p[1], p[0]), reverse=True)


def is_financial_year(period_from: date, period_to: date) -> bool:
    return (period_from.month, period_from.day) == (4, 1) and period_to == add_months(period_from, 12) - timedelta(days=1)


def financial_year_label(period_from: date) -> str:
    return f"{period_from.year} to {period_from.year + 1}"


# --- the marts, built at load ----------------------------------------------------------------------

COMPARATOR_MARTS = ("mart_comparators", "mart_msg", "mart_record_spans")

def record_spans(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``force_code, first_day, last_day`` of every force whose incidents the database holds."""
    if not has_tables(con, "mart_record_spans"):  # a database built before the comparator marts: none known
        return pd.DataFrame(columns=["force_code", "first_day", "last_day"])
    frame = con.execute(sql("comparators/record_spans")).df()
    for column in ("first_day", "last_day"):
        frame[column] = [pd.Timestamp(v).date() for v in frame[column]]
    return frame


def _covering(spans: pd.DataFrame, period_from: date, period_to: date) -> list[str]:
    """The forces whose records cover every day of the period."""
    return [force for force, first, last in spans[["force_code", "first_day", "last_day"]].itertuples(index=False)
            if data_coverage(period_from, period_to, first, last) == "whole"]


def records_figures(con: duckdb.DuckDBPyConnection, period_from: date, period_to: date, forces: list[str], *,
                    metric_ids: Iterable[str] = COMPARABLE_IDS) -> pd.DataFrame:
    """The forces' figures computed from their records, in ``FIGURE_COLUMNS``."""
    if not forces:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    frame = compute(con, "force", period_from, period_to, metric_ids=list(metric_ids), forces=forces,
                    breakdowns=False)
    frame = frame[frame["unit_code"].isin(forces)]
    return pd.DataFrame({
        "force_code": frame["unit_code"].to_numpy(), "force_name": frame["unit_name"].to_numpy(),
        "period_from": period_from, "period_to": period_to, "metric_id": frame["metric_id"].to_numpy(),
        "numerator": frame["numerator"].astype("Float64").astype(float).to_numpy(),
        "denominator": frame["denominator"].astype("Float64").astype(float).to_numpy(),
        "value": frame["value"].astype(float).to_numpy(), "source": RECORDS_SOURCE, "published_on": None,
        "origin": "records",
    })[FIGURE_COLUMNS]


def complete_loaded(frame: pd.DataFrame) -> pd.DataFrame:
    """Loaded figures made whole where the row allows: a value from its counts (not on fewer than 10
    cases, which a figure meant for sharing withholds), and a rate's or share's denominator from its
    count and value (a published table that gives a count and a rate)."""
    out = frame.copy()
    if out.empty:
        return out.assign(origin="loaded")[FIGURE_COLUMNS]
    scale = np.array([value_scale(METRICS[m], pd.Timestamp(f).date(), pd.Timestamp(t).date())
                      for m, f, t in zip(out["metric_id"], out["period_from"], out["period_to"])], dtype=float)
    num, den, value = (out[c].astype(float).to_numpy() for c in ("numerator", "denominator", "value"))
    with np.errstate(divide="ignore", invalid="ignore"):
        from_counts = np.where(np.isnan(value) & (den >= MIN_DENOMINATOR), num / den * scale, value)
        derived_den = np.where(np.isnan(den) & (value > 0), num * scale / value, den)
    out["value"] = from_counts
    out["denominator"] = derived_den
    out["origin"] = "loaded"
    return out[FIGURE_COLUMNS]


def build_comparator_marts(con: duckdb.DuckDBPyConnection) -> None:
    """``mart_msg`` (each force's most similar group: the peers of the newest batch that gave it one) and
    ``mart_comparators`` (every force's figures): the loaded ones made whole, and the figures of every force
    whose records the database holds, computed once here for each period other forces' figures are loaded
    for and, when it holds several forces' records, for the standard periods. Run by
    ``etl.marts.build_marts``; any other period is computed when asked."""
    con.execute(sql("comparators/mart_record_spans"))
    con.execute(sql("comparators/mart_msg"))
    loaded = complete_loaded(con.execute(sql("comparators/loaded")).df())
    parts = [loaded]
    spans = record_spans(con)
    periods = {(pd.Timestamp(f).date(), pd.Timestamp(t).date())
               for f, t in loaded[["period_from", "period_to"]].drop_duplicates().itertuples(index=False)}
    if len(spans) > 1:
        periods |= set(standard_periods(min(spans["first_day"]), max(spans["last_day"])))
    for period_from, period_to in sorted(periods):
        parts.append(records_figures(con, period_from, period_to, _covering(spans, period_from, period_to)))
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else loaded
    frame = frame.astype({"force_code": str, "metric_id": str, "numerator": float, "denominator": float,
                          "value": float})
    for column in ("period_from", "period_to", "published_on"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    con.register("comparator_figures", frame)
    try:
        con.execute(sql("comparators/mart_comparators"))
    finally:
        con.unregister("comparator_figures")


# --- reading the figures of a period ------------------------------------------------------------------

def has_marts(con: duckdb.DuckDBPyConnection) -> bool:
    return has_tables(con, *COMPARATOR_MARTS)


def figures(con: duckdb.DuckDBPyConnection, period_from: date, period_to: date,
            metric_ids: Iterable[str] = COMPARABLE_IDS) -> pd.DataFrame:
    """Every force's figure for each measure over exactly this period (``FIGURE_COLUMNS``): from the mart,
    and from the records of any force whose records cover the period and are not in the mart for it; a
    force's records win over a loaded figure."""
    ids = [m for m in metric_ids if m in COMPARABLE_IDS]
    params = {"period_from": period_from, "period_to": period_to, "metric_ids": ids}
    rows = con.execute(sql("comparators/figures"), params).df() if has_marts(con) else pd.DataFrame(
        columns=FIGURE_COLUMNS)
    spans = record_spans(con)
    done = set(rows.loc[rows["origin"] == "records", "force_code"])
    todo = [f for f in _covering(spans, period_from, period_to) if f not in done]
    parts = [rows, records_figures(con, period_from, period_to, todo, metric_ids=ids)]
    rows = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else rows
    if rows.empty:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    rows = rows.assign(_order=rows["origin"].map(_ORIGIN_ORDER)).sort_values(["metric_id", "force_code", "_order"])
    rows = rows.drop_duplicates(["metric_id", "force_code"], keep="first").drop(columns="_order")
    for column in ("numerator", "denominator", "value"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
    return rows[FIGURE_COLUMNS].reset_index(drop=True)


def comparator_periods(con: duckdb.DuckDBPyConnection) -> list[tuple[date, date]]:
    """The periods other forces' figures are held for (mart), newest first; with several forces' records,
    any period inside them can be compared as well."""
    if not has_marts(con):
        return []
    return [(pd.Timestamp(f).date(), pd.Timestamp(t).date())
            for f, t in con.execute(sql("comparators/periods")).fetchall()]


def comparison_period(con: duckdb.DuckDBPyConnection, force_code: str, period_from: date,
                      period_to: date) -> tuple[date, date] | None:
    """The period a view of ``period_from``..``period_to`` is compared over: itself when other forces'
    figures are held or computable for it, else the latest held period of the same length (12 months
    when it is not whole months) ending on or before its end; None when there is none."""
    spans = record_spans(con)
    if len([f for f in _covering(spans, period_from, period_to) if f != force_code]) >= 1:
        return period_from, period_to
    held = comparator_periods(con)
    if (period_from, period_to) in held:
        return period_from, period_to
    length = whole_months(period_from, period_to) or 12
    candidates = [(f, t) for f, t in held if t <= period_to and whole_months(f, t) == length]
    return candidates[0] if candidates else None


# --- most similar groups --------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    peers: tuple[str, ...]          # peer force codes
    illustrative: bool              # not HMICFRS's published group (the demo's)
    source: str


NO_GROUP = Group((), False, "")


def most_similar_group(con: duckdb.DuckDBPyConnection, force_code: str) -> Group:
    if not has_marts(con):
        return NO_GROUP
    rows = con.execute(sql("comparators/peers"), {"force_code": force_code}).fetchall()
    if not rows:
        return NO_GROUP
    return Group(tuple(r[0] for r in rows), any(bool(r[1]) for r in rows), next((r[2] for r in rows if r[2]), ""))


# --- the comparison -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pooled:
    numerator: float
    denominator: float
    value: float
    forces: tuple[str, ...]         # the codes pooled


@dataclass(frozen=True)
class Comparison:
    metric: Metric
    period_from: date
    period_to: date
    force_code: str
    force_name: str
    value: float | None             # the force's own value (None: no figure, or withheld)
    numerator: float | None
    denominator: float | None
    england_wales: Pooled | None
    msg: Pooled | None
    group: Group
    missing: tuple[str, ...]        # names of forces with no figure for the period, left out of every pool
    msg_missing: tuple[str, ...]    # names of MSG peers with no figure, left out of the MSG
    rank: int | None                # 1 = highest value
    ranked: int                     # how many forces have a value
    tied: bool
    position: str                   # metrics.stats.FUNNEL_POSITIONS, against England and Wales
    note: str | None                # how a published definition differs, when a figure comes from one
    sources: tuple[str, ...]
    values: pd.DataFrame = field(repr=False)  # every force's row, with rank, ``in_group`` and ``is_force``
    is_unit: bool = False           # a part of the force (a division) set among the forces

    @property
    def significant(self) -> bool:
        return self.position not in ("within", "no data")

    @property
    def higher(self) -> bool | None:
        return self.position.startswith("above") if self.significant else None

    @property
    def comparable(self) -> bool:
        return self.england_wales is not None or self.ranked > 1


def rank_with_ties(values: pd.Series) -> pd.Series:
    """1 for the highest value; tied values share the better rank (1, 2, 2, 4); no rank for a missing value."""
    return pd.Series(_ranks(values.to_numpy(dtype=float, na_value=np.nan)), index=values.index)


def _ranks(values: np.ndarray) -> pd.arrays.IntegerArray:
    """``rank_with_ties`` on an array: one more than the number of values above each."""
    ranks = (values[None, :] > values[:, None]).sum(axis=1) + 1
    return pd.array(np.where(np.isnan(values), pd.NA, ranks).tolist(), dtype="Int64")


def pool(numerators: np.ndarray, denominators: np.ndarray, force_codes: np.ndarray, metric: Metric,
          period_from: date, period_to: date) -> Pooled | None:
    """Sum of numerators over sum of denominators, in the metric's units (None when nothing pools)."""
    usable = ~np.isnan(numerators) & ~np.isnan(denominators) & (np.nan_to_num(denominators) > 0)
    if not usable.any():
        return None
    numerator, denominator = float(numerators[usable].sum()), float(denominators[usable].sum())
    value = numerator / denominator * value_scale(metric, period_from, period_to)
    return Pooled(numerator, denominator, value, tuple(force_codes[usable].tolist()))


def _number(value: object) -> float | None:
    try:
        number = float(value)  # a suppression mark is not a number
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number


def compare(frame: pd.DataFrame, metric_id: str, force_code: str, period_from: date, period_to: date, *,
            group: Group = NO_GROUP, expected: pd.DataFrame | None = None,
            unit: tuple[str, object, object, object] | None = None) -> Comparison:
    """The force among every force's figures for one measure and period (``figures`` rows).

    ``expected``: ``force_code, force_name`` of the forces that should have a figure (default: the 43 police
    force areas); those without one are listed in ``missing``. ``unit``: (name, numerator, denominator,
    value) of a part of the force (a division) set among the forces instead of the force itself: where it
    would rank, and whether it differs from England and Wales."""
    metric = METRICS[metric_id]
    # Arrays where the frame's operations were: a partnership's page compares three dozen measures, and
    # pandas' overhead on 43 rows was most of each comparison's time.
    chosen = frame[(frame["metric_id"] == metric_id).to_numpy()]
    numbers = {column: np.array([_number(v) for v in chosen[column]], dtype=float)
               for column in ("numerator", "denominator", "value")}
    known = ~np.isnan(numbers["value"])
    values = numbers["value"][known]
    codes = chosen["force_code"].to_numpy()[known]
    ranks = _ranks(values)
    in_group = np.isin(codes, list(group.peers)) if group.peers else np.zeros(len(codes), dtype=bool)
    is_force = codes == force_code
    rows = chosen[known].reset_index(drop=True).assign(
        numerator=numbers["numerator"][known], denominator=numbers["denominator"][known], value=values,
        rank=ranks, in_group=in_group, is_force=is_force)
    areas = _area_names() if expected is None else dict(zip(expected["force_code"], expected["force_name"]))
    present = set(codes.tolist())
    names = areas | dict(zip(codes.tolist(), chosen["force_name"].to_numpy()[known].tolist()))
    missing = tuple(names[c] for c in areas if c not in present)
    msg_missing = tuple(names.get(c, c) for c in group.peers if c not in present and c != force_code)
    numerators, denominators = numbers["numerator"][known], numbers["denominator"][known]
    england_wales = pool(numerators, denominators, codes, metric, period_from, period_to)
    peers = in_group & ~is_force
    msg = (pool(numerators[peers], denominators[peers], codes[peers], metric, period_from, period_to)
           if group.peers else None)
    own = np.flatnonzero(is_force)
    if unit is not None:
        name, numerator, denominator, value = unit[0], _number(unit[1]), _number(unit[2]), _number(unit[3])
        rank = None if value is None else int((values > value).sum()) + 1
        tied = value is not None and bool((values == value).any())
    elif len(own):
        name = names.get(force_code, force_code)
        first = own[0]
        numerator, denominator, value = (_number(numbers[c][known][first]) for c in ("numerator", "denominator", "value"))
        rank = int(ranks[first])
        tied = bool((ranks == rank).sum() > 1)
    else:
        name, numerator, denominator, value, rank, tied = names.get(force_code, force_code), None, None, None, None, False
    position = "no data"
    if england_wales is not None and numerator is not None and denominator:
        # numerator / exposure is the value in the metric's own units, as is the England and Wales target.
        exposure = denominator * exposure_scale(metric, period_from, period_to)
        position = funnel_position(numerator, exposure, england_wales.value, metric.kind)
    sources = tuple(dict.fromkeys(str(s) for s in chosen["source"].tolist()))
    return Comparison(
        metric=metric, period_from=period_from, period_to=period_to, force_code=force_code, force_name=name,
        value=value, numerator=numerator, denominator=denominator,
        england_wales=england_wales, msg=msg, group=group, missing=missing, msg_missing=msg_missing,
        rank=rank, ranked=len(rows), tied=tied, position=position, note=definition_note(metric_id, sources),
        sources=sources, values=rows, is_unit=unit is not None,
    )


@lru_cache(maxsize=1)
def _area_names() -> dict[str, str]:
    """Code -> name of the 43 police force areas of England and Wales (do not modify)."""
    forces = geography.forces()
    return dict(zip(forces["force_code"].tolist(), forces["force_name"].tolist()))


def suppressed_figures(frame: pd.DataFrame) -> pd.DataFrame:
    """The figures as a partnership or public audience may see them (``metrics.suppression.suppress``,
    each force's rows on their own)."""
    if frame.empty:
        return frame
    export = frame.assign(level="force", unit_code=frame["force_code"], breakdown=None, breakdown_value=None)
    shown = suppress(export)
    return frame.assign(numerator=shown["numerator"].to_numpy(), denominator=shown["denominator"].to_numpy(),
                        value=shown["value"].to_numpy())


def forces_funnel(comparison: Comparison) -> Funnel | None:
    """Every force with counts on a funnel plot around the England and Wales value."""
    if comparison.england_wales is None:
        return None
    units = comparison.values.assign(unit_code=comparison.values["force_code"],
                                     unit_name=comparison.values["force_name"])
    units = units[units["numerator"].notna() & units["denominator"].notna()]
    return funnel(comparison.metric, units, pd.Series({"value": comparison.england_wales.value}),
                  comparison.period_from, comparison.period_to)


# --- the exchange format -------------------------------------------------------------------------------

def export_frame(con: duckdb.DuckDBPyConnection, force_code: str, period_from: date, period_to: date, *,
                 published_on: date | None = None) -> pd.DataFrame:
    """A force's own figures for a period in the comparator format (``CONTRACT_COLUMNS``), suppressed as for
    a partnership audience (``metrics.suppression.suppress``: a hidden count keeps its mark, "<5" or
    "[c]", which a load reads as unknown; a withheld value is empty), so that forces can exchange
    aggregates and each load the others' files."""
    rows = records_figures(con, period_from, period_to, [force_code])
    if rows.empty:
        raise ValueError(f"No records of force {force_code} in the database.")
    shown = suppressed_figures(rows)
    name = str(rows["force_name"].iloc[0])
    return shown.assign(source=export_source(name), published_on=published_on or date.today())[CONTRACT_COLUMNS]


def _written(value: object) -> object:
    """A cell as a file holds it: a whole number without ".0", a mark as it is, nothing for unknown."""
    if isinstance(value, str) or value is None:
        return value
    number = float(value)
    if np.isnan(number):
        return None
    return int(number) if number.is_integer() else number


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """A comparator (or group) file as the loader reads it: ISO dates, counts as whole numbers, other
    numbers at full precision, a hidden count as its mark, an unknown as an empty cell."""
    out = frame.copy()
    for column in ("numerator", "denominator"):
        if column in out:
            out[column] = pd.Series([_written(v) for v in out[column]], index=out.index, dtype=object)
    out.to_csv(path, index=False, lineterminator="\n", date_format="%Y-%m-%d")


def write_export(db_path: str | Path, out: str | Path, date_from: str | None, date_to: str | None,
                 force_code: str | None = None) -> int:
    """``daperf export-comparators``: the force's figures for the period written to ``out``; returns the
    number of rows. Raises ``ValueError`` (a bad period, an unknown or unnamed force) or
    ``FileNotFoundError`` (no database)."""
    from daperf.db import connect_readonly
    from metrics.export import resolve_period

    period_from, period_to = resolve_period(date_from, date_to)
    con = connect_readonly(db_path)
    try:
        held = record_spans(con)["force_code"].tolist()
        if force_code is None and len(held) != 1:
            raise ValueError(f"The database holds the records of {len(held)} forces: name one with --force.")
        force_code = force_code or held[0]
        if force_code not in held:
            raise ValueError(f"The database holds no records of force {force_code}"
                             + (f" (it holds {', '.join(held)})." if held else "."))
        frame = export_frame(con, force_code, period_from, period_to)
    finally:
        con.close()
    write_csv(frame, out)
    return len(frame)


# --- words --------------------------------------------------------------------------------------------

def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def rank_text(comparison: Comparison) -> str | None:
    """"12th highest of 43 forces", "joint 12th highest ...", or for a division "would be 12th highest
    among 43 forces"."""
    if comparison.rank is None or comparison.ranked < (1 if comparison.is_unit else 2):
        return None
    joint = "joint " if comparison.tied else ""
    if comparison.is_unit:
        return f"Would be {joint}{ordinal(comparison.rank)} highest among {comparison.ranked} forces"
    return f"{joint.capitalize()}{ordinal(comparison.rank)} highest of {comparison.ranked} forces"


def significance_text(comparison: Comparison) -> str:
    if comparison.position == "no data":
        return "Not tested against England and Wales: no counts to test."
    if not comparison.significant:
        return "No significant difference from England and Wales."
    strength = " (beyond the 99.8% limits)" if "99.8" in comparison.position else ""
    return f"Significantly {'higher' if comparison.higher else 'lower'} than England and Wales{strength}."


__all__ = ["COMPARABLE_IDS", "CONTRACT_COLUMNS", "Comparison", "FIGURE_COLUMNS", "Group", "PUBLISHED", "Pooled",
           "build_comparator_marts", "compare", "comparison_period", "figures", "forces_funnel",
           "most_similar_group", "pool", "rank_with_ties", "records_figures", "standard_periods"]
