"""Data quality questions on a small hand-made database, expected values worked by hand."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from daperf.db import connect_memory
from tests.metrics.records import insert_rows, person
from metrics.data_quality import (
    COMPLETENESS_FIELDS,
    completeness_matrix,
    field_completeness,
    load_files,
    load_history,
    orphan_counts,
    orphan_records,
    quarantine_by_rule,
    unknown_offence_codes,
)

FORCE = "E23000028"




def minimal(incident_id: str, division: str, risk: str, reported=datetime(2025, 3, 1, 12, 0), **known) -> dict:
    """An incident with only the required fields, plus any given."""
    return {"incident_id": incident_id, "force_code": FORCE, "reported_at": reported, "division_code": division,
            "csp_code": "C" + division, "victim_id": person("V" + incident_id), "relationship": "partner",
            "risk_level": risk, **known}


def full(incident_id: str, division: str, risk: str, offence="8N", **override) -> dict:
    """An incident with every completeness field known (override one with None to leave it unknown)."""
    row = minimal(incident_id, division, risk,
                  suspect_id=person("S" + incident_id), victim_sex="female", suspect_sex="male",
                  victim_age=30, suspect_age=32, victim_ethnicity="white", victim_disability="no",
                  call_grade="priority", attended_at=datetime(2025, 3, 1, 12, 40), risk_tool="dash",
                  children_present=False, power_of_arrest=True, crime_ref="CR" + incident_id,
                  offence_code=offence, crime_recorded_at=datetime(2025, 3, 1, 14, 0))
    row.update(override)
    return row


@pytest.fixture(scope="module")
def con():
    con = connect_memory()
    insert_rows(con, "divisions", [
        {"force_code": FORCE, "division_code": "D1", "division_name": "North"},
        {"force_code": FORCE, "division_code": "D2", "division_name": "South"},
    ])
    insert_rows(con, "offence_codes", [{"offence_code": "8N", "offence_description": "Assault with injury",
                                        "offence_group": "violence_with_injury", "is_homicide": False}])
    insert_rows(con, "incidents", [
        full("N1", "D1", "high"),
        full("N2", "D1", "not_assessed", suspect_id=None, victim_age=None),
        minimal("N3", "D1", "standard"),
        minimal("N4", "D1", "not_assessed", reported=datetime(2024, 6, 1, 8, 0)),
        full("N5", "D2", "medium", offence="ZZZ1"),
        full("N6", "D2", "medium", offence="ZZZ1", victim_ethnicity=None),
        full("N7", "D2", "standard", offence="YYY"),
    ])
    insert_rows(con, "arrests", [
        {"arrest_id": a, "force_code": FORCE, "incident_id": i, "suspect_id": person("S"),
         "arrested_at": datetime(2025, 3, 2, 9, 0), "division_code": "D1", "_batch_id": "B1"}
        for a, i in [("AR1", "N1"), ("AR2", "NX"), ("AR3", None)]
    ])
    insert_rows(con, "protective_orders", [
        {"notice_id": n, "force_code": FORCE, "scheme": "dvpn", "incident_id": i, "suspect_id": person("S"),
         "victim_id": person("V"), "division_code": "D2", "csp_code": "CD2",
         "served_at": datetime(2025, 3, 2, 10, 0), "_batch_id": "B1"}
        for n, i in [("PO1", "N5"), ("PO2", "NY"), ("PO3", None)]
    ])
    insert_rows(con, "load_batches", [
        {"batch_id": "B1", "source_dir": "batch-1", "started_at": datetime(2025, 1, 1, 6, 0),
         "finished_at": datetime(2025, 1, 1, 6, 1), "status": "loaded", "message": None},
        {"batch_id": "B2", "source_dir": "batch-2", "started_at": datetime(2025, 2, 1, 6, 0),
         "finished_at": datetime(2025, 2, 1, 6, 0), "status": "refused", "message": "incidents.csv lacks reported_at"},
    ])
    insert_rows(con, "load_files", [
        {"batch_id": "B1", "table_name": "incidents", "file_name": "incidents.csv", "sha256": "a" * 64,
         "rows_read": 10, "rows_inserted": 7, "rows_updated": 0, "rows_unchanged": 0, "rows_quarantined": 3},
        {"batch_id": "B1", "table_name": "arrests", "file_name": "arrests.csv", "sha256": "b" * 64,
         "rows_read": 5, "rows_inserted": 3, "rows_updated": 1, "rows_unchanged": 0, "rows_quarantined": 1},
    ])
    insert_rows(con, "quarantine", [
        {"batch_id": "B1", "table_name": t, "source_file": t + ".csv", "row_number": n, "record_id": f"R{n}",
         "rule": r, "column_name": c, "message": "fix it", "quarantined_at": datetime(2025, 1, 1, 6, 1)}
        for t, n, r, c in [("incidents", 2, "attended_before_reported", "attended_at"),
                           ("incidents", 5, "attended_before_reported", "attended_at"),
                           ("incidents", 9, "unknown_code", "relationship"),
                           ("arrests", 4, "missing_required", "suspect_id")]
    ])
    yield con
    con.close()


def test_load_history_newest_first_with_file_totals(con):
    df = load_history(con)
    assert df["batch_id"].tolist() == ["B2", "B1"]
    b1 = df.set_index("batch_id").loc["B1"]
    # files: incidents + arrests = 2; read 10 + 5 = 15; inserted 7 + 3 = 10; quarantined 3 + 1 = 4
    assert (b1["files"], b1["rows_read"], b1["rows_inserted"], b1["rows_updated"], b1["rows_quarantined"]) == (
        2, 15, 10, 1, 4)
    b2 = df.set_index("batch_id").loc["B2"]
    assert (b2["status"], b2["files"], b2["rows_read"]) == ("refused", 0, 0)
    assert load_files(con, "B1")["table_name"].tolist() == ["arrests", "incidents"]
    assert load_files(con, "B2").empty


def test_quarantine_counted_by_table_and_rule(con):
    df = quarantine_by_rule(con)
    assert list(zip(df["table_name"], df["rule"], df["rows_quarantined"])) == [
        ("incidents", "attended_before_reported", 2), ("arrests", "missing_required", 1),
        ("incidents", "unknown_code", 1)]


def test_quarantine_counts_what_is_outstanding_not_every_resend():
    """A force resends its full snapshot each week: a row it has not fixed is quarantined again in each
    batch. Batch B1 quarantines R1 and R2; B2 (a later snapshot) quarantines R1 again, R2 was fixed.
    Outstanding now (latest batch B2): 1 row. Records ever quarantined: R1, R2 = 2. Batches: 2."""
    con = connect_memory()
    insert_rows(con, "load_files", [
        {"batch_id": b, "table_name": "incidents", "file_name": "incidents.csv", "sha256": "a" * 64,
         "rows_read": 3, "rows_inserted": 0, "rows_updated": 0, "rows_unchanged": 0, "rows_quarantined": q}
        for b, q in [("B1", 2), ("B2", 1)]
    ])
    insert_rows(con, "quarantine", [
        {"batch_id": b, "table_name": "incidents", "source_file": "incidents.csv", "row_number": n,
         "record_id": r, "rule": "attended_before_reported", "column_name": "attended_at", "message": "fix it",
         "quarantined_at": datetime(2025, 1, 1, 6, 1)}
        for b, n, r in [("B1", 1, "R1"), ("B1", 2, "R2"), ("B2", 1, "R1")]
    ])
    row = quarantine_by_rule(con).iloc[0]
    assert (row["rows_quarantined"], row["records_ever"], row["batches"]) == (1, 2, 2)


def test_field_completeness_all_time(con):
    df = field_completeness(con).set_index(["division_code", "field"])
    assert set(df.index.get_level_values("field")) == set(COMPLETENESS_FIELDS)
    # D1 = N1 (full), N2 (full but suspect and victim age unknown), N3 and N4 (required fields only)
    assert df.loc[("D1", "suspect_id"), ["incidents", "known"]].tolist() == [4, 1]      # N1
    assert df.loc[("D1", "victim_sex"), "share_known"] == pytest.approx(2 / 4)          # N1 N2
    assert df.loc[("D1", "victim_age"), "share_known"] == pytest.approx(1 / 4)          # N1
    # risk_level: assessed = N1 high, N3 standard; not assessed N2 N4 -> 2/4
    assert df.loc[("D1", "risk_level"), "share_known"] == pytest.approx(2 / 4)
    # D2 = N5 N6 N7 all full except N6's ethnicity -> 2/3
    assert df.loc[("D2", "victim_ethnicity"), "share_known"] == pytest.approx(2 / 3)
    assert df.loc[("D2", "risk_level"), "share_known"] == 1.0
    assert df.loc[("D2", "suspect_id"), "division_name"] == "South"


def test_field_completeness_in_a_period_and_as_a_matrix(con):
    # 2025 only: N4 (June 2024) drops out of D1, leaving N1 N2 N3
    df = field_completeness(con, date(2025, 1, 1), date(2025, 12, 31))
    matrix = completeness_matrix(df)
    assert list(matrix.columns) == list(COMPLETENESS_FIELDS)
    assert matrix.loc["D1", "victim_sex"] == pytest.approx(2 / 3)       # N1 N2 of 3
    assert 1 - matrix.loc["D1", "risk_level"] == pytest.approx(1 / 3)   # not assessed: N2 of 3


def test_unknown_offence_codes(con):
    df = unknown_offence_codes(con)
    # N5 N6 carry ZZZ1, N7 YYY; N1 N2 carry the known 8N
    assert list(zip(df["offence_code"], df["incidents"])) == [("ZZZ1", 2), ("YYY", 1)]


def test_orphans(con):
    df = orphan_records(con)
    # AR2 names NX and PO2 names NY, neither loaded; AR3 and PO3 name no incident and are not orphans
    assert list(zip(df["table_name"], df["record_id"], df["incident_id"])) == [
        ("arrests", "AR2", "NX"), ("protective_orders", "PO2", "NY")]
    counts = orphan_counts(con).set_index("table_name")
    assert counts.loc["arrests"].tolist() == [1, 2]              # AR2 of AR1 AR2
    assert counts.loc["protective_orders"].tolist() == [1, 2]    # PO2 of PO1 PO2
