"""Which measures are compared between forces, and whose figures count as ours.

Kept apart from ``metrics.comparators`` (the comparison itself, which needs the statistics) so that the
loader's schema (``etl.schemas``) can name the comparable measures without importing SciPy.

- ``COMPARABLE_IDS``: every proportion and rate of the registry (a count depends on a force's size).
- ``PUBLISHED``: the measures a published national table counts as we do, who publishes it and, where its
  definition differs a little, the note a comparison carries (ONS rates use the previous year's mid-year
  population). A figure loaded from a published table is accepted only for these measures; figures
  computed by this product (another force's export, the demo's run) are accepted for every comparable
  measure, their definition being ours by construction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from metrics.registry import METRICS

# Sources as the comparators table records them.
SYNTHETIC_SOURCE = "synthetic"                      # the demo's national run
PRODUCT_SOURCE = "Computed by daperf"               # an export: "Computed by daperf from <force>'s records"
RECORDS_SOURCE = "The records in this database"     # figures computed here, never loaded
MSG_SIZE = 7                                        # HMICFRS's most similar groups: up to seven peers

ONS_DA = "Office for National Statistics, Domestic abuse and the criminal justice system (data tool)"
HOME_OFFICE_OUTCOMES = "Home Office, Crime outcomes in England and Wales"
HOME_OFFICE_ORDERS = "Home Office, Domestic violence protection notices and orders (data tables)"
HOME_OFFICE_DVDS = "Home Office, Domestic Violence Disclosure Scheme (data tables)"
SAFELIVES = "SafeLives, MARAC national dataset"

POPULATION_NOTE = ("Published rates divide by the ONS mid-year population estimate for the year before (people "
                   "aged 16 and over); this product divides by the populations in its reference tables, so a "
                   "force's published rate and its rate here can differ a little.")
ORDERS_NOTE = ("The Home Office counts the orders applied for and granted in the year, not those that followed "
               "the notices served in the year, so published and local shares can differ a little.")
DVDS_NOTE = ("The Home Office tables give disclosures out of applications received in the year; this product "
             "counts disclosures out of the decisions made in the year.")


@dataclass(frozen=True)
class Published:
    """A published series that counts what one of our measures counts: who publishes it, and how its
    definition differs from ours (None: it does not)."""
    publisher: str
    note: str | None = None


PUBLISHED: dict[str, Published] = {
    "incidents_per_1000": Published(ONS_DA, POPULATION_NOTE),
    "crimes_per_1000": Published(ONS_DA, POPULATION_NOTE),
    "arrests_per_100_crimes": Published(ONS_DA),
    "charge_rate": Published(HOME_OFFICE_OUTCOMES),
    "outcome_16_rate": Published(HOME_OFFICE_OUTCOMES),
    "outcome_15_rate": Published(HOME_OFFICE_OUTCOMES),
    "evidential_difficulties_rate": Published(HOME_OFFICE_OUTCOMES),
    "order_application_rate": Published(HOME_OFFICE_ORDERS, ORDERS_NOTE),
    "order_grant_rate": Published(HOME_OFFICE_ORDERS, ORDERS_NOTE),
    "dvds_disclosure_rate": Published(HOME_OFFICE_DVDS, DVDS_NOTE),
    "marac_cases_per_10k_women": Published(SAFELIVES, POPULATION_NOTE),
    "marac_repeat_rate": Published(SAFELIVES),
    "marac_partner_referral_share": Published(SAFELIVES),
    "marac_share_racially_minoritised": Published(SAFELIVES),
    "marac_share_lgbt": Published(SAFELIVES),
    "marac_share_disabled": Published(SAFELIVES),
    "marac_share_male": Published(SAFELIVES),
    "marac_share_aged_16_17": Published(SAFELIVES),
}

# Measures compared between forces: every proportion and rate (a count depends on a force's size).
COMPARABLE_IDS: tuple[str, ...] = tuple(m.id for m in METRICS.values() if m.kind != "count")


def is_product_source(source: object) -> bool:
    """Whether a loaded figure was computed by this product (the demo's run or another force's export),
    so its definition is ours by construction."""
    text = str(source or "").strip()
    return text.lower() == SYNTHETIC_SOURCE or text.startswith(PRODUCT_SOURCE)


def export_source(force_name: str) -> str:
    return f"{PRODUCT_SOURCE} from {force_name}'s records"


def definition_note(metric_id: str, sources: Iterable[object]) -> str | None:
    """The note a comparison carries when any of its figures comes from a published table whose
    definition differs from ours."""
    published = PUBLISHED.get(metric_id)
    if published is None or published.note is None:
        return None
    if all(is_product_source(s) or s == RECORDS_SOURCE for s in sources):
        return None
    return published.note


