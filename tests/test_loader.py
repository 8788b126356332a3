"""Loading exports: good files in every shape, and 30+ bad or odd inputs with their expected outcome."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sto_metrics.errors import UserError
from sto_metrics.loading import loader, pseudonym
from sto_metrics.loading.reference import open_database
from tests.loader_support import (
    MBO_HEADER,
    MBO_ROWS,
    SECRET,
    VO_HEADER,
    VO_ROWS,
    all_text_in_database,
    csv_text,
    stored_rows,
    table_checksums,
)

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("pupil_key_secret")


def clean_vo(**kwargs) -> bytes:
    return csv_text(VO_HEADER, VO_ROWS, **kwargs).encode("utf-8")


def load(con, data: bytes | str, name: str = "export.csv", **kwargs) -> loader.FileResult:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return loader.load_bytes(con, name, data, **kwargs)


# ---------------------------------------------------------------- the clean file


def test_excel_workbook_loads_like_the_clean_csv(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Export leerlingen"])  # a title row above the header, as exported by hand
    sheet.append(VO_HEADER)
    for row in VO_ROWS:
        sheet.append([int(v) if v.isdigit() and len(v) < 3 else v for v in row])  # leerjaar as a number, like Excel keeps it
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    clean = open_database(tmp_path / "clean.duckdb")
    assert load(clean, clean_vo()).loaded
    excel = open_database(tmp_path / "excel.duckdb")
    result = loader.load_paths(excel, [tmp_path])[0]
    assert result.loaded, result.messages
    assert stored_rows(excel) == stored_rows(clean)


def test_clean_vo_file_loads_every_row_with_canonical_values(con):
    result = load(con, clean_vo())
    assert result.loaded, result.messages
    assert (result.kind, result.rows_read, result.rows_loaded, result.problems) == ("vo", 12, 12, {})
    rows = con.execute(
        "SELECT education_type, leerweg, leerjaar, profile_code, gender, diploma FROM vo_enrolment ORDER BY pupil_hash"
    ).fetchall()
    assert sorted(rows, key=str) == sorted(
        [
            ("vmbo", "BB", 3, "BWI", "M", False),
            ("vmbo", "BB", 3, "PIE", "V", False),
            ("vmbo", "KB", 3, "Z&W", "V", False),
            ("vmbo", "KB", 3, "E&O", "M", False),
            ("vmbo", "TL", 3, "TL_TECHNIEK", "M", False),
            ("vmbo", "TL", 4, "TL_ECONOMIE", "V", True),
            ("vmbo", "BB", 4, "MVI", "M", False),
            ("vmbo", "GL", 4, "D&P", "V", True),
            ("vmbo", "BB", 2, None, "M", False),
            ("vmbo", "KB", 1, None, "V", False),
            ("havo", None, 4, "NT/NG", "V", False),
            ("vwo", None, 6, "EM", "M", True),
        ],
        key=str,
    )
    assert con.execute("SELECT DISTINCT school_year, school_id FROM vo_enrolment").fetchall() == [(2023, "31XA00")]


def test_raw_pupil_keys_never_reach_the_database_and_hash_is_hmac(con):
    load(con, clean_vo())
    stored = all_text_in_database(con)
    for row in VO_ROWS:
        assert row[0] not in stored
    hashes = {h for (h,) in con.execute("SELECT pupil_hash FROM vo_enrolment").fetchall()}
    assert pseudonym.pseudonymise(SECRET.encode(), "100001") in hashes


def test_same_pupil_links_across_vo_and_mbo_even_when_excel_dropped_leading_zeros(con):
    vo_rows = [["0" + VO_ROWS[6][0], *VO_ROWS[6][1:]]]
    assert load(con, csv_text(VO_HEADER, vo_rows), "vo.csv").loaded
    assert load(con, csv_text(MBO_HEADER, MBO_ROWS), "mbo.csv").loaded
    linked = con.execute("SELECT count(*) FROM vo_enrolment v JOIN mbo_enrolment m USING (pupil_hash)").fetchall()[0][0]
    assert linked == 1


def test_per_database_secret_is_created_once_outside_the_repo(monkeypatch, tmp_path):
    monkeypatch.delenv(pseudonym.SECRET_ENV)
    path = tmp_path / "eigen.duckdb"
    con = open_database(path)
    first = pseudonym.database_secret(con)
    con.close()
    con = open_database(path)
    assert pseudonym.database_secret(con) == first
    keys = list((tmp_path / "secrets").glob("*.key"))
    assert len(keys) == 1 and oct(keys[0].stat().st_mode & 0o777) == "0o600"
    assert REPO not in keys[0].parents
    con.close()


def test_mbo_file_is_recognised_and_sector_classified(con):
    result = load(con, csv_text(MBO_HEADER, MBO_ROWS))
    assert (result.kind, result.rows_loaded) == ("mbo", 2)
    assert con.execute("SELECT sector_code, level, route FROM mbo_enrolment ORDER BY 1").fetchall() == [("ECONOMIE", 3, "BBL"), ("TECHNIEK", 2, "BOL")]


def test_ho_file_is_recognised(con):
    text = "studentnummer,collegejaar,instelling,croho,opleiding,type,croho_onderdeel\n100011,2024,21HA,30001,Werktuigbouwkunde,hbo-bachelor,Techniek\n"
    result = load(con, text)
    assert (result.kind, result.rows_loaded) == ("ho", 1)
    assert con.execute("SELECT institution_id, ho_type, sector_code, school_year FROM ho_enrolment").fetchall() == [("21HA00", "hbo", "TECHNIEK", 2024)]


# ---------------------------------------------------------------- every shape loads like the clean file


def _shape_variants() -> dict[str, bytes]:
    header, rows = VO_HEADER, VO_ROWS
    swap = {"leerlingnummer": "PGN", "schooljaar": "Teljaar", "onderwijstype": "Leerweg", "leerjaar": "Klas", "geslacht": "Sekse", "diploma": "Uitslag"}
    full_names = {"BWI": "Bouwen, wonen en interieur", "PIE": "Produceren, installeren en energie", "Z&W": "Zorg en welzijn", "E&O": "Economie en ondernemen", "MVI": "Media, vormgeving en ICT", "D&P": "Dienstverlening en producten"}
    split_brin = ["leerlingnummer", "schooljaar", "BRIN", "Vestigingsnummer", *VO_HEADER[3:]]
    return {
        "comma": csv_text(header, rows, delimiter=",").encode(),
        "tab": csv_text(header, rows, delimiter="\t").encode(),
        "pipe": csv_text(header, rows, delimiter="|").encode(),
        "bom_crlf": b"\xef\xbb\xbf" + clean_vo(line_end="\r\n"),
        "cp1252": csv_text(header, rows).encode("cp1252"),
        "utf16": csv_text(header, rows).encode("utf-16"),
        "title_line": ("Export Magister – leerlingen per 1 oktober;;;\n" + csv_text(header, rows)).encode(),
        "trailing_empty_columns": csv_text([*header, "", ""], [[*r, "", ""] for r in rows]).encode(),
        "header_aliases": csv_text([swap.get(h, h) for h in header], rows).encode(),
        "year_2023_slash": csv_text(header, [[r[0], "2023/2024", *r[2:]] for r in rows]).encode(),
        "year_short": csv_text(header, [[r[0], "23-24", *r[2:]] for r in rows]).encode(),
        "year_start_only": csv_text(header, [[r[0], "2023", *r[2:]] for r in rows]).encode(),
        "year_2023_24": csv_text(header, [[r[0], "2023-24", *r[2:]] for r in rows]).encode(),
        "klas_with_letter": csv_text(header, [[*r[:5], r[5] + "B", *r[6:]] for r in rows]).encode(),
        "profile_full_names": csv_text(header, [[*r[:6], full_names.get(r[6], r[6]), *r[7:]] for r in rows]).encode(),
        "long_education_names": csv_text(header, [[*r[:4], {"VMBO-BB": "basisberoepsgerichte leerweg", "VMBO-KB": "Kader", "VMBO-TL": "mavo", "VWO": "atheneum"}.get(r[4], r[4]), *r[5:]] for r in rows]).encode(),
        "gender_words_diploma_letters": csv_text(header, [[*r[:7], {"M": "jongen", "V": "meisje"}[r[7]], {"ja": "J", "nee": "N", "": ""}[r[8]]] for r in rows]).encode(),
        "brin_and_vestiging_columns": csv_text(split_brin, [[r[0], r[1], "31XA", "0", *r[3:]] for r in rows]).encode(),
        "quoted_fields": "".join(";".join(f'"{v}"' for v in row) + "\n" for row in [header, *rows]).encode(),
    }


@pytest.mark.parametrize("shape", sorted(_shape_variants()))
def test_every_export_shape_loads_like_the_clean_file(tmp_path, shape):
    clean = open_database(tmp_path / "clean.duckdb")
    assert load(clean, clean_vo()).loaded
    messy = open_database(tmp_path / "messy.duckdb")
    result = load(messy, _shape_variants()[shape], name=f"{shape}.csv")
    assert result.loaded, result.messages
    assert result.rows_loaded == 12
    assert stored_rows(messy) == stored_rows(clean)
    assert {k: v for k, v in result.problems.items() if k != "lege_regel"} == {}


# ---------------------------------------------------------------- bad input: refused, database unchanged

PUPIL_VALUES = {row[0] for row in VO_ROWS}


def _with_row(row_index: int, column: str, value: str) -> str:
    rows = [list(r) for r in VO_ROWS]
    rows[row_index][VO_HEADER.index(column)] = value
    return csv_text(VO_HEADER, rows)


FATAL_CASES = {
    "empty_file": (b"", ["leeg"]),
    "only_whitespace": (b"\r\n \r\n", ["leeg"]),
    "header_only": (csv_text(VO_HEADER, []).encode(), ["alleen een kopregel"]),
    "binary_file": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ["geen tekstbestand"]),
    "broken_xlsx_file": (b"PK\x03\x04" + b"\x00" * 200, ["Excel-werkboek", "CSV"]),
    "no_known_header": (b"a;b;c\n1;2;3\n", ["geen kopregel"]),
    "missing_required_column": (csv_text([h for h in VO_HEADER if h != "leerjaar"], [[v for h, v in zip(VO_HEADER, r, strict=True) if h != "leerjaar"] for r in VO_ROWS]).encode(), ["leerjaar", "verplichte kolom"]),
    "unknown_school_year_format": (_with_row(3, "schooljaar", "schooljaar 23").encode(), ["regel 5", "schooljaar", "schooljaarformaat"]),
    "school_year_not_consecutive": (_with_row(0, "schooljaar", "2023-2025").encode(), ["regel 2", "schooljaarformaat"]),
    "leerjaar_9": (_with_row(2, "leerjaar", "9").encode(), ["regel 4", "leerjaar", "geen geldig leerjaar"]),
    "havo_leerjaar_6": (_with_row(10, "leerjaar", "6").encode(), ["regel 12", "leerjaar"]),
    "unknown_education_type": (_with_row(1, "onderwijstype", "praktijkonderwijs").encode(), ["regel 3", "onderwijstype"]),
    "empty_pupil_key": (_with_row(4, "leerlingnummer", "").encode(), ["regel 6", "leerlingnummer", "leeg"]),
    "bad_school_code": (_with_row(0, "brinvestiging", "XYZ").encode(), ["regel 2", "brinvestiging"]),
    "mixed_delimiters": ((csv_text(VO_HEADER, VO_ROWS[:5]) + csv_text(VO_HEADER, VO_ROWS[5:], delimiter=",").split("\n", 1)[1]).encode(), ["regel 7", "ander scheidingsteken", "komma"]),
    "truncated_last_line": ((csv_text(VO_HEADER, VO_ROWS) + "100013;2023-2024;31XA00;Vmbo 't Zaanhuis;VMB").encode(), ["regel 14"]),
    "ten_megabyte_line": ((csv_text(VO_HEADER, VO_ROWS[:2]) + "100099;" + "x" * 10_000_000 + "\n").encode(), ["regel 4", "lang"]),
    "unterminated_quote": ((csv_text(VO_HEADER, VO_ROWS[:3]) + '100077;"2023-2024;31XA00;x;VMBO-BB;3;BWI;M;\n' + csv_text(VO_HEADER, VO_ROWS[3:]).split("\n", 1)[1]).encode(), ["CSV"]),
    "mbo_file_named_vo": (csv_text(MBO_HEADER, MBO_ROWS).encode(), ["verplichte kolom", "vo-bestand"]),
    "broken_utf16": (b"\xff\xfe" + b"a\x00;\x00" * 3 + b"\x00\xd8", ["UTF-16"]),
}


@pytest.mark.parametrize("case", sorted(FATAL_CASES))
def test_fatal_input_is_refused_with_a_dutch_message_and_changes_nothing(con, case):
    assert load(con, csv_text(VO_HEADER, VO_ROWS[:1]).replace("100001", "200001").replace("31XA00", "31XB00"), "eerder.csv").loaded
    before = table_checksums(con)
    data, expected_phrases = FATAL_CASES[case]
    kind = "vo" if case == "mbo_file_named_vo" else None
    result = load(con, data, name=f"{case}.csv", kind=kind)
    assert result.status == "geweigerd" and not result.loaded
    message = " ".join(result.messages)
    assert message.startswith(f"{case}.csv"), message
    for phrase in expected_phrases:
        assert phrase in message, (phrase, message)
    for pupil in PUPIL_VALUES | {"100077", "100099", "100013"}:
        assert pupil not in message
    assert "Traceback" not in message and "Error" not in message
    assert table_checksums(con) == before


def test_same_file_twice_is_refused_and_changes_nothing(con):
    assert load(con, clean_vo()).loaded
    before = table_checksums(con)
    again = load(con, clean_vo(), name="kopie.csv")
    assert not again.loaded and "al geladen" in again.messages[0] and "lading 1" in again.messages[0]
    assert table_checksums(con) == before


def test_overlap_with_earlier_load_is_refused_unless_replace(con):
    assert load(con, clean_vo(), "oktober.csv").loaded
    before = table_checksums(con)
    corrected = csv_text(VO_HEADER, [[*r[:6], "PIE" if r[6] == "BWI" else r[6], *r[7:]] for r in VO_ROWS[:10]])
    refused = load(con, corrected, "correctie.csv")
    assert not refused.loaded
    assert "overlapt met lading 1" in refused.messages[0] and "31XA00" in refused.messages[0] and "2023-2024" in refused.messages[0]
    assert table_checksums(con) == before
    replaced = load(con, corrected, "correctie.csv", replace=True)
    assert replaced.loaded and replaced.rows_loaded == 10
    assert con.execute("SELECT count(*), count(*) FILTER (profile_code = 'BWI'), min(load_id) FROM vo_enrolment").fetchall() == [(10, 0, 2)]
    assert con.execute("SELECT load_id, replaced_by FROM load_log ORDER BY 1").fetchall() == [(1, 2), (2, None)]


# ---------------------------------------------------------------- odd input: loads, problems counted


def test_unknown_profile_code_loads_as_unknown_and_is_counted(con):
    result = load(con, _with_row(0, "profiel", "XYZ"))
    assert result.loaded and result.problems == {"onbekend_profiel": 1}
    assert "regel 2" in " ".join(result.messages)
    assert con.execute("SELECT count(*) FROM vo_enrolment WHERE profile_unknown AND profile_code IS NULL").fetchall() == [(1,)]


def test_pupil_twice_in_one_year_keeps_the_first_row(con):
    rows = [*VO_ROWS, [VO_ROWS[0][0], *VO_ROWS[0][1:6], "PIE", *VO_ROWS[0][7:]]]
    result = load(con, csv_text(VO_HEADER, rows))
    assert (result.rows_read, result.rows_loaded, result.problems) == (13, 12, {"dubbele_leerling": 1})
    first = pseudonym.pseudonymise(SECRET.encode(), VO_ROWS[0][0])
    assert con.execute("SELECT profile_code FROM vo_enrolment WHERE pupil_hash = ?", [first]).fetchall() == [("BWI",)]


def test_blank_lines_are_skipped_and_counted(con):
    text = csv_text(VO_HEADER, VO_ROWS[:4]) + "\n;;;;;;;;\n\n" + csv_text(VO_HEADER, VO_ROWS[4:]).split("\n", 1)[1]
    result = load(con, text)
    assert (result.rows_loaded, result.problems) == (12, {"lege_regel": 3})


def test_conflicting_names_for_one_school_keep_the_reference_name(con):
    rows = [[*r[:3], "Zaanhuis (oude naam)" if i % 2 else r[3], *r[4:]] for i, r in enumerate(VO_ROWS)]
    result = load(con, csv_text(VO_HEADER, rows))
    assert result.loaded and result.problems == {"schoolnaam_afwijkend": 1}
    assert con.execute("SELECT name FROM school WHERE school_id = '31XA00'").fetchall() == [("Vmbo 't Zaanhuis",)]


def test_windows_1252_school_name_survives_with_every_special_character(con):
    name = "Café Ëlckerlyc – ‘Techniek’ € school"
    rows = [[r[0], r[1], "41ZZ00", name, *r[4:]] for r in VO_ROWS]
    result = load(con, csv_text(VO_HEADER, rows).encode("cp1252"))
    assert result.loaded and result.problems == {}
    assert con.execute("SELECT name FROM school WHERE school_id = '41ZZ00'").fetchall() == [(name,)]


def test_formula_cells_are_stored_as_plain_text_and_counted(con):
    rows = [[r[0], r[1], "41ZY00", '=HYPERLINK("http://x")', *r[4:]] for r in VO_ROWS]
    result = load(con, csv_text(VO_HEADER, rows))
    assert result.loaded and result.problems == {"formule_in_cel": 12}
    assert con.execute("SELECT name FROM school WHERE school_id = '41ZY00'").fetchall() == [('=HYPERLINK("http://x")',)]


def test_html_in_school_name_is_kept_as_inert_text(con):
    name = "<b>School</b><script>alert(1)</script>"
    rows = [[r[0], r[1], "41ZX00", name, *r[4:]] for r in VO_ROWS]
    assert load(con, csv_text(VO_HEADER, rows)).loaded
    assert con.execute("SELECT name FROM school WHERE school_id = '41ZX00'").fetchall() == [(name,)]


def test_identifying_columns_are_dropped_with_a_notice(con):
    header = [*VO_HEADER, "geboortedatum", "BSN", "e-mail"]
    rows = [[*r, "01-02-2009", f"99999{i:04d}", f"kind{i}@example.nl"] for i, r in enumerate(VO_ROWS)]
    result = load(con, csv_text(header, rows))
    assert result.loaded and result.problems == {"identificerende_kolom": 3}
    assert "geboortedatum" in " ".join(result.messages)
    stored = all_text_in_database(con)
    assert "01-02-2009" not in stored and "999990003" not in stored and "@example.nl" not in stored


def test_pupil_names_in_a_naam_column_are_recognised_and_dropped(con):
    header = [h if h != "schoolnaam" else "naam" for h in VO_HEADER]
    rows = [[*r[:3], f"Leerling{i} de Vries", *r[4:]] for i, r in enumerate(VO_ROWS)]
    result = load(con, csv_text(header, rows))
    assert result.loaded and result.problems.get("identificerende_kolom") == 1
    assert "de Vries" not in all_text_in_database(con)


def test_ambiguous_file_asks_for_the_kind(con):
    text = "leerlingnummer;schooljaar;brin;leerweg;niveau;sector;onderwijstype;leerjaar;crebo;croho\n1;2023;31XA;BB;BB;Techniek;VMBO-BB;3;1;2\n"
    result = load(con, text)
    assert not result.loaded and "--kind" in result.messages[0]


def test_kind_option_settles_what_columns_cannot(con):
    text = "leerlingnummer;schooljaar;instelling;sector\n100007;2024-2025;25MA;Techniek\n"
    assert not load(con, text).loaded
    assert load(con, text, kind="mbo").loaded


def test_mbo_without_sector_column_loads_with_a_warning(con):
    text = "studentnummer;schooljaar;instelling;crebo\n100007;2024-2025;25MA;90001\n"
    result = load(con, text)
    assert result.loaded and result.problems == {"onbekende_sector": 1}
    assert any("geen sectorkolom" in m for m in result.messages)


def test_region_programme_mapping_gives_the_sector_when_the_export_has_none(tmp_path, monkeypatch):
    import shutil

    from sto_metrics.paths import DATA_DIR

    reference = tmp_path / "reference"
    shutil.copytree(DATA_DIR / "reference", reference)
    (reference / "programme_sectors.csv").write_text("kind,programme_code,sector,note\nmbo,90001,Techniek en gebouwde omgeving,monteur\n")
    monkeypatch.setenv("STO_REFERENCE_DIR", str(reference))
    con = open_database(tmp_path / "mapping.duckdb")
    text = "studentnummer;schooljaar;instelling;crebo\n100007;2024-2025;25MA;90001\n100008;2024-2025;25MA;90002\n"
    result = load(con, text)
    assert result.loaded and result.problems == {"onbekende_sector": 1}  # 90002 is not in the mapping
    assert con.execute("SELECT programme_code, sector_code FROM mbo_enrolment ORDER BY 1").fetchall() == [("90001", "TECHNIEK"), ("90002", None)]


def test_remove_load_takes_out_exactly_its_rows(con):
    assert load(con, clean_vo(), "vo.csv").loaded
    empty_plus_vo = table_checksums(con)
    assert load(con, csv_text(MBO_HEADER, MBO_ROWS), "mbo.csv").loaded
    loads = loader.list_loads(con)
    assert list(loads.load_id) == [2, 1] and list(loads.kind) == ["mbo", "vo"] and loads.schools.tolist() == ["25MA00", "31XA00"]
    loader.remove_load(con, 2)
    after = table_checksums(con)
    assert {k: v for k, v in after.items() if k != "school"} == {k: v for k, v in empty_plus_vo.items() if k != "school"}


# ---------------------------------------------------------------- paths and the command line


def test_path_that_does_not_exist_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="bestaat niet"):
        loader.expand_paths([tmp_path / "nergens.csv"])


def test_directory_without_csv_files_is_a_user_error(tmp_path):
    (tmp_path / "leeg").mkdir()
    (tmp_path / "leeg" / "notities.docx").write_bytes(b"x")
    with pytest.raises(UserError, match="geen CSV-bestanden"):
        loader.expand_paths([tmp_path / "leeg"])


def _cli(*args: str, env_dir: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", pseudonym.SECRET_ENV: SECRET, pseudonym.SECRET_DIR_ENV: str(env_dir), "HOME": str(env_dir)}
    return subprocess.run([sys.executable, "-m", "sto_metrics", *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=120)


def test_cli_loads_a_folder_recursively_then_refuses_it_again(tmp_path):
    folder = tmp_path / "export" / "vo"
    folder.mkdir(parents=True)
    (folder / "school.csv").write_bytes(clean_vo())
    (tmp_path / "export" / "mbo.csv").write_text(csv_text(MBO_HEADER, MBO_ROWS))
    database = tmp_path / "regio.duckdb"
    first = _cli("load", str(tmp_path / "export"), "--db", str(database), env_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "school.csv [vo]: geladen, 12 regels gelezen, 12 geladen" in first.stdout
    assert "mbo.csv [mbo]: geladen, 2 regels gelezen, 2 geladen" in first.stdout
    second = _cli("load", str(tmp_path / "export"), "--db", str(database), env_dir=tmp_path)
    assert second.returncode == 2
    assert second.stdout.count("geweigerd") == 2 and "Totaal: 0 van 2" in second.stdout


def test_cli_missing_path_exits_2_with_dutch_message_and_no_traceback(tmp_path):
    result = _cli("load", str(tmp_path / "weg.csv"), "--db", str(tmp_path / "x.duckdb"), env_dir=tmp_path)
    assert result.returncode == 2
    assert "bestaat niet" in result.stderr and "Traceback" not in result.stderr


def test_load_log_records_hash_kind_rows_and_problems(con):
    data = _with_row(0, "profiel", "XYZ").encode()
    load(con, data, "log.csv")
    (file_name, content_hash, kind, rows_read, rows_loaded, problems), = con.execute(
        "SELECT file_name, content_hash, kind, rows_read, rows_loaded, problems FROM load_log"
    ).fetchall()
    import hashlib

    assert (file_name, content_hash, kind, rows_read, rows_loaded) == ("log.csv", hashlib.sha256(data).hexdigest(), "vo", 12, 12)
    assert json.loads(problems) == {"onbekend_profiel": 1}
