"""/attrition — the case-linked funnel from crime to conviction, for domestic abuse coordinators: how many
of the crimes recorded in a period reached each stage, each stage's share of the one before and of the
crimes recorded, where the rest went, how long each stage took (median and 90th percentile), by division
and partnership, and a case list in plain words for dip-sampling.

Thin: the questions are ``metrics.attrition``'s; the unit every callback queries is ``current_scope()``'s
(never its own division or partnership arguments). Aggregates are unsuppressed, so not for partnership
users; the case list and its download are record-level (``Scope.may_see_records``). The server guard's 403
is not shown by Dash, so no choice on the page leads to one: a division lead's division filter offers only
their divisions and opens on one, the partnership list follows the division chosen (a partnership of
another division is never left chosen), and what a principal may not see at all is refused in words.
"""
from __future__ import annotations

from datetime import datetime

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from app import components, data, figures, ids, views
from app.auth.context import current_principal
from app.auth.guard import control, record_level
from app.auth.policy import must_suppress
from app.auth.scope import current_scope
from metrics import attrition
from metrics.formatting import format_count, format_date, format_duration, format_number, format_period
from reference.vocabulary import AWAITING_OUTCOME, heading, label, outcome_types

PAGE = "attrition"
FIELDS = ("from", "to", "division", "csp")

dash.register_page(__name__, path="/attrition", name="Attrition", order=5,
                   title="Attrition from crime to conviction")

SUMMARY = ids.page_id(PAGE, "summary")
FUNNEL = ids.page_id(PAGE, "funnel")
OUTCOMES = ids.page_id(PAGE, "outcomes")
TIMINGS = ids.page_id(PAGE, "timings")
BY_UNIT = ids.page_id(PAGE, "by-unit")
STAGE_LOST = control(ids.page_id(PAGE, "stage-lost"), r"[a-z_]{1,32}", "a stage")
OUTCOME_TYPE = control(ids.page_id(PAGE, "outcome-type"), r"[A-Za-z0-9_]{1,32}", "an outcome type")
PARTNERSHIPS = ids.page_id(PAGE, "partnerships")
CASE_LIST = record_level(ids.page_id(PAGE, "case-list"), view="attrition case list")
CASE_CSV_BUTTON = ids.page_id(PAGE, "case-list-csv")
CASE_CSV = record_level(ids.download_id(PAGE, "case-list-csv"), view="attrition case list", export=True)
DIVISION_CONTROL = ids.filter_id(PAGE, "division")
CSP_CONTROL = ids.filter_id(PAGE, "csp")

OUTCOME_CHOICES = [AWAITING_OUTCOME] + [outcome.code for outcome in outcome_types()]
ANY = "any"
# A force-wide year is tens of thousands of crimes: the page shows enough to dip-sample, the download all.
ROWS_SHOWN = 500

UNSUPPRESSED_REFUSAL = ("The attrition view shows unsuppressed counts; partnership figures, with small numbers "
                        "suppressed, are on the partnership page.")
CASE_LIST_REFUSAL = ("Case lists are for chief officers and coordinators, and for a division lead within their "
                     "own division.")
CPS_STAGE_WORDS = ("A file counts as sent to the CPS when a CPS decision is recorded for the crime (to charge, "
                   "to take no further action, an out-of-court disposal, or still awaited). The police charge "
                   "some offences themselves, without the CPS, so a charge does not always follow a file to the "
                   "CPS and this stage is not a copy of the charge stage.")
STAGES_WORDS = ("Each stage counts every crime that reached it, on its own (a summons without an arrest still "
                "counts as a charge), so one stage less the next is not the number lost between them. "
                "“Went no further” counts each crime once, at the furthest stage it reached; these add up to "
                "the crimes recorded, and the case list's “Stage lost” choices list exactly these crimes (lost "
                "before the stage after).")


def _unit(state: components.FilterState) -> tuple[str, str | None]:
    if state.csp:
        return "csp", state.csp
    if state.division:
        return "division", state.division
    return "force", None


def _csp_row(csp_code: str | None) -> pd.Series | None:
    frame = data.csps()
    match = frame[frame["csp_code"] == csp_code]
    return match.iloc[0] if len(match) else None


def _unit_name(level: str, unit_code: str | None) -> str:
    if level == "division":
        return components.division_name(unit_code)
    if level == "csp":
        row = _csp_row(unit_code)
        return str(row["csp_name"]) if row is not None else str(unit_code)
    return "the force"


def _consistent(state: components.FilterState) -> components.FilterState:
    """The division a chosen partnership is in, so the controls show what the content is for, when only the
    partnership was given (``FilterState.from_values`` already moves a partnership of another division than
    the one asked for to its own, and says so)."""
    row = _csp_row(state.csp) if state.csp else None
    return state.with_(division=str(row["division_code"])) if row is not None else state


def _within_own_divisions(state: components.FilterState, own: list[str] | None) -> components.FilterState:
    """A division lead's filters kept inside their divisions (``own``), so the case list below is never
    refused: a division of theirs (the partnership's, when it is in one, else their first) and only a
    partnership inside it."""
    if not own:
        return state
    if state.division not in own:
        state = state.with_(division=own[0], csp=None)
    return state


def layout(**query) -> html.Div:
    if not data.database_ready():
        return html.Div([components.page_heading("Attrition: from crime to conviction"), components.no_database()])
    principal = current_principal()
    if must_suppress(principal):  # nothing on this page is for them: say so rather than show blanks
        return html.Div([components.page_heading("Attrition: from crime to conviction"),
                         components.refusal(UNSUPPRESSED_REFUSAL)])
    own = components.own_divisions(principal)
    state = _within_own_divisions(_consistent(components.FilterState.from_query(query)), own)
    level, unit_code = _unit(state)
    # The page's own default unit is checked as any request's is.
    scope = current_scope().at(level, unit_code)
    csps = data.csps()
    return html.Div(
        [
            components.page_heading(
                "Attrition: from crime to conviction",
                "Of the crimes recorded in the period, how many reached each stage, what share of the stage "
                "before each kept, where the rest went, and how long each stage took. Choose a division, then "
                "one of its partnerships, to narrow the cohort.",
            ),
            components.filter_bar(PAGE, state, FIELDS, all_divisions=not own, division_codes=own or None),
            dcc.Store(id=PARTNERSHIPS, data=csps[["csp_code", "csp_name", "division_code"]].to_dict("records")),
            html.Div(id=SUMMARY, role="status"),
            html.Section([html.H2("From crime to conviction, stage by stage", className="h4"), html.Div(id=FUNNEL)],
                         className="mb-4"),
            html.Section([html.H2("Where the cases went: outcomes", className="h4"), html.Div(id=OUTCOMES)],
                         className="mb-4"),
            html.Section([html.H2("How long each stage took", className="h4"), html.Div(id=TIMINGS)],
                         className="mb-4"),
            html.Section([html.H2("By division and partnership", className="h4"), html.Div(id=BY_UNIT)],
                         className="mb-4"),
            html.Section(
                [html.H2("Cases for dip-sampling", className="h4")]
                # The case list's callbacks run only when their components are on the page: a principal
                # refused every case list the filters can choose sees the refusal instead of a blank.
                + (_case_list_controls() if scope.may_see_records else [components.refusal(CASE_LIST_REFUSAL)]),
                className="mb-4",
            ),
        ],
        className="operational-page",
    )


def _case_list_controls() -> list:
    """The case list, its narrowing controls and its download (record-level)."""
    # "any" rather than "": dbc.Select shows its hidden placeholder option for an empty value.
    stage_options = [{"label": "Any stage", "value": ANY}] + [
        {"label": f"Lost before: {label('attrition_stage', stage)[0].lower()}{label('attrition_stage', stage)[1:]}",
         "value": stage}
        for stage in attrition.STAGES if stage != "recorded"
    ]
    outcome_options = [{"label": "Any outcome", "value": ANY}] + [
        {"label": _outcome_words(code), "value": code} for code in OUTCOME_CHOICES
    ]
    return [
        html.P("People appear only as pseudonymised references. Narrow the list by where cases were lost or by "
               "outcome.", className="small"),
        dbc.Row(
            [
                dbc.Col([dbc.Label("Stage lost", html_for=STAGE_LOST, className="fw-semibold"),
                         dbc.Select(id=STAGE_LOST, options=stage_options, value=ANY)], xs=12, sm=6, lg=4),
                dbc.Col([dbc.Label("Outcome", html_for=OUTCOME_TYPE, className="fw-semibold"),
                         dbc.Select(id=OUTCOME_TYPE, options=outcome_options, value=ANY)], xs=12, sm=6, lg=4),
                dbc.Col(dbc.Button("Download the case list (CSV)", id=CASE_CSV_BUTTON, color="primary",
                                   className="mt-4"), xs=12, lg=4),
            ],
            className="g-3 mb-3",
        ),
        dcc.Download(id=CASE_CSV),
        html.Div(id=CASE_LIST),
    ]


def _outcome_words(code: str) -> str:
    """An outcome as coordinators know it: its Home Office number and its name."""
    if code == AWAITING_OUTCOME:
        return label("outcome_type", code)
    return f"{label('outcome_type', code)} (outcome {code})"


# --- questions ---------------------------------------------------------------------------------------


@data.cached
def _aggregates(level: str, unit_code: str | None, period_from, period_to,
                forces: tuple[str, ...] | None) -> dict[str, pd.DataFrame]:
    con = data.connection()
    return {
        "funnel": attrition.attrition_funnel(con, level, unit_code, period_from, period_to, forces),
        "outcomes": attrition.outcome_mix(con, level, unit_code, period_from, period_to, forces),
        "timings": attrition.stage_timings(con, level, unit_code, period_from, period_to, forces),
    }


@data.cached
def _by_unit(level: str, period_from, period_to, forces: tuple[str, ...] | None,
             division_code: str | None) -> pd.DataFrame:
    return attrition.attrition_by_unit(data.connection(), level, period_from, period_to, forces,
                                       division_code=division_code)


@data.cached
def _case_list(level: str, unit_code: str | None, period_from, period_to, stage_lost: str | None,
               outcome_type: str | None, forces: tuple[str, ...] | None) -> pd.DataFrame:
    return attrition.case_list(data.connection(), level, unit_code, period_from, period_to,
                               stage_lost=None if stage_lost in (None, "", ANY) else stage_lost,
                               outcome_type=None if outcome_type in (None, "", ANY) else outcome_type,
                               forces=forces)


# --- funnel ------------------------------------------------------------------------------------------


def _share(value) -> str:
    return format_number(value, percent=True)


def funnel_table(funnel: pd.DataFrame) -> pd.DataFrame:
    """The funnel as its table shows it: each stage, its crimes, its share of the stage before and of the
    crimes recorded (the stages' words from the vocabulary, the numbers from metrics.formatting)."""
    return pd.DataFrame({
        "Stage": [label("attrition_stage", stage) for stage in funnel["stage"]],
        "Crimes": funnel["crimes"].map(format_count),
        "Share of the stage before": ["" if stage == "recorded" else _share(value)
                                      for stage, value in zip(funnel["stage"], funnel["share_of_previous"])],
        "Share of crimes recorded": funnel["share_of_recorded"].map(_share),
        "Went no further": funnel["went_no_further"].map(format_count),
    })


def _funnel_section(funnel: pd.DataFrame, where: str) -> html.Div:
    stages = funnel.set_index("stage")
    words = [label("attrition_stage", stage) for stage in funnel["stage"]]
    figure = figures.bar_chart(funnel.assign(label=words), category="label", value="crimes", percent=False,
                               title="Crimes reaching each stage")
    figure.update_traces(text=[f"{format_count(c)} ({_share(s)})" for c, s in
                               zip(funnel["crimes"].iloc[::-1], funnel["share_of_recorded"].iloc[::-1])],
                         textposition="auto", hovertemplate="%{y}: %{text}<extra></extra>")
    recorded, cps, charged = (int(stages.loc[s, "crimes"]) for s in ("recorded", "cps_referral", "charge"))
    cps_charged = int(funnel["cps_charged"].iloc[0])
    summary = (f"Of {format_count(recorded)} crimes recorded in {where}: "
               + "; ".join(f"{w[0].lower() + w[1:]} {format_count(row.crimes)} ({_share(row.share_of_previous)} of the stage "
                           f"before, {_share(row.share_of_recorded)} of those recorded)"
                           for w, row in zip(words[1:], funnel.iloc[1:].itertuples())) + ".")
    table = funnel_table(funnel)
    cps_words = (f"The CPS decided to charge {format_count(cps_charged)} of the {format_count(cps)} files sent to it"
                 + (f" ({_share(cps_charged / cps)})" if cps else "") + "; "
                 + f"{format_count(charged)} crimes were charged or summonsed in all, by the police or the CPS.")
    return html.Div([
        dbc.Table.from_dataframe(table, striped=False, bordered=False, hover=False, size="sm",
                                 className="funnel-table mb-2", id=ids.page_id(PAGE, "conversions")),
        html.P([html.Strong("Reading the stages. "), STAGES_WORDS], className="small",
               id=ids.page_id(PAGE, "stages-words")),
        html.P([html.Strong("The CPS stage. "), CPS_STAGE_WORDS, " ", cps_words], className="small",
               id=ids.page_id(PAGE, "cps-stage")),
        components.chart(figure, summary, "attrition-funnel"),
    ])


def _outcome_section(outcomes: pd.DataFrame) -> html.Div:
    outcomes = outcomes.assign(category=[_outcome_words(code) for code in outcomes["outcome_type"]])
    figure = figures.bar_chart(outcomes, category="category", value="crimes", percent=False,
                               title="Crimes by outcome (15 and 16 highlighted)")
    # Outcomes 15 and 16 (evidential difficulties) stand out by colour and by the bar's pattern.
    called_out = outcomes["called_out"].iloc[::-1].tolist()
    figure.update_traces(marker={
        "color": [figures.PALETTE["vermillion"] if c else figures.PALETTE["blue"] for c in called_out],
        "pattern": {"shape": ["/" if c else "" for c in called_out]},
    }, hovertemplate="%{y}: %{x:,}<extra></extra>")
    share = dict(zip(outcomes["outcome_type"], outcomes["share"]))
    counts = dict(zip(outcomes["outcome_type"], outcomes["crimes"]))
    callouts = [
        html.Li([html.Strong(f"Outcome {code}: "), f"{format_count(counts.get(code, 0))} crimes "
                 f"({_share(share.get(code, 0.0))} of the crimes recorded) — {label('outcome_type', code).lower()}"])
        for code in ("15", "16")
    ]
    # The overview's outcome measures are shares of the outcomes assigned; these are of every crime
    # recorded, those still awaiting an outcome included, so they are smaller: say which base is which.
    callouts.append(html.Li("These are shares of every crime recorded, those still awaiting an outcome "
                            "included; the force overview's outcome measures are shares of the outcomes "
                            "assigned, so they are higher.", className="small text-body-secondary"))
    table = pd.DataFrame({
        "Outcome": outcomes["category"],
        "Crimes": outcomes["crimes"].map(format_count),
        "Share of crimes recorded": outcomes["share"].map(_share),
    })
    summary = "Crimes in the cohort by outcome: " + "; ".join(
        f"{row.category} {format_count(row.crimes)}" for row in outcomes.itertuples()) + "."
    return html.Div([
        html.Ul(callouts, className="list-unstyled border-start border-4 ps-3 mb-3 callout-15-16",
                id=ids.page_id(PAGE, "callouts")),
        components.chart_and_table(ids.page_id(PAGE, "outcome-table"), figure, summary, table,
                                   "Crimes by outcome", "attrition-outcomes"),
    ])


def timings_table(timings: pd.DataFrame) -> pd.DataFrame:
    """Time from the report to each stage as its table shows it: how many got there, the median and the
    time within which nine in ten did."""
    return pd.DataFrame({
        "Stage": [label("attrition_stage", stage) for stage in timings["stage"]],
        "Crimes reaching it": timings["crimes"].map(format_count),
        "Median time from the report": [format_duration(d * 24) for d in timings["median_days"]],
        "Nine in ten within": [format_duration(d * 24) for d in timings["p90_days"]],
    })


def _timings_section(timings: pd.DataFrame) -> html.Div:
    words = [label("attrition_stage", stage) for stage in timings["stage"]]
    ordered = timings.assign(label=words).iloc[::-1]
    figure = go.Figure([
        go.Bar(name="Median", y=ordered["label"], x=ordered["median_days"], orientation="h",
               marker={"color": figures.PALETTE["blue"]},
               text=[format_duration(d * 24) for d in ordered["median_days"]], textposition="outside", cliponaxis=False,
               hovertemplate="%{y}, median: %{text}<extra></extra>"),
        go.Bar(name="Nine in ten within", y=ordered["label"], x=ordered["p90_days"], orientation="h",
               marker={"color": figures.PALETTE["orange"], "pattern": {"shape": "."}},
               text=[format_duration(d * 24) for d in ordered["p90_days"]], textposition="outside", cliponaxis=False,
               hovertemplate="%{y}, nine in ten within: %{text}<extra></extra>"),
    ])
    figure.update_layout(barmode="group", height=360,
                         title={"text": "Days from the report to each stage", "x": 0, "font": {"size": 15}},
                         xaxis={"title": "Days from the report", "tickformat": ",d"}, yaxis={"automargin": True})
    summary = "Time from the report: " + "; ".join(
        f"{w}: median {format_duration(row.median_days * 24)}, nine in ten within "
        f"{format_duration(row.p90_days * 24)} (of {format_count(row.crimes)} crimes)"
        for w, row in zip(words, timings.itertuples())) + "."
    return html.Div([
        dbc.Table.from_dataframe(timings_table(timings), striped=False, bordered=False, hover=False, size="sm",
                                 className="mb-2", id=ids.page_id(PAGE, "timing-distribution")),
        components.chart(figure, summary, "attrition-timings"),
    ])


def by_unit_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The funnel per division or partnership as its table shows it."""
    table = pd.DataFrame({"Name": frame["unit_name"]})
    for stage in attrition.STAGES:
        table[label("attrition_stage", stage)] = frame[stage].map(format_count)
        if stage == "cps_referral":
            table["The CPS decided to charge"] = frame["cps_charged"].map(format_count)
    table["Share charged"] = frame["charge_share"].map(_share)
    table["Share convicted"] = frame["conviction_share"].map(_share)
    return table


def _by_unit_section(period_from, period_to, division_code: str | None, forces) -> html.Div:
    period = format_period(period_from, period_to)
    divisions = _by_unit("division", period_from, period_to, forces, None)
    partnerships = _by_unit("csp", period_from, period_to, forces, division_code)
    where = f"in {components.division_name(division_code)}" if division_code else "in the force"
    return html.Div([
        html.H3("Divisions", className="h5"),
        components.data_table(ids.page_id(PAGE, "by-division"), by_unit_table(divisions),
                              f"The funnel by division, {period}", "attrition-by-division"),
        html.H3(f"Partnerships {where}", className="h5"),
        components.data_table(ids.page_id(PAGE, "by-csp"), by_unit_table(partnerships),
                              f"The funnel by partnership {where}, {period}", "attrition-by-partnership"),
    ])


def _partial_words(cover: views.Coverage) -> str:
    """What a period only partly covered by the data means for its funnel."""
    words = []
    if cover.period_from < cover.first_day:
        words.append(f"the records start on {format_date(cover.first_day)}, so the period's first days have none")
    if cover.period_to > cover.last_day:
        words.append(f"the records end on {format_date(cover.last_day)}, so its last days have none")
    return "Only part of this period has data: " + "; ".join(words) + "."


def _empty(message: str) -> tuple:
    return (components.notice(message), None, None, None, None)


@callback(
    Output(SUMMARY, "children"), Output(FUNNEL, "children"), Output(OUTCOMES, "children"),
    Output(TIMINGS, "children"), Output(BY_UNIT, "children"),
    *components.filter_inputs(PAGE, FIELDS),
)
def update_aggregates(from_month, to_month, _division, _csp):
    if must_suppress(current_principal()):
        return components.refusal(UNSUPPRESSED_REFUSAL), None, None, None, None
    problem = components.period_order_problem(from_month, to_month)
    if problem:
        return _empty(problem)
    scope = current_scope()
    state = components.FilterState.from_values(from_month, to_month)
    period = format_period(state.period_from, state.period_to)
    where = _unit_name(scope.level, scope.unit_code)
    cover = views.coverage(state.period_from, state.period_to)
    if cover.empty:  # no figures at all, not a funnel of zeros
        return _empty(f"No records cover {period}: {cover.span()}." if cover.first_day else cover.notice())
    result = _aggregates(scope.level, scope.unit_code, state.period_from, state.period_to, views.forces_of(scope))
    recorded = int(result["funnel"]["crimes"].iloc[0])
    if recorded == 0:
        return _empty(f"No crimes were recorded in {where} in {period}.")
    summary = [html.P([html.Strong(format_count(recorded)), f" crimes recorded in {where}, {period}."],
                      className="fs-5 mb-2")]
    if cover.period == "part":
        summary.append(components.notice(_partial_words(cover)))
    return (html.Div(summary), *_sections(scope.level, scope.unit_code, scope.division_code, state.period_from,
                                          state.period_to, views.forces_of(scope)))


@data.cached
def _sections(level: str, unit_code: str | None, division_code: str | None, period_from, period_to,
              forces: tuple[str, ...] | None) -> tuple:
    """The funnel, outcomes, timings and by-unit sections of a question, built once: drawing them took more
    than reading the figures, and every user who asks the same question gets the same sections (read-only:
    a response only serialises them)."""
    result = _aggregates(level, unit_code, period_from, period_to, forces)
    where = _unit_name(level, unit_code)
    return (_funnel_section(result["funnel"], where), _outcome_section(result["outcomes"]),
            _timings_section(result["timings"]), _by_unit_section(period_from, period_to, division_code, forces))


# --- case list ---------------------------------------------------------------------------------------


# The grid keeps to what a dip-sample starts from; the download carries the division and the time to each
# stage as well.
CASE_COLUMNS_SHOWN = [heading(c) for c in ("incident_id", "crime_ref", "crime_recorded_at", "offence_group", "csp_name",
                                           "stage_reached", "stage_lost", "outcome_type", "victim_ref", "suspect_ref")]
CASE_ROWS_PER_PAGE = 10


def case_list_table(cases: pd.DataFrame, *, for_download: bool = False) -> pd.DataFrame:
    """The case list as a person reads it (and downloads it): headings, words and dates, no codes. On
    screen a stage's time reads as words ("5 hours", "31 days"); in the download it is a number of days
    (one decimal), so that a spreadsheet can sort and average it."""
    names = components.with_unit_names(cases)
    table = pd.DataFrame({
        heading("incident_id"): cases["incident_id"],
        heading("crime_ref"): cases["crime_ref"],
        heading("crime_recorded_at"): cases["crime_recorded_at"].map(format_date),
        heading("offence_group"): cases["offence_group"].map(lambda g: label("offence_group_band", g)),
        heading("division_name"): names["division_name"],
        heading("csp_name"): names["csp_name"],
        heading("stage_reached"): cases["stage_reached"].map(lambda s: label("attrition_stage", s)),
        heading("stage_lost"): cases["stage_lost"].map(lambda s: "Not lost: convicted" if pd.isna(s)
                                                       else label("attrition_stage", s)),
        heading("outcome_type"): cases["outcome_type"].map(_outcome_words),
    })
    for stage in attrition.TIMED_STAGES:
        days = cases[f"days_to_{stage}"]
        table[heading(f"days_to_{stage}")] = (days.astype(float).round(1) if for_download
                                              else days.map(lambda d: "" if pd.isna(d) else format_duration(d * 24)))
    table[heading("victim_ref")] = cases["victim_ref"].fillna("")
    table[heading("suspect_ref")] = cases["suspect_ref"].fillna("No suspect identified")
    return table


@callback(
    Output(CASE_LIST, "children"),
    *components.filter_inputs(PAGE, FIELDS),
    Input(STAGE_LOST, "value"), Input(OUTCOME_TYPE, "value"),
)
def update_case_list(from_month, to_month, _division, _csp, stage_lost, outcome_type):
    scope = current_scope()
    if not scope.may_see_records:
        return components.refusal(CASE_LIST_REFUSAL + " Choose your division.")
    problem = components.period_order_problem(from_month, to_month)
    if problem:
        return components.notice(problem)
    state = components.FilterState.from_values(from_month, to_month)
    return _case_grid(scope.level, scope.unit_code, state.period_from, state.period_to, stage_lost, outcome_type,
                      views.forces_of(scope))


@data.cached
def _case_grid(level: str, unit_code: str | None, period_from, period_to, stage_lost: str | None,
               outcome_type: str | None, forces: tuple[str, ...] | None):
    """The case list's grid for a question, built once (as ``_sections``)."""
    cases = _case_list(level, unit_code, period_from, period_to, stage_lost, outcome_type, forces)
    if cases.empty:
        return components.notice("No crimes in the cohort match these choices.")
    caption = f"{format_count(len(cases))} crimes, {format_period(period_from, period_to)}"
    if len(cases) > ROWS_SHOWN:
        caption += (f" (the first {format_count(ROWS_SHOWN)} by date recorded are shown here; "
                    "“Download the case list” gives them all)")
    shown = case_list_table(cases.head(ROWS_SHOWN))[CASE_COLUMNS_SHOWN]
    return components.data_table(ids.page_id(PAGE, "cases"), shown, caption, "attrition-case-list",
                                 page_size=CASE_ROWS_PER_PAGE)


@callback(
    Output(CASE_CSV, "data"),
    Input(CASE_CSV_BUTTON, "n_clicks"),
    *[State(ids.filter_id(PAGE, name), "value") for name in FIELDS],
    State(STAGE_LOST, "value"), State(OUTCOME_TYPE, "value"),
    prevent_initial_call=True,
)
def download_case_list(n_clicks, from_month, to_month, _division, _csp, stage_lost, outcome_type):
    scope = current_scope()
    if not n_clicks or not scope.may_see_records or components.period_order_problem(from_month, to_month):
        raise PreventUpdate  # answered 204: nothing is sent, so the audit log records no export
    state = components.FilterState.from_values(from_month, to_month)
    cases = _case_list(scope.level, scope.unit_code, state.period_from, state.period_to, stage_lost, outcome_type,
                       views.forces_of(scope))
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return dcc.send_data_frame(case_list_table(cases, for_download=True).to_csv, f"attrition-case-list-{stamp}.csv",
                               index=False)


# The partnership control follows the division: only the division's partnerships are offered, and one of
# another division is never left chosen (the server would refuse a partnership outside the division).
clientside_callback(
    """
    function (division, csp, options, partnerships) {
        const first = (options || []).filter(o => !o.value);
        const offered = (partnerships || []).filter(p => !division || p.division_code === division);
        const kept = offered.some(p => p.csp_code === csp) ? csp : "";
        return [first.concat(offered.map(p => ({label: p.csp_name, value: p.csp_code}))), kept];
    }
    """,
    Output(CSP_CONTROL, "options"), Output(CSP_CONTROL, "value"),
    Input(DIVISION_CONTROL, "value"), State(CSP_CONTROL, "value"), State(CSP_CONTROL, "options"),
    State(PARTNERSHIPS, "data"),
    prevent_initial_call=True,
)
