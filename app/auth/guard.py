"""Server-side enforcement that does not depend on the layout: before any Dash callback or download runs,
check that the request is the callback it names, resolve the one scope it is about, and refuse it when
the principal's role or units do not allow it. This guard writes the audit log for record-level views
and exports, with the scope the callback then queries by.

**The request is the declared callback, exactly.** Dash passes a callback its inputs and state by
position, whatever ids the request gives them; so a request whose input ids or properties differ from the
callback's declaration (``app.callback_map``, keyed by the output) is refused with 400 before anything
else. What the guard reads as the division filter is then what the callback receives as its division
argument, and ``app.auth.scope.current_scope()`` is the one unit the callback may query.

Page modules declare their record-level outputs here, at import time, next to the id constant::

    from app.auth.guard import record_level
    CASE_LIST = record_level(ids.page_id("attrition", "cases"), view="attrition case list")
    CASE_CSV = record_level(ids.download_id("attrition", "cases"), view="attrition case list", export=True)

``record_level`` returns the id unchanged. A callback with such an output is allowed only when the
resolved scope allows records (``Scope.may_see_records``: ``policy.can_see_case_list`` for its division);
allowed requests that answer 200 are audited with the scope the query used and the period asked for;
refused ones with what was asked.

Every callback is also checked against:
- its unit filters (``filter_id(..., "force" | "division" | "csp")`` inputs or state, and the ``?force=&
  division=&csp=`` of the page URL the router renders), resolved into one ``Scope`` by
  ``app.auth.scope.resolve_scope`` (a partnership outside the division also named is refused);
- any (level, unit) context a store passes in (``{"level": ..., "unit": ...}``): the same rule;
- the page it belongs to (``ids.page_id(page, ...)`` prefix, a filter id's ``page``, or the path the
  Dash Pages router is asked to render): ``PAGE_RULES``.
Filter values, and the values of the controls pages declare with ``control`` (a stage, an outcome, a
breakdown), must be one string that looks like what it is (a real month, a code, a time): anything else,
a list or a number included, is 400. A suppressed audience (partnership) is held to whole financial years
and their quarters inside the data on every callback, whatever carries the period (month filters, a
reporting period, a store's days): anything else could be differenced (``_check_reporting_periods``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qs

from werkzeug.exceptions import BadRequest

from app import ids
from app.auth.policy import (
    Forbidden,
    Principal,
    can_read_audit_log,
    can_see_aggregates,
    can_see_data_quality,
)
from app.auth.scope import resolve_scope, set_current_scope

# The Dash Pages router's own components (dash.dash._ID_LOCATION / _ID_CONTENT).
PAGES_LOCATION = "_pages_location"
PAGES_CONTENT = "_pages_content"
UNIT_FILTERS = ("force", "division", "csp")
LEVELS = ("force", "division", "csp")
WILDCARDS = ("ALL", "MATCH", "ALLSMALLER")

# What each filter's value must look like when a control sends it.
_CODE = r"[A-Za-z0-9_-]{1,32}"
_MONTH = r"[12]\d{3}-(0[1-9]|1[0-2])"  # a real month, so what the log records is what was queried
FILTER_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "force": (re.compile(rf"^{_CODE}$"), "a force code"),
    "division": (re.compile(rf"^{_CODE}$"), "a division code"),
    "csp": (re.compile(rf"^{_CODE}$"), "a partnership code"),
    "from": (re.compile(rf"^{_MONTH}$"), "a month (YYYY-MM)"),
    "to": (re.compile(rf"^{_MONTH}$"), "a month (YYYY-MM)"),
    # A financial year or quarter (2025-26, 2025-26-Q1), or a compared period of months (2025-11:2026-10).
    "period": (re.compile(rf"^([12]\d{{3}}-\d{{2}}(-Q[1-4])?|{_MONTH}:{_MONTH})$"), "a reporting period (e.g. 2025-26)"),
    "metric": (re.compile(r"^[a-z0-9_]{1,64}$"), "a measure's name"),
    "meeting": (re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$"), "a date and time"),
}
# A filter added to ``ids.FILTER_NAMES`` without a format of its own here: a short code.
ANY_CODE = (re.compile(r"^[A-Za-z0-9_.:-]{1,64}$"), "a short code")

# Pages whose every callback needs more than sign-in. Keyed by the page name used in ``ids.page_id``
# and in the page's path (``/data-quality`` -> ``data-quality``).
PAGE_RULES: dict[str, tuple[Callable[[Principal], bool], str]] = {
    "data-quality": (can_see_data_quality, "the data quality pages"),
    "audit": (can_read_audit_log, "the audit log"),
    # The daily meeting is by division: division-level figures, which a partnership user may not see.
    "daily": (lambda p: can_see_aggregates(p, "division", None), "the daily management meeting"),
}


class MalformedRequest(BadRequest):
    """A request that is not what it claims to be (400): a callback not as declared, a filter value of
    the wrong shape."""

    def __init__(self, message: str):
        super().__init__(description=f"Bad request: {message}")


@dataclass(frozen=True)
class RecordLevelOutput:
    view: str
    export: bool = False
    division_from: str | None = None


RECORD_LEVEL: dict[str, RecordLevelOutput] = {}

# Controls that are not filters (a stage, an outcome, a breakdown, the audit log's action and user), keyed
# by id (or by the ``type`` of a pattern-matching id): what each one's value must look like.
CONTROL_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {}


def _id_key(component_id: str | Mapping[str, Any]) -> str:
    if isinstance(component_id, str):
        return component_id
    return json.dumps(dict(component_id), sort_keys=True, separators=(",", ":"))


def record_level(
    component_id: str, *, view: str, export: bool = False, division_from: str | None = None
) -> str:
    """Declare ``component_id`` as an output that shows records (case lists, action lists) or exports
    them; returns the id. ``view`` names it in the audit log."""
    RECORD_LEVEL[_id_key(component_id)] = RecordLevelOutput(view, export, division_from)
    return component_id


def control(component_id: str | Mapping[str, Any], pattern: str, what: str) -> str | Mapping[str, Any]:
    """Declare what a control's ``value`` must look like (``pattern``, a regular expression matched whole;
    ``what``, its description for the 400 answer); returns the id. A pattern-matching id is declared by its
    ``type``. An empty value is always accepted."""
    key = component_id if isinstance(component_id, str) else str(component_id["type"])
    CONTROL_FORMATS[key] = (re.compile(rf"^(?:{pattern})$"), what)
    return component_id


def _control_format(component_id: Any) -> tuple[re.Pattern[str], str] | None:
    if isinstance(component_id, str):
        return CONTROL_FORMATS.get(component_id)
    if isinstance(component_id, dict) and isinstance(component_id.get("type"), str):
        return CONTROL_FORMATS.get(component_id["type"])
    return None


def declared_record_level(component_id: str | Mapping[str, Any]) -> RecordLevelOutput | None:
    """What ``record_level`` declared for this id, or None for an ordinary output."""
    try:
        return RECORD_LEVEL.get(_id_key(component_id))
    except (TypeError, ValueError):
        return None


# --- the request is the callback it names --------------------------------------------------------


def _declared_id(raw: Any) -> str | dict:
    return json.loads(raw) if isinstance(raw, str) and raw.startswith("{") else raw


def _wildcard(value: Any) -> str | None:
    if isinstance(value, list) and len(value) == 1 and value[0] in WILDCARDS:
        return value[0]
    return None


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and not (isinstance(value, str) and len(value) > 200)


def _id_matches(declared: str | dict, given: Any) -> bool:
    if isinstance(declared, str):
        return given == declared
    if not isinstance(given, dict) or set(given) != set(declared):
        return False
    for key, value in declared.items():
        if _wildcard(value):
            if not _is_scalar(given[key]):
                return False
        elif given[key] != value:
            return False
    return True


def _match_one(spec_id: Any, spec_property: str, item: Any, where: str) -> None:
    if not isinstance(item, dict) or item.get("property") != spec_property or not _id_matches(spec_id, item.get("id")):
        raise MalformedRequest(f"the callback's {where} are not the ones it declares")


def _match_spec(spec_id: Any, spec_property: str, item: Any, where: str) -> None:
    """One declared input, state or output against what the request sent for it."""
    many = isinstance(spec_id, dict) and any(_wildcard(v) in ("ALL", "ALLSMALLER") for v in spec_id.values())
    if many:
        if not isinstance(item, list):
            raise MalformedRequest(f"the callback's {where} are not the ones it declares")
        for each in item:
            _match_one(spec_id, spec_property, each, where)
    else:
        _match_one(spec_id, spec_property, item, where)


def _match_list(declared: list[dict], given: Any, where: str) -> None:
    if not isinstance(given, list) or len(given) != len(declared):
        raise MalformedRequest(f"the callback's {where} are not the ones it declares")
    for spec, item in zip(declared, given):
        _match_spec(_declared_id(spec["id"]), spec["property"], item, where)


def _declared_outputs(entry: dict) -> tuple[list[tuple[Any, str]], bool]:
    output = entry["output"]
    many = isinstance(output, (list, tuple))
    outputs = list(output) if many else [output]
    # component_id_str(): the id as the callback map writes it, wildcards as ["MATCH"] and the like.
    return [(_declared_id(o.component_id_str()), str(o.component_property).split("@")[0]) for o in outputs], many


def _changed_prop(text: Any) -> tuple[Any, str] | None:
    if not isinstance(text, str) or "." not in text:
        return None
    raw_id, prop = text.rsplit(".", 1)
    try:
        return (json.loads(raw_id) if raw_id.startswith("{") else raw_id), prop
    except ValueError:
        return None


def check_declared(callback_map: Mapping[str, dict], body: Any) -> dict:
    """The callback map's entry for this request, when the request's outputs, inputs and state are
    exactly the ones that callback declares (ids and properties, in order); else ``MalformedRequest``."""
    if not isinstance(body, dict):
        raise MalformedRequest("not a Dash callback request")
    output_key = body.get("output")
    entry = callback_map.get(output_key) if isinstance(output_key, str) else None
    if entry is None or entry.get("callback") is None:
        raise MalformedRequest("there is no such callback")
    _match_list(entry["inputs"], body.get("inputs"), "inputs")
    _match_list(entry["state"], body.get("state", []), "state")
    declared_outputs, many = _declared_outputs(entry)
    given_outputs = body.get("outputs")
    if entry.get("no_output"):
        if given_outputs not in (None, [], {}):
            raise MalformedRequest("the callback's outputs are not the ones it declares")
    else:
        if not many:
            given_outputs = [given_outputs]
        if not isinstance(given_outputs, list) or len(given_outputs) != len(declared_outputs):
            raise MalformedRequest("the callback's outputs are not the ones it declares")
        for (spec_id, spec_property), item in zip(declared_outputs, given_outputs):
            _match_spec(spec_id, spec_property, item, "outputs")
    changed = body.get("changedPropIds", [])
    sent = [item for item in _flatten(body.get("inputs")) if isinstance(item, dict)]
    if not isinstance(changed, list) or not all(
        (parsed := _changed_prop(text)) is not None
        and any(parsed == (item.get("id"), item.get("property")) for item in sent)
        for text in changed
    ):
        raise MalformedRequest("the callback's changed inputs are not among its inputs")
    return entry


# --- what the request asks for -------------------------------------------------------------------


@dataclass
class CallbackRequest:
    """What a ``/_dash-update-component`` body asks for."""

    output_ids: list[str | dict] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)  # FILTER_NAMES -> value
    filter_controls: set[str] = field(default_factory=set)  # the filters the callback takes, empty or not
    values_by_id: dict[str, Any] = field(default_factory=dict)  # plain string id -> value
    pages: set[str] = field(default_factory=set)
    # (level, unit) pairs carried in stores, e.g. a tile's {"level": "csp", "unit": "E22...", ...} context.
    unit_contexts: list[tuple[str, str | None]] = field(default_factory=list)
    # (from, to) days any store carries (a breakdown's period), checked for a suppressed audience.
    period_contexts: list[tuple[date, date]] = field(default_factory=list)


def _flatten(items: Any) -> Iterable[dict]:
    if isinstance(items, dict):
        yield items
    elif isinstance(items, list):
        for item in items:
            yield from _flatten(item)


def _context_day(value: Any) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise MalformedRequest("a period's day must be a date (YYYY-MM-DD)") from None


def _query_filters(search: str | None) -> dict[str, str]:
    parsed = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    return {name: values[-1] for name, values in parsed.items() if name in ids.FILTER_NAMES and values}


def _page_of_id(component_id: str | dict) -> str | None:
    if isinstance(component_id, dict):
        page = component_id.get("page")
        return page if isinstance(page, str) else None
    for page in PAGE_RULES:
        if component_id.startswith(page + "-"):
            return page
    return None


def _checked_value(value: Any, pattern: re.Pattern[str], message: str) -> Any:
    """One control's value, refused (400) unless it is empty or one string of the control's shape (no
    control of this app holds a list)."""
    if value in (None, ""):
        return value
    if not isinstance(value, str) or not pattern.match(value):
        raise MalformedRequest(message)
    return value


def _checked_filter(name: str, value: Any) -> Any:
    """A filter control's value, refused (400) unless it is empty or looks like what the filter holds (a
    meeting a real date and time, so that what the log records is the meeting shown)."""
    pattern, what = FILTER_FORMATS.get(name, ANY_CODE)
    _checked_value(value, pattern, f"the {name} filter must be {what}")
    if name == "meeting" and value not in (None, ""):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise MalformedRequest(f"the {name} filter must be {what}") from None
    return value


def parse_callback(body: Any) -> CallbackRequest:
    if not isinstance(body, dict):
        raise MalformedRequest("not a Dash callback request")
    request = CallbackRequest()
    for output in _flatten(body.get("outputs")):
        if "id" in output:
            request.output_ids.append(output["id"])
    for item in _flatten([body.get("inputs") or [], body.get("state") or []]):
        component_id, prop, value = item.get("id"), item.get("property"), item.get("value")
        if isinstance(value, dict) and value.get("level") in LEVELS and "unit" in value:
            unit = value.get("unit")
            if unit is not None and not _is_scalar(unit):
                raise MalformedRequest("a unit must be a code")
            request.unit_contexts.append((value["level"], None if unit is None else str(unit)))
        # A period a store carries is checked whatever else the store holds (or leaves out).
        if isinstance(value, dict) and ("from" in value or "to" in value):
            request.period_contexts.append((_context_day(value.get("from")), _context_day(value.get("to"))))
        if prop == "value" and _control_format(component_id):
            pattern, what = _control_format(component_id)
            _checked_value(value, pattern, f"this control's value must be {what}")
        if isinstance(component_id, dict) and component_id.get("type") == ids.FILTER_TYPE:
            name = component_id.get("name")
            if name in ids.FILTER_NAMES:
                request.filter_controls.add(name)
            if name in ids.FILTER_NAMES and value not in (None, "", []):
                request.filters[name] = _checked_filter(name, value)
            page = _page_of_id(component_id)
            if page:
                request.pages.add(page)
        elif isinstance(component_id, str):
            request.values_by_id[component_id] = value
            if component_id == PAGES_LOCATION and value is not None and (
                    not isinstance(value, str) or (prop == "pathname" and not value.startswith("/"))):
                raise MalformedRequest("the page's address must be a path")
            if component_id == PAGES_LOCATION and prop == "search" and isinstance(value, str):
                for name, query_value in _query_filters(value).items():
                    request.filters.setdefault(name, query_value)
            elif component_id == PAGES_LOCATION and prop == "pathname" and isinstance(value, str):
                page = value.strip("/").split("/")[0]
                if page in PAGE_RULES:
                    request.pages.add(page)
    for component_id in request.output_ids:
        page = _page_of_id(component_id)
        if page:
            request.pages.add(page)
    return request


def check_unit_filters(principal: Principal, filters: Mapping[str, Any]) -> None:
    """The units a request names in its query string (a page opened from an address) must be ones the
    principal may see figures for; the same rule as ``resolve_scope`` for a page opened from an address: a
    partnership outside the division also named is the unit, and the page says the address named another."""
    resolve_scope(principal, {name: filters[name] for name in UNIT_FILTERS if name in filters}, navigation=True)


@dataclass(frozen=True)
class AuditIntent:
    action: str
    view: str
    filters: dict[str, Any]


def audit_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    return {name: filters[name] for name in ids.FILTER_NAMES if name in filters}


FORCE_CODE = re.compile(r"^[EW]\d{8}$")


def _force_of_page() -> str | None:
    """The force the page was opened for, which the header's selector keeps in a cookie
    (``app.force_selector.FORCE_COOKIE``); checked by ``resolve_scope`` like any filter."""
    import flask

    from app.force_selector import FORCE_COOKIE

    value = flask.request.cookies.get(FORCE_COOKIE, "") if flask.has_request_context() else ""
    return value if FORCE_CODE.match(value) else None


def _unit_filters(request: CallbackRequest) -> dict[str, Any]:
    """The unit the request is about: its filters, else the (level, unit) context a store carries; the force
    named by the request, else the one its page was opened for."""
    filters = {name: request.filters[name] for name in UNIT_FILTERS if name in request.filters}
    if "force" not in filters and _force_of_page():
        filters["force"] = _force_of_page()
    if not {"division", "csp"} & set(filters) and request.unit_contexts:
        level, unit = request.unit_contexts[0]
        if level == "csp":
            filters["csp"] = unit
        elif level == "division":
            filters["division"] = unit
    return filters


def malformed_record_level(body: Any) -> RecordLevelOutput | None:
    """The record-level output a malformed request named, if any (so its refusal is audited too)."""
    if not isinstance(body, dict):
        return None
    for output in _flatten(body.get("outputs")):
        declared = declared_record_level(output.get("id")) if "id" in output else None
        if declared is not None:
            return declared
    return None


def check_callback(principal: Principal, body: Any, callback_map: Mapping[str, dict]) -> list[AuditIntent]:
    """Raise ``MalformedRequest`` unless the request is exactly a declared callback, ``Forbidden`` if the
    principal may not have what it asks for; otherwise resolve the request's one scope (which the
    callback queries by) and return the record-level views it opens, to be audited once it has answered.
    A refused request for a record-level output raises ``RecordLevelRefused``, audited as refused."""
    check_declared(callback_map, body)
    request = parse_callback(body)
    declared = [d for d in map(declared_record_level, request.output_ids) if d is not None]
    asked = audit_filters(request.filters)
    try:
        _check_pages(principal, request)
        for level, unit in request.unit_contexts:
            if not can_see_aggregates(principal, level, unit):
                raise Forbidden(f"Not permitted: {level} figures for {unit or 'the force'}")
        # Opening a page from an address: the page, not the guard, explains a contradiction in it.
        navigation = any(isinstance(o, str) and o == PAGES_CONTENT for o in request.output_ids)
        scope = resolve_scope(principal, _unit_filters(request), navigation=navigation)
        if scope.suppressed and not navigation:
            _check_reporting_periods(request)
    except Forbidden as refused:
        if declared:
            raise RecordLevelRefused(str(refused), declared[0], asked) from refused
        raise
    set_current_scope(scope)
    for output in declared:
        if not scope.may_see_records:
            where = f"division {scope.division_code}" if scope.division_code else "the whole force"
            raise RecordLevelRefused(f"Not permitted: {output.view} for {where}", output, asked)
    # What the query used: the resolved scope, the period the callbacks work out from the months asked
    # (the default for a month not given), and the meeting asked for.
    used = {**{k: v for k, v in asked.items() if k not in UNIT_FILTERS}, **scope.filters}
    if declared and {"from", "to"} & request.filter_controls:
        used.update(_period_used(asked.get("from"), asked.get("to")))
    if declared and "meeting" in request.filter_controls:
        from app.components import meeting_used

        used["meeting"] = f"{meeting_used(asked.get('meeting')):%Y-%m-%dT%H:%M}"
    return [AuditIntent("export" if d.export else "view", d.view, used) for d in declared]


REPORTING_PERIODS_ONLY = ("Not permitted: partnership figures are for financial years and their quarters only, "
                          "so that small numbers cannot be worked out from overlapping periods")


def _check_reporting_periods(request: CallbackRequest) -> None:
    """Small numbers stay hidden only if nobody can subtract one period from an overlapping one, so a
    suppressed audience is given whole financial years and their quarters inside the data, and nothing
    else (the partnership page offers only these): any other period a request carries is refused."""
    from app.reporting_periods import periods as offered
    from metrics.periods import month_end

    periods = offered()
    asked = list(request.period_contexts)
    if "from" in request.filters or "to" in request.filters:
        start, end = request.filters.get("from"), request.filters.get("to")
        if not (start and end):
            raise Forbidden(REPORTING_PERIODS_ONLY)
        asked.append((date.fromisoformat(f"{start}-01"), month_end(date.fromisoformat(f"{end}-01"))))
    if "period" in request.filters and request.filters["period"] not in {key for key, _, _ in periods}:
        raise Forbidden(REPORTING_PERIODS_ONLY)
    if not set(asked) <= {(start, end) for _, start, end in periods}:
        raise Forbidden(REPORTING_PERIODS_ONLY)


def _period_used(from_month: str | None, to_month: str | None) -> dict[str, str]:
    from app.components import FilterState, period_order_problem

    if period_order_problem(from_month, to_month):  # the page says so and shows no records
        return {"from": from_month, "to": to_month}
    state = FilterState.from_values(from_month, to_month)
    return {"from": f"{state.period_from:%Y-%m}", "to": f"{state.period_to:%Y-%m}"}


def _check_pages(principal: Principal, request: CallbackRequest) -> None:
    for page in sorted(request.pages & PAGE_RULES.keys()):  # pages without a rule need only sign-in
        allowed, what = PAGE_RULES[page]
        if not allowed(principal):
            raise Forbidden(f"Not permitted: {what}")


class RecordLevelRefused(Forbidden):
    """A refused request for a record-level output: audited as ``refused`` with what was asked."""

    def __init__(self, message: str, declared: RecordLevelOutput, filters: dict[str, Any]):
        super().__init__(message)
        self.declared = declared
        self.filters = filters
