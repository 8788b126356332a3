"""Data-quality counts are counts of pupils' rows: the Data page writes 1-4 as '<5' and never lets a total give one back."""

from __future__ import annotations

import pandas as pd

from sto_metrics.presentation import display_tables
from sto_metrics.presentation import formatting as fmt

LABELS = {"unknown_profile": "Onbekende profielcode", "missing_gender": "Geslacht ontbreekt"}


def test_small_problem_counts_are_hidden_and_their_totals_too():
    per_file = [{"unknown_profile": 3, "missing_gender": 12}, {"unknown_profile": 40, "missing_gender": 7}]
    table = display_tables.problems_display(per_file, LABELS)
    rows = dict(zip(table["Probleem"], table["Aantal"], strict=True))
    assert rows == {"Onbekende profielcode": fmt.HIDDEN, "Geslacht ontbreekt": "19"}  # 43 - 40 would give the 3 back
    assert list(table["Bestanden"]) == ["2", "2"]


def test_per_file_problems_on_the_loads_table_write_small_counts_as_below_five():
    loads = pd.DataFrame({
        "load_id": [1], "file_name": ["a.csv"], "kind": ["vo"], "schools": ["31XA00"], "first_year": [2023], "last_year": [2023],
        "rows_read": [100], "rows_loaded": [100], "problems": ['{"unknown_profile": 2, "missing_gender": 9}'],
        "loaded_at": [pd.Timestamp("2026-01-02 10:00")], "replaced_by": [None],
    })
    shown = display_tables.loads_display(loads, LABELS)
    assert shown.loc[0, "Problemen"] == "Onbekende profielcode: <5; Geslacht ontbreekt: 9"
