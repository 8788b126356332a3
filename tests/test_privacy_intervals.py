"""Interval protection (privacy/intervals.py): no hidden count of 1-4 is pinned by the shown counts and the bounds.

The attacker is written here on its own with scipy's linprog: shown cells as equalities, '<5' as 0-4, an empty
(hidden, 5 or more) cell as at least 5, inner cells at least 0.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linprog

from sto_metrics.privacy import gauss, intervals


def attacker_ranges(matrix, values, hidden, min_count=5):
    """{hidden cell with 1-4: (min, max)} over every non-negative table consistent with the publication."""
    dense = np.asarray(sparse.csr_matrix(matrix).todense(), dtype=float)
    shown = ~hidden
    a_eq, b_eq = dense[shown], values[shown].astype(float)
    small_hidden = hidden & (values < min_count)
    large_hidden = hidden & (values >= min_count)
    a_ub = np.vstack([dense[small_hidden], -dense[large_hidden]])
    b_ub = np.concatenate([np.full(small_hidden.sum(), min_count - 1.0), np.full(large_hidden.sum(), -float(min_count))])
    ranges = {}
    for cell in np.flatnonzero(hidden & (values >= 1) & (values < min_count)):
        ends = []
        for sign in (1, -1):
            result = linprog(sign * dense[cell], A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            ends.append(np.inf if result.status == 3 else sign * result.fun)
        ranges[int(cell)] = (ends[0], ends[1])
    return ranges


def three_small_cells_adding_to_twelve():
    """Inner cells a, b, c, d; published a+b+c+d = 112, d = 100, and a, b, c (4 each): a+b+c = 12 pins all three."""
    matrix = sparse.csr_matrix(np.array([[1, 1, 1, 1], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]))
    return matrix, np.array([112, 100, 4, 4, 4]), np.array([10, 5, 1, 1, 1])


def test_gauss_alone_leaves_three_fours_pinned_and_intervals_hide_the_least_important_total():
    matrix, values, priority = three_small_cells_adding_to_twelve()
    publishable = np.ones(5, dtype=bool)
    after_gauss = gauss.suppress(matrix, values, publishable, priority)
    assert after_gauss.tolist() == [False, False, True, True, True]
    assert all(high - low < 0.5 for low, high in attacker_ranges(matrix, values, after_gauss).values())
    protected = intervals.protect(matrix, values, publishable, after_gauss, priority)
    assert protected.tolist() == [False, True, True, True, True]  # d (priority 5) goes, the total (10) stays
    assert all(high - low >= 1 for low, high in attacker_ranges(matrix, values, protected).values())


def test_a_small_count_beside_a_shown_zero_is_left_alone_when_already_safe():
    # a (2) and b (0) with total 2: the 0 would be hidden as inside the small cell by gauss; nothing more is needed
    matrix = sparse.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]]))
    values = np.array([2, 2, 0, 30, 32])
    publishable = np.ones(5, dtype=bool)
    pattern = gauss.suppress(matrix, values, publishable, np.array([3, 1, 1, 2, 4]))
    protected = intervals.protect(matrix, values, publishable, pattern, np.array([3, 1, 1, 2, 4]))
    for low, high in attacker_ranges(matrix, values, protected).values():
        assert high - low >= 1


def random_cross_table(rng, schools=4, classes=3, genders=2):
    """Inner cells school x class x gender; published: every margin (region/school x all/class x all/gender)."""
    inner = list(itertools.product(range(schools), range(classes), range(genders)))
    counts = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 30], size=len(inner), p=[.15, .12, .1, .1, .1, .13, .1, .1, .1])
    rows, priority = [], []
    for school, klass, gender in itertools.product([None, *range(schools)], [None, *range(classes)], [None, *range(genders)]):
        member = [(school is None or s == school) and (klass is None or c == klass) and (gender is None or g == gender)
                  for s, c, g in inner]
        rows.append(member)
        priority.append(100 * (school is None) + 10 * (klass is None) + 5 * (gender is None) + (gender == 0))
    matrix = sparse.csr_matrix(np.array(rows, dtype=float))
    return matrix, np.asarray(matrix @ counts, dtype=np.int64), np.array(priority)


@pytest.mark.parametrize("seed", range(12))
def test_random_cross_tables_leave_every_hidden_small_count_a_range_of_one_pupil(seed):
    matrix, values, priority = random_cross_table(np.random.default_rng(seed))
    publishable = np.ones(len(values), dtype=bool)
    pattern = gauss.suppress(matrix, values, publishable, priority)
    protected = intervals.protect(matrix, values, publishable, pattern, priority)
    assert (protected >= pattern).all(), "interval protection only adds hidden cells"
    ranges = attacker_ranges(matrix, values, protected)
    assert ranges, "the random table should have hidden small counts"
    narrow = {cell: r for cell, r in ranges.items() if r[1] - r[0] < 1 - 1e-6}
    assert not narrow, f"pinned: {narrow}"


def nested_cells_with_equal_counts():
    """Inner cells a (3), b (7), c (0), d (5), e (0). Published: a, a+b = 10, a+b+c+e = 10 (so c = e = 0, though no
    published cell is 0), b+c+d = 12 and d = 5: then b = 7 and a = 3, yet a is not a linear combination of them."""
    matrix = sparse.csr_matrix(np.array([
        [1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 1], [0, 1, 1, 1, 0], [0, 0, 0, 1, 0]]))
    return matrix, np.array([3, 10, 10, 12, 5]), np.array([1, 5, 4, 3, 2])


def test_zeros_implied_by_equal_nested_cells_are_known_to_gauss():
    matrix, values, priority = nested_cells_with_equal_counts()
    publishable = np.ones(5, dtype=bool)
    after_gauss = gauss.suppress(matrix, values, publishable, priority)
    assert after_gauss.tolist() == [True, False, False, False, False]  # alone, Gauss sees nothing wrong ...
    ((low, high),) = attacker_ranges(matrix, values, after_gauss).values()
    assert (low, high) == pytest.approx((3, 3))  # ... but a = 3 follows with c, e >= 0
    implied = intervals.implied_zeros(matrix, values, publishable, after_gauss)
    assert implied.tolist() == [False, False, True, False, True]
    told = gauss.suppress(matrix, values, publishable, priority, known_zero=implied)
    assert told[0] and told.sum() >= 2
    ((low, high),) = attacker_ranges(matrix, values, told).values()
    assert high - low >= 1


def release_by_reference(matrix, values, hidden, groups, min_count=5):
    """Each group shown again, in order, where every hidden count of 1-4 that had a range of a pupil keeps one, by the
    attacker of this file (every range solved again for every trial)."""
    hidden = hidden.copy()
    wide = {cell for cell, (low, high) in attacker_ranges(matrix, values, hidden, min_count).items() if high - low >= 1 - 1e-6}
    for cells in groups:
        trial = hidden.copy()
        trial[cells] = False
        ranges = attacker_ranges(matrix, values, trial, min_count)
        if all(ranges[cell][1] - ranges[cell][0] >= 1 - 1e-6 for cell in wide):
            hidden = trial
    return hidden


def test_release_shows_again_exactly_what_the_reference_attacker_allows():
    """The release proves ranges wide from a pool of tables the attacker cannot rule out and solves LPs only for the
    rest; its pattern must be the one that solving every range again for every trial gives, with and without the
    true table in the pool, on random tables where releases are both made and refused."""
    made = refused = 0
    for seed in range(12):
        rng = np.random.default_rng(100 + seed)
        schools = 3 + seed % 3
        inner = list(itertools.product(range(schools), range(3), range(2)))
        counts = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 30], size=len(inner), p=[.15, .12, .1, .1, .1, .13, .1, .1, .1])
        matrix, _, priority = random_cross_table(np.random.default_rng(seed), schools=schools)
        values = np.asarray(matrix @ counts, dtype=np.int64)
        publishable = np.ones(len(values), dtype=bool)
        protected = intervals.protect(matrix, values, publishable, gauss.suppress(matrix, values, publishable, priority), priority)
        # every hidden cell of 5 or more is offered, most important first
        groups = sorted(([int(cell)] for cell in np.flatnonzero(protected & (values >= 5))), key=lambda c: (-priority[c[0]], c[0]))
        expected = release_by_reference(matrix, values, protected, groups)
        for truth in (None, counts):
            released = intervals.release(matrix, values, publishable, protected, groups, inner_values=truth)
            assert released.tolist() == expected.tolist(), f"seed {seed}, true table given: {truth is not None}"
        made += int((protected & ~expected).sum())
        refused += int((expected & (values >= 5)).sum())
    assert made > 0 and refused > 0, (made, refused)


def test_an_lp_the_primal_simplex_leaves_without_verdict_is_solved_again():
    """A small degenerate attacker LP (found by an independent review's random search) on which HiGHS's primal
    simplex stops with status 'Unknown' from scratch; the model solves it again by the dual simplex."""
    import highspy

    start = [0, 3, 7, 11, 14, 15, 19, 24, 29, 33, 37, 42]
    index = [5, 7, 17, 2, 3, 4, 5, 3, 5, 9, 14, 5, 10, 11, 5, 3, 4, 5, 9, 4, 5, 7, 13, 14, 0, 3, 5, 7, 11, 5, 9, 12, 15, 3,
             5, 8, 11, 5, 6, 7, 11, 12]
    matrix = sparse.csc_matrix((np.ones(len(index)), index, start), shape=(18, 11)).toarray()
    low = np.array([0, 0, 0, 11, 5, 31, 5, 10, 0, 12, 0, 10, 5, 0, 5, 0, 0, 0], dtype=float)
    high = np.array([4, 0, 4, 11, np.inf, 31, np.inf, 10, 4, 12, 4, 10, np.inf, 4, np.inf, 4, 0, 4])
    cost = np.array([0, 0.5623926673449112, 0, 0.7293836116036034, 0, 0, 1.234292504388705, 0, 0.7134109465539927, 0, 0])
    model = intervals._AttackerModel(sparse.identity(11, format="csr"), np.full(11, 5), np.ones(11, dtype=bool),
                                     np.zeros(11, dtype=bool), 5)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 11, 18
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = np.zeros(11), np.zeros(11), np.full(11, highspy.kHighsInf)
    lp.row_lower_, lp.row_upper_ = low, np.where(np.isinf(high), highspy.kHighsInf, high)
    rows = sparse.csr_matrix(matrix)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = rows.indptr.astype(np.int32), rows.indices.astype(np.int32), rows.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = 11, 18
    model.highs.passModel(lp)
    model.highs.setOptionValue("simplex_strategy", 4)  # primal, as the release runs it
    x, _ = model.optimum(cost, maximise=False, own_columns=True)
    finite = ~np.isinf(high)
    reference = linprog(cost, A_ub=np.vstack([matrix[finite], -matrix]), b_ub=np.concatenate([high[finite], -low]),
                        bounds=(0, None), method="highs")
    assert reference.status == 0
    assert cost @ x[:11] == pytest.approx(reference.fun, abs=1e-7)
    assert (matrix @ x[:11] >= low - 1e-7).all() and (matrix @ x[:11] <= high + 1e-7).all()


def test_release_with_nothing_offered_changes_nothing_and_solves_no_lp(monkeypatch):
    matrix, values, priority = random_cross_table(np.random.default_rng(3))
    publishable = np.ones(len(values), dtype=bool)
    hidden = intervals.protect(matrix, values, publishable, gauss.suppress(matrix, values, publishable, priority), priority)
    solves = []
    monkeypatch.setattr(intervals._AttackerModel, "optimum", lambda *args, **kwargs: solves.append(1))
    assert intervals.release(matrix, values, publishable, hidden, []).tolist() == hidden.tolist()
    assert not solves
    # and a matrix given column-wise is read as the same rows
    groups = [[int(cell)] for cell in np.flatnonzero(hidden & (values >= 5))][:3]
    monkeypatch.undo()
    assert (intervals.release(sparse.csc_matrix(matrix), values, publishable, hidden, groups).tolist()
            == intervals.release(matrix, values, publishable, hidden, groups).tolist())
