"""Comparators: every force's figures, pooled England and Wales and most-similar-group values, ranks,
significance, the comparator and MSG reference tables through the loader, and the exchange format.

The fixture holds the records of four real police force areas (names from the ONS lookup the product
ships) over the financial year 2024-25, each with one partnership, and a fifth force whose records start
after that year:

    force         incidents  of them crimes  population 16+   crime conversion   incidents per 1,000
    Essex (ESX)          10               4          10,000              40.0%                   1.0
    Kent (KNT)           20               6          20,000              30.0%                   1.0
    Sussex (SSX)          5               5           5,000             100.0%                   1.0
    Surrey (SRY)         10               4          10,000              40.0%                   1.0
    Hampshire (HMP): records from April 2025 only, so nothing for 2024-25.

Pooled over the four: 19 crimes of 45 incidents = 42.2%; 45 incidents over 45,000 people = 1.0 per 1,000.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from daperf.db import atomic_write, connect_memory, connect_readonly
from etl.marts import build_marts
from metrics import comparators
from metrics.comparability import POPULATION_NOTE, SYNTHETIC_SOURCE, definition_note
from metrics.comparators import Group, compare, figures, rank_with_ties
from reference import geography
from tests.metrics.records import insert_rows

ESX, KNT, SSX, SRY, HMP = "E23000028", "E23000032", "E23000033", "E23000031", "E23000030"
FY = (date(2024, 4, 1), date(2025, 3, 31))
NAMES = dict(zip(geography.forces()["force_code"], geography.forces()["force_name"]))
# force -> (incidents, crimes, population 16+)
COUNTS = {ESX: (10, 4, 10_000), KNT: (20, 6, 20_000), SSX: (5, 5, 5_000), SRY: (10, 4, 10_000)}


def _incidents(force: str, count: int, crimes: int, first: datetime, last: datetime) -> list[dict]:
    """``count`` incidents from ``first`` to ``last`` (both ends used, so the records cover the whole
    span), the first ``crimes`` of them recorded as crimes."""
    step = (last - first) / max(count - 1, 1)
    rows = []
    for i in range(count):
        reported = first + step * i
        crime = i < crimes
        rows.append({"incident_id": f"I{i}", "force_code": force, "reported_at": reported,
                     "division_code": f"{force}-D", "csp_code": "E2" + force[3:], "victim_id": f"{force}-v{i}",
                     "relationship": "partner", "risk_level": "standard",
                     "crime_ref": f"C{i}" if crime else None, "offence_code": "8N" if crime else None,
                     "crime_recorded_at": reported if crime else None})
    return rows


def build_forces(con) -> None:
    insert_rows(con, "offence_codes", [{"offence_code": "8N", "offence_description": "Assault with injury",
                                        "offence_group": "violence_with_injury", "is_homicide": False}], build=False)
    for force, (incidents, crimes, population) in {**COUNTS, HMP: (6, 3, 6_000)}.items():
        insert_rows(con, "divisions", [{"force_code": force, "division_code": f"{force}-D", "division_name": "All"}],
                    build=False)
        insert_rows(con, "csps", [{"csp_code": "E2" + force[3:], "csp_name": f"{force} area", "force_code": force,
                                   "division_code": f"{force}-D", "population": population,
                                   "population_16plus": population, "population_female_16plus": population // 2}],
                    build=False)
        first, last = ((datetime(2025, 4, 1, 9), datetime(2025, 9, 30, 9)) if force == HMP
                       else (datetime(2024, 4, 1, 9), datetime(2025, 3, 31, 9)))
        insert_rows(con, "incidents", _incidents(force, incidents, crimes, first, last), build=False)
    build_marts(con)


@pytest.fixture(scope="module")
def con():
    con = connect_memory()
    build_forces(con)
    yield con
    con.close()


def test_rank_with_ties_shares_the_better_rank():
    assert rank_with_ties(pd.Series([0.4, 0.25, 1.0, 0.4])).tolist() == [2, 4, 1, 2]


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 500)), min_size=2, max_size=12), st.data())
def test_pooled_values_lie_among_the_forces_and_leave_the_force_out(counts, data):
    """Whatever the counts: England and Wales is the sum over the sum, so it lies between the lowest and
    highest force; the group never includes the force; a rank is one more than the forces above."""
    codes = [f"E230000{i:02d}" for i in range(len(counts))]
    frame = pd.DataFrame({"force_code": codes, "force_name": codes, "metric_id": "crime_conversion_rate",
                          "numerator": [min(n, d) for n, d in counts], "denominator": [d for _, d in counts],
                          "source": "synthetic"})
    frame["value"] = frame["numerator"] / frame["denominator"]
    force = data.draw(st.sampled_from(codes))
    peers = tuple(data.draw(st.lists(st.sampled_from(codes), max_size=7, unique=True)))
    result = compare(frame, "crime_conversion_rate", force, *FY, group=Group(peers, False, ""), expected=frame)
    assert result.england_wales.value == pytest.approx(frame["numerator"].sum() / frame["denominator"].sum())
    assert frame["value"].min() - 1e-12 <= result.england_wales.value <= frame["value"].max() + 1e-12
    if result.msg is not None:
        assert force not in result.msg.forces and set(result.msg.forces) == set(peers) - {force}
    assert result.rank == int((frame["value"] > frame.set_index("force_code").loc[force, "value"]).sum()) + 1
    assert result.missing == ()


def test_several_forces_records_give_every_force_a_figure_from_the_compiler(con):
    frame = figures(con, *FY, ["crime_conversion_rate", "incidents_per_1000"])
    conversion = frame[frame["metric_id"] == "crime_conversion_rate"].set_index("force_code")
    # Hampshire's records start after the year: it has no figure rather than a zero.
    assert sorted(conversion.index) == sorted(COUNTS)
    for force, (incidents, crimes, _) in COUNTS.items():
        assert (conversion.loc[force, "numerator"], conversion.loc[force, "denominator"]) == (crimes, incidents)
    assert set(conversion["origin"]) == {"records"}
    # Worked out at load for the standard periods (several forces' records): the year is in the mart.
    held = con.execute("SELECT count(*) FROM mart_comparators WHERE origin = 'records' AND period_from = $f "
                       "AND period_to = $t", {"f": FY[0], "t": FY[1]}).fetchall()[0][0]
    assert held > 0


def test_pooled_england_and_wales_and_msg_leave_out_the_force(con):
    group = Group(peers=(ESX, KNT, SSX), illustrative=False, source="HMICFRS")  # lists Essex itself, too
    comparison = compare(figures(con, *FY), "crime_conversion_rate", ESX, *FY, group=group)
    assert comparison.value == pytest.approx(0.4)
    # England and Wales: every force's numerators over their denominators, 19 / 45 (a mean of the four
    # rates would be 42.5%).
    assert (comparison.england_wales.numerator, comparison.england_wales.denominator) == (19, 45)
    assert comparison.england_wales.value == pytest.approx(19 / 45)
    # The most similar group without Essex: Kent and Sussex, 11 / 25 (with Essex it would be 15 / 35).
    assert set(comparison.msg.forces) == {KNT, SSX}
    assert comparison.msg.value == pytest.approx(11 / 25)
    assert comparison.msg_missing == ()


def test_population_rates_pool_over_summed_populations(con):
    comparison = compare(figures(con, *FY), "incidents_per_1000", KNT, *FY)
    # 45 incidents over 45,000 people aged 16+, per 1,000; a financial year is 12 whole months: as it is.
    assert comparison.england_wales.value == pytest.approx(45 / 45_000 * 1000)
    assert comparison.value == pytest.approx(1.0)


def test_rank_with_ties_and_forces_missing_from_the_period_are_listed(con):
    frame = figures(con, *FY)
    essex = compare(frame, "crime_conversion_rate", ESX, *FY)
    # Sussex 100%, then Essex and Surrey 40% (joint second), Kent 30% fourth.
    assert (essex.rank, essex.tied, essex.ranked) == (2, True, 4)
    assert comparators.rank_text(essex) == "Joint 2nd highest of 4 forces"
    kent = compare(frame, "crime_conversion_rate", KNT, *FY)
    assert (kent.rank, kent.tied) == (4, False)
    # Every police force area without a figure is left out of the pools and named: Hampshire among them.
    assert NAMES[HMP] in essex.missing and len(essex.missing) == 43 - 4
    assert NAMES[ESX] not in essex.missing
    expected = pd.DataFrame({"force_code": [ESX, KNT, HMP], "force_name": ["Essex", "Kent", "Hampshire"]})
    assert compare(frame, "crime_conversion_rate", ESX, *FY, expected=expected).missing == ("Hampshire",)


def test_a_peer_with_no_figure_is_left_out_of_the_msg_and_listed(con):
    group = Group(peers=(KNT, HMP), illustrative=True, source="illustrative")
    comparison = compare(figures(con, *FY), "crime_conversion_rate", ESX, *FY, group=group)
    assert comparison.msg.forces == (KNT,) and comparison.msg.value == pytest.approx(6 / 20)
    assert comparison.msg_missing == (NAMES[HMP],)


def test_significance_against_england_and_wales_is_the_funnel_test(con):
    frame = figures(con, *FY)
    # Sussex: 5 of 5 against 19/45. The 95% funnel's upper limit at n = 5 is below 1 (the binomial's
    # 97.5% quantile is under 5), so 100% is above it.
    assert sps.binom(5, 19 / 45).ppf(0.975) < 5
    sussex = compare(frame, "crime_conversion_rate", SSX, *FY)
    assert sussex.significant and sussex.higher
    assert comparators.significance_text(sussex).startswith("Significantly higher than England and Wales")
    # Essex: 4 of 10 is well inside the limits at n = 10.
    essex = compare(frame, "crime_conversion_rate", ESX, *FY)
    assert sps.binom(10, 19 / 45).ppf(0.025) <= 4 <= sps.binom(10, 19 / 45).ppf(0.975)
    assert not essex.significant and essex.position == "within"


def test_funnel_of_forces_uses_the_england_and_wales_value(con):
    comparison = compare(figures(con, *FY), "crime_conversion_rate", ESX, *FY)
    funnel = comparators.forces_funnel(comparison)
    assert funnel.target == pytest.approx(19 / 45)
    assert set(funnel.units["unit_code"]) == set(COUNTS)
    assert funnel.units.set_index("unit_code").loc[SSX, "position"].startswith("above")


def test_standard_periods_are_years_quarters_and_the_rolling_years():
    periods = comparators.standard_periods(date(2023, 11, 30), date(2026, 11, 29))
    assert (date(2024, 4, 1), date(2025, 3, 31)) in periods          # a financial year
    assert (date(2026, 7, 1), date(2026, 9, 30)) in periods          # a quarter
    assert (date(2025, 11, 1), date(2026, 10, 31)) in periods        # the dashboard's opening view
    assert (date(2024, 11, 1), date(2025, 10, 31)) in periods        # and the year before it
    assert len(periods) == len(set(periods))


def test_definition_note_only_for_published_figures_whose_definition_differs(con):
    assert definition_note("incidents_per_1000", ["ONS, Domestic abuse data tool"]) == POPULATION_NOTE
    assert definition_note("incidents_per_1000", [SYNTHETIC_SOURCE, comparators.RECORDS_SOURCE]) is None
    assert definition_note("charge_rate", ["Home Office outcomes"]) is None  # same definition
    # A comparison with one published ONS rate among the forces' records carries the note.
    frame = figures(con, *FY, ["incidents_per_1000"])
    assert compare(frame, "incidents_per_1000", ESX, *FY).note is None
    frame.loc[frame["force_code"] == KNT, "source"] = "ONS, Domestic abuse and the criminal justice system"
    assert compare(frame, "incidents_per_1000", ESX, *FY).note == POPULATION_NOTE


# --- the reference tables through the loader --------------------------------------------------------

PUBLISHED_TABLE = '''Police force area,Number of domestic abuse-related crimes,"Rate per 1,000 population"
Essex,"12,345",8.1
"London, City of",[x],[x]
Devon & Cornwall Police,"9,000",6.0 [u]
Nowhere Constabulary,5,1.0
'''
PUBLISHED_MAPPING = '''[comparators]
"Police force area" = "force_name"
"Number of domestic abuse-related crimes" = "numerator"
"Rate per 1,000 population" = "value"

[comparators.values]
metric_id = "crimes_per_1000"
period_from = "2024-04-01"
period_to = "2025-03-31"
source = "ONS, Domestic abuse and the criminal justice system, November 2025"
published_on = "2025-11-26"
'''


def _query(db: Path, text: str, params: dict | None = None) -> pd.DataFrame:
    con = connect_readonly(db)
    try:
        return con.execute(text, params or {}).df()
    finally:
        con.close()


def test_a_published_table_loads_as_it_is_through_a_mapping(tmp_path):
    from etl.load import run_load

    batch = tmp_path / "ons"
    batch.mkdir()
    (batch / "comparators.csv").write_text(PUBLISHED_TABLE, encoding="utf-8")
    (tmp_path / "mapping.toml").write_text(PUBLISHED_MAPPING, encoding="utf-8")
    db = tmp_path / "force.duckdb"
    summary = run_load(batch, db, tmp_path / "mapping.toml", progress=False)
    assert summary.file("comparators").inserted == 3
    assert summary.file("comparators").quarantined_by_rule == {"force_not_known": 1}
    rows = _query(db, "SELECT * FROM mart_comparators ORDER BY force_code").set_index("force_code")
    essex = rows.loc[ESX]
    assert (essex["numerator"], essex["value"], essex["force_name"]) == (12_345, 8.1, "Essex")
    # The population behind a published count and rate: 12,345 x 1,000 / 8.1.
    assert essex["denominator"] == pytest.approx(12_345 * 1000 / 8.1)
    devon = rows.loc["E23000035"]  # named with "&" and "Police", the mark [u] after its rate dropped
    assert (devon["numerator"], devon["value"]) == (9_000, 6.0)
    city = rows.loc["E23000034"]  # [x]: not available, loaded as unknown
    assert math.isnan(city["numerator"]) and math.isnan(city["value"])
    quarantined = _query(db, "SELECT rule, message FROM quarantine")
    assert "police force area of England and Wales" in quarantined.iloc[0]["message"]


def test_comparator_rules_quarantine_what_cannot_be_compared(tmp_path):
    from etl.load import run_load

    batch = tmp_path / "b"
    batch.mkdir()
    (batch / "comparators.csv").write_text(
        "force_code,period_from,period_to,metric_id,numerator,denominator,value,source\n"
        f"{ESX},2024-04-01,2025-03-31,charge_rate,30,400,7.5%,Home Office\n"          # 7.5% read as 0.075
        f"{KNT},2024-04-01,2025-03-31,charge_rate,30,400,7.5,Home Office\n"           # a share above 1
        f"{SSX},2025-03-31,2024-04-01,charge_rate,30,400,0.075,Home Office\n"         # reversed period
        f"{SRY},2024-04-01,2025-03-31,repeat_victim_rate,30,400,0.075,ONS\n"          # no published series
        f"{SRY},2024-04-01,2025-03-31,Repeat victims,30,400,0.075,{SYNTHETIC_SOURCE}\n"  # ours: by name
        f"{HMP},2024-04-01,2025-03-31,incidents,30,,,ONS\n",                           # a count: not compared
        encoding="utf-8")
    (batch / "msg.csv").write_text(
        "force_code,peer_force_code,source\n" + f"{ESX},{ESX},HMICFRS\n"
        + "".join(f"{KNT},E230000{n:02d},HMICFRS\n" for n in range(1, 10)), encoding="utf-8")
    db = tmp_path / "force.duckdb"
    summary = run_load(batch, db, progress=False)
    assert summary.file("comparators").quarantined_by_rule == {
        "share_above_one": 1, "period_ends_before_it_starts": 1, "definition_not_published": 1, "unknown_code": 1}
    loaded = _query(db, "SELECT force_code, metric_id, value FROM comparators ORDER BY force_code")
    assert loaded.values.tolist() == [[ESX, "charge_rate", 0.075], [SRY, "repeat_victim_rate", 0.075]]
    assert summary.file("msg").quarantined_by_rule == {"peer_is_the_force": 1, "more_than_seven_peers": 9}


def test_a_later_batch_replaces_a_force_group(tmp_path):
    from etl.load import run_load

    db = tmp_path / "force.duckdb"
    for name, peers, source in (("first", (KNT, SSX), "illustrative"), ("second", (SRY,), "HMICFRS 2025")):
        batch = tmp_path / name
        batch.mkdir()
        (batch / "msg.csv").write_text("force_code,peer_force_code,source\n"
                                       + "".join(f"{ESX},{p},{source}\n" for p in peers), encoding="utf-8")
        run_load(batch, db, progress=False)
        con = connect_readonly(db)
        try:
            group = comparators.most_similar_group(con, ESX)
        finally:
            con.close()
        assert group.peers == peers and group.illustrative == (source == "illustrative")


def test_exported_figures_reload_to_the_same_values(con, tmp_path):
    from etl.load import run_load

    db = tmp_path / "forces.duckdb"
    with atomic_write(db) as writer:
        build_forces(writer)
    out = tmp_path / "essex.csv"
    assert comparators.write_export(db, out, "2024-04-01", "2025-03-31", ESX) == len(comparators.COMPARABLE_IDS)
    exported = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert set(exported["source"]) == {"Computed by daperf from Essex's records"}
    # 4 crimes of 10 incidents: a count of 1 to 4 is hidden for sharing, and the share with it.
    conversion = exported[exported["metric_id"] == "crime_conversion_rate"].iloc[0]
    assert (conversion["numerator"], conversion["value"]) == ("<5", "")

    batch = tmp_path / "received"
    batch.mkdir()
    out.rename(batch / "comparators.csv")
    other = tmp_path / "other.duckdb"
    summary = run_load(batch, other, progress=False)
    assert summary.file("comparators").quarantined == 0
    reloaded = _query(other, "SELECT * FROM mart_comparators").set_index("metric_id")
    for row in exported.itertuples():
        again = reloaded.loc[row.metric_id]
        for column in ("numerator", "denominator", "value"):
            shown = getattr(row, column)
            expected = float(shown) if shown not in ("", "<5", "[c]") else math.nan
            assert (math.isnan(expected) and math.isnan(again[column])) or again[column] == expected, \
                (row.metric_id, column)
    assert set(reloaded["origin"]) == {"loaded"} and set(reloaded["force_code"]) == {ESX}


def test_export_names_the_force_when_the_database_holds_several(con, tmp_path):
    db = tmp_path / "forces.duckdb"
    with atomic_write(db) as writer:
        build_forces(writer)
    with pytest.raises(ValueError, match="records of 5 forces"):
        comparators.write_export(db, tmp_path / "x.csv", "2024-04-01", "2025-03-31")
