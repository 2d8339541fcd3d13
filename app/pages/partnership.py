"""/partnership — a community safety partnership for its scrutiny panel: every measure of the scrutiny pack
beside the force, its most similar group and England and Wales, always with small numbers protected, for
fixed reporting periods only (financial years and their quarters: disclosure control holds across
periods that never overlap but as a year and its quarters), and the pack itself to download.

A partnership user's partnership control offers only their own partnerships; the unit queried is the one
the guard resolved for the request (``current_scope()``), never the callback's own argument.
"""
from __future__ import annotations

from dataclasses import replace

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from app import compare_components as compared
from app import components, data, figures, force_selector, ids, scrutiny_pack, views
from app.reporting_periods import View, periods, resolve
from app.auth.context import current_principal
from app.auth.policy import Forbidden, can_see_aggregates
from app.auth.scope import current_scope
from metrics.comparators import COMPARABLE_IDS
from metrics.formatting import format_count, format_date, format_number, format_value
from metrics.periods import describe_reporting_period
from metrics.registry import INDICATORS, METRICS
from reference.vocabulary import breakdown_label

PAGE = "partnership"
PATH = "/partnership"
CONTENT = ids.page_id(PAGE, "content")
PACK_XLSX = ids.page_id(PAGE, "pack-xlsx")
PACK_HTML = ids.page_id(PAGE, "pack-html")
PACK_STATUS = ids.page_id(PAGE, "pack-status")
PACK_PROGRESS = ids.page_id(PAGE, "pack-progress")
FIELDS = ("period", "csp")
PERIOD = ids.filter_id(PAGE, "period")
CSP = ids.filter_id(PAGE, "csp")

dash.register_page(__name__, path=PATH, name="Partnership", order=2,
                   title="Partnership – Domestic abuse performance")


def _csp_name(code: str) -> str:
    frame = data.csps()
    match = frame[frame["csp_code"] == code]
    return match.iloc[0]["csp_name"] if len(match) else code


# --- the measures ---------------------------------------------------------------------------------

def _headlines(view: View, forces) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppressed headline rows of every measure for the partnership, and the force's."""
    csp = views.unit_headline("csp", view.csp, view.period_from, view.period_to, suppressed=True, forces=forces)
    force = views.unit_headline("force", None, view.period_from, view.period_to, suppressed=True, forces=forces)
    return csp.set_index("metric_id"), force.set_index("metric_id")


def _comparison(metric_id: str, view: View, forces):
    """The force among the forces over exactly the reporting period (None: no other force's figures)."""
    if metric_id not in COMPARABLE_IDS:
        return None
    result = compared.comparison_for(metric_id, compared.force_in_view(forces), view.period_from, view.period_to,
                                     suppressed=True, metric_ids=COMPARABLE_IDS)
    return result if result.england_wales is not None else None


def measures_table(view: View, metric_ids, forces) -> pd.DataFrame:
    """The partnership beside the force, its most similar group and England and Wales."""
    # Kept per period and partnership (whatever the address said): every visit after the first is a lookup.
    return _measures_table(replace(view, notices=()), tuple(metric_ids), forces)


@data.cached
def _measures_table(view: View, metric_ids: tuple[str, ...], forces) -> pd.DataFrame:
    csp, force = _headlines(view, forces)
    rows = []
    for metric_id in metric_ids:
        metric = METRICS[metric_id]
        row = csp.loc[metric_id] if metric_id in csp.index else None
        result = _comparison(metric_id, view, forces)
        rows.append({
            "Measure": metric.name,
            "Partnership": scrutiny_pack.shown(metric, row["value"]) if row is not None else "–",
            "Cases": format_count(row["numerator"]) if row is not None else "",
            "Out of": format_count(row["denominator"]) if row is not None and metric.kind != "count" else "",
            "Force": scrutiny_pack.shown(metric, force.loc[metric_id, "value"]) if metric_id in force.index else "–",
            "Most similar group": format_value(metric, result.msg.value) if result is not None and result.msg else "–",
            "England and Wales": format_value(metric, result.england_wales.value) if result is not None else "–",
            "Reference": metric.reference_note or "",
        })
    return pd.DataFrame(rows)


def key_measures_table(view: View, forces=None) -> pd.DataFrame:
    return measures_table(view, scrutiny_pack.SUMMARY_METRICS, forces).drop(columns=["Out of"])


def _comparison_notes(view: View, forces) -> list[str]:
    sample = next((r for r in (_comparison(m, view, forces) for m in scrutiny_pack.SUMMARY_METRICS) if r), None)
    if sample is None:
        return [f"No other force's figures are held for {view.in_a_sentence}, so there is no England and Wales or most "
                "similar group figure to set beside the partnership's."]
    notes = [scrutiny_pack.POOLED_NOTE]
    notes += sorted({r.note for r in (_comparison(m, view, forces) for m in scrutiny_pack.SUMMARY_METRICS)
                     if r is not None and r.note})
    if sample.group.illustrative:
        notes.append("The most similar group is illustrative (the seven forces nearest in population and ethnic "
                     "mix), not HMICFRS's, until the published groups are loaded.")
    return notes


def _marac_chart(view: View, forces):
    metric = METRICS[scrutiny_pack.SAFELIVES_METRIC]
    csp, force = _headlines(view, forces)
    value = csp["value"].get(metric.id)
    if value is None or isinstance(value, str) or pd.isna(value):
        return components.notice(f"{metric.name} is withheld for this partnership: small numbers.")
    items = [(_csp_name(view.csp), float(value))]
    force_value = force["value"].get(metric.id)
    if force_value is not None and not isinstance(force_value, str) and not pd.isna(force_value):
        items.append(("Force", float(force_value)))
    national = _comparison(metric.id, view, forces)
    if national is not None:
        items.append(("England and Wales", national.england_wales.value))
    items.append(("SafeLives recommended", float(metric.target)))
    frame = pd.DataFrame(items, columns=["Area", "Cases per 10,000 women a year"])
    fig = figures.bar_chart(frame, category="Area", value="Cases per 10,000 women a year", percent=False,
                            title=f"{metric.name} against the SafeLives recommended 40")
    summary = f"{metric.name}: " + "; ".join(f"{a} {format_number(v, percent=False)}" for a, v in items) + "."
    table = frame.assign(**{"Cases per 10,000 women a year": [format_number(v, percent=False) for _, v in items]})
    return components.chart_and_table(f"{PAGE}-marac", fig, summary, table, metric.name,
                                      f"marac-per-10k-{view.csp}-{view.key}")


@data.cached
def _dvds_route_rows(csp: str, period_from, period_to, forces) -> pd.DataFrame:
    """The partnership's Clare's Law applications by route, suppressed with their total (so that no route
    can be worked out from it)."""
    metric = METRICS["dvds_applications"]
    frame = views.breakdown_frame(metric.id, "csp", csp, period_from, period_to, forces)
    headline = views.unit_headline("csp", csp, period_from, period_to, suppressed=False, forces=forces)
    frame = views.suppress(pd.concat([headline[headline["metric_id"] == metric.id], frame], ignore_index=True))
    return frame[frame["breakdown"] == "route"].reset_index(drop=True)


def _dvds_routes(view: View, forces):
    metric = METRICS["dvds_applications"]
    frame = _dvds_route_rows(view.csp, view.period_from, view.period_to, forces)
    if frame.empty:
        return components.notice(f"No Clare's Law applications in {view.in_a_sentence}.")
    return components.data_table(f"{PAGE}-dvds", views.display_frame(frame, metric),
                                 "Clare's Law applications by route", f"dvds-routes-{view.csp}-{view.key}")


def _profile(view: View):
    profile = views.suppressed_victim_profile(view.csp, view.period_from, view.period_to)
    table = scrutiny_pack.profile_text(profile)
    ethnicity = scrutiny_pack.ethnicity_rows(profile)
    parts = [html.P("Victims by attribute beside the resident population (Census 2011, all ages): a ratio near 1 "
                    "means no clear difference, not a finding of fairness.", className="small")]
    shares = ethnicity.assign(victims=pd.to_numeric(ethnicity["value"], errors="coerce"),
                              group=[breakdown_label("victim_ethnicity", v) for v in ethnicity["breakdown_value"]]
                              ) if len(ethnicity) else ethnicity
    if len(shares) and shares["victims"].notna().any():
        fig = figures.profile_chart(shares, category="group",
                                    shares=[("victims", "Victims"), ("population_share", "Residents")],
                                    title="Victims' ethnicity beside the resident population")
        parts.append(components.chart_and_table(
            f"{PAGE}-profile", fig, "Grouped bars of victims' and residents' shares by ethnic group; the table "
            "view lists every attribute.", table, "Victim profile", f"victim-profile-{view.csp}-{view.key}"))
    else:
        parts.append(components.data_table(f"{PAGE}-profile-table", table, "Victim profile",
                                           f"victim-profile-{view.csp}-{view.key}"))
    return html.Div(parts)


def _every_measure(view: View, forces):
    """Every measure the pack carries, indicator by indicator (each under a disclosure)."""
    sections = []
    for indicator in INDICATORS:
        table = measures_table(view, indicator.metric_ids, forces).drop(columns=["Reference"])
        sections.append(html.Details([
            html.Summary(f"{indicator.number}. {indicator.title}: {indicator.question}", className="fw-semibold"),
            components.data_table(f"{PAGE}-indicator-{indicator.number}", table,
                                  f"{indicator.title}: every measure", f"{indicator.number}-{view.csp}-{view.key}"),
        ], className="mb-2"))
    return html.Div(sections)


# --- the page -------------------------------------------------------------------------------------

def _offered_csps() -> list[str]:
    """The partnerships the signed-in user may choose: a partnership user's own, everyone else all."""
    codes = list(data.csps()["csp_code"])
    try:
        principal = current_principal()
    except Forbidden:
        return []
    if principal.role == "partnership":
        return [code for code in codes if can_see_aggregates(principal, "csp", code)]
    return codes


def _content(view: View):
    if view.key is None:
        return components.notice("The data do not yet cover a whole quarter of a financial year, so there is no "
                                 "reporting period to show.")
    if not view.csp:
        return components.notice("Choose a community safety partnership to see its figures.")
    try:
        views.authorise("csp", view.csp)
    except Forbidden as exc:
        return components.refusal(str(exc))
    return _body(replace(view, notices=()), views.forces_of(current_scope()))


@data.cached
def _body(view: View, forces) -> html.Div:
    """The partnership's figures for a reporting period, built once per period and partnership after the
    request's own check (read-only: a response only serialises them)."""
    name = _csp_name(view.csp)
    return html.Div([
        html.P(f"{name}, {view.in_a_sentence} ({format_date(view.period_from, with_day=False)} to "
               f"{format_date(view.period_to, with_day=False)}).", className="fw-semibold mb-1"),
        html.P(scrutiny_pack.SUPPRESSION_NOTE, className="small"),
        html.H2("Key measures", className="h4"),
        *[html.P(note, className="small text-body-secondary") for note in _comparison_notes(view, forces)],
        components.data_table(f"{PAGE}-key", key_measures_table(view, forces),
                              f"Key measures for {name}, the force, its most similar group and England and Wales",
                              f"key-measures-{view.csp}-{view.key}"),
        html.H2("Every measure, by indicator", className="h4 mt-3"),
        html.P("Every measure in the scrutiny pack, with the force, its most similar group and England and Wales "
               "beside each rate and share.", className="small"),
        _every_measure(view, forces),
        html.H2("MARAC cases against the SafeLives level", className="h4 mt-3"),
        _marac_chart(view, forces),
        html.H2("Clare's Law applications", className="h4 mt-3"),
        _dvds_routes(view, forces),
        html.H2("Victim profile", className="h4 mt-3"),
        _profile(view),
    ])


def _controls(view: View, offered: list[str]) -> html.Form:
    frame = data.csps()
    # The empty choice reads as the placeholder does, so the box never starts blank (dbc.Select's own
    # placeholder option, also empty, is the one selected).
    csp_options = [{"label": "Choose a partnership", "value": ""}] + [
        {"label": row.csp_name, "value": row.csp_code} for row in frame.itertuples() if row.csp_code in set(offered)]
    period_options = [{"label": describe_reporting_period(key), "value": key} for key, _, _ in periods()]
    columns = [
        dbc.Col([dbc.Label("Reporting period", html_for=components.dom_id(PERIOD), className="fw-semibold"),
                 dbc.Select(id=PERIOD, options=period_options, value=view.key or "",
                            placeholder="No whole quarter in the data")], xs=12, sm=6, lg=4, className="mb-2"),
        dbc.Col([dbc.Label("Community safety partnership", html_for=components.dom_id(CSP), className="fw-semibold"),
                 dbc.Select(id=CSP, options=csp_options, value=view.csp or "",
                            placeholder="Choose a partnership")], xs=12, sm=6, lg=4, className="mb-2"),
    ]
    return html.Form(dbc.Row(columns, className="g-3 align-items-end"), role="search", **{"aria-label": "Filters"},
                     className="filters border rounded p-3 mb-4 bg-light")


def layout(period: str | None = None, csp: str | None = None, **query):
    heading = components.page_heading(
        "Partnership", "A community safety partnership's figures for its scrutiny panel, beside its force and "
        "England and Wales, with the scrutiny pack.")
    if not data.database_ready():
        return html.Div([heading, components.no_database()])
    view = resolve(period, csp, query.get("from"), query.get("to"))
    offered = _offered_csps()
    if not offered:  # e.g. a partnership account whose partnerships are not in the data: say so, not a blank
        return html.Div([heading, components.refusal(
            "Your account is not linked to a community safety partnership in this data; ask an administrator.")])
    if view.csp and view.csp not in offered:
        view = replace(view, csp=None)
    if not view.csp and len(offered) == 1:  # a partnership user with one partnership starts on it
        view = replace(view, csp=offered[0])
    downloads = html.Section([
        html.H2("Scrutiny pack", className="h4"),
        html.P("Every measure on this page, its breakdowns, a trend chart for each key measure, every force for each key "
               "rate, the victim profile and the definitions, for the reporting period chosen, protected for "
               "sharing.", className="small"),
        dbc.Button("Download the workbook (Excel)", id=PACK_XLSX, color="primary", className="me-2 mb-2"),
        dbc.Button("Download the printable report (HTML)", id=PACK_HTML, color="primary", outline=True,
                   className="mb-2"),
        html.Div(id=PACK_PROGRESS, role="status", className="small"),
        html.Div(id=PACK_STATUS, role="status", className="small"),
        dcc.Download(id=ids.download_id(PAGE, "pack-xlsx")),
        dcc.Download(id=ids.download_id(PAGE, "pack-html")),
    ], className="border rounded p-3 mb-4")
    notices = components.address_notices(view.notices) if view.notices else None
    return html.Div([heading, notices, _controls(view, offered), downloads, html.Div(_content(view), id=CONTENT)])


def _scoped(key: str | None) -> View:
    """The view of a callback: its period from the control, its partnership from the request's scope."""
    scope = current_scope()
    return resolve(key, scope.unit_code if scope.level == "csp" else None)


@callback(Output(CONTENT, "children"), Input(PERIOD, "value"), Input(CSP, "value"), State(force_selector.FORCE, "value"),
          prevent_initial_call=True)
def update_content(key: str, csp: str, force: str | None):
    return _content(_scoped(key))


@callback(Output(ids.download_id(PAGE, "pack-xlsx"), "data"), Output(ids.download_id(PAGE, "pack-html"), "data"),
          Output(PACK_STATUS, "children"),
          Input(PACK_XLSX, "n_clicks"), Input(PACK_HTML, "n_clicks"),
          State(PERIOD, "value"), State(CSP, "value"), State(force_selector.FORCE, "value"),
          running=[(Output(PACK_XLSX, "disabled"), True, False), (Output(PACK_HTML, "disabled"), True, False),
                   (Output(PACK_PROGRESS, "children"), "Preparing the scrutiny pack…", "")],
          prevent_initial_call=True)
def download_pack(xlsx_clicks, html_clicks, key, csp, force):
    """The scrutiny pack as a workbook or a printable report, whichever button was pressed."""
    view = _scoped(key)
    if not view.csp or view.key is None:
        return dash.no_update, dash.no_update, "Choose a reporting period and a partnership first."
    try:
        views.authorise("csp", view.csp)
    except Forbidden as exc:
        return dash.no_update, dash.no_update, str(exc)
    pack = scrutiny_pack.build_pack(data.connection(), view.csp, view.period_from, view.period_to)
    stem = scrutiny_pack.file_stem(pack)
    ready = f"Ready: the scrutiny pack for {pack.csp_name}, {pack.period_label}."
    if dash.ctx.triggered_id == PACK_HTML:
        return dash.no_update, dcc.send_string(scrutiny_pack.html_report(pack), f"{stem}.html"), ready
    return dcc.send_bytes(scrutiny_pack.excel_bytes(pack), f"{stem}.xlsx"), dash.no_update, ready
