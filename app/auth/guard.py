"""Server-side enforcement that does not depend on the layout: before any Dash callback or download runs,
look at what the request asks for (its output ids, its filter values, the page it renders) and refuse it
when the principal's role or units do not allow it. Page callbacks check the policy too; this guard is
the second lock, and it is the one that writes the audit log for record-level views and exports.

Page modules declare their record-level outputs here, at import time, next to the id constant::

    from app.auth.guard import record_level
    CASE_LIST = record_level(ids.page_id("attrition", "cases"), view="attrition case list")
    CASE_CSV = record_level(ids.download_id("attrition", "cases"), view="attrition case list", export=True)

``record_level`` returns the id unchanged. A callback with such an output is allowed only when
``policy.can_see_case_list(principal, division)`` holds for the division its filters ask for (the
``filter_id(page, "division")`` control, else the division of the ``csp`` filter, else ``division_from``,
the id of another control whose value is a division code); allowed requests that answer 200 are audited.

Every callback is also checked against:
- the unit filters it carries (``filter_id(..., "division" | "csp")`` inputs or state, and the
  ``?division=&csp=`` of the page URL): ``policy.can_see_aggregates``;
- any (level, unit) context a store passes in (``{"level": ..., "unit": ...}``): the same;
- the page it belongs to (``ids.page_id(page, ...)`` prefix, a filter id's ``page``, or the path the
  Dash Pages router is asked to render): ``PAGE_RULES``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qs

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

# Pages whose every callback needs more than sign-in. Keyed by the page name used in ``ids.page_id``
# and in the page's path (``/data-quality`` -> ``data-quality``).
PAGE_RULES: dict[str, tuple[Callable[[Principal], bool], str]] = {
    "data-quality": (can_see_data_quality, "the data quality pages"),
    "audit": (can_read_audit_log, "the audit log"),
    # The daily meeting is by division: division-level figures, which a partnership user may not see.
    "daily": (lambda p: can_see_aggregates(p, "division", None), "the daily management meeting"),
}


@dataclass(frozen=True)
class RecordLevelOutput:
    view: str
    export: bool = False
    division_from: str | None = None


RECORD_LEVEL: dict[str, RecordLevelOutput] = {}


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


def declared_record_level(component_id: str | Mapping[str, Any]) -> RecordLevelOutput | None:
    """What ``record_level`` declared for this id, or None for an ordinary output."""
    return RECORD_LEVEL.get(_id_key(component_id))


@dataclass
class CallbackRequest:
    """What a ``/_dash-update-component`` body asks for."""

    output_ids: list[str | dict] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)  # FILTER_NAMES -> value
    values_by_id: dict[str, Any] = field(default_factory=dict)  # plain string id -> value
    pages: set[str] = field(default_factory=set)
    # (level, unit) pairs carried in stores, e.g. a tile's {"level": "csp", "unit": "E22...", ...} context.
    unit_contexts: list[tuple[str, str | None]] = field(default_factory=list)


def _flatten(items: Any) -> Iterable[dict]:
    if isinstance(items, dict):
        yield items
    elif isinstance(items, list):
        for item in items:
            yield from _flatten(item)


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


def parse_callback(body: Any) -> CallbackRequest:
    if not isinstance(body, dict):
        raise Forbidden("Not a Dash callback request")
    request = CallbackRequest()
    for output in _flatten(body.get("outputs")):
        if "id" in output:
            request.output_ids.append(output["id"])
    for item in _flatten([body.get("inputs") or [], body.get("state") or []]):
        component_id, prop, value = item.get("id"), item.get("property"), item.get("value")
        if isinstance(value, dict) and value.get("level") in LEVELS and "unit" in value:
            unit = value.get("unit")
            request.unit_contexts.append((value["level"], None if unit is None else str(unit)))
        if isinstance(component_id, dict) and component_id.get("type") == ids.FILTER_TYPE:
            name = component_id.get("name")
            if name in ids.FILTER_NAMES and value not in (None, "", []):
                request.filters[name] = value
            page = _page_of_id(component_id)
            if page:
                request.pages.add(page)
        elif isinstance(component_id, str):
            request.values_by_id[component_id] = value
            if component_id == PAGES_LOCATION and prop == "search":
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


def _scalar(value: Any) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if len(value) == 1 else None
    return None if value in (None, "") else str(value)


def _division_of_csp(csp_code: str) -> str | None:
    from app import data

    try:
        frame = data.csps()
    except Exception:  # no database yet: nothing to look up, and nothing to show either
        return None
    match = frame.loc[frame["csp_code"] == csp_code, "division_code"]
    return str(match.iloc[0]) if len(match) else None


def check_unit_filters(principal: Principal, filters: Mapping[str, Any]) -> None:
    """The unit a request is about must be one the principal may see aggregates for."""
    csp, division = filters.get("csp"), filters.get("division")
    csp_codes = csp if isinstance(csp, list) else [csp] if csp else []
    for code in csp_codes:
        if not can_see_aggregates(principal, "csp", str(code)):
            raise Forbidden(f"Not permitted: figures for partnership {code}")
    if not csp_codes and division:
        for code in division if isinstance(division, list) else [division]:
            if not can_see_aggregates(principal, "division", str(code)):
                raise Forbidden(f"Not permitted: figures for division {code}")


@dataclass(frozen=True)
class AuditIntent:
    action: str
    view: str
    filters: dict[str, Any]


def audit_filters(filters: Mapping[str, Any]) -> dict[str, Any]:
    return {name: filters[name] for name in ids.FILTER_NAMES if name in filters}


def _unit_filters(request: CallbackRequest) -> dict[str, Any]:
    """The unit the request is about: its filters, else the (level, unit) context a store carries."""
    filters = {name: request.filters[name] for name in UNIT_FILTERS if name in request.filters}
    if not filters and request.unit_contexts:
        level, unit = request.unit_contexts[0]
        filters = {"csp": unit} if level == "csp" else {"division": unit} if level == "division" else {}
    return filters


def check_callback(principal: Principal, body: Any) -> list[AuditIntent]:
    """Raise ``Forbidden`` if the principal may not have what this callback asks for; otherwise resolve the
    request's one scope (``app.auth.scope``, which the callback queries by) and return the record-level
    views it opens, to be audited once it has answered. A refused request for a record-level output
    raises ``RecordLevelRefused``, so the refusal is audited too."""
    request = parse_callback(body)
    declared = [d for d in map(declared_record_level, request.output_ids) if d is not None]
    filters = audit_filters(request.filters)
    try:
        _check_scope(principal, request)
        scope = resolve_scope(principal, _unit_filters(request))
    except Forbidden as refused:
        if declared:
            raise RecordLevelRefused(str(refused), declared[0], filters) from refused
        raise
    set_current_scope(scope)
    filters = {**{k: v for k, v in filters.items() if k not in UNIT_FILTERS}, **scope.filters}
    for output in declared:
        if not scope.may_see_records:
            where = f"division {scope.division_code}" if scope.division_code else "the whole force"
            raise RecordLevelRefused(f"Not permitted: {output.view} for {where}", output, filters)
    return [AuditIntent("export" if d.export else "view", d.view, filters) for d in declared]


def _check_scope(principal: Principal, request: CallbackRequest) -> None:
    """The page's rule, the unit filters and any unit context the request carries."""
    for page in sorted(request.pages & PAGE_RULES.keys()):  # pages without a rule need only sign-in
        allowed, what = PAGE_RULES[page]
        if not allowed(principal):
            raise Forbidden(f"Not permitted: {what}")
    check_unit_filters(principal, request.filters)
    for level, unit in request.unit_contexts:
        if not can_see_aggregates(principal, level, unit):
            raise Forbidden(f"Not permitted: {level} figures for {unit or 'the force'}")


class RecordLevelRefused(Forbidden):
    """A refused request for a record-level output: audited as ``refused``."""

    def __init__(self, message: str, declared: RecordLevelOutput, filters: dict[str, Any]):
        super().__init__(message)
        self.declared = declared
        self.filters = filters
