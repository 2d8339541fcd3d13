"""The demo's comparators: every force of England and Wales beside the demo force, and illustrative most
similar groups (docs/COMPARATORS.md).

``write_demo_comparators(out_dir, seed, years, end)`` runs the demo generator (``etl.demo.generate``) for
all 43 forces with the same seed, years and end as the demo force, loads that national run into a scratch
database with the product's own loader (``etl.load.run_load``: the same checks, marts and compiler as
any load, which work out every force's figures for the standard periods when a database holds several
forces), and writes those figures as ``comparators.csv`` with the source "synthetic", beside
``msg.csv``. So the demo Essex sits among neighbours made by the same generator, and ``daperf load`` of
the demo folder loads them with the extracts. The scratch files (about 3 GB) go when it is done.

``illustrative_groups()``: HMICFRS publishes each force's most similar group; the demo cannot ship those,
so it writes the seven forces nearest in resident population and ethnic mix (2011 Census, the geography
the product ships), marked "illustrative" on every screen until a force loads the published groups.
"""
from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from daperf.db import connect_readonly
from daperf.sqlfiles import sql
from metrics.comparability import MSG_SIZE, SYNTHETIC_SOURCE
from metrics.comparators import CONTRACT_COLUMNS, write_csv
from reference import geography

ILLUSTRATIVE_SOURCE = ("illustrative: the seven forces nearest in resident population and ethnic mix (2011 Census), "
                       "not HMICFRS's most similar groups")
COMPARATORS_FILE = "comparators.csv"
MSG_FILE = "msg.csv"


def illustrative_groups() -> pd.DataFrame:
    """``force_code, peer_force_code, source``: each force's seven nearest forces by the logarithm of its
    residents and the share of them in a minority ethnic group, both standardised."""
    forces = geography.forces()[["force_code", "population"]]
    residents = geography.resident_ethnicity_by_csp().groupby("force_code")[["white", "total"]].sum()
    frame = forces.merge(residents, left_on="force_code", right_index=True)
    features = np.column_stack([np.log(frame["population"].astype(float)),
                                1.0 - frame["white"] / frame["total"]])
    features = (features - features.mean(axis=0)) / features.std(axis=0)
    distance = np.linalg.norm(features[:, None, :] - features[None, :, :], axis=2)
    np.fill_diagonal(distance, np.inf)
    codes = frame["force_code"].to_numpy()
    rows = [(codes[i], codes[j]) for i in range(len(codes))
            for j in np.argsort(distance[i], kind="stable")[:MSG_SIZE]]
    return pd.DataFrame(rows, columns=["force_code", "peer_force_code"]).assign(source=ILLUSTRATIVE_SOURCE)


def national_figures(db_path: Path, end: date) -> pd.DataFrame:
    """Every force's figures the marts of a loaded national run hold, in the comparator format."""
    con = connect_readonly(db_path)
    try:
        frame = con.execute(sql("comparators/records_figures")).df()
    finally:
        con.close()
    frame["source"] = SYNTHETIC_SOURCE
    frame["published_on"] = end
    for column in ("period_from", "period_to"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame[CONTRACT_COLUMNS]


def write_demo_comparators(out_dir: str | Path, *, seed: int, years: int, end: date,
                           echo: Callable[[str], None] = print) -> dict[str, int]:
    """Write ``comparators.csv`` (every force, the standard periods) and ``msg.csv`` into ``out_dir``."""
    from etl.demo import generate
    from etl.load import run_load

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    echo("Comparators: a synthetic national run of the same generator (43 forces), loaded into a scratch "
         "database to work out every force's figures. This takes a few minutes, once.")
    with tempfile.TemporaryDirectory(prefix="daperf-national-") as scratch:
        extracts, database = Path(scratch) / "extracts", Path(scratch) / "national.duckdb"
        generate(extracts, seed=seed, years=years, scale="national", end=end)
        run_load(extracts, database, progress=False)
        figures = national_figures(database, end)
    write_csv(figures, out / COMPARATORS_FILE)
    groups = illustrative_groups()
    write_csv(groups, out / MSG_FILE)
    echo(f"Comparators: {len(figures):,} figures of {figures['force_code'].nunique()} forces and "
         f"{groups['force_code'].nunique()} illustrative most similar groups written in "
         f"{time.perf_counter() - started:.0f} s.")
    return {"comparators": len(figures), "msg": len(groups)}


def write_illustrative_groups(out_dir: str | Path) -> int:
    """``msg.csv`` alone (the national demo set computes its comparators from its own records)."""
    groups = illustrative_groups()
    write_csv(groups, Path(out_dir) / MSG_FILE)
    return len(groups)
