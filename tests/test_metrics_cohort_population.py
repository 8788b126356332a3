"""The cohort flow follows the sidebar's population filters through the pupils' leerjaar-2 record."""

from sto_metrics.metrics import calculations
from sto_metrics.settings import PopulationFilter


def _start(nodes):
    return int(nodes.loc[nodes["node"] == "start", "pupils"].iloc[0])


def test_gender_and_leerweg_filters_narrow_the_start_cohort(pupil_db):
    pupils = [("g1", "V", "BB"), ("g2", "V", "KB"), ("g3", "V", "BB"), ("b1", "M", "BB"), ("b2", "M", "TL")]
    for pupil, gender, leerweg in pupils:
        pupil_db.vo(pupil, 2020, leerjaar=2, gender=gender, leerweg=leerweg)
        pupil_db.vo(pupil, 2021, leerjaar=3, gender=gender, leerweg=leerweg, profile="BWI" if pupil in ("g1", "b1") else "Z&W")
    con = pupil_db.flush()
    everyone, _ = calculations.cohort_flow(con, start_year=2020)
    girls, girl_links = calculations.cohort_flow(con, start_year=2020, population=PopulationFilter(genders=("V",)))
    basis, _ = calculations.cohort_flow(con, start_year=2020, population=PopulationFilter(leerwegen=("BB",)))
    assert (_start(everyone), _start(girls), _start(basis)) == (5, 3, 3)
    technical = girl_links[(girl_links["source"] == "start") & (girl_links["target"] == "lj3_techniek")]["pupils"].tolist()
    assert technical == [1]  # only g1 chose a technical profile among the girls
