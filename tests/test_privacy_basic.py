"""suppression.suppress: primary rule on the synthetic region."""

from sto_metrics import db
from sto_metrics.metrics import calculations
from sto_metrics.privacy import suppression


def _is_small(value):
    return isinstance(value, int) and 1 <= value <= 4


def test_no_small_counts_and_no_small_share_denominators(metrics_synthetic_db):
    con = db.connect(metrics_synthetic_db, read_only=True)
    for level in calculations.LEVELS:
        for by in ("regio", "school"):
            table = suppression.suppress(calculations.inflow(con, level, by, "geslacht"))
            for column in ("pupils", "technical", "unknown_profile"):
                assert not any(_is_small(v) for v in table[column])
            shown = table[table["share"].notna()]
            assert all(isinstance(v, int) and v >= 10 for v in shown["pupils"])
            table = suppression.suppress(calculations.progression(con, level, by))
            shown = table[table["share"].notna()]
            assert all(isinstance(v, int) and v >= 10 for v in shown["enrolled"])


def test_destinations_per_school_with_a_filter_are_refused(metrics_synthetic_db, capsys):
    """A school's destination cells exist for all its pupils only: a school view with a leerweg or gender is refused
    (Dutch, exit 2), the region with a filter and a school without one are published, and the gate never shows a cell
    the protected table does not hold."""
    from sto_metrics import cli
    from sto_metrics.settings import PopulationFilter

    path = str(metrics_synthetic_db)
    for argv in (["destinations", "--by", "school", "--geslacht", "V"], ["progression", "--school", "31XA00", "--leerweg", "BB"]):
        assert cli.main([*argv, "--db", path]) == 2
        assert "Per school zijn bestemming, doorstroom en cohortstroom" in capsys.readouterr().err
    assert cli.main(["destinations", "--geslacht", "V", "--db", path]) == 0
    assert cli.main(["destinations", "--by", "school", "--db", path]) == 0
    capsys.readouterr()
    con = db.connect(metrics_synthetic_db, read_only=True)
    exact = calculations.destinations(con, "vmbo", "school", population=PopulationFilter(genders=("V",)))
    assert (exact["graduates"] >= 5).any()
    hidden = suppression.suppress(exact)  # called past published.table: every count hidden, none shown
    for column in ("graduates", *calculations.DESTINATIONS):
        assert all(value in ("<5", None) for value in hidden[column]), column


def test_a_view_with_no_cell_to_look_up_passes_the_gate_as_it_did(tmp_path, monkeypatch):
    """Edge cases of the gate's lookup (found by review of the vectorised lookup): activities without any vo enrolment
    (the reach table's protected table holds no cell), and a havo/vwo view filtered on two vmbo leerwegen (no row)."""
    from sto_metrics.metrics import activities
    from sto_metrics.settings import MetricSettings, PopulationFilter
    from tests.conftest import PupilDB

    monkeypatch.setenv("STO_CACHE_DIR", str(tmp_path))
    con = PupilDB(None).flush()
    con.execute("INSERT INTO activity VALUES (9, 'TC-A', 'Techcarrousel', 'techcarrousel', 2020, NULL, '31XA00', NULL, 2, 3, 0)")
    reach = suppression.suppress(activities.reach(con, by="school"))
    assert len(reach) == 1 and reach["participants"].tolist() == ["<5"]  # a head count of 3: primary only
    empty = calculations.inflow(con, "havo-vwo", "regio", None, MetricSettings(), PopulationFilter(leerwegen=("BB", "KB")))
    assert len(empty) == 0 and len(suppression.suppress(empty)) == 0
