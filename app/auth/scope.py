"""One place resolves scope: who is asking, about which unit, and what they may see of it.

For every request the guard (``app.auth.guard``) turns the principal and the request's unit filters into
one ``Scope`` with ``resolve_scope`` and keeps it for the request; the page callback asks
``current_scope()`` for the unit it queries, and the audit row records the same object. So what is checked
is what is queried is what is logged: a callback never reads a division or a partnership from its own
arguments.

Precedence: a partnership (``csp``) is the unit when one is given, else a division, else the force. A
partnership that is not in the division also given is refused (the filters contradict each other).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

import flask

from app.auth.policy import (
    Forbidden,
    Principal,
    can_see_aggregates,
    can_see_case_list,
    can_see_force,
    must_suppress,
)

_REQUEST_SCOPE = "daperf_scope"


@dataclass(frozen=True)
class Scope:
    """The effective scope of one request."""

    principal: Principal
    level: str                      # force, division or csp
    unit_code: str | None           # None at force level
    division_code: str | None       # the division the unit sits in (None at force level)
    suppressed: bool                # small numbers protected (partnership and public audiences)
    force_code: str | None = None   # the force in view (the home force unless another is chosen and allowed)

    @property
    def forces(self) -> list[str] | None:
        """The ``forces`` argument of every metrics question asked for this scope."""
        return [self.force_code] if self.force_code else None

    @property
    def may_see_records(self) -> bool:
        """Case lists and action lists for this unit (pseudonymised): ``policy.can_see_case_list``."""
        return can_see_case_list(self.principal, self.division_code)

    @property
    def filters(self) -> dict[str, str]:
        """What the audit log records of the scope: the unit the query used."""
        return {key: value for key, value in (("force", self.force_code), ("level", self.level),
                                              ("unit", self.unit_code), ("division", self.division_code)) if value}

    def at(self, level: str, unit_code: str | None) -> "Scope":
        """The same principal at another unit (a page's own default, e.g. the first division): checked
        as any request's filters are."""
        filters = {"csp": unit_code} if level == "csp" else {"division": unit_code} if level == "division" else {}
        return resolve_scope(self.principal, {**filters, "force": self.force_code})


def _one(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        if len(value) > 1:
            raise Forbidden("Not permitted: one unit at a time")
        value = value[0] if value else None
    return None if value in (None, "") else str(value)


def _division_of_csp(csp_code: str) -> str | None:
    from app import data

    try:
        frame = data.csps()
    except Exception:  # no database yet: nothing to look up, and nothing to show either
        return None
    match = frame.loc[frame["csp_code"] == csp_code, "division_code"]
    return str(match.iloc[0]) if len(match) else None


def _force_in_view(principal: Principal, asked: str | None) -> str | None:
    from app import data

    try:
        home = data.home_force()
    except Exception:  # no database yet
        return asked
    if asked and asked != home:
        if not can_see_force(principal, asked, home):
            raise Forbidden(f"Not permitted: the records of force {asked}")
        return asked
    return home


def resolve_scope(principal: Principal, filters: Mapping[str, Any], *, navigation: bool = False) -> Scope:
    """The effective scope of a request with these unit filters (``force``, ``division``, ``csp``);
    raises ``Forbidden`` when the principal may not see that unit's figures at all.

    A partnership outside the division also named is refused, except when a page is opened from an
    address (``navigation``): then the partnership is the unit, in its own division, and the page says
    that the address named another (``app.components.FilterState``)."""
    force = _force_in_view(principal, _one(filters.get("force")))
    csp, division = _one(filters.get("csp")), _one(filters.get("division"))
    if csp:
        csp_division = _division_of_csp(csp)
        if division and csp_division and division != csp_division and not navigation:
            raise Forbidden(f"Not permitted: partnership {csp} is not in division {division}")
        level, unit, unit_division = "csp", csp, csp_division
    elif division:
        level, unit, unit_division = "division", division, division
    else:
        level, unit, unit_division = "force", None, None
    if not can_see_aggregates(principal, level, unit):
        raise Forbidden(f"Not permitted: {'partnership' if level == 'csp' else level} figures for {unit}")
    return Scope(principal, level, unit, unit_division, must_suppress(principal), force)


def set_current_scope(scope: Scope) -> None:
    setattr(flask.g, _REQUEST_SCOPE, scope)


def current_scope() -> Scope:
    """The scope the guard resolved for this request (the force, for a request that names no unit)."""
    scope = getattr(flask.g, _REQUEST_SCOPE, None)
    if scope is None:
        from app.auth.context import current_principal

        scope = resolve_scope(current_principal(), {})
        set_current_scope(scope)
    return scope


__all__ = ["Scope", "current_scope", "resolve_scope", "set_current_scope", "replace"]
