"""A lower bound on information loss: how many cells with 5 or more pupils any safe pattern must hide.

Whoever sees the shown cells knows every cell that an additive relation ties to known cells only: a = b + c with b and
c known, or a row total with all its destinations known. A count of 1 to 4 must stay unknown, so in each relation
that holds it another cell must be unknown too, and so on. Writing that as an integer program (x: a cell of 5 or
more is hidden, at cost 1; u: a cell is not known; see loss_bound) and solving it exactly with HiGHS gives the fewest
cells any safe pattern hides, whatever the method: GaussSuppression, tau-argus's optimal method or anything else.
The simplest case: two published cells whose difference is a count of 1 to 4 (the alternative setting's `techniek`
row minus the default setting's is the D&P graduates' count) cannot both be shown. Only the attacker's linear
reasoning within one school year and scope is used (no 'counts are not negative', no sums over schools), and other
levels' cells count as unknown at no cost, so the bound is low, never high: each level's bound holds on its own.

The cells' sets of inner cells are rebuilt here from the keys (year, scope, leerweg, gender, measure) and the model's
members, not taken from `cross.build`, and each rebuilt cell's value is checked against the protected table's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from sto_metrics.privacy import cross


def _level(scope: str, leerweg: str, gender: str) -> str:
    return ("regio" if scope == cross.ALL else "school") + (" unsplit" if leerweg == gender == cross.ALL else " split")


def _row_hashes(counts: pd.DataFrame, model: cross.CrossModel, keys: list[tuple], values: np.ndarray):
    """(a random 64-bit sum over each cell's inner cells, each cell's inner cells as a frozenset of inner numbers).

    Disjoint unions add: a = b + c as sets exactly when hash(a) = hash(b) + hash(c), up to chance (checked on the sets)."""
    inner = cross._inner_cells(counts, model)
    classes = cross._classes(model)
    members = {m.name: np.array(sorted({classes[c] for c in m.members})) for m in model.measures}
    weights = np.random.default_rng(20261130).integers(0, 2**63, size=len(inner), dtype=np.uint64)
    year_of = inner["school_year"].to_numpy()
    school, leerweg, gender = (inner[c].astype(str).to_numpy() for c in cross.SELECTION)
    class_of, pupils = inner["_class"].to_numpy(), inner["pupils"].to_numpy()
    hashes = np.zeros(len(keys), dtype=np.uint64)
    sets = []
    for number, (year, scope, leerweg_sel, gender_sel, measure) in enumerate(keys):
        mask = (year_of == year) & np.isin(class_of, members[measure])
        if scope != cross.ALL:
            mask &= school == scope
        if leerweg_sel != cross.ALL:
            mask &= leerweg == leerweg_sel
        if gender_sel != cross.ALL:
            mask &= gender == gender_sel
        chosen = np.flatnonzero(mask)
        if int(pupils[chosen].sum()) != int(values[number]):
            raise AssertionError(f"rebuilt cell {keys[number]} holds {pupils[chosen].sum()} pupils, the table {values[number]}")
        hashes[number] = weights[chosen].sum(dtype=np.uint64)
        sets.append(frozenset(chosen.tolist()))
    return hashes, sets


def relations(keys: list[tuple], hashes: np.ndarray, sets: list[frozenset]) -> list[list[int]]:
    """Additive relations among the cells of one school year and scope (region or one school): a = b + c, any measures,
    leerwegen and genders (found by the hashes, checked on the sets), a = b for one count in two selections, and each
    destinations row, g:G = the sum of g:d."""
    groups: dict[tuple, list[int]] = {}
    for number, key in enumerate(keys):
        groups.setdefault(key[:2], []).append(number)
    found: list[list[int]] = []
    for cells in groups.values():
        cells = np.array([cell for cell in cells if sets[cell]])
        order = np.argsort(hashes[cells], kind="stable")
        sorted_hashes = hashes[cells][order]
        for i, b in enumerate(cells.tolist()):
            others = cells[i + 1:]
            wanted = hashes[b] + hashes[others]  # uint64 arrays wrap, like the sums
            first, last = np.searchsorted(sorted_hashes, wanted, "left"), np.searchsorted(sorted_hashes, wanted, "right")
            for c, start, stop in zip(others.tolist(), first.tolist(), last.tolist(), strict=True):
                for a in cells[order[start:stop]].tolist():  # cells with equal sets (other selections) each make a relation
                    if not sets[b] & sets[c] and sets[a] == sets[b] | sets[c]:
                        found.append([a, b, c])
        for start in np.flatnonzero(np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]]).tolist():
            equal = cells[order[start:np.searchsorted(sorted_hashes, sorted_hashes[start], "right")]].tolist()
            found += [[a, b] for a in equal for b in equal if a < b and sets[a] == sets[b]]  # one count shown twice
        name_of = {keys[cell][2:]: cell for cell in cells.tolist()}
        for (leerweg, gender, name), total in name_of.items():
            group, _, measure = name.partition(":")
            parts = [name_of.get((leerweg, gender, f"{group}:{d}")) for d in cross.DESTINATIONS]
            if measure == "G" and None not in parts and sets[total] == frozenset().union(*(sets[p] for p in parts)) \
                    and sum(len(sets[p]) for p in parts) == len(sets[total]):
                found.append([total, *parts])
    return found


def loss_bound(counts: pd.DataFrame, model: cross.CrossModel, table: cross.CrossTable, min_count: int = 5) -> dict[str, int]:
    """Per level ('regio unsplit', ...): at least how many publishable cells of min_count or more every safe pattern hides.

    An integer program per level and school year, solved exactly by HiGHS: x (hidden) for the level's publishable cells
    of min_count or more, at cost 1; u (not determined by what is shown) for every cell, with u <= x for those cells,
    u = 1 for every count of 1 to min_count - 1 (shown or not, it must stay unknown), and for every relation and each of
    its cells: u(cell) <= the sum of u over the relation's other cells (if all the others are known, so is this one).
    Cells of other levels cost nothing and count as unknown, so the bound holds whatever those levels show."""
    keys = sorted(table.index, key=table.index.get)
    values = table.values
    hashes, sets = _row_hashes(counts, model, keys, values)
    by_year: dict[int, list[list[int]]] = {}
    for relation in relations(keys, hashes, sets):
        by_year.setdefault(keys[relation[0]][0], []).append(relation)
    published_measure = {m.name: m.published for m in model.measures}
    published = np.array([published_measure[key[4]] for key in keys])
    level = np.array([_level(*key[1:4]) for key in keys])
    years = np.array([key[0] for key in keys])
    return {level_name: sum(_year_bound(by_year.get(int(year), []), values, published, level == level_name, years == year, min_count)
                            for year in np.unique(years))
            for level_name in sorted(set(level))}


def _year_bound(year_relations, values, published, in_level, in_year, min_count) -> int:
    costly = np.flatnonzero(in_level & in_year & published & (values >= min_count))
    if not len(costly):
        return 0
    cells = np.flatnonzero(in_year)
    column = {int(cell): number for number, cell in enumerate(cells)}  # u of the year's cells, then x of the costly ones
    x_of = {int(cell): len(cells) + number for number, cell in enumerate(costly)}
    variables = len(cells) + len(costly)
    rows, columns, coefficients, lower, upper = [], [], [], [], []

    def constraint(terms: list[tuple[int, float]], low: float, high: float) -> None:
        for variable, coefficient in terms:
            rows.append(len(lower))
            columns.append(variable)
            coefficients.append(coefficient)
        lower.append(low)
        upper.append(high)

    free = ~in_level  # other levels: unknown at no cost
    fixed_unknown = [column[int(c)] for c in cells if free[c] or min_count > values[c] >= 1]
    for cell in costly.tolist():
        constraint([(column[cell], 1.0), (x_of[cell], -1.0)], -np.inf, 0.0)
    for relation in year_relations:
        if any(free[cell] for cell in relation):
            continue  # a relation with a cell of another level can always be kept open there
        for cell in relation:
            constraint([(column[cell], 1.0), *((column[other], -1.0) for other in relation if other != cell)], -np.inf, 0.0)
    if not lower:
        return 0  # nothing ties a costly cell to a small count: none need be hidden
    matrix = sparse.csr_matrix((coefficients, (rows, columns)), shape=(len(lower), variables))
    low_bounds = np.zeros(variables)
    low_bounds[fixed_unknown] = 1.0
    cost = np.zeros(variables)
    cost[len(cells):] = 1.0
    result = optimize.milp(cost, constraints=optimize.LinearConstraint(matrix, lower, upper),
                           integrality=np.ones(variables), bounds=optimize.Bounds(low_bounds, 1.0))
    if not result.success:
        raise RuntimeError(f"bound not solved: {result.message}")
    # the solver's proved bound, not its best solution (with a gap that one could be above the minimum): at least this
    return math.ceil((result.fun if result.mip_dual_bound is None else result.mip_dual_bound) - 1e-6)
