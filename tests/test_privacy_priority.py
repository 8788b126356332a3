"""When a complement must be hidden, the girls' row stays visible: girls' inflow is an STO indicator."""

import pytest

from sto_metrics import db
from sto_metrics.demo import prebuilt
from sto_metrics.metrics import calculations
from sto_metrics.privacy import suppression


@pytest.fixture(scope="module")
def demo_con(tmp_path_factory):
    path = tmp_path_factory.mktemp("priority") / "demo.duckdb"
    prebuilt.build(path)
    con = db.connect(path, read_only=True)
    yield con
    con.close()


def test_region_girls_share_survives_a_rare_gender_x(demo_con):
    shown = suppression.suppress(calculations.inflow(demo_con, split="geslacht"))
    region = shown[shown["scope"] == "regio"]
    x_small = set(region[(region["split"] == "X") & (region["pupils"] == "<5")]["school_year"])
    assert len(x_small) >= 3  # the demo has 1-4 pupils of gender X in most years: the case is exercised
    girls = region[region["split"] == "V"].set_index("school_year")
    boys = region[region["split"] == "M"].set_index("school_year")
    for year in x_small:
        assert girls.loc[year, "share"] == girls.loc[year, "share"], year  # not NaN: shown
        assert boys.loc[year, "pupils"] is None  # the boys' row is the complement that hides X
