"""Interval protection: after GaussSuppression, no hidden small count may be pinned by bounds.

GaussSuppression (gauss.py) makes sure no hidden count is a linear combination of shown ones. An attacker also
knows bounds: every inner cell is 0 or more, a hidden cell written `<5` holds 0 to 4 and a hidden cell left empty
holds 5 or more. With them a hidden count can still be pinned (three `<5` cells that must add up to 12 are 4
each). This step is the attacker problem of sdcTable and tau-argus's audit, and the interval check SSBtools added
to GaussSuppression (its `rangeMin`): for every hidden count of 1-4, minimise and maximise it over every
non-negative table consistent with what is published. Where the range is narrower than `MIN_RANGE`, the shown
cell with the lowest priority among those the LP's dual certificate uses is hidden too, and the count is checked
again. Hiding only relaxes the attacker's problem, so a count found safe stays safe.

The LPs are solved by HiGHS (highspy) on one model per school year, warm-started from the previous basis: many
counts are proven safe at once by one LP that pushes all of them up (or down), only the rest get their own.
"""

from __future__ import annotations

import highspy
import numpy as np
from scipy import sparse

MIN_RANGE = 1.0  # a hidden count must be able to differ by at least one pupil
_DUAL_TOLERANCE = 1e-7
_SHARED_ROUNDS = 16
_DUAL, _PRIMAL = 1, 4  # HiGHS's simplex_strategy
_VERDICTS = (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnbounded,
             highspy.HighsModelStatus.kUnboundedOrInfeasible, highspy.HighsModelStatus.kInfeasible)


class _AttackerModel:
    """The attacker's LP over inner cells: each distinct published row once, fixed when shown, within its bounds when
    hidden (never-published cells add nothing). Inner cells known to be 0 (given, or inside a shown 0) are left out of
    the LP: on fine tables most inner cells are 0, and the LP shrinks to the others.

    `bounds` (cells x 2, NaN where none): never-shown cells whose bounds the attacker knows all the same (cross's share
    of a hidden region cell in a group of schools); they are rows of the LP, within those bounds."""

    def __init__(self, matrix: sparse.csr_matrix, values: np.ndarray, publishable: np.ndarray,
                 hidden: np.ndarray, min_count: int, known_zero: np.ndarray | None = None,
                 bounds: np.ndarray | None = None) -> None:
        self.values, self.min_count = values, min_count
        bounded = np.zeros(len(values), dtype=bool) if bounds is None else ~np.isnan(bounds[:, 0])
        self.given = bounds
        groups: dict[tuple, list[int]] = {}
        for cell in np.flatnonzero(np.asarray(publishable, dtype=bool) | bounded):
            groups.setdefault(tuple(matrix.indices[matrix.indptr[cell]:matrix.indptr[cell + 1]]), []).append(int(cell))
        self.cells_of_row = [cells for key, cells in groups.items() if key]
        self.row_of = {cell: row for row, cells in enumerate(self.cells_of_row) for cell in cells}
        # a row is known when any cell with it is shown (a group's known total beside a hidden school cell: cross.py)
        self.shown_row = np.array([not hidden[cells].all() for cells in self.cells_of_row], dtype=bool)
        # a row with given bounds: those of its bounded cells, and '<5' or 5 or more where a publishable cell has the row
        publishable = np.asarray(publishable, dtype=bool)
        self.given_row = {row: [cell for cell in cells if bounded[cell]] for row, cells in enumerate(self.cells_of_row)
                          if bounded[cells].any()}
        self.published_too = {row for row, cells in enumerate(self.cells_of_row) if row in self.given_row
                              and publishable[cells].any()}
        zero = np.zeros(matrix.shape[1], dtype=bool) if known_zero is None else np.array(known_zero, dtype=bool)
        shown_zero = np.flatnonzero(publishable & ~np.asarray(hidden, dtype=bool) & (np.asarray(values) == 0))
        zero[np.unique(matrix[shown_zero].indices)] = True
        self.width = matrix.shape[1]
        self.columns = np.flatnonzero(~zero)  # the LP's columns: inner cells not known to be 0
        self.column_of = np.full(self.width, -1, dtype=np.int64)
        self.column_of[self.columns] = np.arange(len(self.columns))
        rows = sparse.csr_matrix(matrix[[cells[0] for cells in self.cells_of_row]][:, self.columns], dtype=float)
        self.highs = highspy._core._Highs()  # the public Highs() prints a banner to stdout (csv output!)
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("threads", 1)
        self.highs.setOptionValue("presolve", "off")  # keeps the basis between solves: each new objective starts warm
        self.highs.setOptionValue("solver", "simplex")
        lp = highspy.HighsLp()
        n = len(self.columns)
        lp.num_col_, lp.num_row_ = n, rows.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        bounds = [self.bounds(row) for row in range(rows.shape[0])]
        lp.row_lower_ = np.array([low for low, _ in bounds], dtype=float)
        lp.row_upper_ = np.array([high for _, high in bounds], dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = rows.indptr.astype(np.int32)
        lp.a_matrix_.index_ = rows.indices.astype(np.int32)
        lp.a_matrix_.value_ = rows.data
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, rows.shape[0]
        self.highs.passModel(lp)
        self.rows = rows
        self.cost_columns = np.zeros(0, dtype=np.int32)

    def allows(self, x: np.ndarray) -> bool:
        """Does the table x (over the LP's columns) meet every row's bounds and x >= 0?"""
        totals = self.rows @ x
        bounds = np.array([self.bounds(row) for row in range(self.rows.shape[0])]).reshape(-1, 2)
        return bool((x >= -1e-9).all() and (totals >= bounds[:, 0] - 1e-6).all() and (totals <= bounds[:, 1] + 1e-6).all())

    def bounds(self, row: int) -> tuple[float, float]:
        """What the attacker knows of a row: its value when shown, '<5' (0-4) or empty (5 or more) when hidden."""
        value = float(self.values[self.cells_of_row[row][0]])
        if self.shown_row[row]:
            return value, value
        if row in self.given_row:
            cells = self.given_row[row]
            low, high = float(self.given[cells, 0].max()), float(self.given[cells, 1].min())
            if row in self.published_too:
                published_low, published_high = self._hidden_bounds(value)
                low, high = max(low, published_low), min(high, published_high)
            return low, high
        return self._hidden_bounds(value)

    def _hidden_bounds(self, value: float) -> tuple[float, float]:
        return (0.0, self.min_count - 1.0) if value < self.min_count else (float(self.min_count), highspy.kHighsInf)

    def hide(self, row: int) -> None:
        self.shown_row[row] = False
        self.highs.changeRowBounds(row, *self.bounds(row))

    def show(self, row: int) -> None:
        self.shown_row[row] = True
        self.highs.changeRowBounds(row, *self.bounds(row))

    def _solve(self) -> highspy.HighsModelStatus:
        """Runs HiGHS; where a warm start or the primal simplex stops without a verdict (seen on small degenerate LPs),
        solves again from scratch, by the dual simplex, then with presolve."""
        self.highs.run()
        status = self.highs.getModelStatus()
        retries = (("simplex_strategy", _DUAL), ("presolve", "on"))
        for option, value in retries:
            if status in _VERDICTS:
                break
            _, before = self.highs.getOptionValue(option)  # (status, value)
            self.highs.clearSolver()
            self.highs.setOptionValue(option, value)
            self.highs.run()
            status = self.highs.getModelStatus()
            self.highs.setOptionValue(option, before)
        return status

    def optimum(self, weights: np.ndarray, maximise: bool, own_columns: bool = False,
                primal: bool = False) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(inner cells, row duals) at the optimum of weights . x; (None, None) when unbounded.

        `weights` is over every inner cell (known zeros add nothing), or with own_columns over the LP's columns (added ones
        too); x is over every inner cell, then the added columns. `primal`: by the primal simplex, for an objective
        that differs little from the last one (one count's minimum, then its maximum): the last optimum stays a
        feasible start, where the dual simplex starts over (measured: 10 iterations instead of 69)."""
        weights = np.asarray(weights, dtype=float)
        if not own_columns:
            weights = weights[self.columns]
        columns = np.flatnonzero(weights).astype(np.int32)
        stale = np.setdiff1d(self.cost_columns, columns).astype(np.int32)
        if len(stale):
            self.highs.changeColsCost(len(stale), stale, np.zeros(len(stale)))
        self.highs.changeColsCost(len(columns), columns, weights[columns])
        self.cost_columns = columns
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)
        self.highs.setOptionValue("simplex_strategy", _PRIMAL if primal else _DUAL)
        status = self._solve()
        if status != highspy.HighsModelStatus.kOptimal:
            if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
                return None, None
            raise RuntimeError(f"interval check: HiGHS ended with {self.highs.modelStatusToString(status)}")
        solution = self.highs.getSolution()
        values = np.asarray(solution.col_value)
        x = np.zeros(self.width)
        x[self.columns] = values[:len(self.columns)]
        return np.concatenate([x, values[len(self.columns):]]), np.asarray(solution.row_dual)


def protect(matrix: sparse.csr_matrix, values: np.ndarray, publishable: np.ndarray, hidden: np.ndarray,
            priority: np.ndarray, min_count: int = 5, known_zero: np.ndarray | None = None,
            keep_shown: np.ndarray | None = None, seed: int = 0, stuck: list[int] | None = None,
            bounds: np.ndarray | None = None, insensitive: np.ndarray | None = None, only: np.ndarray | None = None) -> np.ndarray:
    """`hidden` extended so that every hidden count of 1 to min_count-1 keeps a range of at least MIN_RANGE.

    matrix: cells x inner cells (0/1) of one independent block; hidden: the pattern after GaussSuppression;
    known_zero: inner cells the attacker knows are 0 (implied_zeros); keep_shown: cells published elsewhere, never
    hidden here. Cells with the same row as a cell that gets hidden are hidden with it (they show the same count).
    `stuck` (a list) receives the counts no hiding can widen: pinned by bounds and cells that cannot be hidden.
    `bounds`: never-shown cells with bounds the attacker knows (_AttackerModel); `insensitive`: cells of 1-4 that need
    no range here (a group's shares of hidden region cells); `only`: the hidden cells to check instead of
    every hidden small count, a 0 too (cross: a large year's small region cells after its groups).
    """
    matrix = sparse.csr_matrix(matrix, dtype=float)
    values = np.asarray(values, dtype=np.int64)
    hidden = np.array(hidden, dtype=bool)
    publishable = np.asarray(publishable, dtype=bool)
    if only is None:
        targets = np.flatnonzero(_small_targets(hidden, values, min_count, insensitive))
    else:
        targets = np.flatnonzero(hidden & np.asarray(only, dtype=bool))
    if not len(targets):
        return hidden
    targets = _distinct_rows(matrix, targets)
    model = _AttackerModel(matrix, values, publishable, hidden, min_count, known_zero, bounds)
    row_priority = np.array([priority[cells].max() for cells in model.cells_of_row])
    row_value = np.array([values[cells[0]] for cells in model.cells_of_row])
    hideable = np.ones(len(model.cells_of_row), dtype=bool)
    if keep_shown is not None:
        hideable = np.array([not np.asarray(keep_shown)[cells].any() for cells in model.cells_of_row])
    truth = values[targets].astype(float)
    open_targets = _shared_rounds(model, matrix[targets], truth, np.random.default_rng(seed))
    for target in targets[open_targets]:
        row = matrix[target].toarray().ravel()
        while True:
            wide, duals = _range_side(model, row, float(values[target]))
            if wide:
                break
            binding = np.flatnonzero((duals > _DUAL_TOLERANCE) & model.shown_row & hideable)
            if not len(binding):
                if stuck is not None:
                    stuck.append(int(target))
                break  # pinned by hidden cells' bounds and public cells alone: hiding more cannot widen it
            model.hide(min(binding, key=lambda r: (row_priority[r], row_value[r], r)))
    for row, cells in enumerate(model.cells_of_row):
        if not model.shown_row[row]:
            hidden[cells] = True
    return hidden


def release(matrix: sparse.csr_matrix, values: np.ndarray, publishable: np.ndarray, hidden: np.ndarray,
            groups: list[list[int]], min_count: int = 5, known_zero: np.ndarray | None = None,
            inner_values: np.ndarray | None = None, seed: int = 0, bounds: np.ndarray | None = None,
            insensitive: np.ndarray | None = None) -> np.ndarray:
    """`hidden` with each group of cells (one published row each) shown again, in the given order, where every hidden
    count of 1 to min_count-1 whose range is MIN_RANGE or more keeps such a range (one pinned already stays so, by
    bounds and cells that cannot be hidden).

    A range is proven wide by any two tables the attacker cannot rule out whose counts differ by MIN_RANGE: optima are
    needed only to prove a range narrow. So one attacker model and a pool of such tables serve every trial (the true
    table, `inner_values`, is one). A trial fixes the row at its value and keeps the tables that meet it; only counts
    those no longer prove get LPs, first shared ones that push all of them at once, then each its own minimum and
    maximum, which alone can refuse the release. Tables found for a trial meet the earlier equations too, so they stay
    in the pool whether the release is made or refused. `bounds`, `insensitive`: as for protect."""
    hidden = np.array(hidden, dtype=bool)
    targets = np.flatnonzero(_small_targets(hidden, values, min_count, insensitive))
    if not len(targets) or not groups:
        for cells in groups:
            hidden[cells] = False
        return hidden
    matrix = sparse.csr_matrix(matrix, dtype=float)  # first: _distinct_rows reads CSR rows
    targets = _distinct_rows(matrix, targets)
    model = _AttackerModel(matrix, values, publishable, hidden, min_count, known_zero, bounds)
    pool = _Pool(matrix[targets][:, model.columns].tocsr())
    if inner_values is not None:
        pool.add_if_feasible(model, np.asarray(inner_values, dtype=float)[model.columns])
    rng = np.random.default_rng(seed)
    everyone = np.arange(len(targets))
    pinned = _narrow(model, pool, everyone, rng)
    watched = [int(i) for i in everyone if i not in pinned]
    for cells in groups:
        row = model.row_of[cells[0]]
        equation = matrix[cells[0]][:, model.columns].toarray().ravel()
        model.show(row)
        trial = pool.meeting(equation, float(values[cells[0]]))
        narrow = _narrow(model, trial, np.array(watched, dtype=np.int64), rng, first_only=True)
        if narrow:
            watched.remove(narrow[0])
            watched.insert(0, narrow[0])  # a count pinned once is the likeliest to be pinned next
            model.hide(row)  # the release would pin it: the row stays hidden
            pool.take_found(trial)
        else:
            hidden[cells] = False
            pool = trial
    return hidden


class _Pool:
    """Tables the attacker's current problem allows (over the LP's columns), and each target count in them."""

    def __init__(self, target_rows: sparse.csr_matrix) -> None:
        self.target_rows = target_rows
        self.points = np.zeros((0, target_rows.shape[1]))
        self.reached = np.zeros((target_rows.shape[0], 0))
        self.found = 0  # points added since this pool was made from another (they meet its equations too)

    def add(self, x: np.ndarray) -> None:
        self.points = np.vstack([self.points, x[None, :]])
        self.reached = np.hstack([self.reached, (self.target_rows @ x)[:, None]])
        self.found += 1

    def add_if_feasible(self, model: _AttackerModel, x: np.ndarray) -> None:
        if model.allows(x):
            self.add(x)

    def meeting(self, equation: np.ndarray, value: float) -> _Pool:
        """The tables that also meet equation . x = value."""
        keep = np.abs(self.points @ equation - value) <= 1e-6
        trial = _Pool(self.target_rows)
        trial.points, trial.reached = self.points[keep], self.reached[:, keep]
        return trial

    def take_found(self, other: _Pool) -> None:
        """The tables `other` found (a smaller feasible set's tables are this one's too)."""
        if other.found:
            self.points = np.vstack([self.points, other.points[-other.found:]])
            self.reached = np.hstack([self.reached, other.reached[:, -other.found:]])

    def unproven(self, targets: np.ndarray) -> np.ndarray:
        """The targets whose counts differ by less than MIN_RANGE across the pool."""
        if not self.reached.shape[1]:
            return targets
        reached = self.reached[targets]
        return targets[reached.max(axis=1) - reached.min(axis=1) < MIN_RANGE - 1e-9]


def _narrow(model: _AttackerModel, pool: _Pool, targets: np.ndarray, rng: np.random.Generator,
            first_only: bool = False) -> list[int]:
    """The targets (in the given order) whose range is narrower than MIN_RANGE; with first_only, at most the first.

    Tables found on the way are added to the pool. Shared LPs (all open counts pushed down, up, then each a random
    way) prove most ranges wide at once; the rest are decided by their own minimum and maximum."""
    open_targets = pool.unproven(targets)
    if not len(open_targets):
        return []
    rows = pool.target_rows
    if first_only:  # a refusal is decided by one count, most often the one that pinned before: try it alone first
        first = int(open_targets[0])
        if not _wide_exactly(model, pool, first):
            return [first]
        open_targets = pool.unproven(open_targets[1:])
    idle = 0
    for round_number in range(_SHARED_ROUNDS):
        if len(open_targets) < 2 or idle == 2:
            break
        signs = np.ones(len(open_targets)) if round_number < 2 else rng.choice([-1.0, 1.0], len(open_targets))
        weights = np.asarray(rows[open_targets].T @ (signs * rng.uniform(0.5, 1.5, len(open_targets)))).ravel()
        # primal: after a release's trial the last optimum is most often still feasible (measured: 52 iterations, 83 dual)
        x, _ = model.optimum(weights, maximise=round_number % 2 == 1, own_columns=True, primal=True)
        if x is not None:
            pool.add(x[model.columns])
        still = pool.unproven(open_targets)
        idle = idle + 1 if len(still) == len(open_targets) else 0
        open_targets = still
    narrow = []
    for target in open_targets:
        if not len(pool.unproven(np.array([target]))):
            continue
        if not _wide_exactly(model, pool, int(target)):
            narrow.append(int(target))
            if first_only:
                break
    return narrow


def _wide_exactly(model: _AttackerModel, pool: _Pool, target: int) -> bool:
    """The target's own minimum, then (if needed) maximum: is its range MIN_RANGE or more? The optima join the pool."""
    weights = pool.target_rows[target].toarray().ravel()
    for maximise in (False, True):
        x, _ = model.optimum(weights, maximise=maximise, own_columns=True, primal=True)
        if x is None:
            return True  # unbounded above
        pool.add(x[model.columns])
        if not len(pool.unproven(np.array([target]))):
            return True
    return False


def _wide(row: np.ndarray, low: np.ndarray | None, high: np.ndarray | None) -> bool:
    """Can the count differ by MIN_RANGE between the two optima (an unbounded maximum always can)?"""
    return high is None or row @ high[:len(row)] - row @ low[:len(row)] >= MIN_RANGE - 1e-9


def _small_targets(hidden: np.ndarray, values: np.ndarray, min_count: int, insensitive: np.ndarray | None) -> np.ndarray:
    """The hidden counts of 1 to min_count-1 that need a range (a boolean array over the cells)."""
    targets = hidden & (values >= 1) & (values < min_count)
    return targets if insensitive is None else targets & ~np.asarray(insensitive, dtype=bool)


def _distinct_rows(matrix: sparse.csr_matrix, cells: np.ndarray) -> np.ndarray:
    seen: dict[tuple, int] = {}
    for cell in cells:
        seen.setdefault(tuple(matrix.indices[matrix.indptr[cell]:matrix.indptr[cell + 1]]), int(cell))
    return np.array(sorted(seen.values()), dtype=np.int64)


def _shared_rounds(model: _AttackerModel, target_rows: sparse.csr_matrix, truth: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Targets not yet proven safe, after LPs that push all open targets at once (up, down, then each a random way),
    until two rounds in a row prove none."""
    open_targets = np.ones(len(truth), dtype=bool)
    idle = 0
    for round_number in range(_SHARED_ROUNDS):
        if not open_targets.any() or idle == 2:
            break
        signs = np.ones(open_targets.sum()) if round_number < 2 else rng.choice([-1.0, 1.0], open_targets.sum())
        weights = np.asarray(target_rows[open_targets].T @ (signs * rng.uniform(0.5, 1.5, open_targets.sum()))).ravel()
        x, _ = model.optimum(weights, maximise=round_number % 2 == 1)  # down first (see _range_side)
        if x is None:
            continue
        reached = target_rows @ x[:target_rows.shape[1]]
        still = open_targets & (np.abs(reached - truth) < MIN_RANGE - 1e-9)
        idle = idle + 1 if still.sum() == open_targets.sum() else 0
        open_targets = still
    return open_targets


def _range_side(model: _AttackerModel, row: np.ndarray, truth: float) -> tuple[bool, np.ndarray | None]:
    """(is the range wide enough, else the rows that pin it: those with a dual at either end).

    Downwards first: a hidden count of 1-4 always has room below within '<5', while a 4 has none above."""
    low_x, low_duals = model.optimum(row, maximise=False, primal=True)
    if truth - row @ low_x[:len(row)] >= MIN_RANGE - 1e-9:
        return True, None
    high_x, high_duals = model.optimum(row, maximise=True, primal=True)
    if _wide(row, low_x, high_x):
        return True, None
    return False, np.abs(high_duals) + np.abs(low_duals)


def implied_zeros(matrix: sparse.csr_matrix, values: np.ndarray, publishable: np.ndarray, hidden: np.ndarray,
                  min_count: int = 5, known_zero: np.ndarray | None = None, inner_values: np.ndarray | None = None,
                  bounds: np.ndarray | None = None) -> np.ndarray:
    """Inner cells that every table consistent with the publication has at 0 (a boolean array over inner cells).

    A shown cell equal to a shown part of it says the rest is 0: no single shown cell is 0, yet the attacker knows
    those inner cells, and GaussSuppression must be told (Langsrud 2024 on zeros). Found by LPs over x and a
    helper y (0 <= y <= min(x, 1)): maximising the sum of y over the open cells shows at once every cell that can
    be positive; what stays at 0 when nothing more can be shown is implied 0. The true table is consistent, so an
    inner cell that truly holds pupils (`inner_values` > 0) is never implied 0 and needs no helper. `bounds`: as for protect.
    """
    matrix = sparse.csr_matrix(matrix, dtype=float)
    attacker = _AttackerModel(matrix, np.asarray(values), np.asarray(publishable, dtype=bool), np.asarray(hidden, dtype=bool),
                              min_count, known_zero, bounds)
    implied = np.ones(attacker.width, dtype=bool)
    implied[attacker.columns] = False
    candidates = np.arange(len(attacker.columns))  # LP columns that may be implied 0
    if inner_values is not None:
        candidates = candidates[np.asarray(inner_values)[attacker.columns] == 0]
    if not len(candidates):
        return implied
    highs, n, k = attacker.highs, len(attacker.columns), len(candidates)
    # y_c <= x_c as rows over (x, y); y in [0, 1]
    highs.addVars(k, np.zeros(k), np.ones(k))
    starts = np.arange(0, 2 * k, 2, dtype=np.int32)
    indices = np.column_stack([candidates, n + np.arange(k)]).ravel().astype(np.int32)
    coefficients = np.tile([-1.0, 1.0], k)
    highs.addRows(k, np.full(k, -highspy.kHighsInf), np.zeros(k), len(indices), starts, indices, coefficients)
    open_cells = np.ones(k, dtype=bool)
    while open_cells.any():
        weights = np.zeros(n + k)
        weights[n:][open_cells] = 1.0
        x, _ = attacker.optimum(weights, maximise=True, own_columns=True)
        positive = open_cells & (x[attacker.width:] > 1e-7)
        if not positive.any():
            break
        open_cells &= ~positive
    implied[attacker.columns[candidates[open_cells]]] = True
    return implied
