"""The victim profile on a tiny hand-made force, beside the real 2011 Census residents of two CSPs.

Humberside (E23000012): division D1 = North East Lincolnshire (E22000135), D2 = North Lincolnshire
(E22000136). Census 2011 usual residents (research-data, QS201EW) by ethnic group:
  E22000135: asian 2129, black 411, mixed 1186, white 155421, other 469 (total 159616)
  E22000136: asian 4549, black 494, mixed 1244, white 160748, other 411 (total 167446)
"""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from daperf.db import connect_memory
from tests.metrics.records import insert_rows, person
from metrics.profile import victim_profile
from metrics.stats import wilson_interval
from metrics.suppression import SECONDARY_MARK, SMALL_COUNT_MARK

FORCE = "E23000012"
NE_LINCS, N_LINCS = "E22000135", "E22000136"
PERIOD = (date(2024, 1, 1), date(2024, 12, 31))




def incident(n: int, victim: str, reported: datetime, csp: str, **known) -> dict:
    return {"incident_id": f"I{n}", "force_code": FORCE, "reported_at": reported,
            "division_code": "D1" if csp == NE_LINCS else "D2", "csp_code": csp, "victim_id": person(victim),
            "relationship": "partner", "risk_level": "standard", **known}


def reference(con) -> None:
    insert_rows(con, "divisions", [
        {"force_code": FORCE, "division_code": "D1", "division_name": "South Bank"},
        {"force_code": FORCE, "division_code": "D2", "division_name": "North Bank"},
    ])
    insert_rows(con, "csps", [
        {"csp_code": NE_LINCS, "csp_name": "North East Lincolnshire", "force_code": FORCE, "division_code": "D1"},
        {"csp_code": N_LINCS, "csp_name": "North Lincolnshire", "force_code": FORCE, "division_code": "D2"},
    ])


@pytest.fixture
def con():
    con = connect_memory()
    reference(con)
    insert_rows(con, "incidents", [
        # v1: described by the latest incident that records each attribute (the May one lacks ethnicity
        # and disability), so white, female, 31 (25-34), no disability in NE Lincs.
        incident(1, "v1", datetime(2024, 2, 1, 10), NE_LINCS, victim_ethnicity="white", victim_sex="female",
                 victim_age=30, victim_disability="no"),
        incident(2, "v1", datetime(2024, 5, 1, 10), NE_LINCS, victim_ethnicity="not_stated",
                 victim_sex="female", victim_age=31),
        incident(3, "v2", datetime(2024, 3, 1, 10), NE_LINCS, victim_ethnicity="asian", victim_sex="female",
                 victim_age=17, victim_disability="yes"),
        incident(4, "v3", datetime(2024, 4, 1, 10), NE_LINCS, victim_ethnicity="black", victim_sex="male",
                 victim_disability="not_known"),
        incident(5, "v4", datetime(2024, 6, 1, 10), NE_LINCS, victim_age=70, victim_disability="no"),
        # Before the period: not counted.
        incident(6, "v5", datetime(2023, 12, 31, 23, 59), NE_LINCS, victim_ethnicity="white"),
        # North Lincolnshire: v6, and v1 again, recorded there as mixed (the latest, force-wide).
        incident(7, "v6", datetime(2024, 7, 1, 10), N_LINCS, victim_ethnicity="asian", victim_sex="female",
                 victim_age=40),
        incident(8, "v1", datetime(2024, 8, 1, 10), N_LINCS, victim_ethnicity="mixed"),
    ])
    return con


def rows_of(profile: pd.DataFrame, attribute: str) -> pd.DataFrame:
    return profile[profile["breakdown"] == attribute].set_index("breakdown_value")


def test_profile_of_one_csp(con):
    profile = victim_profile(con, "csp", NE_LINCS, *PERIOD)
    headline = profile[profile["breakdown"].isna()].iloc[0]
    assert headline["numerator"] == 4  # v1, v2, v3, v4 (v5 is before the period, v6 elsewhere)

    ethnicity = rows_of(profile, "victim_ethnicity")
    assert ethnicity["numerator"].to_dict() == {"asian": 1, "black": 1, "mixed": 0, "white": 1, "other": 0,
                                               "not_known": 1}
    # Shares among the 3 whose ethnicity is known; the not-known row is a share of all 4.
    assert ethnicity.loc["white", "denominator"] == 3
    assert ethnicity.loc["white", "value"] == pytest.approx(1 / 3)
    assert ethnicity.loc["not_known", "value"] == pytest.approx(1 / 4)
    low, high = wilson_interval(1, 3)
    assert ethnicity.loc["white", "ci_low"] == pytest.approx(low)
    # Residents: white 155421 of 159616 = 0.973718; ratio (1/3) / 0.973718 = 0.342331.
    white_share = 155421 / 159616
    assert ethnicity.loc["white", "population"] == 155421
    assert ethnicity.loc["white", "population_share"] == pytest.approx(white_share)
    assert ethnicity.loc["white", "representation_ratio"] == pytest.approx((1 / 3) / white_share)
    assert ethnicity.loc["white", "ratio_ci_high"] == pytest.approx(high / white_share)
    # Asian: 1/3 of victims against 2129/159616 = 1.3338% of residents -> ratio 24.99.
    assert ethnicity.loc["asian", "representation_ratio"] == pytest.approx((1 / 3) / (2129 / 159616))
    assert np.isnan(ethnicity.loc["not_known", "representation_ratio"])

    sex = rows_of(profile, "victim_sex")
    assert sex["numerator"].to_dict() == {"female": 2, "male": 1, "other": 0, "not_known": 1}
    assert sex.loc["female", "value"] == pytest.approx(2 / 3)
    age = rows_of(profile, "age_band")
    assert age.loc["25-34", "numerator"] == 1  # v1 at 31, their latest age
    assert age.loc["16-17", "numerator"] == 1
    assert age.loc["65+", "numerator"] == 1
    assert age.loc["not_known", "numerator"] == 1
    assert age["numerator"].sum() == 4
    disability = rows_of(profile, "victim_disability")
    assert disability["numerator"].to_dict() == {"yes": 1, "no": 2, "not_known": 1}


def test_profile_of_the_force_counts_each_victim_once(con):
    profile = victim_profile(con, "force", FORCE, *PERIOD)
    assert profile[profile["breakdown"].isna()]["numerator"].iloc[0] == 5  # v1, v2, v3, v4, v6
    ethnicity = rows_of(profile, "victim_ethnicity")
    # v1's latest recorded ethnicity is August's "mixed".
    assert ethnicity["numerator"].to_dict() == {"asian": 2, "black": 1, "mixed": 1, "white": 0, "other": 0,
                                               "not_known": 1}
    # Residents of both CSPs: asian 2129 + 4549 = 6678 of 159616 + 167446 = 327062.
    assert ethnicity.loc["asian", "population_share"] == pytest.approx(6678 / 327062)
    assert ethnicity.loc["asian", "representation_ratio"] == pytest.approx((2 / 4) / (6678 / 327062))


def test_profile_of_a_division(con):
    profile = victim_profile(con, "division", "D2", *PERIOD)
    ethnicity = rows_of(profile, "victim_ethnicity")
    assert ethnicity["numerator"].to_dict() == {"asian": 1, "black": 0, "mixed": 1, "white": 0, "other": 0,
                                               "not_known": 0}
    assert ethnicity.loc["white", "population_share"] == pytest.approx(160748 / 167446)


def test_suppressed_profile_hides_small_counts_and_the_ratios_built_on_them(con):
    profile = victim_profile(con, "csp", NE_LINCS, *PERIOD, suppress_small_numbers=True)
    counts = profile["numerator"].tolist()
    assert all(c in (0, SMALL_COUNT_MARK, SECONDARY_MARK) for c in counts)
    white = rows_of(profile, "victim_ethnicity").loc["white"]
    assert white["numerator"] == SMALL_COUNT_MARK
    assert white["value"] is None and np.isnan(white["representation_ratio"])
    assert profile["suppressed"].any()


def _victims(con, spec: list[tuple[int, dict]]) -> None:
    """Insert ``count`` victims, one incident each in NE Lincs in March 2024, per (count, attributes)."""
    rows, n = [], 0
    for count, attributes in spec:
        for _ in range(count):
            rows.append(incident(n, f"p{n}", datetime(2024, 3, 1, 9) + pd.Timedelta(hours=n), NE_LINCS,
                                 **{"victim_sex": "female", "victim_age": 30, "victim_disability": "no",
                                    **attributes}))
            n += 1
    insert_rows(con, "incidents", rows)


def test_a_hidden_not_known_count_is_not_given_away_by_the_known_total():
    # 12 white victims and 2 with no ethnicity. not_known (2) is hidden, and white (12) with it (the only
    # other non-zero cell). The known total, 12, would give 14 − 12 = 2 back, so the known rows are
    # rebased onto all victims. Shown counts are then rounded to 5: all victims 14 show as 15, so the known
    # rows are shares of 15: asian 0 of 15 (Wilson 0 .. 0.2039), white stays hidden, and white + not known
    # = 14 with not known anywhere in 1-4 leaves white unknown (10 to 13).
    con = connect_memory()
    reference(con)
    _victims(con, [(12, {"victim_ethnicity": "white"}), (2, {})])
    plain = rows_of(victim_profile(con, "csp", NE_LINCS, *PERIOD), "victim_ethnicity")
    assert plain.loc["white", "denominator"] == 12 and plain.loc["not_known", "numerator"] == 2

    profile = victim_profile(con, "csp", NE_LINCS, *PERIOD, suppress_small_numbers=True)
    assert profile[profile["breakdown"].isna()]["numerator"].iloc[0] == 15
    ethnicity = rows_of(profile, "victim_ethnicity")
    assert ethnicity.loc["not_known", "numerator"] == SMALL_COUNT_MARK
    assert ethnicity.loc["white", "numerator"] == SECONDARY_MARK
    known = ethnicity.drop(index="not_known")
    assert (known["denominator"] == 15).all() and (known["share_of"] == "all").all()
    assert known.loc["white", "value"] is None and np.isnan(known.loc["white", "representation_ratio"])
    assert known.loc["asian", "value"] == 0.0
    assert known.loc["asian", "ci_high"] == pytest.approx(wilson_interval(0, 15)[1])
    assert known.loc["asian", "representation_ratio"] == 0.0
    assert 12 not in set(profile["denominator"]) and 14 not in set(profile["denominator"])
    # Sex is fully known (14 female, shown as 15 of 15): nothing there needs hiding.
    sex = rows_of(profile, "victim_sex")
    assert sex.loc["female", "numerator"] == 15 and sex.loc["female", "value"] == pytest.approx(1.0)
    assert sex.loc["female", "share_of"] == "known"


def test_not_known_is_hidden_to_protect_another_cell_only_as_a_last_resort():
    # 20 white, 3 asian, 6 not known: asian (3) is hidden; the smallest other non-zero cell is not known
    # (6), but hiding it would cost every share (the known total 23 = 29 − 6), so white (20) is hidden.
    # Rounded: not known 6 shows as 5, the known total 23 as 25, all victims 29 as 30, and not known's
    # share is worked from the rounded counts, 5 of 30.
    con = connect_memory()
    reference(con)
    _victims(con, [(20, {"victim_ethnicity": "white"}), (3, {"victim_ethnicity": "asian"}), (6, {})])
    ethnicity = rows_of(victim_profile(con, "csp", NE_LINCS, *PERIOD, suppress_small_numbers=True),
                        "victim_ethnicity")
    assert ethnicity["numerator"].to_dict() == {"asian": SMALL_COUNT_MARK, "black": 0, "mixed": 0,
                                               "white": SECONDARY_MARK, "other": 0, "not_known": 5}
    assert ethnicity.loc["black", "denominator"] == 25 and ethnicity.loc["black", "share_of"] == "known"
    assert ethnicity.loc["not_known", "value"] == pytest.approx(5 / 30)


def test_a_unit_outside_the_census_has_no_population():
    con = connect_memory()
    insert_rows(con, "divisions", [{"force_code": "E23000099", "division_code": "DX", "division_name": "X"}])
    insert_rows(con, "csps", [{"csp_code": "E22999999", "csp_name": "Made up", "force_code": "E23000099",
                               "division_code": "DX"}])
    profile = victim_profile(con, "csp", "E22999999", *PERIOD)
    assert profile[profile["breakdown"].isna()]["numerator"].iloc[0] == 0
    assert profile["population_share"].isna().all()
    assert rows_of(profile, "victim_sex")["value"].isna().all()  # no victims: no shares
