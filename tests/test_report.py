"""The grant-application report: every number equals the engine's suppressed output, the sentences
match the tables beside them, nothing small or formula-like gets out, and the HTML loads nothing."""

from __future__ import annotations

import io
import math
import re
import zipfile
from html.parser import HTMLParser

import docx
import openpyxl
import pandas as pd
import pytest

from sto_metrics import cli
from sto_metrics.errors import UserError
from sto_metrics.metrics import calculations, registry
from sto_metrics.presentation import formatting as fmt
from sto_metrics.privacy import suppression
from sto_metrics.report import pack, render
from sto_metrics.report import sentences as say
from tests.conftest import PupilDB, insert_frames, synthetic_frames

EVIL_SCHOOL = "99ZZ00"  # in the synthetic vo data, not in the reference schools: its name comes from "the user"
EVIL_NAME = '=HYPERLINK("http://evil.example/x","klik")<script>alert(1)</script>'
EVIL_FILE = "C:\\Users\\Jan Jansen\\@SUM(1)+<img src=x onerror=alert(1)>.csv"
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
PERCENT = re.compile(r"(\d{1,3},\d)%")
YEAR = re.compile(r"\d{4}-\d{4}")


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """A synthetic region (fixed seed) with a hostile school name and load-log entry."""
    database = PupilDB(tmp_path_factory.mktemp("report") / "region.duckdb")
    insert_frames(database.con, *synthetic_frames(20260101, pupils=5000, first_year=2017))
    con = database.con
    con.execute("INSERT OR REPLACE INTO school VALUES (?, ?, 'vmbo', NULL)", [EVIL_SCHOOL, EVIL_NAME])
    con.execute("INSERT INTO load_log VALUES (1, ?, 'abc', 'vo', 100, 100, '{}', TIMESTAMP '2026-01-05 10:00:00', NULL)", [EVIL_FILE])
    con.execute("INSERT INTO load_log VALUES (2, 'oud.csv', 'def', 'vo', 10, 10, '{}', TIMESTAMP '2025-01-05 10:00:00', 1)")
    con.executemany("INSERT INTO load_scope VALUES (1, ?, ?)", [(EVIL_SCHOOL, 2020), (EVIL_SCHOOL, 2023), ("31XA00", 2021)])
    con.execute("CHECKPOINT")
    yield database
    database.close()


TARGETS = pd.DataFrame([
    ["inflow_vmbo", "regio", "", "2019-2020", "", "2027-2028", "50", "-1 <b>vet</b> =1+1"],
    ["progression_havo_vwo", "regio", "", "2018-2019", "", "2025-2026", "35", ""],
    ["inflow_vmbo", "31XB00", "geslacht=V", "2019-2020", "20", "2025-2026", "30", "@meisjes"],
], columns=["metric", "scope", "split", "baseline_year", "baseline_value", "target_year", "target_value", "note"])


@pytest.fixture(scope="module")
def content(region):
    return pack.report_content(region.con, targets=TARGETS)


@pytest.fixture(scope="module")
def school_content(region):
    return pack.report_content(region.con, school_id=EVIL_SCHOOL, baseline_year=2018, latest_year=2023, targets=TARGETS)


@pytest.fixture(scope="module")
def files(content, school_content):
    return {(scope, file_format): pack.render(model, file_format) for scope, model in (("regio", content), ("school", school_content))
            for file_format in pack.FORMATS}


def _blocks(model):
    return [(section, block) for section in model.sections for block in section.blocks]


def _block(model, title):
    return next(block for _, block in _blocks(model) if block.title == title)


# --------------------------------------------------------------------------------------------- the numbers


def _engine(con, kind, level, scope="regio", split=None):
    by = "regio" if scope == "regio" else "school"
    function = {"inflow": calculations.inflow, "progression": calculations.progression, "destinations": calculations.destinations}[kind]
    exact = function(con, level=level, by=by, split=split) if kind == "inflow" else function(con, level=level, by=by)
    shown = suppression.suppress(exact)
    return shown[shown["scope"] == scope]


def _same(a, b) -> bool:
    a_hidden = a is None or (isinstance(a, float) and math.isnan(a))
    b_hidden = b is None or (isinstance(b, float) and math.isnan(b))
    if a_hidden or b_hidden:
        return a_hidden and b_hidden
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("scope", ["regio", "school"])
def test_inflow_tables_equal_the_engines_suppressed_output(region, content, school_content, scope):
    model = content if scope == "regio" else school_content
    key = "regio" if scope == "regio" else EVIL_SCHOOL
    for title, level, split in [("Instroom techniek vmbo (leerjaar 3)", "vmbo", None),
                                ("Meisjes: instroom techniek vmbo (leerjaar 3)", "vmbo", "geslacht"),
                                ("Instroom techniek havo/vwo (leerjaar 4)", "havo-vwo", None)]:
        expected = _engine(region.con, "inflow", level, key, split)
        if split:
            expected = expected[expected["split"] == "V"]
        if scope == "school":
            years = expected["school_year"].str[:4].astype(int)
            expected = expected[(years >= 2018) & (years <= 2023)]
        rows = _block(model, title).table.rows
        assert [r[0] for r in rows] == list(expected["school_year"])
        for row, (_, want) in zip(rows, expected.iterrows(), strict=True):
            for got, column in zip(row[1:], ["pupils", "technical", "unknown_profile", "share", "ci_low", "ci_high"], strict=True):
                assert _same(got, want[column]), (title, row[0], column, got, want[column])


def test_progression_and_destination_tables_equal_the_engine(region, content):
    expected = _engine(region.con, "progression", "vmbo")
    rows = _block(content, "Doorstroom vmbo naar mbo techniek").table.rows
    by_key = {(r[0], r[1]): r for r in rows}
    assert len(rows) == len(expected)
    for _, want in expected.iterrows():
        row = by_key[(want["school_year"], pack.GROUP_NAMES[want["from_group"]])]
        for got, column in zip(row[2:], ["enrolled", "technical", "share", "ci_low", "ci_high"], strict=True):
            assert _same(got, want[column])
    expected = _engine(region.con, "destinations", "havo-vwo")
    expected = expected[expected["from_group"] == "totaal"]
    rows = _block(content, "Bestemming havo/vwo-gediplomeerden").table.rows
    assert [r[0] for r in rows] == list(expected["school_year"])
    for row, (_, want) in zip(rows, expected.iterrows(), strict=True):
        assert all(_same(got, want[c]) for got, c in zip(row[1:8], ["graduates", *calculations.DESTINATIONS], strict=True))
        for got, destination in zip(row[8:], calculations.DESTINATIONS, strict=True):
            count, total = fmt.numeric(want[destination]), fmt.numeric(want["graduates"])
            expected_share = count / total if count is not None and total is not None and total >= 10 else math.nan
            assert _same(got, expected_share)


def _xlsx_tables(data: bytes, sheet: str) -> list[tuple[list[str], list[list[object]]]]:
    """(header, rows) of every table on a sheet, read back with openpyxl (header rows are bold)."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    tables, current = [], None
    for row in workbook[sheet].iter_rows():
        values = [cell.value for cell in row]
        if row[0].font.bold and sum(isinstance(v, str) for v in values) >= 2:
            current = ([v for v in values if v is not None], [])
            tables.append(current)
        elif current is not None and values and values[0] is not None and not row[0].font.bold:  # a row may be all hidden but its year
            current[1].append(values[: len(current[0])])
        else:
            current = None
    return tables


def _model_tables(model, sheet):
    section = next(s for s in model.sections if s.sheet == sheet)
    return [block.table for block in section.blocks if block.table]


@pytest.mark.parametrize("scope", ["regio", "school"])
def test_xlsx_cells_are_the_tables_numbers_as_numbers(files, content, school_content, scope):
    model = content if scope == "regio" else school_content
    data = files[(scope, "xlsx")]
    for sheet in ("Overzicht", "Instroom", "Doorstroom", "Bestemming", "Ambities", "Methode"):
        found = _xlsx_tables(data, sheet)
        wanted = _model_tables(model, sheet)
        assert len(found) == len(wanted), sheet
        for (header, rows), table in zip(found, wanted, strict=True):
            assert header == [c.header for c in table.columns]  # string cells as they read: no apostrophe (issue 15)
            assert len(rows) == len(table.rows)
            for got_row, want_row in zip(rows, table.rows, strict=True):
                for got, want, column in zip(got_row, want_row, table.columns, strict=True):
                    if column.kind == "text":
                        assert got == (fmt.HIDDEN if want is None else want)
                    elif want is None or (isinstance(want, float) and math.isnan(want)):
                        assert got is None  # hidden: an empty cell
                    elif isinstance(want, str):
                        assert got == want == "<5"
                    else:
                        assert isinstance(got, int | float) and _same(got, want)


def test_xlsx_formats_and_native_charts(files, content):
    data = files[("regio", "xlsx")]
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Overzicht", "Instroom", "Doorstroom", "Bestemming", "Ambities", "Methode"]
    sheet = workbook["Instroom"]
    shares = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, float)]
    assert shares and all(c.number_format == "0.0%" for c in shares)
    assert sheet.column_dimensions["B"].width > 10
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == sum(1 for _, b in _blocks(content) if b.chart)


# --------------------------------------------------------------------------------------------- sentences


def _table_frame(table) -> pd.DataFrame:
    return pd.DataFrame(table.rows, columns=[c.header for c in table.columns])


def _check_sentence(sentence: str, table) -> None:
    """Every 'p% ... year' in the sentence is a shown share of that year's row; rise/fall only without overlap."""
    frame = _table_frame(table)
    share_columns = [c.header for c in table.columns if c.kind == "share"]
    group = "behoud" if "(behoud)" in sentence else "instap" if "(instap)" in sentence else "totaal"
    if "Herkomst" in frame:
        frame = frame[frame["Herkomst"].str.startswith(group)]
    body = re.sub(r"\(95%-interval [^)]*\)", "", sentence)
    pairs = re.findall(r"(\d{1,3},\d)% \((\d{4}-\d{4})\)", body) + re.findall(r"(\d{1,3},\d)% in (\d{4}-\d{4})", body)
    assert len(pairs) == len(PERCENT.findall(body)), sentence
    for percent, year in pairs:
        rows = frame[frame.apply(lambda r, year=year: year in [str(v) for v in r.values], axis=1)]
        assert len(rows), (sentence, year)
        shown = {fmt.percent(v) for _, r in rows.iterrows() for v in r[share_columns] if fmt.numeric(v) is not None}
        assert f"{percent}%" in shown, (sentence, shown)
    if "steeg" in sentence or "daalde" in sentence:
        (_, y1), (_, y2) = pairs
        if "95%-interval van" in frame:
            r1 = frame[frame.iloc[:, 0] == y1].iloc[0]
            r2 = frame[frame.iloc[:, 0] == y2].iloc[0]
            assert r1["95%-interval tot"] < r2["95%-interval van"] or r2["95%-interval tot"] < r1["95%-interval van"]
        else:
            row = frame[(frame.iloc[:, 1] == y1) & (frame.iloc[:, 3] == y2)].iloc[0]
            assert row["95%-intervallen overlappen"] == "nee"
    if "niet getoond" in sentence:
        assert "steeg" not in sentence and "daalde" not in sentence


@pytest.mark.parametrize("scope", ["regio", "school"])
def test_each_sentence_matches_the_table_beside_it(content, school_content, scope):
    model = content if scope == "regio" else school_content
    checked = 0
    for section, block in _blocks(model):
        if section.sheet in ("Ambities", "Methode"):
            continue
        for sentence in block.sentences:
            _check_sentence(sentence, block.table)
            checked += 1
    assert checked >= 10


def test_summary_verdicts_follow_the_overlap_rule(content):
    frame = _table_frame(_block(content, "Nulmeting en laatste jaar").table)
    for _, row in frame.iterrows():
        if row["Verandering"] in (say.RISE, say.FALL):
            assert row["95%-intervallen overlappen"] == "nee"
        if row["95%-intervallen overlappen"] == "ja":
            assert row["Verandering"] == say.WITHIN


def test_sentences_in_the_xlsx_are_the_models(files, content):
    workbook = openpyxl.load_workbook(io.BytesIO(files[("regio", "xlsx")]))
    texts = {c.value for ws in workbook.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert set(content.sentences()) <= texts


@pytest.mark.parametrize(("first", "last", "expected", "forbidden"), [
    (say.Point("2019-2020", 0.198, 0.17, 0.23), say.Point("2024-2025", 0.251, 0.24, 0.27),
     "steeg van 19,8% (2019-2020) naar 25,1% (2024-2025); de 95%-intervallen overlappen niet", ()),
    (say.Point("2019-2020", 0.30, 0.28, 0.32), say.Point("2024-2025", 0.20, 0.18, 0.22), "daalde van 30,0% (2019-2020) naar 20,0%", ()),
    (say.Point("2019-2020", 0.198, 0.15, 0.25), say.Point("2024-2025", 0.210, 0.17, 0.26),
     "was 19,8% in 2019-2020 en 21,0% in 2024-2025; het verschil valt binnen de onzekerheidsmarge", ("steeg", "daalde")),
    (say.Point("2019-2020", None), say.Point("2024-2025", 0.3, 0.25, 0.35),
     "het cijfer voor 2019-2020 wordt niet getoond vanwege kleine aantallen", ("steeg", "daalde")),
    (say.Point("2019-2020", 0.3, 0.25, 0.35), say.Point("2024-2025", None), "2024-2025 wordt niet getoond", ("steeg", "daalde")),
    (None, None, "geen gegevens", ("steeg", "daalde")),
])
def test_change_sentence_only_calls_a_change_outside_the_margin(first, last, expected, forbidden):
    sentence = say.change_sentence("het aandeel leerlingen in leerjaar 3 met een technisch profiel", first, last)
    assert sentence.startswith("Het aandeel")
    assert expected in sentence
    assert not any(word in sentence for word in forbidden)


# --------------------------------------------------------------------------------------------- safety


def _all_model_counts(model):
    for _, block in _blocks(model):
        if block.table:
            for row in block.table.rows:
                for column, value in zip(block.table.columns, row, strict=True):
                    yield block, column, row, value


@pytest.mark.parametrize("scope", ["regio", "school"])
def test_no_small_count_and_no_share_over_a_small_denominator(files, content, school_content, scope):
    model = content if scope == "regio" else school_content
    for block, column, row, value in _all_model_counts(model):
        if column.kind == "count" and isinstance(value, int):
            assert not 1 <= value <= 4, (block.title, column.header, row)
    denominators = {"Aandeel techniek": lambda t: next(i for i, c in enumerate(t.columns) if c.kind == "count")}
    for _, block in _blocks(model):
        table = block.table
        if not table or table.columns[0].header not in ("Schooljaar", "Diplomajaar"):
            continue
        denominator = denominators["Aandeel techniek"](table)
        for row in table.rows:
            if any(fmt.numeric(v) is not None for v, c in zip(row, table.columns, strict=True) if c.kind == "share"):
                assert fmt.numeric(row[denominator]) is not None and fmt.numeric(row[denominator]) >= 10, (block.title, row)
    workbook = openpyxl.load_workbook(io.BytesIO(files[(scope, "xlsx")]))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, int | float) and cell.number_format == "#,##0":
                    assert not 1 <= cell.value <= 4


@pytest.mark.parametrize("scope", ["regio", "school"])
def test_no_cell_or_paragraph_could_run_as_a_formula(files, scope):
    workbook = openpyxl.load_workbook(io.BytesIO(files[(scope, "xlsx")]))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"  # text cells are strings: shown as written (no apostrophe), never run
                assert not isinstance(cell.value, str) or cell.data_type == "s"
    document = docx.Document(io.BytesIO(files[(scope, "docx")]))
    texts = [p.text for p in document.paragraphs]
    texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert all(not t.startswith(DANGEROUS_STARTS) for t in texts)


def test_hostile_names_are_inert_everywhere(files, school_content):
    assert school_content.scope_name == EVIL_NAME
    workbook = openpyxl.load_workbook(io.BytesIO(files[("school", "xlsx")]))
    cells = [c.value for ws in workbook.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert EVIL_NAME in cells  # the school list on the Methode sheet, a string cell as it reads (not run, no apostrophe)
    assert "lading 1" in cells  # sources by load number: a file or folder name may name a person (issue 15, defect 14)
    assert not any("Jan Jansen" in c or "onerror" in c for c in cells)
    assert not any("oud.csv" in c for c in cells)  # replaced loads are not a source
    page = files[("school", "html")].decode("utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    document = docx.Document(io.BytesIO(files[("school", "docx")]))
    assert any(EVIL_NAME in p.text for p in document.paragraphs)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.mark.parametrize("scope", ["regio", "school"])
def test_html_is_self_contained_and_shows_the_tables(files, content, school_content, scope):
    model = content if scope == "regio" else school_content
    page = files[(scope, "html")].decode("utf-8")
    parser = _Tags()
    parser.feed(page)
    names = [tag for tag, _ in parser.tags]
    assert "script" not in names and "link" not in names and "iframe" not in names and "object" not in names
    for tag, attrs in parser.tags:
        for attribute in ("src", "href", "srcset", "action", "poster"):
            value = attrs.get(attribute)
            if value is not None:
                assert tag == "img" and attribute == "src" and value.startswith("data:image/png;base64,"), (tag, attribute, value[:60])
    lowered = page.lower()
    assert "@import" not in lowered and "url(" not in lowered and "http://" not in lowered.replace("http://evil.example", "")
    assert "@media print" in page and "@page" in page
    images = [a for tag, a in parser.tags if tag == "img"]
    assert len(images) == sum(1 for _, b in _blocks(model) if b.chart)
    wanted = [t for _, b in _blocks(model) if b.table for t in [b.table]]
    assert len(parser.tables) == len(wanted)
    for found, table in zip(parser.tables, wanted, strict=True):
        assert found[0] == [render.inert(c.header) for c in table.columns]
        assert found[1:] == [[render.cell_text(v, c.kind) for v, c in zip(row, table.columns, strict=True)] for row in table.rows]


def test_docx_has_the_tables_and_a_picture_per_chart(files, content):
    document = docx.Document(io.BytesIO(files[("regio", "docx")]))
    wanted = [b.table for _, b in _blocks(content) if b.table]
    assert len(document.tables) == len(wanted)
    for found, table in zip(document.tables, wanted, strict=True):
        rows = [[cell.text for cell in row.cells] for row in found.rows]
        assert rows[0] == [render.inert(c.header) for c in table.columns]
        assert rows[1:] == [[render.cell_text(v, c.kind) for v, c in zip(row, table.columns, strict=True)] for row in table.rows]
    assert len(document.inline_shapes) == sum(1 for _, b in _blocks(content) if b.chart)
    paragraphs = {p.text for p in document.paragraphs}
    assert set(content.sentences()) <= paragraphs


def test_methods_section_names_definitions_sources_suppression_and_interval(content):
    methods = next(s for s in content.sections if s.sheet == "Methode")
    text = " ".join(n for b in methods.blocks for n in b.notes) + " ".join(
        str(v) for b in methods.blocks if b.table for row in b.table.rows for v in row)
    assert registry.METRICS["inflow_vmbo"].definition_nl() in text
    assert "Wilson" in text and "95%" in text
    assert fmt.suppression_note(5, 10) in text
    assert "lading 1" in text and "2020-2021 t/m 2023-2024" in text
    assert "Jan Jansen" not in text and ".csv" not in text  # the pack goes outside: no file names


def test_ambitions_are_listed_with_their_status(content):
    block = _block(content, "Ambities en stand van zaken")
    frame = _table_frame(block.table)
    assert len(frame) == len(TARGETS)
    assert set(frame["Status"]) <= {"op koers", "achter", "behaald", "geen data"}
    assert len(block.sentences) == len(TARGETS)
    for sentence, (_, row) in zip(block.sentences, frame.iterrows(), strict=True):
        assert row["Status"] in sentence
        assert fmt.percent(row["Streefwaarde"]) in sentence


def test_bad_choices_are_dutch_user_errors(region):
    with pytest.raises(UserError, match="komt niet voor"):
        pack.report_content(region.con, school_id="00XX00", targets=TARGETS)
    with pytest.raises(UserError, match="nulmeting"):
        pack.report_content(region.con, baseline_year=2023, latest_year=2020, targets=TARGETS)
    with pytest.raises(UserError, match="rapportformaat"):
        pack.build_report(region.con, "pdf")


# --------------------------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def region_file(tmp_path_factory):
    """A closed database file for the command line (which opens it read-only)."""
    path = tmp_path_factory.mktemp("report_cli") / "region.duckdb"
    database = PupilDB(path)
    insert_frames(database.con, *synthetic_frames(7, pupils=400, first_year=2019))  # small: the command line runs three whole reports
    database.close()
    return path


def test_cli_refuses_an_unknown_extension(region_file, tmp_path, capsys):
    assert cli.main(["report", "--db", str(region_file), "--out", str(tmp_path / "rapport.pdf")]) == 2
    assert "extensie" in capsys.readouterr().err
    assert not (tmp_path / "rapport.pdf").exists()


def test_cli_writes_all_three_formats(region_file, tmp_path, monkeypatch):
    # The command line reads the region's ambitions file; a small one keeps this test quick.
    targets = tmp_path / "ambities.csv"
    TARGETS.to_csv(targets, index=False)
    from sto_metrics.metrics import ambitions
    monkeypatch.setattr(ambitions, "DEFAULT_TARGETS", targets)
    for suffix in pack.FORMATS:
        out = tmp_path / f"rapport.{suffix}"
        assert cli.main(["report", "--db", str(region_file), "--out", str(out), "--school", "31XB00"]) == 0
        assert out.stat().st_size > 1000
    assert openpyxl.load_workbook(tmp_path / "rapport.xlsx")["Overzicht"]["A1"].value.endswith("Techniekcollege Wormerveer")
    assert docx.Document(str(tmp_path / "rapport.docx")).tables
    assert (tmp_path / "rapport.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
