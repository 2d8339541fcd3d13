"""The scrutiny pack for a community safety partnership: an Excel workbook and a printable HTML report.

Both are built from the same ``ScrutinyPack`` for one fixed reporting period (a financial year or one of
its quarters: ``metrics.periods.reporting_periods``) and both are ALWAYS suppressed
(``metrics.suppression.suppress``): the pack goes to a scrutiny panel. The caller checks the policy
(``app.views.authorise("csp", code)``) before building it.

- ``build_pack(con, csp_code, period_from, period_to) -> ScrutinyPack``: the partnership's measures and
  breakdowns, the force's, England and Wales and the force's most similar group for every rate and share
  (``metrics.comparators``), each key measure's trend by quarter, the victim profile.
- ``excel_bytes(pack) -> bytes``: numbers stored as numbers with number formats (a suppressed cell keeps
  its mark as text); sheets "Summary", "Trends" (a line chart per key measure), "Forces compared" (a
  column chart of every force per key rate, the force and its group marked), one per indicator,
  "Victim profile", "Definitions".
- ``html_report(pack) -> str``: a self-contained page (charts as plain SVG: no script, nothing fetched),
  prints on A4; built in well under a second.
- ``file_stem(pack)``: e.g. ``scrutiny-pack-ashford-vale-2025-26`` (the partnership by name).
"""
from __future__ import annotations

import html as html_text
import io
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import pandas as pd

from app import pack_charts
from daperf.sqlfiles import sql
from metrics import comparators
from metrics.compute import compute
from metrics.formatting import (file_name_words, format_count, format_date, format_datetime, format_interval,
                                format_number, format_period)
from metrics.periods import reporting_periods
from metrics.profile import victim_profile
from metrics.registry import INDICATORS, METRICS, NOT_YET_MEASURED, Metric
from metrics.suppression import SECONDARY_MARK, SMALL_COUNT_MARK, suppress
from metrics.units import level_units
from reference.vocabulary import breakdown_label, breakdown_name, label

# The partnership's key measures, in the order its panel reads them: the page's "Key measures" too.
SUMMARY_METRICS = (
    "incidents", "crimes", "incidents_per_1000", "crimes_per_1000", "repeat_victim_rate", "arrest_rate_where_power",
    "charge_rate", "outcome_16_rate", "notices_served", "order_application_rate", "order_grant_rate",
    "dvds_applications", "dvds_disclosure_rate", "marac_cases", "marac_cases_per_10k_women", "marac_repeat_rate",
)
SAFELIVES_METRIC = "marac_cases_per_10k_women"
TREND_QUARTERS = 8
SUPPRESSION_NOTE = ("Small numbers are protected: counts of 1 to 4 show as <5, other counts are rounded to the "
                    "nearest 5, a rate on fewer than 10 cases is withheld, and [c] marks a number hidden so that a "
                    "total cannot reveal it. The force's, its most similar group's and England and Wales's figures "
                    "here are worked out from counts protected the same way, so they can differ slightly from the "
                    "force's own pages, which show exact counts to the force's own staff.")
POOLED_NOTE = ("England and Wales and the most similar group are pooled: the forces' counts added up and divided, "
               "never an average of their rates; the group leaves the partnership's own force out.")


@dataclass
class ScrutinyPack:
    csp_code: str
    csp_name: str
    period_from: date
    period_to: date
    period_label: str
    force_code: str
    force_name: str
    values: pd.DataFrame        # suppressed export-format rows for the partnership: headline and breakdowns
    force_values: pd.DataFrame  # the force's headline rows, suppressed
    comparisons: dict[str, comparators.Comparison]  # key rates and shares among the forces (suppressed figures)
    trends: pd.DataFrame        # quarter, metric_id, partnership, force (rates and shares), suppressed values
    profile: pd.DataFrame       # suppressed victim profile
    generated_at: datetime
    notes: list[str] = field(default_factory=list)


def file_stem(pack: ScrutinyPack) -> str:
    key = next((k for k, f, t in reporting_periods(pack.period_from, pack.period_to)
                if (f, t) == (pack.period_from, pack.period_to)), None)
    return file_name_words(f"scrutiny pack {pack.csp_name} "
                           + (key or f"{pack.period_from:%Y-%m} to {pack.period_to:%Y-%m}"))


def _period_label(period_from: date, period_to: date) -> str:
    from metrics.periods import describe_reporting_period

    key = next((k for k, f, t in reporting_periods(period_from, period_to) if (f, t) == (period_from, period_to)), None)
    return describe_reporting_period(key) if key else format_period(period_from, period_to)


def _data_span(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    # app/data_months's columns: first_month, last_month, last_day, first_day, loaded_at
    ((_, _, last, first, _),) = con.execute(sql("app/data_months")).fetchall()
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()


def _trends(con, csp_code: str, force_code: str, period_to: date) -> pd.DataFrame:
    """The key measures quarter by quarter (up to ``TREND_QUARTERS`` ending with the period), suppressed
    as everything in the pack: the partnership's, and for a rate or share the force's beside it (from
    the comparator mart, worked out at load; a force's count would dwarf the partnership's)."""
    first, last = _data_span(con)
    quarters = sorted((f, t) for k, f, t in reporting_periods(first, min(last, period_to)) if "-Q" in k)
    rates = tuple(m for m in SUMMARY_METRICS if m in comparators.COMPARABLE_IDS)
    csp_parts, force_parts = [], []
    for quarter_from, quarter_to in quarters[-TREND_QUARTERS:]:
        csp_parts.append(compute(con, "csp", quarter_from, quarter_to, metric_ids=list(SUMMARY_METRICS),
                                 unit_codes=[csp_code], breakdowns=False))
        force = comparators.figures(con, quarter_from, quarter_to, rates)
        force_parts.append(force[force["force_code"] == force_code])
    if not csp_parts:
        return pd.DataFrame(columns=["quarter", "period_from", "metric_id", "partnership", "force"])
    # Suppressed together: each quarter's rows are a group of their own, so one pass does them all.
    csp = suppress(pd.concat(csp_parts, ignore_index=True))
    force = comparators.suppressed_figures(pd.concat(force_parts, ignore_index=True))
    csp_values, force_values = ({(pd.Timestamp(f).date(), m): _number(v)
                                 for f, m, v in zip(frame["period_from"], frame["metric_id"], frame["value"])}
                                for frame in (csp, force))
    rows = [{"quarter": f"{quarter_from:%b %Y}", "period_from": quarter_from, "metric_id": metric_id,
             "partnership": csp_values.get((quarter_from, metric_id)),
             "force": force_values.get((quarter_from, metric_id)) if metric_id in rates else None}
            for quarter_from, _ in quarters[-TREND_QUARTERS:] for metric_id in SUMMARY_METRICS]
    return pd.DataFrame(rows, columns=["quarter", "period_from", "metric_id", "partnership", "force"])


def build_pack(con: duckdb.DuckDBPyConnection, csp_code: str, period_from: date, period_to: date) -> ScrutinyPack:
    values = compute(con, "csp", period_from, period_to, unit_codes=[csp_code], breakdowns=True)
    if values.empty:
        raise ValueError(f"No partnership {csp_code!r} in the database")
    units = level_units(con, "csp").set_index("unit_code")
    force_code = str(units.loc[csp_code, "force_code"])
    force = compute(con, "force", period_from, period_to, forces=[force_code], breakdowns=False)
    figures = comparators.suppressed_figures(comparators.figures(con, period_from, period_to, SUMMARY_METRICS))
    group = comparators.most_similar_group(con, force_code)
    comparisons = {}
    for metric_id in (m for m in SUMMARY_METRICS if m in comparators.COMPARABLE_IDS):
        result = comparators.compare(figures, metric_id, force_code, period_from, period_to, group=group)
        if result.england_wales is not None:
            comparisons[metric_id] = result
    force_name = str(force.iloc[0]["unit_name"]) if len(force) else force_code
    profile = victim_profile(con, "csp", csp_code, period_from, period_to, suppress_small_numbers=True)
    notes = [SUPPRESSION_NOTE]
    if comparisons:
        notes.append(POOLED_NOTE)
        if group.illustrative:
            notes.append("The most similar group is illustrative (the seven forces nearest in population and ethnic "
                         "mix), not HMICFRS's, until the published groups are loaded.")
        notes += sorted({r.note for r in comparisons.values() if r.note})
    else:
        notes.append(f"No other force's figures are held for {_period_label(period_from, period_to)}: the pack has no "
                     "England and Wales or most similar group figures.")
    return ScrutinyPack(
        csp_code=csp_code, csp_name=str(values.iloc[0]["unit_name"]), period_from=period_from, period_to=period_to,
        period_label=_period_label(period_from, period_to), force_code=force_code, force_name=force_name,
        values=suppress(values).reset_index(drop=True), force_values=suppress(force).reset_index(drop=True),
        comparisons=comparisons, trends=_trends(con, csp_code, force_code, period_to),
        profile=profile.reset_index(drop=True), generated_at=datetime.now().replace(microsecond=0), notes=notes,
    )


# --- cells -----------------------------------------------------------------------------------------

def _number(value) -> float | None:
    """A number, or None for a mark or a missing value."""
    if value is None or isinstance(value, str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else number


def cell(value, metric: Metric | None = None):
    """A value as the pack stores it: a number (formatted by the workbook, never as text), a suppression
    mark as it is, "withheld" for a withheld rate, None for nothing."""
    if isinstance(value, str):
        return value
    number = _number(value)
    if number is None:
        return "withheld" if metric is not None and metric.kind != "count" else None
    return number


def shown(metric: Metric, value) -> str:
    """A value as the page and the printed report write it."""
    stored = cell(value, metric)
    if stored is None:
        return "–"
    if isinstance(stored, str):
        return stored
    return format_number(stored, percent=metric.kind == "proportion")


def _comparison_cells(pack: ScrutinyPack, metric: Metric) -> dict:
    result = pack.comparisons.get(metric.id)
    if result is None:
        return {"Most similar group": None, "England and Wales": None, "Force's rank": ""}
    return {"Most similar group": result.msg.value if result.msg else None,
            "England and Wales": result.england_wales.value,
            "Force's rank": comparators.rank_text(result) or ""}


def summary_frame(pack: ScrutinyPack) -> pd.DataFrame:
    """The key measures: stored values (numbers, marks, "withheld") for the workbook; ``summary_text``
    writes them for people."""
    rows = []
    headline = pack.values[pack.values["breakdown"].isna()].set_index("metric_id")
    force = pack.force_values[pack.force_values["breakdown"].isna()].set_index("metric_id")
    for metric_id in SUMMARY_METRICS:
        metric = METRICS[metric_id]
        row = headline.loc[metric_id] if metric_id in headline.index else None
        force_row = force.loc[metric_id] if metric_id in force.index else None
        rows.append({
            "Measure": metric.name,
            "Partnership": cell(row["value"], metric) if row is not None else None,
            "Numerator": cell(row["numerator"]) if row is not None else None,
            "Denominator": cell(row["denominator"]) if row is not None and metric.kind != "count" else None,
            "Force": cell(force_row["value"], metric) if force_row is not None else None,
            **_comparison_cells(pack, metric),
            "Reference": metric.reference_note or "",
            "Suppressed": bool(row["suppressed"]) if row is not None else False,
            "_metric": metric_id,
        })
    return pd.DataFrame(rows)


def summary_text(pack: ScrutinyPack) -> pd.DataFrame:
    """The key measures as a person reads them (the printed report)."""
    frame = summary_frame(pack)
    out = pd.DataFrame({"Measure": frame["Measure"]})
    for column in ("Partnership", "Force", "Most similar group", "England and Wales"):
        out[column] = [shown(METRICS[m], v) for m, v in zip(frame["_metric"], frame[column])]
    out["Cases"] = [format_count(v) for v in frame["Numerator"]]
    out["Force's rank"] = frame["Force's rank"]
    out["Reference"] = frame["Reference"]
    return out


def indicator_frame(pack: ScrutinyPack, metric_ids: tuple[str, ...]) -> pd.DataFrame:
    """Every measure of an indicator, with its breakdowns, in words and stored values."""
    frame = pack.values[pack.values["metric_id"].isin(metric_ids)].copy()
    order = {mid: i for i, mid in enumerate(metric_ids)}
    frame["_order"] = frame["metric_id"].map(order)
    frame = frame.sort_values(["_order"], kind="stable")
    return pd.DataFrame({
        "Measure": [METRICS[m].name for m in frame["metric_id"]],
        "Breakdown": [breakdown_name(b) if isinstance(b, str) else "" for b in frame["breakdown"]],
        "Category": [breakdown_label(b, v) if isinstance(b, str) else "" for b, v in
                     zip(frame["breakdown"], frame["breakdown_value"])],
        "Numerator": [cell(v) for v in frame["numerator"]],
        "Denominator": [cell(v) if METRICS[m].kind != "count" else None
                        for m, v in zip(frame["metric_id"], frame["denominator"])],
        "Value": [cell(v, METRICS[m]) for m, v in zip(frame["metric_id"], frame["value"])],
        "95% interval": [format_interval(METRICS[m], lo, hi) or "" for m, lo, hi in
                         zip(frame["metric_id"], frame["ci_low"], frame["ci_high"])],
        "Suppression": frame["suppressed_reason"].fillna("").map(lambda r: r[:1].upper() + r[1:] if r else ""),
        "_metric": frame["metric_id"].to_numpy(),
    }).reset_index(drop=True)


def profile_frame(profile: pd.DataFrame) -> pd.DataFrame:
    """The (suppressed) victim profile as a readable table: shares as stored values."""
    p = profile[profile["breakdown"].notna()]
    out = pd.DataFrame({
        "Attribute": [breakdown_name(b) for b in p["breakdown"]],
        "Category": [breakdown_label(b, v) for b, v in zip(p["breakdown"], p["breakdown_value"])],
        "Victims": [cell(v) for v in p["numerator"]],
        "Share of victims": [v if isinstance(v, str) else ("withheld" if _number(v) is None else _number(v))
                             for v in p["value"]],
    })
    if "population_share" in p:
        out["Share of residents"] = [None if pd.isna(v) else float(v) for v in p["population_share"]]
    return out.reset_index(drop=True)


def profile_text(profile: pd.DataFrame) -> pd.DataFrame:
    out = profile_frame(profile)
    out["Victims"] = out["Victims"].map(format_count)
    for column in ("Share of victims", "Share of residents"):
        if column in out:
            out[column] = out[column].map(lambda v: v if isinstance(v, str) else
                                          ("" if v is None or pd.isna(v) else format_number(v, percent=True)))
    return out


def definitions_frame() -> pd.DataFrame:
    rows = [{
        "Indicator": next((f"{i.number}. {i.title}" for i in INDICATORS if m.id in i.metric_ids), "Other"),
        "Measure": m.name, "Question": m.question, "What is counted": m.counts,
        "Out of": m.out_of or "", "Shown as": m.unit, "Which way is better": label("better", m.better),
        "Source": m.source, "Reference": m.reference_note or "", "Suppression": m.suppression,
    } for m in METRICS.values()]
    rows += [{"Indicator": "Not yet measured", "Measure": n.name, "Question": n.why, "Source": n.source}
             for n in NOT_YET_MEASURED]
    return pd.DataFrame(rows).fillna("")


def _sheet_name(number: int, title: str) -> str:
    return f"{number} {title}".replace("'", "")[:31]


def _front_matter(pack: ScrutinyPack) -> list[str]:
    return [
        f"Scrutiny pack: {pack.csp_name}",
        f"{pack.period_label} ({format_date(pack.period_from, with_day=False)} to "
        f"{format_date(pack.period_to, with_day=False)}); {pack.force_name}",
        f"Produced {format_datetime(pack.generated_at, with_year=True)}",
        *pack.notes,
    ]


# --- the workbook -------------------------------------------------------------------------------------

class _Formats:
    def __init__(self, book):
        self.bold = book.add_format({"bold": True})
        self.header = book.add_format({"bold": True, "bg_color": "#f3f2f1", "border": 1, "text_wrap": True,
                                       "valign": "top"})
        self.text = book.add_format({"text_wrap": True, "valign": "top"})
        self.mark = book.add_format({"align": "right", "font_color": "#505a5f"})
        self.count = book.add_format({"num_format": "#,##0"})
        self.percent = book.add_format({"num_format": "0.0%"})
        self.rate = book.add_format({"num_format": "#,##0.0"})

    def of(self, metric: Metric | None, kind: str = "value"):
        if kind == "count" or metric is None or metric.kind == "count":
            return self.count
        return self.percent if metric.kind == "proportion" else self.rate


def _write_table(sheet, formats: _Formats, top: int, frame: pd.DataFrame, value_kinds: dict[str, str],
                 metric_column: str | None = "_metric") -> int:
    """``frame`` from row ``top``: numbers as numbers with a format by ``value_kinds`` (column -> "value"
    in the row's metric's units, "count", "percent"); text as text. Returns the next free row."""
    columns = [c for c in frame.columns if not c.startswith("_")]
    for j, column in enumerate(columns):
        sheet.write_string(top, j, column, formats.header)
    for i, row in enumerate(frame.itertuples(index=False), start=top + 1):
        record = dict(zip(frame.columns, row))
        metric = METRICS.get(record.get(metric_column)) if metric_column else None
        for j, column in enumerate(columns):
            value = record[column]
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            if isinstance(value, str):
                marked = value in (SMALL_COUNT_MARK, SECONDARY_MARK, "withheld")
                sheet.write_string(i, j, value, formats.mark if marked else formats.text)
            elif isinstance(value, bool):
                sheet.write_string(i, j, "Yes" if value else "No", formats.text)
            else:
                kind = value_kinds.get(column, "count")
                fmt = formats.percent if kind == "percent" else formats.of(metric, kind)
                sheet.write_number(i, j, float(value), fmt)
    return top + len(frame) + 2


def _summary_sheet(writer, formats: _Formats, pack: ScrutinyPack) -> None:
    sheet = writer.book.add_worksheet("Summary")
    for i, line in enumerate(_front_matter(pack)):
        sheet.write_string(i, 0, line, formats.bold if i == 0 else None)
    kinds = {"Partnership": "value", "Force": "value", "Most similar group": "value", "England and Wales": "value",
             "Numerator": "count", "Denominator": "count"}
    _write_table(sheet, formats, len(_front_matter(pack)) + 1, summary_frame(pack).drop(columns=["Suppressed"]), kinds)
    sheet.set_column(0, 0, 42)
    sheet.set_column(1, 6, 16)
    sheet.set_column(7, 8, 30)


def _trends_sheet(writer, formats: _Formats, pack: ScrutinyPack) -> None:
    """A table of each key measure by quarter, and a line chart of each beside it."""
    sheet = writer.book.add_worksheet("Trends")
    sheet.write_string(0, 0, f"Key measures by quarter, {pack.csp_name} and {pack.force_name}", formats.bold)
    row = 2
    for metric_id in SUMMARY_METRICS:
        metric = METRICS[metric_id]
        part = pack.trends[pack.trends["metric_id"] == metric_id]
        sheet.write_string(row, 0, metric.name, formats.bold)
        sheet.write_string(row + 1, 0, "Quarter starting", formats.header)
        sheet.write_string(row + 1, 1, pack.csp_name, formats.header)
        sheet.write_string(row + 1, 2, pack.force_name, formats.header)
        for i, item in enumerate(part.itertuples(index=False), start=row + 2):
            sheet.write_string(i, 0, item.quarter)
            for j, value in ((1, item.partnership), (2, item.force)):
                if j == 2 and metric.kind == "count":
                    continue  # a force's count is not set beside a partnership's
                if value is None or pd.isna(value):
                    sheet.write_string(i, j, "withheld", formats.mark)
                else:
                    sheet.write_number(i, j, float(value), formats.of(metric))
        if len(part):
            chart = writer.book.add_chart({"type": "line"})
            first, last = row + 2, row + 1 + len(part)
            lines = [(1, pack.csp_name, pack_charts.VERMILLION)]
            if part["force"].notna().any():
                lines.append((2, pack.force_name, pack_charts.BLUE))
            for column, name, colour in lines:
                chart.add_series({"name": name, "categories": ["Trends", first, 0, last, 0],
                                  "values": ["Trends", first, column, last, column],
                                  "line": {"color": colour, "width": 2.25}, "marker": {"type": "circle"}})
            chart.set_title({"name": metric.name, "name_font": {"size": 11}})
            chart.set_y_axis({"num_format": "0%" if metric.kind == "proportion" else "#,##0.0", "min": 0})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 560, "height": 260})
            sheet.insert_chart(row, 4, chart)
        row += max(len(part) + 3, 15)  # a chart is about 13 rows high
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 2, 18)


def _forces_sheet(writer, formats: _Formats, pack: ScrutinyPack) -> None:
    """Every force's value for each key rate or share, highest first, and a column chart of them with
    the force and its most similar group coloured (the ski slope)."""
    sheet = writer.book.add_worksheet("Forces compared")
    sheet.write_string(0, 0, f"Every force of England and Wales, {pack.period_label}", formats.bold)
    row = 2
    for metric_id in SUMMARY_METRICS:
        result = pack.comparisons.get(metric_id)
        if result is None:
            continue
        metric = result.metric
        rows = result.values.sort_values(["value", "force_name"], ascending=[False, True])
        sheet.write_string(row, 0, f"{metric.name}: England and Wales "
                                   f"{format_number(result.england_wales.value, percent=metric.kind == 'proportion')}",
                           formats.bold)
        for j, heading in enumerate(("Force", "Value", "Rank", "Most similar group")):
            sheet.write_string(row + 1, j, heading, formats.header)
        points = []
        for i, item in enumerate(rows.itertuples(index=False), start=row + 2):
            sheet.write_string(i, 0, item.force_name)
            sheet.write_number(i, 1, float(item.value), formats.of(metric))
            sheet.write_number(i, 2, int(item.rank), formats.count)
            sheet.write_string(i, 3, "This force" if item.is_force else ("Yes" if item.in_group else ""))
            colour = (pack_charts.VERMILLION if item.is_force else pack_charts.ORANGE if item.in_group
                      else pack_charts.PALE)
            points.append({"fill": {"color": colour}})
        first, last = row + 2, row + 1 + len(rows)
        chart = writer.book.add_chart({"type": "column"})
        chart.add_series({"name": metric.name, "categories": ["Forces compared", first, 0, last, 0],
                          "values": ["Forces compared", first, 1, last, 1], "points": points, "gap": 30})
        chart.set_title({"name": f"{metric.name}: every force, highest first", "name_font": {"size": 11}})
        chart.set_x_axis({"num_font": {"rotation": -90, "size": 7}})
        chart.set_y_axis({"num_format": "0%" if metric.kind == "proportion" else "#,##0.0", "min": 0})
        chart.set_legend({"none": True})
        chart.set_size({"width": 720, "height": 300})
        sheet.insert_chart(row, 5, chart)
        row = last + 3
    if row == 2:
        sheet.write_string(2, 0, f"No other force's figures are held for {pack.period_label}.")
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 3, 14)


def excel_bytes(pack: ScrutinyPack) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        formats = _Formats(writer.book)
        _summary_sheet(writer, formats, pack)
        _trends_sheet(writer, formats, pack)
        _forces_sheet(writer, formats, pack)
        for indicator in INDICATORS:
            name = _sheet_name(indicator.number, indicator.title)
            sheet = writer.book.add_worksheet(name)
            sheet.write_string(0, 0, f"{indicator.number}. {indicator.title}: {indicator.question}", formats.bold)
            _write_table(sheet, formats, 2, indicator_frame(pack, indicator.metric_ids),
                         {"Numerator": "count", "Denominator": "count", "Value": "value"})
            sheet.set_column(0, 0, 40)
            sheet.set_column(1, 2, 24)
            sheet.set_column(3, 7, 16)
        sheet = writer.book.add_worksheet("Victim profile")
        _write_table(sheet, formats, 0, profile_frame(pack.profile),
                     {"Victims": "count", "Share of victims": "percent", "Share of residents": "percent"},
                     metric_column=None)
        sheet.set_column(0, 4, 22)
        definitions = definitions_frame()
        sheet = writer.book.add_worksheet("Definitions")
        _write_table(sheet, formats, 0, definitions, {}, metric_column=None)
        sheet.set_column(0, len(definitions.columns) - 1, 30)
    return buffer.getvalue()


# --- the printable report -------------------------------------------------------------------------

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 2rem auto; max-width: 60rem; line-height: 1.4; }
h1 { font-size: 1.8rem; } h2 { font-size: 1.35rem; margin-top: 2rem; border-bottom: 2px solid #1d2a44; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.3rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #b1b4b6; padding: 0.25rem 0.4rem; text-align: left; vertical-align: top; }
th { background: #f3f2f1; } caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
td.num { text-align: right; }
figure { margin: 1rem 0; } figcaption { font-size: 0.85rem; color: #383f43; }
.note { background: #fff3cd; padding: 0.5rem 0.75rem; border-left: 4px solid #b38600; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
@media print { body { margin: 0; max-width: none; } h2, h3 { break-after: avoid; } table, figure { break-inside: avoid; } }
@page { size: A4; margin: 15mm; }
"""


def _table(frame: pd.DataFrame, caption: str) -> str:
    columns = [c for c in frame.columns if not c.startswith("_")]
    head = "".join(f"<th scope='col'>{html_text.escape(str(c))}</th>" for c in columns)
    body = []
    for row in frame[columns].itertuples(index=False):
        cells = []
        for value in row:
            text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
            numeric = bool(text) and (text[0].isdigit() or text[:1] in "<[–" and len(text) < 9)
            cells.append(f"<td{' class=num' if numeric else ''}>{html_text.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table><caption>{html_text.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _indicator_text(pack: ScrutinyPack, metric_ids: tuple[str, ...]) -> pd.DataFrame:
    frame = indicator_frame(pack, metric_ids)
    out = frame.copy()
    out["Numerator"] = frame["Numerator"].map(format_count)
    out["Denominator"] = frame["Denominator"].map(format_count)
    out["Value"] = [shown(METRICS[m], v) for m, v in zip(frame["_metric"], frame["Value"])]
    return out


def report_charts(pack: ScrutinyPack) -> list[str]:
    """The report's charts (SVG figures with their text alternatives), numbers that survived suppression
    only: the MARAC rate against SafeLives' level, and for every key measure its trend by quarter and,
    for rates and shares, every force as a ski slope."""
    charts = []
    summary = summary_frame(pack).set_index("_metric")
    marac = METRICS[SAFELIVES_METRIC]
    value, force_value = summary.loc[SAFELIVES_METRIC, "Partnership"], summary.loc[SAFELIVES_METRIC, "Force"]
    if _number(value) is not None and _number(force_value) is not None:
        items = [(pack.csp_name, float(value), pack_charts.VERMILLION),
                 (pack.force_name, float(force_value), pack_charts.BLUE),
                 ("SafeLives recommended", float(marac.target), pack_charts.GREY)]
        national = pack.comparisons.get(SAFELIVES_METRIC)
        if national is not None:
            items.insert(2, ("England and Wales", national.england_wales.value, pack_charts.BLACK))
        charts.append(pack_charts.bar_chart(items, percent=False, title=marac.name, alt=(
            f"{marac.name}: " + "; ".join(f"{n} {format_number(v, percent=False)}" for n, v, _ in items) + ".")))
    ethnicity = ethnicity_rows(pack.profile)
    if not ethnicity.empty:
        victims = [_number(v) for v in ethnicity["value"]]
        if any(v is not None for v in victims):
            categories = [breakdown_label("victim_ethnicity", v) for v in ethnicity["breakdown_value"]]
            charts.append(pack_charts.grouped_bars(
                categories, [("Victims", victims, pack_charts.VERMILLION),
                             ("Residents", [float(v) for v in ethnicity["population_share"]], pack_charts.BLUE)],
                percent=True, title="Victims' ethnicity beside the resident population",
                alt="Grouped bars of victims' and residents' shares by ethnic group; the victim profile table gives "
                    "the numbers."))
    return charts


def measure_charts(pack: ScrutinyPack, metric_id: str) -> list[str]:
    metric = METRICS[metric_id]
    percent = metric.kind == "proportion"
    charts = []
    part = pack.trends[pack.trends["metric_id"] == metric_id]
    if len(part) and part[["partnership", "force"]].notna().any().any():
        series = [(pack.csp_name, [_number(v) for v in part["partnership"]], pack_charts.VERMILLION)]
        if part["force"].notna().any():
            series.append((pack.force_name, [_number(v) for v in part["force"]], pack_charts.BLUE))
        shown_now = [f"{q} {format_number(v, percent=percent)}" for q, v in zip(part["quarter"], part["partnership"])
                     if _number(v) is not None]
        charts.append(pack_charts.line_chart(
            list(part["quarter"]), series, percent=percent, title=f"{metric.name} by quarter",
            alt=f"{metric.name} by quarter for " + " and ".join(name for name, _, _ in series) + f". {pack.csp_name}: "
                + ("; ".join(shown_now) if shown_now else "withheld in every quarter") + "."))
    result = pack.comparisons.get(metric_id)
    if result is not None:
        values = [(float(v), "force" if f else "group" if g else "other")
                  for v, f, g in zip(result.values["value"], result.values["is_force"], result.values["in_group"])]
        charts.append(pack_charts.ski_slope(
            values, national=result.england_wales.value, group=result.msg.value if result.msg else None,
            percent=percent, title=f"{metric.name}: every force, highest first", force_name=pack.force_name,
            alt=f"{metric.name}, every force: {pack.force_name} "
                f"{format_number(result.value, percent=percent) if result.value is not None else 'withheld'}, "
                f"England and Wales {format_number(result.england_wales.value, percent=percent)}"
                + (f", most similar group {format_number(result.msg.value, percent=percent)}" if result.msg else "")
                + (f"; {comparators.rank_text(result)}" if comparators.rank_text(result) else "") + "."))
    return charts


def ethnicity_rows(profile: pd.DataFrame) -> pd.DataFrame:
    """The profile rows set beside the resident population (ethnicity: the only attribute with one)."""
    if "population_share" not in profile:
        return profile.iloc[0:0]
    return profile[profile["breakdown"].notna() & profile["population_share"].notna()].reset_index(drop=True)


def html_report(pack: ScrutinyPack, *, charts: bool = True) -> str:
    front = _front_matter(pack)
    parts = [f"<h1>{html_text.escape(front[0])}</h1>"]
    parts += [f"<p>{html_text.escape(line)}</p>" for line in front[1:3]]
    parts += [f"<p class='note'>{html_text.escape(line)}</p>" for line in front[3:]]
    parts.append("<h2>Summary</h2>")
    parts.append(_table(summary_text(pack), f"Key measures: {pack.csp_name}, {pack.force_name}, its most similar "
                                            "group and England and Wales"))
    if charts:
        parts += report_charts(pack)
        parts.append("<h2>Each key measure</h2>")
        for metric_id in SUMMARY_METRICS:
            drawn = measure_charts(pack, metric_id)
            if drawn:
                parts.append(f"<h3>{html_text.escape(METRICS[metric_id].name)}</h3><div class='pair'>{''.join(drawn)}</div>")
    for indicator in INDICATORS:
        parts.append(f"<h2>{indicator.number}. {html_text.escape(indicator.title)}</h2>")
        parts.append(f"<p>{html_text.escape(indicator.question)}</p>")
        parts.append(_table(_indicator_text(pack, indicator.metric_ids), f"{indicator.title}: measures and breakdowns"))
    parts.append("<h2>Victim profile</h2>")
    parts.append("<p>Census 2011 residents of every age against victims (mostly adults): a ratio near 1 means "
                 "no clear difference, not a finding of fairness.</p>")
    parts.append(_table(profile_text(pack.profile), "Victims by attribute, beside the resident population"))
    parts.append("<h2>Definitions</h2>")
    parts.append(_table(definitions_frame()[["Indicator", "Measure", "Question", "What is counted", "Out of", "Source"]],
                        "How each measure is defined"))
    title = html_text.escape(f"{front[0]}, {pack.period_label}")
    return (f"<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>{title}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{_CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>")
