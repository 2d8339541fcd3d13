"""The synthetic force (tests/conftest.py) among made-up figures for the 43 police force areas, for the
comparison pages' HTTP and browser tests.

Every force's figure for each comparable measure and standard period is the synthetic force's own, scaled:
a force ``size`` times as large (2 to 20) with a rate ``m`` times the synthetic force's (0.7 to 1.3, for
each force and measure, the same in every period), from a fixed seed. The synthetic force's most similar
group is the first seven forces by code, marked illustrative. Its own figures come from its records.
"""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from daperf.db import atomic_write
from metrics.comparators import CONTRACT_COLUMNS, record_spans, records_figures, standard_periods
from metrics.comparison import value_scale
from metrics.registry import METRICS
from reference import geography
from tests.metrics.records import insert_rows

PEERS = tuple(geography.forces()["force_code"][:7])
GROUP_SOURCE = "illustrative: chosen for the tests"


def comparator_rows(con, force_code: str, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    spans = record_spans(con)
    periods = standard_periods(min(spans["first_day"]), max(spans["last_day"]))
    forces = geography.forces()
    size = dict(zip(forces["force_code"], rng.uniform(2, 20, len(forces))))
    # A level of its own for each force and measure, the same in every period.
    level = rng.uniform(0.7, 1.3, (len(forces), len(METRICS)))
    column = {metric_id: i for i, metric_id in enumerate(METRICS)}
    rows = []
    for period_from, period_to in periods:
        own = records_figures(con, period_from, period_to, [force_code])
        own = own[own["denominator"].notna() & (own["denominator"] > 0) & own["value"].notna()]
        for row, (code, name) in enumerate(zip(forces["force_code"], forces["force_name"])):
            denominator = np.round(own["denominator"].to_numpy() * size[code])
            levels = level[row, [column[m] for m in own["metric_id"]]]
            ratio = own["numerator"].to_numpy() / own["denominator"].to_numpy() * levels
            numerator = np.minimum(np.round(denominator * ratio), denominator)
            scale = np.array([value_scale(METRICS[m], period_from, period_to) for m in own["metric_id"]])
            rows.append(pd.DataFrame({
                "force_code": code, "force_name": name, "period_from": period_from, "period_to": period_to,
                "metric_id": own["metric_id"].to_numpy(), "numerator": numerator, "denominator": denominator,
                "value": numerator / denominator * scale, "source": "synthetic", "published_on": period_to,
            }))
    return pd.concat(rows, ignore_index=True)[CONTRACT_COLUMNS]


def build_force_with_comparators(source: Path, path: Path, force_code: str) -> Path:
    """A copy of the synthetic force database with every force's figures and the force's group loaded."""
    shutil.copy2(source, path)
    loaded_at = datetime.now()
    with atomic_write(path) as con:
        rows = comparator_rows(con, force_code).assign(_batch_id="comparators-test", _loaded_at=loaded_at)
        group = pd.DataFrame({"force_code": force_code, "peer_force_code": PEERS, "source": GROUP_SOURCE,
                              "_batch_id": "comparators-test", "_loaded_at": loaded_at})
        insert_rows(con, "comparators", rows, build=False)
        insert_rows(con, "msg", group)
    return path


