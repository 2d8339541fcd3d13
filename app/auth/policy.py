"""The access policy: one table of what each role may see, checked by every callback and download.

- chief_officer, coordinator: every view, force-wide, case lists included (pseudonymised).
- division_lead: force aggregates; case lists and daily action lists for their own division(s) only.
- partnership: aggregates for their own CSP(s) and force totals, always suppressed and for financial years
  and their quarters only; never a case list, a pseudonymised reference or an unsuppressed export.
- analyst: aggregates and data quality force-wide; may run loads.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("chief_officer", "coordinator", "division_lead", "partnership", "analyst")


class Forbidden(PermissionError):
    """The caller's role or units do not allow this request."""


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    # Division codes for a division_lead, CSP codes for a partnership user; empty for force-wide roles.
    units: frozenset[str] = field(default_factory=frozenset)
    demo: bool = False
    # Forces whose records the user may see besides the home force (a regional collaboration, an
    # inspectorate); empty: the home force only. Comparator figures (aggregates) of every force are public.
    forces: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"Unknown role {self.role!r}; expected one of {', '.join(ROLES)}")


def must_suppress(p: Principal) -> bool:
    """Partnership users only ever see suppressed numbers."""
    return p.role == "partnership"


def can_see_case_list(p: Principal, division_code: str | None) -> bool:
    """Record-level (pseudonymised) lists: force-wide for chief officers and coordinators, own division
    for a division lead (division_code None means force-wide, which a division lead may not have)."""
    if p.role in ("chief_officer", "coordinator"):
        return True
    if p.role == "division_lead":
        return division_code is not None and division_code in p.units
    return False


def can_see_aggregates(p: Principal, level: str, unit_code: str | None) -> bool:
    """Aggregates at force, division or CSP level."""
    if p.role != "partnership":
        return True
    if level == "force":
        return True
    if level == "csp":
        return unit_code in p.units
    return False  # a partnership user sees its own CSPs and the force, not divisions


def can_see_force(p: Principal, force_code: str, home_force: str | None) -> bool:
    """Records and figures of a force: the home force for everyone, others for users granted them."""
    return force_code == home_force or force_code in p.forces


def can_see_force_comparisons(p: Principal) -> bool:
    """The forces comparison page (/compare: the force among every force, for any period it holds):
    force-wide roles. A partnership member sees the partnership beside its force and England and Wales on
    the partnership page, for fixed reporting periods only (disclosure control across overlapping periods)."""
    return p.role != "partnership"


def can_see_data_quality(p: Principal) -> bool:
    return p.role in ("analyst", "chief_officer", "coordinator")


def can_read_audit_log(p: Principal) -> bool:
    return p.role in ("analyst", "chief_officer")


def require(allowed: bool, what: str) -> None:
    if not allowed:
        raise Forbidden(f"Not permitted: {what}")
