"""Building blocks every page uses, and the one home of the URL <-> filter state rule.

Stable API (the operational pages use it too):

Filters in the URL
- ``FilterState`` (``period_from``, ``period_to``: dates, first and last day of whole months;
  ``division``, ``csp``, ``metric``: codes or None). ``FilterState.from_query(query)`` reads the query
  parameters Dash Pages passes to a page's ``layout(**query)`` (``from=YYYY-MM``, ``to=YYYY-MM``,
  ``division=CODE``, ``csp=CODE``, ``metric=ID``); a missing or malformed period falls back to
  ``metrics.periods.default_period`` (rolling 12 months ending with the last complete month of the data).
  ``FilterState.from_values(from_, to, division, csp, metric)`` does the same from control values, and
  ``state.query_string()`` gives ``?from=...&to=...`` for links. Every value is checked: one that is not
  a month, a division, a partnership or a measure falls back to a default and ``state.notices`` says so
  (``default_division=`` names the fallback of a page that always shows one division). The month
  controls list the data's months and the months asked for (marked "no data" outside the data), so a
  control always shows what the content is for. ``period_order_problem(from_, to)``: a callback's message
  for a period chosen in the controls that ends before it starts (shown instead of figures).
  ``division_name(code)``: a division's name.
- ``filter_bar(page, state, fields=("from", "to", "division", "csp"), all_divisions=True, csp_codes=None,
  division_codes=None)``: labelled native selects with
  ids ``ids.filter_id(page, name)``. The shell copies their values into the URL query string as they
  change (``history.replaceState``), so a link or bookmark reopens the same view; opening a URL builds
  the controls from it, and the page's callbacks read the controls:
  ``filter_inputs(page, fields)`` -> the matching ``Input``s, in the order given.

Content
- ``page_heading(title, lead)``: the page's single h1 and a lead paragraph.
- ``chart(figure, summary, filename)``: a ``dcc.Graph`` in a ``<figure>`` whose caption is the text
  alternative; the modebar stays visible for the PNG download.
- ``data_table(grid_id, frame, caption, filename)``: a dash-ag-grid table with a "Download CSV" button.
- ``chart_and_table(view_id, figure, summary, frame, caption, filename)``: a chart with its table view
  under a "Table view" disclosure (``<details>``; dbc.Tabs 2.0.4 renders tabs with tabindex -1 and
  dangling aria-controls, which fails axe and keyboard users).
- ``refusal(message)``, ``no_database()``, ``notice(message)``: what to show instead of data. A page shows
  a refusal it can foresee in its layout rather than leaving it to the server guard, whose 403 Dash does
  not display; ``own_divisions(principal)`` gives the divisions a division lead's filter may offer.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Input, Output, dcc, html

from app import data, ids
from metrics.formatting import file_name_words
from metrics.periods import add_months, default_period, month_end

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DEFAULT_FIELDS = ("from", "to", "division", "csp")


def _parse_month(text: str | None) -> date | None:
    match = _MONTH.match(text or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        return None
    return date(year, month, 1)


def _month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def reference_today() -> date:
    """The "today" that defaults are computed from: the real date, or the day after the data ends when
    the database is older, so the default period always has data behind it."""
    today = date.today()
    months = data.data_months() if data.database_ready() else None
    if months is not None:
        today = min(today, months.last_day + timedelta(days=1))
    return today


@dataclass(frozen=True)
class FilterState:
    period_from: date
    period_to: date
    division: str | None = None
    csp: str | None = None
    metric: str | None = None
    # What was wrong with the address and what is shown instead, in words, for the page to say.
    notices: tuple[str, ...] = ()

    @classmethod
    def default(cls) -> "FilterState":
        period_from, period_to = default_period(reference_today())
        return cls(period_from, period_to)

    @classmethod
    def from_values(
        cls,
        from_month: str | None,
        to_month: str | None,
        division: str | None = None,
        csp: str | None = None,
        metric: str | None = None,
        *,
        default_division: str | None = None,
    ) -> "FilterState":
        """The filters as given, each checked: a value that is not a month, a division, a partnership or a
        measure of this database falls back to the default, and ``notices`` says so (never silently).
        ``default_division``: the division a page shows when none (or an unknown one) is given, for pages
        that always show one division (else "all divisions")."""
        default = cls.default()
        notices: list[str] = []
        start = _parse_month(from_month)
        if from_month and start is None:
            notices.append(f"“{from_month}” is not a month (use YYYY-MM): showing from "
                           f"{default.period_from:%B %Y} instead.")
        end_first = _parse_month(to_month)
        if to_month and end_first is None:
            notices.append(f"“{to_month}” is not a month (use YYYY-MM): showing to {default.period_to:%B %Y} instead.")
        start = start or default.period_from
        end = month_end(end_first) if end_first else default.period_to
        if start > end:
            notices.append(f"The period started ({start:%B %Y}) after it ended ({end:%B %Y}): showing the "
                           "default period instead.")
            start, end = default.period_from, default.period_to
        division, csp, metric = division or None, csp or None, metric or None
        if division and data.database_ready():
            division, notice = known_division(division, division_name(default_division) if default_division
                                              else "all divisions")
            notices += [notice] if notice else []
        division = division or default_division
        if csp and data.database_ready() and csp not in set(data.csps()["csp_code"]):
            notices.append(f"There is no partnership “{csp}” in this data: choose one from the list.")
            csp = None
        if csp and division and data.database_ready():
            place = data.csps().set_index("csp_code").loc[csp]
            if place["division_code"] != division:
                names = data.divisions().set_index("division_code")["division_name"]
                notices.append(f"{place['csp_name']} is in {names.get(place['division_code'], place['division_code'])}, "
                               f"not {names.get(division, division)}: showing {place['csp_name']}.")
                division = place["division_code"]
        if metric:
            from metrics.registry import METRICS

            if metric not in METRICS:
                notices.append(f"There is no measure “{metric}”: showing every indicator.")
                metric = None
        return cls(start, end, division, csp, metric, tuple(notices))

    @classmethod
    def from_query(cls, query: Mapping[str, Any], *, default_division: str | None = None) -> "FilterState":
        def text(key: str) -> str | None:
            value = query.get(key)
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            return str(value) if value not in (None, "") else None

        return cls.from_values(text("from"), text("to"), text("division"), text("csp"), text("metric"),
                               default_division=default_division)

    def with_notice(self, message: str) -> "FilterState":
        return replace(self, notices=(*self.notices, message))

    def with_(self, **changes: Any) -> "FilterState":
        return replace(self, **changes)

    def query_params(self) -> dict[str, str]:
        params = {"from": _month_key(self.period_from), "to": _month_key(self.period_to)}
        for key in ("division", "csp", "metric"):
            value = getattr(self, key)
            if value:
                params[key] = value
        return params

    def query_string(self) -> str:
        from urllib.parse import urlencode

        return "?" + urlencode(self.query_params())

    @property
    def months(self) -> int:
        return (self.period_to.year - self.period_from.year) * 12 + self.period_to.month - self.period_from.month + 1

    def describe_period(self) -> str:
        return f"{self.period_from:%B %Y} to {self.period_to:%B %Y}"


def dom_id(component_id: str | dict) -> str:
    """The id attribute Dash writes into the page for a component id (pattern-matching ids included),
    for ``<label for=...>``."""
    if isinstance(component_id, str):
        return component_id
    parts = [f"{json.dumps(k)}:{json.dumps(component_id[k])}" for k in sorted(component_id)]
    return "{" + ",".join(parts) + "}"


def division_name(code: str) -> str:
    """A division's name (its code only if the reference table has none)."""
    frame = data.divisions()
    match = frame[frame["division_code"] == code]
    return str(match.iloc[0]["division_name"]) if len(match) else code


def known_division(division: str, instead: str) -> tuple[str | None, str | None]:
    """``division`` when the data hold it, else None with the notice that says what is shown ``instead``."""
    if division in set(data.divisions()["division_code"]):
        return division, None
    return None, f"There is no division “{division}” in this data: showing {instead} instead."


def with_unit_names(frame: pd.DataFrame, division_column: str | None = "division_code",
                    csp_column: str | None = "csp_code") -> pd.DataFrame:
    """``frame`` with ``division_name`` and ``csp_name`` added for its division and partnership codes:
    "Not recorded" where a row has no code or one the reference tables do not know. A column given as
    None is not named (no ``csp_name`` when ``csp_column`` is None)."""
    names: dict[str, pd.Series] = {}
    if division_column:
        divisions = data.divisions()
        lookup = dict(zip(divisions["division_code"], divisions["division_name"]))
        names["division_name"] = frame[division_column].map(lookup).fillna("Not recorded")
    if csp_column:
        csps = data.csps()
        lookup = dict(zip(csps["csp_code"], csps["csp_name"]))
        names["csp_name"] = frame[csp_column].map(lookup).fillna("Not recorded")
    return frame.assign(**names)


def _month_options(state: FilterState) -> list[dict[str, str]]:
    """The months of the data, and the months the address asks for even when the data do not reach them,
    so the controls always show the period the content is for (never a silent substitute)."""
    months = data.data_months() if data.database_ready() else None
    chosen = {state.period_from.replace(day=1), state.period_to.replace(day=1)}
    listed = set(chosen)
    if months is not None:
        cursor = months.first_month
        while cursor <= months.last_month:
            listed.add(cursor)
            cursor = add_months(cursor, 1)
    return [{"label": f"{month:%b %Y}" + ("" if months is None or months.first_month <= month <= months.last_month
                                          else " (no data)"), "value": _month_key(month)}
            for month in sorted(listed)]


def _select(page: str, name: str, label: str, options: list[dict], value: str | None) -> dbc.Col:
    control_id = ids.filter_id(page, name)
    return dbc.Col(
        [
            dbc.Label(label, html_for=dom_id(control_id), className="fw-semibold"),
            # dbc.Select draws a hidden placeholder option for an empty value: it must read as the empty
            # choice does ("All divisions"), not as a blank box.
            dbc.Select(id=control_id, options=options, value=value or "",
                       placeholder=next((o["label"] for o in options if o["value"] == ""), None)),
        ],
        xs=12,
        sm=6,
        lg=3,
        className="mb-2",
    )


def own_divisions(principal: Any) -> list[str] | None:
    """The divisions a division lead's division filter offers, so that what they choose is never refused:
    their own, in the reference table's order. None for every other role (any division, or none)."""
    if principal.role != "division_lead":
        return None
    return [code for code in data.divisions()["division_code"] if code in principal.units]


def filter_bar(page: str, state: FilterState, fields: Sequence[str] = DEFAULT_FIELDS, *,
               all_divisions: bool = True, csp_codes: Iterable[str] | None = None,
               division_codes: Iterable[str] | None = None) -> html.Form:
    """Labelled filter controls for ``page``; only the ``fields`` asked for. ``all_divisions=False`` when
    the page needs one division chosen (no "All divisions" option); ``division_codes`` and ``csp_codes``
    limit the divisions and partnerships offered (e.g. to a division lead's or partnership user's own)."""
    month_options = _month_options(state) if ("from" in fields or "to" in fields) else []
    columns = []
    if "from" in fields:
        columns.append(_select(page, "from", "From (month)", month_options, _month_key(state.period_from)))
    if "to" in fields:
        columns.append(_select(page, "to", "To (month, inclusive)", month_options, _month_key(state.period_to)))
    if "division" in fields:
        offered = None if division_codes is None else set(division_codes)
        options = ([{"label": "All divisions", "value": ""}] if all_divisions else []) + [
            {"label": row.division_name, "value": row.division_code}
            for row in data.divisions().itertuples()
            if offered is None or row.division_code in offered
        ]
        columns.append(_select(page, "division", "Division", options, state.division))
    if "csp" in fields:
        frame = data.csps(state.division if "division" in fields else None)
        if csp_codes is not None:
            frame = frame[frame["csp_code"].isin(set(csp_codes))]
        options = [{"label": "Choose a partnership", "value": ""}] + [
            {"label": row.csp_name, "value": row.csp_code} for row in frame.itertuples()
        ]
        columns.append(_select(page, "csp", "Community safety partnership", options, state.csp))
    form = html.Form(
        dbc.Row(columns, className="g-3 align-items-end"),
        role="search",
        **{"aria-label": "Filters"},
        className="filters border rounded p-3 mb-4 bg-light",
    )
    if not state.notices:
        return form
    return html.Div([address_notices(state.notices), form])


def address_notices(notices: Sequence[str]) -> html.Div:
    """What was wrong with the page's address and what is shown instead: visible, not silent."""
    return html.Div(
        dbc.Alert([html.Strong("Check the filters. "), *[html.Span(n + " ") for n in notices]],
                  color="warning", className="mb-3"),
        role="status", className="address-notices",
    )


def meeting_used(text: str | None) -> datetime:
    """The daily meeting a request is about: the time it names (``YYYY-MM-DDTHH:MM``), else the meeting
    the page opens on (``metrics.daily.default_meeting_time``). The daily page shows this one, and the
    audit log records it."""
    from metrics import daily

    named = daily.parse_meeting_time(text, None)
    if named is not None:
        return named
    months = data.data_months() if data.database_ready() else None
    now = datetime.now(ZoneInfo("Europe/London")).replace(tzinfo=None)
    return daily.default_meeting_time(now, months.last_day if months else None)


def period_order_problem(from_month: str | None, to_month: str | None) -> str | None:
    """For a callback: the period chosen in the controls ends before it starts. The content then says so
    instead of showing figures for another period than the controls show."""
    start, end = _parse_month(from_month), _parse_month(to_month)
    if start is None or end is None or start <= end:
        return None
    return (f"The period chosen starts in {start:%B %Y}, after the month it ends ({end:%B %Y}): choose a "
            "“To” month on or after the “From” month.")


def filter_inputs(page: str, fields: Iterable[str] = DEFAULT_FIELDS) -> list[Input]:
    return [Input(ids.filter_id(page, name), "value") for name in fields]


def page_heading(title: str, lead: str | None = None) -> html.Div:
    children: list[Any] = [html.H1(title, className="h2 mb-2")]
    if lead:
        children.append(html.P(lead, className="lead fs-6 text-body-secondary"))
    return html.Div(children, className="mb-3")


GRAPH_CONFIG_BASE = {
    "displayModeBar": True,
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def graph_config(filename: str) -> dict:
    return {**GRAPH_CONFIG_BASE, "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}


def chart(figure: Any, summary: str, filename: str, graph_id: str | dict | None = None) -> html.Figure:
    """A chart whose text alternative is its caption (read by screen readers, shown to everyone)."""
    graph_kwargs = {"id": graph_id} if graph_id is not None else {}
    return html.Figure(
        [
            dcc.Graph(figure=figure, config=graph_config(filename), responsive=True, **graph_kwargs),
            html.Figcaption(summary, className="small text-body-secondary"),
        ],
        className="chart mb-2",
    )


def _column_defs(frame: pd.DataFrame) -> list[dict]:
    defs = []
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        # A column of long words (a measure's name, a partnership) takes up to three shares of the width and
        # a column of short figures needs less than the default, so that on a narrow screen a name does
        # not wrap a word to a line beside columns of short numbers.
        texts = [str(v) for v in frame[column].head(200) if v is not None]
        longest = max([len(t) for t in texts] + [0])
        # Wide enough for its longest word (about 8 px a letter, and the cell's padding), so no word breaks.
        longest_word = max([len(w) for t in [str(column), *texts] for w in t.split()] + [1])
        defs.append(
            {
                "field": str(column),
                "headerName": str(column),
                "type": "rightAligned" if numeric else None,
                "flex": None if numeric else min(3, max(1, round(longest / 14))),
                "minWidth": max(150 if longest > 28 else 72, min(8 * longest_word + 36, 160)),
            }
        )
    return [{k: v for k, v in d.items() if v is not None} for d in defs]


def data_table(grid_id: str, frame: pd.DataFrame, caption: str, filename: str, page_size: int | None = None) -> html.Div:
    """A table with a CSV download of exactly what it shows (every page of it when ``page_size`` splits a
    long list into pages)."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    paging = {"pagination": True, "paginationPageSize": page_size, "paginationPageSizeSelector": False} if page_size else {}
    return html.Div(
        [
            html.P(caption, className="small fw-semibold mb-1", id=f"{grid_id}-caption"),
            dag.AgGrid(
                id={"type": "grid", "grid": grid_id},
                rowData=records,
                columnDefs=_column_defs(frame),
                # cellDataType off: a column mixing numbers and suppression marks ("<5") is text, not
                # an "Invalid Number"; flex widths instead of sizeColumnsToFit, which fails in a hidden tab.
                defaultColDef={"sortable": True, "resizable": True, "wrapHeaderText": True, "autoHeaderHeight": True,
                               "wrapText": True, "autoHeight": True, "cellDataType": False, "flex": 1,
                               "minWidth": 110},
                dashGridOptions={"domLayout": "autoHeight", "ensureDomOrder": True, "suppressColumnVirtualisation": True,
                                **paging},
                csvExportParams={"fileName": f"{file_name_words(filename)}.csv"},
                style={"height": None},
                className="ag-theme-alpine",
            ),
            dbc.Button(
                "Download CSV",
                id={"type": "grid-csv", "grid": grid_id},
                color="secondary",
                outline=True,
                size="sm",
                className="mt-2",
            ),
        ],
        className="data-table mb-3",
    )


def register_callbacks(app) -> None:
    """Callbacks the building blocks need, registered on the app (``create_app`` calls this)."""
    app.clientside_callback(
        # The grid already holds what the user was allowed to see; exporting it queries nothing new.
        "function (n) { return Boolean(n); }",
        Output({"type": "grid", "grid": MATCH}, "exportDataAsCsv"),
        Input({"type": "grid-csv", "grid": MATCH}, "n_clicks"),
        prevent_initial_call=True,
    )


def chart_and_table(
    view_id: str, figure: Any, summary: str, frame: pd.DataFrame, caption: str, filename: str
) -> html.Div:
    """A chart with a table view of the same numbers under a disclosure ("Table view"). A native
    ``<details>`` rather than tabs: keyboard- and screen-reader-friendly with no script of ours."""
    return html.Div(
        [
            chart(figure, summary, filename),
            html.Details(
                [
                    html.Summary(f"Table view: {caption}", className="fw-semibold"),
                    data_table(f"{view_id}-table", frame, caption, filename),
                ],
                className="table-view mb-2",
            ),
        ],
        id=view_id,
        className="chart-and-table mb-3",
    )


def refusal(message: str) -> html.Div:
    # dbc.Alert takes no ``role``; the wrapper carries it for screen readers.
    return html.Div(
        dbc.Alert([html.Strong("Not available to you. "), message], color="warning", className="mt-3"),
        role="alert",
    )


def notice(message: str) -> dbc.Alert:
    return dbc.Alert(message, color="info", className="mt-3")


def no_database() -> html.Div:
    return html.Div(dbc.Alert(
        [
            html.H2("No data loaded yet", className="h4"),
            html.P(
                [
                    "The dashboard has no database to read. Load a batch of extracts with ",
                    html.Code("daperf load <folder> --db <file>"),
                    " (or run ",
                    html.Code("make run"),
                    " for the demo force), then reload this page.",
                ]
            ),
        ],
        color="info",
        className="mt-3",
    ), role="status")
