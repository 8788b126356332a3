"""The grant pack's chapter 'Regio naast het land': the region's published figure beside DUO's national and landsdeel
figures, with source and peildatum, in the sentences, the tables and all three file formats."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from sto_metrics.loading import loader
from sto_metrics.report import pack
from tests.conftest import PupilDB

DUO = Path(__file__).parent / "data" / "duo"
SENTENCE = ("In 2023-2024: van de vmbo-leerlingen in leerjaar 3 in de regio koos 40,0% een technisch profiel, tegen 42,5% landelijk "
            "en 41,2% in landsdeel West (DUO, peildatum 1 oktober 2023).")


@pytest.fixture
def con(tmp_path):
    pupils = PupilDB(tmp_path / "pack.duckdb")
    for i in range(30):  # 31XA00 (Noord-Holland, landsdeel West), 12 of 30 technical
        pupils.vo(f"p{i}", 2023, school="31XA00", profile="BWI" if i < 12 else "Z&W", gender="V" if i % 2 else "M")
    connection = pupils.flush()
    assert all(r.loaded for r in loader.load_paths(connection, [DUO], school_year=2024))
    yield connection
    pupils.close()


def test_the_chapter_puts_the_region_beside_the_country_and_its_landsdeel(con):
    report = pack.report_content(con)
    chapter = next(section for section in report.sections if section.sheet == "Landelijk")
    assert [s.sheet for s in report.sections][-2:] == ["Landelijk", "Methode"]
    vmbo = chapter.blocks[0]
    assert vmbo.sentences == [SENTENCE]  # 12/30; DUO 51/120 nationally, 36.5/88.5 in West (hand-computed in test_compare)
    rows = {(row[0], row[1]): row for row in vmbo.table.rows}
    assert rows[("2023-2024", "regio (eigen bestanden)")][3:] == ["30", "12", pytest.approx(0.4)]
    assert rows[("2023-2024", "Landelijk (DUO)")][2:] == ["DUO (openbaar)", "117 – 123", "48 – 54", pytest.approx(51 / 120)]
    assert rows[("2023-2024", "Landsdeel West (DUO)")][5] == pytest.approx(36.5 / 88.5)
    assert any("Bron landelijk: DUO, leerlingen vo per vestiging" in note and "niet gekoppelde leerlingen" in note for note in vmbo.notes)


def test_the_three_file_formats_hold_the_national_figures(con):
    report = pack.report_content(con)
    html = pack.render(report, "html").decode("utf-8")
    assert SENTENCE in html and "Regio naast het land" in html
    with zipfile.ZipFile(io.BytesIO(pack.render(report, "docx"))) as docx:
        assert SENTENCE in docx.read("word/document.xml").decode("utf-8")
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(pack.render(report, "xlsx")), read_only=True)
    cells = [str(c) for row in workbook["Landelijk"].iter_rows(values_only=True) for c in row if c is not None]
    assert SENTENCE in cells and "Landelijk (DUO)" in cells and "117 – 123" in cells


def test_without_duo_files_there_is_no_chapter(tmp_path):
    pupils = PupilDB(tmp_path / "zonder.duckdb")
    for i in range(30):
        pupils.vo(f"p{i}", 2023, profile="BWI" if i < 12 else "Z&W")
    report = pack.report_content(pupils.flush())
    assert "Landelijk" not in [s.sheet for s in report.sections]
    pupils.close()
