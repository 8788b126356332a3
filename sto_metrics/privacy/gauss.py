"""Secondary suppression by Gaussian elimination, after Statistics Norway's GaussSuppression (R package SSBtools).

Every cell a product can publish is a sum of inner cells (the finest counts: one school, leerweg, gender and
class). The cells form a sparse 0/1 matrix, cells x inner cells. A hidden cell is given away exactly when its
row lies in the span of the rows that are shown. GaussSuppression decides cell by cell, most important first,
whether a cell may be shown: it keeps the shown rows in echelon form and the hidden sensitive rows reduced
against them; a candidate whose (reduced) row would reduce a sensitive row to zero is hidden instead
(a secondary suppression), every other candidate is shown. Cells that duplicate a shown cell's row are shown
at no cost. Zeros need care (Langsrud 2024): a 0 inside a hidden small cell tells who is in it, so such
zeros are primary suppressions too.

Reference: Langsrud, Ø. (2024), "Secondary Cell Suppression by Gaussian Elimination: An Algorithm Suitable
for Handling Issues with Zeros and Singletons", Privacy in Statistical Databases, LNCS 14915.
"""

from __future__ import annotations

import heapq

import numpy as np
from scipy import sparse

TOLERANCE = 1e-9


def zeros_inside_small_cells(matrix: sparse.csr_matrix, values: np.ndarray, small: np.ndarray) -> np.ndarray:
    """Cells with value 0 whose inner cells all lie inside one small (sensitive) cell: showing them tells who is in it."""
    zero = np.flatnonzero(values == 0)
    sensitive = np.flatnonzero(small)
    result = np.zeros(len(values), dtype=bool)
    if not len(zero) or not len(sensitive):
        return result
    zero_rows = matrix[zero]
    support = np.asarray(zero_rows.sum(axis=1)).ravel()
    shared = (zero_rows @ matrix[sensitive].T).tocsr()  # inner cells each zero cell shares with each small cell
    inside = np.zeros(len(zero), dtype=bool)
    for row in range(len(zero)):
        start, stop = shared.indptr[row], shared.indptr[row + 1]
        if stop > start and support[row] > 0 and shared.data[start:stop].max() >= support[row]:
            inside[row] = True
    result[zero[inside]] = True
    return result


def _direction(row: dict[int, float]) -> tuple[tuple, float]:
    """(the row scaled to 1 at its smallest inner cell, that scale): proportional rows share the direction."""
    first = min(row)
    scale = row[first]
    return tuple(sorted((inner, round(coefficient / scale, 9)) for inner, coefficient in row.items())), scale


class _Echelon:
    """Shown rows in echelon form, and the hidden sensitive rows reduced against them (dicts inner -> coefficient).

    A sensitive row reduced to zero is given away. Two sensitive rows reduced to proportional rows have a known
    combination a*x + b*y; with '<5' (0 to 4) as the attacker's bounds, a combination at an end of its range pins
    both (4 + 4 = 8), so a row that would cause either is not shown.
    """

    def __init__(self, values: np.ndarray, upper: np.ndarray) -> None:
        self.values, self.upper = values, upper
        self.pivot_rows: dict[int, dict[int, float]] = {}  # pivot inner cell -> normalised row (coefficient 1 at the pivot)
        self.pivot_order: dict[int, int] = {}  # pivot -> insertion number: reduce in that order
        self.sensitive: list[dict[int, float]] = []
        self.sensitive_cell: list[int] = []
        self.sensitive_at: dict[int, set[int]] = {}  # inner cell -> sensitive rows that hold it
        self.by_direction: dict[tuple, dict[int, float]] = {}  # direction -> {sensitive row: scale}
        self.direction_of: list[tuple] = []

    def add_sensitive(self, row: dict[int, float], cell: int) -> None:
        """Adds a hidden sensitive row (before any row is shown)."""
        number = len(self.sensitive)
        self.sensitive.append(dict(row))
        self.sensitive_cell.append(cell)
        for inner in row:
            self.sensitive_at.setdefault(inner, set()).add(number)
        direction, scale = _direction(row)
        self.direction_of.append(direction)
        self.by_direction.setdefault(direction, {})[number] = scale

    def reduce(self, row: dict[int, float]) -> dict[int, float]:
        """The row minus its combination of shown rows (empty when it is in their span)."""
        vector = dict(row)
        heap = [(self.pivot_order[i], i) for i in vector if i in self.pivot_rows]
        heapq.heapify(heap)
        while heap:
            _, pivot = heapq.heappop(heap)
            factor = vector.get(pivot)
            if factor is None:
                continue
            for inner, coefficient in self.pivot_rows[pivot].items():
                new = vector.get(inner, 0.0) - factor * coefficient
                if abs(new) < TOLERANCE:
                    vector.pop(inner, None)
                else:
                    if inner not in vector and inner in self.pivot_rows:
                        heapq.heappush(heap, (self.pivot_order[inner], inner))
                    vector[inner] = new
        return vector

    def _pinned(self, x: int, scale_x: float, y: int, scale_y: float) -> bool:
        """Is the known combination scale_y * x - scale_x * y at an end of its range?"""
        cx, cy = self.sensitive_cell[x], self.sensitive_cell[y]
        a, b = scale_y, -scale_x
        known = a * self.values[cx] + b * self.values[cy]
        low = min(0.0, a * self.upper[cx]) + min(0.0, b * self.upper[cy])
        high = max(0.0, a * self.upper[cx]) + max(0.0, b * self.upper[cy])
        return abs(known - low) < TOLERANCE or abs(known - high) < TOLERANCE

    def try_show(self, row: dict[int, float], public: bool = False) -> bool:
        """Shows the row unless that gives a sensitive row away; True when shown. A public row (another table shows
        it) is shown all the same: hiding it here would protect nothing, and later rows are checked against it."""
        reduced = self.reduce(row)
        if not reduced:
            return True  # already determined by what is shown: showing it adds nothing
        # The pivot touching the fewest sensitive rows keeps the updates (and the fill-in) small.
        pivot = max(reduced, key=lambda i: (-len(self.sensitive_at.get(i, ())), i))
        scale = reduced[pivot]
        normalised = {inner: coefficient / scale for inner, coefficient in reduced.items()}
        updated: dict[int, tuple[dict[int, float], tuple, float]] = {}
        for number in sorted(self.sensitive_at.get(pivot, ())):
            sensitive = self.sensitive[number]
            factor = sensitive[pivot]
            new = dict(sensitive)
            for inner, coefficient in normalised.items():
                value = new.get(inner, 0.0) - factor * coefficient
                if abs(value) < TOLERANCE:
                    new.pop(inner, None)
                else:
                    new[inner] = value
            if not new and not public:
                return False  # showing this row would give a hidden sensitive cell away
            updated[number] = (new, *_direction(new)) if new else (new, (), 1.0)
        new_groups: dict[tuple, dict[int, float]] = {}
        for number, (_, direction, scale_number) in updated.items():
            others = {**{k: v for k, v in self.by_direction.get(direction, {}).items() if k not in updated},
                      **new_groups.get(direction, {})}
            if not public and any(self._pinned(number, scale_number, other, scale_other) for other, scale_other in others.items()):
                return False  # showing it would pin two hidden counts at the end of their range
            new_groups.setdefault(direction, {})[number] = scale_number
        for number, (new, direction, scale_number) in updated.items():
            old = self.sensitive[number]
            for inner in old.keys() - new.keys():
                self.sensitive_at[inner].discard(number)
            for inner in new.keys() - old.keys():
                self.sensitive_at.setdefault(inner, set()).add(number)
            self.sensitive[number] = new
            self.by_direction[self.direction_of[number]].pop(number, None)
            self.direction_of[number] = direction
            if new:  # a row a public row gave away has no range left to pin
                self.by_direction.setdefault(direction, {})[number] = scale_number
        self.pivot_order[pivot] = len(self.pivot_order)
        self.pivot_rows[pivot] = normalised
        return True


def suppress(matrix: sparse.csr_matrix, values: np.ndarray, publishable: np.ndarray, priority: np.ndarray,
             min_count: int = 5, known_zero: np.ndarray | None = None, public: np.ndarray | None = None,
             known: np.ndarray | None = None, insensitive: np.ndarray | None = None,
             zero_inside: np.ndarray | None = None) -> np.ndarray:
    """Which cells to hide: primary (1 .. min_count-1, and zeros inside them) plus secondary cells by Gaussian elimination.

    matrix: cells x inner cells (0/1); values: the cells' exact counts; publishable: cells a view may show (the others
    are never shown, but are protected when small); priority: higher is more important to show; known_zero: inner
    cells the attacker knows to be 0 by other means (intervals.implied_zeros); public: cells another table already
    shows, taken first of all candidates, a 0 too (hiding them here protects nothing; a public 0 tells its inner cells);
    known: rows the attacker is assumed to know though no view shows them (cross's totals of a group of schools):
    public, and never sensitive themselves, small or not; insensitive: never-shown cells of 1-4 that need no protection
    here (cross's shares of hidden region cells in a group of schools: small region cells are checked over the year);
    zero_inside: zeros inside a small cell that this problem does not hold (cross: a school's 0 inside a small region
    cell, in a group of schools), primary like the zeros inside its own small cells.
    Cells with the same row are decided together. Returns a boolean array over the cells (True = hidden); never-publishable cells are True.
    """
    matrix = sparse.csr_matrix(matrix)
    values = np.asarray(values, dtype=np.int64)
    known = np.zeros(len(values), dtype=bool) if known is None else np.asarray(known, dtype=bool)
    small = (values >= 1) & (values < min_count) & ~known
    if insensitive is not None:
        small &= ~np.asarray(insensitive, dtype=bool)
    primary = (small | zeros_inside_small_cells(matrix, values, small)) & ~known
    if zero_inside is not None:
        primary |= np.asarray(zero_inside, dtype=bool) & ~known
    publishable = np.asarray(publishable, dtype=bool)
    hidden = ~publishable | primary
    public = (np.zeros(len(values), dtype=bool) if public is None else np.asarray(public, dtype=bool)) | known
    shown_zeros = np.flatnonzero(publishable & ~primary & (values == 0) & public)
    keep = np.ones(matrix.shape[1], dtype=bool) if known_zero is None else ~np.asarray(known_zero, dtype=bool)
    keep[np.unique(matrix[shown_zeros].indices)] = False
    if not keep.all():
        matrix = sparse.csr_matrix(matrix[:, np.flatnonzero(keep)])
    rows = [dict.fromkeys(matrix.indices[matrix.indptr[c]:matrix.indptr[c + 1]].tolist(), 1.0) for c in range(matrix.shape[0])]
    groups: dict[tuple, list[int]] = {}
    for cell, row in enumerate(rows):
        groups.setdefault(tuple(sorted(row)), []).append(cell)
    # A row is sensitive when any cell with that row is: the duplicates have the same value.
    sensitive = [cells for key, cells in groups.items() if key and primary[cells].any()]
    for cells in sensitive:
        hidden[cells] = True
    candidates = [cells for key, cells in groups.items() if key and not primary[cells].any() and publishable[cells].any()]
    # Zeros last: a hidden 0 ('<5') is the cheapest complement (SSBtools' candidate order puts empty cells last too).
    def order(cells: list[int]) -> tuple:
        shown_elsewhere = [cell for cell in cells if public[cell]]
        return (values[cells[0]] == 0 and not shown_elsewhere, not shown_elsewhere,
                -priority[shown_elsewhere or cells].max(), -values[cells[0]], cells[0])
    candidates.sort(key=order)
    echelon = _Echelon(values, np.where(publishable, min_count - 1, np.inf))  # '<5' = 0 to 4; never shown: 0 and up
    for cells in sensitive:
        echelon.add_sensitive(rows[cells[0]], cells[0])
    for cells in candidates:
        shown = echelon.try_show(rows[cells[0]], public=bool(public[cells].any()))
        hidden[cells] = (not shown) | ~publishable[cells]
    hidden[known] = False  # even beside a small cell with the same row: intervals.protect then finds that cell stuck
    return hidden
