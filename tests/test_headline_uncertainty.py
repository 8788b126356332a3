"""The overview only colours a change as a rise or fall when the 95% intervals do not overlap."""

import pandas as pd

from sto_metrics.presentation import display_tables


def _table(rows):
    return pd.DataFrame(rows, columns=["school_year", "scope", "share", "ci_low", "ci_high", "technical", "pupils"])


def test_overlap_flags_follow_the_intervals():
    table = _table([
        ("2020-2021", "regio", 0.20, 0.17, 0.23, 60, 300),
        ("2024-2025", "regio", 0.26, 0.22, 0.30, 78, 300),
        ("2025-2026", "regio", 0.27, 0.24, 0.31, 81, 300),
    ])
    summary = display_tables.headline(table, years=None, baseline_year=2020, numerator="technical", denominator="pupils")
    assert summary.previous_overlaps is True  # 24-31% against 22-30%
    assert summary.baseline_overlaps is False  # 24-31% against 17-23%
    assert abs(summary.change_baseline - 0.07) < 1e-12


def test_a_hidden_interval_gives_no_verdict():
    table = _table([
        ("2024-2025", "regio", None, None, None, "<5", 8),
        ("2025-2026", "regio", 0.27, 0.24, 0.31, 81, 300),
    ])
    summary = display_tables.headline(table, years=None, baseline_year=2020, numerator="technical", denominator="pupils")
    assert summary.previous_overlaps is None and summary.change_previous is None


def test_intervals_overlap_edges():
    assert display_tables.intervals_overlap((0.1, 0.2), (0.2, 0.3)) is True
    assert display_tables.intervals_overlap((0.1, 0.19), (0.2, 0.3)) is False
    assert display_tables.intervals_overlap((0.1, None), (0.2, 0.3)) is None
