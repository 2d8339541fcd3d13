"""The extract contract as pandera models: the single home of every column's type and rules.

One ``DataFrameModel`` per extract and reference table (../shared/spec/extracts.md). Each field says its
type (coerced explicitly), whether the file must carry it (``Optional[...]`` = the column may be absent),
whether a value is required, and its checks (enumeration, range, format). Cross-field rules are
dataframe-level checks named after the rule they enforce; that name is what the quarantine table records.

Field metadata tells the reader how to turn a cell's text into the field's type:
``enum`` (name in ``ENUMS``: accepted case-insensitively and in the common spellings of
``ENUM_SYNONYMS``), ``person_id`` (pseudonymised on load), ``record_id`` (the upsert key), ``date``
(a date without time), ``upper`` (codes compared in upper case).

Others import the canonical lists from here rather than retyping them: ``ENUMS["relationship"]``,
``columns("incidents")``, ``TABLES``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Callable, Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from metrics.comparability import COMPARABLE_IDS, MSG_SIZE, PUBLISHED, is_product_source
from metrics.registry import METRICS
from reference import geography
from reference.vocabulary import codes, outcome_types

# --- enumerations: canonical codes of the contract -------------------------------------------------

# The codes of each enumeration are the vocabulary's (reference.vocabulary declares each code with its
# label, once); this table names which vocabulary a contract enumeration takes its codes from.
OUTCOME_TYPES: tuple[str, ...] = tuple(outcome.code for outcome in outcome_types())

ENUMS: dict[str, tuple[str, ...]] = {
    name: codes(name)
    for name in (
        "relationship", "sex", "ethnicity", "yes_no_not_known", "call_grade", "risk_tool", "risk_level",
        "no_arrest_reason", "cps_decision", "court_result", "custody_disposal", "scheme", "authorised_rank",
        "order_outcome", "route", "applicant_type", "decision", "referring_agency", "referral_criterion",
        "offence_group",
    )
}
ENUMS["outcome_type"] = OUTCOME_TYPES

# Common spellings a force's system uses, mapped to one code. Keys are compared after ``enum_key``
# (lower case, apostrophes dropped, runs of other punctuation and spaces as one underscore), so
# "Right to Ask", "right-to-ask" and "RIGHT_TO_ASK" all arrive as right_to_ask without listing them.
_NOT_KNOWN = {"unknown": "not_known", "nk": "not_known", "n_k": "not_known", "u": "not_known"}
_YES_NO = {"y": "yes", "n": "no", "true": "yes", "false": "no", "1": "yes", "0": "no"} | _NOT_KNOWN
ENUM_SYNONYMS: dict[str, dict[str, str | None]] = {
    "relationship": {
        "expartner": "ex_partner", "former_partner": "ex_partner", "ex_spouse": "ex_partner",
        "current_partner": "partner", "intimate_partner": "partner", "spouse": "partner",
        "other_family_member": "other_family", "family_other": "other_family", "other_relative": "other_family",
        "brother_sister": "sibling",
    } | _NOT_KNOWN,
    "sex": {"f": "female", "woman": "female", "m": "male", "man": "male"} | _NOT_KNOWN,
    "ethnicity": {
        "asian_or_asian_british": "asian", "black_or_black_british": "black",
        "black_african_caribbean_or_black_british": "black", "mixed_or_multiple": "mixed",
        "mixed_multiple_ethnic_groups": "mixed", "other_ethnic_group": "other",
        "not_known": "not_stated", "unknown": "not_stated", "prefer_not_to_say": "not_stated",
    },
    "yes_no_not_known": _YES_NO,
    "call_grade": {
        "immediate": "emergency", "grade_1": "emergency", "i": "emergency",
        "grade_2": "priority", "p": "priority", "grade_3": "scheduled", "s": "scheduled",
    },
    "risk_tool": {"dash_ric": "dash", "dash_risk_checklist": "dash"},
    "risk_level": {
        "std": "standard", "med": "medium", "not_completed": "not_assessed", "none": "not_assessed",
        "na": "not_assessed", "n_a": "not_assessed",
    },
    "cps_decision": {
        "charged": "charge", "no_further_action": "nfa", "out_of_court_disposal": "oocd",
        "administratively_finalised": "admin_finalised", "admin_finalized": "admin_finalised",
    },
    "court_result": {
        "guilty": "convicted", "conviction": "convicted", "not_guilty": "acquitted",
        "acquittal": "acquitted", "discontinuance": "discontinued",
    },
    "custody_disposal": {
        "charge": "charged", "released_under_investigation": "rui", "no_further_action": "nfa",
        "bail_with_conditions": "bail_conditions", "conditional_bail": "bail_conditions",
        "bail_without_conditions": "bail_no_conditions", "unconditional_bail": "bail_no_conditions",
    },
    "authorised_rank": {
        "insp": "inspector", "ch_insp": "chief_inspector", "chief_insp": "chief_inspector",
        "supt": "superintendent", "ch_supt": "chief_superintendent", "chief_supt": "chief_superintendent",
    },
    "order_outcome": {"not_applied_for": "not_applied", "no_application": "not_applied"},
    "route": {"rta": "right_to_ask", "rtk": "right_to_know"},
    "applicant_type": {"victim": "potential_victim", "3rd_party": "third_party"},
    "decision": {
        "disclose": "disclosure", "disclosed": "disclosure", "no_disclose": "no_disclosure",
        "not_disclosed": "no_disclosure", "non_disclosure": "no_disclosure", "nondisclosure": "no_disclosure",
    },
    "referring_agency": {
        "children_social_care": "childrens_social_care", "csc": "childrens_social_care",
        "asc": "adult_social_care", "adults_social_care": "adult_social_care",
        "vcs": "voluntary_sector", "voluntary": "voluntary_sector",
    },
    "referral_criterion": {
        "vhr": "visible_high_risk", "professional_judgment": "professional_judgement",
        "potential_escalation": "escalation", "repeat_referral": "repeat",
    },
    # An outcome type of 0 means "not yet assigned": the database keeps that as NULL.
    "outcome_type": {"0": None, "00": None}
    | {f"0{code}".lower(): code for code in OUTCOME_TYPES}
    | {f"{prefix}_{code}".lower(): code for code in OUTCOME_TYPES for prefix in ("outcome", "type", "oc")},
}

# Column-named aliases so callers can ask ENUMS["victim_sex"] as well as ENUMS["sex"].
_ENUM_OF_COLUMN = {
    "victim_sex": "sex", "suspect_sex": "sex", "victim_ethnicity": "ethnicity",
    "victim_disability": "yes_no_not_known", "victim_lgbt": "yes_no_not_known",
}
ENUMS.update({column: ENUMS[enum] for column, enum in _ENUM_OF_COLUMN.items()})

BOOLEAN_SPELLINGS: dict[str, bool] = {
    "true": True, "false": False, "yes": True, "no": False, "y": True, "n": False,
    "1": True, "0": False, "t": True, "f": False,
}

# ONS GSS codes: a letter for the country and eight digits (E23000028 Essex, E22000122 Basildon).
ONS_CODE = r"^[EW]\d{8}$"

# --- field builders (metadata tells etl.normalise how to read the text) -----------------------------


def _record_id(**meta) -> object:
    return pa.Field(nullable=False, metadata={"record_id": True, **meta})


def _text(required: bool, **meta) -> object:
    return pa.Field(nullable=not required, metadata=meta or None)


def _ons_code(required: bool = True) -> object:
    return pa.Field(nullable=not required, str_matches=ONS_CODE, metadata={"upper": True})


def _person(required: bool) -> object:
    return pa.Field(nullable=not required, metadata={"person_id": True})


def _enum(name: str, required: bool = False) -> object:
    return pa.Field(nullable=not required, isin=list(ENUMS[name]), metadata={"enum": name})


def _count(required: bool = False, le: int | None = None) -> object:
    if le is None:
        return pa.Field(nullable=not required, ge=0)
    return pa.Field(nullable=not required, ge=0, le=le)


def _moment(required: bool = False, date: bool = False) -> object:
    return pa.Field(nullable=not required, metadata={"date": True} if date else None)


# --- cross-field rules --------------------------------------------------------------------------------

# The column a cross-field rule blames in the quarantine table, registered where the rule is declared.
RULE_COLUMN: dict[str, str] = {}


def cross_field(rule: str, column: str, message: str) -> Callable:
    """A dataframe-level check named after its rule; nulls are the rule's business (ignore_na=False)."""
    RULE_COLUMN[rule] = column
    return pa.dataframe_check(name=rule, error=message, ignore_na=False)


def _not_before(df: pd.DataFrame, later: str, earlier: str) -> pd.Series:
    return ~(df[later] < df[earlier]).fillna(False).astype(bool)


def _required_if(df: pd.DataFrame, column: str, condition: pd.Series) -> pd.Series:
    return ~condition.fillna(False).astype(bool) | df[column].notna()


def now_local() -> pd.Timestamp:
    """Now as naive Europe/London time, the database's convention."""
    return pd.Timestamp.now(tz="Europe/London").tz_localize(None)


def _not_future(series: pd.Series) -> pd.Series:
    return series <= now_local()


NOT_FUTURE = "date_in_future"


class _Contract(pa.DataFrameModel):
    class Config:
        strict = True
        coerce = True


# --- reference tables ----------------------------------------------------------------------------


class DivisionsSchema(_Contract):
    force_code: Series[str] = _ons_code()
    division_code: Series[str] = _record_id()
    division_name: Series[str] = _text(required=True)


class CspsSchema(_Contract):
    csp_code: Series[str] = pa.Field(nullable=False, str_matches=ONS_CODE, metadata={"record_id": True, "upper": True})
    csp_name: Series[str] = _text(required=True)
    force_code: Series[str] = _ons_code()
    division_code: Series[str] = _text(required=True)
    population: Optional[Series[pd.Int64Dtype]] = _count()
    population_16plus: Optional[Series[pd.Int64Dtype]] = _count()
    population_female_16plus: Optional[Series[pd.Int64Dtype]] = _count()

    @cross_field("population_16plus_above_total", "population_16plus",
                 "population_16plus is larger than population: check the two figures")
    def _population_16plus(cls, df: pd.DataFrame) -> pd.Series:
        return ~(df["population_16plus"] > df["population"]).fillna(False).astype(bool)

    @cross_field("female_16plus_above_16plus", "population_female_16plus",
                 "population_female_16plus is larger than population_16plus: check the two figures")
    def _population_female(cls, df: pd.DataFrame) -> pd.Series:
        return ~(df["population_female_16plus"] > df["population_16plus"]).fillna(False).astype(bool)


class OffenceCodesSchema(_Contract):
    offence_code: Series[str] = _record_id(upper=True)
    offence_description: Series[str] = _text(required=True)
    offence_group: Series[str] = _enum("offence_group", required=True)
    is_homicide: Series[pd.BooleanDtype] = pa.Field(nullable=False)

    @cross_field("homicide_flag_mismatch", "is_homicide",
                 "is_homicide must be true exactly when offence_group is homicide")
    def _homicide(cls, df: pd.DataFrame) -> pd.Series:
        return (df["is_homicide"] == (df["offence_group"] == "homicide")).fillna(True).astype(bool)


# --- extracts ------------------------------------------------------------------------------------


class IncidentsSchema(_Contract):
    incident_id: Series[str] = _record_id()
    force_code: Series[str] = _ons_code()
    reported_at: Series[pd.Timestamp] = _moment(required=True)
    division_code: Series[str] = _text(required=True)
    csp_code: Series[str] = _ons_code()
    victim_id: Series[str] = _person(required=True)
    suspect_id: Optional[Series[str]] = _person(required=False)
    relationship: Series[str] = _enum("relationship", required=True)
    victim_sex: Optional[Series[str]] = _enum("sex")
    suspect_sex: Optional[Series[str]] = _enum("sex")
    victim_age: Optional[Series[pd.Int64Dtype]] = _count(le=120)
    suspect_age: Optional[Series[pd.Int64Dtype]] = _count(le=120)
    victim_ethnicity: Optional[Series[str]] = _enum("ethnicity")
    victim_disability: Optional[Series[str]] = _enum("yes_no_not_known")
    call_grade: Optional[Series[str]] = _enum("call_grade")
    attended_at: Optional[Series[pd.Timestamp]] = _moment()
    risk_tool: Optional[Series[str]] = _enum("risk_tool")
    risk_level: Series[str] = _enum("risk_level", required=True)
    children_present: Optional[Series[pd.BooleanDtype]] = pa.Field(nullable=True)
    power_of_arrest: Optional[Series[pd.BooleanDtype]] = pa.Field(nullable=True)
    no_arrest_reason: Optional[Series[str]] = _enum("no_arrest_reason")
    crime_ref: Optional[Series[str]] = _text(required=False)
    offence_code: Optional[Series[str]] = _text(required=False, upper=True)
    crime_recorded_at: Optional[Series[pd.Timestamp]] = _moment()
    outcome_type: Optional[Series[str]] = _enum("outcome_type")
    outcome_at: Optional[Series[pd.Timestamp]] = _moment()
    cps_decision: Optional[Series[str]] = _enum("cps_decision")
    cps_decision_at: Optional[Series[pd.Timestamp]] = _moment()
    court_result: Optional[Series[str]] = _enum("court_result")
    court_result_at: Optional[Series[pd.Timestamp]] = _moment()

    @pa.check("reported_at", "attended_at", "crime_recorded_at", "outcome_at", "cps_decision_at",
              "court_result_at", name=NOT_FUTURE)
    def _not_future(cls, series: pd.Series) -> pd.Series:
        return _not_future(series)

    @cross_field("attended_before_reported", "attended_at",
                 "attended_at is before reported_at: an officer cannot attend before the report")
    def _attended(cls, df: pd.DataFrame) -> pd.Series:
        return _not_before(df, "attended_at", "reported_at")

    @cross_field("offence_code_missing", "offence_code",
                 "a crime (crime_ref) needs its offence_code (Home Office Counting Rules classification)")
    def _offence_code(cls, df: pd.DataFrame) -> pd.Series:
        return _required_if(df, "offence_code", df["crime_ref"].notna())

    @cross_field("crime_recorded_at_missing", "crime_recorded_at",
                 "a crime (crime_ref) needs crime_recorded_at")
    def _crime_recorded(cls, df: pd.DataFrame) -> pd.Series:
        return _required_if(df, "crime_recorded_at", df["crime_ref"].notna())

    @cross_field("outcome_at_missing", "outcome_at", "an outcome_type needs its outcome_at")
    def _outcome_at(cls, df: pd.DataFrame) -> pd.Series:
        return _required_if(df, "outcome_at", df["outcome_type"].notna())

    @cross_field("cps_decision_at_missing", "cps_decision_at", "a cps_decision needs its cps_decision_at")
    def _cps_decision_at(cls, df: pd.DataFrame) -> pd.Series:
        return _required_if(df, "cps_decision_at", df["cps_decision"].notna())

    @cross_field("court_result_at_missing", "court_result_at", "a court_result needs its court_result_at")
    def _court_result_at(cls, df: pd.DataFrame) -> pd.Series:
        return _required_if(df, "court_result_at", df["court_result"].notna())


class ArrestsSchema(_Contract):
    arrest_id: Series[str] = _record_id()
    force_code: Series[str] = _ons_code()
    # An incident id not (yet) in incidents is kept and reported on the data quality page.
    incident_id: Optional[Series[str]] = _text(required=False)
    suspect_id: Series[str] = _person(required=True)
    arrested_at: Series[pd.Timestamp] = _moment(required=True)
    division_code: Series[str] = _text(required=True)
    custody_disposal: Optional[Series[str]] = _enum("custody_disposal")
    disposal_at: Optional[Series[pd.Timestamp]] = _moment()

    @pa.check("arrested_at", "disposal_at", name=NOT_FUTURE)
    def _not_future(cls, series: pd.Series) -> pd.Series:
        return _not_future(series)


class ProtectiveOrdersSchema(_Contract):
    notice_id: Series[str] = _record_id()
    force_code: Series[str] = _ons_code()
    scheme: Series[str] = _enum("scheme", required=True)
    incident_id: Optional[Series[str]] = _text(required=False)
    suspect_id: Series[str] = _person(required=True)
    victim_id: Series[str] = _person(required=True)
    division_code: Series[str] = _text(required=True)
    csp_code: Series[str] = _ons_code()
    authorised_rank: Optional[Series[str]] = _enum("authorised_rank")
    served_at: Series[pd.Timestamp] = _moment(required=True)
    order_applied_at: Optional[Series[pd.Timestamp]] = _moment()
    # A first hearing may be listed ahead and an order expires in the future: neither is checked for it.
    hearing_at: Optional[Series[pd.Timestamp]] = _moment()
    order_outcome: Optional[Series[str]] = _enum("order_outcome")
    order_expires_at: Optional[Series[pd.Timestamp]] = _moment(date=True)
    breaches: Optional[Series[pd.Int64Dtype]] = _count()

    @pa.check("served_at", "order_applied_at", name=NOT_FUTURE)
    def _not_future(cls, series: pd.Series) -> pd.Series:
        return _not_future(series)


class DvdsSchema(_Contract):
    application_id: Series[str] = _record_id()
    force_code: Series[str] = _ons_code()
    route: Series[str] = _enum("route", required=True)
    received_at: Series[pd.Timestamp] = _moment(required=True)
    division_code: Series[str] = _text(required=True)
    csp_code: Series[str] = _ons_code()
    applicant_type: Optional[Series[str]] = _enum("applicant_type")
    subject_id: Series[str] = _person(required=True)
    potential_victim_id: Optional[Series[str]] = _person(required=False)
    initial_checks_at: Optional[Series[pd.Timestamp]] = _moment()
    risk_level: Optional[Series[str]] = _enum("risk_level")
    decision: Optional[Series[str]] = _enum("decision")
    decision_at: Optional[Series[pd.Timestamp]] = _moment()
    disclosed_at: Optional[Series[pd.Timestamp]] = _moment()

    @pa.check("received_at", "initial_checks_at", "decision_at", "disclosed_at", name=NOT_FUTURE)
    def _not_future(cls, series: pd.Series) -> pd.Series:
        return _not_future(series)

    @cross_field("decision_at_missing", "decision_at",
                 "a decision of disclosure or no_disclosure needs its decision_at")
    def _decision_at(cls, df: pd.DataFrame) -> pd.Series:
        return _required_if(df, "decision_at", df["decision"].isin(["disclosure", "no_disclosure"]))


class MaracSchema(_Contract):
    case_id: Series[str] = _record_id()
    force_code: Series[str] = _ons_code()
    csp_code: Series[str] = _ons_code()
    victim_id: Series[str] = _person(required=True)
    referral_at: Series[pd.Timestamp] = _moment(required=True)
    referring_agency: Series[str] = _enum("referring_agency", required=True)
    referral_criterion: Optional[Series[str]] = _enum("referral_criterion")
    heard_at: Optional[Series[pd.Timestamp]] = _moment(date=True)
    repeat_flag: Optional[Series[pd.BooleanDtype]] = pa.Field(nullable=True)
    victim_sex: Optional[Series[str]] = _enum("sex")
    victim_age: Optional[Series[pd.Int64Dtype]] = _count(le=120)
    victim_ethnicity: Optional[Series[str]] = _enum("ethnicity")
    victim_disability: Optional[Series[str]] = _enum("yes_no_not_known")
    victim_lgbt: Optional[Series[str]] = _enum("yes_no_not_known")
    children_in_household: Optional[Series[pd.Int64Dtype]] = _count()
    idva_engaged: Optional[Series[pd.BooleanDtype]] = pa.Field(nullable=True)
    actions_agreed: Optional[Series[pd.Int64Dtype]] = _count()
    actions_completed: Optional[Series[pd.Int64Dtype]] = _count()

    @pa.check("referral_at", "heard_at", name=NOT_FUTURE)
    def _not_future(cls, series: pd.Series) -> pd.Series:
        return _not_future(series)

    @cross_field("actions_completed_above_agreed", "actions_completed",
                 "actions_completed is larger than actions_agreed: completed actions cannot exceed agreed")
    def _actions(cls, df: pd.DataFrame) -> pd.Series:
        return ~(df["actions_completed"] > df["actions_agreed"]).fillna(False).astype(bool)


# --- comparator reference tables (docs/COMPARATORS.md) --------------------------------------------

# The measures a comparator row may carry; a measure's name in words reads as its id too.
ENUMS["comparable_metric"] = COMPARABLE_IDS
ENUM_SYNONYMS["comparable_metric"] = {METRICS[metric_id].name: metric_id for metric_id in COMPARABLE_IDS}
_SHARES = frozenset(metric_id for metric_id in COMPARABLE_IDS if METRICS[metric_id].kind == "proportion")


def _statistic() -> object:
    """A published number: read with its thousands separators and a per cent sign ("34.8%" is 0.348), a
    statistical mark in its place ([c], [x], "..", "<5") as unknown (``etl.normalise``)."""
    return pa.Field(nullable=True, ge=0, metadata={"statistic": True})


def _force_words(name: object) -> frozenset[str]:
    """A police force area's name as a set of words, so that "City of London" is "London, City of" and
    "Devon & Cornwall Police" is "Devon and Cornwall"."""
    text = str(name).lower().replace("&", " and ")
    words = re.sub(r"[^a-z]+", " ", text).split()
    return frozenset(w for w in words if w not in {"police", "constabulary", "service", "force", "area", "the"})


@cache
def _force_codes_by_name() -> dict[frozenset[str], str]:
    forces = geography.forces()
    return {_force_words(name): code for code, name in zip(forces["force_code"], forces["force_name"])}


def _derive_force(typed: pd.DataFrame) -> pd.DataFrame:
    """A row that names its force but gives no code gets the ONS code of that name (published tables name
    forces more often than they code them)."""
    missing = typed["force_code"].isna() & typed["force_name"].notna()
    if missing.any():
        codes = _force_codes_by_name()
        typed.loc[missing, "force_code"] = [codes.get(_force_words(n)) for n in typed.loc[missing, "force_name"]]
    return typed


class ComparatorsSchema(_Contract):
    force_code: Optional[Series[str]] = pa.Field(nullable=True, str_matches=ONS_CODE, metadata={"upper": True})
    force_name: Optional[Series[str]] = _text(required=False)
    period_from: Series[pd.Timestamp] = _moment(required=True, date=True)
    period_to: Series[pd.Timestamp] = _moment(required=True, date=True)
    metric_id: Series[str] = pa.Field(nullable=False, isin=list(COMPARABLE_IDS),
                                      metadata={"enum": "comparable_metric", "record_id": True})
    numerator: Optional[Series[float]] = _statistic()
    denominator: Optional[Series[float]] = _statistic()
    value: Optional[Series[float]] = _statistic()
    source: Series[str] = _text(required=True)
    published_on: Optional[Series[pd.Timestamp]] = _moment(date=True)

    @cross_field("force_not_known", "force_code",
                 "no force_code, and force_name is not a police force area of England and Wales: give the "
                 "force's ONS code (E23... or W15...)")
    def _force(cls, df: pd.DataFrame) -> pd.Series:
        return df["force_code"].notna()

    @cross_field("period_ends_before_it_starts", "period_to", "period_to is before period_from: check the dates")
    def _period(cls, df: pd.DataFrame) -> pd.Series:
        return _not_before(df, "period_to", "period_from")

    @cross_field("share_above_one", "value",
                 "a share is between 0 and 1: write 34.8% or 0.348, not 34.8")
    def _share(cls, df: pd.DataFrame) -> pd.Series:
        return ~(df["metric_id"].isin(_SHARES) & (df["value"] > 1)).fillna(False).astype(bool)

    @cross_field("numerator_above_denominator", "numerator",
                 "a share's numerator is larger than its denominator: check the two counts")
    def _counts(cls, df: pd.DataFrame) -> pd.Series:
        return ~(df["metric_id"].isin(_SHARES) & (df["numerator"] > df["denominator"])).fillna(False).astype(bool)

    @cross_field("definition_not_published", "metric_id",
                 "no published table counts this measure as the product does: only figures computed by daperf "
                 "(another force's export) can be compared for it")
    def _published(cls, df: pd.DataFrame) -> pd.Series:
        unknown = ~df["metric_id"].isin(list(COMPARABLE_IDS))  # the measure's own check reports it
        return unknown | df["metric_id"].isin(list(PUBLISHED)) | df["source"].map(is_product_source).astype(bool)


class MsgSchema(_Contract):
    force_code: Series[str] = _ons_code()
    peer_force_code: Series[str] = pa.Field(nullable=False, str_matches=ONS_CODE,
                                            metadata={"record_id": True, "upper": True})
    source: Optional[Series[str]] = _text(required=False)

    @cross_field("peer_is_the_force", "peer_force_code", "a force is not its own peer: leave it out of its group")
    def _not_itself(cls, df: pd.DataFrame) -> pd.Series:
        return (df["force_code"] != df["peer_force_code"]).fillna(True).astype(bool)

    @cross_field("more_than_seven_peers", "peer_force_code",
                 f"a most similar group has at most {MSG_SIZE} peers (HMICFRS): give each force its published group")
    def _size(cls, df: pd.DataFrame) -> pd.Series:
        return df.groupby("force_code")["peer_force_code"].transform("nunique").fillna(0) <= MSG_SIZE


# --- the registry of tables, in load order --------------------------------------------------------


@dataclass(frozen=True)
class TableSpec:
    name: str
    model: type[pa.DataFrameModel]
    reference: bool
    key: tuple[str, ...] = ()  # the record's key when it is not (force_code, its id)
    # Fills columns a file may leave out from others it gives, on the typed chunk (before the checks).
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("divisions", DivisionsSchema, reference=True),
        TableSpec("csps", CspsSchema, reference=True),
        TableSpec("offence_codes", OffenceCodesSchema, reference=True),
        TableSpec("incidents", IncidentsSchema, reference=False),
        TableSpec("arrests", ArrestsSchema, reference=False),
        TableSpec("protective_orders", ProtectiveOrdersSchema, reference=False),
        TableSpec("dvds", DvdsSchema, reference=False),
        TableSpec("marac", MaracSchema, reference=False),
        TableSpec("comparators", ComparatorsSchema, reference=True,
                  key=("force_code", "metric_id", "period_from", "period_to"), derive=_derive_force),
        TableSpec("msg", MsgSchema, reference=True),
    )
}


@cache
def schema(table: str) -> pa.DataFrameSchema:
    return TABLES[table].model.to_schema()


def columns(table: str) -> list[str]:
    """The table's contract columns in contract order."""
    return list(schema(table).columns)


def required_columns(table: str) -> list[str]:
    """Columns a file for this table must carry (``required: yes`` in the contract)."""
    return [name for name, column in schema(table).columns.items() if column.required]


def record_id(table: str) -> str:
    (key,) = [name for name, column in schema(table).columns.items() if (column.metadata or {}).get("record_id")]
    return key


def record_key(table: str) -> list[str]:
    """The columns that identify a record: its id within its force (``force_code`` first), or the code
    alone for the tables whose codes are national (partnerships' ONS codes, offence codes)."""
    if TABLES[table].key:
        return list(TABLES[table].key)
    key = record_id(table)
    return ["force_code", key] if "force_code" in columns(table) and table != "csps" else [key]


def person_id_columns(table: str) -> list[str]:
    return [name for name, column in schema(table).columns.items() if (column.metadata or {}).get("person_id")]


def column_enum(table: str, column: str) -> str | None:
    return (schema(table).columns[column].metadata or {}).get("enum")
