"""Hand-computed cases for every metric and every edge case of docs/metrics.md."""

import math

import pytest

from sto_metrics.metrics import calculations, registry
from sto_metrics.settings import MetricSettings, PopulationFilter
from sto_metrics.stats import wilson_interval

DP = MetricSettings(dp_technical=True)
ANY_N = MetricSettings(havo_vwo_technical="n")
ALL_GRADUATES = MetricSettings(progression_denominator="all_graduates")


def row(table, **where):
    selected = table
    for column, value in where.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1, f"expected one row for {where}, got {len(selected)}"
    return selected.iloc[0].to_dict()


# ---------------------------------------------------------------- Wilson


def test_wilson_against_hand_computed_value():
    # p = 0.3, n = 10, z = 1.96: centre 0.355504, half-width 0.247713
    low, high = wilson_interval(3, 10)
    assert low == pytest.approx(0.107791, abs=1e-6)
    assert high == pytest.approx(0.603222, abs=1e-6)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


# ---------------------------------------------------------------- inflow


def test_inflow_counts_known_profiles_and_reports_unknown_beside(pupil_db):
    pupil_db.vo("a", 2022, profile="BWI").vo("b", 2022, profile="PIE").vo("c", 2022, profile="Z&W")
    pupil_db.vo("d", 2022, profile=None, unknown=True)  # value not in the reference table
    pupil_db.vo("e", 2022, profile=None)  # no profile
    pupil_db.vo("f", 2022, profile="NT")  # a havo/vwo profile on a vmbo record: not a known vmbo profile
    pupil_db.vo("g", 2022, leerjaar=2, profile="BWI")  # leerjaar 2: not in the inflow
    con = pupil_db.flush()
    table = calculations.inflow(con)
    assert list(table.columns) == calculations.INFLOW_COLUMNS
    r = row(table, school_year="2022-2023")
    assert (r["scope"], r["scope_name"], r["split"]) == ("regio", "Regio", None)
    assert (r["pupils"], r["technical"], r["unknown_profile"]) == (3, 2, 3)
    assert r["share"] == pytest.approx(2 / 3)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(wilson_interval(2, 3))


def test_inflow_repeater_counts_in_both_years(pupil_db):
    pupil_db.vo("a", 2021, profile="BWI").vo("a", 2022, profile="BWI").vo("b", 2022, profile="E&O")
    table = calculations.inflow(pupil_db.flush())
    assert row(table, school_year="2021-2022")["pupils"] == 1
    assert (row(table, school_year="2022-2023")["pupils"], row(table, school_year="2022-2023")["technical"]) == (2, 1)


def test_inflow_pupil_in_two_schools_counts_once_at_highest_leerjaar_then_smallest_school(pupil_db):
    pupil_db.vo("a", 2022, school="31XB00", leerjaar=3, profile="BWI").vo("a", 2022, school="31XA00", leerjaar=2)
    pupil_db.vo("b", 2022, school="31XB00", leerjaar=3, profile="BWI").vo("b", 2022, school="31XA00", leerjaar=3, profile="Z&W")
    table = calculations.inflow(pupil_db.flush(), by="school")
    assert list(table["scope"]) == ["31XA00", "31XB00"]
    a, b = row(table, scope="31XA00"), row(table, scope="31XB00")
    assert (a["pupils"], a["technical"], a["scope_name"]) == (1, 0, "Vmbo 't Zaanhuis")  # b's record at 31XA00 (smaller id)
    assert (b["pupils"], b["technical"]) == (1, 1)  # a's record in leerjaar 3 at 31XB00


def test_inflow_dp_setting_and_tl_sector(pupil_db):
    pupil_db.vo("a", 2022, profile="D&P").vo("b", 2022, profile="MVI").vo("c", 2022, leerweg="TL", profile="TL_TECHNIEK")
    pupil_db.vo("d", 2022, leerweg="TL", profile="TL_ZORG")
    con = pupil_db.flush()
    assert row(calculations.inflow(con), school_year="2022-2023")["technical"] == 2
    assert row(calculations.inflow(con, settings=DP), school_year="2022-2023")["technical"] == 3
    by_leerweg = calculations.inflow(con, split="leerweg")
    assert list(by_leerweg["split"]) == ["BB", "TL"]
    assert (row(by_leerweg, split="TL")["pupils"], row(by_leerweg, split="TL")["technical"]) == (2, 1)


def test_inflow_havo_vwo_combined_profiles_under_both_settings(pupil_db):
    for pupil, profile in [("a", "NT"), ("b", "NT/NG"), ("c", "NG"), ("d", "NG/EM"), ("e", "EM/CM")]:
        pupil_db.vo(pupil, 2022, type="havo", leerjaar=4, profile=profile)
    pupil_db.vo("f", 2022, type="vwo", leerjaar=4, profile="CM", gender="V")
    pupil_db.vo("g", 2022, type="havo", leerjaar=3, profile="NT")  # leerjaar 3: not in the inflow
    con = pupil_db.flush()
    default = row(calculations.inflow(con, "havo-vwo"), school_year="2022-2023")
    assert (default["pupils"], default["technical"]) == (6, 2)  # NT, NT/NG (CBS)
    every_n = row(calculations.inflow(con, "havo-vwo", settings=ANY_N), school_year="2022-2023")
    assert (every_n["pupils"], every_n["technical"]) == (6, 4)  # + NG, NG/EM (Techniekpact)
    by_type = calculations.inflow(con, "havo-vwo", split="leerweg")
    assert list(by_type["split"]) == ["havo", "vwo"]
    by_gender = calculations.inflow(con, "havo-vwo", split="geslacht")
    assert (row(by_gender, split="M")["pupils"], row(by_gender, split="V")["pupils"]) == (5, 1)


def test_inflow_zero_denominator_gives_empty_share(pupil_db):
    pupil_db.vo("a", 2022, profile=None)
    r = row(calculations.inflow(pupil_db.flush()), school_year="2022-2023")
    assert (r["pupils"], r["technical"], r["unknown_profile"]) == (0, 0, 1)
    assert math.isnan(r["share"]) and math.isnan(r["ci_low"]) and math.isnan(r["ci_high"])


def test_inflow_population_filter(pupil_db):
    pupil_db.vo("a", 2022, profile="BWI", gender="V").vo("b", 2022, profile="BWI", leerweg="KB").vo("c", 2021, profile="GR")
    con = pupil_db.flush()
    assert list(calculations.inflow(con, population=PopulationFilter(genders=("V",)))["pupils"]) == [1]
    assert list(calculations.inflow(con, population=PopulationFilter(leerwegen=("KB",)))["pupils"]) == [1]
    assert list(calculations.inflow(con, population=PopulationFilter(school_years=(2021,)))["school_year"]) == ["2021-2022"]


# ---------------------------------------------------------------- destinations


def _graduate(db, pupil, year=2022, **kwargs):
    kwargs.setdefault("leerjaar", 4)
    kwargs.setdefault("profile", "BWI")
    return db.vo(pupil, year, diploma=True, **kwargs)


def test_destinations_priority_dual_enrolment_and_not_found(pupil_db):
    _graduate(pupil_db, "ho_and_mbo").ho("ho_and_mbo", 2023, "ECONOMIE").mbo("ho_and_mbo", 2023, "TECHNIEK")  # ho wins
    _graduate(pupil_db, "mbo_and_vo").mbo("mbo_and_vo", 2023, "TECHNIEK").vo("mbo_and_vo", 2023, type="havo", leerjaar=4)
    _graduate(pupil_db, "dual_mbo").mbo("dual_mbo", 2023, "ECONOMIE").mbo("dual_mbo", 2023, "TECHNIEK")  # any technical
    _graduate(pupil_db, "mbo_other", profile="Z&W").mbo("mbo_other", 2023, None)  # unknown sector: not technical
    _graduate(pupil_db, "to_havo", leerweg="TL", profile="TL_ZORG").vo("to_havo", 2023, type="havo", leerjaar=4, school="31XD00")
    _graduate(pupil_db, "gone", profile="E&O")
    pupil_db.vo("no_diploma", 2022, leerjaar=4, profile="BWI").mbo("no_diploma", 2023)  # not in the cohort
    pupil_db.mbo("ho_wrong_year", 2022)  # mbo data for 2022 only: cohort 2021 is empty, so no rows
    table = calculations.destinations(pupil_db.flush())
    assert list(table.columns) == calculations.DESTINATION_COLUMNS
    assert list(table["school_year"]) == ["2022-2023"] * 3
    assert list(table["from_group"]) == ["techniek", "overig", "totaal"]
    total = row(table, from_group="totaal")
    assert total["graduates"] == 6
    assert [total[d] for d in calculations.DESTINATIONS] == [0, 1, 2, 1, 1, 1]
    technical = row(table, from_group="techniek")
    assert (technical["graduates"], technical["ho_overig"], technical["mbo_techniek"]) == (3, 1, 2)
    other = row(table, from_group="overig")
    assert (other["graduates"], other["mbo_overig"], other["vo"], other["niet_gevonden"]) == (3, 1, 1, 1)


def test_destinations_cohort_not_yet_known_is_left_out(pupil_db):
    _graduate(pupil_db, "a", 2022)
    _graduate(pupil_db, "b", 2023).mbo("a", 2023)
    con = pupil_db.flush()
    # mbo data for 2023 (destinations of cohort 2022) but none for 2024: cohort 2023 is not shown
    assert list(calculations.destinations(con)["school_year"].unique()) == ["2022-2023"]
    empty = calculations.destinations(con, "havo-vwo")
    assert list(empty.columns) == calculations.DESTINATION_COLUMNS and empty.empty


def test_destinations_use_the_school_of_the_diploma_record(pupil_db):
    pupil_db.vo("a", 2021, school="31XB00", leerjaar=3, profile="BWI")
    _graduate(pupil_db, "a", 2022, school="31XA00").mbo("a", 2023)
    table = calculations.destinations(pupil_db.flush(), by="school")
    assert set(table["scope"]) == {"31XA00"}
    assert row(table, from_group="totaal")["mbo_techniek"] == 1


def test_destinations_from_group_follows_dp_setting(pupil_db):
    _graduate(pupil_db, "a", profile="D&P").mbo("a", 2023)
    con = pupil_db.flush()
    assert row(calculations.destinations(con), from_group="overig")["graduates"] == 1
    assert row(calculations.destinations(con, settings=DP), from_group="techniek")["graduates"] == 1


# ---------------------------------------------------------------- progression


def test_progression_vmbo_behoud_instap_and_all_graduates_setting(pupil_db):
    _graduate(pupil_db, "t1").mbo("t1", 2023, "TECHNIEK")  # behoud
    _graduate(pupil_db, "t2").mbo("t2", 2023, "ECONOMIE")
    _graduate(pupil_db, "t3").ho("t3", 2023, "TECHNIEK")  # ho: not in the mbo denominator
    _graduate(pupil_db, "o1", profile="Z&W").mbo("o1", 2023, "TECHNIEK")  # instap
    _graduate(pupil_db, "o2", profile="Z&W")  # not found
    con = pupil_db.flush()
    table = calculations.progression(con)
    assert list(table.columns) == calculations.PROGRESSION_COLUMNS
    assert [(r["from_group"], r["enrolled"], r["technical"]) for r in table.to_dict("records")] == [
        ("techniek", 2, 1), ("overig", 1, 1), ("totaal", 3, 2),
    ]
    assert row(table, from_group="totaal")["share"] == pytest.approx(2 / 3)
    everyone = calculations.progression(con, settings=ALL_GRADUATES)
    assert [(r["enrolled"], r["technical"]) for r in everyone.to_dict("records")] == [(3, 1), (2, 1), (5, 2)]


def test_progression_havo_vwo_split_by_nt_profile(pupil_db):
    for pupil, profile, sector in [("a", "NT", "TECHNIEK"), ("b", "NT", "ECONOMIE"), ("c", "NG", "TECHNIEK"), ("d", "EM", None)]:
        _graduate(pupil_db, pupil, type="vwo", leerjaar=6, profile=profile).ho(pupil, 2023, sector, ho_type="wo")
    _graduate(pupil_db, "e", type="havo", leerjaar=5, profile="EM").mbo("e", 2023)  # mbo: not in the ho denominator
    con = pupil_db.flush()
    table = calculations.progression(con, "havo-vwo")
    assert [(r["from_group"], r["enrolled"], r["technical"]) for r in table.to_dict("records")] == [
        ("techniek", 2, 1), ("overig", 2, 1), ("totaal", 4, 2),
    ]
    every_n = calculations.progression(con, "havo-vwo", settings=ANY_N)
    assert [(r["enrolled"], r["technical"]) for r in every_n.to_dict("records")] == [(3, 2), (1, 0), (4, 2)]


# ---------------------------------------------------------------- cohort flow


def test_cohort_flow_nodes_and_links(pupil_db):
    # a: technical all the way to mbo techniek; b: other profile, diploma, not found; c: leaves after leerjaar 2
    for pupil, profile in [("a", "BWI"), ("b", "E&O")]:
        pupil_db.vo(pupil, 2019, leerjaar=2).vo(pupil, 2020, leerjaar=3, profile=profile)
        pupil_db.vo(pupil, 2021, leerjaar=4, profile=profile, diploma=True)
    pupil_db.vo("c", 2019, leerjaar=2)
    pupil_db.vo("x", 2021, leerjaar=1).mbo("a", 2022, "TECHNIEK")
    nodes, links = calculations.cohort_flow(pupil_db.flush(), 2019)
    assert list(nodes.columns) == calculations.FLOW_NODE_COLUMNS and list(links.columns) == calculations.FLOW_LINK_COLUMNS
    assert {node: n for node, n in zip(nodes["node"], nodes["pupils"], strict=True) if n} == {
        "start": 3, "lj3_techniek": 1, "lj3_overig": 1, "lj3_elders": 1,
        "diploma_techniek": 1, "diploma_overig": 1, "geen_diploma": 1, "mbo_techniek": 1, "niet_gevonden": 1,
    }
    assert ("lj3_elders", "geen_diploma", 1) in set(links.itertuples(index=False, name=None))
    assert ("diploma_techniek", "mbo_techniek", 1) in set(links.itertuples(index=False, name=None))
    # every possible link is listed, zeros too, so that a listed link tells nothing: 3 + 3 x 3 + 2 x 6
    assert len(links) == 24 and ("lj3_techniek", "diploma_overig", 0) in set(links.itertuples(index=False, name=None))


def test_cohort_flow_leaves_out_stages_without_data(pupil_db):
    pupil_db.vo("a", 2019, leerjaar=2).vo("a", 2020, leerjaar=3, profile="BWI")
    nodes, links = calculations.cohort_flow(pupil_db.flush(), 2019)
    assert list(nodes["node"]) == ["start", "lj3_techniek", "lj3_overig", "lj3_elders"]
    assert list(nodes["pupils"]) == [1, 1, 0, 0] and set(links["source"]) == {"start"}


def _retention_region(pupil_db):
    """Hand-made pupils around leerjaar 3 (2020) -> 4 (2021); schools A = 31XA00, B = 31XB00."""
    A, B = "31XA00", "31XB00"
    (pupil_db
     .vo("kept", 2020, school=A, profile="BWI").vo("kept", 2021, school=A, leerjaar=4, profile="BWI")
     .vo("left", 2020, school=A, profile="PIE", gender="V").vo("left", 2021, school=A, leerjaar=4, profile="Z&W", gender="V")
     .vo("repeats", 2020, school=A, profile="BWI").vo("repeats", 2021, school=A, leerjaar=3, profile="BWI")
     .vo("unknown", 2020, school=A, profile="BWI").vo("unknown", 2021, school=A, leerjaar=4, profile="XX")
     .vo("dp", 2020, school=A, profile="D&P").vo("dp", 2021, school=A, leerjaar=4, profile="D&P")
     .vo("never", 2020, school=A, profile="Z&W").vo("never", 2021, school=A, leerjaar=4, profile="BWI")
     .vo("two", 2020, school=B, profile="MVI").vo("two", 2020, school=A, leerjaar=2)  # chosen: leerjaar 3 at B
     .vo("two", 2021, school=A, leerjaar=4, profile="MVI")  # counts for B, the school of the leerjaar-3 record
     .vo("havo", 2020, school=A, profile="BWI").vo("havo", 2021, school="31XC00", type="havo", leerjaar=4, profile="NT")
     .vo("late", 2021, school=A, profile="BWI"))  # no vo data of 2022: cohort 2021 does not appear
    return pupil_db.flush()


def test_retention_hand_computed(pupil_db):
    con = _retention_region(pupil_db)
    region = calculations.retention(con)
    assert list(region["school_year"]) == ["2020-2021"]
    found = row(region, scope="regio")
    assert (found["pupils"], found["retained"]) == (3, 2)  # kept, left, two; kept and two stay
    assert found["share"] == pytest.approx(2 / 3)
    schools = calculations.retention(con, by="school")
    assert {r["scope"]: (r["pupils"], r["retained"]) for r in schools.to_dict("records")} == {"31XA00": (2, 1), "31XB00": (1, 1)}
    with_dp = calculations.retention(con, settings=DP)
    assert (row(with_dp, scope="regio")["pupils"], row(with_dp, scope="regio")["retained"]) == (4, 3)  # dp counts now, and stays
    girls = calculations.retention(con, population=PopulationFilter(genders=("V",)))
    assert (row(girls, scope="regio")["pupils"], row(girls, scope="regio")["retained"]) == (1, 0)


def test_every_metric_is_declared_with_a_definition_reflecting_settings():
    assert {registry.of(m, level).name for m in ("inflow", "destinations", "progression") for level in registry.LEVELS} <= set(registry.METRICS)
    vmbo = registry.METRICS["inflow_vmbo"]
    assert "D&P telt niet mee" in vmbo.definition_nl() and "D&P telt mee" in vmbo.definition_nl(DP)
    havo = registry.METRICS["inflow_havo_vwo"]
    assert "NT bevat" in havo.definition_nl() and "elk profiel met een N" in havo.definition_nl(ANY_N)
    progression = registry.METRICS["progression_vmbo"]
    assert "in het mbo staan ingeschreven" in progression.definition_nl()
    assert "alle vmbo-gediplomeerden" in progression.definition_nl(ALL_GRADUATES)
    for definition in registry.METRICS.values():
        assert definition.label_nl and definition.unit in ("aandeel", "aantal") and len(definition.definition_nl()) > 80
