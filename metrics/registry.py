"""The metric registry: one declaration per metric of the catalogue (../shared/spec/metrics.md).

A metric is data: what it counts, over what, which way is better, where the definition comes from. The
counting rules live once in ``sql/metrics/<sql>.sql`` (which returns ``<id>__num`` / ``<id>__den``
columns); ``metrics.compute`` turns numerators and denominators into values. Thresholds and reference
values live in ``metrics/thresholds.toml`` with their provenance and are read through ``metrics.config``.

Value conventions (the export of the catalogue's last section):
- count: value = numerator; denominator is null.
- proportion: value = numerator / denominator, a fraction 0-1, with a 95% Wilson interval.
- rate: value = numerator / denominator x ``per``; the denominator is the base itself (a population, or
  crimes). Population rates are annualised: value = count x 365.25 / days in period / (population / per).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from metrics.config import thresholds

Kind = Literal["count", "proportion", "rate"]
Better = Literal["higher", "lower", "neither", "toward"]

# Sources, cited as the catalogue cites them.
APP = ("College of Policing APP, leadership, management and partnership: performance management "
       "measures (seed 002_515fc753fda679d4.txt)")
APP_DVDS = "College of Policing APP (seed 002_515fc753fda679d4.txt): DVDS initial checks within 24 hours"
LONDON = ("Second London Domestic Violence Strategy (seed 003_8cfa461dd5c6a4fe.txt): arrest where a power "
          "of arrest exists; National Action Plan indicators")
ONS = "ONS, Domestic abuse and the criminal justice system"
SAFELIVES = "SafeLives MARAC dataset"
HOME_OFFICE_OUTCOMES = "Home Office crime outcomes framework (outcome types 1-22)"
HOME_OFFICE_DVDS = "Home Office Domestic Violence Disclosure Scheme statutory guidance"
CSA_2010 = "Crime and Security Act 2010 ss.24-33 (DVPN / DVPO); Domestic Abuse Act 2021 (DAPN / DAPO)"
CATALOGUE = "Metric catalogue (spec/metrics.md), derived from the APP measures list"

# Suppression rules (applied by metrics.suppression for partnership and public audiences).
SUPPRESS_COUNT = "counts 1-4 shown as <5; secondary suppression so a total cannot reveal a hidden cell"
SUPPRESS_RATE = "not shown when the denominator is under 10 cases; numerator counts 1-4 shown as <5"
SUPPRESS_POPULATION_RATE = "not shown when the count is 1-4"

INCIDENT_BREAKDOWNS = ("relationship", "victim_sex", "age_band", "victim_ethnicity", "victim_disability",
                       "risk_level", "children_present", "offence_group")


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    question: str
    numerator: str
    denominator: str | None
    kind: Kind
    event_date: str
    unit: str
    better: Better
    source: str
    sql: str                                  # sql/metrics/<sql>.sql computes it
    indicator: int | None                     # 1-9, or None outside the nine
    suppression: str = SUPPRESS_RATE
    per: int | None = None                    # rates: 100, 1,000 or 10,000
    breakdowns: tuple[str, ...] = ()
    population: str | None = None             # rates on a population: csps column summed over the unit
    numerator_of: str | None = None           # population rates: the count metric whose value is counted
    annualised: bool = False
    target_key: str | None = None             # thresholds.toml key of the value to aim toward
    reference_key: str | None = None          # thresholds.toml key of a national / published reference
    reference_note: str | None = None

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


def _count(id, name, question, numerator, event_date, unit, sql, indicator, *, better="neither",
           source=APP, breakdowns=INCIDENT_BREAKDOWNS) -> Metric:
    return Metric(id=id, name=name, question=question, numerator=numerator, denominator=None, kind="count",
                  event_date=event_date, unit=unit, better=better, source=source, sql=sql,
                  indicator=indicator, suppression=SUPPRESS_COUNT, breakdowns=breakdowns)


def _proportion(id, name, question, numerator, denominator, event_date, better, sql, indicator, *,
                source=APP, breakdowns=INCIDENT_BREAKDOWNS, **extra) -> Metric:
    return Metric(id=id, name=name, question=question, numerator=numerator, denominator=denominator,
                  kind="proportion", event_date=event_date, unit="proportion", better=better, source=source,
                  sql=sql, indicator=indicator, breakdowns=breakdowns, **extra)


def _population_rate(id, name, question, numerator_of, population, per, unit, event_date, sql, indicator,
                     *, better="neither", source=ONS, **extra) -> Metric:
    return Metric(id=id, name=name, question=question,
                  numerator=f"{numerator_of} in the period, annualised (x 365.25 / days in the period)",
                  denominator=f"{population.replace('_', ' ')} / {per:,}", kind="rate", per=per,
                  event_date=event_date, unit=unit, better=better, source=source, sql=sql, indicator=indicator,
                  suppression=SUPPRESS_POPULATION_RATE, population=population, numerator_of=numerator_of,
                  annualised=True, **extra)


_METRICS: list[Metric] = [
    # 1 Demand
    _count("incidents", "Domestic abuse incidents", "How many domestic abuse incidents were reported?",
           "incidents reported in the period", "reported_at", "incidents", "incidents", 1),
    _count("crimes", "Domestic abuse crimes", "How many domestic abuse crimes were recorded?",
           "incidents with a crime_ref whose crime_recorded_at is in the period", "crime_recorded_at", "crimes",
           "crimes", 1),
    _population_rate("incidents_per_1000", "Incidents per 1,000 people aged 16+",
                     "How much domestic abuse is reported for the size of the population?", "incidents",
                     "population_16plus", 1000, "incidents per 1,000 population aged 16+ a year", "reported_at",
                     "incidents", 1),
    _population_rate("crimes_per_1000", "Crimes per 1,000 people aged 16+",
                     "How many domestic abuse crimes are recorded for the size of the population?", "crimes",
                     "population_16plus", 1000, "crimes per 1,000 population aged 16+ a year",
                     "crime_recorded_at", "crimes", 1),
    _proportion("crime_conversion_rate", "Incidents recorded as crimes",
                "What share of reported incidents become recorded crimes?",
                "incidents reported in the period that have a crime_ref", "incidents reported in the period",
                "reported_at", "neither", "incidents", 1),
    # 2 Repeat victimisation
    _proportion("repeat_victim_rate", "Repeat victims",
                "What share of victims had suffered another incident in the year before?",
                "distinct victims with an incident in the period that had an earlier incident for the same "
                "victim within the 365 days before it (whole force history)",
                "distinct victims with an incident in the period (each counted once, at the unit of their "
                "last incident in the period)", "reported_at", "lower", "repeat_victims", 2),
    _proportion("repeat_incident_rate", "Repeat incidents",
                "What share of incidents are against a victim with an incident in the year before?",
                "incidents in the period whose victim had an earlier incident within the 365 days before",
                "incidents in the period", "reported_at", "lower", "incidents", 2),
    _proportion("repeat_suspect_rate", "Repeat suspects",
                "What share of incidents with a suspect involve a suspect with an incident in the year before?",
                "incidents in the period with a suspect who had an earlier incident within the 365 days before",
                "incidents in the period with a suspect", "reported_at", "lower", "incidents", 2),
    _count("serial_perpetrators", "Serial perpetrators",
           "How many suspects are abusing more than one victim?",
           "distinct suspects with an incident in the period who, over the 365 days ending at that incident, "
           "have incidents against two or more distinct victims (each counted once, at the unit of their "
           "last incident in the period)", "reported_at", "suspects", "serial_perpetrators", 2, breakdowns=()),
    # 3 Risk
    _proportion("risk_assessed_rate", "Incidents risk-assessed",
                "Do we assess the risk at every incident?",
                "incidents with risk_level other than not_assessed", "incidents", "reported_at", "higher",
                "incidents", 3),
    _proportion("high_risk_rate", "Incidents graded high risk",
                "What share of assessed incidents are high risk?", "incidents graded high",
                "incidents risk-assessed", "reported_at", "neither", "incidents", 3),
    _proportion("high_risk_marac_referral_rate", "High-risk victims referred to MARAC",
                "Are the highest-risk victims referred to MARAC?",
                "high-risk incidents whose victim has a MARAC referral from the incident's date to 28 days "
                "after (window in thresholds.toml)", "high-risk incidents", "reported_at", "higher",
                "incidents", 3, source=SAFELIVES),
    # 4 Positive action
    _count("arrests", "Arrests", "How many arrests for domestic abuse were made?",
           "arrests in the period (division of the arrest; CSP of its incident)", "arrested_at", "arrests",
           "arrests", 4, source=ONS, breakdowns=()),
    Metric(id="arrests_per_100_crimes", name="Arrests per 100 crimes",
           question="How many arrests are made for every 100 domestic abuse crimes?",
           numerator="arrests in the period",
           denominator="crimes recorded in the period / 100 (ONS definition: two counts, not linked)",
           kind="rate", per=100, event_date="arrested_at (arrests), crime_recorded_at (crimes)",
           unit="arrests per 100 crimes", better="higher", source=ONS, sql="arrests", indicator=4),
    _proportion("arrest_rate_where_power", "Arrest where a power of arrest existed",
                "When we could arrest, did we?",
                "incidents with power_of_arrest true that have at least one arrest linked to them",
                "incidents with power_of_arrest true", "reported_at", "higher", "incidents", 4, source=LONDON,
                reference_key="arrest_where_power_levels",
                reference_note="London strategy levels one, two and three: 50%, 65% and 80%"),
    _proportion("no_arrest_reason_recorded_rate", "Reason recorded when no arrest",
                "When we did not arrest, did we say why?",
                "power-of-arrest incidents with no arrest that have a no_arrest_reason",
                "power-of-arrest incidents with no arrest", "reported_at", "higher", "incidents", 4),
    # 5 Justice
    _count("outcomes_assigned", "Outcomes assigned",
           "How many crimes reached an outcome?",
           "crimes whose outcome_at is in the period and outcome type is 1-22 (type 0 never counted)",
           "outcome_at", "crimes", "outcomes", 5, source=HOME_OFFICE_OUTCOMES),
    _proportion("charge_rate", "Charged or summonsed",
                "What share of outcomes are a charge or summons?", "outcomes assigned of type 1 or 1A",
                "outcomes assigned (types 1-22)", "outcome_at", "higher", "outcomes", 5,
                source=HOME_OFFICE_OUTCOMES),
    # 6 Attrition
    _proportion("outcome_16_rate", "Victim does not support action (outcome 16)",
                "How often is a case closed because the victim does not support action?",
                "outcomes assigned of type 16", "outcomes assigned (types 1-22)", "outcome_at", "lower",
                "outcomes", 6, source=HOME_OFFICE_OUTCOMES),
    _proportion("outcome_15_rate", "Evidential difficulties, victim supports (outcome 15)",
                "How often does a case fail on evidence although the victim supports action?",
                "outcomes assigned of type 15", "outcomes assigned (types 1-22)", "outcome_at", "lower",
                "outcomes", 6, source=HOME_OFFICE_OUTCOMES),
    _proportion("evidential_difficulties_rate", "Evidential difficulties (outcomes 14-16)",
                "How many cases are lost to evidential difficulties?", "outcomes assigned of type 14, 15 or 16",
                "outcomes assigned (types 1-22)", "outcome_at", "lower", "outcomes", 6,
                source=HOME_OFFICE_OUTCOMES),
    _proportion("cps_charging_rate", "CPS charging rate", "When the CPS decides, does it charge?",
                "CPS decisions in the period that are charge", "decisions charge + nfa + oocd",
                "cps_decision_at", "higher", "cps_decisions", 6, source=ONS),
    _proportion("conviction_rate", "Conviction rate", "When a case reaches a result, is it a conviction?",
                "court results in the period that are convicted",
                "results convicted + acquitted + discontinued", "court_result_at", "higher", "court_results", 6,
                source=ONS),
    # 7 Protective orders
    _count("notices_served", "Protection notices served", "How often do we use protection notices?",
           "notices served in the period, by scheme (DVPN, DAPN)", "served_at", "notices",
           "protective_orders", 7, source=ONS, breakdowns=("scheme",)),
    _proportion("order_application_rate", "Notices followed by an order application",
                "After a notice, do we apply for the order?",
                "notices served in the period with an order applied for (an application date, or an outcome "
                "only an application can have)", "notices served in the period", "served_at", "higher",
                "protective_orders", 7, source=ONS, breakdowns=("scheme",)),
    _proportion("order_grant_rate", "Orders granted", "When we apply for an order, is it granted?",
                "applications granted (notices served in the period)", "applications granted + refused",
                "served_at", "higher", "protective_orders", 7, source=ONS, breakdowns=("scheme",)),
    _proportion("order_heard_within_48h_rate", "Orders heard within 48 hours",
                "Is the order heard within 48 hours of the notice, as the law requires?",
                "applications heard within 48 hours of service, Sundays and England and Wales bank holidays "
                "not counted", "applications with a hearing (notices served in the period)", "served_at",
                "higher", "protective_orders", 7, source=CSA_2010, breakdowns=("scheme",)),
    _proportion("order_breach_rate", "Orders breached", "Are granted orders breached?",
                "granted orders with one or more breaches", "granted orders (notices served in the period)",
                "served_at", "lower", "protective_orders", 7, source=ONS, breakdowns=("scheme",)),
    _proportion("bail_conditions_share", "Bail with conditions",
                "When a suspect is released, do we protect the victim with bail conditions?",
                "arrests in the period with disposal bail_conditions",
                "disposals bail_conditions + bail_no_conditions + rui", "arrested_at", "higher", "arrests", 7,
                source=ONS, breakdowns=()),
    # 8 Clare's Law
    _count("dvds_applications", "DVDS applications", "How many Clare's Law applications do we receive?",
           "applications received in the period, by route", "received_at", "applications", "dvds_received", 8,
           source=ONS, breakdowns=("route",)),
    _proportion("dvds_disclosure_rate", "DVDS disclosures", "When we decide, how often do we disclose?",
                "decisions in the period that are disclosure, by route", "decisions disclosure + no_disclosure",
                "decision_at", "neither", "dvds_decisions", 8, source=ONS, breakdowns=("route",)),
    _proportion("dvds_initial_checks_24h_rate", "DVDS initial checks within 24 hours",
                "Do we complete the initial checks within 24 hours?",
                "applications received in the period whose initial checks were done within 24 hours of "
                "receipt (none recorded counts as not)", "applications received in the period", "received_at",
                "higher", "dvds_received", 8, source=APP_DVDS, breakdowns=("route",)),
    _proportion("dvds_decided_within_28d_rate", "DVDS decided within 28 days",
                "Do we decide within 28 days of receipt?", "decisions in the period made within 28 days of receipt",
                "decisions (disclosure / no_disclosure) in the period", "decision_at", "higher", "dvds_decisions",
                8, source=HOME_OFFICE_DVDS, breakdowns=("route",)),
    # 9 MARAC
    _count("marac_cases", "MARAC cases heard", "How many cases does the MARAC hear?",
           "cases heard in the period", "heard_at", "cases", "marac", 9, source=SAFELIVES, breakdowns=()),
    _population_rate("marac_cases_per_10k_women", "MARAC cases per 10,000 women",
                     "Is the MARAC hearing as many cases as the population suggests it should?", "marac_cases",
                     "population_female_16plus", 10000, "cases per 10,000 women aged 16+ a year", "heard_at",
                     "marac", 9, better="toward", source=SAFELIVES,
                     target_key="marac_cases_per_10k_women_recommended",
                     reference_key="marac_cases_per_10k_women_recommended",
                     reference_note="SafeLives recommends 40 cases per 10,000 women aged 16+ a year"),
    _proportion("marac_repeat_rate", "MARAC repeat cases", "How many MARAC cases are repeats?",
                "cases heard that are repeats: repeat_flag where recorded, else a referral of the same victim "
                "within the 365 days before", "marac_cases", "heard_at", "neither", "marac", 9,
                source=SAFELIVES, breakdowns=(), reference_key="marac_repeat_rate_band",
                reference_note="SafeLives expects a repeat rate of 28-40%"),
    _proportion("marac_partner_referral_share", "MARAC referrals by partners",
                "Are agencies other than the police referring to MARAC?",
                "cases referred by an agency other than the police", "marac_cases", "heard_at", "higher", "marac",
                9, source=SAFELIVES, breakdowns=()),
    _proportion("marac_actions_completed_rate", "MARAC actions completed", "Are the agreed actions done?",
                "actions completed (cases heard in the period with both counts recorded)", "actions agreed",
                "heard_at", "higher", "marac", 9, source=SAFELIVES, breakdowns=()),
    _proportion("marac_no_further_incident_6m_rate", "No further incident six months after MARAC",
                "After the MARAC, is the victim safe?",
                "cases heard in the period whose victim has no further incident in the 183 days after the "
                "meeting", "cases heard in the period with 183 days of data after the meeting", "heard_at",
                "higher", "marac", 9, source=APP, breakdowns=()),
    _proportion("marac_share_racially_minoritised", "MARAC victims racially minoritised",
                "Does the MARAC reach racially minoritised victims?",
                "cases whose victim's ethnicity is asian, black, mixed or other",
                "marac_cases with ethnicity known (not null, not not_stated)", "heard_at", "toward", "marac", 9,
                source=SAFELIVES, breakdowns=()),
    _proportion("marac_share_lgbt", "MARAC victims LGBT+", "Does the MARAC reach LGBT+ victims?",
                "cases whose victim is LGBT+", "marac_cases with victim_lgbt yes or no", "heard_at", "toward",
                "marac", 9, source=SAFELIVES, breakdowns=()),
    _proportion("marac_share_disabled", "MARAC victims disabled", "Does the MARAC reach disabled victims?",
                "cases whose victim is disabled", "marac_cases with victim_disability yes or no", "heard_at",
                "toward", "marac", 9, source=SAFELIVES, breakdowns=()),
    _proportion("marac_share_male", "MARAC victims male", "Does the MARAC reach male victims?",
                "cases whose victim is male", "marac_cases with victim_sex female, male or other", "heard_at",
                "toward", "marac", 9, source=SAFELIVES, breakdowns=()),
    _proportion("marac_share_aged_16_17", "MARAC victims aged 16-17", "Does the MARAC reach victims aged 16-17?",
                "cases whose victim is aged 16 or 17", "marac_cases with victim_age known", "heard_at", "toward",
                "marac", 9, source=SAFELIVES, breakdowns=()),
    # Outside the nine
    _count("domestic_homicides", "Domestic homicides", "How many domestic homicides were recorded?",
           "crimes recorded in the period whose offence code is a homicide (offence_codes.is_homicide)",
           "crime_recorded_at", "crimes", "crimes", None, better="lower", breakdowns=()),
    _proportion("attendance_within_target_rate", "Attended within target",
                "Do we reach incidents within the call grade's target time?",
                "incidents attended within the grade's target (emergency 15 min, priority 60 min; "
                "thresholds.toml)", "emergency and priority incidents attended", "reported_at", "higher",
                "incidents", None, source=CATALOGUE, breakdowns=("call_grade",) + INCIDENT_BREAKDOWNS),
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

INDICATORS_SOURCE = (
    "The APP (seed 002_515fc753fda679d4.txt) tells senior leaders to consider nine pieces of data for routine "
    "monitoring without listing them; these nine are derived from its performance management measures, the "
    "inspectorate's three warning flags (slow attendance, low arrest rates, cases closed because the victim "
    "does not support action) and the national definitions."
)

NOT_YET_MEASURED: list[NotYetMeasured] = [
    NotYetMeasured("Service user feedback on service provision", APP,
                   "No extract carries victims' feedback: it needs a survey or feedback return that the "
                   "five extracts do not include."),
    NotYetMeasured("Feedback from other domestic abuse service providers", APP,
                   "No extract carries partner agencies' feedback: it needs a partnership survey or return "
                   "that the five extracts do not include."),
]


def metrics_by_sql(metric_ids: list[str] | None = None) -> dict[str, list[Metric]]:
    """The metrics asked for, grouped by the SQL file that computes them (one query per file)."""
    chosen = [METRICS[mid] for mid in (metric_ids or list(METRICS))]
    grouped: dict[str, list[Metric]] = {}
    for metric in chosen:
        grouped.setdefault(metric.sql, []).append(metric)
    return grouped
