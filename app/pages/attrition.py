"""/attrition — the case-linked funnel from crime to conviction, for domestic abuse coordinators.

Thin: the questions are ``metrics.attrition``'s; this module lays them out and checks the access policy
before each query (aggregates: ``can_see_aggregates``, unsuppressed so not for partnership users; the case
list and its download: ``can_see_case_list`` for the division asked about). The server guard's 403 is
not shown by Dash, so no choice on the page leads to one: a division lead's division filter offers only
their divisions and opens on one, and what a principal may not see at all is refused in words in the layout.
"""
from __future__ import annotations

from datetime import datetime

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from app import components, data, figures, ids
from app.auth.context import current_principal
from app.auth.guard import record_level
from app.auth.policy import can_see_aggregates, can_see_case_list, must_suppress
from metrics import attrition
from reference.vocabulary import label

PAGE = "attrition"
FIELDS = ("from", "to", "division", "csp")

dash.register_page(__name__, path="/attrition", name="Attrition", order=5,
                   title="Attrition from crime to conviction")

SUMMARY = ids.page_id(PAGE, "summary")
FUNNEL = ids.page_id(PAGE, "funnel")
OUTCOMES = ids.page_id(PAGE, "outcomes")
TIMINGS = ids.page_id(PAGE, "timings")
BY_UNIT = ids.page_id(PAGE, "by-unit")
STAGE_LOST = ids.page_id(PAGE, "stage-lost")
OUTCOME_TYPE = ids.page_id(PAGE, "outcome-type")
CASE_LIST = record_level(ids.page_id(PAGE, "case-list"), view="attrition case list")
CASE_CSV_BUTTON = ids.page_id(PAGE, "case-list-csv")
CASE_CSV = record_level(ids.download_id(PAGE, "case-list-csv"), view="attrition case list", export=True)

OUTCOME_CHOICES = ["0", "1", "1A"] + [str(n) for n in range(2, 23)]
ANY = "any"
# A force-wide year is tens of thousands of crimes: the page shows enough to dip-sample, the download all.
ROWS_SHOWN = 500
# The grid keeps to what a dip-sample starts from; the download carries the dates as well.
CASE_COLUMNS_SHOWN = ["incident_id", "crime_ref", "victim_ref", "suspect_ref", "division_code", "csp_code",
                      "offence_group", "stage_reached", "stage_lost", "outcome_type", "days_to_arrest",
                      "days_to_cps_referral", "days_to_charge", "days_to_conviction"]


def _unit(division: str | None, csp: str | None) -> tuple[str, str | None]:
    if csp:
        return "csp", csp
    if division:
        return "division", division
    return "force", None


def _cohort_words(state: components.FilterState, level: str, unit_code: str | None) -> str:
    where = "the force"
    if level == "division":
        names = data.divisions().set_index("division_code")["division_name"]
        where = names.get(unit_code, unit_code)
    elif level == "csp":
        names = data.csps().set_index("csp_code")["csp_name"]
        where = names.get(unit_code, unit_code)
    return f"crimes recorded in {where}, {state.describe_period()}"


@data.cached
def _aggregates(level: str, unit_code: str | None, period_from, period_to) -> dict[str, pd.DataFrame]:
    con = data.connection()
    return {
        "funnel": attrition.attrition_funnel(con, level, unit_code, period_from, period_to),
        "outcomes": attrition.outcome_mix(con, level, unit_code, period_from, period_to),
        "timings": attrition.stage_timings(con, level, unit_code, period_from, period_to),
        **_by_unit(period_from, period_to),
    }


@data.cached
def _by_unit(period_from, period_to) -> dict[str, pd.DataFrame]:
    # Every division and partnership whatever unit is chosen: kept apart so a unit change reuses it.
    con = data.connection()
    return {
        "by_division": attrition.attrition_by_unit(con, "division", period_from, period_to),
        "by_csp": attrition.attrition_by_unit(con, "csp", period_from, period_to),
    }


UNSUPPRESSED_REFUSAL = ("The attrition view shows unsuppressed counts; partnership figures, with small numbers "
                        "suppressed, are on the partnership page.")
CASE_LIST_REFUSAL = ("Case lists are for chief officers and coordinators, and for a division lead within their "
                     "own division.")


def _division_of_csp(csp_code: str | None) -> str | None:
    match = data.csps().loc[lambda frame: frame["csp_code"] == csp_code, "division_code"]
    return str(match.iloc[0]) if len(match) else None


def _within_own_divisions(state: components.FilterState, own: list[str] | None) -> components.FilterState:
    """A division lead's filters kept inside their divisions (``own``), so the case list below is never
    refused: a division of theirs (the partnership's, when it is in one, else their first) and only a
    partnership inside it."""
    if not own:
        return state
    if state.division not in own:
        csp_division = _division_of_csp(state.csp)
        state = state.with_(division=csp_division if csp_division in own else own[0])
    if state.csp and _division_of_csp(state.csp) != state.division:
        state = state.with_(csp=None)
    return state


def layout(**query) -> html.Div:
    if not data.database_ready():
        return html.Div([components.page_heading("Attrition"), components.no_database()])
    principal = current_principal()
    if must_suppress(principal):  # nothing on this page is for them: say so rather than show blanks
        return html.Div([components.page_heading("Attrition: from crime to conviction"),
                         components.refusal(UNSUPPRESSED_REFUSAL)])
    own = components.own_divisions(principal)
    state = _within_own_divisions(components.FilterState.from_query(query), own)
    level, unit_code = _unit(state.division, state.csp)
    return html.Div(
        [
            components.page_heading(
                "Attrition: from crime to conviction",
                "Of the crimes recorded in the period, how many reached each stage, where the rest went, "
                "and how long each stage took. Choose a division or a partnership to narrow the cohort.",
            ),
            components.filter_bar(PAGE, state, FIELDS, all_divisions=not own, division_codes=own or None),
            html.Div(id=SUMMARY, role="status"),
            html.Section([html.H2("Funnel from crime to conviction", className="h4"), html.Div(id=FUNNEL)],
                         className="mb-4"),
            html.Section([html.H2("Where the cases went: outcome mix", className="h4"), html.Div(id=OUTCOMES)],
                         className="mb-4"),
            html.Section([html.H2("Time from report to each stage", className="h4"), html.Div(id=TIMINGS)],
                         className="mb-4"),
            html.Section([html.H2("By division and partnership", className="h4"), html.Div(id=BY_UNIT)],
                         className="mb-4"),
            html.Section(
                [html.H2("Cases for dip-sampling", className="h4")]
                # The case list's callbacks run only when their components are on the page: a principal
                # refused every case list the filters can choose sees the refusal instead of a blank.
                + (_case_list_controls() if _case_list_allowed(level, unit_code)
                   else [components.refusal(CASE_LIST_REFUSAL)]),
                className="mb-4",
            ),
        ]
    )


def _case_list_controls() -> list:
    """The case list, its narrowing controls and its download (record-level: ``can_see_case_list``)."""
    # "any" rather than "": dbc.Select shows its hidden placeholder option for an empty value.
    stage_options = [{"label": "Any stage", "value": ANY}] + [
        {"label": f"Lost before: {words}", "value": stage}
        for stage, words in ((st, label("attrition_stage", st)) for st in attrition.STAGES) if stage != "recorded"
    ]
    outcome_options = [{"label": "Any outcome", "value": ANY}] + [
        {"label": "0 — awaiting outcome" if code == "0" else f"Outcome {code}", "value": code}
        for code in OUTCOME_CHOICES
    ]
    return [
        html.P("Pseudonymised references only. Narrow the list by where cases were lost or by outcome.",
               className="small"),
        dbc.Row(
            [
                dbc.Col([dbc.Label("Stage lost", html_for=STAGE_LOST, className="fw-semibold"),
                         dbc.Select(id=STAGE_LOST, options=stage_options, value=ANY)], xs=12, sm=6, lg=4),
                dbc.Col([dbc.Label("Outcome type", html_for=OUTCOME_TYPE, className="fw-semibold"),
                         dbc.Select(id=OUTCOME_TYPE, options=outcome_options, value=ANY)], xs=12, sm=6, lg=4),
                dbc.Col(dbc.Button("Download the case list (CSV)", id=CASE_CSV_BUTTON, color="primary",
                                   className="mt-4"), xs=12, lg=4),
            ],
            className="g-3 mb-3",
        ),
        dcc.Download(id=CASE_CSV),
        html.Div(id=CASE_LIST),
    ]


def _funnel_section(funnel: pd.DataFrame, words: str) -> object:
    funnel = funnel.assign(label=[label("attrition_stage", s) for s in funnel["stage"]])
    table = funnel.assign(share_of_recorded=(funnel["share_of_recorded"] * 100).round(1))[
        ["label", "crimes", "share_of_recorded"]].rename(
        columns={"label": "Stage", "crimes": "Crimes", "share_of_recorded": "% of recorded"})
    figure = figures.bar_chart(funnel, category="label", value="crimes", percent=False,
                               title="Crimes reaching each stage")
    recorded = int(funnel["crimes"].iloc[0])
    convicted = int(funnel["crimes"].iloc[-1])
    summary = (f"Of {recorded:,} {words}, " + ", ".join(
        f"{row.crimes:,} reached {row.label.lower()}" for row in funnel.iloc[1:].itertuples())
        + f". {convicted:,} ended in a conviction.")
    return components.chart_and_table(ids.page_id(PAGE, "funnel-table"), figure, summary, table,
                                      "Crimes reaching each stage", "attrition-funnel")


def _outcome_section(outcomes: pd.DataFrame) -> object:
    outcomes = outcomes.assign(category=[f"{t}: {label}" for t, label in zip(outcomes["outcome_type"], outcomes["label"])])
    figure = figures.bar_chart(outcomes, category="category", value="crimes", percent=False,
                               title="Crimes by outcome type (15 and 16 highlighted)")
    # Outcomes 15 and 16 (evidential difficulties) stand out by colour and by the bar's pattern.
    called_out = outcomes["called_out"].iloc[::-1].tolist()
    figure.update_traces(marker={
        "color": [figures.PALETTE["vermillion"] if c else figures.PALETTE["blue"] for c in called_out],
        "pattern": {"shape": ["/" if c else "" for c in called_out]},
    })
    share = dict(zip(outcomes["outcome_type"], outcomes["share"]))
    counts = dict(zip(outcomes["outcome_type"], outcomes["crimes"]))
    callouts = [
        html.Li([html.Strong(f"Outcome {code}: "), f"{counts.get(code, 0):,} crimes "
                 f"({figures.format_number(share.get(code, 0.0), percent=True)} of the cohort) — {text}"])
        for code, text in (("15", "suspect identified, victim supports action, evidential difficulties"),
                           ("16", "victim does not support further action"))
    ]
    table = outcomes.assign(share=(outcomes["share"] * 100).round(1))[
        ["outcome_type", "label", "crimes", "share", "called_out"]].rename(
        columns={"outcome_type": "Outcome type", "label": "Outcome", "crimes": "Crimes", "share": "% of cohort",
                 "called_out": "Called out (15/16)"})
    summary = "Crimes in the cohort by Home Office outcome type; " + "; ".join(
        f"{row.outcome_type} {row.label}: {row.crimes:,}" for row in outcomes.itertuples()) + "."
    return html.Div([
        html.Ul(callouts, className="list-unstyled border-start border-4 ps-3 mb-3 callout-15-16",
                id=ids.page_id(PAGE, "callouts")),
        components.chart_and_table(ids.page_id(PAGE, "outcome-table"), figure, summary, table,
                                   "Crimes by outcome type", "attrition-outcomes"),
    ])


def _timings_section(timings: pd.DataFrame) -> object:
    timings = timings.assign(label=[label("attrition_stage", s) for s in timings["stage"]])
    shown = timings.assign(median_days=timings["median_days"].round(1))
    figure = figures.bar_chart(shown.fillna({"median_days": 0}), category="label", value="median_days",
                               percent=False, title="Median days from report to each stage")
    table = shown[["label", "crimes", "median_days"]].rename(
        columns={"label": "Stage", "crimes": "Crimes reaching it", "median_days": "Median days from report"})
    summary = "Median days from report: " + "; ".join(
        f"{row.label}: {figures.format_number(row.median_days, percent=False)} (of {row.crimes:,} crimes)"
        for row in shown.itertuples()) + "."
    return components.chart_and_table(ids.page_id(PAGE, "timing-table"), figure, summary, table,
                                      "Median days from report to each stage", "attrition-timings")


def _by_unit_table(frame: pd.DataFrame, name: str, caption: str) -> object:
    shown = frame.assign(charge_share=(frame["charge_share"] * 100).round(1),
                         conviction_share=(frame["conviction_share"] * 100).round(1))
    shown = shown.rename(columns={"unit_code": "Code", "unit_name": "Name", "recorded": "Recorded",
                                  "suspect_identified": "Suspect identified", "arrest": "Arrest",
                                  "cps_referral": "File sent to the CPS", "cps_charged": "CPS decided to charge",
                                  "charge": "Charged or summonsed",
                                  "conviction": "Conviction", "charge_share": "% charged",
                                  "conviction_share": "% convicted"})
    return components.data_table(ids.page_id(PAGE, name), shown, caption, f"attrition-{name}")


@callback(
    Output(SUMMARY, "children"), Output(FUNNEL, "children"), Output(OUTCOMES, "children"),
    Output(TIMINGS, "children"), Output(BY_UNIT, "children"),
    *components.filter_inputs(PAGE, FIELDS),
)
def update_aggregates(from_month, to_month, division, csp):
    principal = current_principal()
    state = components.FilterState.from_values(from_month, to_month, division, csp)
    level, unit_code = _unit(state.division, state.csp)
    if must_suppress(principal) or not can_see_aggregates(principal, level, unit_code):
        return components.refusal(UNSUPPRESSED_REFUSAL), None, None, None, None
    result = _aggregates(level, unit_code, state.period_from, state.period_to)
    words = _cohort_words(state, level, unit_code)
    recorded = int(result["funnel"]["crimes"].iloc[0])
    summary = html.P([html.Strong(f"{recorded:,}"), f" {words}."], className="fs-5")
    by_unit = html.Div([
        html.H3("Divisions", className="h5"),
        _by_unit_table(result["by_division"], "by-division", f"Funnel by division, {state.describe_period()}"),
        html.H3("Community safety partnerships", className="h5"),
        _by_unit_table(result["by_csp"], "by-csp", f"Funnel by partnership, {state.describe_period()}"),
    ])
    return (summary, _funnel_section(result["funnel"], words), _outcome_section(result["outcomes"]),
            _timings_section(result["timings"]), by_unit)


def _case_list_allowed(level: str, unit_code: str | None) -> bool:
    # The CSP's division from the cached reference frame, as the server guard finds it (and no query left
    # half-read on the thread's cursor when the layout asks).
    division = {"force": None, "division": unit_code, "csp": _division_of_csp(unit_code)}[level]
    return can_see_case_list(current_principal(), division)


@data.cached
def _case_list(state: components.FilterState, stage_lost: str | None, outcome_type: str | None) -> pd.DataFrame:
    level, unit_code = _unit(state.division, state.csp)
    return attrition.case_list(data.connection(), level, unit_code, state.period_from, state.period_to,
                               stage_lost=None if stage_lost in (None, "", ANY) else stage_lost,
                               outcome_type=None if outcome_type in (None, "", ANY) else outcome_type)


@callback(
    Output(CASE_LIST, "children"),
    *components.filter_inputs(PAGE, FIELDS),
    Input(STAGE_LOST, "value"), Input(OUTCOME_TYPE, "value"),
)
def update_case_list(from_month, to_month, division, csp, stage_lost, outcome_type):
    state = components.FilterState.from_values(from_month, to_month, division, csp)
    level, unit_code = _unit(state.division, state.csp)
    if not _case_list_allowed(level, unit_code):
        return components.refusal("Case lists are for chief officers and coordinators, and for a division lead "
                                  "within their own division: choose your division.")
    cases = _case_list(state, stage_lost, outcome_type)
    if cases.empty:
        return components.notice("No crimes in the cohort match these choices.")
    caption = f"{len(cases):,} crimes, {state.describe_period()}"
    if len(cases) > ROWS_SHOWN:
        caption += (f" (the first {ROWS_SHOWN:,} by date recorded are shown here; "
                    "“Download the case list” gives them all)")
    return components.data_table(ids.page_id(PAGE, "cases"), cases[CASE_COLUMNS_SHOWN].head(ROWS_SHOWN), caption,
                                 "attrition-case-list", page_size=25)


@callback(
    Output(CASE_CSV, "data"),
    Input(CASE_CSV_BUTTON, "n_clicks"),
    *[State(ids.filter_id(PAGE, name), "value") for name in FIELDS],
    State(STAGE_LOST, "value"), State(OUTCOME_TYPE, "value"),
    prevent_initial_call=True,
)
def download_case_list(n_clicks, from_month, to_month, division, csp, stage_lost, outcome_type):
    state = components.FilterState.from_values(from_month, to_month, division, csp)
    level, unit_code = _unit(state.division, state.csp)
    if not n_clicks or not _case_list_allowed(level, unit_code):
        return dash.no_update
    cases = _case_list(state, stage_lost, outcome_type)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return dcc.send_data_frame(cases.to_csv, f"attrition-case-list-{stamp}.csv", index=False)
