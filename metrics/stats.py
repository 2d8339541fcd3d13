"""The statistics that keep the numbers honest: intervals, control charts, period tests and funnel limits.

- ``wilson_interval``: the 95% Wilson score interval every proportion carries (statsmodels).
- ``xmr_limits`` / ``p_chart_limits`` / ``spc_signals`` / ``spc_table``: statistical process control for
  the monthly series (NHS England "Making Data Count" conventions, stated where a choice is made).
- ``compare_periods``: is the change between this period and the last more than chance?
- ``funnel_limits`` / ``funnel_position``: divisions and CSPs against the force on a funnel plot
  (Spiegelhalter 2005, "Funnel plots for comparing institutional performance", Stat Med 24:1185;
  exact binomial / Poisson limits with the interpolation of its appendix, as the PHE funnel tool does).

Kinds of measure, as the registry names them: ``count`` (a number of events), ``proportion`` (numerator
out of denominator, 0 to 1) and ``rate`` (events per unit of exposure, e.g. per 1,000 people: the
denominator is the exposure in that unit, so ``numerator / denominator`` is the rate).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from metrics.periods import month_coverage

Kind = Literal["count", "proportion", "rate"]
KINDS = ("count", "proportion", "rate")

# The June 2023 Home Office Counting Rules change (principal crime, conduct crimes): crime series are
# charted in two phases either side of it, each with its own limits.
COUNTING_RULES_CHANGE = date(2023, 6, 1)

# Shewhart's constant for individuals charts: 3 / d2 with d2 = 1.128 for moving ranges of two points.
XMR_SCALING = 2.66
RUN_LENGTH = 7  # points in a row on one side of the centre line (Making Data Count)
TREND_LENGTH = 6  # points in a row each strictly above (or below) the point before: 5 rises or 5 falls
SIGNIFICANCE = 0.05
FUNNEL_LEVELS = {"95": 0.95, "99.8": 0.998}


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")


# --- Wilson interval ---------------------------------------------------------------------------------

def wilson_interval(numerator, denominator, alpha: float = 0.05):
    """The Wilson score interval for ``numerator`` successes out of ``denominator`` trials.

    Works on numbers, arrays and Series (a Series keeps its index). Where the denominator is 0 or
    missing, or the numerator is missing, both ends are NaN. A numerator outside 0..denominator is not a
    proportion and raises ``ValueError`` (an interval for it would be meaningless).
    """
    scalar = np.ndim(numerator) == 0 and np.ndim(denominator) == 0
    index = None
    for arg in (numerator, denominator):
        if isinstance(arg, pd.Series):
            index = arg.index
    num = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(numerator)), errors="coerce"), dtype=float)
    den = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(denominator)), errors="coerce"), dtype=float)
    num, den = np.broadcast_arrays(num, den)
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
    bad = ok & ((num < 0) | (num > den))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"Not a proportion: numerator {num[i]:g} out of denominator {den[i]:g}")
    low = np.full(num.shape, np.nan)
    high = np.full(num.shape, np.nan)
    if ok.any():
        lo, hi = proportion_confint(num[ok], den[ok], alpha=alpha, method="wilson")
        # Rounding can leave the 0/n lower end a hair below 0 (or n/n above 1).
        low[ok] = np.clip(lo, 0.0, 1.0)
        high[ok] = np.clip(hi, 0.0, 1.0)
    if scalar:
        return float(low[0]), float(high[0])
    if index is not None:
        return pd.Series(low, index=index), pd.Series(high, index=index)
    return low, high


# --- Statistical process control ---------------------------------------------------------------------

@dataclass(frozen=True)
class XmRLimits:
    centre: float
    mean_moving_range: float
    lcl: float
    ucl: float


def xmr_limits(values) -> XmRLimits:
    """Individuals (XmR) chart limits: centre = mean, limits = centre ± 2.66 × mean moving range.

    Missing values are skipped (the moving range is taken between the remaining neighbours). Counts cannot
    fall below zero, so the lower limit is floored at 0. Fewer than two values give NaN limits.
    """
    return _xmr(_floats(values))


def _floats(values) -> np.ndarray:
    """Numbers as floats, anything else (missing, a suppression mark) NaN."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype="object")
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _xmr(x: np.ndarray) -> XmRLimits:
    x = x[np.isfinite(x)]
    if len(x) < 2:
        centre = float(x.mean()) if len(x) else np.nan
        return XmRLimits(centre, np.nan, np.nan, np.nan)
    centre = float(x.mean())
    mr_bar = float(np.abs(np.diff(x)).mean())
    return XmRLimits(
        centre=centre,
        mean_moving_range=mr_bar,
        lcl=max(0.0, centre - XMR_SCALING * mr_bar),
        ucl=centre + XMR_SCALING * mr_bar,
    )


def p_chart_limits(numerators, denominators) -> pd.DataFrame:
    """p-chart: centre p̄ = Σnumerator / Σdenominator; point i's limits p̄ ± 3·√(p̄(1−p̄)/nᵢ) in [0, 1].

    Returns one row per point (``centre``, ``lcl``, ``ucl``); a point with no denominator gets NaN limits
    and does not enter p̄.
    """
    centre, lcl, ucl = _p_limits(_floats(numerators), _floats(denominators))
    return pd.DataFrame({"centre": centre, "lcl": lcl, "ucl": ucl})


def _p_limits(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
    total_den = den[ok].sum()
    p_bar = num[ok].sum() / total_den if total_den > 0 else np.nan
    sigma = np.full(len(num), np.nan)
    sigma[ok] = np.sqrt(p_bar * (1.0 - p_bar) / den[ok])
    centre = np.where(ok, p_bar, np.nan)
    return centre, np.clip(centre - 3.0 * sigma, 0.0, 1.0), np.clip(centre + 3.0 * sigma, 0.0, 1.0)


def _flag_streaks(condition: np.ndarray, min_length: int) -> np.ndarray:
    """Mark every element of each streak of consecutive True values at least ``min_length`` long."""
    flags = np.zeros(len(condition), dtype=bool)
    start = None
    for i, c in enumerate(list(condition) + [False]):
        if c and start is None:
            start = i
        elif not c and start is not None:
            if i - start >= min_length:
                flags[start:i] = True
            start = None
    return flags


def spc_signals(values, centre, lcl, ucl) -> pd.DataFrame:
    """Special-cause signals per point (NHS England "Making Data Count" rules).

    - ``beyond_limits``: the point is above the upper or below the lower limit.
    - ``run``: the point is one of 7 or more consecutive points on the same side of the centre line;
      every point of the run is flagged. A point exactly on the centre line ends a run (our choice; some
      guides skip such points instead, which can only make runs longer).
    - ``trend``: the point is one of 6 or more consecutive points each strictly higher (or each strictly
      lower) than the one before, i.e. 6 points = 5 consecutive rises (or falls); every point of the
      trend is flagged. Two equal neighbours end a trend.
    - ``special_cause``: any of the three.

    ``centre``, ``lcl`` and ``ucl`` may be numbers or per-point arrays (p-charts, phased charts). A missing
    value is never flagged and ends any run or trend.
    """
    beyond, run, trend = _signal_arrays(_floats(values), centre, lcl, ucl)
    return pd.DataFrame(
        {
            "beyond_limits": beyond,
            "run": run,
            "trend": trend,
            "special_cause": beyond | run | trend,
        }
    )


def _signal_arrays(x: np.ndarray, centre, lcl, ucl) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``spc_signals``' beyond_limits, run and trend flags, as arrays."""
    n = len(x)
    c = np.broadcast_to(np.asarray(centre, dtype=float), (n,))
    lo = np.broadcast_to(np.asarray(lcl, dtype=float), (n,))
    hi = np.broadcast_to(np.asarray(ucl, dtype=float), (n,))
    known = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        beyond = known & ((np.isfinite(hi) & (x > hi)) | (np.isfinite(lo) & (x < lo)))
        above = known & np.isfinite(c) & (x > c)
        below = known & np.isfinite(c) & (x < c)
    run = _flag_streaks(above, RUN_LENGTH) | _flag_streaks(below, RUN_LENGTH)

    # rises[i]: x[i] > x[i-1]. A trend of k points is k-1 consecutive rises, covering the point before too.
    trend = np.zeros(n, dtype=bool)
    if n >= 2:
        prev, cur = x[:-1], x[1:]
        both = np.isfinite(prev) & np.isfinite(cur)
        for steps in (both & (cur > prev), both & (cur < prev)):
            step_flags = _flag_streaks(steps, TREND_LENGTH - 1)
            trend[1:] |= step_flags
            trend[:-1] |= step_flags
    return beyond, run, trend


def spc_table(
    monthly_df: pd.DataFrame, kind: Kind, *, phase_start: date | None = None,
    data_span: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """The monthly series of a metric with its control limits and signals, as the dashboard draws it.

    ``monthly_df`` has ``month, numerator, denominator, value`` (``metrics.compute.monthly``). Counts and
    rates get an XmR chart on ``value``; proportions a p-chart on numerator/denominator. With
    ``phase_start`` (``COUNTING_RULES_CHANGE`` for crime series) the months before it and from it on are
    two phases with their own limits, and runs and trends do not cross the boundary.

    With ``data_span`` (the data's first and last day) the rule of ``metrics.periods.month_coverage``
    applies: a month with no day of data is dropped (it is not a zero); a month only partly inside the
    data is kept but marked ``partial``, left out of the limits (the centre, the moving ranges, p̄) and
    never flagged, since its count covers only some of its days.

    Returns the input's columns plus ``partial``, ``phase`` (0, or 0/1 with a split), ``centre``, ``lcl``,
    ``ucl``, ``beyond_limits``, ``run``, ``trend``, ``special_cause``.
    """
    _check_kind(kind)
    # Arrays, not a frame per phase: the dashboard draws nine of these per view, and pandas' overhead on
    # two dozen rows is most of the cost.
    out = monthly_df.sort_values("month").reset_index(drop=True)
    partial = np.zeros(len(out), dtype=bool)
    if data_span is not None and len(out):
        coverage = [month_coverage(pd.Timestamp(m).date(), *data_span) for m in out["month"]]
        keep = np.array([c != "none" for c in coverage], dtype=bool)
        partial = np.array([c == "part" for c in coverage], dtype=bool)[keep]
        out = out[keep].reset_index(drop=True)
    else:
        out = out.copy()
    out["partial"] = partial
    n = len(out)
    if phase_start is not None:
        phase = (pd.to_datetime(out["month"]) >= pd.Timestamp(phase_start)).to_numpy().astype(int)
    else:
        phase = np.zeros(n, dtype=int)
    out["phase"] = phase
    if n == 0:
        for col in ("centre", "lcl", "ucl"):
            out[col] = pd.Series(dtype=float)
        for col in ("beyond_limits", "run", "trend", "special_cause"):
            out[col] = pd.Series(dtype=bool)
        return out
    value = _floats(out["value"])
    if kind == "proportion":
        numerator, denominator = _floats(out["numerator"]), _floats(out["denominator"])
    centre, lcl, ucl = (np.full(n, np.nan) for _ in range(3))
    beyond, run, trend = (np.zeros(n, dtype=bool) for _ in range(3))
    for this_phase in np.unique(phase):
        rows = np.flatnonzero(phase == this_phase)
        whole = ~partial[rows]
        if kind == "proportion":
            c, lo, hi = _p_limits(np.where(whole, numerator[rows], np.nan), np.where(whole, denominator[rows], np.nan))
            known = c[np.isfinite(c)]
            if (~whole).any() and len(known):
                # A part month is drawn against the whole months' p̄, with limits for its own size.
                p_bar = float(known[0])
                den = denominator[rows][~whole]
                with np.errstate(divide="ignore", invalid="ignore"):
                    sigma = np.sqrt(p_bar * (1.0 - p_bar) / np.where(den > 0, den, np.nan))
                c[~whole] = p_bar
                lo[~whole] = np.clip(p_bar - 3.0 * sigma, 0.0, 1.0)
                hi[~whole] = np.clip(p_bar + 3.0 * sigma, 0.0, 1.0)
        else:
            limits = _xmr(value[rows][whole])
            c, lo, hi = (np.full(len(rows), v) for v in (limits.centre, limits.lcl, limits.ucl))
        centre[rows], lcl[rows], ucl[rows] = c, lo, hi
        flags = _signal_arrays(np.where(whole, value[rows], np.nan), c, lo, hi)
        beyond[rows], run[rows], trend[rows] = flags
    out["centre"], out["lcl"], out["ucl"] = centre, lcl, ucl
    out["beyond_limits"], out["run"], out["trend"] = beyond, run, trend
    out["special_cause"] = beyond | run | trend
    return out


# --- Comparing two periods ---------------------------------------------------------------------------

def _is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA


def compare_periods(num_now, den_now, num_before, den_before, kind: Kind) -> dict:
    """Change between this period and the one before, and whether it is more than chance (5% level).

    - ``proportion``: Fisher's exact test when any expected cell of the 2×2 table is under 5 (Cochran's
      rule), else the two-proportion z-test (pooled variance; the same as a chi-square test without
      continuity correction). ``change`` is in the proportion's own units (0.05 = 5 percentage points).
    - ``count`` (denominators None): the exact conditional test for two Poisson counts over equal
      exposure — ``num_now`` out of ``num_now + num_before`` against a binomial with p = 1/2.
    - ``rate`` (or a count given exposures): the same conditional test with p = the current period's share
      of the exposure, ``den_now / (den_now + den_before)``; ``change`` is in rate units (num/den).

    Returns ``change``, ``relative_change`` (change ÷ before; NaN when before is 0), ``p_value``,
    ``significant`` and ``test`` (the test used, or ``"none"`` when there is nothing to test).
    """
    _check_kind(kind)
    nothing = {"p_value": np.nan, "significant": False, "test": "none"}
    if kind == "proportion":
        if any(_is_missing(v) for v in (num_now, den_now, num_before, den_before)):
            return {"change": np.nan, "relative_change": np.nan, **nothing}
        n1, d1, n0, d0 = int(num_now), int(den_now), int(num_before), int(den_before)
        if d1 <= 0 or d0 <= 0:
            return {"change": np.nan, "relative_change": np.nan, **nothing}
        p1, p0 = n1 / d1, n0 / d0
        change = p1 - p0
        relative = change / p0 if p0 > 0 else np.nan
        table = np.array([[n1, d1 - n1], [n0, d0 - n0]], dtype=float)
        expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
        if (expected < 5).any():
            p_value = float(sps.fisher_exact(table.astype(int)).pvalue)
            test = "fisher_exact"
        else:
            _, p_value = proportions_ztest([n1, n0], [d1, d0])
            p_value = float(p_value)
            test = "two_proportion_z"
        return {
            "change": change,
            "relative_change": relative,
            "p_value": p_value,
            "significant": bool(p_value < SIGNIFICANCE),
            "test": test,
        }

    if _is_missing(num_now) or _is_missing(num_before):
        return {"change": np.nan, "relative_change": np.nan, **nothing}
    n1, n0 = int(num_now), int(num_before)
    exposures = not (_is_missing(den_now) or _is_missing(den_before))
    if kind == "rate" and not exposures:
        raise ValueError("A rate comparison needs both periods' exposures (denominators)")
    if exposures:
        e1, e0 = float(den_now), float(den_before)
        if e1 <= 0 or e0 <= 0:
            return {"change": np.nan, "relative_change": np.nan, **nothing}
        r1, r0 = n1 / e1, n0 / e0
        share_now = e1 / (e1 + e0)
        test = "conditional_poisson_rates"
    else:
        r1, r0 = float(n1), float(n0)
        share_now = 0.5
        test = "conditional_poisson"
    change = r1 - r0
    relative = change / r0 if r0 > 0 else np.nan
    if n1 + n0 == 0:
        return {"change": change, "relative_change": relative, **nothing}
    p_value = float(sps.binomtest(n1, n1 + n0, share_now).pvalue)
    return {
        "change": change,
        "relative_change": relative,
        "p_value": p_value,
        "significant": bool(p_value < SIGNIFICANCE),
        "test": test,
    }


# --- Funnel plots ------------------------------------------------------------------------------------

def _exact_limit(q: float, size: np.ndarray, target: float, kind: Kind) -> np.ndarray:
    """The interpolated exact limit at probability ``q`` (Spiegelhalter 2005, appendix A.1.1).

    With r the q-quantile of the count distribution (binomial(n, target) for proportions, Poisson(target·n)
    for rates) and α = (F(r) − q) / (F(r) − F(r−1)), the limit on the rate scale is (r − α) / n: this
    makes the discrete limits a smooth curve.
    """
    size = np.asarray(size, dtype=float)
    if kind == "proportion":
        n = np.rint(size)
        dist = sps.binom(n, target)
    else:
        n = size
        dist = sps.poisson(target * n)
    q = np.asarray(q, dtype=float)
    if q.ndim:  # several probabilities at once (a column each way): one distribution, broadcast
        q = q.reshape(q.shape + (1,) * n.ndim)
    r = dist.ppf(q)
    f_r = dist.cdf(r)
    f_below = dist.cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(f_r > f_below, (f_r - q) / (f_r - f_below), 0.0)
        limit = (r - alpha) / n
    if kind == "proportion":
        limit = np.clip(limit, 0.0, 1.0)
    else:
        limit = np.maximum(limit, 0.0)
    return limit


def funnel_limits(target_rate: float, denominators, kind: Kind, *, points: int = 200) -> pd.DataFrame:
    """Control limits around ``target_rate`` (the pooled force value) over a smooth range of denominators.

    Proportions use the exact binomial, rates per population the Poisson (``target_rate`` in the rate's
    units, denominators as exposure in the same units). The range runs from half the smallest unit's
    denominator (at least 1) to 1.1 times the largest, on a log scale (integers for proportions).

    Columns: ``denominator``, ``lower_998``, ``lower_95``, ``target``, ``upper_95``, ``upper_998``.
    """
    if kind not in ("proportion", "rate"):
        raise ValueError("Funnel plots compare proportions or rates; kind must be 'proportion' or 'rate'")
    den = np.asarray(pd.to_numeric(pd.Series(denominators, dtype="object"), errors="coerce"), dtype=float)
    den = den[np.isfinite(den) & (den > 0)]
    if len(den) == 0:
        grid = np.array([], dtype=float)
    else:
        lo = max(1.0, 0.5 * den.min())
        hi = max(lo + 1.0, 1.1 * den.max())
        grid = np.geomspace(lo, hi, points)
        if kind == "proportion":
            grid = np.unique(np.rint(grid))
    out = {"denominator": grid}
    tails = [(1.0 - level) / 2.0 for level in FUNNEL_LEVELS.values()]
    lower = _exact_limit(np.array(tails), grid, target_rate, kind)
    upper = _exact_limit(np.array([1.0 - tail for tail in tails]), grid, target_rate, kind)
    for i, label in enumerate(FUNNEL_LEVELS):
        out[f"lower_{label.replace('.', '')}"] = lower[i]
        out[f"upper_{label.replace('.', '')}"] = upper[i]
    frame = pd.DataFrame(out)
    frame["target"] = float(target_rate)
    return frame[["denominator", "lower_998", "lower_95", "target", "upper_95", "upper_998"]]


FUNNEL_POSITIONS = ("above 99.8%", "above 95%", "within", "below 95%", "below 99.8%", "no data")


def funnel_position(num, den, target: float, kind: Kind):
    """Where each unit falls on the funnel: one of ``FUNNEL_POSITIONS``.

    A unit is "above 95%" when its rate is above the upper 95% limit at its own denominator but not above
    the 99.8% one, and so on; a rate exactly on a limit counts as within it. No denominator: "no data".
    Accepts numbers (returns a string) or arrays/Series (returns a Series).
    """
    if kind not in ("proportion", "rate"):
        raise ValueError("Funnel plots compare proportions or rates; kind must be 'proportion' or 'rate'")
    scalar = np.ndim(num) == 0 and np.ndim(den) == 0
    index = num.index if isinstance(num, pd.Series) else None
    n = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(num)), errors="coerce"), dtype=float)
    d = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(den)), errors="coerce"), dtype=float)
    ok = np.isfinite(n) & np.isfinite(d) & (d > 0)
    positions = np.full(len(n), "no data", dtype=object)
    if ok.any():
        rate = n[ok] / d[ok]
        # The four limits in one call: scipy's per-call overhead, not the arithmetic, is the cost here.
        u95, u998, l95, l998 = _exact_limit(np.array([0.975, 0.999, 0.025, 0.001]), d[ok], target, kind)
        positions[ok] = np.select(
            [rate > u998, rate > u95, rate < l998, rate < l95],
            ["above 99.8%", "above 95%", "below 99.8%", "below 95%"],
            default="within",
        )
    if scalar:
        return str(positions[0])
    return pd.Series(positions, index=index, dtype=object)
