import pandas as pd
import pytest

from etl.normalise import normalise
from etl.schemas import ENUMS, columns


def _dvds(**cells) -> pd.DataFrame:
    base = {
        "application_id": "DV1", "force_code": "E23000028", "route": "right_to_ask",
        "received_at": "2025-02-01T10:00:00", "division_code": "SOUTH", "csp_code": "E22000089",
        "subject_id": "NOM1",
    }
    base.update(cells)
    return pd.DataFrame([base], index=pd.RangeIndex(1, 2), dtype="str")


@pytest.mark.parametrize("spelling", ["Right to Ask", "RTA", "right_to_ask", " right-to-ask ", "RIGHT TO ASK"])
def test_route_spellings_become_one_code(spelling):
    typed, failures = normalise("dvds", _dvds(route=spelling))
    assert typed.loc[1, "route"] == "right_to_ask"
    assert failures.empty


@pytest.mark.parametrize(("table", "column", "spelling", "code"), [
    ("marac", "referring_agency", "Children's Social Care", "childrens_social_care"),
    ("incidents", "relationship", "Ex-Partner", "ex_partner"),
    ("incidents", "victim_sex", "F", "female"),
    ("incidents", "victim_disability", "Unknown", "not_known"),
    ("incidents", "outcome_type", "1a", "1A"),
    ("incidents", "outcome_type", "Outcome 15", "15"),
    ("incidents", "cps_decision", "No Further Action", "nfa"),
    ("arrests", "custody_disposal", "Released Under Investigation", "rui"),
    ("dvds", "decision", "Disclosed", "disclosure"),
])
def test_common_spellings(table, column, spelling, code):
    raw = pd.DataFrame({column: [spelling]}, index=pd.RangeIndex(1, 2), dtype="str")
    typed, _ = normalise(table, raw)
    assert typed.loc[1, column] == code
    assert code in ENUMS[column]  # every enum column is also a key of ENUMS


def test_outcome_type_zero_means_not_yet_assigned():
    typed, failures = normalise("incidents", pd.DataFrame({"outcome_type": ["0"]}, index=[1], dtype="str"))
    assert pd.isna(typed.loc[1, "outcome_type"]) and failures.empty


def test_unknown_code_is_left_as_written_for_the_schema_to_report():
    typed, failures = normalise("dvds", _dvds(route="Right to Demand"))
    assert typed.loc[1, "route"] == "Right to Demand"
    assert failures.empty  # the schema's isin check reports it (see test_quarantine)


@pytest.mark.parametrize(("text", "local"), [
    ("2025-03-14T22:41:00", "2025-03-14 22:41:00"),     # naive = already London local time
    ("2025-03-14 22:41", "2025-03-14 22:41:00"),
    ("2025-03-14T22:41:00Z", "2025-03-14 22:41:00"),    # GMT in March: UTC = local
    ("2025-07-01T09:00:00Z", "2025-07-01 10:00:00"),    # BST: UTC+1
    ("2025-07-01T10:00:00+01:00", "2025-07-01 10:00:00"),
    ("2025-07-01T11:00:00+02:00", "2025-07-01 10:00:00"),  # 09:00 UTC = 10:00 BST
    ("2025-01-10T08:30:00-05:00", "2025-01-10 13:30:00"),  # 13:30 UTC = 13:30 GMT
])
def test_datetimes_with_offsets_become_london_local(text, local):
    typed, failures = normalise("dvds", _dvds(received_at=text))
    assert typed.loc[1, "received_at"] == pd.Timestamp(local)
    assert failures.empty


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("Yes", True), ("Y", True), ("1", True),
    ("FALSE", False), ("no", False), ("n", False), ("0", False),
])
def test_boolean_spellings(text, value):
    typed, failures = normalise("marac", pd.DataFrame({"idva_engaged": [text]}, index=[1], dtype="str"))
    assert typed.loc[1, "idva_engaged"] is value or typed.loc[1, "idva_engaged"] == value
    assert failures.empty


def test_unreadable_cells_are_null_and_reported_with_their_row_number():
    raw = pd.DataFrame({
        "referral_at": ["14/03/2025 10:00", "2025-03-14T10:00:00"],
        "heard_at": ["2025-03-27", "next week"],
        "idva_engaged": ["maybe", "yes"],
        "actions_agreed": ["2.5", "3"],
        "victim_id": ["NOM0001", "NOM0002"],
    }, index=pd.RangeIndex(1, 3), dtype="str")
    typed, failures = normalise("marac", raw)
    assert list(typed.columns) == columns("marac")  # absent optional columns are added as null
    got = set(failures[["row_number", "column_name", "rule"]].itertuples(index=False, name=None))
    assert got == {
        (1, "referral_at", "invalid_datetime"), (2, "heard_at", "invalid_date"),
        (1, "idva_engaged", "invalid_boolean"), (1, "actions_agreed", "invalid_integer"),
    }
    assert pd.isna(typed.loc[1, "referral_at"]) and typed.loc[2, "actions_agreed"] == 3


def test_empty_and_blank_cells_are_null():
    typed, _ = normalise("arrests", pd.DataFrame({"incident_id": ["", "  "], "custody_disposal": [None, " "]},
                                                 index=[1, 2], dtype="str"))
    assert typed["incident_id"].isna().all() and typed["custody_disposal"].isna().all()


def test_every_kind_of_whitespace_is_trimmed_and_inner_spaces_are_kept():
    raw = pd.DataFrame({"division_code": ["\tSOUTH\u00a0", "\u3000", "North  West ", "Été"],
                        "custody_disposal": [" Charged\r\n", "\u2003rui", None, "NFA\t"]},
                       index=pd.RangeIndex(1, 5), dtype="str")
    typed, failures = normalise("arrests", raw)
    assert typed["division_code"].tolist()[0] == "SOUTH" and pd.isna(typed.loc[2, "division_code"])
    assert typed.loc[3, "division_code"] == "North  West" and typed.loc[4, "division_code"] == "Été"
    assert typed["custody_disposal"].tolist()[:2] == ["charged", "rui"] and typed.loc[4, "custody_disposal"] == "nfa"
    assert failures.empty
