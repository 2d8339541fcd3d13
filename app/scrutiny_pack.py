"""The scrutiny pack for a community safety partnership: an Excel workbook and a printable HTML report.

Both are built from the same ``ScrutinyPack`` and both are ALWAYS suppressed (counts 1–4 as ``<5``,
rates on fewer than 10 cases withheld, secondary suppression as ``[c]``): the pack goes to a scrutiny
panel. The caller checks the policy (``app.views.authorise("csp", code)``) before building it.

- ``build_pack(con, csp_code, period_from, period_to) -> ScrutinyPack``
- ``excel_bytes(pack) -> bytes``: sheets "Summary", one per indicator ("1 Demand" …), "Victim profile",
  "Definitions".
- ``html_report(pack, *, charts=True) -> str``: a self-contained page (charts as inline SVG via kaleido,
  no script), with the same tables; prints on A4.
- ``file_stem(pack)``: a file name without extension, e.g. ``scrutiny-pack-E22000001-2025-11-to-2026-10``.
"""
from __future__ import annotations

import html as html_text
import io
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from app import figures
from metrics.compute import compute
from metrics.profile import victim_profile
from metrics.registry import INDICATORS, METRICS, NOT_YET_MEASURED, Metric
from metrics.suppression import suppress
from reference.vocabulary import label

# The partnership's summary: the measures its panel asks about first.
SUMMARY_METRICS = (
    "incidents", "crimes", "incidents_per_1000", "crimes_per_1000", "repeat_victim_rate", "arrest_rate_where_power",
    "charge_rate", "outcome_16_rate", "notices_served", "order_application_rate", "dvds_applications",
    "dvds_disclosure_rate", "marac_cases", "marac_cases_per_10k_women", "marac_repeat_rate",
)
SAFELIVES_METRIC = "marac_cases_per_10k_women"


@dataclass
class ScrutinyPack:
    csp_code: str
    csp_name: str
    period_from: date
    period_to: date
    values: pd.DataFrame       # suppressed export-format rows for the CSP: headline and breakdowns
    force_values: pd.DataFrame  # the force's headline rows for comparison (force totals are not small)
    profile: pd.DataFrame      # suppressed victim profile
    generated_at: datetime


def file_stem(pack: ScrutinyPack) -> str:
    return f"scrutiny-pack-{pack.csp_code}-{pack.period_from:%Y-%m}-to-{pack.period_to:%Y-%m}"


def build_pack(con: duckdb.DuckDBPyConnection, csp_code: str, period_from: date, period_to: date) -> ScrutinyPack:
    values = compute(con, "csp", period_from, period_to, unit_codes=[csp_code], breakdowns=True)
    if values.empty:
        raise ValueError(f"No partnership {csp_code!r} in the database")
    force = compute(con, "force", period_from, period_to, breakdowns=False)
    profile = victim_profile(con, "csp", csp_code, period_from, period_to, suppress_small_numbers=True)
    return ScrutinyPack(
        csp_code=csp_code, csp_name=str(values.iloc[0]["unit_name"]), period_from=period_from, period_to=period_to,
        values=suppress(values).reset_index(drop=True), force_values=suppress(force).reset_index(drop=True),
        profile=profile.reset_index(drop=True), generated_at=datetime.now().replace(microsecond=0),
    )


def shown(metric: Metric, value) -> str:
    """A value as the pack prints it (a suppression mark stays as it is; a withheld rate says so)."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "withheld" if metric.kind != "count" else "–"
    return figures.format_number(float(value), percent=metric.kind == "proportion")


def _count(value) -> object:
    if isinstance(value, str) or value is None or pd.isna(value):
        return value if isinstance(value, str) else None
    return int(value)


def summary_frame(pack: ScrutinyPack) -> pd.DataFrame:
    rows = []
    headline = pack.values[pack.values["breakdown"].isna()].set_index("metric_id")
    force = pack.force_values[pack.force_values["breakdown"].isna()].set_index("metric_id")
    for metric_id in SUMMARY_METRICS:
        metric = METRICS[metric_id]
        row = headline.loc[metric_id] if metric_id in headline.index else None
        force_row = force.loc[metric_id] if metric_id in force.index else None
        rows.append({
            "Measure": metric.name,
            "Partnership": shown(metric, row["value"]) if row is not None else "–",
            "Numerator": _count(row["numerator"]) if row is not None else None,
            "Denominator": _count(row["denominator"]) if row is not None and metric.kind != "count" else None,
            "Force": shown(metric, force_row["value"]) if force_row is not None else "–",
            "Reference": metric.reference_note or "",
            "Suppressed": bool(row["suppressed"]) if row is not None else False,
        })
    return pd.DataFrame(rows)


def indicator_frame(pack: ScrutinyPack, metric_ids: tuple[str, ...]) -> pd.DataFrame:
    frame = pack.values[pack.values["metric_id"].isin(metric_ids)].copy()
    order = {mid: i for i, mid in enumerate(metric_ids)}
    frame["_order"] = frame["metric_id"].map(order)
    frame = frame.sort_values(["_order"], kind="stable")
    out = pd.DataFrame({
        "Measure": [METRICS[m].name for m in frame["metric_id"]],
        "Breakdown": frame["breakdown"].fillna("").str.replace("_", " "),
        "Category": frame["breakdown_value"].fillna("").astype(str),
        "Numerator": [_count(v) for v in frame["numerator"]],
        "Denominator": [_count(v) if METRICS[m].kind != "count" else None
                        for m, v in zip(frame["metric_id"], frame["denominator"])],
        "Value": [shown(METRICS[m], v) for m, v in zip(frame["metric_id"], frame["value"])],
        "95% interval": [
            f"{figures.format_number(lo, percent=True)} to {figures.format_number(hi, percent=True)}"
            if METRICS[m].kind == "proportion" and not pd.isna(lo) else ""
            for m, lo, hi in zip(frame["metric_id"], frame["ci_low"], frame["ci_high"])
        ],
        "Suppression": frame["suppressed_reason"].fillna(""),
    })
    return out.reset_index(drop=True)


def _share(value) -> str:
    if isinstance(value, str):
        return value
    return "withheld" if value is None or pd.isna(value) else figures.format_number(float(value), percent=True)


def profile_frame(profile: pd.DataFrame) -> pd.DataFrame:
    """The (suppressed) victim profile as a readable table."""
    p = profile[profile["breakdown"].notna()]
    out = pd.DataFrame({
        "Attribute": p["breakdown"].str.replace("_", " "),
        "Category": p["breakdown_value"].astype(str),
        "Victims": [_count(v) for v in p["numerator"]],
        "Share of victims": [_share(v) for v in p["value"]],
    })
    if "population_share" in p:
        out["Share of residents"] = [
            figures.format_number(v, percent=True) if not pd.isna(v) else "" for v in p["population_share"]
        ]
    return out.reset_index(drop=True)


def definitions_frame() -> pd.DataFrame:
    rows = [{
        "Indicator": next((f"{i.number}. {i.title}" for i in INDICATORS if m.id in i.metric_ids), "Other"),
        "Measure": m.name, "Id": m.id, "Question": m.question, "What is counted": m.counts,
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
        f"Scrutiny pack: {pack.csp_name} ({pack.csp_code})",
        f"Period: {pack.period_from:%d %B %Y} to {pack.period_to:%d %B %Y}",
        f"Produced {pack.generated_at:%d %B %Y %H:%M}",
        "Small numbers are suppressed: counts 1-4 show as <5, a rate on fewer than 10 cases is withheld, "
        "and [c] marks a number hidden so that a total cannot reveal a hidden one.",
    ]


def excel_bytes(pack: ScrutinyPack) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        summary = summary_frame(pack)
        start = len(_front_matter(pack)) + 1
        summary.to_excel(writer, sheet_name="Summary", index=False, startrow=start)
        sheet = writer.sheets["Summary"]
        bold = writer.book.add_format({"bold": True})
        for i, line in enumerate(_front_matter(pack)):
            sheet.write(i, 0, line, bold if i == 0 else None)
        sheet.set_column(0, 0, 42)
        sheet.set_column(1, 6, 16)
        for indicator in INDICATORS:
            name = _sheet_name(indicator.number, indicator.title)
            frame = indicator_frame(pack, indicator.metric_ids)
            frame.to_excel(writer, sheet_name=name, index=False, startrow=2)
            ws = writer.sheets[name]
            ws.write(0, 0, f"{indicator.number}. {indicator.title}: {indicator.question}", bold)
            ws.set_column(0, 0, 40)
            ws.set_column(1, 7, 16)
        profile_frame(pack.profile).to_excel(writer, sheet_name="Victim profile", index=False)
        writer.sheets["Victim profile"].set_column(0, 4, 20)
        definitions_frame().to_excel(writer, sheet_name="Definitions", index=False)
        writer.sheets["Definitions"].set_column(0, 11, 30)
    return buffer.getvalue()


# --- HTML report ---------------------------------------------------------------------------------

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 2rem auto; max-width: 60rem; line-height: 1.4; }
h1 { font-size: 1.8rem; } h2 { font-size: 1.35rem; margin-top: 2rem; border-bottom: 2px solid #1d2a44; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #b1b4b6; padding: 0.25rem 0.4rem; text-align: left; vertical-align: top; }
th { background: #f3f2f1; }
td.num { text-align: right; }
figure { margin: 1rem 0; } figcaption { font-size: 0.85rem; color: #383f43; }
.note { background: #fff3cd; padding: 0.5rem 0.75rem; border-left: 4px solid #b38600; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } table, figure { break-inside: avoid; } }
@page { size: A4; margin: 15mm; }
"""


def _table(frame: pd.DataFrame, caption: str) -> str:
    head = "".join(f"<th scope='col'>{html_text.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            cells.append(f"<td{' class=num' if numeric else ''}>{html_text.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table><caption>{html_text.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _svg(fig: go.Figure, alt: str) -> str:
    svg = pio.to_image(fig, format="svg", width=760, height=360).decode("utf-8")
    # The SVG is the picture; the caption (and the table beside it) is its text alternative.
    svg = svg.replace("<svg ", f"<svg role='img' aria-label='{html_text.escape(alt, quote=True)}' ", 1)
    return f"<figure>{svg}<figcaption>{html_text.escape(alt)}</figcaption></figure>"


def report_charts(pack: ScrutinyPack) -> list[tuple[go.Figure, str]]:
    """The report's charts with their text alternatives (only numbers that survived suppression)."""
    charts = []
    headline = pack.values[pack.values["breakdown"].isna()].set_index("metric_id")
    force = pack.force_values[pack.force_values["breakdown"].isna()].set_index("metric_id")
    marac = METRICS[SAFELIVES_METRIC]
    csp_value = headline["value"].get(SAFELIVES_METRIC)
    if csp_value is not None and not isinstance(csp_value, str) and not pd.isna(csp_value):
        frame = pd.DataFrame({
            "unit": [pack.csp_name, "Force", "SafeLives recommended"],
            "value": [float(csp_value), float(force["value"].get(SAFELIVES_METRIC)), float(marac.target)],
        })
        fig = figures.bar_chart(frame, category="unit", value="value", percent=False, title=marac.name)
        alt = (f"{marac.name}: {pack.csp_name} {figures.format_number(float(csp_value), percent=False)}, force "
               f"{figures.format_number(float(frame.iloc[1]['value']), percent=False)}, SafeLives recommends "
               f"{figures.format_number(float(marac.target), percent=False)}.")
        charts.append((fig, alt))
    ethnicity = ethnicity_rows(pack.profile)
    if not ethnicity.empty:
        shares = ethnicity.assign(victims=pd.to_numeric(ethnicity["value"], errors="coerce"))
        if shares["victims"].notna().any():
            fig = figures.profile_chart(shares, category="breakdown_value",
                                        shares=[("victims", "Victims"), ("population_share", "Residents")],
                                        title="Victims' ethnicity beside the resident population")
            alt = "Grouped bars of victims' and residents' shares by ethnic group; the table below gives the numbers."
            charts.append((fig, alt))
    return charts


def ethnicity_rows(profile: pd.DataFrame) -> pd.DataFrame:
    """The profile rows set beside the resident population (ethnicity: the only attribute with one)."""
    if "population_share" not in profile:
        return profile.iloc[0:0]
    return profile[profile["breakdown"].notna() & profile["population_share"].notna()].reset_index(drop=True)


def html_report(pack: ScrutinyPack, *, charts: bool = True) -> str:
    parts = [f"<h1>{html_text.escape(_front_matter(pack)[0])}</h1>"]
    parts += [f"<p>{html_text.escape(line)}</p>" for line in _front_matter(pack)[1:3]]
    parts.append(f"<p class='note'>{html_text.escape(_front_matter(pack)[3])}</p>")
    parts.append("<h2>Summary</h2>")
    parts.append(_table(summary_frame(pack).drop(columns=["Suppressed"]), "Key measures, partnership and force"))
    if charts:
        for fig, alt in report_charts(pack):
            parts.append(_svg(fig, alt))
    for indicator in INDICATORS:
        parts.append(f"<h2>{indicator.number}. {html_text.escape(indicator.title)}</h2>")
        parts.append(f"<p>{html_text.escape(indicator.question)}</p>")
        parts.append(_table(indicator_frame(pack, indicator.metric_ids), f"{indicator.title}: measures and breakdowns"))
    parts.append("<h2>Victim profile</h2>")
    parts.append("<p>Census 2011 residents of every age against victims (mostly adults): a ratio near 1 means "
                 "no clear difference, not a finding of fairness.</p>")
    parts.append(_table(profile_frame(pack.profile), "Victims by attribute, beside the resident population"))
    parts.append("<h2>Definitions</h2>")
    parts.append(_table(definitions_frame()[["Indicator", "Measure", "Question", "What is counted", "Out of", "Source"]],
                        "How each measure is defined"))
    title = html_text.escape(f"{_front_matter(pack)[0]}, {pack.period_from:%b %Y} to {pack.period_to:%b %Y}")
    return (f"<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'><title>{title}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{_CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>")
