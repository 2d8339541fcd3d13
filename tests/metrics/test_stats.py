"""metrics.stats against values worked by hand from the published formulas."""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from metrics.stats import (
    COUNTING_RULES_CHANGE,
    compare_periods,
    funnel_limits,
    funnel_position,
    p_chart_limits,
    spc_signals,
    spc_table,
    wilson_interval,
    xmr_limits,
)

Z = 1.959963984540054  # the 97.5% point of the standard normal


# --- Wilson ----------------------------------------------------------------------------------------

def test_wilson_five_of_ten_by_the_formula():
    # (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), p = 0.5, n = 10, z² = 3.841459:
    #   z²/2n = 0.192073, √(0.025 + 0.009604) = 0.186021, × z = 0.364594, 1 + z²/n = 1.384146
    #   low = (0.5 + 0.192073 − 0.364594) / 1.384146 = 0.236593; high = 1.056667 / 1.384146 = 0.763407
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.236593, abs=1e-6)
    assert high == pytest.approx(0.763407, abs=1e-6)


def test_wilson_zero_of_ten_starts_at_zero():
    # p = 0: low = 0; high = (z²/2n + z·√(z²/4n²)) / (1 + z²/n) = (z²/n) / (1 + z²/n) = 0.384146 / 1.384146
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.384146 / 1.384146, abs=1e-6)


@pytest.mark.parametrize(
    ("num", "den", "low", "high"),
    [
        # Newcombe (1998), Stat Med 17:857, table I, method 3 (Wilson score, no continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_table(num, den, low, high):
    got_low, got_high = wilson_interval(num, den)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


def test_wilson_is_vectorised_and_keeps_a_series_index():
    num = pd.Series([5, 3, None, 2], index=["a", "b", "c", "d"])
    den = pd.Series([10, 0, 10, None], index=["a", "b", "c", "d"])
    low, high = wilson_interval(num, den)
    assert list(low.index) == ["a", "b", "c", "d"]
    assert low["a"] == pytest.approx(0.236593, abs=1e-6)
    # No denominator (0 or missing) or no numerator: no interval.
    assert low[["b", "c", "d"]].isna().all() and high[["b", "c", "d"]].isna().all()
    arr_low, arr_high = wilson_interval(np.array([5, 0]), np.array([10, 10]))
    assert isinstance(arr_low, np.ndarray)
    assert arr_high[1] == pytest.approx(0.384146 / 1.384146, abs=1e-6)


def test_wilson_refuses_a_numerator_above_its_denominator():
    with pytest.raises(ValueError, match="Not a proportion"):
        wilson_interval(11, 10)


# --- XmR and p-chart limits ----------------------------------------------------------------------

def test_xmr_limits_by_hand():
    # mean = (10 + 14 + 9 + 11 + 16) / 5 = 12; moving ranges 4, 5, 2, 5 -> mean 4
    # UCL = 12 + 2.66·4 = 22.64; LCL = 12 − 10.64 = 1.36
    limits = xmr_limits([10, 14, 9, 11, 16])
    assert limits.centre == pytest.approx(12.0)
    assert limits.mean_moving_range == pytest.approx(4.0)
    assert limits.ucl == pytest.approx(22.64)
    assert limits.lcl == pytest.approx(1.36)


def test_xmr_lower_limit_is_floored_at_zero():
    # mean = 24 / 4 = 6; moving ranges 8, 7, 6 -> 7; 6 − 2.66·7 = −12.62 -> 0; UCL = 6 + 18.62 = 24.62
    limits = xmr_limits([2, 10, 3, 9])
    assert limits.lcl == 0.0
    assert limits.ucl == pytest.approx(24.62)


def test_xmr_needs_two_points():
    limits = xmr_limits([7])
    assert limits.centre == 7.0
    assert math.isnan(limits.ucl) and math.isnan(limits.lcl)


def test_p_chart_limits_by_hand():
    # p̄ = (10 + 30 + 20) / (100 + 200 + 100) = 0.15
    # n = 100: 3·√(0.15·0.85/100) = 3·0.0357071 = 0.107121 -> 0.042879 .. 0.257121
    # n = 200: 3·√(0.15·0.85/200) = 3·0.0252488 = 0.075746 -> 0.074254 .. 0.225746
    limits = p_chart_limits([10, 30, 20], [100, 200, 100])
    assert limits["centre"].tolist() == pytest.approx([0.15, 0.15, 0.15])
    assert limits["lcl"].tolist() == pytest.approx([0.042879, 0.074254, 0.042879], abs=1e-6)
    assert limits["ucl"].tolist() == pytest.approx([0.257121, 0.225746, 0.257121], abs=1e-6)


def test_p_chart_limits_are_clipped_and_skip_empty_months():
    # p̄ = 2 / 20 = 0.1; 3·√(0.1·0.9/10) = 0.284605: 0.1 − 0.2846 < 0 -> 0; UCL 0.384605. No cases: NaN.
    limits = p_chart_limits([1, 1, 0], [10, 10, 0])
    assert limits["lcl"].iloc[0] == 0.0
    assert limits["ucl"].iloc[0] == pytest.approx(0.384605, abs=1e-6)
    assert limits.iloc[2].isna().all()


# --- Special-cause rules --------------------------------------------------------------------------

def test_seven_points_above_the_centre_are_a_run():
    signals = spc_signals([11] * 7 + [9], centre=10, lcl=0, ucl=20)
    assert signals["run"].tolist() == [True] * 7 + [False]
    assert signals["special_cause"].tolist() == [True] * 7 + [False]


def test_six_points_above_the_centre_are_not_a_run():
    signals = spc_signals([11] * 6 + [9, 9], centre=10, lcl=0, ucl=20)
    assert not signals["run"].any()
    assert not signals["special_cause"].any()


def test_seven_points_below_the_centre_are_a_run_and_a_point_on_the_line_breaks_one():
    below = spc_signals([12, 9, 9, 9, 9, 9, 9, 9], centre=10, lcl=0, ucl=20)
    assert below["run"].tolist() == [False] + [True] * 7
    broken = spc_signals([11, 11, 11, 10, 11, 11, 11, 11], centre=10, lcl=0, ucl=20)
    assert not broken["run"].any()


def test_six_rising_points_are_a_trend_five_are_not():
    # 6 points = 5 consecutive rises; every point of the trend is flagged.
    six = spc_signals([1, 2, 3, 4, 5, 6], centre=100, lcl=0, ucl=200)
    assert six["trend"].tolist() == [True] * 6
    five = spc_signals([1, 2, 3, 4, 5, 1], centre=100, lcl=0, ucl=200)
    assert not five["trend"].any()
    # 50, 9, 8, ..., 4 is 7 falling points (6 falls): every one flagged.
    falling = spc_signals([50, 9, 8, 7, 6, 5, 4], centre=100, lcl=0, ucl=200)
    assert falling["trend"].tolist() == [True] * 7


def test_equal_neighbours_end_a_trend():
    signals = spc_signals([1, 2, 3, 3, 4, 5, 6], centre=100, lcl=0, ucl=200)
    # 1, 2, 3 (3 points) then 3, 4, 5, 6 (4 points): neither reaches 6.
    assert not signals["trend"].any()


def test_points_beyond_the_limits_and_missing_points():
    signals = spc_signals([5, 25, -1, None], centre=10, lcl=0, ucl=20)
    assert signals["beyond_limits"].tolist() == [False, True, True, False]
    assert signals["special_cause"].tolist() == [False, True, True, False]


# --- The table the dashboard draws ---------------------------------------------------------------

def _monthly(values, start="2023-03-01", denominators=None):
    months = pd.date_range(start, periods=len(values), freq="MS")
    frame = pd.DataFrame({"month": months.date, "numerator": values})
    frame["denominator"] = denominators if denominators is not None else np.nan
    frame["value"] = frame["numerator"] / frame["denominator"] if denominators is not None else frame["numerator"]
    return frame


def test_spc_table_for_counts_with_and_without_the_counting_rules_split():
    monthly = _monthly([10, 14, 9, 20, 22, 21])  # March to August 2023
    whole = spc_table(monthly, "count")
    # mean 96 / 6 = 16; moving ranges 4, 5, 11, 2, 1 -> 23 / 5 = 4.6; UCL 16 + 12.236, LCL 16 − 12.236
    assert whole["centre"].tolist() == pytest.approx([16.0] * 6)
    assert whole["ucl"].iloc[0] == pytest.approx(28.236)
    assert whole["lcl"].iloc[0] == pytest.approx(3.764)
    assert list(whole.columns[-4:]) == ["beyond_limits", "run", "trend", "special_cause"]

    split = spc_table(monthly, "count", phase_start=COUNTING_RULES_CHANGE)
    # Before June 2023: 10, 14, 9 -> mean 11, mR̄ (4 + 5) / 2 = 4.5, UCL 11 + 11.97 = 22.97, LCL 0.
    # From June 2023: 20, 22, 21 -> mean 21, mR̄ (2 + 1) / 2 = 1.5, UCL 21 + 3.99 = 24.99, LCL 17.01.
    assert split["phase"].tolist() == [0, 0, 0, 1, 1, 1]
    assert split["centre"].tolist() == pytest.approx([11, 11, 11, 21, 21, 21])
    assert split["ucl"].tolist() == pytest.approx([22.97] * 3 + [24.99] * 3)
    assert split["lcl"].tolist() == pytest.approx([0.0] * 3 + [17.01] * 3)
    assert not split["special_cause"].any()


def test_spc_table_for_a_proportion_uses_the_p_chart():
    monthly = _monthly([10, 30, 20], denominators=[100, 200, 100])
    table = spc_table(monthly, "proportion")
    assert table["ucl"].tolist() == pytest.approx([0.257121, 0.225746, 0.257121], abs=1e-6)
    assert table["value"].tolist() == pytest.approx([0.1, 0.15, 0.2])


def test_runs_do_not_cross_the_phase_boundary():
    # Before June 2023: 1, 5, 5, 5 (mean 4: the last 3 above). From June: 9, 9, 9, 9, 1, 1, 1, 1 (mean 5:
    # the first 4 above). Seven points in a row sit above their own phase's centre, but a run is counted
    # within a phase, so 3 + 4 is not a run of 7.
    monthly = _monthly([1, 5, 5, 5, 9, 9, 9, 9, 1, 1, 1, 1], start="2023-02-01")
    phased = spc_table(monthly, "count", phase_start=date(2023, 6, 1))
    assert phased["phase"].tolist() == [0] * 4 + [1] * 8
    assert phased["centre"].tolist() == pytest.approx([4.0] * 4 + [5.0] * 8)
    above_own_centre = (phased["value"] > phased["centre"]).tolist()
    assert above_own_centre[1:8] == [True] * 7
    assert not phased["run"].any()


def test_spc_table_of_an_empty_series():
    empty = pd.DataFrame({"month": [], "numerator": [], "denominator": [], "value": []})
    table = spc_table(empty, "proportion", phase_start=COUNTING_RULES_CHANGE)
    assert table.empty
    assert list(table.columns[-8:]) == ["phase", "centre", "lcl", "ucl", "beyond_limits", "run", "trend",
                                        "special_cause"]


# --- Comparing periods ----------------------------------------------------------------------------

def test_counts_compared_by_the_exact_conditional_test():
    # 5 now, 20 before, equal exposure: under no change 5 | 25 ~ Binomial(25, 1/2).
    # P(X ≤ 5) = (1 + 25 + 300 + 2300 + 12650 + 53130) / 2^25 = 68406 / 33554432; two-sided = twice that.
    result = compare_periods(5, None, 20, None, "count")
    assert result["p_value"] == pytest.approx(2 * 68406 / 2**25, rel=1e-9)
    assert result["significant"] is True
    assert result["change"] == -15
    assert result["relative_change"] == pytest.approx(-0.75)
    assert result["test"] == "conditional_poisson"


def test_counts_not_significantly_different():
    # 10 vs 20: 2 · P(X ≤ 10 | Binomial(30, 1/2)) = 2 · 0.0493686 = 0.0987371
    result = compare_periods(10, None, 20, None, "count")
    assert result["p_value"] == pytest.approx(0.0987371, abs=1e-6)
    assert result["significant"] is False


def test_rates_compare_against_the_exposure_share():
    # 20 events in 2 units of exposure vs 10 in 1: the same rate, 10 per unit. 20 of 30 is exactly the
    # expected 2/3, so p = 1.
    result = compare_periods(20, 2.0, 10, 1.0, "rate")
    assert result["change"] == pytest.approx(0.0)
    assert result["p_value"] == pytest.approx(1.0)
    assert result["test"] == "conditional_poisson_rates"


def test_two_proportion_z_test_by_hand():
    # 30/100 vs 20/100: pooled p = 0.25, se = √(0.25·0.75·(1/100 + 1/100)) = 0.0612372, z = 0.1 / se
    # = 1.632993, two-sided p = 2·(1 − Φ(1.632993)) = 0.102470
    result = compare_periods(30, 100, 20, 100, "proportion")
    assert result["test"] == "two_proportion_z"
    assert result["change"] == pytest.approx(0.10)
    assert result["relative_change"] == pytest.approx(0.5)
    assert result["p_value"] == pytest.approx(0.102470, abs=1e-6)
    assert result["significant"] is False


def test_small_proportions_use_fishers_exact_test():
    # 1/10 vs 5/10: an expected cell is 6·10/20 = 3 < 5, so Fisher. Hypergeometric (N 20, K 6, n 10):
    # P(0) = P(6) = C(14,10)/C(20,10) = 1001/184756, P(1) = P(5) = 6·C(14,9)/C(20,10) = 12012/184756;
    # two-sided p = sum of the tables no more likely than the observed = 2·(1001 + 12012)/184756 = 0.140867
    result = compare_periods(1, 10, 5, 10, "proportion")
    assert result["test"] == "fisher_exact"
    assert result["p_value"] == pytest.approx(2 * (1001 + 12012) / 184756, rel=1e-9)
    assert result["significant"] is False


def test_nothing_to_compare():
    assert compare_periods(0, None, 0, None, "count")["test"] == "none"
    assert compare_periods(1, 0, 2, 10, "proportion")["significant"] is False
    with pytest.raises(ValueError):
        compare_periods(1, 2, 3, 4, "mean")


# --- Funnel limits --------------------------------------------------------------------------------

def _binom_cdf(r: int, n: int, p: float) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(r + 1))


def test_funnel_limits_at_n_10_by_hand():
    # Binomial(10, 1/2): F(7) = 968/1024, F(8) = 1013/1024, so the 97.5% quantile is r = 8;
    # α = (F(8) − 0.975) / (F(8) − F(7)) = (1013 − 998.4) / 45 = 0.324444; limit = (8 − α) / 10 = 0.767556.
    # Lower: F(1) = 11/1024, F(2) = 56/1024, r = 2; α = (56 − 25.6) / 45 = 0.675556; limit = 0.132444.
    limits = funnel_limits(0.5, [10, 20], "proportion")
    at_10 = limits[limits["denominator"] == 10].iloc[0]
    assert at_10["upper_95"] == pytest.approx((8 - 14.6 / 45) / 10, abs=1e-9)
    assert at_10["lower_95"] == pytest.approx((2 - 30.4 / 45) / 10, abs=1e-9)
    assert at_10["target"] == 0.5


def test_funnel_limits_at_n_100_against_the_binomial_quantile():
    # The 99.9% quantile of Binomial(100, 0.2) is 33 (F(32) < 0.999 ≤ F(33)); the limit interpolates.
    n, p, q = 100, 0.2, 0.999
    f33, f32 = _binom_cdf(33, n, p), _binom_cdf(32, n, p)
    assert f32 < q <= f33
    limits = funnel_limits(p, [60, 100], "proportion")
    at_100 = limits[limits["denominator"] == 100].iloc[0]
    assert at_100["upper_998"] == pytest.approx((33 - (f33 - q) / (f33 - f32)) / n, abs=1e-9)
    # The frame covers half the smallest to 1.1 times the largest denominator, limits nested.
    assert limits["denominator"].min() == 30 and limits["denominator"].max() == 110
    assert (limits["lower_998"] <= limits["lower_95"]).all()
    assert (limits["upper_95"] <= limits["upper_998"]).all()


def _poisson_cdf(r: int, mu: float) -> float:
    return sum(math.exp(-mu) * mu**k / math.factorial(k) for k in range(r + 1))


def test_funnel_limits_for_rates_use_the_poisson():
    # Target 5 per unit of exposure. The grid starts at max(1, half of 2.0) = 1.0, where the count is
    # Poisson(5): F(9) = 0.968172 < 0.975 ≤ F(10) = 0.986305, so r = 10 and the limit is 10 − α.
    f10, f9 = _poisson_cdf(10, 5.0), _poisson_cdf(9, 5.0)
    assert f9 < 0.975 <= f10
    limits = funnel_limits(5.0, [2.0], "rate", points=3)
    assert limits["denominator"].tolist() == pytest.approx([1.0, math.sqrt(2.2), 2.2])
    assert limits["upper_95"].iloc[0] == pytest.approx(10 - (f10 - 0.975) / (f10 - f9), abs=1e-9)
    # At exposure 2 the count is Poisson(10): F(16) = 0.972958 < 0.975 ≤ F(17) = 0.985722.
    f17, f16 = _poisson_cdf(17, 10.0), _poisson_cdf(16, 10.0)
    upper_at_2 = (17 - (f17 - 0.975) / (f17 - f16)) / 2.0  # 8.42 per unit
    assert 17 / 2.0 > upper_at_2 > 16 / 2.0
    assert funnel_position(17, 2.0, 5.0, "rate") == "above 95%"
    assert funnel_position(16, 2.0, 5.0, "rate") == "within"


def test_funnel_position_classifies_each_unit():
    # Target 0.5 at n = 10: 95% limits 0.132444 .. 0.767556 (above); 99.8% upper from Binomial(10, 1/2):
    # F(9) = 1023/1024 ≥ 0.999 > F(8) = 1013/1024 -> r = 9, α = (1023 − 1022.976)/10 = 0.0024, limit 0.89976.
    # Lower 99.8%: F(0) = 1/1024 < 0.001 ≤ F(1) = 11/1024 -> r = 1, α = (11 − 1.024)/10, limit 0.00024.
    positions = funnel_position(
        pd.Series([5, 8, 10, 1, 0, 3]), pd.Series([10, 10, 10, 10, 10, 0]), 0.5, "proportion"
    )
    assert positions.tolist() == ["within", "above 95%", "above 99.8%", "below 95%", "below 99.8%", "no data"]
    assert funnel_position(5, 10, 0.5, "proportion") == "within"
