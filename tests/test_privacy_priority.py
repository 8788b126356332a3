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
