"""/partnership — a community safety partnership for its scrutiny panel, always with small numbers suppressed,
and the scrutiny pack (Excel workbook and printable report) to download. A partnership user's partnership
control offers only their own partnerships (the server guard's 403 for another one is not shown by Dash)."""
from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
import dash_bootstrap_components as dbc

from app import components, data, figures, ids, scrutiny_pack, views
from app.auth.context import current_principal
from app.auth.policy import Forbidden, can_see_aggregates
from app.components import FilterState
from metrics.registry import METRICS

PAGE = "partnership"
PATH = "/partnership"
CONTENT = ids.page_id(PAGE, "content")
PACK_XLSX = ids.page_id(PAGE, "pack-xlsx")
PACK_HTML = ids.page_id(PAGE, "pack-html")
PACK_STATUS = ids.page_id(PAGE, "pack-status")
FIELDS = ("from", "to", "csp")
# The partnership's key measures, in the order the panel reads them.
KEY_METRICS = ("incidents", "crimes", "incidents_per_1000", "crimes_per_1000", "marac_cases",
               "marac_cases_per_10k_women", "marac_repeat_rate", "dvds_applications", "dvds_disclosure_rate",
               "notices_served", "order_application_rate", "order_grant_rate")

dash.register_page(__name__, path=PATH, name="Partnership", order=2,
                   title="Partnership – Domestic abuse performance")


def _csp_name(code: str) -> str:
    frame = data.csps()
    match = frame[frame["csp_code"] == code]
    return match.iloc[0]["csp_name"] if len(match) else code


def _key_measures(state: FilterState) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppressed headline rows of the key measures for the CSP, and the force's."""
    csp = views.headline_frame("csp", state.period_from, state.period_to, (state.csp,))
    csp = views.suppress(csp[csp["unit_code"] == state.csp].reset_index(drop=True))
    force = views.suppress(views.headline_frame("force", state.period_from, state.period_to, None))
    return csp, force


def key_measures_table(state: FilterState) -> pd.DataFrame:
    csp, force = _key_measures(state)
    rows = []
    for metric_id in KEY_METRICS:
        metric = METRICS[metric_id]
        row = csp[csp["metric_id"] == metric_id]
        force_row = force[force["metric_id"] == metric_id]
        rows.append({
            "Measure": metric.name,
            "Partnership": scrutiny_pack.shown(metric, row.iloc[0]["value"]) if len(row) else "–",
            "Cases": views.count_text(row.iloc[0]["numerator"]) if len(row) else "",
            "Force": scrutiny_pack.shown(metric, force_row.iloc[0]["value"]) if len(force_row) else "–",
            "Reference": metric.reference_note or "",
        })
    return pd.DataFrame(rows)


def _marac_chart(state: FilterState):
    metric = METRICS["marac_cases_per_10k_women"]
    csp, force = _key_measures(state)
    value = csp[csp["metric_id"] == metric.id]["value"]
    value = value.iloc[0] if len(value) else None
    if value is None or isinstance(value, str) or pd.isna(value):
        return components.notice(f"{metric.name} is withheld for this partnership: small numbers.")
    force_value = float(force[force["metric_id"] == metric.id]["value"].iloc[0])
    frame = pd.DataFrame({"Unit": [_csp_name(state.csp), "Force", "SafeLives recommended"],
                          "Cases per 10,000 women a year": [float(value), force_value, float(metric.target)]})
    fig = figures.bar_chart(frame, category="Unit", value="Cases per 10,000 women a year", percent=False,
                            title=f"{metric.name} against the SafeLives recommended 40")
    summary = (f"{metric.name}: {_csp_name(state.csp)} {figures.format_number(float(value), percent=False)}, "
               f"force {figures.format_number(force_value, percent=False)}, SafeLives recommends "
               f"{figures.format_number(float(metric.target), percent=False)}.")
    frame["Cases per 10,000 women a year"] = frame["Cases per 10,000 women a year"].round(1)
    return components.chart_and_table(f"{PAGE}-marac", fig, summary, frame, metric.name, f"marac-per-10k-{state.csp}")


def _dvds_routes(state: FilterState):
    metric = METRICS["dvds_applications"]
    frame = views.breakdown_frame(metric.id, "csp", state.csp, state.period_from, state.period_to)
    headline = views.unit_headline("csp", state.csp, state.period_from, state.period_to, suppressed=False)
    frame = views.suppress(pd.concat([headline[headline["metric_id"] == metric.id], frame], ignore_index=True))
    frame = frame[frame["breakdown"] == "route"].reset_index(drop=True)
    if frame.empty:
        return components.notice("No DVDS applications in this period.")
    return components.data_table(f"{PAGE}-dvds", views.display_frame(frame, metric),
                                 "DVDS applications by route", f"dvds-routes-{state.csp}")


def _profile(state: FilterState):
    profile = views.suppressed_victim_profile(state.csp, state.period_from, state.period_to)
    table = scrutiny_pack.profile_frame(profile)
    ethnicity = scrutiny_pack.ethnicity_rows(profile)
    parts = [html.P("Victims by attribute beside the resident population (Census 2011, all ages): a ratio near 1 "
                    "means no clear difference, not a finding of fairness.", className="small")]
    shares = ethnicity.assign(victims=pd.to_numeric(ethnicity["value"], errors="coerce")) if len(ethnicity) else ethnicity
    if len(shares) and shares["victims"].notna().any():
        fig = figures.profile_chart(shares, category="breakdown_value",
                                    shares=[("victims", "Victims"), ("population_share", "Residents")],
                                    title="Victims' ethnicity beside the resident population")
        parts.append(components.chart_and_table(
            f"{PAGE}-profile", fig, "Grouped bars of victims' and residents' shares by ethnic group; the table "
            "view lists every attribute.", table, "Victim profile", f"victim-profile-{state.csp}"))
    else:
        parts.append(components.data_table(f"{PAGE}-profile-table", table, "Victim profile", f"victim-profile-{state.csp}"))
    return html.Div(parts)


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


def _content(state: FilterState):
    if not state.csp:
        return components.notice("Choose a community safety partnership to see its figures.")
    try:
        views.authorise("csp", state.csp)
    except Forbidden as exc:
        return components.refusal(str(exc))
    name = _csp_name(state.csp)
    return html.Div([
        html.P([f"{name}, {state.describe_period()}. ", html.Strong("Small numbers are suppressed"),
                ": counts 1–4 show as <5, a rate on fewer than 10 cases is withheld, and [c] marks a number hidden "
                "so that a total cannot reveal it."], className="small"),
        html.H2("Key measures", className="h4"),
        components.data_table(f"{PAGE}-key", key_measures_table(state), f"Key measures for {name} and the force",
                              f"key-measures-{state.csp}"),
        html.H2("MARAC cases against the SafeLives level", className="h4 mt-3"),
        _marac_chart(state),
        html.H2("Clare's Law applications", className="h4 mt-3"),
        _dvds_routes(state),
        html.H2("Victim profile", className="h4 mt-3"),
        _profile(state),
    ])


def layout(**query):
    heading = components.page_heading(
        "Partnership", "A community safety partnership's figures for its scrutiny panel, with the scrutiny pack.")
    if not data.database_ready():
        return html.Div([heading, components.no_database()])
    state = FilterState.from_query(query)
    offered = _offered_csps()
    if not offered:  # e.g. a partnership account whose partnerships are not in the data: say so, not a blank
        return html.Div([heading, components.refusal(
            "Your account is not linked to a community safety partnership in this data; ask an administrator.")])
    if state.csp and state.csp not in offered:
        state = state.with_(csp=None)
    if not state.csp and len(offered) == 1:  # a partnership user with one partnership starts on it
        state = state.with_(csp=offered[0])
    downloads = html.Section([
        html.H2("Scrutiny pack", className="h4"),
        html.P("The partnership's measures, breakdowns, victim profile and definitions for the chosen period, "
               "suppressed for sharing.", className="small"),
        dbc.Button("Download the workbook (Excel)", id=PACK_XLSX, color="primary", className="me-2 mb-2"),
        dbc.Button("Download the printable report (HTML)", id=PACK_HTML, color="primary", outline=True, className="mb-2"),
        html.Div(id=PACK_STATUS, role="status", className="small"),
        dcc.Download(id=ids.download_id(PAGE, "pack-xlsx")),
        dcc.Download(id=ids.download_id(PAGE, "pack-html")),
    ], className="border rounded p-3 mb-4")
    return html.Div([heading, components.filter_bar(PAGE, state, FIELDS, csp_codes=offered), downloads,
                     html.Div(_content(state), id=CONTENT)])


@callback(Output(CONTENT, "children"), *components.filter_inputs(PAGE, FIELDS), prevent_initial_call=True)
def update_content(period_from: str, period_to: str, csp: str):
    return _content(FilterState.from_values(period_from, period_to, csp=csp))


def _pack(period_from: str, period_to: str, csp: str):
    state = FilterState.from_values(period_from, period_to, csp=csp)
    if not state.csp:
        raise ValueError("Choose a partnership first.")
    views.authorise("csp", state.csp)
    return scrutiny_pack.build_pack(data.connection(), state.csp, state.period_from, state.period_to)


@callback(Output(ids.download_id(PAGE, "pack-xlsx"), "data"), Output(ids.download_id(PAGE, "pack-html"), "data"),
          Output(PACK_STATUS, "children"),
          Input(PACK_XLSX, "n_clicks"), Input(PACK_HTML, "n_clicks"),
          *[State(ids.filter_id(PAGE, f), "value") for f in FIELDS], prevent_initial_call=True)
def download_pack(xlsx_clicks, html_clicks, period_from, period_to, csp):
    """The scrutiny pack as a workbook or a printable report, whichever button was pressed."""
    try:
        pack = _pack(period_from, period_to, csp)
    except (Forbidden, ValueError) as exc:
        return dash.no_update, dash.no_update, str(exc)
    stem = scrutiny_pack.file_stem(pack)
    if dash.ctx.triggered_id == PACK_HTML:
        return dash.no_update, dcc.send_string(scrutiny_pack.html_report(pack), f"{stem}.html"), "Report ready."
    return dcc.send_bytes(scrutiny_pack.excel_bytes(pack), f"{stem}.xlsx"), dash.no_update, "Workbook ready."
