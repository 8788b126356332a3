"""Small-cell suppression: the single gate every number passes on its way out of the engine.

The rule (docs/domain.md, privacy)
-------------------------------------------------------------------------

1. Primary suppression. A count from 1 to 4 (below `min_count`) is not shown; it is written
   `<5`. A count of 0 is shown as 0: "nobody" discloses nothing about a person, the national
   sources (DUO, CBS) show zeros too, and hiding zeros would hide most of a small school's table.
2. Secondary suppression. Every shown table is one slice of a cube that holds all variants of the
   same metric: the region and every school, unsplit and split by geslacht and by leerweg,
   from_group techniek/overig/totaal, and both settings (D&P counted or not; NT or every N).
   Destinations and progression share one cube (progression's `enrolled` is mbo_techniek +
   mbo_overig, its `technical` is mbo_techniek). The cube's additive relations are:
   within a row (technical + non-technical = pupils; the six destinations = graduates),
   split rows = the unsplit row, schools = the region, techniek + overig = totaal, and setting
   A vs setting B (the difference is the D&P or NG pupils). Non-published quantities (the
   non-technical pupils, the D&P pupils) are cells too, and protected when they are 1-4.
   Extra cells are hidden until no hidden cell, and no small non-published cell, can be worked
   out from the shown cells: not by linear algebra over all relations together (which covers
   "total minus the shown parts" and chains of it), and not by one relation plus what the
   markers say (`<5` means 0-4; an empty count means 5 or more). The extra cell is chosen
   deterministically: in the relation that gives the hidden cell away, the shown cell of the
   lowest importance tier (school split rows, then school totals, then region figures; within a
   tier the girls' row last, because girls' inflow is an explicit STO indicator), then the
   smallest, parts before totals, then the first in the table's order.
   Because the pattern is computed on the whole cube, every output (command line with any
   --by/--split, pages, reports) hides the same cells.
3. How hidden cells are written. A hidden count below 5 (the primary ones, and a 0 hidden as a
   complement) is `<5`, which is true. A hidden count of 5 or more is left empty (None), never
   written as `<5`, so that no published figure is false.
4. Shares. A share and its interval are shown only when its denominator is at least
   `min_share_denominator` (10) and both its numerator and denominator are shown: share x
   pupils gives the numerator back, technical / share gives the denominator, and the width of
   the interval gives the denominator away too. Otherwise share, ci_low and ci_high are empty.
5. Cohort flow: every node and link is a cell; each node equals the sum of its incoming links and
   of its outgoing links, and the region's nodes and links equal the sums over the schools.

Limits: the population filters of the dashboard (a subset of leerwegen, genders or schools)
create new aggregates; each filtered view is protected on its own cube, not against a differently
filtered view. The cohort flow is protected for the settings in force only.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sto_metrics import schoolyear
from sto_metrics.metrics import registry
from sto_metrics.metrics.calculations import DESTINATIONS, Cube, flow_from_paths

INF = float("inf")


@dataclass(frozen=True)
class SuppressionRules:
    """Thresholds (configurable; the defaults are those of docs/domain.md)."""

    min_count: int = 5  # counts 1 .. min_count-1 are hidden
    min_share_denominator: int = 10  # shares over fewer are hidden

    @property
    def small_marker(self) -> str:
        """How a hidden count below min_count is written: '<5'."""
        return f"<{self.min_count}"


# --------------------------------------------------------------------------------------------
# The cell system and the protection algorithm
# --------------------------------------------------------------------------------------------


class CellSystem:
    """Counts with additive relations (total = sum of parts) between them."""

    def __init__(self) -> None:
        self.index: dict[tuple, int] = {}
        self.values: list[int] = []
        self.published: list[bool] = []
        self.tiers: list[int] = []
        self.relations: list[tuple[int, list[int]]] = []

    def cell(self, key: tuple, value: int, published: bool = True, tier: int = 0) -> int:
        """Adds a count; `tier` ranks how much it matters (complements come from the lowest tier first)."""
        if key in self.index:
            return self.index[key]
        self.index[key] = len(self.values)
        self.values.append(int(value))
        self.published.append(bool(published))
        self.tiers.append(int(tier))
        return self.index[key]

    def relation(self, total: tuple, parts: list[tuple]) -> None:
        """total = sum(parts); parts that are not cells are zero and left out."""
        if total not in self.index:
            return
        members = [self.index[p] for p in parts if p in self.index]
        if members:
            self.relations.append((self.index[total], members))

    def protect(self, rules: SuppressionRules) -> np.ndarray:
        """Boolean array: which cells are hidden (primary + secondary); see the module docstring."""
        values = np.array(self.values, dtype="int64")
        return _protect(values, np.array(self.published, dtype=bool), np.array(self.tiers, dtype="int64"), self.relations, rules)


def _protect(values: np.ndarray, published: np.ndarray, tiers: np.ndarray, relations, rules: SuppressionRules) -> np.ndarray:
    """Primary pattern, then secondary cells until nothing is recoverable; independent parts one by one."""
    sensitive = (values >= 1) & (values < rules.min_count)
    hidden = sensitive | ~published
    parent = list(range(len(values)))

    def find(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for total, parts in relations:
        root = find(total)
        for p in parts:
            other = find(p)
            if other != root:
                parent[other] = root
    groups: dict[int, list[int]] = {}
    for number, (total, _) in enumerate(relations):
        groups.setdefault(find(total), []).append(number)
    for numbers in groups.values():
        _verify_or_extend(relations, numbers, values, published, tiers, sensitive, hidden, rules)
    return hidden


def _verify_or_extend(all_relations, numbers, values, published, tiers, sensitive, hidden, rules) -> None:
    """Hide complements in one independent part until no guarded cell is recoverable (changes `hidden`)."""
    relations = [all_relations[n] for n in numbers]
    by_cell: dict[int, list[int]] = {}
    for number, (total, parts) in enumerate(relations):
        for member in (total, *parts):
            by_cell.setdefault(member, []).append(number)
    full_check = False
    for _ in range(100_000):
        determined = _linear_determined(hidden, relations, full=full_check)
        pinned = _pinned_by_bounds(values, published, hidden, determined, relations, rules)
        leaks = sorted(c for c in determined | pinned if sensitive[c])
        if not leaks:
            if full_check:
                # A hidden count >= 5 (or a hidden 0) that can be worked out anyway protects nothing: show it.
                for c in determined | pinned:
                    if published[c] and not sensitive[c]:
                        hidden[c] = False
                return
            full_check = True  # the cheap checks pass: confirm with linear algebra
            continue
        full_check = False
        progress = False
        for cell in leaks:
            complement = _complement(cell, values, published, tiers, hidden, relations, by_cell, leaks)
            if complement is not None and not hidden[complement]:
                hidden[complement] = True
                progress = True
        if not progress:  # cannot happen for consistent counts; refuse rather than leak
            raise RuntimeError("suppression did not converge")
    raise RuntimeError("suppression did not converge")


def _complement(cell, values, published, tiers, hidden, relations, by_cell, leaks) -> int | None:
    """The shown cell to hide so that `cell` is no longer given away.

    Looks in the relations that hold `cell`, then (when those have nothing shown, i.e. the cell is
    given away through a chain) in the relations of the hidden cells next to it, and so on. Among
    the nearest relations with the fewest other hidden cells (those that give the cell away), the
    shown cell of the lowest tier (school split rows before school totals before region figures),
    then the smallest value, then parts before totals, then table order.
    """
    leak_set = set(leaks)
    seen_cells = {cell}
    seen_relations: set[int] = set()
    frontier = [cell]
    while frontier:
        candidates = []
        next_frontier = []
        for current in frontier:
            for number in by_cell.get(current, []):
                if number in seen_relations:
                    continue
                seen_relations.add(number)
                total, parts = relations[number]
                members = [total, *parts]
                shown = [m for m in members if published[m] and not hidden[m]]
                if shown:
                    open_members = sum(1 for m in members if hidden[m] and m not in leak_set)
                    candidates.extend((open_members, int(tiers[m]), int(values[m]), m == total, m) for m in shown)
                for m in members:
                    if hidden[m] and m not in seen_cells:
                        seen_cells.add(m)
                        next_frontier.append(m)
        if candidates:
            return min(candidates)[4]
        frontier = sorted(next_frontier)
    return None


def _linear_determined(hidden: np.ndarray, relations, full: bool = True) -> set[int]:
    """Hidden cells whose value follows from the shown cells by the relations.

    Peeling (a relation with one unknown left) always; with `full`, linear algebra on what remains.
    """
    determined: set[int] = set()
    touching = [(total, parts) for total, parts in relations if hidden[total] or any(hidden[p] for p in parts)]
    # Peel: a relation with one unknown left gives it away; repeat (covers chains of differencing).
    changed = True
    while changed:
        changed = False
        for total, parts in touching:
            unknown = [m for m in (total, *parts) if hidden[m] and m not in determined]
            if len(unknown) == 1:
                determined.add(unknown[0])
                changed = True
    # Linear algebra on the rest, per connected group of unknown cells.
    unknown_cells = sorted({m for total, parts in touching for m in (total, *parts) if hidden[m] and m not in determined})
    if not unknown_cells or not full:
        return determined
    parent = {c: c for c in unknown_cells}

    def find(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    rows_by_group: dict[int, list] = {}
    for total, parts in touching:
        members = [m for m in (total, *parts) if hidden[m] and m not in determined]
        if len(members) < 2:
            continue
        root = find(members[0])
        for m in members[1:]:
            other = find(m)
            if other != root:
                parent[other] = root
    for total, parts in touching:
        coefficients = {}
        for m, coefficient in ((total, 1.0), *((p, -1.0) for p in parts)):
            if hidden[m] and m not in determined:
                coefficients[m] = coefficients.get(m, 0.0) + coefficient
        if coefficients:
            rows_by_group.setdefault(find(next(iter(coefficients))), []).append(coefficients)
    for rows in rows_by_group.values():
        cells = {c for row in rows for c in row}
        if len(cells) > 20_000:  # too large to reduce; the peeling above still applies
            continue
        determined |= _pinned_columns(rows)
    return determined


_PRIME = 2_147_483_647  # exact arithmetic modulo a large prime: the relations have coefficients +-1


def _pinned_columns(rows: list[dict[int, float]]) -> set[int]:
    """Unknowns fixed by the linear system `rows` (sparse, each row = 0 plus known values).

    Sparse Gauss-Jordan elimination in exact modular arithmetic (no floating point, no LAPACK);
    an unknown is fixed when its fully reduced pivot row has no other entry.
    """
    pivots: dict[int, dict[int, int]] = {}
    for source in rows:
        row = {c: int(v) % _PRIME for c, v in source.items() if int(v) % _PRIME}
        while row:
            column = next((c for c in row if c in pivots), None)
            if column is None:
                break
            factor = row[column]
            for c, v in pivots[column].items():
                value = (row.get(c, 0) - factor * v) % _PRIME
                if value:
                    row[c] = value
                else:
                    row.pop(c, None)
        if not row:
            continue
        column = min(row)
        inverse = pow(row[column], _PRIME - 2, _PRIME)
        row = {c: v * inverse % _PRIME for c, v in row.items()}
        for other in pivots.values():
            factor = other.get(column)
            if factor:
                for c, v in row.items():
                    value = (other.get(c, 0) - factor * v) % _PRIME
                    if value:
                        other[c] = value
                    else:
                        other.pop(c, None)
        pivots[column] = row
    return {column for column, row in pivots.items() if len(row) == 1}


def _pinned_by_bounds(values, published, hidden, determined, relations, rules, max_passes: int = 200) -> set[int]:
    """Hidden cells a reader pins to one value by interval reasoning over the relations.

    Starts from what is shown (and `determined`), '<5' = 0..4, an empty count = 5 or more, a
    non-published count = 0 or more; then tightens every cell's interval from every relation
    until nothing changes (as the differencing test's attacker does).
    """
    low: dict[int, float] = {}
    high: dict[int, float] = {}
    members_all = {m for total, parts in relations for m in (total, *parts)}
    for m in members_all:
        if not hidden[m] or m in determined:
            low[m] = high[m] = values[m]
        elif not published[m]:
            low[m], high[m] = 0, INF
        elif values[m] < rules.min_count:
            low[m], high[m] = 0, rules.min_count - 1  # '<5' is 0-4: a 0 can be hidden as a complement
        else:
            low[m], high[m] = rules.min_count, INF
    active = [(total, parts) for total, parts in relations if any(low[m] != high[m] for m in (total, *parts))]
    for _ in range(max_passes):
        changed = False
        for total, parts in active:
            sum_low = sum(low[p] for p in parts)
            sum_high = sum(high[p] for p in parts)
            # the total lies within the sum of its parts
            if sum_low > low[total]:
                low[total], changed = sum_low, True
            if sum_high < high[total]:
                high[total], changed = sum_high, True
            for p in parts:
                if low[p] == high[p]:
                    continue
                others_high = sum(high[q] for q in parts if q != p)
                others_low = sum(low[q] for q in parts if q != p)
                new_low = low[total] - others_high if others_high != INF else -INF
                new_high = high[total] - others_low
                if new_low > low[p]:
                    low[p], changed = new_low, True
                if new_high < high[p]:
                    high[p], changed = new_high, True
        if not changed:
            break
    return {m for m in members_all if hidden[m] and m not in determined and low[m] == high[m]}


# --------------------------------------------------------------------------------------------
# Cubes per metric family
# --------------------------------------------------------------------------------------------


def _region_or_school(school_id) -> str:
    return "regio" if school_id is None or (isinstance(school_id, float) and np.isnan(school_id)) or pd.isna(school_id) else str(school_id)


# Between otherwise equal complements, these rows stay visible: girls' inflow into technology is an
# explicit STO and Techkwadraat indicator, so the boys' row is hidden instead when one must go.
KEEP_SHOWN_SPLITS = {("geslacht", "V")}


def _inflow_cells(counts: pd.DataFrame) -> CellSystem:
    """Cells P (pupils), U (unknown), Ta/Tb (technical, setting A/B), E (extra class), O (other), Na (non-technical A)."""
    system = CellSystem()
    groups: dict[tuple, list] = {}
    for row in counts.itertuples(index=False):
        base = (int(row.school_year), _region_or_school(row.school_id), row.split_by, row.split)
        values = {
            "P": row.n_core + row.n_extra + row.n_other, "U": row.unknown_profile, "Ta": row.n_core, "Tb": row.n_core + row.n_extra,
            "E": row.n_extra, "O": row.n_other, "Na": row.n_extra + row.n_other,
        }
        for measure, value in values.items():
            tier = 2 * (4 * (base[1] == "regio") + 2 * (base[2] == "") + (measure != "Tb")) + ((base[2], base[3]) in KEEP_SHOWN_SPLITS)
            system.cell((*base, measure), value, published=measure in ("P", "U", "Ta", "Tb"), tier=tier)
        system.relation((*base, "P"), [(*base, "Ta"), (*base, "Na")])
        system.relation((*base, "Na"), [(*base, "E"), (*base, "O")])
        system.relation((*base, "Tb"), [(*base, "Ta"), (*base, "E")])
        system.relation((*base, "P"), [(*base, "Tb"), (*base, "O")])  # implied, stated for interval reasoning
        groups.setdefault(("split", base[0], base[1], base[2]), []).append(base)
        groups.setdefault(("school", base[0], base[2], base[3]), []).append(base)
    measures = ("P", "U", "Ta", "Tb", "E", "O", "Na")
    for key, bases in groups.items():
        if key[0] == "split" and key[3] != "":
            total = (key[1], key[2], "", "")
            parts = bases
        elif key[0] == "school":
            total = (key[1], "regio", key[2], key[3])
            parts = [b for b in bases if b[1] != "regio"]
        else:
            continue
        if parts:
            for measure in measures:
                system.relation((*total, measure), [(*p, measure) for p in parts])
    return system


_DEST_MEASURES = ("G", *DESTINATIONS, "Emb", "Eho")
# from_group cells: 'tot'; setting A ('ta', 'oa'); setting B ('tb', 'ob'); 'ex' = the extra class (D&P / N without NT)
_GROUP_CLASSES = {
    "tot": ("core", "extra", "other", "unknown"), "ta": ("core",), "oa": ("extra", "other", "unknown"),
    "tb": ("core", "extra"), "ob": ("other", "unknown"), "ex": ("extra",),
}


def _destination_cells(counts: pd.DataFrame, level: str) -> CellSystem:
    system = CellSystem()
    by_scope: dict[tuple, dict[str, dict[str, int]]] = {}
    for row in counts.itertuples(index=False):
        scope = (int(row.school_year), _region_or_school(row.school_id))
        by_class = by_scope.setdefault(scope, {})
        destinations = by_class.setdefault(row.profile_class, dict.fromkeys(DESTINATIONS, 0))
        destinations[row.destination] += int(row.pupils)
    published_enrolled = "Emb" if level == "vmbo" else "Eho"
    schools_by_year: dict[int, list[str]] = {}
    for (year, scope), by_class in sorted(by_scope.items()):
        if scope != "regio":
            schools_by_year.setdefault(year, []).append(scope)
        for group, classes in _GROUP_CLASSES.items():
            cats = {d: sum(by_class.get(c, {}).get(d, 0) for c in classes) for d in DESTINATIONS}
            values = {"G": sum(cats.values()), **cats, "Emb": cats["mbo_techniek"] + cats["mbo_overig"], "Eho": cats["ho_techniek"] + cats["ho_overig"]}
            for measure, value in values.items():
                published = group != "ex" and (measure not in ("Emb", "Eho") or measure == published_enrolled)
                tier = 4 * (scope == "regio") + 2 * (group == "tot") + (group in ("tot", "ta", "oa"))
                system.cell((year, scope, group, measure), value, published, tier)
            key = (year, scope, group)
            system.relation((*key, "G"), [(*key, d) for d in DESTINATIONS])
            system.relation((*key, "Emb"), [(*key, "mbo_techniek"), (*key, "mbo_overig")])
            system.relation((*key, "Eho"), [(*key, "ho_techniek"), (*key, "ho_overig")])
        for measure in _DEST_MEASURES:
            key = (year, scope)
            system.relation((*key, "tot", measure), [(*key, "ta", measure), (*key, "oa", measure)])
            system.relation((*key, "tot", measure), [(*key, "tb", measure), (*key, "ob", measure)])
            system.relation((*key, "oa", measure), [(*key, "ex", measure), (*key, "ob", measure)])
            system.relation((*key, "tb", measure), [(*key, "ta", measure), (*key, "ex", measure)])
    for year, schools in schools_by_year.items():
        for group in _GROUP_CLASSES:
            for measure in _DEST_MEASURES:
                system.relation((year, "regio", group, measure), [(year, s, group, measure) for s in schools])
    return system


def _flow_cells(paths: pd.DataFrame) -> CellSystem:
    system = CellSystem()
    scopes = ["regio", *sorted(str(s) for s in paths["school_id"].dropna().unique())]
    for scope in scopes:
        selected = paths if scope == "regio" else paths[paths["school_id"] == scope]
        nodes, links = flow_from_paths(selected)
        for row in nodes.itertuples(index=False):
            system.cell((scope, "node", row.node), row.pupils, tier=int(scope == "regio"))
        for row in links.itertuples(index=False):
            system.cell((scope, "link", row.source, row.target), row.pupils, tier=int(scope == "regio"))
        for node in nodes["node"]:
            incoming = [(scope, "link", s, t) for s, t in zip(links["source"], links["target"], strict=True) if t == node]
            outgoing = [(scope, "link", s, t) for s, t in zip(links["source"], links["target"], strict=True) if s == node]
            system.relation((scope, "node", node), incoming)
            system.relation((scope, "node", node), outgoing)
    for key in list(system.index):
        if key[0] == "regio":
            system.relation(key, [(s, *key[1:]) for s in scopes[1:]])
    return system


def _retention_cells(counts: pd.DataFrame) -> CellSystem:
    """Cells per (year, scope): P/R (pupils, retained) under setting A (D&P not technical) and B (D&P technical),
    L (not retained), X (D&P pupils in leerjaar 3, the difference between the settings' pupils) and D (the
    difference between the settings' retained). Schools add up to the region."""
    system = CellSystem()
    schools_by_year: dict[int, list[str]] = {}
    for (year, school_id), rows in counts.groupby(["school_year", "school_id"], dropna=False, sort=True):
        scope = _region_or_school(school_id)
        pairs = {(f, t): int(n) for f, t, n in zip(rows["class_from"], rows["class_to"], rows["pupils"], strict=True)}

        def total(froms, tos, pairs=pairs):
            return sum(n for (f, t), n in pairs.items() if f in froms and (tos is None or t in tos))

        values = {
            "Pa": total({"core"}, None), "Ra": total({"core"}, {"core"}),
            "Pb": total({"core", "extra"}, None), "Rb": total({"core", "extra"}, {"core", "extra"}),
        }
        values |= {"La": values["Pa"] - values["Ra"], "Lb": values["Pb"] - values["Rb"],
                   "X": values["Pb"] - values["Pa"], "D": values["Rb"] - values["Ra"]}
        key = (int(year), scope)
        for measure, value in values.items():
            system.cell((*key, measure), value, published=measure in ("Pa", "Ra", "Pb", "Rb"), tier=int(scope == "regio"))
        system.relation((*key, "Pa"), [(*key, "Ra"), (*key, "La")])
        system.relation((*key, "Pb"), [(*key, "Rb"), (*key, "Lb")])
        system.relation((*key, "Pb"), [(*key, "Pa"), (*key, "X")])
        system.relation((*key, "Rb"), [(*key, "Ra"), (*key, "D")])
        if scope != "regio":
            schools_by_year.setdefault(int(year), []).append(scope)
    for year, schools in schools_by_year.items():
        for measure in ("Pa", "Ra", "Pb", "Rb", "La", "Lb", "X", "D"):
            system.relation((year, "regio", measure), [(year, s, measure) for s in schools])
    return system


# --------------------------------------------------------------------------------------------
# The gate
# --------------------------------------------------------------------------------------------

SHARE_COLUMNS = ["share", "ci_low", "ci_high"]


@dataclass(frozen=True)
class CellModel:
    """How one kind of cube becomes cells: `build(cube)` -> CellSystem; `keys(cube)` -> function(row, column) -> cell key."""

    build: Callable[[Cube], CellSystem]
    keys: Callable[[Cube], Callable[[dict, str], tuple | None]]


def _alternative_setting(cube: Cube) -> bool:
    """Does the setting in force count the 'extra' profile class (D&P; N without NT) as technical?"""
    return cube.settings.dp_technical if cube.level == "vmbo" else cube.settings.havo_vwo_technical == "n"


def _inflow_keys(cube: Cube):
    split_by = cube.split or ""
    measure = {"pupils": "P", "technical": "Tb" if _alternative_setting(cube) else "Ta", "unknown_profile": "U"}

    def keys_for(row, column):
        split = row["split"] if split_by and row["split"] is not None else ""
        return (schoolyear.start(row["school_year"]), row["scope"], split_by, split, measure[column])

    return keys_for


def _destination_keys(cube: Cube):
    alternative = _alternative_setting(cube)
    group = {"totaal": "tot", "techniek": "tb" if alternative else "ta", "overig": "ob" if alternative else "oa"}
    # One map for every figure on this cube: destinations publish graduates and destinations, progression enrolled and technical.
    if cube.level == "vmbo":
        enrolled = "G" if cube.settings.progression_denominator == "all_graduates" else "Emb"
        progression = {"enrolled": enrolled, "technical": "mbo_techniek"}
    else:
        progression = {"enrolled": "Eho", "technical": "ho_techniek"}
    measure = {"graduates": "G", **{d: d for d in DESTINATIONS}, **progression}

    def keys_for(row, column):
        return (schoolyear.start(row["school_year"]), row["scope"], group[row["from_group"]], measure[column])

    return keys_for


def _retention_keys(cube: Cube):
    setting = "b" if cube.settings.dp_technical else "a"
    measure = {"pupils": f"P{setting}", "retained": f"R{setting}"}

    def keys_for(row, column):
        return (schoolyear.start(row["school_year"]), row["scope"], measure[column])

    return keys_for


def _flow_keys(cube: Cube):
    scope = cube.school_id or "regio"

    def keys_for(row, column):
        if "node" in row:
            return (scope, "node", row["node"])
        return (scope, "link", row["source"], row["target"])

    return keys_for


# The registry names a cell model per figure (Metric.cells); figures that share one protect each other.
CELL_MODELS: dict[str, CellModel] = {
    "inflow": CellModel(lambda cube: _inflow_cells(cube.counts), _inflow_keys),
    "destinations": CellModel(lambda cube: _destination_cells(cube.counts, cube.level), _destination_keys),
    "retention": CellModel(lambda cube: _retention_cells(cube.counts), _retention_keys),
    "cohort_flow": CellModel(lambda cube: _flow_cells(cube.counts), _flow_keys),
}


def suppress(table: pd.DataFrame, rules: SuppressionRules | None = None) -> pd.DataFrame:
    """The display-safe copy of a table returned by `sto_metrics.metrics.calculations` (see the module docstring).

    Counts become int, '<5' (hidden, below 5) or None (hidden, 5 or more); hidden shares and their
    intervals become NaN. `table` must come from a calculations function (it carries the cube in
    `table.attrs['sto_cube']`); rows may have been filtered, but suppress before combining tables.
    For the cohort flow, pass the nodes and the links frame separately.
    """
    rules = rules or SuppressionRules()
    cube = table.attrs.get("sto_cube")
    if not isinstance(cube, Cube):
        raise ValueError("suppress() needs a table as returned by sto_metrics.metrics.calculations (with attrs['sto_cube']); "
                         "suppress before combining tables")
    metric = registry.of(cube.metric, cube.level)
    model = CELL_MODELS[metric.cells]
    if "system" not in cube.cache:
        cube.cache["system"] = model.build(cube)
    system = cube.cache["system"]
    keys_for = model.keys(cube)
    hidden = _cached_pattern(system, cube, metric.cells, rules)
    out = table.copy()
    count_columns = [c for c in metric.count_columns if c in out.columns]
    shown = {c: np.ones(len(out), dtype=bool) for c in count_columns}
    records = out.to_dict("records")
    for column in count_columns:
        new_values = []
        for position, (row, value) in enumerate(zip(records, out[column], strict=True)):
            key = keys_for(row, column)
            index = system.index.get(key) if key is not None else None
            if index is None or not hidden[index]:
                new_values.append(int(value))
            else:
                shown[column][position] = False
                new_values.append(rules.small_marker if int(value) < rules.min_count else None)
        out[column] = pd.Series(new_values, index=out.index, dtype="object")
    if "share" in out.columns:
        exact_denominator = table[metric.denominator].to_numpy()
        visible = shown[metric.numerator] & shown[metric.denominator] & (exact_denominator >= rules.min_share_denominator)
        for column in SHARE_COLUMNS:
            out[column] = out[column].astype("float64").where(visible, np.nan)
    out.attrs = {}
    return out


_PATTERNS: OrderedDict[tuple, np.ndarray] = OrderedDict()
_PATTERN_CACHE_SIZE = 64


def _fingerprint(cube: Cube) -> str:
    """The cube's exact counts as a digest: equal counts give the same suppression pattern."""
    if "fingerprint" not in cube.cache:
        hashed = pd.util.hash_pandas_object(cube.counts, index=True).to_numpy()
        cube.cache["fingerprint"] = hashlib.sha256(hashed.tobytes() + "|".join(map(str, cube.counts.columns)).encode()).hexdigest()
    return cube.cache["fingerprint"]


def _cached_pattern(system: CellSystem, cube: Cube, cells: str, rules: SuppressionRules) -> np.ndarray:
    """The hidden-cell pattern, computed once per cube content (a page, report or ambition list asks many times)."""
    key = ("pattern", rules)
    if key not in cube.cache:
        shared = (cells, cube.level, cube.school_id, _fingerprint(cube), rules)
        if shared not in _PATTERNS:
            _PATTERNS[shared] = system.protect(rules)
            while len(_PATTERNS) > _PATTERN_CACHE_SIZE:
                _PATTERNS.popitem(last=False)
        _PATTERNS.move_to_end(shared)
        cube.cache[key] = _PATTERNS[shared]
    return cube.cache[key]
