"""The metric registry: one declaration per measure of the catalogue (the APP performance measures and the
nine routine-monitoring indicators), and the facts they count.

A metric is data. Its numerator and denominator are ``Measure``s: which fact table, which event date
places a record in a period, which of the fact's flag columns must be true (``where``), and whether rows
are counted, a column summed, or distinct people counted. ``metrics.compiler`` writes the SQL for any
level, period, breakdown and set of units from these declarations; the rules behind each flag live once,
as a column of a mart (``sql/marts/``). Adding a proportion over an existing flag is one entry here.

Value conventions (the catalogue's export):
- count: value = numerator; denominator is null.
- proportion: value = numerator / denominator, a fraction 0-1, with a 95% Wilson interval.
- rate: value = numerator / denominator x ``per``. A population rate's denominator is the population; a
  period of exactly 12 whole calendar months is not annualised (as published), any other period is scaled
  to a year by 365.25 / days in the period (``metrics.periods.annualising_factor``).

Words: ``name`` and ``question`` head a tile; ``counts`` and ``out_of`` are the definition as a panel
member reads it (no field names); ``source`` cites the document by its title. Thresholds and reference
values live in ``daperf/thresholds.toml`` with their provenance, named here by key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from daperf.config import thresholds

Kind = Literal["count", "proportion", "rate"]
Better = Literal["higher", "lower", "neither", "toward"]
LEVELS = ("force", "division", "csp")

# Sources, cited by title.
APP = ("College of Policing, Authorised Professional Practice on domestic abuse: leadership, management and "
       "partnership (performance management measures)")
APP_DVDS = ("College of Policing, Authorised Professional Practice on domestic abuse: the Domestic Violence "
            "Disclosure Scheme's initial checks within 24 hours")
LONDON = ("Mayor of London, The Second London Domestic Violence Strategy (2005): arrest where a power of arrest "
          "exists, and the National Action Plan indicators")
ONS = "Office for National Statistics, Domestic abuse and the criminal justice system"
SAFELIVES = "SafeLives, MARAC national dataset"
HOME_OFFICE_OUTCOMES = "Home Office, Crime outcomes in England and Wales (outcome types 1 to 22)"
HOME_OFFICE_DVDS = "Home Office, Domestic Violence Disclosure Scheme statutory guidance"
CSA_2010 = ("Crime and Security Act 2010, sections 24 to 33 (protection notices and orders); Domestic Abuse "
            "Act 2021 (domestic abuse protection notices and orders)")
CATALOGUE = "The product's metric catalogue, derived from the APP list of performance measures"

SUPPRESS_COUNT = ("For partnership and public audiences: counts of 1 to 4 are shown as <5, other counts are "
                  "rounded to the nearest 5, and a total never reveals a hidden count.")
SUPPRESS_RATE = ("For partnership and public audiences: worked from rounded counts, and not shown when it rests "
                 "on fewer than 10 cases or on a count of 1 to 4.")
SUPPRESS_POPULATION_RATE = ("For partnership and public audiences: worked from the rounded count, and not shown "
                            "when the count is 1 to 4.")


# --- facts -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fact:
    """A mart table the measures count: its record id, the column placing a record at each level, and the
    column each breakdown reads (every breakdown column is a band: never null)."""
    name: str
    table: str
    record_id: str
    breakdowns: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=lambda: {"force": "force_code", "division": "division_code",
                                                           "csp": "csp_code"})


INCIDENT_BREAKDOWN_COLUMNS = {
    "relationship": "relationship", "victim_sex": "victim_sex_band", "age_band": "age_band",
    "victim_ethnicity": "victim_ethnicity_band", "victim_disability": "victim_disability_band",
    "risk_level": "risk_level", "children_present": "children_present_band", "offence_group": "offence_group",
    "call_grade": "call_grade_band",
}
FACTS: dict[str, Fact] = {fact.name: fact for fact in (
    Fact("incidents", "fact_incidents", "incident_id", INCIDENT_BREAKDOWN_COLUMNS),
    Fact("arrests", "fact_arrests", "arrest_id"),
    Fact("notices", "fact_notices", "notice_id", {"scheme": "scheme"}),
    Fact("dvds", "fact_dvds", "application_id", {"route": "route"}),
    Fact("marac", "fact_marac", "case_id"),
)}
INCIDENT_BREAKDOWNS = ("relationship", "victim_sex", "age_band", "victim_ethnicity", "victim_disability",
                       "risk_level", "children_present", "offence_group")
# Event dates the June 2023 Home Office Counting Rules change affects: a crime series is charted in two
# phases either side of it.
CRIME_DATES = ("crime_recorded_at", "outcome_at", "cps_decision_at", "court_result_at")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


# Flags worked out over a look-back before each record (``lookback_days`` in daperf/thresholds.toml; a MARAC
# repeat falls back to it when the MARAC did not record one): over the first look-back of the data there
# is less history to find an earlier incident in, so these figures run low there.
LOOKBACK_FLAGS = frozenset({"repeat_victim_incident", "repeat_suspect_incident", "serial_incident", "is_repeat"})


@dataclass(frozen=True)
class Measure:
    """What is counted: rows of ``fact`` whose ``date`` falls in the period and whose ``where`` flags are
    all true; or the sum of the column ``sum_of`` over them; or, with ``distinct``, the people in that
    person column (one each per force), placed at their last record in the period, who have at least one
    such record."""
    fact: str
    date: str
    where: tuple[str, ...] = ()
    sum_of: str | None = None
    distinct: str | None = None

    def __post_init__(self) -> None:
        if self.fact not in FACTS:
            raise ValueError(f"Unknown fact {self.fact!r}")
        for name in (self.date, *self.where, self.sum_of, self.distinct):
            if name is not None and not _IDENTIFIER.match(name):
                raise ValueError(f"Not a column name: {name!r}")
        if self.sum_of and self.distinct:
            raise ValueError("A measure sums a column or counts people, not both")

    @property
    def additive(self) -> bool:
        """Counts of records (or sums) add up over months; counts of distinct people do not."""
        return self.distinct is None

    @property
    def key(self) -> str:
        """A name for the measure's column, unique to what it counts (two metrics counting the same
        thing share it)."""
        what = f"sum_{self.sum_of}" if self.sum_of else f"people_{self.distinct}" if self.distinct else "count"
        where = "_where_" + "_and_".join(self.where) if self.where else ""
        return f"{self.fact}_{what}_by_{self.date}{where}"


@dataclass(frozen=True)
class Population:
    """A rate's base: a population column of the units dimension (summed over a unit's partnerships)."""
    column: str


# --- metrics ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    question: str
    kind: Kind
    numerator: Measure
    denominator: Measure | Population | None
    counts: str                               # the numerator in words
    out_of: str | None                        # the denominator in words
    unit: str                                 # what a value is, in words
    better: Better
    source: str
    indicator: int | None                     # 1-9, or None outside the nine
    suppression: str = SUPPRESS_RATE
    per: int | None = None                    # rates: 100, 1,000 or 10,000
    breakdowns: tuple[str, ...] = ()
    target_key: str | None = None             # thresholds.toml key of the value to aim toward
    reference_key: str | None = None          # thresholds.toml key of a national or published reference
    reference_note: str | None = None

    @property
    def measures(self) -> tuple[Measure, ...]:
        return tuple(m for m in (self.numerator, self.denominator) if isinstance(m, Measure))

    @property
    def population(self) -> str | None:
        return self.denominator.column if isinstance(self.denominator, Population) else None

    @property
    def looks_back(self) -> bool:
        """Whether it counts a flag found by looking back from each record (``LOOKBACK_FLAGS``)."""
        return any(flag in LOOKBACK_FLAGS for measure in self.measures for flag in measure.where)

    @property
    def annualised(self) -> bool:
        """Population rates are per year (a period of 12 whole months as it is, any other scaled)."""
        return self.population is not None

    @property
    def event_date(self) -> str:
        return self.numerator.date

    @property
    def crime_series(self) -> bool:
        """Whether the June 2023 counting-rules change affects the series (it counts crimes or their
        outcomes, or is out of them)."""
        return any(m.date in CRIME_DATES or "is_crime" in m.where for m in self.measures)

    @property
    def target(self) -> Any:
        return thresholds()[self.target_key].value if self.target_key else None

    @property
    def reference_value(self) -> Any:
        """A national reference value, band (low, high) or levels, in the metric's value units."""
        return thresholds()[self.reference_key].value if self.reference_key else None

    @property
    def reference_source(self) -> str | None:
        return thresholds()[self.reference_key].source if self.reference_key else None


@dataclass(frozen=True)
class Indicator:
    number: int
    title: str
    question: str
    metric_ids: tuple[str, ...]
    headline: str


@dataclass(frozen=True)
class NotYetMeasured:
    name: str
    source: str
    why: str


def _count(id, name, question, measure, counts, unit, indicator, *, better="neither", source=APP,
           breakdowns=INCIDENT_BREAKDOWNS) -> Metric:
    return Metric(id=id, name=name, question=question, kind="count", numerator=measure, denominator=None,
                  counts=counts, out_of=None, unit=unit, better=better, source=source, indicator=indicator,
                  suppression=SUPPRESS_COUNT, breakdowns=breakdowns)


def _proportion(id, name, question, numerator, denominator, counts, out_of, better, indicator, *, source=APP,
                breakdowns=INCIDENT_BREAKDOWNS, **extra) -> Metric:
    return Metric(id=id, name=name, question=question, kind="proportion", numerator=numerator,
                  denominator=denominator, counts=counts, out_of=out_of, unit="share", better=better,
                  source=source, indicator=indicator, breakdowns=breakdowns, **extra)


def _population_rate(id, name, question, numerator, population, per, counts, out_of, unit, indicator, *,
                     better="neither", source=ONS, **extra) -> Metric:
    return Metric(id=id, name=name, question=question, kind="rate", numerator=numerator,
                  denominator=Population(population), counts=counts, out_of=out_of, unit=unit, better=better,
                  source=source, indicator=indicator, suppression=SUPPRESS_POPULATION_RATE, per=per, **extra)


def incidents(*where: str) -> Measure:
    return Measure("incidents", "reported_at", where)


def crimes(*where: str) -> Measure:
    return Measure("incidents", "crime_recorded_at", ("is_crime", *where))


def outcomes(*where: str) -> Measure:
    return Measure("incidents", "outcome_at", ("outcome_assigned", *where))


def notices(*where: str) -> Measure:
    return Measure("notices", "served_at", where)


def marac_cases(*where: str) -> Measure:
    return Measure("marac", "heard_at", where)


_METRICS: list[Metric] = [
    # 1 Demand
    _count("incidents", "Domestic abuse incidents", "How many domestic abuse incidents were reported?",
           incidents(), "Domestic abuse incidents reported to the police in the period.", "incidents", 1),
    _count("crimes", "Domestic abuse crimes", "How many domestic abuse crimes were recorded?", crimes(),
           "Domestic abuse crimes recorded in the period (dated by when the crime was recorded, not when the "
           "incident was reported).", "crimes", 1),
    _population_rate("incidents_per_1000", "Incidents per 1,000 people aged 16+",
                     "How much domestic abuse is reported for the size of the population?", incidents(),
                     "population_16plus", 1000, "Domestic abuse incidents reported in the period.",
                     "Every 1,000 residents aged 16 and over, a year.", "incidents per 1,000 people aged 16+ a year",
                     1),
    _population_rate("crimes_per_1000", "Crimes per 1,000 people aged 16+",
                     "How many domestic abuse crimes are recorded for the size of the population?", crimes(),
                     "population_16plus", 1000, "Domestic abuse crimes recorded in the period.",
                     "Every 1,000 residents aged 16 and over, a year.", "crimes per 1,000 people aged 16+ a year", 1),
    _proportion("crime_conversion_rate", "Incidents recorded as crimes",
                "What share of reported incidents become recorded crimes?", incidents("is_crime"), incidents(),
                "Incidents reported in the period that were recorded as a crime.",
                "Incidents reported in the period.", "neither", 1),
    # 2 Repeat victimisation
    _proportion("repeat_victim_rate", "Repeat victims",
                "What share of victims had suffered another incident in the year before?",
                Measure("incidents", "reported_at", ("repeat_victim_incident",), distinct="victim_id"),
                Measure("incidents", "reported_at", distinct="victim_id"),
                "Victims with an incident in the period who had also been the victim of an earlier incident in "
                "the 365 days before it, anywhere in the force.",
                "Victims with an incident in the period, each counted once, where their last incident of the "
                "period happened.", "lower", 2),
    _proportion("repeat_incident_rate", "Repeat incidents",
                "What share of incidents are against a victim with an incident in the year before?",
                incidents("repeat_victim_incident"), incidents(),
                "Incidents in the period whose victim had an earlier incident in the 365 days before.",
                "Incidents reported in the period.", "lower", 2),
    _proportion("repeat_suspect_rate", "Repeat suspects",
                "What share of incidents with a suspect involve a suspect with an incident in the year before?",
                incidents("repeat_suspect_incident"), incidents("has_suspect"),
                "Incidents in the period whose suspect had an earlier incident in the 365 days before.",
                "Incidents reported in the period with a suspect identified.", "lower", 2),
    _count("serial_perpetrators", "Serial perpetrators", "How many suspects are abusing more than one victim?",
           Measure("incidents", "reported_at", ("serial_incident",), distinct="suspect_id"),
           "Suspects with an incident in the period who, over the 365 days up to that incident, abused two or "
           "more different victims; each counted once, where their last incident of the period happened.",
           "suspects", 2, breakdowns=()),
    # 3 Risk
    _proportion("risk_assessed_rate", "Incidents risk-assessed", "Do we assess the risk at every incident?",
                incidents("risk_assessed"), incidents(), "Incidents with a risk assessment recorded.",
                "Incidents reported in the period.", "higher", 3),
    _proportion("high_risk_rate", "Incidents graded high risk", "What share of assessed incidents are high risk?",
                incidents("high_risk"), incidents("risk_assessed"), "Incidents assessed as high risk.",
                "Incidents with a risk assessment recorded.", "neither", 3),
    _proportion("high_risk_marac_referral_rate", "High-risk victims referred to MARAC",
                "Are the highest-risk victims referred to MARAC?", incidents("high_risk_referred_to_marac"),
                incidents("high_risk"),
                "High-risk incidents whose victim was referred to a MARAC between the day of the incident and "
                "28 days after it.", "Incidents assessed as high risk.", "higher", 3, source=SAFELIVES),
    # 4 Positive action
    _count("arrests", "Arrests", "How many arrests for domestic abuse were made?",
           Measure("arrests", "arrested_at"),
           "Arrests for a domestic abuse offence made in the period (in the division that made them, and the "
           "partnership of the incident they arose from).", "arrests", 4, source=ONS, breakdowns=()),
    Metric(id="arrests_per_100_crimes", name="Arrests per 100 crimes",
           question="How many arrests are made for every 100 domestic abuse crimes?", kind="rate",
           numerator=Measure("arrests", "arrested_at"), denominator=crimes(),
           counts="Arrests made in the period.",
           out_of="Every 100 domestic abuse crimes recorded in the period (two counts side by side, as the ONS "
                  "publishes them: an arrest need not be for one of these crimes).",
           unit="arrests per 100 crimes", better="higher", source=ONS, indicator=4, per=100),
    _proportion("arrest_rate_where_power", "Arrest where a power of arrest existed",
                "When we could arrest, did we?", incidents("had_power_of_arrest", "linked_arrest"),
                incidents("had_power_of_arrest"),
                "Incidents where there were grounds to arrest and at least one arrest was made for the incident.",
                "Incidents reported in the period where there were grounds to arrest.", "higher", 4, source=LONDON,
                reference_key="arrest_where_power_levels",
                reference_note="The London strategy's levels one, two and three: 50%, 65% and 80%"),
    _proportion("no_arrest_reason_recorded_rate", "Reason recorded when no arrest",
                "When we did not arrest, did we say why?", incidents("power_no_arrest", "no_arrest_reason_recorded"),
                incidents("power_no_arrest"), "Of those incidents with no arrest, the ones where the reason is recorded.",
                "Incidents where there were grounds to arrest and no arrest was made.", "higher", 4),
    # 5 Justice
    _count("outcomes_assigned", "Outcomes assigned", "How many crimes reached an outcome?", outcomes(),
           "Crimes given a Home Office outcome (types 1 to 22) in the period; crimes still awaiting an outcome "
           "are never counted.", "crimes", 5, source=HOME_OFFICE_OUTCOMES),
    _proportion("charge_rate", "Charged or summonsed", "What share of outcomes are a charge or summons?",
                outcomes("charged"), outcomes(), "Outcomes in the period that were a charge or summons.",
                "Crimes given an outcome in the period.", "higher", 5, source=HOME_OFFICE_OUTCOMES),
    # 6 Attrition
    _proportion("outcome_16_rate", "Victim does not support action (outcome 16)",
                "How often is a case closed because the victim does not support action?", outcomes("outcome_16"),
                outcomes(), "Outcomes in the period closed because the victim did not support further action, "
                "although a suspect was identified (outcome 16).", "Crimes given an outcome in the period.",
                "lower", 6, source=HOME_OFFICE_OUTCOMES),
    _proportion("outcome_15_rate", "Evidential difficulties, victim supports (outcome 15)",
                "How often does a case fail on evidence although the victim supports action?",
                outcomes("outcome_15"), outcomes(),
                "Outcomes in the period closed for evidential difficulties although the victim supported action "
                "(outcome 15).", "Crimes given an outcome in the period.", "lower", 6, source=HOME_OFFICE_OUTCOMES),
    _proportion("evidential_difficulties_rate", "Evidential difficulties (outcomes 14 to 16)",
                "How many cases are lost to evidential difficulties?", outcomes("evidential_difficulties"),
                outcomes(), "Outcomes in the period closed for evidential difficulties (outcomes 14, 15 and 16).",
                "Crimes given an outcome in the period.", "lower", 6, source=HOME_OFFICE_OUTCOMES),
    _proportion("cps_charging_rate", "CPS charging rate", "When the CPS decides, does it charge?",
                Measure("incidents", "cps_decision_at", ("cps_decided", "cps_charged")),
                Measure("incidents", "cps_decision_at", ("cps_decided",)),
                "Decisions of the Crown Prosecution Service in the period to charge.",
                "CPS decisions in the period to charge, to take no further action or to give an out-of-court "
                "disposal.", "higher", 6, source=ONS),
    _proportion("conviction_rate", "Conviction rate", "When a case reaches a result, is it a conviction?",
                Measure("incidents", "court_result_at", ("court_decided", "convicted")),
                Measure("incidents", "court_result_at", ("court_decided",)),
                "Court results in the period that were a conviction.",
                "Court results in the period: convictions, acquittals and discontinued cases.", "higher", 6,
                source=ONS),
    # 7 Protective orders
    _count("notices_served", "Protection notices served", "How often do we use protection notices?", notices(),
           "Domestic violence and domestic abuse protection notices served in the period.", "notices", 7, source=ONS,
           breakdowns=("scheme",)),
    _proportion("order_application_rate", "Notices followed by an order application",
                "After a notice, do we apply for the order?", notices("applied"), notices(),
                "Notices served in the period after which an order was applied for.",
                "Notices served in the period.", "higher", 7, source=ONS, breakdowns=("scheme",)),
    _proportion("order_grant_rate", "Orders granted", "When we apply for an order, is it granted?",
                notices("granted"), notices("granted_or_refused"),
                "Orders granted, for notices served in the period.",
                "Orders granted or refused, for notices served in the period.", "higher", 7, source=ONS,
                breakdowns=("scheme",)),
    _proportion("order_heard_within_48h_rate", "Orders heard within 48 hours",
                "Is the order heard within 48 hours of the notice, as the law requires?", notices("heard_in_time"),
                notices("heard"),
                "Order applications heard within 48 hours of the notice being served, not counting Sundays and "
                "bank holidays.", "Order applications with a hearing, for notices served in the period.", "higher",
                7, source=CSA_2010, breakdowns=("scheme",)),
    _proportion("order_breach_rate", "Orders breached", "Are granted orders breached?", notices("breached"),
                notices("granted"), "Granted orders breached at least once.",
                "Orders granted, for notices served in the period.", "lower", 7, source=ONS, breakdowns=("scheme",)),
    _proportion("bail_conditions_share", "Bail with conditions",
                "When a suspect is released, do we protect the victim with bail conditions?",
                Measure("arrests", "arrested_at", ("bail_conditions",)),
                Measure("arrests", "arrested_at", ("bail_or_rui",)),
                "Arrests in the period after which the suspect was bailed with conditions.",
                "Arrests in the period after which the suspect was bailed, with or without conditions, or "
                "released under investigation.", "higher", 7, source=ONS, breakdowns=()),
    # 8 Clare's Law
    _count("dvds_applications", "DVDS applications", "How many Clare's Law applications do we receive?",
           Measure("dvds", "received_at"), "Clare's Law applications received in the period, by route.",
           "applications", 8, source=ONS, breakdowns=("route",)),
    _proportion("dvds_disclosure_rate", "DVDS disclosures", "When we decide, how often do we disclose?",
                Measure("dvds", "decision_at", ("decided", "disclosed")), Measure("dvds", "decision_at", ("decided",)),
                "Decisions in the period to disclose, by route.",
                "Decisions in the period to disclose or not to disclose.", "neither", 8, source=ONS,
                breakdowns=("route",)),
    _proportion("dvds_initial_checks_24h_rate", "DVDS initial checks within 24 hours",
                "Do we complete the initial checks within 24 hours?", Measure("dvds", "received_at", ("checks_in_time",)),
                Measure("dvds", "received_at"),
                "Applications received in the period whose initial checks were completed within 24 hours of "
                "receipt (checks with no date recorded count as not done).",
                "Applications received in the period.", "higher", 8, source=APP_DVDS, breakdowns=("route",)),
    _proportion("dvds_decided_within_28d_rate", "DVDS decided within 28 days",
                "Do we decide within 28 days of receipt?", Measure("dvds", "decision_at", ("decided", "decided_in_time")),
                Measure("dvds", "decision_at", ("decided",)),
                "Decisions in the period made within 28 days of the application being received.",
                "Decisions in the period to disclose or not to disclose.", "higher", 8, source=HOME_OFFICE_DVDS,
                breakdowns=("route",)),
    # 9 MARAC
    _count("marac_cases", "MARAC cases heard", "How many cases does the MARAC hear?", marac_cases(),
           "Cases discussed at a MARAC meeting in the period.", "cases", 9, source=SAFELIVES, breakdowns=()),
    _population_rate("marac_cases_per_10k_women", "MARAC cases per 10,000 women",
                     "Is the MARAC hearing as many cases as the population suggests it should?", marac_cases(),
                     "population_female_16plus", 10000, "Cases discussed at a MARAC meeting in the period.",
                     "Every 10,000 women aged 16 and over, a year.", "cases per 10,000 women aged 16+ a year", 9,
                     better="toward", source=SAFELIVES, target_key="marac_cases_per_10k_women_recommended",
                     reference_key="marac_cases_per_10k_women_recommended",
                     reference_note="SafeLives recommends 40 cases a year for every 10,000 women aged 16 and over"),
    _proportion("marac_repeat_rate", "MARAC repeat cases", "How many MARAC cases are repeats?",
                marac_cases("is_repeat"), marac_cases(),
                "Cases heard that are repeats: as the MARAC recorded it, or else a referral of the same victim "
                "within the 365 days before.", "Cases heard in the period.", "neither", 9, source=SAFELIVES,
                breakdowns=(), reference_key="marac_repeat_rate_band",
                reference_note="SafeLives expects between 28% and 40% of cases to be repeats"),
    _proportion("marac_partner_referral_share", "MARAC referrals by partners",
                "Are agencies other than the police referring to MARAC?", marac_cases("partner_referral"),
                marac_cases(), "Cases heard that were referred by an agency other than the police.",
                "Cases heard in the period.", "higher", 9, source=SAFELIVES, breakdowns=()),
    _proportion("marac_actions_completed_rate", "MARAC actions completed", "Are the agreed actions done?",
                Measure("marac", "heard_at", ("actions_recorded",), sum_of="actions_completed"),
                Measure("marac", "heard_at", ("actions_recorded",), sum_of="actions_agreed"),
                "Actions completed, for cases heard in the period with both counts recorded.",
                "Actions agreed at those meetings.", "higher", 9, source=SAFELIVES, breakdowns=()),
    _proportion("marac_no_further_incident_6m_rate", "No further incident six months after MARAC",
                "After the MARAC, is the victim safe?", marac_cases("has_follow_up", "no_further_incident"),
                marac_cases("has_follow_up"),
                "Cases heard in the period whose victim had no further incident reported in the 183 days after "
                "the meeting.", "Cases heard in the period with 183 days of data after the meeting.", "higher", 9,
                source=APP, breakdowns=()),
    _proportion("marac_share_racially_minoritised", "MARAC victims racially minoritised",
                "Does the MARAC reach racially minoritised victims?",
                marac_cases("ethnicity_known", "racially_minoritised"), marac_cases("ethnicity_known"),
                "Cases whose victim is Asian, Black, of mixed or of another ethnic group.",
                "Cases heard in the period with the victim's ethnicity recorded.", "toward", 9, source=SAFELIVES,
                breakdowns=()),
    _proportion("marac_share_lgbt", "MARAC victims LGBT+", "Does the MARAC reach LGBT+ victims?",
                marac_cases("lgbt_known", "lgbt"), marac_cases("lgbt_known"), "Cases whose victim is LGBT+.",
                "Cases heard in the period with this recorded.", "toward", 9, source=SAFELIVES, breakdowns=()),
    _proportion("marac_share_disabled", "MARAC victims disabled", "Does the MARAC reach disabled victims?",
                marac_cases("disability_known", "disabled"), marac_cases("disability_known"),
                "Cases whose victim is disabled.", "Cases heard in the period with this recorded.", "toward", 9,
                source=SAFELIVES, breakdowns=()),
    _proportion("marac_share_male", "MARAC victims male", "Does the MARAC reach male victims?",
                marac_cases("sex_known", "male"), marac_cases("sex_known"), "Cases whose victim is male.",
                "Cases heard in the period with the victim's sex recorded.", "toward", 9, source=SAFELIVES,
                breakdowns=()),
    _proportion("marac_share_aged_16_17", "MARAC victims aged 16 to 17", "Does the MARAC reach victims aged 16 to 17?",
                marac_cases("age_known", "aged_16_17"), marac_cases("age_known"), "Cases whose victim is aged 16 or 17.",
                "Cases heard in the period with the victim's age recorded.", "toward", 9, source=SAFELIVES,
                breakdowns=()),
    # Outside the nine
    _count("domestic_homicides", "Domestic homicides", "How many domestic homicides were recorded?",
           crimes("is_homicide"), "Crimes recorded in the period whose offence is a homicide.", "crimes", None,
           better="lower", breakdowns=()),
    _proportion("attendance_within_target_rate", "Attended within target",
                "Do we reach incidents within the call grade's target time?", incidents("attended_within_target"),
                incidents("attendance_graded"),
                "Emergency and priority incidents attended within the call grade's target (15 minutes for an "
                "emergency, 60 for a priority call, unless the force sets its own).",
                "Emergency and priority incidents reported in the period that were attended.", "higher", None,
                source=CATALOGUE, breakdowns=("call_grade",) + INCIDENT_BREAKDOWNS),
]

METRICS: dict[str, Metric] = {metric.id: metric for metric in _METRICS}

INDICATORS: list[Indicator] = [
    Indicator(1, "Demand", "Are we seeing and recording domestic abuse?",
              ("incidents", "crimes", "incidents_per_1000", "crimes_per_1000", "crime_conversion_rate"),
              "incidents_per_1000"),
    Indicator(2, "Repeat victimisation", "Who is suffering again?",
              ("repeat_victim_rate", "repeat_incident_rate", "repeat_suspect_rate", "serial_perpetrators"),
              "repeat_victim_rate"),
    Indicator(3, "Risk", "Do we assess it and refer the highest-risk victims?",
              ("risk_assessed_rate", "high_risk_rate", "high_risk_marac_referral_rate"),
              "high_risk_marac_referral_rate"),
    Indicator(4, "Positive action", "Do we arrest?",
              ("arrests", "arrests_per_100_crimes", "arrest_rate_where_power", "no_arrest_reason_recorded_rate"),
              "arrest_rate_where_power"),
    Indicator(5, "Justice", "Do we charge?", ("outcomes_assigned", "charge_rate"), "charge_rate"),
    Indicator(6, "Attrition", "Why are cases lost?",
              ("outcome_16_rate", "outcome_15_rate", "evidential_difficulties_rate", "cps_charging_rate",
               "conviction_rate"), "outcome_16_rate"),
    Indicator(7, "Protective orders", "Do we use our powers?",
              ("notices_served", "order_application_rate", "order_grant_rate", "order_heard_within_48h_rate",
               "order_breach_rate", "bail_conditions_share"), "order_application_rate"),
    Indicator(8, "Clare's Law", "Do we disclose well and on time?",
              ("dvds_applications", "dvds_disclosure_rate", "dvds_initial_checks_24h_rate",
               "dvds_decided_within_28d_rate"), "dvds_decided_within_28d_rate"),
    Indicator(9, "MARAC", "Is the partnership reaching the right cases?",
              ("marac_cases", "marac_cases_per_10k_women", "marac_repeat_rate", "marac_partner_referral_share",
               "marac_actions_completed_rate", "marac_no_further_incident_6m_rate",
               "marac_share_racially_minoritised", "marac_share_lgbt", "marac_share_disabled", "marac_share_male",
               "marac_share_aged_16_17"), "marac_cases_per_10k_women"),
]
HEADLINE_IDS: tuple[str, ...] = tuple(indicator.headline for indicator in INDICATORS)

INDICATORS_SOURCE = (
    "The College of Policing's Authorised Professional Practice tells senior leaders to consider nine pieces of "
    "data for routine monitoring without listing them. These nine are drawn from its list of performance "
    "measures, the inspectorate's three warning signs (slow attendance, low arrest rates, and cases closed "
    "because the victim does not support action) and the national definitions."
)

NOT_YET_MEASURED: list[NotYetMeasured] = [
    NotYetMeasured("Service user feedback on service provision", APP,
                   "No extract carries victims' feedback: it needs a survey or feedback return that the "
                   "five extracts do not include."),
    NotYetMeasured("Feedback from other domestic abuse service providers", APP,
                   "No extract carries partner agencies' feedback: it needs a partnership survey or return "
                   "that the five extracts do not include."),
]


def indicator_of(metric_id: str) -> Indicator | None:
    return next((i for i in INDICATORS if metric_id in i.metric_ids), None)


def all_measures(metric_ids=None) -> list[Measure]:
    """Every distinct measure the metrics asked for (all by default) count, in registry order."""
    found: dict[str, Measure] = {}
    for metric_id in metric_ids or METRICS:
        for measure in METRICS[metric_id].measures:
            found.setdefault(measure.key, measure)
    return list(found.values())
