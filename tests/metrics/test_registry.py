"""The registry covers the catalogue exactly, and every declaration is complete and consistent."""
from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

from daperf.config import REPO_ROOT, thresholds
from daperf.db import connect_memory
from etl.marts import build_marts
from metrics.compiler import count_measures
from metrics.registry import INDICATORS, METRICS, NOT_YET_MEASURED

SHARED_DIR = Path(os.environ.get("DAPERF_SHARED_DIR", REPO_ROOT.parent / "shared"))
CATALOGUE = SHARED_DIR / "spec" / "metrics.md"
# The catalogue's `marac_share_*` row names its family by the attributes it lists.
MARAC_SHARES = ["marac_share_racially_minoritised", "marac_share_lgbt", "marac_share_disabled",
                "marac_share_male", "marac_share_aged_16_17"]


def catalogue_ids() -> list[str]:
    """The ids in the first column of the catalogue's Definitions table."""
    text = CATALOGUE.read_text(encoding="utf-8")
    table = text.split("## Definitions", 1)[1].split("\n\n", 2)[1]
    ids = []
    for line in table.splitlines()[2:]:  # skip the header and its rule
        first = line.split("|")[1].strip()
        ids.extend(MARAC_SHARES if first == "marac_share_*" else [first])
    return ids


def indicator_table() -> dict[int, set[str]]:
    text = CATALOGUE.read_text(encoding="utf-8")
    found = {}
    for line in text.splitlines():
        match = re.match(r"\|\s*(\d)\s*\|(.*)\|(.*)\|\s*$", line)
        if match:
            found[int(match.group(1))] = set(re.findall(r"`([a-z0-9_]+)`", match.group(3)))
    return found


def test_registry_has_every_catalogue_id_and_no_other():
    ids = catalogue_ids()
    assert len(ids) == 46
    assert sorted(METRICS) == sorted(ids)


def test_indicators_match_the_catalogue():
    catalogue = indicator_table()
    assert [i.number for i in INDICATORS] == list(range(1, 10))
    for indicator in INDICATORS:
        assert indicator.headline in indicator.metric_ids
        # The catalogue's row lists the ids (the MARAC row says "representation shares" for the family).
        assert catalogue[indicator.number] <= set(indicator.metric_ids)
        assert all(METRICS[mid].indicator == indicator.number for mid in indicator.metric_ids)
    in_nine = {mid for i in INDICATORS for mid in i.metric_ids}
    assert sorted(set(METRICS) - in_nine) == ["attendance_within_target_rate", "domestic_homicides"]
    assert METRICS["domestic_homicides"].indicator is None


@pytest.fixture(scope="module")
def empty_marts():
    con = connect_memory()
    build_marts(con)
    yield con
    con.close()


@pytest.mark.parametrize("metric", list(METRICS.values()), ids=list(METRICS))
def test_each_declaration_is_complete_and_compiles(metric, empty_marts):
    assert metric.name and metric.question.endswith("?") and metric.counts and metric.source
    assert metric.kind in ("count", "proportion", "rate")
    assert metric.better in ("higher", "lower", "neither", "toward")
    assert (metric.denominator is None) == (metric.kind == "count") == (metric.out_of is None)
    assert (metric.per is not None) == (metric.kind == "rate")
    # Definitions are sentences for a panel member: no field names, no file names.
    for words in (metric.counts, metric.out_of or "", metric.source):
        assert not re.search(r"\b[a-z]+_[a-z_]+\b|\.txt|\.md\b|\.toml", words), words
    # Every measure's flags and dates are columns of its fact: the compiled SQL runs, from the facts and
    # from the monthly mart.
    for source in ("facts", "auto"):
        counts = count_measures(empty_marts, metric.measures, "division", date(2025, 1, 1), date(2025, 12, 31),
                                breakdowns=metric.breakdowns, source=source)
        assert {m.key for m in metric.measures} <= set(counts.columns)


def test_adding_a_proportion_over_an_existing_flag_is_one_declaration(empty_marts):
    """The share of incidents with children present among those risk-assessed: a declaration, no SQL."""
    from metrics.registry import Measure

    numerator = Measure("incidents", "reported_at", ("risk_assessed", "children_present"))
    counts = count_measures(empty_marts, [numerator], "force", date(2025, 1, 1), date(2025, 12, 31), source="facts")
    assert numerator.key in counts.columns


def test_reference_values_come_from_the_thresholds_with_their_source():
    assert METRICS["marac_cases_per_10k_women"].target == 40
    assert METRICS["marac_cases_per_10k_women"].reference_value == 40
    assert METRICS["arrest_rate_where_power"].reference_value == [0.50, 0.65, 0.80]
    assert "Second London Domestic Violence Strategy" in METRICS["arrest_rate_where_power"].reference_source
    assert METRICS["marac_repeat_rate"].reference_value == [0.28, 0.40]
    assert "Authorised Professional Practice" in METRICS["dvds_initial_checks_24h_rate"].source
    assert METRICS["charge_rate"].reference_value is None
    assert METRICS["dvds_applications"].breakdowns == ("route",)
    assert METRICS["notices_served"].breakdowns == ("scheme",)
    assert "call_grade" in METRICS["attendance_within_target_rate"].breakdowns
    # Sources are cited by their titles, never by a file name.
    for metric in METRICS.values():
        assert ".txt" not in metric.source and "seed" not in metric.source
    for threshold in thresholds().values():
        assert ".txt" not in threshold.source and "spec/" not in threshold.source


def test_every_threshold_names_its_source():
    table = thresholds()
    for key in ("lookback_days", "marac_referral_window_days", "dvds_initial_checks_hours", "dvds_decision_days",
                "attendance_emergency_minutes", "attendance_priority_minutes", "no_further_incident_days",
                "arrest_where_power_levels", "marac_repeat_rate_band", "marac_cases_per_10k_women_recommended",
                "order_hearing_hours"):
        assert table[key].source
    assert table["lookback_days"].value == 365
    assert table["no_further_incident_days"].value == 183


def test_an_unknown_override_key_is_refused(tmp_path: Path, monkeypatch):
    override = tmp_path / "thresholds.toml"
    override.write_text("[lookback_dayz]\nvalue = 30\n", encoding="utf-8")
    monkeypatch.setenv("DAPERF_THRESHOLDS", str(override))
    with pytest.raises(KeyError, match="lookback_dayz"):
        thresholds()


def test_measures_no_extract_feeds_are_listed():
    names = [item.name.lower() for item in NOT_YET_MEASURED]
    assert any("service user feedback" in name for name in names)
    assert any("other domestic abuse service providers" in name for name in names)
    assert all(item.why for item in NOT_YET_MEASURED)
