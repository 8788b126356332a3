"""cross.build's table (cells, values, priorities) on hand-made counts: hand-computed cells and a pandas reference.

The build groups the cells by integer codes instead of the strings; these tests pin what must not change with it:
every cell's value, the order of the cells (the keys' string order, 'all' first, which GaussSuppression's ties follow)
and each cell's priority as cross.priority gives it.
"""

import itertools

import numpy as np
import pandas as pd
import pytest

from sto_metrics.metrics.calculations import Cube
from sto_metrics.privacy import cross, suppression
from sto_metrics.settings import MetricSettings

COUNTS = pd.DataFrame(
    [
        (2023, "02AB00", "BB", "V", "core", 7),
        (2023, "02AB00", "BB", "M", "other", 3),
        (2023, "02AB00", "KB", "M", "extra", 12),
        (2023, "01ZZ00", "TL", "V", "unknown", 2),
        (2023, "01ZZ00", "TL", "M", "core", 9),
        (2024, "01ZZ00", "TL", "M", "core", 4),
    ],
    columns=["school_year", "school_id", "leerweg", "gender", "profile_class", "pupils"],
)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    captured = []
    original = cross._protect_block

    def primary_only(matrix, values, publishable, priorities, *rest):
        captured.append(priorities)
        return ~publishable | ((values >= 1) & (values < 5))

    cross._protect_block = primary_only
    try:
        built = cross.build(COUNTS, cross.INFLOW)
    finally:
        cross._protect_block = original
    return built, np.concatenate(captured)


def test_cells_by_hand(table):
    built, _ = table
    value = {key: int(built.values[i]) for key, i in built.index.items()}
    # the region in 2023: pupils with a known profile 7 + 3 + 12 + 9, technical (core) 7 + 9, D&P counted 28, unknown 2
    assert value[(2023, "", "", "", "P")] == 31
    assert value[(2023, "", "", "", "Ta")] == 16
    assert value[(2023, "", "", "", "Tb")] == 28
    assert value[(2023, "", "", "", "U")] == 2
    assert value[(2023, "02AB00", "BB", "", "P")] == 10
    assert value[(2023, "02AB00", "", "M", "Na")] == 15
    assert value[(2023, "01ZZ00", "TL", "V", "P")] == 0
    assert (2024, "", "", "V", "P") not in value  # no girls in 2024: no such group, no cell
    # a group that holds no pupils is no cell (02AB00 has no TL pupils)
    assert (2023, "02AB00", "TL", "", "P") not in built.index


def test_every_cell_equals_a_pandas_sum(table):
    built, _ = table
    members = {m.name: {member[0] for member in m.members} for m in cross.INFLOW.measures}
    checked = 0
    for (year, scope, leerweg, gender, measure), i in built.index.items():
        rows = COUNTS[(COUNTS["school_year"] == year) & COUNTS["profile_class"].isin(members[measure])]
        for column, chosen in (("school_id", scope), ("leerweg", leerweg), ("gender", gender)):
            if chosen != cross.ALL:
                rows = rows[rows[column] == chosen]
        assert built.values[i] == rows["pupils"].sum(), (year, scope, leerweg, gender, measure)
        checked += 1
    assert checked == len(built.values)


def test_cells_in_key_order_with_all_first_and_priorities_of_cross_priority(table):
    built, priorities = table
    weights = {m.name: m.weight for m in cross.INFLOW.measures}
    order = {m.name: n for n, m in enumerate(cross.INFLOW.measures)}
    keys = sorted(built.index, key=built.index.get)
    assert keys == sorted(keys, key=lambda k: (k[0], k[1], k[2], k[3], order[k[4]]))
    assert keys[0][1:4] == ("", "", "")
    assert [int(p) for p in priorities] == [cross.priority(s, lw, g, weights[m]) for _, s, lw, g, m in keys]
    # region before school, unsplit before split, girls before boys (the policy itself is cross.priority's)
    assert len({p for p in priorities}) > 1


def test_a_class_outside_the_model_is_refused():
    wrong = COUNTS.assign(profile_class=["core", "other", "extra", "unknown", "core", "brugklas"])
    with pytest.raises(KeyError):
        cross.build(wrong, cross.INFLOW)


def test_school_years_are_separate_blocks(table):
    built, _ = table
    years = {key[0] for key in built.index}
    assert years == {2023, 2024}
    per_year = {year: sum(1 for key in built.index if key[0] == year) for year in years}
    # 2024 holds one school, one leerweg, one gender group: scope x leerweg x gender = 2 x 2 x 3 selections, 7 measures
    selections_2024 = len(list(itertools.product(("", "01ZZ00"), ("", "TL"), ("", "M", "V"))))
    assert per_year[2024] == 7 * (selections_2024 - 4)  # gender V holds no 2024 group: its 4 selections are absent


def test_a_new_process_reads_the_protected_table_back_without_laying_it_out(tmp_path, monkeypatch):
    # The cache folder keeps the cells' keys and pattern, never a count. Read back (as a new process does: nothing in
    # memory), the table has the same keys in the same order and the same hidden cells, and nothing is laid out or
    # protected again; asked for its counts, it is laid out (around the kept pattern).
    monkeypatch.setenv("STO_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())
    cube, rules = Cube("inflow", "vmbo", MetricSettings(), COUNTS), suppression.SuppressionRules()
    built = suppression.protected_table(cube, "inflow", rules)
    assert built.values is not None  # computed here: the counts are at hand
    _, cache_key = suppression._keys(cube, "inflow", rules)
    with np.load(suppression._table_file(cache_key), allow_pickle=False) as kept:
        fields = ("gender", "leerweg", "measure", "scope", "year")  # each as codes into its values; no count
        assert sorted(kept.files) == sorted(["hidden", "order", *(f"{f}_codes" for f in fields), *(f"{f}_values" for f in fields)])
    assert suppression._table_file(cache_key).suffix == ".npz"  # the demo's shipped patterns are the .npy files

    def not_again(*args, **kwargs):
        raise AssertionError("laid out again")

    monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())
    monkeypatch.setattr(cross, "build", not_again)
    read = suppression.protected_table(cube, "inflow", rules)
    assert read.values is None
    assert list(read.index.items()) == list(built.index.items())
    assert read.hidden.tolist() == built.hidden.tolist() and read.hidden.any() and not read.hidden.all()
    with pytest.raises(AssertionError, match="laid out again"):
        suppression.protected_table(cube, "inflow", rules, with_counts=True)


def test_a_damaged_table_file_is_laid_out_again_and_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("STO_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())
    cube, rules = Cube("inflow", "vmbo", MetricSettings(), COUNTS), suppression.SuppressionRules()
    built = suppression.protected_table(cube, "inflow", rules)
    table_file = suppression._table_file(suppression._keys(cube, "inflow", rules)[1])
    for damage in (b"", b"not a table"):
        table_file.write_bytes(damage)
        monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())
        again = suppression.protected_table(cube, "inflow", rules)
        assert again.values is not None and again.hidden.tolist() == built.hidden.tolist()
        assert suppression._read_table(suppression._keys(cube, "inflow", rules)[1]).hidden.tolist() == built.hidden.tolist()


def _tampered(kept: dict, damage: str) -> dict:
    kept = dict(kept)
    size = len(kept["hidden"])
    if damage == "order out of range":
        kept["order"] = kept["order"] + size
    elif damage == "order negative":  # numpy would wrap it round: a wrong cell, no error
        kept["order"] = kept["order"] - size
    elif damage == "order not a permutation":
        kept["order"] = np.zeros(size, dtype=np.int64)
    elif damage == "years as text":
        kept["year_values"] = kept["year_values"].astype(str)
    elif damage == "codes out of range":
        kept["scope_codes"] = kept["scope_codes"] + len(kept["scope_values"])
    elif damage == "values twice":
        values = kept["scope_values"].copy()
        values[0] = values[1]
        kept["scope_values"] = values
    elif damage == "values reversed":
        kept["measure_values"] = kept["measure_values"][::-1].copy()
    elif damage == "pattern short":
        kept["hidden"] = kept["hidden"][:-1]
    elif damage == "codes missing":
        del kept["gender_codes"]
    return kept


@pytest.mark.parametrize("damage", ["order out of range", "order negative", "order not a permutation", "years as text",
                                    "codes out of range", "values twice", "values reversed", "pattern short", "codes missing"])
def test_a_table_file_that_reads_but_does_not_fit_is_laid_out_again(tmp_path, monkeypatch, damage):
    # A wrong position would read another cell's decision (a missed cell of inflow reads as shown): a file whose
    # arrays load but do not describe the table is refused, the table laid out again, and the view still hides the
    # same counts.
    monkeypatch.setenv("STO_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())
    cube, rules = Cube("inflow", "vmbo", MetricSettings(), COUNTS), suppression.SuppressionRules()
    built = suppression.protected_table(cube, "inflow", rules)
    cache_key = suppression._keys(cube, "inflow", rules)[1]
    table_file = suppression._table_file(cache_key)
    with np.load(table_file, allow_pickle=False) as kept:
        good = {name: kept[name] for name in kept.files}
    with table_file.open("wb") as damaged:
        np.savez(damaged, **_tampered(good, damage))
    assert suppression._read_table(cache_key) is None
    monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())
    again = suppression.protected_table(cube, "inflow", rules)
    assert again.values is not None and again.hidden.tolist() == built.hidden.tolist()


def test_every_cell_is_found_by_its_key_in_a_kept_and_a_computed_table(tmp_path, monkeypatch):
    # CellIndex against the dict of keys: every cell's key finds its own position, keys the table lacks find none.
    monkeypatch.setenv("STO_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())
    cube, rules = Cube("inflow", "vmbo", MetricSettings(), COUNTS), suppression.SuppressionRules()
    built = suppression.protected_table(cube, "inflow", rules)
    monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())
    kept = suppression.protected_table(cube, "inflow", rules)
    assert isinstance(kept, suppression.KeptTable)
    keys = [*built.index, (2025, "", "", "", "P"), (2023, "99XX00", "", "", "P"), (2023, "", "", "", "nope")]
    fields = tuple(np.array(field, dtype=object) for field in zip(*keys, strict=True))
    expected = [built.index.get(key, -1) for key in keys]
    assert expected[-3:] == [-1, -1, -1] and sorted(expected[:-3]) == list(range(len(built.index)))
    for table in (built, kept):
        assert suppression.cell_index(table).positions(fields).tolist() == expected


def test_a_computed_table_is_kept_in_memory_in_its_compact_form(tmp_path, monkeypatch):
    # The call that computes a table gets its counts; the process keeps only where its cells sit and its pattern (a
    # national table's dict of keys is hundreds of MB), and later views read the same decisions from that form.
    monkeypatch.setenv("STO_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())
    cube, rules = Cube("inflow", "vmbo", MetricSettings(), COUNTS), suppression.SuppressionRules()
    built = suppression.protected_table(cube, "inflow", rules)
    assert isinstance(built, cross.CrossTable) and built.values is not None
    monkeypatch.setattr(cross, "build", lambda *args, **kwargs: pytest.fail("laid out again"))
    monkeypatch.setattr(suppression, "_read_table", lambda *args: pytest.fail("read from the folder again"))
    again = suppression.protected_table(cube, "inflow", rules)
    assert isinstance(again, suppression.KeptTable) and again.values is None
    assert list(again.index.items()) == list(built.index.items()) and again.hidden.tolist() == built.hidden.tolist()


def _links_by_reference(inner: pd.DataFrame, model: cross.CrossModel) -> dict[tuple, set[int]]:
    """cell key -> its inner cells, by plain loops: each inner cell counts in its school or all, its leerweg or all, its
    gender or all, for every measure its class is a member of (a region-only measure: only all, all, all)."""
    classes = cross._classes(model)
    measures_of: dict[int, list[int]] = {}
    for number, measure in enumerate(model.measures):
        for member in measure.members:
            measures_of.setdefault(classes[member], []).append(number)
    links: dict[tuple, set[int]] = {}
    rows = inner[["school_year", "school_id", "leerweg", "gender", "_class"]].to_numpy(dtype=object)
    for position, (year, school, leerweg, gender, class_number) in enumerate(rows):
        for every in itertools.product((True, False), repeat=3):
            if not (every[0] or model.school_filters or (every[1] and every[2])):
                continue
            selection = tuple(cross.ALL if all_of else value for all_of, value in zip(every, (school, leerweg, gender), strict=True))
            for number in set(measures_of.get(int(class_number), [])):
                if model.measures[number].region_only and not all(every):
                    continue
                links.setdefault((int(year), *selection, number), set()).add(position)
    return links


@pytest.mark.parametrize("family", ["inflow_vmbo", "destinations_vmbo", "destinations_havo_vwo", "retention_vmbo",
                                    "activity_effect", "flow"])
def test_every_cells_links_are_the_inner_cells_a_plain_loop_finds(demo_database_path, family):
    # cross._cells_and_links lays the links out as integer keys per school year and selection; a plain loop over the
    # inner cells must find the same cells, in the keys' string order ('all' first), each with the same inner cells.
    from sto_metrics import db, published

    con = db.connect(demo_database_path, read_only=True)
    try:
        if family == "flow":
            cube, cells_model = published.exact_flow(con, 2019)[0].attrs["sto_cube"], "cohort_flow"
        else:
            cube = published.exact_table(con, family, by="regio").attrs["sto_cube"]
            cells_model = published.registry.get(family).cells
    finally:
        con.close()
    model = suppression.CROSS_MODELS[cells_model].model(cube)
    inner = cross._inner_cells(cube.counts, model)
    coded = {column: pd.factorize(inner[column], sort=True, use_na_sentinel=False) for column in cross.SELECTION}
    cells, matrix = cross._cells_and_links(inner, model, cross._classes(model), coded)
    expected = _links_by_reference(inner, model)
    selection = [cross._decoded(coded[column], cells[key].to_numpy())
                 for key, column in (("scope", "school_id"), ("leerweg_sel", "leerweg"), ("gender_sel", "gender"))]
    keys = list(zip(cells["school_year"].astype(int).tolist(), *(s.tolist() for s in selection), cells["_measure"].tolist(), strict=True))
    assert keys == sorted(expected)
    assert matrix.has_canonical_format and matrix.nnz == sum(len(found) for found in expected.values()) > 1000
    for row, key in enumerate(keys):
        assert set(matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]].tolist()) == expected[key], key
    assert (matrix.data == 1).all()
