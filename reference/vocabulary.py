"""One plain-English label for every code the product stores or shows: the one vocabulary.

Pages, charts, CSV and Excel exports, the scrutiny pack and the command line ask this module for the
words; nothing else maps a code to a label. The code lists here are also the contract's enumerations:
``etl.schemas`` takes each column's accepted codes from ``codes(name)``, so a code and its label are
declared together, once. Labels follow the GOV.UK style: plain English, sentence case, no codes.

- ``label(vocabulary, code)``: the words for one code (an unknown code comes back as "Not recognised",
  never as the raw code, so a screen cannot leak one).
- ``codes(vocabulary)``: the canonical codes, in display order.
- ``heading(column)``: the heading of a table column (``csp_code`` is "Partnership code"...).
- ``BREAKDOWNS``: the breakdowns the dashboard offers, each with its name and the vocabulary of its values.
- ``outcome_types()``: the Home Office outcome types with their official names, labels and groups.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
NOT_RECOGNISED = "Not recognised"

_NOT_KNOWN = {"not_known": "Not known"}

VOCABULARIES: dict[str, dict[str, str]] = {
    "relationship": {
        "partner": "Partner", "ex_partner": "Former partner", "parent": "Parent", "child": "Son or daughter",
        "sibling": "Brother or sister", "other_family": "Other family member", **_NOT_KNOWN,
    },
    "sex": {"female": "Female", "male": "Male", "other": "Other", **_NOT_KNOWN},
    "ethnicity": {
        "asian": "Asian or Asian British", "black": "Black, Black British, Caribbean or African",
        "mixed": "Mixed or multiple ethnic groups", "white": "White", "other": "Other ethnic group",
        "not_stated": "Not stated",
    },
    "yes_no_not_known": {"yes": "Yes", "no": "No", **_NOT_KNOWN},
    "call_grade": {"emergency": "Emergency", "priority": "Priority", "scheduled": "Scheduled", "other": "Other"},
    "risk_tool": {"dash": "DASH risk checklist", "dara": "DARA risk assessment", "other": "Other tool"},
    "risk_level": {"standard": "Standard", "medium": "Medium", "high": "High", "not_assessed": "Not assessed"},
    "no_arrest_reason": {
        "suspect_not_present": "Suspect not present", "insufficient_grounds": "Insufficient grounds",
        "victim_request": "At the victim's request", "alternative_action": "Other action taken",
        "other": "Other reason",
    },
    "cps_decision": {
        "charge": "Charge", "nfa": "No further action", "oocd": "Out-of-court disposal",
        "admin_finalised": "Administratively finalised", "pending": "Awaiting decision",
    },
    "court_result": {
        "convicted": "Convicted", "acquitted": "Acquitted", "discontinued": "Discontinued",
        "pending": "Awaiting result",
    },
    "custody_disposal": {
        "charged": "Charged", "bail_conditions": "Bail with conditions", "bail_no_conditions": "Bail without conditions",
        "rui": "Released under investigation", "nfa": "No further action", "caution": "Caution", "other": "Other",
        "pending": "Awaiting decision",
    },
    "scheme": {"dvpn": "Domestic violence protection notice", "dapn": "Domestic abuse protection notice"},
    "authorised_rank": {
        "inspector": "Inspector", "chief_inspector": "Chief inspector", "superintendent": "Superintendent",
        "chief_superintendent": "Chief superintendent", "acpo": "Chief officer",
    },
    "order_outcome": {
        "granted": "Granted", "refused": "Refused", "withdrawn": "Withdrawn", "adjourned": "Adjourned",
        "pending": "Awaiting hearing", "not_applied": "Not applied for",
    },
    "route": {"right_to_ask": "Right to ask", "right_to_know": "Right to know"},
    "applicant_type": {
        "potential_victim": "Potential victim", "third_party": "Third party", "agency": "Agency", "police": "Police",
    },
    "decision": {
        "disclosure": "Disclosure", "no_disclosure": "No disclosure", "withdrawn": "Withdrawn",
        "pending": "Awaiting decision",
    },
    "referring_agency": {
        "police": "Police", "idva": "Independent domestic violence adviser", "health": "Health",
        "childrens_social_care": "Children's social care", "adult_social_care": "Adult social care",
        "housing": "Housing", "probation": "Probation", "education": "Education",
        "voluntary_sector": "Voluntary sector", "other": "Other agency",
    },
    "referral_criterion": {
        "visible_high_risk": "Visible high risk", "professional_judgement": "Professional judgement",
        "escalation": "Potential escalation", "repeat": "Repeat referral",
    },
    "offence_group": {
        "homicide": "Homicide", "violence_with_injury": "Violence with injury",
        "violence_without_injury": "Violence without injury", "stalking_harassment": "Stalking and harassment",
        "controlling_coercive": "Controlling or coercive behaviour", "sexual_offences": "Sexual offences",
        "criminal_damage_arson": "Criminal damage and arson", "other": "Other offences",
    },
    "age_band": {
        "under_16": "Under 16", "16-17": "16 to 17", "18-24": "18 to 24", "25-34": "25 to 34",
        "35-44": "35 to 44", "45-54": "45 to 54", "55-64": "55 to 64", "65+": "65 and over", **_NOT_KNOWN,
    },
    "outcome_group": {
        "charged": "Charged or summonsed", "out_of_court_formal": "Out-of-court disposal (formal)",
        "out_of_court_informal": "Out-of-court resolution (informal)",
        "prosecution_prevented": "Prosecution prevented or not in the public interest",
        "evidential_difficulties": "Evidential difficulties", "no_suspect": "No suspect identified",
        "other_agency": "Passed to another body", "awaiting": "Awaiting an outcome",
    },
    # Words the product itself uses.
    "role": {
        "chief_officer": "Chief officer", "coordinator": "Domestic abuse coordinator",
        "division_lead": "Division lead", "partnership": "Partnership member", "analyst": "Analyst",
    },
    "audit_action": {
        "view": "Viewed", "export": "Exported", "refused": "Refused", "sign_in": "Signed in",
        "sign_in_failed": "Sign-in failed", "sign_in_locked": "Signing in paused after repeated failures",
        "sign_out": "Signed out", "session_ended": "Sessions ended by an administrator",
    },
    "level": {"force": "Force", "division": "Division", "csp": "Partnership"},
    "better": {
        "higher": "Higher is better", "lower": "Lower is better",
        "neither": "Neither higher nor lower is better in itself", "toward": "Closer to the reference value is better",
    },
    "attrition_stage": {
        "recorded": "Crime recorded", "suspect_identified": "Suspect identified", "arrest": "Suspect arrested",
        "cps_referral": "File sent to the CPS", "charge": "Charged or summonsed", "conviction": "Convicted",
    },
    "hearing_status": {"due": "Hearing due", "missed": "Deadline missed"},
    "load_status": {"loaded": "Loaded", "refused": "Refused"},
    "table": {
        "incidents": "Incidents", "arrests": "Arrests", "protective_orders": "Protection notices and orders",
        "dvds": "Clare's Law applications", "marac": "MARAC cases", "divisions": "Divisions",
        "csps": "Community safety partnerships", "offence_codes": "Offence codes", "comparators": "Comparator figures",
        "msg": "Most similar groups",
    },
    # Why the loader quarantined a row (etl.validate, etl.normalise, etl.schemas' cross-field rules, etl.load).
    "quarantine_rule": {
        "required_missing": "A required field is empty", "unknown_code": "A code the contract does not list",
        "bad_format": "Not an ONS code", "out_of_range": "A number out of range", "date_in_future": "A date in the future",
        "invalid_date": "Not a date", "invalid_datetime": "Not a date and time", "invalid_boolean": "Not yes or no",
        "invalid_integer": "Not a whole number", "invalid_number": "Not a number",
        "duplicate_record_id": "The same record twice in one file", "unknown_division": "A division not in the divisions list",
        "unknown_csp": "A partnership not in the partnerships list",
        "attended_before_reported": "Attended before it was reported",
        "offence_code_missing": "A crime with no offence code", "crime_recorded_at_missing": "A crime with no recorded date",
        "outcome_at_missing": "An outcome with no date", "cps_decision_at_missing": "A CPS decision with no date",
        "court_result_at_missing": "A court result with no date", "decision_at_missing": "A Clare's Law decision with no date",
        "actions_completed_above_agreed": "More actions completed than agreed",
        "population_16plus_above_total": "More people aged 16+ than people",
        "female_16plus_above_16plus": "More women aged 16+ than people aged 16+",
        "homicide_flag_mismatch": "Homicide flag and offence group disagree",
        "force_not_known": "A force that is not a police force area", "period_ends_before_it_starts":
            "A period that ends before it starts", "share_above_one": "A share above 100%",
        "numerator_above_denominator": "A count larger than what it is out of",
        "definition_not_published": "A measure with no published definition",
        "more_than_seven_peers": "More than seven most similar forces", "peer_is_the_force": "A force listed as its own peer",
    },
}

# Columns whose codes are in a vocabulary under another name.
VOCABULARY_OF_COLUMN: dict[str, str] = {
    "victim_sex": "sex", "suspect_sex": "sex", "victim_ethnicity": "ethnicity",
    "victim_disability": "yes_no_not_known", "victim_lgbt": "yes_no_not_known", "children_present": "yes_no_not_known",
}

# The breakdowns the dashboard offers on incident measures (and those of other facts), in display order:
# id -> (what a person calls it, the vocabulary of its values).
BREAKDOWNS: dict[str, tuple[str, str]] = {
    "relationship": ("Relationship to the suspect", "relationship"),
    "victim_sex": ("Victim's sex", "sex"),
    "age_band": ("Victim's age", "age_band"),
    "victim_ethnicity": ("Victim's ethnicity", "ethnicity_band"),
    "victim_disability": ("Victim disabled", "yes_no_not_known"),
    "risk_level": ("Risk level", "risk_level"),
    "children_present": ("Children present", "yes_no_not_known"),
    "offence_group": ("Offence group", "offence_group_band"),
    "call_grade": ("Call grade", "call_grade_band"),
    "scheme": ("Scheme", "scheme"),
    "route": ("Route", "route"),
}
# Breakdown bands: a contract vocabulary plus the values a band gives a record with no code.
VOCABULARIES["call_grade_band"] = {**VOCABULARIES["call_grade"], **_NOT_KNOWN}
VOCABULARIES["ethnicity_band"] = {**VOCABULARIES["ethnicity"], **_NOT_KNOWN}
VOCABULARIES["offence_group_band"] = {**VOCABULARIES["offence_group"], "no_crime_recorded": "No crime recorded",
                                      "unknown": "Offence code not recognised"}

# Table column headings, for every column a screen or an export shows.
HEADINGS: dict[str, str] = {
    "metric_id": "Measure id", "metric": "Measure", "level": "Level", "unit_code": "Area code", "unit_name": "Area",
    "period_from": "From", "period_to": "To", "breakdown": "Breakdown", "breakdown_value": "Category",
    "numerator": "Count", "denominator": "Out of", "value": "Value", "ci_low": "95% interval from",
    "ci_high": "95% interval to", "force_code": "Force code", "force_name": "Force",
    "division_code": "Division code", "division_name": "Division", "csp_code": "Partnership code",
    "csp_name": "Partnership", "incident_id": "Incident", "crime_ref": "Crime number", "notice_id": "Notice",
    "application_id": "Application", "case_id": "MARAC case", "victim_ref": "Victim reference",
    "suspect_ref": "Suspect reference", "subject_ref": "Subject reference",
    "potential_victim_ref": "Potential victim reference", "reported_at": "Reported",
    "crime_recorded_at": "Crime recorded", "outcome_type": "Outcome", "outcome_at": "Outcome date",
    "offence_group": "Offence group", "risk_level": "Risk", "relationship": "Relationship",
    "stage_reached": "Furthest stage reached", "stage_lost": "Lost before", "served_at": "Served",
    "deadline_at": "Hearing deadline", "hearing_at": "Hearing", "order_outcome": "Order outcome",
    "scheme": "Scheme", "route": "Route", "received_at": "Received", "decision": "Decision",
    "decision_at": "Decided", "no_arrest_reason": "Reason recorded for no arrest",
    # The daily meeting's action lists and the attrition case list.
    "order_applied_at": "Order applied for", "checks_due_at": "Initial checks due", "decision_due_at": "Decision due",
    "initial_checks_at": "Initial checks done", "hours_left": "Time to the deadline", "hours_overdue": "How late",
    "hours_waiting": "Waiting since the report", "hours_since_report": "Since the report",
    "incidents_12_months": "Incidents in 12 months", "first_in_12_months": "First of them",
    "latest_incident_id": "Latest incident", "latest_reported_at": "Latest reported", "latest_risk_level": "Latest risk",
    "status": "Status", "marac_referral_at": "Referred to MARAC", "days_to_arrest": "Days to arrest",
    "days_to_cps_referral": "Days to the CPS", "days_to_charge": "Days to charge",
    "days_to_conviction": "Days to conviction",
    # Data quality: loads, quarantine and the incident fields whose completeness is reported.
    "started_at": "Started", "finished_at": "Finished", "files": "Files", "rows_read": "Rows read",
    "rows_inserted": "New", "rows_updated": "Changed", "rows_unchanged": "Unchanged", "rows_quarantined": "Quarantined",
    "table_name": "Extract", "rule": "Why quarantined", "column_name": "Field", "records_ever": "Records ever quarantined",
    "batches": "Loads", "last_quarantined_at": "Last quarantined", "message": "What the load said",
    "suspect_id": "Suspect", "victim_sex": "Victim's sex", "suspect_sex": "Suspect's sex", "victim_age": "Victim's age",
    "suspect_age": "Suspect's age", "victim_ethnicity": "Victim's ethnicity", "victim_disability": "Victim disabled",
    "call_grade": "Call grade", "attended_at": "Attended", "risk_tool": "Risk tool", "children_present": "Children present",
    "power_of_arrest": "Power of arrest", "incidents": "Incidents", "first_recorded_at": "First recorded",
    "last_recorded_at": "Last recorded", "record_id": "Record", "event_at": "When",
}


@dataclass(frozen=True)
class OutcomeType:
    code: str
    sort_order: int
    home_office_name: str
    label: str
    group: str


@cache
def outcome_types() -> tuple[OutcomeType, ...]:
    """Home Office outcome types 1-22 (with 1A), in the framework's order."""
    with open(DATA_DIR / "outcome_types.csv", encoding="utf-8", newline="") as fh:
        return tuple(OutcomeType(row["outcome_type"], int(row["sort_order"]), row["home_office_name"], row["label"],
                                 row["outcome_group"]) for row in csv.DictReader(fh))


AWAITING_OUTCOME = "0"  # the contract's type 0: not yet assigned (stored as NULL)
VOCABULARIES["outcome_type"] = {
    AWAITING_OUTCOME: "Awaiting an outcome", **{o.code: o.label for o in outcome_types()},
}


def vocabulary_of(name: str) -> str:
    """The vocabulary a name's codes belong to: a vocabulary itself, a column named after one
    (``victim_sex``), or else a breakdown (whose values include its band's "not known")."""
    if name in VOCABULARIES:
        return name
    if name in VOCABULARY_OF_COLUMN:
        return VOCABULARY_OF_COLUMN[name]
    if name in BREAKDOWNS:
        return BREAKDOWNS[name][1]
    return name


def breakdown_label(breakdown: str, code: object) -> str:
    """The words for one value of a breakdown (its band's vocabulary: "not known" included)."""
    return label(BREAKDOWNS[breakdown][1], code) if breakdown in BREAKDOWNS else NOT_RECOGNISED


def codes(name: str) -> tuple[str, ...]:
    """The canonical codes of a vocabulary (or of the column named), in display order."""
    return tuple(VOCABULARIES[vocabulary_of(name)])


def label(name: str, code: object) -> str:
    """The words for ``code`` in vocabulary ``name`` (a column or breakdown name works too)."""
    if code is None:
        return "Not recorded"
    if isinstance(code, bool):
        code = "yes" if code else "no"
    words = VOCABULARIES.get(vocabulary_of(name), {})
    return words.get(str(code), NOT_RECOGNISED)


def breakdown_name(breakdown: str) -> str:
    return BREAKDOWNS[breakdown][0] if breakdown in BREAKDOWNS else NOT_RECOGNISED


def heading(column: str) -> str:
    """A column heading for people; a column without one is named from its words, never shown raw."""
    if column in HEADINGS:
        return HEADINGS[column]
    return column.replace("_", " ").strip().capitalize()


def all_codes() -> set[str]:
    """Every code of every vocabulary that a person must never see on a screen (multi-word codes:
    those with an underscore, which no English label contains). Used by the tests that read pages."""
    found = set()
    for words in VOCABULARIES.values():
        found.update(code for code in words if "_" in code)
    found.update(BREAKDOWNS)
    return {code for code in found if "_" in code}
