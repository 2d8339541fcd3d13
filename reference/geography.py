"""Real public geography: police force areas, community safety partnerships and their residents.

Reads the two ONS files shipped in ``reference/data`` (Open Government Licence v3; see its SOURCES.md):

- ``ons_lad16_csp16_pfa16_lookup_ew.csv``: local authority district -> community safety partnership ->
  police force area (December 2016), England and Wales; starts with a UTF-8 byte-order mark.
- ``census2011_ethnic_group_by_la_with_csp16_pfa16.csv``: 2011 Census table QS201EW, usual residents by
  ethnic group per district, with the district's CSP and force codes.

The census file has no age or sex split, so the populations aged 16+ and of women aged 16+ are
**derived** from each partnership's usual residents with England-and-Wales 2011 Census proportions
(ONS, "2011 Census: Population and Household Estimates for England and Wales, March 2011"):

- 18.9% of usual residents were aged 0-15, so ``SHARE_AGED_16_PLUS`` = 81.1%;
- of the 45.5 million residents aged 16+, 23.3 million were women (28.5 million women in all, less
  about 5.2 million girls aged 0-15), so ``SHARE_FEMALE_OF_16_PLUS`` = 23.3 / 45.5 = 51.3%.

A partnership's own age and sex structure differs from the national one by a few per cent; a production
deployment loads the ONS mid-year estimates instead.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent / "data"

LOOKUP_FILE = "ons_lad16_csp16_pfa16_lookup_ew.csv"
CENSUS_BY_DISTRICT_FILE = "census2011_ethnic_group_by_la_with_csp16_pfa16.csv"

SHARE_AGED_16_PLUS = 0.811
SHARE_FEMALE_OF_16_PLUS = 0.513

# The ONS 5+1 ethnic groups of the contract (``not_stated`` is not a census category).
ETHNIC_GROUPS = ("asian", "black", "mixed", "white", "other")
_CENSUS_GROUP_COLUMNS = {
    "asian": "Ethnic Group: Asian; measures: Value",
    "black": "Ethnic Group: Black; measures: Value",
    "mixed": "Ethnic Group: Mixed; measures: Value",
    "white": "Ethnic Group: White; measures: Value",
    "other": "Ethnic Group: Other; measures: Value",
}
_CENSUS_TOTAL_COLUMN = "Ethnic Group: All categories: Ethnic group; measures: Value"


def _research_file(name: str) -> Path:
    return DATA_DIR / name


@lru_cache(maxsize=1)
def _lookup() -> pd.DataFrame:
    # utf-8-sig drops the byte-order mark that would otherwise end up in the first column's name.
    return pd.read_csv(_research_file(LOOKUP_FILE), encoding="utf-8-sig", dtype=str)


@lru_cache(maxsize=1)
def _census_by_district() -> pd.DataFrame:
    census = pd.read_csv(_research_file(CENSUS_BY_DISTRICT_FILE), encoding="utf-8-sig")
    columns = {"CSP16CD": "csp_code", "CSP16NM": "csp_name", "PFA16CD": "force_code", "PFA16NM": "force_name",
               "LAD16NM": "district_name", _CENSUS_TOTAL_COLUMN: "total"}
    columns.update({source: group for group, source in _CENSUS_GROUP_COLUMNS.items()})
    return census[list(columns)].rename(columns=columns)


def forces() -> pd.DataFrame:
    """The 43 police force areas: ``force_code, force_name, population`` (2011 usual residents)."""
    census = _census_by_district()
    names = _lookup()[["PFA16CD", "PFA16NM"]].drop_duplicates().rename(
        columns={"PFA16CD": "force_code", "PFA16NM": "force_name"}
    )
    population = census.groupby("force_code", as_index=False)["total"].sum().rename(columns={"total": "population"})
    return names.merge(population, on="force_code", how="left").sort_values("force_code", ignore_index=True)


def resident_ethnicity_by_csp(force_code: str | None = None) -> pd.DataFrame:
    """Usual residents (2011 Census) by ONS ethnic group per community safety partnership.

    Columns ``csp_code, csp_name, force_code, asian, black, mixed, white, other, total`` (counts); one
    row per CSP, of one force when ``force_code`` is given, else of England and Wales.
    """
    census = _census_by_district()
    if force_code is not None:
        census = census[census["force_code"] == force_code]
    by_csp = census.groupby(["csp_code", "csp_name", "force_code"], as_index=False)[
        [*ETHNIC_GROUPS, "total"]
    ].sum()
    return by_csp.sort_values("csp_code", ignore_index=True)


def csp_reference(force_code: str) -> pd.DataFrame:
    """A force's partnerships with populations: ``csp_code, csp_name, force_code, population,
    population_16plus, population_female_16plus`` (the last two derived; see the module docstring)."""
    by_csp = resident_ethnicity_by_csp(force_code)
    if by_csp.empty:
        raise ValueError(f"No community safety partnerships for force {force_code!r} in {LOOKUP_FILE}.")
    population = by_csp["total"].astype("int64")
    aged_16_plus = (population * SHARE_AGED_16_PLUS).round().astype("int64")
    return pd.DataFrame(
        {
            "csp_code": by_csp["csp_code"],
            "csp_name": by_csp["csp_name"],
            "force_code": by_csp["force_code"],
            "population": population,
            "population_16plus": aged_16_plus,
            "population_female_16plus": (aged_16_plus * SHARE_FEMALE_OF_16_PLUS).round().astype("int64"),
        }
    )
