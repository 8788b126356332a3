"""The one protected table of a figure family: every cell any view can publish, as sums of inner cells.

A view (command line, page, report) never gets a table of its own to protect: the sidebar filters and the splits
only *select* cells of one table that already holds every cell they can reach. Its dimensions are the school
year, the scope (the region or one school), the leerweg (all or one), the gender group (all, V or M) and the
measure (a sum over the family's classes, under every setting at once, so that flipping a setting gives nothing
away). Measures that no view shows (the non-technical pupils, the D&P pupils) are cells too: they are never
shown, and they are protected when they hold 1 to 4 pupils. The pattern comes from `gauss.suppress`.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from sto_metrics import paths
from sto_metrics.privacy import gauss, intervals, workers

ALL = ""  # the 'all' value of a selection dimension (region, every leerweg, every gender)
SELECTION = ("school_id", "leerweg", "gender")


@dataclass(frozen=True)
class Measure:
    """A sum over class combinations (values of the model's class columns), shown by some view or never."""

    name: str
    members: frozenset[tuple[str, ...]]
    published: bool
    weight: int  # among cells of one scope and split, higher is more important to show
    region_only: bool = False  # a cell of the whole region only (all leerwegen, all pupils): no school, leerweg or gender copy


@dataclass(frozen=True)
class CrossModel:
    class_columns: tuple[str, ...]
    measures: tuple[Measure, ...]
    # The LP interval check (intervals.protect) after GaussSuppression
    interval_protection: bool = True
    # Does a school's scope combine with one leerweg or gender group? Without, those cells do not exist (views refuse them).
    school_filters: bool = True
    # A leerweg value for groups outside the grid: they hold only the classes starting with it, other groups never do
    outside: str | None = None

    @property
    def combinations(self) -> list[tuple[str, ...]]:
        return sorted({member for measure in self.measures for member in measure.members})


def _m(name: str, members, published: bool, weight: int = 0) -> Measure:
    return Measure(name, frozenset(tuple(m) if isinstance(m, tuple) else (m,) for m in members), published, weight)


INFLOW = CrossModel(("profile_class",), (
    _m("P", ["core", "extra", "other"], True, 4), _m("Ta", ["core"], True, 3), _m("Tb", ["core", "extra"], True, 2),
    _m("U", ["unknown"], True, 1), _m("E", ["extra"], False), _m("O", ["other"], False), _m("Na", ["extra", "other"], False),
))



# The activity figures, one table per block year Y (sql activity_cells): activity effect splits the inflow's pupils into
# participants (d) and the others (n); the measures over both are the inflow's own cells (same names), whose pattern
# build() takes from the inflow table (shown_elsewhere), so a group cell never gives back an inflow cell that the inflow
# hides, nor the other way round. reach-pupils of year Y-1 (R:school, R) lives in the same block: the leerjaar-3 pupils
# carry the school where they were reached in Y-1 ('-': not reached then), and the reached pupils outside that grid are
# one class per school, so a reached count and a participants' count are sums over the same inner cells.
NOT_REACHED = "-"
EARLIER_ONLY = "D-"


def _grp_members(groups: tuple[str, ...], members, reached: tuple[str, ...]) -> list[tuple[str, ...]]:
    """(grp, profile_class, reached) of `groups` and inflow classes `members`; only participants were reached in Y-1."""
    return [(g, *member, r) for g in groups for member in members for r in (reached if g == "d" else (NOT_REACHED,))]


def activity_model(schools: tuple[str, ...]) -> CrossModel:
    """The activity table over the schools where pupils were reached (any block year of the counts)."""
    reached = (NOT_REACHED, *schools)

    def inflow_measures(groups: tuple[str, ...], suffix: str, weight_offset: int) -> list[Measure]:
        return [_m(f"{m.name}{suffix}", _grp_members(groups, m.members, reached), m.published, m.weight + weight_offset)
                for m in INFLOW.measures]

    outside = {school: (NOT_REACHED, NOT_REACHED, school) for school in schools}
    in_grid = {school: _grp_members(("d",), INFLOW.combinations, (school,)) for school in schools}
    reach = [Measure(f"R:{s}", frozenset([*in_grid[s], outside[s]]), True, 2, region_only=True) for s in schools]
    # reached, and not in leerjaar 3 of the vmbo a year later (left, stayed down, havo/vwo): never shown, protected
    gone = [Measure(f"X:{s}", frozenset([outside[s]]), False, 0, region_only=True) for s in schools]
    total = [Measure("R", frozenset(m for s in schools for m in (*in_grid[s], outside[s])), True, 3, region_only=True),
             Measure("X", frozenset(outside.values()), False, 0, region_only=True)] if schools else []
    # participants not reached the year before (listed earlier only): 0 in the first year, which everyone can tell
    earlier = [Measure(EARLIER_ONLY, frozenset(_grp_members(("d",), INFLOW.combinations, (NOT_REACHED,))), False, 0, region_only=True)]
    return CrossModel(("grp", "profile_class", "reached"), (
        *inflow_measures(("d", "n"), "", 10),
        *inflow_measures(("d",), "_d", 0),
        *inflow_measures(("n",), "_n", 0),
        *reach, *gone, *total, *earlier,
    ), outside=NOT_REACHED)


def activity_public_facts(counts: pd.DataFrame) -> dict[tuple, bool]:
    """Cells of the activity table that anyone can tell without being shown them, as shown (cell key -> True): in the
    first block year every participant was on a list the year before (the table starts then), so EARLIER_ONLY is 0."""
    if counts.empty:
        return {}
    first = int(counts["school_year"].min())
    earlier = counts[(counts["school_year"] == first) & (counts["grp"] == "d") & (counts["reached"] == NOT_REACHED)]
    return {} if earlier["pupils"].sum() else {(first, ALL, ALL, ALL, EARLIER_ONLY): True}


ENROLMENT_YEARS = tuple(str(n) for n in range(1, 7))
# Enrolment beside reach: a school's pupils in leerjaren low..high (each range one cell; singles matter most).
ENROLMENT = CrossModel(("leerjaar",), tuple(
    _m(f"L{low}-{high}", ENROLMENT_YEARS[low - 1:high], True, 6 - (high - low))
    for low in range(1, 7) for high in range(low, 7)
))

DESTINATIONS = ("ho_techniek", "ho_overig", "mbo_techniek", "mbo_overig", "vo", "niet_gevonden")
# from_group of destinations/progression under setting A (ta/oa) and B (tb/ob); 'ex' is their difference (never shown)
ORIGIN_GROUPS = {
    "tot": ("core", "extra", "other", "unknown"), "ta": ("core",), "oa": ("extra", "other", "unknown"),
    "tb": ("core", "extra"), "ob": ("other", "unknown"), "ex": ("extra",),
}
DESTINATION_MEASURES = {"G": DESTINATIONS, **{d: (d,) for d in DESTINATIONS}, "Emb": ("mbo_techniek", "mbo_overig"),
                        "Eho": ("ho_techniek", "ho_overig")}


def destination_model(level: str) -> CrossModel:
    """Destinations and progression share one table; progression's denominator is Emb (vmbo) or Eho (havo/vwo)."""
    enrolled = "Emb" if level == "vmbo" else "Eho"
    measures = []
    for group, classes in ORIGIN_GROUPS.items():
        for measure, destinations in DESTINATION_MEASURES.items():
            published = group != "ex" and (measure not in ("Emb", "Eho") or measure == enrolled)
            # the default setting's groups (ta/oa) before the alternative's: most views use the default
            weight = 4 * (group == "tot") + 2 * (group in ("ta", "oa")) + (measure in ("G", enrolled))
            measures.append(_m(f"{group}:{measure}", itertools.product(classes, destinations), published, weight))
    # A school's cells with a leerweg or gender group were mostly 1-4 (minutes to protect, most cells hidden): not published
    return CrossModel(("profile_class", "destination"), tuple(measures), school_filters=False)


_TO = ("core", "extra", "other")
RETENTION = CrossModel(("class_from", "class_to"), (
    _m("Pa", [("core", t) for t in _TO], True, 2), _m("Ra", [("core", "core")], True, 1),
    _m("Pb", [(f, t) for f in ("core", "extra") for t in _TO], True, 2),
    _m("Rb", [(f, t) for f in ("core", "extra") for t in ("core", "extra")], True, 1),
    _m("La", [("core", "extra"), ("core", "other")], False), _m("Lb", [("core", "other"), ("extra", "other")], False),
    _m("X", [("extra", t) for t in _TO], False), _m("D", [("core", "extra"), ("extra", "core"), ("extra", "extra")], False),
))


FLOW_DESTINATIONS = DESTINATIONS
_CLASSES = ("core", "extra", "rest")


def flow_node(stage_value: str, technical: tuple[str, ...]) -> str:
    """The Sankey node of a raw stage value ('lj3_extra', 'diploma_core', 'mbo_overig', ...) under a setting."""
    for prefix in ("lj3", "diploma"):
        for kind in _CLASSES:
            if stage_value == f"{prefix}_{kind}":
                return f"{prefix}_{'techniek' if kind in technical else 'overig'}"
    return stage_value


def flow_paths(stages_known: tuple[bool, bool, bool]) -> list[tuple[str, str, str]]:
    """Every path (stage 2, 3, 4) a pupil can take when those stages have data ('' for a stage without data)."""
    second = [*(f"lj3_{k}" for k in _CLASSES), "lj3_elders"] if stages_known[0] else [""]
    third = [*(f"diploma_{k}" for k in _CLASSES), "geen_diploma"] if stages_known[1] else [""]
    paths = []
    for s2, s3 in itertools.product(second, third):
        fourth = FLOW_DESTINATIONS if stages_known[2] and s3.startswith("diploma_") else ("",)
        paths += [(s2, s3, s4) for s4 in fourth]
    return paths


def flow_model(stages_known: tuple[bool, bool, bool]) -> CrossModel:
    """The cohort flow's nodes and links under both settings (shown), and per raw class (never shown, protected)."""
    paths = flow_paths(stages_known)
    measures: dict[str, Measure] = {}
    settings = {"A": ("core",), "B": ("core", "extra")}
    for setting, technical in settings.items():
        named: dict[str, set] = {}
        for path in paths:
            chain = ["start", *(flow_node(v, technical) for v in path if v)]
            for node in chain:
                named.setdefault(f"{setting}:{node}", set()).add(path)
            for source, target in itertools.pairwise(chain):
                named.setdefault(f"{setting}:{source}>{target}", set()).add(path)
        for name, members in named.items():
            weight = 2 * (setting == "A") + (">" not in name)
            measures[name] = Measure(name, frozenset(members), True, weight)
    raw: dict[str, set] = {}
    for path in paths:
        chain = [v for v in path if v]
        for value in chain:
            raw.setdefault(f"raw:{value}", set()).add(path)
        for source, target in itertools.pairwise(chain):
            raw.setdefault(f"raw:{source}>{target}", set()).add(path)
    for name, members in raw.items():
        measures[name] = Measure(name, frozenset(members), False, 0)
    return CrossModel(("stage2", "stage3", "stage4"), tuple(measures.values()), school_filters=False)


def priority(scope: str, leerweg: str, gender: str, weight: int) -> int:
    """Region totals, then school totals, then the region's leerweg and gender cells, then a school's (issue 10: region
    figures > school totals > splits); within a tier unsplit before split and the girls' row (an STO indicator) before
    the boys'. A school total used to come after every region split cell, so the region's many small leerweg x gender
    cells were protected with school totals as complements."""
    unsplit = leerweg == ALL and gender == ALL
    tier = 3 if scope == ALL and unsplit else 2 if unsplit else 1 if scope == ALL else 0
    return 10_000 * tier + 1_000 * ((leerweg == ALL) + (gender == ALL)) + 500 * (gender == "V") + weight


@dataclass
class CrossTable:
    """Every cell of one family's table: keys (year, scope, leerweg, gender, measure), exact values, and which are hidden."""

    index: dict[tuple, int]
    values: np.ndarray
    hidden: np.ndarray


def _classes(model: CrossModel) -> dict[tuple[str, ...], int]:
    """Class combinations -> class number; combinations that no measure tells apart share one (fewer inner cells)."""
    signature = {c: tuple(c in m.members for m in model.measures) for c in model.combinations}
    numbers = {s: n for n, s in enumerate(dict.fromkeys(signature.values()))}
    return {c: numbers[signature[c]] for c in model.combinations}


def _with_class(counts: pd.DataFrame, model: CrossModel, classes: dict[tuple[str, ...], int]) -> pd.DataFrame:
    """`counts` with its class number (_class), by a join: a row-wise look-up took minutes on the national set."""
    columns = list(model.class_columns)
    numbers = pd.DataFrame(list(classes), columns=columns).astype(object).assign(_class=list(classes.values()))
    coded = counts.merge(numbers, on=columns, how="left", validate="many_to_one")
    if coded["_class"].isna().any():
        raise KeyError(f"class values outside the model: {coded.loc[coded['_class'].isna(), columns].iloc[0].tolist()}")
    return coded.astype({"_class": "int64"})


def _inner_cells(counts: pd.DataFrame, model: CrossModel) -> pd.DataFrame:
    """Every class of every observed (year, school, leerweg, gender) group, zeros included."""
    classes = _classes(model)
    coded = _with_class(counts, model, classes)
    groups = coded[["school_year", *SELECTION]].drop_duplicates()
    inner = groups.merge(pd.DataFrame({"_class": sorted(set(classes.values()))}), how="cross")
    keys = ["school_year", *SELECTION, "_class"]
    inner = inner.merge(coded.groupby(keys, as_index=False)["pupils"].sum(), on=keys, how="left")
    inner["pupils"] = inner["pupils"].fillna(0).astype("int64")
    if model.outside is not None:  # a pupil outside the grid has no class of it, nor one inside it the other's
        outside_class = {number for combo, number in classes.items() if combo[0] == model.outside}
        inner = inner[(inner["leerweg"] == model.outside) == inner["_class"].isin(outside_class)]
        # reached at another school than the group's: only where pupils moved (saying the rest is 0 only adds safety)
        reached_at = {number: combo[-1] for combo, number in classes.items()}
        elsewhere = inner["_class"].map(reached_at)
        inner = inner[elsewhere.isin([model.outside]) | (elsewhere == inner["school_id"]) | (inner["pupils"] > 0)]
    return inner.sort_values(keys, kind="stable").reset_index(drop=True)


def build(counts: pd.DataFrame, model: CrossModel, min_count: int = 5, cache_key: str | None = None,
          shown_elsewhere: dict[tuple, bool] | None = None) -> CrossTable:
    """The protected table of inner cells `counts` (columns school_year, school_id, leerweg, gender, the class columns, pupils).

    `shown_elsewhere` (cell key -> shown) fixes cells that another family's table already decided: a cell shown there is
    public (decided first), a cell hidden there is never shown here.

    With `cache_key`, the hidden pattern is kept in the cache folder (paths.cache_dir()) and read back next time: the
    pattern depends only on the counts, so a command line run or a restarted dashboard need not compute it again.
    """
    inner = _inner_cells(counts, model)
    classes = _classes(model)
    # integer codes in the values' sort order, 'all' (-1) first as ALL ('') sorts first: the cells keep the string
    # keys' order
    coded = {column: pd.factorize(inner[column], sort=True, use_na_sentinel=False) for column in SELECTION}
    cells, matrix = _cells_and_links(inner, model, classes, coded)
    values = matrix @ inner["pupils"].to_numpy()
    measures = model.measures
    measure_of = cells["_measure"].to_numpy()
    publishable = np.array([m.published for m in measures])[measure_of]
    selection = {key: _decoded(coded[column], cells[key].to_numpy())
                 for key, column in (("scope", "school_id"), ("leerweg_sel", "leerweg"), ("gender_sel", "gender"))}
    priorities = _priorities(cells, selection, measures)
    names = [measures[m].name for m in measure_of.tolist()]
    index = {key: i for i, key in enumerate(zip(cells["school_year"].astype("int64").tolist(), selection["scope"].tolist(),
                                                selection["leerweg_sel"].tolist(), selection["gender_sel"].tolist(), names, strict=True))}
    public_already = np.zeros(len(cells), dtype=bool)  # shown by another table: hiding it here would protect nothing
    for key, shown in (shown_elsewhere or {}).items():
        if key in index:
            publishable[index[key]] = shown
            public_already[index[key]] = shown
    cached = _read_pattern(cache_key, len(cells))
    if cached is not None:
        return CrossTable(index, values.astype("int64"), cached)
    hidden = np.zeros(len(cells), dtype=bool)
    years = cells["school_year"].to_numpy()
    inner_years = inner["school_year"].to_numpy()
    inner_pupils = inner["pupils"].to_numpy()
    layout = _Layout(matrix, values, priorities, public_already, cells["scope"].to_numpy(), coded["school_id"][0],
                     inner_pupils, min_count, model.interval_protection,
                     splittable=model.interval_protection and not any(m.region_only for m in model.measures))

    def protect_years(chosen_years, may_show: np.ndarray) -> None:
        """School years share no inner cell: each is its own problem, solved side by side (workers.solve_all); a
        year of many schools in groups of schools (_protect_in_groups)."""
        jobs, row_sets, by_groups = [], [], []
        for year in chosen_years:
            rows = np.flatnonzero(years == year)
            columns = np.flatnonzero(inner_years == year)
            groups = layout.school_groups(rows, columns)
            if groups is not None:
                by_groups.append((rows, columns, groups))
                continue
            jobs.append(layout.whole_year(rows, columns, may_show))
            row_sets.append(rows)
        _solve_into(hidden, _protect_block, row_sets, jobs)
        if by_groups:
            _protect_in_groups(layout, by_groups, may_show, hidden)

    protect_years(np.unique(years), publishable)
    if shown_elsewhere:
        # a year that cannot keep the other table's decisions tries again with only its region-only cells beside them
        region_only = np.array([measures[m].region_only for m in cells["_measure"]])
        if region_only.any():
            protect_years(sorted(_broken_years(hidden, index, years, shown_elsewhere)), publishable & (public_already | region_only))
        _keep_decisions_elsewhere(hidden, index, years, shown_elsewhere)
    _write_pattern(cache_key, hidden)
    return CrossTable(index, values.astype("int64"), hidden)


def _cells_and_links(inner: pd.DataFrame, model: CrossModel, classes: dict[tuple[str, ...], int],
                     coded: dict[str, tuple[np.ndarray, pd.Index]]) -> tuple[pd.DataFrame, sparse.csr_matrix]:
    """The table's cells (school_year, scope, leerweg_sel, gender_sel, _measure; selections as codes, -1 all), sorted,
    and the cells x inner cells matrix (1 where an inner cell counts in a cell).

    Every inner cell counts in one cell per selection (its school or all, its leerweg or all, its gender or all) and
    measure of its class: tens of millions of links on the national set. They are laid out one school year and one
    selection at a time (no cell spans two), as one integer key per link, straight into the matrix's rows: a frame of
    them all took 7 GB for one national table."""
    members = sorted({(classes[member], number) for number, measure in enumerate(model.measures) for member in measure.members})
    member_class = np.array([c for c, _ in members], dtype=np.int64)
    member_measure = np.array([m for _, m in members], dtype=np.int64)
    inner_class = inner["_class"].to_numpy(dtype=np.int64)
    per_class = np.bincount(member_class, minlength=int(inner_class.max(initial=0)) + 1)
    first_member = np.concatenate([[0], np.cumsum(per_class)[:-1]])
    region_only = np.array([m.region_only for m in model.measures])
    year_codes, years = pd.factorize(inner["school_year"], sort=True)
    selections = [coded[column][0].astype(np.int64) for column in SELECTION]
    sizes = [len(coded[column][1]) + 1 for column in SELECTION]  # each selection shifted so that all is 0
    combinations = [every for every in itertools.product((True, False), repeat=3)
                    if every[0] or model.school_filters or (every[1] and every[2])]
    keys, row_lengths, columns = [], [], []
    for year in range(len(years)):
        year_inner = np.flatnonzero(year_codes == year)
        repeats = per_class[inner_class[year_inner]]
        link_inner = np.repeat(year_inner, repeats)
        within = np.arange(len(link_inner), dtype=np.int64) - np.repeat(np.cumsum(repeats) - repeats, repeats)
        link_measure = member_measure[np.repeat(first_member[inner_class[year_inner]], repeats) + within]
        del within
        for every in combinations:  # a cell is of one year and one selection: each is laid out on its own
            chosen = slice(None) if all(every) or not region_only.any() else ~region_only[link_measure]
            at = link_inner[chosen]
            key = np.full(len(at), year, dtype=np.int64)
            for all_of, codes, size in zip(every, selections, sizes, strict=True):
                key = key * size + (0 if all_of else codes[at] + 1)
            unique, cell_of = np.unique(key * len(model.measures) + link_measure[chosen], return_inverse=True)
            del key
            # a cell's links come in the order of their inner cells: a stable sort by cell gives the matrix's rows
            # with their columns sorted
            columns.append(at[np.argsort(cell_of.ravel(), kind="stable")].astype(np.int32))
            row_lengths.append(np.bincount(cell_of.ravel(), minlength=len(unique)))
            keys.append(unique)
    keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    indices = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int32)
    del columns
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(row_lengths) if row_lengths else [])]).astype(np.int64)
    matrix = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(keys), len(inner)))
    del indices
    order = np.argsort(keys, kind="stable")  # the selections' cells interleave in the keys' order
    if (order != np.arange(len(keys))).any():
        matrix, keys = matrix[order], keys[order]
    rest, measure = np.divmod(keys, len(model.measures))
    selected = []
    for size in reversed(sizes):
        rest, code = np.divmod(rest, size)
        selected.append(code - 1)
    gender, leerweg, scope = selected
    cells = pd.DataFrame({"school_year": years.to_numpy()[rest], "scope": scope, "leerweg_sel": leerweg,
                          "gender_sel": gender, "_measure": measure})
    return cells, matrix


# A school year of more schools than MODULAR_ABOVE (the national set, not a region) is protected in groups of about
# GROUP_SCHOOLS schools, each with its share of every region cell as a total the attacker is assumed to know: a safe
# pattern for every group is safe for the year (docs/ARCHITECTURE.md, "Protection in groups of schools").
MODULAR_ABOVE = 30
GROUP_SCHOOLS = 12


@dataclass
class _Layout:
    """What the protection of a table's school years reads: the cells x inner cells matrix and the cells' facts."""

    matrix: sparse.csr_matrix
    values: np.ndarray
    priorities: np.ndarray
    public_already: np.ndarray
    scopes: np.ndarray  # a cell's school (code), -1 for the region
    inner_schools: np.ndarray  # an inner cell's school (code)
    inner_pupils: np.ndarray
    min_count: int
    interval_protection: bool
    # groups need the interval check (it finds the counts a group cannot protect); region-only measures (the
    # activity table) stay with their region
    splittable: bool = True

    def whole_year(self, rows: np.ndarray, columns: np.ndarray, may_show: np.ndarray) -> tuple:
        """The arguments of _protect_block for one school year."""
        return (self.matrix[rows][:, columns], self.values[rows], may_show[rows], self.priorities[rows], self.min_count,
                self.interval_protection, self.public_already[rows], self.inner_pupils[columns])

    def school_groups(self, rows: np.ndarray, columns: np.ndarray) -> list[np.ndarray] | None:
        """The year's schools in groups, or None when the year is solved whole: few schools, cells decided by another
        table, or a region 0 inside a small school cell (the region's own cells would not know to hide it). A region 0
        inside a small region cell is hidden by the region's own pattern (region_block) and checked, with the small
        cell, over the whole year after the groups (region_check)."""
        schools = np.unique(self.inner_schools[columns])
        if len(schools) <= MODULAR_ABOVE or not self.splittable or self.public_already[rows].any():
            return None
        region = rows[self.scopes[rows] == -1]
        region_values = self.values[region]
        small = rows[(self.values[rows] >= 1) & (self.values[rows] < self.min_count) & (self.scopes[rows] != -1)]
        if self.zeros_inside(region[region_values == 0], small, columns).any():
            return None
        return np.array_split(schools, -(-len(schools) // GROUP_SCHOOLS))

    def zeros_inside(self, zero_rows: np.ndarray, small_rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Per cell of zero_rows (value 0): do its inner cells among `columns` all lie inside one of small_rows?"""
        if not len(zero_rows) or not len(small_rows):
            return np.zeros(len(zero_rows), dtype=bool)
        check = np.concatenate([zero_rows, small_rows])
        inside = gauss.zeros_inside_small_cells(self.matrix[check][:, columns], self.values[check],
                                                np.arange(len(check)) >= len(zero_rows))
        return inside[:len(zero_rows)]

    def region_block(self, rows: np.ndarray, columns: np.ndarray, may_show: np.ndarray) -> tuple | None:
        """The arguments of _protect_block for the year's region cells alone, over the region's inner cells (the
        schools' inner cells summed), or None when no region cell is small: then every cell a view may show is shown."""
        region = rows[self.scopes[rows] == -1]
        values = self.values[region]
        if not ((values >= 1) & (values < self.min_count)).any():
            return None
        by_school = sparse.csc_matrix(self.matrix[region][:, columns])
        # inner cells that differ only in their school have one column in every region cell
        patterns = {}
        column_group = np.array([patterns.setdefault(tuple(by_school.indices[by_school.indptr[j]:by_school.indptr[j + 1]]), len(patterns))
                                 for j in range(by_school.shape[1])], dtype=np.int64)
        first = np.unique(column_group, return_index=True)[1]
        inner_values = np.bincount(column_group, weights=self.inner_pupils[columns], minlength=len(first)).astype(np.int64)
        return (sparse.csr_matrix(by_school[:, first]), values, may_show[region], self.priorities[region], self.min_count,
                self.interval_protection, self.public_already[region], inner_values)

    def region_check(self, rows: np.ndarray, columns: np.ndarray, may_show: np.ndarray, hidden: np.ndarray,
                     guarded: np.ndarray) -> tuple:
        """The arguments of intervals.protect for a year that ended in groups, checking only its small region cells
        and the region's zeros inside them (`guarded`) over the whole year: a range of a pupil each."""
        return (self.matrix[rows][:, columns], self.values[rows], may_show[rows], hidden[rows], self.priorities[rows],
                self.min_count, guarded[rows])

    def group_block(self, rows: np.ndarray, columns: np.ndarray, schools: np.ndarray, may_show: np.ndarray,
                    hidden: np.ndarray) -> tuple[tuple, np.ndarray]:
        """(the arguments of _protect_group, the group's own cells): the schools' cells and inner cells, and the
        group's share of each region cell that a view may show: of a shown one as a known total, of a hidden one
        within the bounds the other groups' true shares leave it (never a count to protect: the region's small cells
        are checked over the whole year, region_check)."""
        group_columns = columns[np.isin(self.inner_schools[columns], schools)]
        own = rows[np.isin(self.scopes[rows], schools)]
        region = rows[self.scopes[rows] == -1]
        region = region[self.matrix[region][:, group_columns].getnnz(axis=1) > 0]
        region = region[may_show[region]]
        totals = self.values[region]
        shown = ~hidden[region]
        block_rows = np.concatenate([own, region])
        block = sparse.csr_matrix(self.matrix[block_rows][:, group_columns])
        share_values = block @ self.inner_pupils[group_columns]
        mine = len(own)
        known = np.zeros(len(block_rows), dtype=bool)
        known[mine:] = shown
        bounds = np.full((len(block_rows), 2), np.nan)
        # the total's bounds ('<5': 0-4, else 5 or more) less the other groups' true shares
        low = np.where(totals < self.min_count, 0.0, self.min_count)
        high = np.where(totals < self.min_count, self.min_count - 1.0, np.inf)
        share = share_values[mine:]
        bounds[mine:][~shown] = np.column_stack([share - (totals - low), share + (high - totals)])[~shown]
        insensitive = np.arange(len(block_rows)) >= mine
        # a school's 0 inside a small region cell (shown or not) tells that none of its pupils is there: primary, as
        # in a whole year's solve (found by review)
        small_region = rows[(self.scopes[rows] == -1) & (self.values[rows] >= 1) & (self.values[rows] < self.min_count)]
        own_zero = np.flatnonzero(self.values[own] == 0)
        zero_inside = np.zeros(len(block_rows), dtype=bool)
        zero_inside[own_zero[self.zeros_inside(own[own_zero], small_region, group_columns)]] = True
        return (block, share_values, np.concatenate([may_show[own], shown]), self.priorities[block_rows], self.min_count,
                self.interval_protection, known, self.inner_pupils[group_columns], bounds, insensitive, zero_inside), own


def _protect_in_groups(layout: _Layout, by_groups: list[tuple], may_show: np.ndarray, hidden: np.ndarray) -> list[bool]:
    """Each year's groups of schools protected on their own (side by side). The modular approach of tau-argus (HiTaS)
    for hierarchical tables: the region's cells first, then each group of schools with its share of them fixed; in a
    form that needs no backtracking. The region's own pattern shows every cell a view may show, unless a region cell
    is small (1 to min_count-1): then it is protected over the region's cells alone (region_block).

    Why a safe pattern for every group is safe for the year: any table the group's problem allows, with the other
    groups' counts at their true values, is one the attacker cannot rule out (a shown region cell keeps its value as
    the group's share is fixed; a hidden one stays within its bounds as the share is bounded so). So a count with a
    range of a pupil within its group keeps it in the year. A group with a count that no hiding can protect within
    it joins its neighbour, until the year is one group: then solved whole. The region's small cells (and its zeros
    inside them) are then checked over the whole year, and more cells hidden where one has no range of a pupil: a
    group's share of a rare class is often pinned by its share of a shown region cell, though the region's is not.

    Returns, per year that ended in groups (not joined back whole), whether its region pattern hides a cell a view may show."""
    region_hidden, guarded = ~may_show, np.zeros(len(may_show), dtype=bool)
    region_jobs = [(rows, layout.region_block(rows, columns, may_show)) for rows, columns, _ in by_groups]
    region_jobs = [(rows[layout.scopes[rows] == -1], job) for rows, job in region_jobs if job is not None]
    for region, job in region_jobs:
        matrix, values, min_count = job[0], job[1], job[4]
        small = (values >= 1) & (values < min_count)
        guarded[region] = small | gauss.zeros_inside_small_cells(matrix, values, small)
    _solve_into(region_hidden, _protect_block, [region for region, _ in region_jobs], [job for _, job in region_jobs])
    pending = [(rows, columns, [[group, None] for group in groups]) for rows, columns, groups in by_groups]
    in_groups: list[bool] = []
    whole, checked = [], []
    while pending:
        open_groups = [(year, group) for year in pending for group in year[2] if group[1] is None]
        blocks = [layout.group_block(year[0], year[1], group[0], may_show, region_hidden) for year, group in open_groups]
        results = workers.solve_all(_protect_group, [job for job, _ in blocks], [len(own) for _, own in blocks])
        for (_, group), (_, own), (group_hidden, stuck) in zip(open_groups, blocks, results, strict=True):
            group[1] = None if stuck else group_hidden[:len(own)]
        still = []
        for rows, columns, groups in pending:
            groups = _merged_where_stuck(groups)
            if len(groups) == 1 and groups[0][1] is None:  # no split protects it: the whole year, as a region's
                whole.append((rows, columns))
            elif any(group[1] is None for group in groups):
                still.append((rows, columns, groups))
            else:
                for schools, group_hidden in groups:
                    hidden[rows[np.isin(layout.scopes[rows], schools)]] = group_hidden
                region = rows[layout.scopes[rows] == -1]
                hidden[region] = region_hidden[region]
                in_groups.append(bool((region_hidden[region] & may_show[region]).any()))
                if guarded[region].any():
                    checked.append((rows, columns))
        pending = still
    # the region's small cells over the whole year: a group's share of one need not move, so the groups prove nothing
    _solve_into(hidden, _check_region_counts, [rows for rows, _ in checked],
                [layout.region_check(rows, columns, may_show, hidden, guarded) for rows, columns in checked])
    _solve_into(hidden, _protect_block, [rows for rows, _ in whole], [layout.whole_year(rows, columns, may_show) for rows, columns in whole])
    return in_groups


def _solve_into(pattern: np.ndarray, function, row_sets: list[np.ndarray], jobs: list[tuple]) -> None:
    """Each job solved by `function` on the workers (side by side, largest first), its result written to its rows."""
    for rows, result in zip(row_sets, workers.solve_all(function, jobs, [len(rows) for rows in row_sets]), strict=True):
        pattern[rows] = result


def _check_region_counts(matrix: sparse.csr_matrix, values: np.ndarray, publishable: np.ndarray, hidden: np.ndarray,
                         priorities: np.ndarray, min_count: int, only: np.ndarray) -> np.ndarray:
    """A year's pattern after its groups, extended where one of its small region cells (or a region 0 inside one) has
    no range of a pupil over the whole year (intervals.protect on those counts alone: hiding only widens ranges)."""
    return intervals.protect(matrix, values, publishable, hidden, priorities, min_count, only=only)


def _merged_where_stuck(groups: list[list]) -> list[list]:
    """Every group that failed (result None) joined with the next group, the last one with the group before it."""
    merged: list[list] = []
    i = 0
    while i < len(groups):
        schools, result = groups[i]
        if result is None:
            if i + 1 < len(groups):
                schools = np.concatenate([schools, groups[i + 1][0]])
                i += 1
            elif merged:
                schools = np.concatenate([merged.pop()[0], schools])
        merged.append([schools, result])
        i += 1
    return merged


def _decoded(factorized: tuple[np.ndarray, pd.Index], codes: np.ndarray) -> np.ndarray:
    """The values of integer codes from pd.factorize (-1: ALL), as an object array."""
    uniques = np.asarray(factorized[1], dtype=object)
    decoded = np.full(len(codes), ALL, dtype=object)
    known = codes >= 0
    decoded[known] = uniques[codes[known]]
    return decoded


def _priorities(cells: pd.DataFrame, selection: dict[str, np.ndarray], measures: tuple[Measure, ...]) -> np.ndarray:
    """priority() of every cell, called once per distinct (scope, leerweg, gender, measure): 8 school years share them."""
    combined = np.zeros(len(cells), dtype=np.int64)
    for key in ("scope", "leerweg_sel", "gender_sel", "_measure"):  # one integer per combination: a 1-d unique is fast
        codes = cells[key].to_numpy(dtype=np.int64) + 1
        combined = combined * (int(codes.max(initial=0)) + 1) + codes
    _, first, position = np.unique(combined, return_index=True, return_inverse=True)
    measure_of = cells["_measure"].to_numpy()
    own = np.array([priority(selection["scope"][i], selection["leerweg_sel"][i], selection["gender_sel"][i], measures[measure_of[i]].weight)
                    for i in first.tolist()], dtype=np.int64)
    return own[position.ravel()]


def _broken_years(hidden: np.ndarray, index: dict[tuple, int], years: np.ndarray, shown_elsewhere: dict[tuple, bool]) -> set[int]:
    """The years whose pattern hides a cell that the other table shows."""
    return {int(years[index[key]]) for key, shown in shown_elsewhere.items() if shown and key in index and hidden[index[key]]}


def _keep_decisions_elsewhere(hidden: np.ndarray, index: dict[tuple, int], years: np.ndarray, shown_elsewhere: dict[tuple, bool]) -> None:
    """Where GaussSuppression would not show a cell that the other table shows (it is public all the same), this table's
    pattern for that year rests on a wrong premise: the year publishes none of its own cells (safe, at a loss)."""
    fixed = {index[key]: shown for key, shown in shown_elsewhere.items() if key in index}
    broken = _broken_years(hidden, index, years, shown_elsewhere)
    for year in broken:
        hidden[years == year] = True
    for i, shown in fixed.items():
        hidden[i] = not shown


def _protect_block(matrix: sparse.csr_matrix, values: np.ndarray, publishable: np.ndarray, priorities: np.ndarray,
                   min_count: int, interval_protection: bool, public_already: np.ndarray, inner_values: np.ndarray,
                   known: np.ndarray | None = None, stuck: list[int] | None = None, bounds: np.ndarray | None = None,
                   insensitive: np.ndarray | None = None, zero_inside: np.ndarray | None = None) -> np.ndarray:
    """GaussSuppression, told every inner cell the published pattern implies is 0 (until that set stops growing), then
    the interval check. With the implied zeros, no hidden count is fixed by the shown counts and x >= 0 alone.
    `known`: totals the attacker is assumed to know (gauss.suppress); `stuck` receives counts no hiding protects;
    `bounds` and `insensitive`: a group's shares of hidden region cells (intervals.protect); `zero_inside`: its
    schools' zeros inside a small region cell (gauss.suppress)."""
    known_zero = np.zeros(matrix.shape[1], dtype=bool)
    while True:
        hidden = gauss.suppress(matrix, values, publishable, priorities, min_count, known_zero=known_zero, public=public_already,
                                known=known, insensitive=insensitive, zero_inside=zero_inside)
        implied = intervals.implied_zeros(matrix, values, publishable, hidden, min_count, known_zero, inner_values, bounds)
        if not (implied & ~known_zero).any():
            break
        known_zero |= implied
    if interval_protection:
        linear = hidden
        hidden = intervals.protect(matrix, values, publishable, hidden, priorities, min_count, known_zero=known_zero,
                                   keep_shown=public_already if known is None else public_already | known, stuck=stuck,
                                   bounds=bounds, insensitive=insensitive)
        hidden = _release(matrix, values, publishable, linear, hidden, priorities, min_count, known_zero, inner_values,
                          bounds, insensitive)
    return hidden


def _protect_group(matrix: sparse.csr_matrix, values: np.ndarray, publishable: np.ndarray, priorities: np.ndarray,
                   min_count: int, interval_protection: bool, known: np.ndarray, inner_values: np.ndarray,
                   bounds: np.ndarray, insensitive: np.ndarray, zero_inside: np.ndarray) -> tuple[np.ndarray, int]:
    """_protect_block for a group of schools with its shares of the region cells (_Layout.group_block): (pattern, how
    many counts it cannot protect)."""
    stuck: list[int] = []
    hidden = _protect_block(matrix, values, publishable, priorities, min_count, interval_protection,
                            np.zeros(len(values), dtype=bool), inner_values, known=known, stuck=stuck, bounds=bounds,
                            insensitive=insensitive, zero_inside=zero_inside)
    return hidden, len(stuck)


def _release(matrix: sparse.csr_matrix, values: np.ndarray, publishable: np.ndarray, linear: np.ndarray, hidden: np.ndarray,
             priorities: np.ndarray, min_count: int, known_zero: np.ndarray, inner_values: np.ndarray,
             bounds: np.ndarray | None = None, insensitive: np.ndarray | None = None) -> np.ndarray:
    """The interval check's extra cells of 5 or more shown again where the final pattern no longer needs them (most
    important first): a clean-up of over-suppression, since a cell hidden early may be covered by cells hidden later.
    Each release keeps every hidden small count's range (intervals.release); the pattern still hides all
    GaussSuppression hid, so it implies no zero that `known_zero` misses."""
    by_row: dict[tuple, list[int]] = {}
    for cell in np.flatnonzero(publishable):
        by_row.setdefault(tuple(matrix.indices[matrix.indptr[cell]:matrix.indptr[cell + 1]]), []).append(int(cell))
    # rows the interval check hid (a cell GaussSuppression hid keeps its row hidden: the same count)
    released = [cells for cells in by_row.values()
                if hidden[cells].any() and not linear[cells].any() and values[cells[0]] >= min_count]
    released.sort(key=lambda cells: (-priorities[cells].max(), -values[cells[0]], cells[0]))
    return intervals.release(matrix, values, publishable, hidden, released, min_count, known_zero=known_zero,
                             inner_values=inner_values, bounds=bounds, insensitive=insensitive)


# The pattern depends on the algorithm too: a change to this file, gauss.py or intervals.py starts a new cache.
_ALGORITHM = hashlib.sha256(b"".join(Path(f).read_bytes() for f in (__file__, gauss.__file__, intervals.__file__))).hexdigest()[:16]


def algorithm() -> str:
    """What besides the counts decides a pattern: this code, and the split into groups of schools."""
    return f"{_ALGORITHM}|{MODULAR_ABOVE}|{GROUP_SCHOOLS}"


def _pattern_file(cache_key: str) -> Path:
    return paths.cache_dir() / "patterns" / f"{hashlib.sha256(f'{algorithm()}|{cache_key}'.encode()).hexdigest()}.npy"


def _read_pattern(cache_key: str | None, cells: int) -> np.ndarray | None:
    if cache_key is None:
        return None
    try:
        hidden = np.load(_pattern_file(cache_key), allow_pickle=False)
    except (OSError, ValueError):
        return None
    return hidden.astype(bool) if hidden.shape == (cells,) else None


def _write_pattern(cache_key: str | None, hidden: np.ndarray) -> None:
    """Written aside and moved in place; a cache that cannot be written is simply not kept."""
    if cache_key is None:
        return
    try:
        paths.write_whole(_pattern_file(cache_key), lambda out: np.save(out, hidden.astype(bool), allow_pickle=False))
    except OSError:
        return
