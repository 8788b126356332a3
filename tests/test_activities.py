"""Activities: loading the register and participant lists, and reach / activity-effect on hand-computed cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sto_metrics import published
from sto_metrics.errors import UserError
from sto_metrics.loading import activities as loading_activities
from sto_metrics.loading import loader
from sto_metrics.loading.reference import open_database
from sto_metrics.metrics import activities
from sto_metrics.settings import MetricSettings, PopulationFilter
from sto_metrics.stats import newcombe_difference, wilson_interval
from tests.loader_support import all_text_in_database, csv_text, table_checksums

VO_HEADER = ["leerlingnummer", "schooljaar", "brinvestiging", "onderwijstype", "leerjaar", "profiel", "geslacht"]
# Twelve vmbo-KB pupils of 31XA00: leerjaar 2 in 2022-2023, leerjaar 3 in 2023-2024 (keys with leading zeros, as a
# school system writes them); two pupils in leerjaar 1 in 2022-2023.
PROFILES_2023 = {101: "BWI", 102: "PIE", 103: "BWI", 104: "Z&W", 105: "E&O", 106: "MVI",
                 107: "BWI", 108: "Z&W", 109: "E&O", 110: "Z&W", 111: "E&O", 112: "D&P"}
VO_ROWS = (
    [[f"000{k}", "2022-2023", "31XA00", "VMBO-KB", "2", "", "V" if k % 2 else "M"] for k in PROFILES_2023]
    + [["000201", "2022-2023", "31XA00", "VMBO-KB", "1", "", "M"], ["000202", "2022-2023", "31XA00", "VMBO-KB", "1", "", "V"]]
    + [[f"000{k}", "2023-2024", "31XA00", "VMBO-KB", "3", p, "V" if k % 2 else "M"] for k, p in PROFILES_2023.items()]
)
REGISTER_HEADER = ["activiteit_id", "naam", "soort", "schooljaar", "datum", "school", "leerjaar", "deelnemers", "meisjes"]
REGISTER_ROWS = [
    ["A1", "Techniekweek", "Week van de techniek", "2022-2023", "10-10-2022", "OBS De Linde", "8", "48", "20"],  # no vo school
    ["A2", "Techcarrousel", "techcarrousel", "2022-2023", "", "31XA00", "2", "14", "6"],  # 14 head counts, 12 enrolled
    ["A3", "Meeloopdag", "meeloopdagen", "2022-2023", "2023-03-14", "31XA00", "2", "3", ""],  # girls not registered
    ["A4", "Meeloopdag", "meeloopdag", "2022-2023", "2023-03-21", "31XA 00", "1", "2", "1"],
]
# Excel dropped the leading zeros; 102 is listed twice; 999 is no pupil of the region; the name is not stored.
PARTICIPANT_ROWS = [["A2", k, "Naam" + k] for k in ("101", "102", "102", "103", "104", "105", "106", "999")]


pytestmark = pytest.mark.usefixtures("pupil_key_secret")


def _load(con, text: str, name: str, **options) -> loader.FileResult:
    return loader.load_bytes(con, name, text.encode("utf-8"), **options)


@pytest.fixture
def con(tmp_path):
    connection = open_database(tmp_path / "regio.duckdb")
    assert _load(connection, csv_text(VO_HEADER, VO_ROWS), "vo.csv").loaded
    register = _load(connection, csv_text(REGISTER_HEADER, REGISTER_ROWS), "activiteiten.csv")
    assert register.loaded and register.kind == "activiteiten" and register.rows_loaded == 4
    participants = _load(connection, csv_text(["activiteit_id", "leerlingnummer", "naam"], PARTICIPANT_ROWS), "deelnemers.csv")
    assert participants.loaded and participants.kind == "deelnemerslijst"
    yield connection
    connection.close()


# ---------------------------------------------------------------------------- loading


def test_participant_list_pseudonymised_deduplicated_and_names_dropped(con):
    result = loader.list_loads(con)
    problems = dict(zip(result.file_name, result.problems, strict=True))
    assert problems["deelnemers.csv"] == '{"dubbele_leerling": 1, "identificerende_kolom": 1}'
    assert con.execute("SELECT count(*) FROM activity_participant").fetchall() == [(7,)]  # 8 rows, 102 once
    # '101' (zeros dropped by Excel) is the same pupil as '000101' in the vo export
    linked = con.execute("SELECT count(DISTINCT p.pupil_hash) FROM activity_participant p JOIN vo_enrolment v USING (pupil_hash)").fetchall()
    assert linked == [(6,)]
    stored = all_text_in_database(con)
    assert "Naam101" not in stored and ";101" not in stored and "000101" not in stored
    assert loading_activities.not_found_problems(con) == [{"deelnemer_niet_gevonden": 1}]


def test_participant_messages_name_line_and_column(tmp_path):
    connection = open_database(tmp_path / "b.duckdb")
    _load(connection, csv_text(VO_HEADER, VO_ROWS), "vo.csv")
    _load(connection, csv_text(REGISTER_HEADER, REGISTER_ROWS), "activiteiten.csv")
    result = _load(connection, csv_text(["activiteit_id", "leerlingnummer", "naam"], PARTICIPANT_ROWS), "deelnemers.csv")
    text = " ".join(result.messages)
    assert "de eerste op regel 4, kolom 'leerlingnummer'" in text  # the second '102'
    assert "1 deelnemer(s) (nog) niet gevonden" in text and "regel 9" in text
    assert "niet opgeslagen: naam" in text


def test_register_rows_as_stored(con):
    rows = con.execute("SELECT activity_id, activity_type, school_year, school_id, school_label, leerjaar, participants, girls, "
                       "activity_date FROM activity ORDER BY activity_id").fetchall()
    assert [r[:8] for r in rows] == [
        ("A1", "techniekweek", 2022, None, "OBS De Linde", 8, 48, 20),
        ("A2", "techcarrousel", 2022, "31XA00", None, 2, 14, 6),
        ("A3", "meeloopdag", 2022, "31XA00", None, 2, 3, None),
        ("A4", "meeloopdag", 2022, "31XA00", None, 1, 2, 1),
    ]
    assert str(rows[0][8]) == "2022-10-10" and str(rows[2][8]) == "2023-03-14"


def test_reload_refused_and_replace_replaces(con):
    before = table_checksums(con)
    again = _load(con, csv_text(REGISTER_HEADER, REGISTER_ROWS), "activiteiten.csv")
    assert not again.loaded and "al geladen" in again.messages[0]
    changed = [row for row in REGISTER_ROWS if row[0] == "A3"]
    changed[0] = [*changed[0][:7], "4", "2"]
    overlap = _load(con, csv_text(REGISTER_HEADER, changed), "activiteiten_a3.csv")
    assert not overlap.loaded and "overlapt met lading 2" in overlap.messages[0] and "'A3'" in overlap.messages[0]
    assert table_checksums(con) == before
    replaced = _load(con, csv_text(REGISTER_HEADER, changed), "activiteiten_a3.csv", replace=True)
    assert replaced.loaded
    assert con.execute("SELECT participants, girls FROM activity WHERE activity_id = 'A3'").fetchall() == [(4, 2)]
    assert con.execute("SELECT replaced_by FROM load_log WHERE load_id = 2").fetchall() == [(replaced.load_id,)]
    assert con.execute("SELECT count(*) FROM activity").fetchall() == [(4,)]


@pytest.mark.parametrize(("row", "expected"), [
    (["A9", "x", "gokkast", "2022-2023", "", "31XA00", "2", "5", "1"], "kolom 'soort' is een onbekende soort activiteit (voeg hem toe aan data/reference/activity_types.csv"),
    (["A9", "x", "gastles", "2022", "", "31XA00", "2", "vijf", "1"], "kolom 'deelnemers' is geen aantal"),
    (["A9", "x", "gastles", "22/23/24", "", "31XA00", "2", "5", "1"], "kolom 'schooljaar' heeft een onbekend schooljaarformaat"),
    (["A9", "x", "gastles", "2022-2023", "", "31XA00", "2", "5", "6"], "kolom 'meisjes' is groter dan het aantal deelnemers"),
    (["A9", "x", "gastles", "2022-2023", "31-02-2023", "31XA00", "2", "5", "1"], "kolom 'datum' is geen datum"),
    (["", "x", "gastles", "2022-2023", "", "31XA00", "2", "5", "1"], "kolom 'activiteit_id' is leeg"),
])
def test_bad_register_refused_with_line_and_column(con, row, expected):
    before = table_checksums(con)
    result = _load(con, csv_text(REGISTER_HEADER, [REGISTER_ROWS[1][:], row]), "fout.csv")
    assert not result.loaded
    assert expected.lower() in result.messages[0].lower() and "op regel 3" in result.messages[0]
    assert table_checksums(con) == before


def test_participant_of_unknown_activity_refused(con):
    before = table_checksums(con)
    result = _load(con, csv_text(["activiteit_id", "leerlingnummer"], [["A2", "107"], ["ZZ", "108"]]), "lijst.csv")
    assert not result.loaded and "niet in het activiteitenregister" in result.messages[0] and "regel 3" in result.messages[0]
    assert table_checksums(con) == before


def test_remove_load_takes_out_the_activities(con):
    loads = loader.list_loads(con)
    register_id = int(loads.loc[loads.file_name == "activiteiten.csv", "load_id"].iloc[0])
    loader.remove_load(con, register_id)
    assert con.execute("SELECT count(*) FROM activity").fetchall() == [(0,)]


def test_region_may_add_its_own_kind(tmp_path, monkeypatch):
    import shutil

    from sto_metrics.paths import DATA_DIR

    reference = tmp_path / "reference"
    shutil.copytree(DATA_DIR / "reference", reference)
    with open(reference / "activity_types.csv", "a", encoding="utf-8") as handle:
        handle.write("hackathon,Hackathon,hackathons|codeerdag\n")
    monkeypatch.setenv("STO_REFERENCE_DIR", str(reference))
    connection = open_database(tmp_path / "eigen.duckdb")
    result = _load(connection, csv_text(REGISTER_HEADER, [["H1", "Codeerdag", "Codeerdag", "2023-2024", "", "", "", "30", "9"]]), "r.csv")
    assert result.loaded
    assert connection.execute("SELECT activity_type FROM activity").fetchall() == [("hackathon",)]


# ---------------------------------------------------------------------------- reach, by hand


def test_reach_by_hand(con):
    table = published.exact_table(con, "reach", by="school")
    assert list(table.columns) == activities.REACH_COLUMNS
    rows = {(r.scope, r.activity_type): r for r in table.itertuples(index=False)}
    assert set(rows) == {("31XA00", "meeloopdag"), ("31XA00", "techcarrousel"), ("regio", "techniekweek")}
    carrousel = rows[("31XA00", "techcarrousel")]
    assert (carrousel.activities, carrousel.participants, carrousel.girls, carrousel.enrolled) == (1, 14, 6, 12)
    assert carrousel.reach_share == 1.0  # 14 head counts over 12 pupils: capped, and participants > enrolled marks it
    meeloop = rows[("31XA00", "meeloopdag")]
    # two activities, leerjaar 1 and 2: enrolled is both leerjaren (2 + 12); the empty 'meisjes' counts 0
    assert (meeloop.activities, meeloop.participants, meeloop.girls, meeloop.enrolled) == (2, 5, 1, 14)
    assert meeloop.reach_share == pytest.approx(5 / 14)
    week = rows[("regio", "techniekweek")]
    assert (week.scope_name, week.activities, week.participants, week.girls) == ("Regio", 1, 48, 20)
    assert pd.isna(week.enrolled) and math.isnan(week.reach_share)
    assert set(table.school_year) == {"2022-2023"}


def test_reach_published_hides_small_head_counts_and_enrolment(con):
    table = published.table(con, "reach", by="school")
    rows = {(r.scope, r.activity_type): r for r in table.itertuples(index=False)}
    assert rows[("31XA00", "meeloopdag")].girls == "<5" and rows[("31XA00", "meeloopdag")].participants == 5
    assert rows[("31XA00", "techcarrousel")].participants == 14 and rows[("31XA00", "techcarrousel")].girls == 6
    assert rows[("regio", "techniekweek")].participants == 48 and rows[("regio", "techniekweek")].enrolled is None
    # enrolment: leerjaar 1 holds 2 pupils, so leerjaar 1-2 (14) and leerjaar 2 (12) together would give it away
    shown = [rows[("31XA00", k)].enrolled for k in ("meeloopdag", "techcarrousel")]
    assert not all(isinstance(v, int) for v in shown)


def test_reach_refuses_leerweg_and_gender_filters(con):
    with pytest.raises(UserError, match="niet uit te splitsen"):
        published.table(con, "reach", by="school", population=PopulationFilter(genders=("V",)))


# ---------------------------------------------------------------------------- activity effect, by hand


def test_activity_effect_by_hand(con):
    table = published.exact_table(con, "activity_effect", by="regio")
    assert list(table.columns) == activities.EFFECT_COLUMNS
    assert table[["school_year", "scope", "group", "pupils", "technical"]].values.tolist() == [
        ["2023-2024", "regio", "deelnemers", 6, 4],  # 101, 102, 103, 106 technical; 104, 105 not
        ["2023-2024", "regio", "niet-deelnemers", 6, 1],  # only 107 (D&P of 112 is not technical by default)
    ]
    low, high = wilson_interval(4, 6)
    assert table.share[0] == pytest.approx(4 / 6) and (table.ci_low[0], table.ci_high[0]) == pytest.approx((low, high))
    with_dp = published.exact_table(con, "activity_effect", by="school", settings=MetricSettings(dp_technical=True))
    assert with_dp[["scope", "group", "technical"]].values.tolist() == [["31XA00", "deelnemers", 4], ["31XA00", "niet-deelnemers", 2]]
    with pytest.raises(UserError, match="niet per leerweg of geslacht"):
        published.exact_table(con, "activity_effect", population=PopulationFilter(genders=("V",)))
    school = published.exact_table(con, "activity_effect", population=PopulationFilter(school_ids=("31XA00",)))
    assert school[["scope", "pupils"]].values.tolist() == [["31XA00", 6], ["31XA00", 6]]


def test_group_difference_newcombe(con):
    table = published.exact_table(con, "activity_effect", by="regio")
    difference = activities.group_difference(table)
    (d_low, d_high), (n_low, n_high) = wilson_interval(4, 6), wilson_interval(1, 6)
    expected = newcombe_difference(4 / 6, d_low, d_high, 1 / 6, n_low, n_high)
    assert difference.difference[0] == pytest.approx(0.5)
    assert (difference.diff_low[0], difference.diff_high[0]) == pytest.approx((float(expected[1]), float(expected[2])))
    assert difference.diff_low[0] < 0.5 < difference.diff_high[0] <= 1


def test_activity_effect_published_hides_small_groups(con):
    table = published.table(con, "activity_effect", by="regio")
    assert table.pupils.tolist() == [6, 6] and table.technical.tolist() == ["<5", "<5"]
    assert table.share.isna().all()  # 6 pupils: below the share threshold of 10


def test_cohort_participation_by_hand(con):
    # leerjaar 3 in 2023-2024: 12 pupils with a known profile, 6 on A2's list in 2022-2023 (999 is no pupil)
    for table in (published.exact_table(con, "activity_effect", by="regio"), published.table(con, "activity_effect", by="regio")):
        participation = activities.cohort_participation(table)
        assert list(participation.columns) == activities.PARTICIPATION_COLUMNS
        assert participation[["school_year", "scope", "pupils", "took_part"]].values.tolist() == [["2023-2024", "regio", 12, 6]]
        assert type(participation.pupils[0]) is int and type(participation.took_part[0]) is int
        assert participation.share[0] == pytest.approx(0.5)
        assert (participation.ci_low[0], participation.ci_high[0]) == pytest.approx(wilson_interval(6, 12))
    # under the share threshold (12 < 20) the share is empty; a hidden group count empties the row
    assert math.isnan(activities.cohort_participation(published.exact_table(con, "activity_effect"), 20).share[0])
    hidden = published.table(con, "activity_effect", by="regio").assign(pupils=["<5", 6])
    participation = activities.cohort_participation(hidden)
    assert participation.pupils[0] is None and participation.took_part[0] is None and math.isnan(participation.share[0])


# ---------------------------------------------------------------------------- distinct pupils reached, by hand


def test_reach_pupils_by_hand(con):
    # A2 (2022-2023): 101-106 are pupils of 31XA00 that year ('101' is '000101', 102 listed twice counts once); 999 is none
    for by, scope in (("school", "31XA00"), ("regio", "regio")):
        table = published.exact_table(con, "reach_pupils", by=by)
        assert list(table.columns) == activities.REACHED_COLUMNS
        assert table[["school_year", "scope", "pupils_reached"]].values.tolist() == [["2022-2023", scope, 6]]
    # all six are the participants of leerjaar 3 a year later: nothing to hide beside the comparison's 6
    assert published.table(con, "reach_pupils", by="school").pupils_reached.tolist() == [6]
    assert published.table(con, "reach_pupils", by="regio").pupils_reached.tolist() == [6]
    assert published.table(con, "reach_pupils", population=PopulationFilter(school_ids=("31XA00",))).scope.tolist() == ["31XA00"]
    with pytest.raises(UserError, match="niet per leerweg of geslacht"):
        published.table(con, "reach_pupils", population=PopulationFilter(genders=("V",)))


def test_reach_pupils_and_the_comparison_protect_each_other(con):
    # A4 (leerjaar 1, 2022-2023) lists 201, 202 and 101 again: 8 distinct pupils reached, 2 of whom are not in leerjaar 3
    # in 2023-2024. Beside the comparison's 6 participants that would give those 2 away (8 - 6): one of the two is hidden.
    rows = [["A4", "201", ""], ["A4", "202", ""], ["A4", "0101", ""]]
    assert _load(con, csv_text(["activiteit_id", "leerlingnummer", "naam"], rows), "deelnemers_a4.csv").loaded
    assert published.exact_table(con, "reach_pupils", by="regio").pupils_reached.tolist() == [8]
    effect = published.exact_table(con, "activity_effect", by="regio")
    assert effect[["group", "pupils"]].values.tolist() == [["deelnemers", 6], ["niet-deelnemers", 6]]
    reached = published.table(con, "reach_pupils", by="regio").pupils_reached[0]
    took_part = published.table(con, "activity_effect", by="regio").pupils[0]
    assert reached in (8, None) and took_part in (6, None) and (reached is None or took_part is None)


def test_reach_pupils_counts_a_pupil_who_moved_at_the_school_where_reached(tmp_path):
    # 150 is in leerjaar 2 at 31XA00 in 2022-2023 (on A2's list) and in leerjaar 3 at 31XB00 a year later
    from sto_metrics.metrics.calculations import Cube
    from sto_metrics.privacy import suppression

    connection = open_database(tmp_path / "verhuisd.duckdb")
    moved = [["000150", "2022-2023", "31XA00", "VMBO-KB", "2", "", "V"], ["000150", "2023-2024", "31XB00", "VMBO-KB", "3", "BWI", "V"]]
    assert _load(connection, csv_text(VO_HEADER, [*VO_ROWS, *moved]), "vo.csv").loaded
    assert _load(connection, csv_text(REGISTER_HEADER, REGISTER_ROWS), "activiteiten.csv").loaded
    listed = [*PARTICIPANT_ROWS, ["A2", "150", ""]]
    assert _load(connection, csv_text(["activiteit_id", "leerlingnummer", "naam"], listed), "deelnemers.csv").loaded
    reached = published.exact_table(connection, "reach_pupils", by="school")
    assert reached[["scope", "pupils_reached"]].values.tolist() == [["31XA00", 7]]
    effect = published.exact_table(connection, "activity_effect", by="school")
    assert effect[effect.group == "deelnemers"][["scope", "pupils"]].values.tolist() == [["31XA00", 6], ["31XB00", 1]]
    # in the protected table the mover is one inner cell, in 31XB00's leerjaar-3 group, reached at 31XA00
    cells = activities.activity_counts(connection)
    assert cells[cells.reached == "31XA00"].groupby("school_id").pupils.sum().to_dict() == {"31XA00": 6, "31XB00": 1}
    table = suppression.protected_table(Cube("activity-effect", "vmbo", MetricSettings(), cells), "activity_effect",
                                        suppression.SuppressionRules(), with_counts=True)
    assert table.values[table.index[(2023, "", "", "", "R:31XA00")]] == 7
    assert (2023, "", "", "", "X") not in table.index  # every reached pupil is in leerjaar 3 a year later: no outside cell
    assert table.hidden[table.index[(2023, "31XB00", "", "", "P_d")]]  # the 1 participant at 31XB00
    connection.close()


# ---------------------------------------------------------------------------- editing the register


def test_register_edit_adds_a_visit_with_a_backup(con, tmp_path):
    database = tmp_path / "regio.duckdb"
    register = loading_activities.register(con)
    assert register.loc[register.activiteit_id == "A4"].iloc[0].to_dict() == {
        "activiteit_id": "A4", "naam": "Meeloopdag", "soort": "meeloopdag", "schooljaar": "2022-2023", "datum": "21-03-2023",
        "school": "31XA00", "leerjaar": "1", "deelnemers": "2", "meisjes": "1"}
    visit = {"activiteit_id": "B1", "naam": "Bedrijfsbezoek Verkade", "soort": "bedrijfsbezoek", "schooljaar": "2023-2024",
             "datum": "", "school": "31XA00", "leerjaar": "3", "deelnemers": "24", "meisjes": "9"}
    assert loading_activities.save_register(con, pd.concat([register, pd.DataFrame([visit])]), database) == []
    assert con.execute("SELECT count(*), sum(participants) FROM activity").fetchall() == [(5, 48 + 14 + 3 + 2 + 24)]
    assert con.execute("SELECT count(*) FROM activity_participant").fetchall() == [(7,)]  # the list still links
    backup = pd.read_csv(loading_activities.backup_path(database), sep=";", dtype=str, keep_default_na=False)
    assert backup.to_dict("records") == register.to_dict("records")
    assert con.execute("SELECT replaced_by IS NOT NULL FROM load_log WHERE file_name = 'activiteiten.csv'").fetchall() == [(True,)]
    reach = published.exact_table(con, "reach", by="school")
    assert reach[reach.activity_type == "bedrijfsbezoek"][["school_year", "participants", "enrolled"]].values.tolist() == [["2023-2024", 24, 12]]


def test_register_edit_refused_changes_nothing(con, tmp_path):
    before = table_checksums(con)
    register = loading_activities.register(con)
    bad = register.copy()
    bad.loc[bad.activiteit_id == "A3", "soort"] = "gokkast"
    errors = loading_activities.save_register(con, bad, tmp_path / "regio.duckdb")
    assert len(errors) == 1 and "onbekende soort" in errors[0] and "regel 4" in errors[0] and "eerste rij van de tabel" in errors[0]
    without_listed = register[register.activiteit_id != "A2"]
    errors = loading_activities.save_register(con, without_listed, tmp_path / "regio.duckdb")
    assert len(errors) == 1 and "A2 heeft een deelnemerslijst" in errors[0]
    assert table_checksums(con) == before
