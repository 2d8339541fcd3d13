""""How do we compare?" on every view: the questions to ``metrics.comparators`` (cached per database version)
and the Dash pieces that show the answers.

- ``tile_lines(metric_id, level, unit_code, period_from, period_to, suppressed=, forces=)``: the lines a
  tile carries: the force (or division) beside its most similar group and England and Wales, where it
  ranks among the forces, and whether it differs significantly from England and Wales.
- ``forces_compared(page, metric_id, level, unit_code, period_from, period_to, suppressed=, forces=)``: the
  detail view's "Forces compared": a ski slope of every force (the force and its group marked), a funnel
  plot of the forces, the force's trend by year against its group and England and Wales, each with its
  table view.
- ``comparison(...)``, ``comparison_for(...)``, ``yearly_frame(...)``: the cached answers (the compare page
  and the partnership page ask them too); ``standings_table`` and ``places_figure``: the compare page's
  nine indicators, now and a year before.

The caller checks the policy first (``app.views.authorise``); figures for a partnership audience
(``suppressed``) are suppressed like every other number they see. Every force's comparator figures are
aggregates (published tables or exchanged exports): who may see which force's *records* is the scope's
business, not this module's.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from dash import html

from app import components, data, views
from app import compare_figures as pictures
from metrics import comparators
from metrics.comparability import RECORDS_SOURCE, SYNTHETIC_SOURCE
from metrics.comparators import Comparison
from metrics.formatting import format_count, format_period, format_value
from metrics.periods import previous_period
from metrics.registry import HEADLINE_IDS, INDICATORS, METRICS

Forces = tuple[str, ...] | None


def force_in_view(forces: Forces) -> str:
    """The force a view is about: the scope's, else the home force."""
    return forces[0] if forces else str(data.home_force())


# --- cached questions ------------------------------------------------------------------------------

@data.cached
def figures_frame(period_from: date, period_to: date, metric_ids: tuple[str, ...]) -> pd.DataFrame:
    return comparators.figures(data.connection(), period_from, period_to, metric_ids)


@data.cached
def shown_figures_frame(period_from: date, period_to: date, metric_ids: tuple[str, ...]) -> pd.DataFrame:
    """``figures_frame`` as a partnership or public audience sees it: suppressed once per question, not once
    for each measure compared from it."""
    return comparators.suppressed_figures(figures_frame(period_from, period_to, metric_ids))


@data.cached
def group_of(force_code: str) -> comparators.Group:
    return comparators.most_similar_group(data.connection(), force_code)


@data.cached
def period_for(force_code: str, period_from: date, period_to: date) -> tuple[date, date] | None:
    """The period a view is compared over (``metrics.comparators.comparison_period``)."""
    return comparators.comparison_period(data.connection(), force_code, period_from, period_to)


@data.cached
def held_periods() -> tuple[tuple[date, date], ...]:
    return tuple(comparators.comparator_periods(data.connection()))


@data.cached
def _unit_rows(level: str, unit_code: str, period_from: date, period_to: date, metric_ids: tuple[str, ...],
               forces: Forces) -> dict[str, tuple]:
    """A division's (or partnership's) own figures, (name, numerator, denominator, value) by measure: the
    headline question its tiles asked already (``views.headline_frame``, cached), not a query of its own."""
    frame = views.headline_frame(level, period_from, period_to, (unit_code,), forces, metric_ids)
    frame = frame[frame["unit_code"] == unit_code]
    return {row.metric_id: (str(row.unit_name), row.numerator, row.denominator, row.value)
            for row in frame.itertuples(index=False)}


@data.cached
def comparison_for(metric_id: str, force_code: str, period_from: date, period_to: date, *, suppressed: bool,
                   metric_ids: tuple[str, ...] | None = None, level: str = "force", unit_code: str | None = None,
                   forces: Forces = None) -> Comparison:
    """The comparison over exactly this period (``metric_ids``: the measures asked together, so one
    question answers a page's every tile)."""
    asked = metric_ids or (metric_id,)
    frame = shown_figures_frame(period_from, period_to, asked) if suppressed else figures_frame(period_from, period_to, asked)
    unit = None
    if level != "force" and unit_code:
        unit = _unit_rows(level, unit_code, period_from, period_to, metric_ids or (metric_id,), forces).get(metric_id)
        if unit is not None and suppressed:
            unit = _suppressed_unit(unit, metric_id, level, unit_code, period_from, period_to)
    return comparators.compare(frame, metric_id, force_code, period_from, period_to, group=group_of(force_code),
                               unit=unit)


def _suppressed_unit(unit: tuple, metric_id: str, level: str, unit_code: str, period_from: date,
                     period_to: date) -> tuple:
    frame = pd.DataFrame([{"metric_id": metric_id, "level": level, "unit_code": unit_code, "period_from": period_from,
                           "period_to": period_to, "breakdown": None, "breakdown_value": None,
                           "numerator": unit[1], "denominator": unit[2], "value": unit[3]}])
    shown = comparators.suppress(frame).iloc[0]
    return unit[0], shown["numerator"], shown["denominator"], shown["value"]


def comparison(metric_id: str, period_from: date, period_to: date, *, suppressed: bool, forces: Forces = None,
               level: str = "force", unit_code: str | None = None,
               metric_ids: tuple[str, ...] | None = None) -> Comparison | None:
    """The view's comparison over the period it is compared over (None: no other force's figures)."""
    force_code = force_in_view(forces)
    period = period_for(force_code, period_from, period_to)
    if period is None or METRICS[metric_id].kind == "count":
        return None
    return comparison_for(metric_id, force_code, *period, suppressed=suppressed, metric_ids=metric_ids,
                          level=level, unit_code=unit_code, forces=forces)


@data.cached
def yearly_frame(metric_id: str, force_code: str, *, suppressed: bool) -> pd.DataFrame:
    """The force, its group and England and Wales by financial year (every year held for the measure)."""
    years = [p for p in held_periods() if comparators.is_financial_year(*p)]
    rows = []
    for period_from, period_to in sorted(set(years)):
        result = comparison_for(metric_id, force_code, period_from, period_to, suppressed=suppressed)
        if result.england_wales is None and result.value is None:
            continue
        rows.append({"year": comparators.financial_year_label(period_from), "force": result.value,
                     "msg": result.msg.value if result.msg else None,
                     "england_wales": result.england_wales.value if result.england_wales else None,
                     "rank": result.rank, "ranked": result.ranked})
    return pd.DataFrame(rows, columns=["year", "force", "msg", "england_wales", "rank", "ranked"])


# --- words --------------------------------------------------------------------------------------------

def group_words(result: Comparison) -> str:
    """What the group is, said beside its number."""
    if result.msg is None:
        return ""
    count = len(result.msg.forces)
    excluded = f", {result.force_name} left out" if not result.is_unit else ""
    illustrative = "; an illustrative group, not HMICFRS's" if result.group.illustrative else ""
    return f"pooled over {count} force{'s' if count != 1 else ''}{excluded}{illustrative}"


def national_words(result: Comparison) -> str:
    count = len(result.england_wales.forces) if result.england_wales else 0
    return f"pooled over {count} forces"


def value_text(result: Comparison, value: float | None) -> str:
    return format_value(result.metric, value) if value is not None else "–"


def period_words(result: Comparison, period_from: date, period_to: date) -> str | None:
    """Said when the comparison is over another period than the view's."""
    if (result.period_from, result.period_to) == (period_from, period_to):
        return None
    return (f"Compared over {format_period(result.period_from, result.period_to)}, the latest period with every "
            f"force's figures: {result.force_name} {value_text(result, result.value)}.")


def missing_words(result: Comparison) -> str | None:
    parts = []
    if result.missing:
        parts.append(f"No figure for {len(result.missing)} force{'s' if len(result.missing) != 1 else ''}, left out: "
                     f"{', '.join(result.missing)}.")
    if result.msg_missing:
        parts.append(f"Left out of the most similar group (no figure): {', '.join(result.msg_missing)}.")
    return " ".join(parts) or None


# --- tiles ----------------------------------------------------------------------------------------

def tile_lines(metric_id: str, level: str, unit_code: str | None, period_from: date, period_to: date, *,
               suppressed: bool, forces: Forces = None, metric_ids: tuple[str, ...] | None = None) -> list:
    """The comparison a tile carries (nothing for a count, or when no other force's figures are held)."""
    result = comparison(metric_id, period_from, period_to, suppressed=suppressed, forces=forces, level=level,
                        unit_code=unit_code, metric_ids=metric_ids)
    if result is None or result.england_wales is None:
        return []
    lines = []
    note = period_words(result, period_from, period_to)
    if note:
        lines.append(html.P(note, className="small mb-1 text-body-secondary tile-compare-period"))
    values = [html.Span(["England and Wales ", html.Strong(value_text(result, result.england_wales.value))],
                        className="me-2", **{"data-comparator": "england-wales"})]
    if result.msg is not None:
        values.append(html.Span(["Most similar group ", html.Strong(value_text(result, result.msg.value)),
                                 " (illustrative)" if result.group.illustrative else ""],
                                **{"data-comparator": "msg"}))
    lines.append(html.P(values, className="small mb-0 tile-comparators",
                        title=f"England and Wales {national_words(result)}; most similar group {group_words(result)}."))
    standing = [comparators.rank_text(result), comparators.significance_text(result)]
    lines.append(html.P(" ".join(f"{s.rstrip('.')}." for s in standing if s), className="small mb-1 tile-standing"))
    if result.note:  # a published figure whose definition differs a little: said, and explained in the detail
        lines.append(html.P("Some forces' figures are published tables that count this a little differently: "
                            "see the measure's detail.", className="small mb-1 text-body-secondary tile-note"))
    return lines


# --- the detail view's "Forces compared" ------------------------------------------------------------

def _forces_table(result: Comparison) -> pd.DataFrame:
    rows = result.values.sort_values(["value", "force_name"], ascending=[False, True])
    return pd.DataFrame({
        "Rank": [int(r) for r in rows["rank"]],
        "Force": rows["force_name"].to_numpy(),
        "Value": [format_value(result.metric, v) for v in rows["value"]],
        "Count": [format_count(v) for v in rows["numerator"]],
        "Out of": [format_count(v) for v in rows["denominator"]],
        "Most similar group": ["This force" if f else ("Yes" if g else "") for f, g in
                               zip(rows["is_force"], rows["in_group"])],
        "Source": [comparators_source_words(s) for s in rows["source"]],
    })


def comparators_source_words(source: object) -> str:
    text = str(source or "")
    if text == RECORDS_SOURCE:
        return "This database's records"
    if text.strip().lower() == SYNTHETIC_SOURCE:
        return "Synthetic (demo)"
    return text


def _funnel_table(result: Comparison) -> pd.DataFrame:
    funnel = comparators.forces_funnel(result)
    words = {"above 99.8%": "Above the 99.8% limit", "above 95%": "Above the 95% limit", "within": "Within the limits",
             "below 95%": "Below the 95% limit", "below 99.8%": "Below the 99.8% limit", "no data": "No cases"}
    units = funnel.units.sort_values("force_name")
    return pd.DataFrame({"Force": units["force_name"].to_numpy(),
                         "Value": [format_value(result.metric, v) for v in units["value"]],
                         "Out of": [format_count(v) for v in units["denominator"]],
                         "Position on the funnel": [words.get(p, p) for p in units["position"]]})


def summary_words(result: Comparison) -> str:
    """The comparison in one paragraph (the ski slope's text alternative, and the section's lead)."""
    parts = [f"{result.metric.name}, {format_period(result.period_from, result.period_to)}: "
             f"{result.force_name} {value_text(result, result.value)}"]
    if result.msg is not None:
        parts.append(f"most similar group {value_text(result, result.msg.value)} ({group_words(result)})")
    if result.england_wales is not None:
        parts.append(f"England and Wales {value_text(result, result.england_wales.value)} ({national_words(result)})")
    text = "; ".join(parts) + "."
    rank = comparators.rank_text(result)
    if rank:
        text += f" {rank}."
    return f"{text} {comparators.significance_text(result)}"


def forces_compared(page: str, metric_id: str, level: str, unit_code: str | None, period_from: date,
                    period_to: date, *, suppressed: bool, forces: Forces = None) -> html.Div:
    """The "Forces compared" section of a measure's detail view."""
    metric = METRICS[metric_id]
    heading = html.H3("Forces compared", className="h4 mt-3")
    if metric.kind == "count":
        return html.Div([heading, html.P("A count is not compared between forces: forces differ in size. The "
                                         "rates and shares of this indicator are.", className="small")],
                        id=f"{page}-forces-compared")
    result = comparison(metric_id, period_from, period_to, suppressed=suppressed, forces=forces, level=level,
                        unit_code=unit_code)
    if result is None or result.england_wales is None:
        return html.Div([heading, components.notice(
            "No other force's figures are held for this period, so there is nothing to compare with. Comparator "
            "figures come from published tables or other forces' exports (see Definitions).")],
            id=f"{page}-forces-compared")
    percent = metric.kind == "proportion"
    notes = [note for note in (period_words(result, period_from, period_to), missing_words(result), result.note) if note]
    if result.group.illustrative:
        notes.append("The most similar group shown is illustrative (the seven forces nearest in population and "
                     "ethnic mix), not HMICFRS's, until the published groups are loaded.")
    parts = [heading, html.P(summary_words(result), className="small compare-summary"),
             *[html.P(note, className="small text-body-secondary") for note in notes]]
    slope = pictures.ski_slope(result, title=f"{metric.name}: every force, highest first")
    parts.append(components.chart_and_table(
        f"{page}-ski-slope", slope, f"Columns: every force with a figure, highest first, {result.force_name} and "
        "its most similar group in colours of their own; England and Wales and the group, pooled, as lines "
        "across.", _forces_table(result),
        f"{metric.name} for every force", f"{metric.id}-forces"))
    funnel = pictures.forces_funnel_figure(result, title=f"{metric.name}: forces on a funnel plot")
    if funnel is not None:
        parts.append(components.chart_and_table(
            f"{page}-forces-funnel", funnel, f"Funnel plot of {metric.name} for every force with counts, around "
            f"England and Wales at {value_text(result, result.england_wales.value)}. "
            + comparators.significance_text(result), _funnel_table(result),
            f"{metric.name}: forces against England and Wales", f"{metric.id}-forces-funnel"))
    yearly = yearly_frame(metric_id, result.force_code, suppressed=suppressed)
    if len(yearly) >= 1:
        trend = pictures.yearly_trend(yearly, force_name=result.force_name if not result.is_unit else "The force",
                                      percent=percent, title=f"{metric.name} by financial year")
        table = pd.DataFrame({"Financial year": yearly["year"],
                              "The force": [format_value(metric, v) for v in yearly["force"]],
                              "Most similar group": [format_value(metric, v) for v in yearly["msg"]],
                              "England and Wales": [format_value(metric, v) for v in yearly["england_wales"]],
                              "Rank": [comparators.ordinal(int(r)) if pd.notna(r) else "–" for r in yearly["rank"]]})
        parts.append(components.chart_and_table(
            f"{page}-forces-trend", trend, f"{metric.name} by financial year: the force, its most similar group and "
            f"England and Wales, {len(yearly)} year{'s' if len(yearly) != 1 else ''}.", table,
            f"{metric.name} by financial year", f"{metric.id}-by-year"))
    return html.Div(parts, id=f"{page}-forces-compared")


# --- the compare page ------------------------------------------------------------------------------

def headline_comparison(metric_id: str, period: tuple[date, date], force_code: str, suppressed: bool) -> Comparison:
    """One of the nine indicators over a compared period (asked with the other eight)."""
    return comparison_for(metric_id, force_code, *period, suppressed=suppressed, metric_ids=HEADLINE_IDS)


def standings_table(period: tuple[date, date], force_code: str, suppressed: bool) -> pd.DataFrame:
    """The nine indicators: the force, its group, England and Wales, its rank and test, and the same a year
    before."""
    before = previous_period(*period)
    held_before = before in held_periods() or period_for(force_code, *before) == before
    rows = []
    for indicator in INDICATORS:
        metric = METRICS[indicator.headline]
        now = headline_comparison(metric.id, period, force_code, suppressed)
        then = headline_comparison(metric.id, before, force_code, suppressed) if held_before else None
        rank_now = comparators.rank_text(now) or "–"
        rank_then = (comparators.rank_text(then) or "–") if then is not None else "No figures held"
        rows.append({
            "Indicator": f"{indicator.number}. {indicator.title}",
            "Measure": metric.name,
            "This force": value_text(now, now.value),
            "Most similar group": value_text(now, now.msg.value) if now.msg else "–",
            "England and Wales": value_text(now, now.england_wales.value) if now.england_wales else "–",
            "Rank": rank_now,
            "Against England and Wales": comparators.significance_text(now),
            "A year before": (value_text(then, then.value) if then is not None else "–"),
            "Rank a year before": rank_then,
            "Moved": _moved(now, then),
        })
    return pd.DataFrame(rows)


def _moved(now: comparators.Comparison, then: comparators.Comparison | None) -> str:
    if then is None or now.rank is None or then.rank is None:
        return "–"
    places = then.rank - now.rank
    if places == 0:
        return "Same place"
    return f"{abs(places)} place{'s' if abs(places) != 1 else ''} {'higher' if places > 0 else 'lower'}"


def places_figure(period: tuple[date, date], force_code: str, suppressed: bool, *, label: str):
    """Where the force stands on each indicator: its place among the forces, now and a year before."""
    before = previous_period(*period)
    held_before = before in held_periods()
    now = [headline_comparison(i.headline, period, force_code, suppressed) for i in INDICATORS]
    then = [headline_comparison(i.headline, before, force_code, suppressed) if held_before else None for i in INDICATORS]
    return pictures.places([f"{i.number}. {i.title}" for i in INDICATORS], [r.rank for r in now],
                           [r.rank if r is not None else None for r in then], max(r.ranked for r in now), label=label)
