"""Gender X costs nobody's figures: it counts with M, so the boys' and the girls' region rows are both shown."""

import pytest

from sto_metrics import db, published
from sto_metrics.demo import prebuilt


@pytest.fixture(scope="module")
def demo_con(tmp_path_factory):
    path = tmp_path_factory.mktemp("priority") / "demo.duckdb"
    prebuilt.build(path)
    con = db.connect(path, read_only=True)
    yield con
    con.close()


def test_boys_and_girls_region_inflow_are_shown_in_every_year(demo_con):
    x_pupils = db.run(demo_con, "inflow_cells", level="vmbo")  # the demo has a few gender-X pupils in leerjaar 3
    assert len(x_pupils) and demo_con.execute("SELECT count(*) FROM vo_enrolment WHERE gender = 'X' AND leerjaar = 3").fetchall()[0][0] >= 3
    shown = published.table(demo_con, "inflow_vmbo", split="geslacht")
    region = shown[shown["scope"] == "regio"]
    assert set(region["split"]) == {"M", "V"}
    for row in region.to_dict("records"):
        assert isinstance(row["pupils"], int) and row["pupils"] >= 10 and row["share"] == row["share"], row  # shown, share not NaN


def test_a_zero_is_hidden_as_the_complement_before_a_count_of_five_or_more():
    """total 23 = 3 + 0 + 20: beside the hidden 3, the 0 is hidden (written <5), not the 20; the total and 20 stay shown."""
    import numpy as np
    from scipy import sparse
    from scipy.optimize import linprog

    from sto_metrics.privacy import gauss, intervals

    matrix = sparse.csr_matrix(np.array([[1, 1, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]))  # cells: total, a, b, c
    values = np.array([23, 3, 0, 20])
    publishable, priority = np.ones(4, dtype=bool), np.array([10, 1, 1, 1])
    hidden = gauss.suppress(matrix, values, publishable, priority)
    assert hidden.tolist() == [False, True, True, False]
    assert intervals.protect(matrix, values, publishable, hidden, priority).tolist() == hidden.tolist()
    # the attacker: total and c as shown, a and b '<5' (0-4): a can still be 0 to 3
    bounds = [(0, 4), (0, 4), (20, 20)]
    low = linprog([1, 0, 0], A_eq=[[1, 1, 1]], b_eq=[23], bounds=bounds).fun
    high = -linprog([-1, 0, 0], A_eq=[[1, 1, 1]], b_eq=[23], bounds=bounds).fun
    assert (round(low), round(high)) == (0, 3)


def test_school_totals_come_before_the_regions_leerweg_and_gender_cells():
    from sto_metrics.privacy import cross

    region_total, school_total = cross.priority(cross.ALL, cross.ALL, cross.ALL, 0), cross.priority("31XA00", cross.ALL, cross.ALL, 0)
    region_split, school_split = cross.priority(cross.ALL, "BB", "V", 9), cross.priority("31XA00", "BB", cross.ALL, 9)
    assert region_total > school_total > region_split > school_split


def test_a_cell_another_table_shows_stays_shown_and_later_cells_are_checked_against_it():
    """Cells: a 2 (hidden), a+b = 9 (shown by the inflow table), b = 7. The public 9 is shown here too (hiding it would
    protect nothing; before, refusing it made the activity table hide a whole year, reach counts included), and the 7
    is then hidden, because 9 - 7 would give the 2 back."""
    import numpy as np
    from scipy import sparse

    from sto_metrics.privacy import gauss

    matrix = sparse.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]]))
    values = np.array([2, 9, 7])
    priority, publishable = np.array([1, 1, 50]), np.ones(3, dtype=bool)
    assert gauss.suppress(matrix, values, publishable, priority, public=np.array([False, True, False])).tolist() == [True, False, True]
    # a public cell is shown even where it gives a hidden count away with another public cell (the leak, if any, is
    # the other table's; hiding it here protects nothing)
    both_public = np.array([False, True, True])
    assert gauss.suppress(matrix, values, publishable, priority, public=both_public).tolist() == [True, False, False]
