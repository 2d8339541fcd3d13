"""The victim profile beside the resident population: the APP's equality and diversity measure.

``victim_profile(con, level, unit_code, period_from, period_to)`` counts the distinct victims of
incidents reported in the period at the unit (``sql/profile/victim_profile.sql``) by ethnicity (ONS
5+1), sex, age band and disability, and gives each category's share among the victims whose attribute is
known, with a 95% Wilson interval.

For ethnicity it sets that share beside the resident population's (2011 Census usual residents of the
unit's CSPs, ``reference.geography.resident_ethnicity_by_csp``) and gives the representation ratio: victims'
share ÷ residents' share (1 = represented as in the population, 2 = twice as often). The ratio's interval
is the Wilson interval of the victims' share divided by the residents' share: the census is a near-complete
count of millions, so its own sampling error is negligible beside the victims'. Caveat, said on the page:
the census counts residents of every age, victims are mostly adults, and the 2011 profile is older than
the victims' — a ratio near 1 is "no clear difference", not a finding of fairness.

The frame is in the export format (so ``metrics.suppression.suppress`` applies): a headline row
(``breakdown`` null: all distinct victims, a count) and one row per attribute (``breakdown``:
victim_ethnicity, victim_sex, age_band, victim_disability) and category (``breakdown_value``) with
``numerator`` = victims in the category, ``denominator`` = victims whose attribute is known (for the
``not_known`` row: all victims, so its value is the share unrecorded), ``value`` = the share,
``ci_low``/``ci_high``, ``share_of`` (``known`` or ``all`` victims); plus ``population``,
``population_share``, ``representation_ratio``, ``ratio_ci_low``, ``ratio_ci_high`` (ethnicity rows).
"""
from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from daperf.sqlfiles import sql
from reference.geography import ETHNIC_GROUPS, resident_ethnicity_by_csp
from metrics.units import forces_in
from metrics.stats import wilson_interval
from metrics.suppression import (
    MIN_DENOMINATOR,
    REASON_SECONDARY,
    SECONDARY_MARK,
    SMALL_COUNT_MARK,
    suppress,
)

METRIC_ID = "victim_profile"
NOT_KNOWN = "not_known"
# Every category of each attribute, in display order; a category with no victims is shown as 0.
# Attribute names and age bands are the incident breakdowns' (``age_band`` in sql/marts/facts.sql).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "victim_ethnicity": (*ETHNIC_GROUPS, NOT_KNOWN),
    "victim_sex": ("female", "male", "other", NOT_KNOWN),
    "age_band": ("under_16", "16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", NOT_KNOWN),
    "victim_disability": ("yes", "no", NOT_KNOWN),
}
SHARE_OF_KNOWN = "known"  # the share is among the victims whose attribute is recorded
SHARE_OF_ALL = "all"  # ... among all victims (the not-known row, and rebased rows; see protect_unknown_counts)
REASON_REBASED = "share of all victims: the not-known count is hidden"
# Columns computed from a share: withheld whenever the share is.
RATIO_COLUMNS = ("representation_ratio", "ratio_ci_low", "ratio_ci_high")


def resident_ethnicity(con: duckdb.DuckDBPyConnection, level: str, unit_code: str | None) -> pd.Series:
    """2011 Census usual residents of the unit's CSPs by ethnic group (index ``ETHNIC_GROUPS``).

    All NaN when none of the unit's CSPs is in the census lookup (e.g. a test fixture's made-up codes).
    """
    csp_codes = con.execute(sql("profile/unit_csps"), {"level": level, "unit_code": unit_code,
                                                       "forces": forces_in(con)}).df()["csp_code"]
    census = resident_ethnicity_by_csp()
    rows = census[census["csp_code"].isin(set(csp_codes))]
    if rows.empty:
        return pd.Series(np.nan, index=list(ETHNIC_GROUPS), dtype=float)
    return rows[list(ETHNIC_GROUPS)].sum().astype(float)


def victim_profile(
    con: duckdb.DuckDBPyConnection,
    level: str,
    unit_code: str | None,
    period_from: date,
    period_to: date,
    *,
    suppress_small_numbers: bool = False,
) -> pd.DataFrame:
    """Victims by ethnicity, sex, age band and disability beside the resident population (see module doc).

    With ``suppress_small_numbers`` (partnership and scrutiny audiences) the frame goes through
    ``suppress`` (``not_known`` hidden to protect another cell only as a last resort) and
    ``protect_unknown_counts``.
    """
    if level not in ("force", "division", "csp"):
        raise ValueError(f"level must be force, division or csp; got {level!r}")
    counted = con.execute(
        sql("profile/victim_profile"),
        {"level": level, "unit_code": unit_code, "period_start": pd.Timestamp(period_from),
         "period_end": pd.Timestamp(period_to + timedelta(days=1)), "forces": forces_in(con)},
    ).df()
    counts = {(a, c): int(v) for a, c, v in counted[["attribute", "category", "victims"]].itertuples(index=False)}
    total_victims = sum(v for (a, _), v in counts.items() if a == "victim_ethnicity")

    residents = resident_ethnicity(con, level, unit_code)
    resident_total = residents.sum(min_count=1)

    rows = [
        {
            "breakdown": None,
            "breakdown_value": None,
            "numerator": total_victims,
            "denominator": np.nan,
            "value": float(total_victims),
            "share_of": None,
        }
    ]
    for attribute, expected in CATEGORIES.items():
        # A code outside the contract's list (should the loader ever let one through) is shown, not lost.
        extra = sorted(c for a, c in counts if a == attribute and c not in expected)
        categories = (*expected[:-1], *extra, NOT_KNOWN)
        known = sum(counts.get((attribute, c), 0) for c in categories if c != NOT_KNOWN)
        for category in categories:
            victims = counts.get((attribute, category), 0)
            base = total_victims if category == NOT_KNOWN else known
            row = {
                "breakdown": attribute,
                "breakdown_value": category,
                "numerator": victims,
                "denominator": float(base),
                "value": victims / base if base else np.nan,
                "share_of": SHARE_OF_ALL if category == NOT_KNOWN else SHARE_OF_KNOWN,
            }
            if attribute == "victim_ethnicity" and category != NOT_KNOWN:
                row["population"] = residents[category]
                row["population_share"] = residents[category] / resident_total if resident_total else np.nan
            rows.append(row)

    profile = pd.DataFrame(rows)
    profile.insert(0, "metric_id", METRIC_ID)
    profile.insert(1, "level", level)
    profile.insert(2, "unit_code", unit_code)
    profile.insert(3, "period_from", period_from)
    profile.insert(4, "period_to", period_to)
    is_share = profile["breakdown"].notna()
    low, high = wilson_interval(
        profile["numerator"].where(is_share), profile["denominator"].where(is_share)
    )
    profile["ci_low"], profile["ci_high"] = low, high
    population_share = pd.to_numeric(profile["population_share"], errors="coerce")
    with np.errstate(invalid="ignore", divide="ignore"):
        profile["representation_ratio"] = profile["value"].where(is_share) / population_share
        profile["ratio_ci_low"] = profile["ci_low"] / population_share
        profile["ratio_ci_high"] = profile["ci_high"] / population_share
    profile["population"] = pd.to_numeric(profile["population"], errors="coerce")
    # Whole numbers, as in metrics.compute's export.
    profile["numerator"] = profile["numerator"].astype("Int64")
    profile["denominator"] = profile["denominator"].round().astype("Int64")
    profile["population_share"] = population_share
    if suppress_small_numbers:
        suppressed = suppress(profile, also_withhold=RATIO_COLUMNS, hide_last=(NOT_KNOWN,))
        return _ratios_of_shown_shares(protect_unknown_counts(suppressed))
    return profile


def _ratios_of_shown_shares(profile: pd.DataFrame) -> pd.DataFrame:
    """The representation ratios of the shares as shown (worked from rounded counts), so a ratio never
    carries more than its share; withheld wherever the share is."""
    out = profile.copy()
    population_share = pd.to_numeric(out["population_share"], errors="coerce")
    for ratio, share in (("representation_ratio", "value"), ("ratio_ci_low", "ci_low"), ("ratio_ci_high", "ci_high")):
        shown = pd.to_numeric(out[share].where(out[share].map(lambda v: not isinstance(v, str))), errors="coerce")
        with np.errstate(invalid="ignore", divide="ignore"):
            out[ratio] = (shown / population_share).where(out["breakdown"].notna())
    return out


def _shown_number(value) -> float | None:
    """A cell's number if it is shown (not a suppression mark, not withheld)."""
    if value is None or isinstance(value, str) or pd.isna(value):
        return None
    return float(value)


def protect_unknown_counts(suppressed: pd.DataFrame) -> pd.DataFrame:
    """Close the one gap ``suppress`` cannot see in a profile: all victims − known victims = not known.

    The known rows' denominator is the number of victims whose attribute is known, and the headline shows
    all victims, so a hidden ``not_known`` count would be their difference. When an attribute's
    ``not_known`` count is hidden, its known rows are rebased onto all victims: the denominator becomes
    the headline's count, the share is of all victims (``share_of`` says so) and the ratio compares that
    share with the residents' — low by at most 4 in the headline's count, and it reveals nothing. If the
    headline itself is hidden, the known rows' denominators are hidden, and with them their shares.
    """
    out = suppressed.copy()
    hidden_marks = {SMALL_COUNT_MARK, SECONDARY_MARK}
    headline = out[out["breakdown"].isna()]
    all_victims = _shown_number(headline["numerator"].iloc[0]) if len(headline) else None
    for attribute in CATEGORIES:
        unknown = out[(out["breakdown"] == attribute) & (out["breakdown_value"] == NOT_KNOWN)]
        if unknown.empty or unknown["numerator"].iloc[0] not in hidden_marks:
            continue
        known_rows = out.index[(out["breakdown"] == attribute) & (out["breakdown_value"] != NOT_KNOWN)]
        for i in known_rows:
            reasons = [r for r in (out.at[i, "suppressed_reason"] or "").split("; ") if r]
            if all_victims is None:
                out.at[i, "denominator"] = SECONDARY_MARK
                out.at[i, "value"] = None
                for col in ("ci_low", "ci_high", *RATIO_COLUMNS):
                    out.at[i, col] = np.nan
                out.at[i, "suppressed"] = True
                reasons.append(REASON_SECONDARY)
            else:
                out.at[i, "denominator"] = int(all_victims)
                out.at[i, "share_of"] = SHARE_OF_ALL
                victims = _shown_number(out.at[i, "numerator"])
                if victims is not None and all_victims >= MIN_DENOMINATOR:
                    share = victims / all_victims
                    low, high = wilson_interval(victims, all_victims)
                    out.at[i, "value"] = share
                    out.at[i, "ci_low"], out.at[i, "ci_high"] = low, high
                    population_share = out.at[i, "population_share"]
                    if population_share and not pd.isna(population_share):
                        out.at[i, "representation_ratio"] = share / population_share
                        out.at[i, "ratio_ci_low"] = low / population_share
                        out.at[i, "ratio_ci_high"] = high / population_share
                reasons.append(REASON_REBASED)
            out.at[i, "suppressed_reason"] = "; ".join(dict.fromkeys(reasons))
    return out
