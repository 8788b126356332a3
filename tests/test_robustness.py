"""Defects an adversarial review found (issue 15), each kept fixed by a test that failed before the fix.

Hostile files are generated here; races are driven by threads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sto_metrics.loading import loader
from sto_metrics.loading.reference import open_database
from sto_metrics.metrics import catalog
from tests.loader_support import VO_HEADER, VO_ROWS, csv_text

REPO = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.usefixtures("pupil_key_secret")


def vo_export(rows: list[list[str]] = VO_ROWS, **kwargs) -> bytes:
    return csv_text(VO_HEADER, rows, **kwargs).encode("utf-8")


def corrected_rows() -> list[list[str]]:
    """The clean export with one pupil's profile corrected: same row count, other figures."""
    rows = [list(row) for row in VO_ROWS]
    rows[2][6] = "BWI"  # Z&W -> BWI: one more technical pupil
    return rows


# ---------------------------------------------------------------- 1. data version and load ids


def test_remove_and_corrected_reupload_gives_a_new_data_version_and_load_id(con, tmp_path):
    first = loader.load_bytes(con, "vo.csv", vo_export())
    assert first.loaded and first.load_id == 1
    seen = {catalog.data_version(con)}
    loader.remove_load(con, first.load_id)
    seen.add(catalog.data_version(con))
    second = loader.load_bytes(con, "vo.csv", vo_export(corrected_rows()))
    assert second.loaded and second.rows_loaded == first.rows_loaded
    assert second.load_id == 2  # never the removed load's id again
    assert catalog.data_version(con) not in seen  # the dashboard's cache key moved on
    seen.add(catalog.data_version(con))
    # Also across a restart: the highest id is removed, the next load still gets a new one.
    loader.remove_load(con, second.load_id)
    con.close()
    reopened = open_database(tmp_path / "regio.duckdb")
    try:
        third = loader.load_bytes(reopened, "vo.csv", vo_export())
        assert third.loaded and third.load_id == 3
        assert catalog.data_version(reopened) not in seen
    finally:
        reopened.close()


def test_database_from_before_the_load_id_sequence_continues_after_its_highest_id(con, tmp_path):
    assert loader.load_bytes(con, "vo.csv", vo_export()).load_id == 1
    assert loader.load_bytes(con, "vo2.csv", vo_export(corrected_rows()), replace=True).load_id == 2
    con.execute("DROP SEQUENCE load_id_seq")  # as a database made by an earlier version
    con.close()
    reopened = open_database(tmp_path / "regio.duckdb")
    try:
        loader.remove_load(reopened, 2)
        assert loader.load_bytes(reopened, "vo2.csv", vo_export(corrected_rows()), replace=True).load_id == 3
    finally:
        reopened.close()


# ---------------------------------------------------------------- 2. demo reset while others read


def test_demo_reset_is_atomic_for_sessions_reading_at_the_same_time(tmp_path, monkeypatch):
    import threading

    import app_support as app
    from sto_metrics.demo import generate, prebuilt

    exports = tmp_path / "demo"
    generate.write_demo(exports, seed=7, pupils_per_year=100)
    target = tmp_path / "demo.duckdb"
    prebuilt.build(target, exports)
    monkeypatch.delenv(app.DB_ENV, raising=False)
    monkeypatch.setattr(prebuilt, "DEMO_DIR", exports)
    monkeypatch.setattr(prebuilt, "default_path", lambda: target)
    app._demo_database.clear()
    app.close_connection()
    path = app.source().path
    assert path == str(target)

    with app.cursor() as cur:
        demo_loads = cur.execute("SELECT count(*) FROM load_log").fetchall()[0][0]
    own_school = [[*row[:2], "99ZZ00", *row[3:]] for row in VO_ROWS]
    with app.writing() as con:  # the pages read a copy; writes go to the database itself
        extra = loader.load_bytes(con, "eigen.csv", vo_export(own_school))  # a user's own load, which the reset takes away
        assert extra.loaded

    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def another_session() -> None:
        # Another user loading pages: the same calls a page run makes, until the reset is over.
        while not stop.is_set():
            try:
                version = app.data_version(app.source().path)
                with app.cursor() as cur:
                    seen.append(cur.execute("SELECT count(*) FROM load_log").fetchall()[0][0])
                assert version
            except BaseException as error:  # reported below
                errors.append(error)
                return

    reader = threading.Thread(target=another_session)
    reader.start()
    try:
        app.reset_demo_database()
        with app.cursor() as cur:
            after_reset = len(seen)
            assert cur.execute("SELECT count(*) FROM load_log").fetchall()[0][0] == demo_loads
        while len(seen) < after_reset + 3 and reader.is_alive():
            stop.wait(0.01)
    finally:
        stop.set()
        reader.join(60)
    try:
        assert not errors, errors
        assert seen[0] == demo_loads + 1 and seen[-1] == demo_loads  # the other session saw the old data, then the new
        assert set(seen) == {demo_loads, demo_loads + 1}
        assert app.source().path == str(target)  # and the app can still find its database
        with app.cursor() as cur:
            assert cur.execute("SELECT count(*) FROM load_log").fetchall()[0][0] == demo_loads
        with app.writing() as con:
            assert loader.load_bytes(con, "eigen.csv", vo_export(own_school)).loaded
        # Another program (the command line) replaces the file: the next cursor opens the new file.
        prebuilt.build(target, exports)
        with app.cursor() as cur:
            assert cur.execute("SELECT count(*) FROM load_log").fetchall()[0][0] == demo_loads
    finally:
        app.close_connection()
        app._demo_database.clear()


# ---------------------------------------------------------------- 3. .xlsx dimension bomb


def xlsx_bytes(sheet_xml: str) -> bytes:
    """A minimal workbook with one sheet, written by hand so that the sheet can claim anything."""
    import io
    import zipfile

    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def sheet(dimension: str, rows: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>')


def inline_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


# Decodes a workbook in a child process under a memory cap (a regression must not take the test machine down)
# and prints the growth of its peak resident memory (kB) and the outcome.
MEASURE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, 3 * 1024 ** 3))
from sto_metrics.loading import loader
data = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    loader.decode_export("bom.xlsx", data)
    outcome = "gelezen"
except loader.FileRefused as refused:
    outcome = str(refused)
except MemoryError:
    outcome = "MemoryError"
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
print(outcome)
"""


def decode_in_child(data: bytes) -> tuple[int, str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", MEASURE], input=data, capture_output=True, cwd=REPO, timeout=300, check=False)
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 0 and len(lines) == 2, done.stderr.decode()[-2000:]
    return int(lines[0]), lines[1]


def test_xlsx_dimension_bomb_is_refused_without_allocating_the_claimed_sheet():
    bomb = xlsx_bytes(sheet("A1:XFD1048576", f'<row r="1048576">{inline_cell("XFD1048576", "x")}</row>'))
    assert len(bomb) < 2500
    peak, outcome = decode_in_child(bomb)
    assert peak < 100 * 1024  # kB; the claimed sheet would be 17 billion cells
    assert outcome.startswith("bom.xlsx") and "kolom XFD" in outcome, outcome


def test_xlsx_with_too_many_rows_or_an_oversized_cell_is_refused_in_dutch():
    header = "".join(inline_cell(f"{col}1", name) for col, name in zip("ABCDE", ["leerlingnummer", "schooljaar", "brin", "onderwijstype", "leerjaar"], strict=True))
    far = xlsx_bytes(sheet("A1:E1", f'<row r="1">{header}</row><row r="{loader.MAX_XLSX_ROWS + 1}">{inline_cell(f"A{loader.MAX_XLSX_ROWS + 1}", "1")}</row>'))
    with pytest.raises(loader.FileRefused, match=f"regel {loader.MAX_XLSX_ROWS + 1}"):
        loader.decode_export("ver.xlsx", far)
    big = xlsx_bytes(sheet("A1:E2", f'<row r="1">{header}</row><row r="2">{inline_cell("C2", "x" * (loader.MAX_CELL_CHARS + 1))}</row>'))
    with pytest.raises(loader.FileRefused, match="cel C2"):
        loader.decode_export("groot.xlsx", big)


def test_xlsx_with_a_wrong_dimension_tag_still_reads_every_cell():
    header = "".join(inline_cell(f"{col}1", name) for col, name in zip("ABC", ["leerlingnummer", "schooljaar", "brin"], strict=True))
    rows = f'<row r="1">{header}</row><row r="3">{inline_cell("A3", "100001")}{inline_cell("C3", "31XA00")}</row>'
    text = loader.decode_export("klein.xlsx", xlsx_bytes(sheet("A1:A1", rows)))  # the tag understates the sheet
    assert text == "leerlingnummer;schooljaar;brin\n\n100001;;31XA00\n"


# ---------------------------------------------------------------- 5. file names that look like globs


@pytest.mark.parametrize(("name", "neighbours"), [("export[1].csv", ["export1.csv"]), ("a*.csv", ["ab.csv", "ac.csv"]),
                                                  ("vraag?.csv", ["vraagX.csv"])])
def test_file_name_with_glob_characters_loads_exactly_that_file(con, tmp_path, name, neighbours):
    import hashlib

    folder = tmp_path / "exports"
    folder.mkdir()
    own = vo_export()
    (folder / name).write_bytes(own)
    for number, neighbour in enumerate(neighbours):
        other_school = [[f"9{number}{row[0]}", row[1], "99ZZ00", *row[3:]] for row in VO_ROWS[:3]]
        (folder / neighbour).write_bytes(vo_export(other_school))
    result = loader.load_paths(con, [folder / name])
    assert len(result) == 1 and result[0].loaded and result[0].rows_loaded == len(VO_ROWS)
    assert con.execute("SELECT school_id, count(*) FROM vo_enrolment GROUP BY ALL").fetchall() == [("31XA00", len(VO_ROWS))]
    assert con.execute("SELECT file_name, content_hash FROM load_log").fetchall() == [(name, hashlib.sha256(own).hexdigest())]


def test_reference_folder_with_glob_characters_in_its_name_is_read_as_named(tmp_path, monkeypatch):
    import shutil

    from sto_metrics import paths

    own = tmp_path / "regio[1]"
    shutil.copytree(paths.reference_dir(), own)
    decoy = tmp_path / "regio1"
    shutil.copytree(paths.reference_dir(), decoy)
    (decoy / "profiles.csv").write_text((decoy / "profiles.csv").read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    monkeypatch.setenv("STO_REFERENCE_DIR", str(own))
    profiles = len((own / "profiles.csv").read_text(encoding="utf-8").strip().splitlines()) - 1
    connection = open_database(tmp_path / "ref.duckdb")
    try:
        assert connection.execute("SELECT count(*) FROM ref_profile").fetchall() == [(profiles,)]
        assert loader.load_bytes(connection, "vo.csv", vo_export()).loaded
    finally:
        connection.close()


# ---------------------------------------------------------------- 7. one line-splitting rule


@pytest.mark.parametrize("control", ["\x0c", "\u2028", "\x0b", "\x1c", "\x85", "\u2029"])
@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_control_character_in_a_title_line_keeps_every_pupil_row(con, control, line_end):
    title = f"Export Magister{control}leerlingen per 1 oktober{line_end}"
    result = loader.load_bytes(con, "titel.csv", (title + csv_text(VO_HEADER, VO_ROWS, line_end=line_end)).encode("utf-8"))
    assert result.loaded and result.rows_read == len(VO_ROWS) and result.rows_loaded == len(VO_ROWS), result.messages
    assert con.execute("SELECT count(*) FROM vo_enrolment").fetchall() == [(len(VO_ROWS),)]


@pytest.mark.parametrize("control", ["\x0c", "\u2028"])
def test_line_numbers_in_messages_count_lines_as_the_reader_does(con, control):
    rows = [list(row) for row in VO_ROWS]
    rows[3][5] = "9"  # leerjaar 9: file line 1 (title) + 1 (header) + 4
    rows[1][3] = f"Vmbo{control}Zaanhuis"  # a control character inside an earlier cell is no line break either
    title = "Export Magister\n"
    result = loader.load_bytes(con, "titel.csv", (title + csv_text(VO_HEADER, rows)).encode("utf-8"))
    assert not result.loaded
    assert "Kolom 'leerjaar' is geen geldig leerjaar voor dit onderwijstype (vmbo 1-4, havo 1-5, vwo 1-6) op regel 6." in result.messages[0]


# ---------------------------------------------------------------- 6. a school year in the far future


def next_school_year() -> int:
    """The start year of the school year after today's (a Dutch school year starts on 1 August)."""
    import datetime

    today = datetime.date.today()
    return (today.year if today.month >= 8 else today.year - 1) + 1


def test_school_year_after_the_next_one_is_refused_with_its_line(con):
    rows = [list(row) for row in VO_ROWS]
    rows[6][1] = "2099-2100"  # a typo for 2023-2024: line 8 (header = 1)
    result = loader.load_bytes(con, "tikfout.csv", vo_export(rows))
    assert not result.loaded
    assert "Kolom 'schooljaar' ligt na het volgende schooljaar" in result.messages[0] and "op regel 8." in result.messages[0], result.messages
    assert con.execute("SELECT count(*) FROM vo_enrolment").fetchall() == [(0,)]
    too_far = next_school_year() + 1
    rows[6][1] = f"{too_far}-{too_far + 1}"
    assert not loader.load_bytes(con, "tikfout.csv", vo_export(rows)).loaded


def test_next_school_year_still_loads(con):
    ahead = next_school_year()
    rows = [[row[0], f"{ahead}-{ahead + 1}", *row[2:]] for row in VO_ROWS]
    result = loader.load_bytes(con, "volgend.csv", vo_export(rows))
    assert result.loaded and con.execute("SELECT DISTINCT school_year FROM vo_enrolment").fetchall() == [(ahead,)]
    mbo = csv_text(["studentnummer", "schooljaar", "instelling", "crebo", "opleiding", "niveau", "leerweg", "sector"],
                   [["100007", "2099-2100", "25MA", "90001", "Monteur", "2", "BOL", "Techniek"]]).encode("utf-8")
    refused = loader.load_bytes(con, "mbo.csv", mbo)
    assert not refused.loaded and "op regel 2." in refused.messages[0]


def test_data_version_changes_when_the_region_edits_its_reference_tables(con):
    assert loader.load_bytes(con, "vo.csv", vo_export()).loaded
    before = catalog.data_version(con)
    con.execute("UPDATE ref_profile SET technical = NOT technical WHERE code = 'D&P'")  # as a refresh from an edited profiles.csv
    assert catalog.data_version(con) != before


# ---------------------------------------------------------------- damaged workbooks (review of 1 December 2026)


def _workbook(rows: list[list[str]], chart_first: bool = False) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    if chart_first:
        book.create_chartsheet("Grafiek", 0)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _damaged(data: bytes, part: str, change) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            text = source.read(item.filename)
            if item.filename == part:
                text = change(text)
            if text is not None:
                target.writestr(item, text)
    return out.getvalue()


def test_a_damaged_workbook_is_refused_in_dutch_and_the_other_files_still_load(con, tmp_path):
    """A chart sheet first, a sheet cut in half, a broken styles part, a missing sheet: each refused with a Dutch reason
    (openpyxl raised AttributeError, ParseError, XMLSyntaxError, IndexError, which stopped the whole load), and the
    files around it load."""
    good = _workbook([VO_HEADER, *VO_ROWS])
    broken = {
        "grafiek.xlsx": _workbook([VO_HEADER, *VO_ROWS], chart_first=True),
        "half.xlsx": _damaged(good, "xl/worksheets/sheet1.xml", lambda text: text[: len(text) // 2]),
        "stijl.xlsx": _damaged(good, "xl/styles.xml", lambda text: b"<garbage"),
        "zonderblad.xlsx": _damaged(good, "xl/worksheets/sheet1.xml", lambda text: None),
    }
    for name, data in broken.items():
        with pytest.raises(loader.FileRefused, match=f"^{name}: .*(Excel-werkboek|werkblad)"):
            loader.decode_export(name, data)
    (tmp_path / "a_goed.xlsx").write_bytes(good)
    (tmp_path / "b_grafiek.xlsx").write_bytes(broken["grafiek.xlsx"])
    (tmp_path / "c_goed.csv").write_bytes(vo_export([[row[0], "2022-2023", *row[2:]] for row in VO_ROWS]))
    results = loader.load_paths(con, [tmp_path / "a_goed.xlsx", tmp_path / "b_grafiek.xlsx", tmp_path / "c_goed.csv"])
    assert [r.loaded for r in results] == [True, False, True], [r.messages for r in results]
    assert con.execute("SELECT count(*) FROM vo_enrolment").fetchall()[0][0] == 2 * len(VO_ROWS)
