"""The grids (``app.components.data_table``): columns wide enough for their longest word, a column of names
given more of the width than a column of short figures, and downloads named in words."""
from __future__ import annotations

import pandas as pd

from app import components


def _columns(frame: pd.DataFrame) -> dict[str, dict]:
    grid = components.data_table("t", frame, "A table", "t")
    (ag_grid,) = [c for c in grid.children if hasattr(c, "columnDefs")]
    return {d["field"]: d for d in ag_grid.columnDefs}


def test_a_column_of_names_takes_more_of_the_width_than_one_of_figures():
    columns = _columns(pd.DataFrame({
        "Measure": ["Notices followed by an order application", "Domestic abuse incidents"],
        "Partnership": ["100.0%", "withheld"],
        "Cases": ["10", "5"],
    }))
    # 40 letters: three shares of the spare width, and at least 150 px; figures take one share.
    assert (columns["Measure"]["flex"], columns["Measure"]["minWidth"]) == (3, 150)
    assert columns["Cases"]["flex"] == 1 and columns["Cases"]["minWidth"] == 8 * len("Cases") + 36
    # The heading's longest word sets the width when it is longer than any value: no "Partners hip".
    assert columns["Partnership"]["minWidth"] == 8 * len("Partnership") + 36


def test_numbers_keep_their_right_alignment_and_no_share():
    columns = _columns(pd.DataFrame({"Crimes": [1, 22, 333]}))
    assert columns["Crimes"]["type"] == "rightAligned" and "flex" not in columns["Crimes"]
    assert columns["Crimes"]["minWidth"] == 8 * len("Crimes") + 36


def test_download_names_are_words_not_codes():
    from metrics.formatting import file_name_words

    grid = components.data_table("daily-no_arrest", pd.DataFrame({"Crime": [1]}), "A list", "daily-no_arrest")
    names = [c.csvExportParams["fileName"] for c in grid.children if hasattr(c, "csvExportParams")]
    assert names == ["daily-no-arrest.csv"]
    assert file_name_words("Scrutiny pack Dunwick Isle 2025-26") == "scrutiny-pack-dunwick-isle-2025-26"
    assert file_name_words("arrest_rate_where_power-monthly") == "arrest-rate-where-power-monthly"
