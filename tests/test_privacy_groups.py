"""A school year of many schools is protected in groups of schools (cross._protect_in_groups), each with its share of
every region cell as a total the attacker is assumed to know. Checked here with an LP of its own (scipy's linprog,
not the engine's intervals.py): every hidden count of 1-4 keeps a range of at least one pupil given everything
shown; the region's cells stay shown; a year with a small region cell, or of few schools, is solved whole. The
command line's whole output with groups of three schools is audited in tests/test_privacy_auditor.py.
"""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from sto_metrics.privacy import cross

LEERWEGEN, GENDERS, CLASSES = ("BB", "KB", "TL"), ("M", "V"), ("core", "extra", "other", "unknown")


def _counts(schools: int, seed: int) -> pd.DataFrame:
    """One school year of small schools: many cells of 1-4 pupils, every region cell of 5 or more."""
    rng = np.random.default_rng(seed)
    rows = [(2023, f"{n:02d}XX00", leerweg, gender, profile, int(rng.poisson(1.2)))
            for n in range(schools) for leerweg, gender, profile in itertools.product(LEERWEGEN, GENDERS, CLASSES)]
    counts = pd.DataFrame(rows, columns=["school_year", "school_id", "leerweg", "gender", "profile_class", "pupils"])
    return counts[counts["pupils"] > 0].reset_index(drop=True)


@pytest.fixture
def years_in_groups(monkeypatch) -> list[int]:
    """Per table that hands years to _protect_in_groups: how many of them ended in groups (not joined back whole)."""
    calls: list[int] = []
    real = cross._protect_in_groups

    def logged(*args):
        ended = real(*args)
        calls.append(len(ended))
        return ended

    monkeypatch.setattr(cross, "_protect_in_groups", logged)
    return calls


def _ranges(table: cross.CrossTable, counts: pd.DataFrame, model: cross.CrossModel = cross.INFLOW) -> dict[tuple, tuple[float, float]]:
    """min and max of every hidden count of 1-4 over the tables x >= 0 that agree with what is shown: a shown cell as
    an equality, a hidden small one as 0-4 ('<5'), a hidden one of 5 or more as at least 5 (never-shown measures: nothing).
    Inner cells: every class of each (school, leerweg, gender) group with pupils; a group without pupils is known to
    be empty (no row of it is listed), as the engine and the auditor read it."""
    classes = list(model.class_columns)
    groups = counts[["school_id", "leerweg", "gender"]].drop_duplicates()
    inner = groups.merge(pd.DataFrame(model.combinations, columns=classes), how="cross")
    inner = inner.merge(counts, how="left", on=["school_id", "leerweg", "gender", *classes]).fillna({"pupils": 0})
    school, leerweg_of, gender_of = (inner[column].to_numpy(dtype=object) for column in ("school_id", "leerweg", "gender"))
    class_of = list(inner[classes].itertuples(index=False, name=None))
    member = {m.name: np.array([c in m.members for c in class_of]) for m in model.measures}
    pupils = inner["pupils"].to_numpy(dtype=float)
    published = {m.name for m in model.measures if m.published}
    rows, equal, low, high, small = [], [], [], [], []
    for (_, scope, leerweg, gender, measure), i in table.index.items():
        row = (((school == scope) | (scope == cross.ALL)) & ((leerweg_of == leerweg) | (leerweg == cross.ALL))
               & ((gender_of == gender) | (gender == cross.ALL)) & member[measure]).astype(float)
        value = int(table.values[i])
        assert value == int(row @ pupils), "the cell's count is its inner cells' sum"
        if table.hidden[i] and 1 <= value <= 4:
            small.append(((scope, leerweg, gender, measure), row))
        if measure not in published:
            continue
        rows.append(row)
        equal.append(not table.hidden[i])
        low.append(value if not table.hidden[i] else 0 if value < 5 else 5)
        high.append(value if not table.hidden[i] else 4 if value < 5 else np.inf)
    matrix, equal = sparse.csr_matrix(np.array(rows)), np.array(equal)
    upper_rows = np.isfinite(high) & ~equal
    a_ub = sparse.vstack([matrix[upper_rows], -matrix[~equal]])
    b_ub = np.concatenate([np.array(high)[upper_rows], -np.array(low)[~equal]])
    found = {}
    for key, row in dict((tuple(row.nonzero()[0]), (key, row)) for key, row in small).values():  # each distinct count once
        ends = [linprog(sign * row, A_ub=a_ub, b_ub=b_ub, A_eq=matrix[equal], b_eq=np.array(low)[equal], method="highs")
                for sign in (1, -1)]
        assert all(end.status == 0 for end in ends)
        found[key] = (ends[0].fun, -ends[1].fun)
    return found


def test_a_year_of_many_schools_is_protected_in_groups_and_no_small_count_is_pinned(years_in_groups, monkeypatch):
    monkeypatch.setattr(cross, "MODULAR_ABOVE", 10)
    monkeypatch.setattr(cross, "GROUP_SCHOOLS", 4)
    counts = _counts(schools=14, seed=3)
    table = cross.build(counts, cross.INFLOW)
    assert years_in_groups == [1]
    ranges = _ranges(table, counts)
    assert len(ranges) > 30, "small schools: many hidden counts of 1-4"
    narrow = {key: span for key, span in ranges.items() if span[1] - span[0] < 1 - 1e-6}
    assert not narrow, f"{len(narrow)} hidden counts pinned, e.g. {list(narrow.items())[:3]}"
    region = [i for (_, scope, _, _, measure), i in table.index.items()
              if scope == cross.ALL and measure in {m.name for m in cross.INFLOW.measures if m.published}]
    assert len(region) > 20 and not table.hidden[region].any(), "the region's cells are all shown"


def test_a_small_region_cell_that_no_view_shows_is_protected_in_groups(years_in_groups, monkeypatch):
    """Three pupils of the D&P class ('extra') in the whole region, in three groups: the never-shown region cell E
    (Tb - Ta) is 3. The region's own pattern hides region cells for it; each group holding one of the three keeps its
    share of E open within the bounds the hidden region cells give."""
    monkeypatch.setattr(cross, "MODULAR_ABOVE", 10)
    monkeypatch.setattr(cross, "GROUP_SCHOOLS", 4)
    counts = _counts(schools=14, seed=3)
    extra = counts["profile_class"] == "extra"
    counts = pd.concat([counts[~extra], counts[extra].iloc[[0, 20, 40]].assign(pupils=1)], ignore_index=True)
    assert counts.loc[counts["profile_class"] == "extra", "school_id"].str[:2].astype(int).floordiv(4).nunique() == 3
    table = cross.build(counts, cross.INFLOW)
    assert years_in_groups == [1] and table.values[table.index[(2023, cross.ALL, cross.ALL, cross.ALL, "E")]] == 3
    region_shown = [i for (_, scope, _, _, measure), i in table.index.items() if scope == cross.ALL and measure in ("Ta", "Tb")]
    assert table.hidden[region_shown].any(), "Ta or Tb of the region is hidden for E"
    ranges = _ranges(table, counts)
    assert (cross.ALL, cross.ALL, cross.ALL, "E") in ranges
    assert not {key: span for key, span in ranges.items() if span[1] - span[0] < 1 - 1e-6}


def test_a_count_that_its_groups_totals_pin_makes_the_group_join_its_neighbours(monkeypatch):
    """Only the first and the last school have GL pupils: within any group without the other one, the group's GL totals
    are that school's own GL counts, so the groups join until both schools share one (here: the whole year)."""
    monkeypatch.setattr(cross, "MODULAR_ABOVE", 10)
    monkeypatch.setattr(cross, "GROUP_SCHOOLS", 4)
    counts = _counts(schools=14, seed=3)
    gl = pd.DataFrame([(2023, school, "GL", gender, "core", pupils)
                       for school, pupils in (("00XX00", 3), ("13XX00", 2)) for gender in GENDERS], columns=counts.columns)
    counts = pd.concat([counts, gl], ignore_index=True)
    rounds = []
    real = cross.workers.solve_all
    monkeypatch.setattr(cross.workers, "solve_all", lambda function, jobs, sizes: rounds.append(len(jobs)) or real(function, jobs, sizes))
    table = cross.build(counts, cross.INFLOW)
    assert [jobs for jobs in rounds if jobs] == [4, 2, 1], "four groups, then two joined pairs, then the whole year"
    ranges = _ranges(table, counts)
    assert ranges[("00XX00", "GL", "V", "Ta")] and not {key: span for key, span in ranges.items() if span[1] - span[0] < 1 - 1e-6}


def test_a_groups_total_equal_to_a_hidden_small_count_is_an_equation_for_the_attacker(monkeypatch):
    """Found by review: in the first group only school 00 has GL pupils (4 girls) and only school 01 GT (3 girls);
    the group's totals of GL and GT are those schools' own counts. The total and the hidden '<5' have the same row;
    the interval check must read it as the known total it is (pinned: the group joins its neighbours), not as a
    '<5'. It read the '<5' and published the region's 8 GL girls beside two '<5's of 4."""
    monkeypatch.setattr(cross, "MODULAR_ABOVE", 10)
    monkeypatch.setattr(cross, "GROUP_SCHOOLS", 4)
    rare = [("00XX00", "GL", 4), ("01XX00", "GT", 3), ("13XX00", "GL", 4), ("12XX00", "GT", 3)]
    counts = _counts(schools=14, seed=3)
    counts = pd.concat([counts, pd.DataFrame([(2023, school, leerweg, "V", "core", pupils) for school, leerweg, pupils in rare],
                                             columns=counts.columns)], ignore_index=True)
    table = cross.build(counts, cross.INFLOW)
    ranges = _ranges(table, counts)
    assert any(scope == "00XX00" and leerweg == "GL" and measure == "Ta" for scope, leerweg, _, measure in ranges)
    assert not {key: span for key, span in ranges.items() if span[1] - span[0] < 1 - 1e-6}


def test_destinations_and_progression_in_groups_pin_no_small_count(years_in_groups, monkeypatch):
    """The destinations table (school cells unsplit only, both settings, never-shown 'ex' cells) in groups of four."""
    monkeypatch.setattr(cross, "MODULAR_ABOVE", 10)
    monkeypatch.setattr(cross, "GROUP_SCHOOLS", 4)
    model = cross.destination_model("vmbo")
    rng = np.random.default_rng(1)  # a seed whose region cells are all 0 or 5 or more (else the year is solved whole)
    rows = [(2023, f"{n:02d}XX00", leerweg, gender, profile, destination, int(rng.poisson(0.8)))
            for n in range(16) for leerweg, gender in itertools.product(("BB", "KB"), GENDERS)
            for profile, destination in itertools.product(CLASSES, cross.DESTINATIONS)]
    counts = pd.DataFrame(rows, columns=["school_year", "school_id", "leerweg", "gender", "profile_class", "destination", "pupils"])
    counts = counts[counts["pupils"] > 0].reset_index(drop=True)
    table = cross.build(counts, model)
    assert years_in_groups == [1], "the year ended in groups"
    ranges = _ranges(table, counts, model)
    assert len(ranges) > 30
    assert not {key: span for key, span in ranges.items() if span[1] - span[0] < 1 - 1e-6}


def test_groups_lose_about_what_the_whole_year_loses(monkeypatch):
    """Groups of a dozen schools hide at most a few more school cells of 5 or more than the whole year's solve."""
    counts = _counts(schools=40, seed=5)
    in_groups = cross.build(counts, cross.INFLOW)
    monkeypatch.setattr(cross, "MODULAR_ABOVE", 1000)
    whole = cross.build(counts, cross.INFLOW)

    def school_loss(table):
        cells = [i for (_, scope, _, _, measure), i in table.index.items()
                 if scope != cross.ALL and table.values[i] >= 5 and measure in ("P", "Ta", "Tb")]
        return table.hidden[cells].mean()

    assert school_loss(in_groups) <= school_loss(whole) + 0.05
    assert not np.array_equal(in_groups.hidden, whole.hidden), "the two ways gave one pattern: the split was not used"


def test_a_small_shown_region_cell_is_protected_over_the_whole_year_and_few_schools_keep_it_whole(years_in_groups):
    """The region's unknown-profile count is 3 (a cell views show as '<5'): the year ends in groups, and the check over
    the whole year leaves that count a range of a pupil. A year of MODULAR_ABOVE schools is solved whole."""
    counts = _counts(schools=cross.MODULAR_ABOVE + 6, seed=3)
    unknown = counts["profile_class"] == "unknown"
    first_unknown = counts.index[unknown][:3]
    with_small_region = pd.concat([counts[~unknown], counts.loc[first_unknown].assign(pupils=1)], ignore_index=True)
    table = cross.build(with_small_region, cross.INFLOW)
    assert years_in_groups == [1]
    ranges = _ranges(table, with_small_region)
    assert ranges[(cross.ALL, cross.ALL, cross.ALL, "U")][1] - ranges[(cross.ALL, cross.ALL, cross.ALL, "U")][0] >= 1 - 1e-6
    assert not {key: span for key, span in ranges.items() if span[1] - span[0] < 1 - 1e-6}
    cross.build(_counts(schools=cross.MODULAR_ABOVE, seed=3), cross.INFLOW)
    assert years_in_groups == [1], "30 schools: solved whole"


def test_a_group_that_fails_joins_its_neighbour():
    a, b, c = np.array([1]), np.array([2]), np.array([3])
    ok = np.zeros(1, dtype=bool)

    def schools(groups):
        return [(sorted(g.tolist()), result is None) for g, result in groups]

    assert schools(cross._merged_where_stuck([[a, ok], [b, None], [c, ok]])) == [([1], False), ([2, 3], True)]
    assert schools(cross._merged_where_stuck([[a, ok], [b, ok], [c, None]])) == [([1], False), ([2, 3], True)]
    assert schools(cross._merged_where_stuck([[a, None], [b, None], [c, None]])) == [([1, 2, 3], True)]
    assert schools(cross._merged_where_stuck([[a, None]])) == [([1], True)]


def test_destinations_with_small_region_cells_in_groups_pin_no_small_count(monkeypatch):
    """As on the national set's havo/vwo table: a few pupils of one origin go to a rare destination, so region cells
    (shown ones and never-shown 'ex' ones) hold 1-4. The region's own pattern hides region cells; the groups bound
    their shares of those and protect their shares of the small ones. Before, such a year was solved whole (on the
    national set: not within 10 minutes)."""
    monkeypatch.setattr(cross, "MODULAR_ABOVE", 10)
    monkeypatch.setattr(cross, "GROUP_SCHOOLS", 4)
    ended: list[list[bool]] = []
    real = cross._protect_in_groups
    monkeypatch.setattr(cross, "_protect_in_groups", lambda *args: ended.append(real(*args)) or ended[-1])
    model = cross.destination_model("havo-vwo")
    rng = np.random.default_rng(1)
    rows = [(2023, f"{n:02d}XX00", leerweg, gender, profile, destination, int(rng.poisson(0.8)))
            for n in range(16) for leerweg, gender in itertools.product(("havo", "vwo"), GENDERS)
            for profile, destination in itertools.product(CLASSES, cross.DESTINATIONS)]
    counts = pd.DataFrame(rows, columns=["school_year", "school_id", "leerweg", "gender", "profile_class", "destination", "pupils"])
    rare = (counts["leerweg"] == "vwo") & (counts["destination"] == "mbo_techniek")
    counts.loc[rare, "pupils"] = 0
    counts.loc[counts.index[rare][[3, 40, 77]], "pupils"] = 1  # three vwo pupils in three groups of schools
    counts = counts[counts["pupils"] > 0].reset_index(drop=True)
    table = cross.build(counts, model)
    region_small = [key for key, i in table.index.items() if key[1] == cross.ALL and 1 <= table.values[i] <= 4]
    assert region_small, "the region has small cells"
    assert ended == [[True]], "the year ended in groups, its region pattern hiding region cells"
    ranges = _ranges(table, counts, model)
    assert any(key[0] == cross.ALL for key in ranges), "the region's small cells are among the counts checked"
    assert not {key: span for key, span in ranges.items() if span[1] - span[0] < 1 - 1e-6}


def test_a_groups_share_of_a_hidden_region_cell_keeps_the_bounds_of_that_cell(monkeypatch):
    """Three schools with GL pupils, in two groups: the region's GL cells hold 1-4 and are hidden ('<5'). A group's
    share of such a cell is not known, but the attacker knows that it lies within the cell's bounds less the other
    groups' shares; without those bounds in the group's problem, 12 counts were pinned (the region's GL boys of an
    'other' profile at 1 among them), found by a search over cases like this one."""
    monkeypatch.setattr(cross, "MODULAR_ABOVE", 10)
    monkeypatch.setattr(cross, "GROUP_SCHOOLS", 4)
    gl = [("07XX00", "M", "core", 4), ("07XX00", "M", "other", 1), ("07XX00", "V", "core", 1), ("07XX00", "V", "other", 3),
          ("06XX00", "V", "core", 3), ("04XX00", "M", "core", 2), ("04XX00", "V", "other", 4)]
    counts = _counts(schools=14, seed=9)
    counts = pd.concat([counts, pd.DataFrame([(2023, school, "GL", gender, profile, pupils) for school, gender, profile, pupils in gl],
                                             columns=counts.columns)], ignore_index=True)
    table = cross.build(counts, cross.INFLOW)
    assert table.hidden[table.index[(2023, cross.ALL, "GL", "V", "Ta")]], "a small region cell (4), hidden"
    ranges = _ranges(table, counts)
    assert (cross.ALL, "GL", "M", "O") in ranges
    assert not {key: span for key, span in ranges.items() if span[1] - span[0] < 1 - 1e-6}


def test_a_schools_zero_inside_a_small_region_cell_stays_hidden_in_groups(monkeypatch):
    """Found by review: the region's GL girls of the core profile are 2 (schools 00 and 07), hidden as '<5'. School 10
    has GL girls too, none of them in the core profile: its GL cells of Ta and Tb are 0, which tells that neither of
    the region's 2 is there. A whole year's solve hides such a 0 (a 0 inside a small cell); in groups the region cell
    is not in the group's problem as a small count, and the 0s were shown."""
    monkeypatch.setattr(cross, "MODULAR_ABOVE", 10)
    monkeypatch.setattr(cross, "GROUP_SCHOOLS", 4)
    counts = _counts(schools=14, seed=3)
    extra = [("10XX00", "GL", "V", "other", 7), ("07XX00", "GL", "V", "core", 1), ("00XX00", "GL", "V", "core", 1)]
    extra += [("10XX00", leerweg, gender, "core", 8) for leerweg in LEERWEGEN for gender in GENDERS]
    counts = pd.concat([counts, pd.DataFrame([(2023, *row) for row in extra], columns=counts.columns)], ignore_index=True)
    counts = counts.groupby(list(counts.columns[:-1]), as_index=False)["pupils"].sum()
    table = cross.build(counts, cross.INFLOW)
    assert table.values[table.index[(2023, cross.ALL, "GL", cross.ALL, "Ta")]] == 2
    zeros = [(2023, "10XX00", "GL", gender, measure) for gender in (cross.ALL, "V") for measure in ("Ta", "Tb")]
    assert [int(table.values[table.index[key]]) for key in zeros] == [0, 0, 0, 0]
    assert all(table.hidden[table.index[key]] for key in zeros), "a school's 0 inside the region's 2 is hidden"
