"""Small-cell suppression: the single gate every number passes on its way out of the engine.

The rule (docs/domain.md, privacy)
-------------------------------------------------------------------------

1. Primary suppression. A count from 1 to 4 (below `min_count`) is not shown; it is written
   `<5`. A count of 0 is shown as 0, except a 0 inside a hidden small count ("of these 3 pupils,
   none chose technology" tells what each of them chose): that 0 is hidden too.
2. Secondary suppression over everything that can be published. Each figure family has one
   protected table (privacy/cross.py): per school year, the region and every school, all leerwegen
   and each one, all pupils and each gender group (V, and M for everyone else), and every measure
   under both settings (D&P counted or not; NT or every N), including measures no view shows (the
   non-technical pupils, the D&P pupils), which are protected when they hold 1 to 4 pupils. The
   dashboard's filters and splits and the command line's options only select cells of it, so no
   combination of views gives a hidden count back. Destinations and progression share one table.
   Extra cells are hidden by Statistics Norway's GaussSuppression (privacy/gauss.py): most
   important first (region totals, then school totals, then the region's leerweg and gender
   cells, then a school's; girls' rows before boys'; larger counts before smaller ones and zeros
   last), a cell is shown unless its row, with the rows already shown, would determine a hidden
   small count by linear algebra, or pin two of them at the end of their 0-4 range. So the
   complements are the least important, smallest cells, often a 0 (then written `<5`). Inner cells
   that the published pattern implies are 0 (a shown cell equal to a shown part of it) are known
   to GaussSuppression too, so the shown counts with 'no count is negative' determine nothing.
   For inflow and retention an LP interval check follows (privacy/intervals.py,
   the attacker problem of sdcTable/tau-argus): every hidden count of 1 to 4 must be able to
   differ by at least one pupil given '<5' = 0-4 and 'empty' = 5 or more; a cell it hid that the
   final pattern no longer needs is shown again.
3. How hidden cells are written. A hidden count below 5 (the primary ones, and a 0 hidden as a
   complement) is `<5`, which is true. A hidden count of 5 or more is left empty (None), never
   written as `<5`, so that no published figure is false.
4. Shares. A share and its interval are shown only when its denominator is at least
   `min_share_denominator` (10) and both its numerator and denominator are shown: share x
   pupils gives the numerator back, technical / share gives the denominator, and the width of
   the interval gives the denominator away too. Otherwise share, ci_low and ci_high are empty.
5. Cohort flow: its nodes and links, per region and school, leerweg and gender group and under
   both settings, are one protected table of the same kind; every possible link is listed (zeros
   too), so that a listed link does not tell that someone took it.

The pattern depends only on the counts, so it is computed once per data version (and kept in the
cache folder, paths.cache_dir()); a filter or setting change costs no new protection.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import weakref
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sto_metrics import paths, schoolyear
from sto_metrics.metrics import registry
from sto_metrics.metrics.calculations import DESTINATIONS, Cube, stages_known
from sto_metrics.privacy import cross

SHARE_COLUMNS = ["share", "ci_low", "ci_high"]


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
# Where a table's counts sit in its family's protected table
# --------------------------------------------------------------------------------------------


def _alternative_setting(cube: Cube) -> bool:
    """Does the setting in force count the 'extra' profile class (D&P; N without NT) as technical?"""
    return cube.settings.dp_technical if cube.level == "vmbo" else cube.settings.havo_vwo_technical == "n"


def _selection(cube: Cube, frame: pd.DataFrame, dimension: str, values: tuple[str, ...]):
    """The leerweg or gender of the cells a frame's rows show: the split column, else the one filtered value, else all."""
    if cube.split == dimension:
        return frame["split"].astype(str).to_numpy()
    if len(values) > 1:
        raise ValueError(f"a view shows one {dimension} or all, not {values}")
    return values[0] if values else cross.ALL


def _start_years(frame: pd.DataFrame) -> np.ndarray:
    years = frame["school_year"]
    return years.map({value: schoolyear.start(value) for value in pd.unique(years)}).to_numpy()


def _cell_keys(cube: Cube, frame: pd.DataFrame, measure) -> tuple:
    """The cells of a frame's rows: (year, scope, leerweg, gender, measure), each an array or one value for all rows."""
    scope = frame["scope"].astype(str).to_numpy()
    scope = np.where(scope == "regio", cross.ALL, scope)
    return (_start_years(frame), scope, _selection(cube, frame, "leerweg", cube.population.leerwegen),
            _selection(cube, frame, "geslacht", cube.population.genders), measure)


def _inflow_columns(cube: Cube):
    measure = {"pupils": "P", "technical": "Tb" if _alternative_setting(cube) else "Ta", "unknown_profile": "U"}
    return lambda frame, column: _cell_keys(cube, frame, measure[column])


def _destination_measures(cube: Cube) -> tuple[dict[str, str], dict[str, str]]:
    """(from group -> its prefix, column -> its measure) of the destinations and progression table's cells."""
    alternative = _alternative_setting(cube)
    group = {"totaal": "tot", "techniek": "tb" if alternative else "ta", "overig": "ob" if alternative else "oa"}
    # One map for every figure on this table: destinations publish graduates and destinations, progression enrolled and technical.
    if cube.level == "vmbo":
        enrolled = "G" if cube.settings.progression_denominator == "all_graduates" else "Emb"
        progression = {"enrolled": enrolled, "technical": "mbo_techniek"}
    else:
        progression = {"enrolled": "Eho", "technical": "ho_techniek"}
    return group, {"graduates": "G", **{d: d for d in DESTINATIONS}, **progression}


def _destination_columns(cube: Cube):
    group, measure = _destination_measures(cube)

    def columns_for(frame, column):
        prefix = frame["from_group"].map(group).to_numpy(dtype=object)
        return _cell_keys(cube, frame, prefix + f":{measure[column]}")

    return columns_for


def _flow_keys(cube: Cube):
    scope = cross.ALL if cube.school_id is None else cube.school_id
    leerweg = cube.population.leerwegen[0] if cube.population.leerwegen else cross.ALL
    gender = cube.population.genders[0] if cube.population.genders else cross.ALL
    setting = "B" if cube.settings.dp_technical else "A"
    year = int(cube.counts["school_year"].iloc[0]) if len(cube.counts) else 0

    def keys_for(row, column):
        measure = row["node"] if "node" in row else f"{row['source']}>{row['target']}"
        return (year, scope, leerweg, gender, f"{setting}:{measure}")

    return keys_for


def _retention_columns(cube: Cube):
    setting = "b" if cube.settings.dp_technical else "a"
    measure = {"pupils": f"P{setting}", "retained": f"R{setting}"}
    return lambda frame, column: _cell_keys(cube, frame, measure[column])


def _activity_effect_columns(cube: Cube):
    if cube.metric == "reach-pupils":
        # reached in school year Y sits in block Y+1 of the activity table, beside the leerjaar-3 cohort it mostly becomes
        def reached_in(frame, column):
            scope = frame["scope"].astype(str).to_numpy(dtype=object)
            return (_start_years(frame) + 1, cross.ALL, cross.ALL, cross.ALL, np.where(scope == "regio", "R", "R:" + scope))
        return reached_in
    technical = "Tb" if _alternative_setting(cube) else "Ta"
    groups = {"deelnemers": "_d", "niet-deelnemers": "_n"}
    measure = {"pupils": "P", "technical": technical}
    return lambda frame, column: _cell_keys(cube, frame, measure[column] + frame["group"].map(groups).to_numpy(dtype=object))


def _activity_model(cube: Cube) -> cross.CrossModel:
    reached = cube.counts["reached"]
    return cross.activity_model(tuple(sorted(set(reached[reached != cross.NOT_REACHED]))))


def _activity_shown_elsewhere(cube: Cube, rules: SuppressionRules) -> dict[tuple, bool]:
    """The inflow table's decisions and the activity table's public facts (cross.activity_public_facts)."""
    return {**cross.activity_public_facts(cube.counts), **_inflow_pattern(cube, rules)}


def _inflow_pattern(cube: Cube, rules: SuppressionRules) -> dict[tuple, bool]:
    """The inflow table's decisions for the years of an activity cube (its leerjaar-3 cells summed over the groups are inflow's)."""
    keys = ["school_year", "school_id", "leerweg", "gender", "profile_class"]
    in_grid = cube.counts[cube.counts["grp"] != cross.NOT_REACHED]
    inflow_counts = in_grid.groupby(keys, as_index=False, dropna=False)["pupils"].sum()
    inflow_cube = Cube("inflow", "vmbo", cube.settings, inflow_counts)
    table = protected_table(inflow_cube, "inflow", rules)
    return {key: not bool(table.hidden[i]) for key, i in table.index.items()}


def _enrolment_keys(cube: Cube):
    ranges = cube.cache.get("ranges", {})

    def keys_for(row, column):
        if column != "enrolled" or row["scope"] == "regio":
            return None  # head counts are not pupil-linked: only primary suppression (Metric.headcount_columns)
        low, high = ranges[(row["school_year"], row["scope"], row["activity_type"])]
        return (schoolyear.start(row["school_year"]), row["scope"], cross.ALL, cross.ALL, f"L{low}-{high}")

    return keys_for


@dataclass(frozen=True)
class TableModel:
    """A family protected as one cross table (privacy.cross): its model by level, and how a view's counts find their cells.

    `columns` finds the cells of a whole column of a view at once, as arrays (a national view has tens of thousands of
    rows); `keys` finds them row by row, for the tables whose views are small (a flow's links, the activities' head
    counts). `shown_elsewhere` gives the decisions of another family's table that shares cells with this one.
    """

    model: Callable[[Cube], cross.CrossModel]
    columns: Callable[[Cube], Callable[[pd.DataFrame, str], tuple]] | None = None
    keys: Callable[[Cube], Callable[[dict, str], tuple | None]] | None = None
    shown_elsewhere: Callable[[Cube, SuppressionRules], dict[tuple, bool]] | None = None
    level: str | None = None  # the level its table is built at whatever the figure's (None: the figure's)


# The registry names a cell model per figure (Metric.cells); figures that share one protect each other.
CROSS_MODELS: dict[str, TableModel] = {
    "inflow": TableModel(lambda cube: cross.INFLOW, columns=_inflow_columns),
    "destinations": TableModel(lambda cube: cross.destination_model(cube.level), columns=_destination_columns),
    "retention": TableModel(lambda cube: cross.RETENTION, columns=_retention_columns),
    "cohort_flow": TableModel(lambda cube: cross.flow_model(stages_known(cube.counts)), keys=_flow_keys),
    # activity-effect (vmbo) and reach-pupils (vo) share one table
    "activity_effect": TableModel(_activity_model, columns=_activity_effect_columns,
                                  shown_elsewhere=_activity_shown_elsewhere, level="vmbo"),
    "enrolment": TableModel(lambda cube: cross.ENROLMENT, keys=_enrolment_keys),
}


# Cell models whose tables hold a school's cells only for all leerwegen and genders (CrossModel.school_filters False)
REGION_ONLY_FILTERS = ("destinations", "cohort_flow")

_TABLES: OrderedDict[tuple, cross.CrossTable] = OrderedDict()
_TABLE_CACHE_SIZE = 32
_GUARD = threading.Lock()  # _TABLES and _COMPUTING are shared by the dashboard's sessions and its background thread
_COMPUTING: dict[tuple, threading.Event] = {}  # tables a thread is protecting now: others wait for it, not compute it twice


def _keys(cube: Cube, cells: str, rules: SuppressionRules) -> tuple[tuple, str]:
    """(key in this process, key of the pattern file in the cache folder) of the family's protected table."""
    level = CROSS_MODELS[cells].level or cube.level
    return (cells, level, _fingerprint(cube), rules), f"{cells}|{level}|{rules.min_count}|{_fingerprint(cube)}"


def pattern_file(cube: Cube, cells: str, rules: SuppressionRules) -> Path:
    """Where the pattern of the family's protected table is kept: its name holds the algorithm, cell model, level and counts."""
    return cross._pattern_file(_keys(cube, cells, rules)[1])


def pattern_folder() -> Path:
    """The cache folder's folder of patterns (one .npy file per protected table, named by pattern_file)."""
    return cross._pattern_file("").parent


def is_prepared(cube: Cube, cells: str, rules: SuppressionRules) -> bool:
    """Is the protected table of these counts at hand (in this process or its pattern in the cache folder)?"""
    key, _ = _keys(cube, cells, rules)
    with _GUARD:
        if key in _TABLES:
            return True
    return pattern_file(cube, cells, rules).is_file()


class CellIndex:
    """Where cells sit in a protected table, for many keys at once: each key field as codes into its sorted values,
    the codes combined into one integer per cell and kept sorted (a binary search per key, no dict of a million
    tuples to build for a national table)."""

    def __init__(self, vocabularies: list[np.ndarray], codes: list[np.ndarray], order: np.ndarray | None = None) -> None:
        if np.prod([float(max(len(vocabulary), 1)) for vocabulary in vocabularies]) >= 2.0 ** 62:
            raise ValueError("too many distinct keys to combine into one integer")
        self.vocabularies = [pd.Index(vocabulary) for vocabulary in vocabularies]
        for vocabulary in self.vocabularies:
            vocabulary.get_indexer(vocabulary[:1])  # pandas fills an index's hash table lazily: here, not in two threads at once
        self.codes = codes
        combined = self._combine(codes)
        self.order = np.argsort(combined, kind="stable") if order is None else order
        self.sorted_keys = combined[self.order]

    @classmethod
    def of_keys(cls, keys: list[tuple]) -> CellIndex:
        """From the cells' keys in their order (position i holds keys[i])."""
        columns = list(zip(*keys, strict=True)) if keys else [()] * len(_KEY_FIELDS)
        found = [np.unique(np.array(column, dtype=np.int64 if name == "year" else str), return_inverse=True)
                 for name, column in zip(_KEY_FIELDS, columns, strict=True)]
        return cls([vocabulary for vocabulary, _ in found], [code.astype(np.int64) for _, code in found])

    def _combine(self, codes: list[np.ndarray]) -> np.ndarray:
        combined = np.zeros(len(codes[0]) if codes else 0, dtype=np.int64)
        for vocabulary, code in zip(self.vocabularies, codes, strict=True):
            combined = combined * len(vocabulary) + code
        return combined

    def positions(self, fields: tuple) -> np.ndarray:
        """Each key's position in the table, -1 where the table holds no such cell; `fields` are the five key fields,
        each an array (one value per key) or one value for all."""
        length = max((len(field) for field in fields if isinstance(field, np.ndarray)), default=1)
        codes, missing = [], np.zeros(length, dtype=bool)
        for vocabulary, field in zip(self.vocabularies, fields, strict=True):
            values = field if isinstance(field, np.ndarray) else np.full(length, field, dtype=object)
            code = vocabulary.get_indexer(values) if len(vocabulary) else np.full(length, -1)
            missing |= code < 0
            codes.append(np.where(code < 0, 0, code).astype(np.int64))
        wanted = self._combine(codes)
        at = np.minimum(np.searchsorted(self.sorted_keys, wanted), max(len(self.sorted_keys) - 1, 0))
        found = ~missing & (len(self.sorted_keys) > 0)
        found &= self.sorted_keys[at] == wanted if len(self.sorted_keys) else False
        return np.where(found, self.order[at] if len(self.order) else -1, -1)

    def arrays(self) -> dict[str, np.ndarray]:
        """What the cache folder keeps of it (read back by of_arrays)."""
        kept = {"order": self.order}
        for name, vocabulary, code in zip(_KEY_FIELDS, self.vocabularies, self.codes, strict=True):
            kept[f"{name}_values"] = vocabulary.to_numpy(dtype=np.int64 if name == "year" else str)
            kept[f"{name}_codes"] = code
        return kept

    @classmethod
    def of_arrays(cls, kept) -> CellIndex:
        """From what `arrays` kept; ValueError unless it is whole and consistent (a file's damage must never make a
        lookup miss: a missed cell reads as shown)."""
        vocabularies = [kept[f"{name}_values"] for name in _KEY_FIELDS]
        codes = [kept[f"{name}_codes"] for name in _KEY_FIELDS]
        order = kept["order"]
        size = len(order)
        for name, vocabulary, code in zip(_KEY_FIELDS, vocabularies, codes, strict=True):
            if (vocabulary.ndim != 1 or vocabulary.dtype.kind != ("i" if name == "year" else "U")
                    or (len(vocabulary) > 1 and (vocabulary[1:] <= vocabulary[:-1]).any())):
                raise ValueError(f"{name}: values not sorted and distinct")
            if code.dtype.kind != "i" or code.shape != (size,) or (size and (code.min() < 0 or code.max() >= len(vocabulary))):
                raise ValueError(f"{name}: codes out of range")
        if order.dtype.kind != "i" or order.ndim != 1 or (size and (order.min() < 0 or order.max() >= size
                                                                    or (np.bincount(order, minlength=size) != 1).any())):
            raise ValueError("order: not a permutation")
        index = cls(vocabularies, codes, order)
        if (np.diff(index.sorted_keys) <= 0).any():
            raise ValueError("cells: not in order, or a key twice")
        return index

    def keys(self) -> list[tuple]:
        """The cells' keys in their order."""
        columns = [vocabulary.to_numpy()[code].tolist() for vocabulary, code in zip(self.vocabularies, self.codes, strict=True)]
        return list(zip(*columns, strict=True))


@dataclass(frozen=True)
class KeptTable:
    """A protected table read back from the cache folder: where its cells sit (CellIndex) and its pattern, no count."""

    cells: CellIndex
    hidden: np.ndarray
    values: None = None

    @functools.cached_property
    def index(self) -> dict[tuple, int]:
        """Key -> position, as CrossTable.index (built when asked: seconds for a national table)."""
        return {key: position for position, key in enumerate(self.cells.keys())}


_CELL_INDEXES: OrderedDict[int, tuple[weakref.ref, CellIndex]] = OrderedDict()


def cell_index(table: cross.CrossTable | KeptTable) -> CellIndex:
    """The table's CellIndex: a kept table's own, a computed table's built once (held while the table lives and is recent)."""
    if isinstance(table, KeptTable):
        return table.cells
    with _GUARD:
        entry = _CELL_INDEXES.get(id(table))
        if entry is not None and entry[0]() is table:
            _CELL_INDEXES.move_to_end(id(table))
            return entry[1]
    built = CellIndex.of_keys(sorted(table.index, key=table.index.get))
    with _GUARD:
        _CELL_INDEXES[id(table)] = (weakref.ref(table), built)
        while len(_CELL_INDEXES) > _TABLE_CACHE_SIZE:
            _CELL_INDEXES.popitem(last=False)
    return built


def protected_table(cube: Cube, cells: str, rules: SuppressionRules, with_counts: bool = False) -> cross.CrossTable | KeptTable:
    """The family's whole protected table, computed once per content of its inner cells (any view, filter or setting).

    A new process reads it back from the cache folder (KeptTable: laying a national table out takes seconds), and a
    computed table is kept in memory in that form too; the cells' exact counts (`values`) come with the table to the
    call that computed it, or `with_counts`, from cross.build (with the pattern from the folder).
    While another thread computes the same table (a page and the background preparation), this one waits for it."""
    table_model = CROSS_MODELS[cells]
    key, cache_key = _keys(cube, cells, rules)
    while True:
        with _GUARD:
            if key in _TABLES and (_TABLES[key].values is not None or not with_counts):
                _TABLES.move_to_end(key)
                return _TABLES[key]
            running = _COMPUTING.get(key)
            if running is None:
                _COMPUTING[key] = threading.Event()
                break
        running.wait()  # then take its table (or, if it failed, compute it here)
    try:
        table = None if with_counts else _read_table(cache_key)
        if table is None:
            shown_elsewhere = table_model.shown_elsewhere(cube, rules) if table_model.shown_elsewhere else None
            table = cross.build(cube.counts, table_model.model(cube), rules.min_count, cache_key=cache_key,
                                shown_elsewhere=shown_elsewhere)
            _write_table(cache_key, table)
        # kept in memory as read back from the cache folder, unless its counts are asked for: a computed table with its
        # dict of cell keys is four times larger (national vmbo inflow: 226 MB against 52 MB; `prepare` computes 12)
        kept = table if with_counts or isinstance(table, KeptTable) else KeptTable(cell_index(table), table.hidden)
        with _GUARD:
            _TABLES[key] = kept
            while len(_TABLES) > _TABLE_CACHE_SIZE:
                _TABLES.popitem(last=False)
        return table
    finally:
        with _GUARD:
            _COMPUTING.pop(key).set()


def _table_file(cache_key: str) -> Path:
    """Beside the table's pattern file; not a .npy, which names the demo's shipped patterns (tests/demo_patterns.py)."""
    return cross._pattern_file(cache_key).with_suffix(".cells.npz")


_KEY_FIELDS = ("year", "scope", "leerweg", "gender", "measure")


def _write_table(cache_key: str, table: cross.CrossTable) -> None:
    """Where the cells sit (CellIndex.arrays) and the pattern: written aside and moved in place, or not kept."""
    try:
        paths.write_whole(_table_file(cache_key), lambda out: np.savez(out, hidden=table.hidden.astype(bool), **cell_index(table).arrays()))
    except OSError:
        return


def _read_table(cache_key: str) -> KeptTable | None:
    try:
        with np.load(_table_file(cache_key), allow_pickle=False) as kept:
            hidden = kept["hidden"]
            cells = CellIndex.of_arrays(kept)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # none yet, damaged or of an older form: laid
        return None  # out again (and written anew)
    if hidden.dtype != bool or hidden.shape != cells.order.shape:
        return None
    return KeptTable(cells, hidden)


def _hidden_columns(cube: Cube, metric, rules: SuppressionRules, frame: pd.DataFrame):
    """function(column) -> per row of `frame`, is that count hidden? (rows with no count: anything)."""
    table = protected_table(cube, metric.cells, rules)
    model = CROSS_MODELS[metric.cells]
    columns_for = model.columns(cube) if model.columns else None
    keys_for = model.keys(cube) if columns_for is None else None
    records = frame.to_dict("records") if columns_for is None else None
    present = {column: frame[column].notna().to_numpy() for column in metric.count_columns if column in frame.columns}

    def hidden(column: str) -> np.ndarray:
        if column in metric.headcount_columns:
            counts = frame[column].fillna(0).to_numpy(dtype=np.int64)
            return (counts >= 1) & (counts < rules.min_count)
        asked = present[column]  # keys of rows with no count are not asked for
        positions = np.full(len(frame), -1, dtype=np.int64)
        if columns_for is not None and asked.any():
            positions[asked] = cell_index(table).positions(columns_for(frame if asked.all() else frame[asked], column))
        elif asked.any():  # row by row (flows, enrolment)
            positions = _positions_of(table, [keys_for(row, column) if has else None for row, has in zip(records, asked, strict=True)])
        # a cell the table does not hold is never shown (a school with a filter, where refused)
        held = table.hidden[np.maximum(positions, 0)] if len(table.hidden) else np.zeros(len(frame), dtype=bool)
        return np.where(positions >= 0, held, metric.cells in REGION_ONLY_FILTERS)

    return hidden


def _positions_of(table: cross.CrossTable | KeptTable, keys: list[tuple | None]) -> np.ndarray:
    """Positions of keys given one by one (None: no cell), -1 where the table holds none."""
    if isinstance(table, KeptTable):
        found = [key for key in keys if key is not None]
        at = iter(cell_index(table).positions(tuple(np.array(field, dtype=object) for field in zip(*found, strict=True)))
                  if found else ())
        return np.array([-1 if key is None else next(at) for key in keys], dtype=np.int64)
    return np.array([-1 if key is None else table.index.get(key, -1) for key in keys], dtype=np.int64)


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
    hidden_in = _hidden_columns(cube, metric, rules, table)
    out = table.copy()
    count_columns = [c for c in metric.count_columns if c in out.columns]
    shown = {}
    for column in count_columns:
        present = out[column].notna().to_numpy()  # not applicable (enrolment beside a region-wide activity): stays empty
        counts = out[column].fillna(0).to_numpy(dtype=np.int64)
        hidden = hidden_in(column) & present
        new_values = np.array(counts.tolist(), dtype=object)
        new_values[hidden & (counts < rules.min_count)] = rules.small_marker
        new_values[(hidden & (counts >= rules.min_count)) | ~present] = None
        out[column] = pd.Series(new_values, index=out.index, dtype="object")
        shown[column] = present & ~hidden
    share_columns = [c for c in metric.share_columns if c in out.columns]
    if share_columns:
        exact_denominator = table[metric.denominator].astype("float64").to_numpy()
        visible = shown[metric.numerator] & shown[metric.denominator] & (exact_denominator >= rules.min_share_denominator)
        for column in share_columns:
            out[column] = out[column].astype("float64").where(visible, np.nan)
    out.attrs = {}
    return out


def _fingerprint(cube: Cube) -> str:
    """The cube's exact counts as a digest: equal counts give the same suppression pattern."""
    if "fingerprint" not in cube.cache:
        hashed = pd.util.hash_pandas_object(cube.counts, index=True).to_numpy()
        cube.cache["fingerprint"] = hashlib.sha256(hashed.tobytes() + "|".join(map(str, cube.counts.columns)).encode()).hexdigest()
    return cube.cache["fingerprint"]
