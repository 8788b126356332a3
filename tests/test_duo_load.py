"""Loading DUO's public files (tests/data/duo/, hand-made in DUO's published layouts): both key styles, both
encodings, '<5' bounds, rows to ignore, replacement by year, and bad files that change nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sto_metrics.cli import main
from sto_metrics.loading import loader
from sto_metrics.loading.reference import open_database
from tests.loader_support import table_checksums

DUO = Path(__file__).parent / "data" / "duo"
PUPILS_2023 = DUO / "01.-leerlingen-vo-per-vestiging-naar-onderwijstype-2023.csv"  # BRIN NUMMER + VESTIGINGSNUMMER, UTF-8
PUPILS_NEW = DUO / "leerlingen-vo-per-vestiging-nieuw.csv"  # INSTELLINGSCODE + VESTIGINGSCODE, Windows-1252, no year in the name
EXAMS = DUO / "examenkandidaten-en-geslaagden-2019-2024.csv"
MBO = DUO / "instromende-mbo-studenten-2024.csv"  # comma, UTF-8 with BOM
CREBO = DUO / "combinatie-erkende-opleidingscode-en-beroep.csv"


@pytest.fixture
def con(tmp_path):
    connection = open_database(tmp_path / "duo.duckdb")
    yield connection
    connection.close()


def load(con, path: Path, *, name: str | None = None, data: bytes | None = None, school_year: int | None = None):
    return loader.load_bytes(con, name or path.name, data if data is not None else path.read_bytes(), school_year=school_year)


def test_files_are_recognised_by_their_headers_as_their_duo_kind(con):
    kinds = {p.name: load(con, p, school_year=2024).kind for p in (PUPILS_2023, PUPILS_NEW, EXAMS, MBO, CREBO)}
    assert kinds == {PUPILS_2023.name: "duo_leerlingen", PUPILS_NEW.name: "duo_leerlingen", EXAMS.name: "duo_examen",
                     MBO.name: "duo_mbo_instroom", CREBO.name: "duo_crebo"}


def test_old_key_style_makes_six_character_vestigingen_and_keeps_less_than_five_as_one_to_four(con):
    result = load(con, PUPILS_2023)
    assert result.loaded and result.problems == {"onbekend_profiel": 1}  # 40CD00's 'Onbekende afdeling', line 11
    assert "regel 11" in result.messages[0]
    rows = con.execute("""SELECT school_id, education_type, leerweg, profile_code, gender, count_min, count_max FROM duo_vo_pupils
                          WHERE school_year = 2023 AND leerjaar = 3 AND school_id IN ('31XA00', '12AB01') ORDER BY ALL""").fetchall()
    assert rows == [
        ("12AB01", "vmbo", "TL", "TL_ECONOMIE", "M", 9, 9), ("12AB01", "vmbo", "TL", "TL_ECONOMIE", "V", 11, 11),
        ("12AB01", "vmbo", "TL", "TL_TECHNIEK", "M", 10, 10), ("12AB01", "vmbo", "TL", "TL_TECHNIEK", "V", 4, 4),
        ("31XA00", "havo/vwo", None, None, "M", 30, 30), ("31XA00", "havo/vwo", None, None, "V", 35, 35),
        ("31XA00", "vmbo", "BB", "BWI", "M", 20, 20), ("31XA00", "vmbo", "BB", "BWI", "V", 1, 4),
        ("31XA00", "vmbo", "BB", "D&P", "M", 5, 5), ("31XA00", "vmbo", "BB", "D&P", "V", 7, 7),
        ("31XA00", "vmbo", "KB", "Z&W", "M", 6, 6), ("31XA00", "vmbo", "KB", "Z&W", "V", 14, 14),
    ]
    brugjaar = con.execute("SELECT leerjaar, gender, count_min, count_max FROM duo_vo_pupils WHERE education_type = 'brugjaar' ORDER BY ALL").fetchall()
    assert brugjaar == [(1, "M", 50, 50), (1, "V", 48, 48), (2, "M", 44, 44), (2, "V", 1, 4)]


def test_new_key_style_in_windows_1252_needs_the_school_year_when_the_name_does_not_say(con):
    refused = load(con, PUPILS_NEW)
    assert not refused.loaded and "--schooljaar" in refused.messages[0]
    assert con.execute("SELECT count(*) FROM duo_vo_pupils").fetchall() == [(0,)]
    result = load(con, PUPILS_NEW, school_year=2024)
    assert result.loaded
    assert con.execute("SELECT DISTINCT school_id, school_name, province, school_year FROM duo_vo_pupils").fetchall() == [
        ("50EF00", "Scholengemeenschap Crëatief", "Fryslân", 2024)]
    assert con.execute("SELECT count_min, count_max FROM duo_vo_pupils WHERE profile_code = 'M&T' AND gender = 'V'").fetchall() == [(1, 4)]


def test_the_year_in_the_file_name_wins_over_the_option(con):
    assert load(con, PUPILS_2023, school_year=2030).loaded
    assert con.execute("SELECT DISTINCT school_year FROM duo_vo_pupils").fetchall() == [(2023,)]


def test_exam_file_takes_the_total_and_the_tighter_of_total_and_man_plus_vrouw(con):
    assert load(con, EXAMS).loaded
    rows = con.execute("""SELECT school_year, school_id, education_type, profile_code, candidates_min, candidates_max
                          FROM duo_exam_candidates ORDER BY ALL""").fetchall()
    assert (2023, "31XD00", "havo", "NT", 6, 6) in rows  # TOTAAL 6 beside MAN '<5', VROUW '<5'
    assert (2023, "31XD00", "vwo", "NT/NG", 2, 4) in rows  # TOTAAL '<5' (1-4) and '<5' + '<5' (2-8): 2 to 4
    assert (2022, "40CD00", "vwo", "NT/EM", 5, 5) in rows
    assert (2022, "31XA00", "vmbo", None, 40, 40) in rows  # vmbo rows are stored but have no havo/vwo profile
    assert con.execute("SELECT DISTINCT school_year FROM duo_exam_candidates ORDER BY 1").fetchall() == [(2022,), (2023,)]


def test_mbo_entrants_with_bom_and_commas_and_the_crebo_table(con):
    assert load(con, MBO).loaded and load(con, CREBO).loaded
    rows = con.execute("SELECT prior_vo, crebo, entrants_min, entrants_max FROM duo_mbo_entrants WHERE school_year = 2024 ORDER BY ALL").fetchall()
    assert ("VMBO-KB", "25180", 1, 4) in rows and ("VMBO-BB", "25180", 30, 30) in rows and len(rows) == 7
    assert con.execute("SELECT crebo, sectorkamer FROM duo_crebo_sector ORDER BY 1").fetchall() == [
        ("25180", "Techniek en gebouwde omgeving"), ("25600", "Zorg, welzijn en sport"), ("25999", "ICT en creatieve industrie")]


def test_a_second_file_of_the_same_year_replaces_the_first(con):
    first = load(con, PUPILS_2023)
    changed = PUPILS_2023.read_text(encoding="utf-8").replace('"20";"<5"', '"21";"3"')
    second = load(con, PUPILS_2023, name="leerlingen-herzien-2023.csv", data=changed.encode("utf-8"))
    assert first.loaded and second.loaded
    assert con.execute("SELECT DISTINCT load_id FROM duo_vo_pupils").fetchall() == [(second.load_id,)]
    assert con.execute("SELECT count_min, count_max FROM duo_vo_pupils WHERE profile_code = 'BWI' AND leerjaar = 3 ORDER BY gender").fetchall() == [(21, 21), (3, 3)]
    assert con.execute("SELECT replaced_by FROM load_log WHERE load_id = ?", [first.load_id]).fetchall() == [(second.load_id,)]
    # another year stays
    assert load(con, PUPILS_NEW, school_year=2024).loaded
    assert con.execute("SELECT DISTINCT school_year FROM duo_vo_pupils ORDER BY 1").fetchall() == [(2023,), (2024,)]


def test_an_exam_file_replaces_only_the_years_it_covers(con):
    assert load(con, EXAMS).loaded
    later = EXAMS.read_text(encoding="utf-8").replace("2022-2023", "2024-2025")  # now covers 2023 and 2024
    assert load(con, EXAMS, name="examens-2024.csv", data=later.encode("utf-8")).loaded
    years = con.execute("SELECT school_year, count(DISTINCT load_id) FROM duo_exam_candidates GROUP BY 1 ORDER BY 1").fetchall()
    assert years == [(2022, 1), (2023, 1), (2024, 1)]
    assert con.execute("SELECT DISTINCT load_id FROM duo_exam_candidates WHERE school_year = 2022").fetchall() == [(1,)]
    assert con.execute("SELECT DISTINCT load_id FROM duo_exam_candidates WHERE school_year = 2023").fetchall() == [(2,)]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda t: t.replace('"12";"<5"', '"12";"veel"'), "regel 9, kolom 'LEER- OF VERBLIJFSJAAR 3 - VROUW'"),
    (lambda t: t.replace('"40CD";"00";"Noorderpoort Vmbo";"GRONINGEN";"Groningen";"VMBO GL lj 3-4";"Techniek"',
                         '"40CD";"";"Noorderpoort Vmbo";"GRONINGEN";"Groningen";"VMBO GL lj 3-4";"Techniek"'), "geen geldige vestigingscode (zoals 12AB00) op regel 9"),
    (lambda t: t.replace('"Stedelijk Vmbo Noord"', '"Stedelijk Vmbo Noord', 1), "rond regel 7: het bestand kon niet als CSV worden gelezen"),
    (lambda t: "\n".join(line + (';"extra"' if number == 4 else "") for number, line in enumerate(t.splitlines(), 1)),
     "rond regel 4: het bestand kon niet als CSV worden gelezen"),
])
def test_a_bad_file_is_refused_with_line_and_column_and_changes_nothing(con, change, expected):
    assert load(con, EXAMS).loaded
    before = table_checksums(con)
    bad = change(PUPILS_2023.read_text(encoding="utf-8"))
    result = load(con, PUPILS_2023, name="kapot-2023.csv", data=bad.encode("utf-8"))
    assert not result.loaded and result.load_id is None
    assert expected in result.messages[0], result.messages[0]
    assert table_checksums(con) == before


def test_the_same_file_twice_is_refused_and_changes_nothing(con):
    assert load(con, PUPILS_2023).loaded
    before = table_checksums(con)
    again = load(con, PUPILS_2023)
    assert not again.loaded and "al geladen" in again.messages[0]
    assert table_checksums(con) == before


def test_removing_a_duo_load_takes_out_its_rows(con):
    assert load(con, PUPILS_2023).loaded
    exams = load(con, EXAMS)
    loader.remove_load(con, exams.load_id)
    assert con.execute("SELECT count(*) FROM duo_exam_candidates").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM duo_vo_pupils").fetchall()[0][0] > 0


def test_exports_still_load_beside_duo_files(con):
    from tests.loader_support import VO_HEADER, VO_ROWS, csv_text

    assert load(con, PUPILS_2023).loaded
    export = loader.load_bytes(con, "vo.csv", csv_text(VO_HEADER, VO_ROWS).encode("utf-8"))
    assert export.loaded and export.kind == "vo" and export.rows_loaded == 12


def test_command_line_loads_a_folder_with_schooljaar(tmp_path, capsys):
    folder = tmp_path / "duo"
    shutil.copytree(DUO, folder)
    code = main(["load", str(folder), "--db", str(tmp_path / "cli.duckdb"), "--schooljaar", "2024-2025"])
    out = capsys.readouterr().out
    assert code == 0 and "Totaal: 5 van 5 bestand(en) geladen" in out
    assert "[duo_leerlingen]" in out and "[duo_examen]" in out and "[duo_mbo_instroom]" in out and "[duo_crebo]" in out
    assert main(["load", str(folder), "--db", str(tmp_path / "cli2.duckdb"), "--schooljaar", "vorig jaar"]) == 2
    assert "--schooljaar vorig jaar" in capsys.readouterr().err
