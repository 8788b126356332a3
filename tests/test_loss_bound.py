"""bench/loss_bound.py: the least information loss any safe pattern can have, on hand-computed tables, and never above
what the product's own (audited) pattern hides."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from bench import loss_bound
from bench.privacy_bench import information_loss
from sto_metrics.privacy import cross


def _inflow_counts(per_school: dict[str, dict[str, int]]) -> pd.DataFrame:
    """One school year, one leerweg (TL) and one gender (V): each school's pupils per profile class."""
    rows = [(2022, school, "TL", "V", profile_class, pupils)
            for school, classes in per_school.items() for profile_class, pupils in classes.items()]
    return pd.DataFrame(rows, columns=["school_year", "school_id", "leerweg", "gender", "profile_class", "pupils"])


def test_a_small_difference_between_the_settings_forces_one_hidden_cell_per_selection():
    # Region: core 22, extra 3, other 35. Ta (22) and Tb (25) differ by the 3 D&P pupils (E, never shown): one of them
    # must be hidden, and one suffices (Ta hidden: Tb - Ta = E and Ta + Na = P leave E open). The same in each school
    # (extra 1 and 2) and in every selection of one leerweg, one gender or both: region split 3, school split 2 x 3.
    counts = _inflow_counts({"31AA00": {"core": 10, "extra": 1, "other": 20, "unknown": 0},
                             "31BB00": {"core": 12, "extra": 2, "other": 15, "unknown": 0}})
    table = cross.build(counts, cross.INFLOW)
    bound = loss_bound.loss_bound(counts, cross.INFLOW, table)
    assert bound == {"regio unsplit": 1, "regio split": 3, "school unsplit": 2, "school split": 6}


def test_no_small_count_forces_nothing():
    # No D&P pupils: Ta and Tb are equal (E is 0, not a small count), nothing of 5 or more need be hidden.
    counts = _inflow_counts({"31AA00": {"core": 10, "extra": 0, "other": 20, "unknown": 0},
                             "31BB00": {"core": 12, "extra": 0, "other": 15, "unknown": 0}})
    table = cross.build(counts, cross.INFLOW)
    assert set(loss_bound.loss_bound(counts, cross.INFLOW, table).values()) == {0}


def test_the_bound_never_exceeds_the_products_audited_pattern():
    # A random region: the product's pattern is safe (the auditor's tests), so it hides at least the bound per level;
    # and the bound finds something to hide where the D&P groups are small.
    rng = np.random.default_rng(5)
    rows = []
    for year in (2021, 2022):
        for school in ("31AA00", "31BB00", "31CC00", "31DD00"):
            for leerweg in ("BB", "KB", "TL"):
                for gender in ("M", "V"):
                    for profile_class, mean in (("core", 12), ("extra", 1.5), ("other", 25), ("unknown", 0.3)):
                        rows.append((year, school, leerweg, gender, profile_class, int(rng.poisson(mean))))
    counts = pd.DataFrame(rows, columns=["school_year", "school_id", "leerweg", "gender", "profile_class", "pupils"])
    table = cross.build(counts, cross.INFLOW)
    bound = loss_bound.loss_bound(counts, cross.INFLOW, table)
    loss = information_loss(table, cross.INFLOW)
    assert set(bound) == set(loss)
    for level, (hidden, _) in loss.items():
        assert bound[level] <= hidden, level
    assert bound["school split"] > 0


def test_the_bound_is_the_least_by_brute_force_on_a_small_table(monkeypatch):
    # Every way of hiding the level's cells of 5 or more (all other cells hidden), judged by linear algebra on the
    # table's own matrix from cross.build: the least safe one hides exactly what the bound says, per level.
    counts = _inflow_counts({"31AA00": {"core": 10, "extra": 1, "other": 20, "unknown": 0},
                             "31BB00": {"core": 12, "extra": 2, "other": 15, "unknown": 0}})
    blocks = []
    original = cross._protect_block

    def keep_matrix(matrix, values, *rest):
        blocks.append(matrix.toarray())
        return original(matrix, values, *rest)

    monkeypatch.setattr(cross, "_protect_block", keep_matrix)
    table = cross.build(counts, cross.INFLOW)
    (matrix,) = blocks  # one school year
    keys = sorted(table.index, key=table.index.get)
    published_measure = {m.name: m.published for m in cross.INFLOW.measures}
    published = np.array([published_measure[key[4]] for key in keys])
    small = matrix[(table.values >= 1) & (table.values < 5)]

    def safe(shown: list[int]) -> bool:
        if not shown:
            return True
        rank = np.linalg.matrix_rank(matrix[shown])
        return all(np.linalg.matrix_rank(np.vstack([matrix[shown], row])) > rank for row in small)

    bound = loss_bound.loss_bound(counts, cross.INFLOW, table)
    for level in ("regio unsplit", "school unsplit"):
        costly = [i for i, key in enumerate(keys) if loss_bound._level(*key[1:4]) == level and published[i] and table.values[i] >= 5]
        least = next(size for size in range(len(costly) + 1)
                     if any(safe(sorted(set(costly) - set(hide))) for hide in itertools.combinations(costly, size)))
        assert bound[level] == least, level
