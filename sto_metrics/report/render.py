"""Writers for the report content model: .xlsx (xlsxwriter, native charts), .html (self-contained), .docx (python-docx).

All three write the same `report.Report`, cell for cell. Text that may come from users (school
names, notes) never runs in a spreadsheet: .xlsx cells are written as strings (write_string, shown as they
read), and in chart names, the HTML and the .docx (text that may be pasted into Excel) nothing starts with
= + - @ tab or CR; in the HTML it is escaped; the HTML loads nothing from anywhere (inline CSS, charts as
data: PNGs, a Content-Security-Policy that forbids every other source).
"""

from __future__ import annotations

import base64
import html
import io
import math

from sto_metrics.presentation import formatting as fmt
from sto_metrics.presentation import tabular
from sto_metrics.report.charts import chart_png

PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
POINTS_FORMAT = '+0.0" pp";-0.0" pp";0.0" pp"'


def inert(text: object) -> str:
    """Text that no spreadsheet will run as a formula (tabular.safe_text: a quote before a leading = + - @ tab CR)."""
    return tabular.safe_text(str(text))


def _shown(text: object) -> str:
    """Text for an xlsx string cell as it reads: write_string stores text that no spreadsheet runs as a formula,
    so it needs no apostrophe in front (which Excel would show)."""
    return str(text)


def render(report, file_format: str) -> bytes:
    """The report as file bytes in 'xlsx', 'html' or 'docx'."""
    if file_format == "xlsx":
        return render_xlsx(report)
    if file_format == "html":
        return render_html(report)
    if file_format == "docx":
        return render_docx(report)
    raise ValueError(file_format)


def _is_hidden(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def cell_text(value: object, kind: str) -> str:
    """How a cell reads in the .html and .docx (Dutch notation; '–' for hidden)."""
    if kind == "share":
        return fmt.percent(value)
    if kind == "points":
        number = fmt.numeric(value)
        if number is None:
            return fmt.HIDDEN
        # A leading '+' or '-' would make the text a formula when pasted into Excel: say it in words.
        amount = fmt.number(abs(number) * 100, 1)
        return f"{amount} omhoog" if number > 0 else (f"{amount} omlaag" if number < 0 else amount)
    if kind == "count":
        return fmt.count(value)
    return inert(fmt.HIDDEN if _is_hidden(value) else value)


# --------------------------------------------------------------------------------------------
# .xlsx
# --------------------------------------------------------------------------------------------


def render_xlsx(report) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    # Strings stay strings: never turned into formulas, links or numbers.
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False, "nan_inf_to_errors": False})
    workbook.set_properties({"title": inert(report.title), "subject": "Sterk Techniekonderwijs", "comments": inert(report.subtitle)})
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "subtitle": workbook.add_format({"italic": True, "text_wrap": True, "valign": "top"}),
        "block": workbook.add_format({"bold": True, "font_size": 12}),
        "sentence": workbook.add_format({"text_wrap": True, "valign": "top", "bg_color": "#EEF5FB"}),
        "note": workbook.add_format({"text_wrap": True, "valign": "top", "font_color": "#444444", "font_size": 9}),
        "header": workbook.add_format({"bold": True, "text_wrap": True, "valign": "bottom", "bg_color": "#DCE6F1", "bottom": 1}),
        "text": workbook.add_format({"valign": "top", "text_wrap": True}),
        "count": workbook.add_format({"num_format": COUNT_FORMAT}),
        "small": workbook.add_format({"align": "right"}),
        "share": workbook.add_format({"num_format": PERCENT_FORMAT}),
        "points": workbook.add_format({"num_format": POINTS_FORMAT}),
    }
    for section in report.sections:
        sheet = workbook.add_worksheet(section.sheet[:31])
        _xlsx_section(workbook, sheet, report, section, formats)
    workbook.close()
    return buffer.getvalue()


def _text_width(section) -> float:
    widths = [sum(c.width for c in block.table.columns) for block in section.blocks if block.table]
    return max([100.0, *widths]) if widths else 100.0


def _merged_text(sheet, row: int, text: str, cell_format, span: int, width: float) -> int:
    """Wrapped text over columns 0..span-1; returns the next free row."""
    text = _shown(text)
    if span > 1:
        sheet.merge_range(row, 0, row, span - 1, "", cell_format)  # merge_range would read '=...' as a formula
    sheet.write_string(row, 0, text, cell_format)
    lines = max(1, sum(math.ceil(max(1, len(part)) / max(20.0, width * 1.1)) for part in text.split("\n")))
    sheet.set_row(row, 15 * lines + 2)
    return row + 1


def _xlsx_section(workbook, sheet, report, section, formats) -> None:
    column_widths: dict[int, float] = {}
    for block in section.blocks:
        if block.table:
            for index, column in enumerate(block.table.columns):
                column_widths[index] = max(column_widths.get(index, 8), column.width)
    span = max(len(column_widths), 6)
    for index in range(span):
        sheet.set_column(index, index, column_widths.get(index, 14))
    width = sum(column_widths.get(index, 14) for index in range(span))
    row = 0
    sheet.write_string(row, 0, _shown(report.title if section.sheet == report.sections[0].sheet else section.title), formats["title"])
    row += 1
    if section.sheet == report.sections[0].sheet:
        row = _merged_text(sheet, row, report.subtitle, formats["subtitle"], span, width)
        sheet.write_string(row, 0, _shown(section.title), formats["block"])
        row += 1
    row = _merged_text(sheet, row, section.intro, formats["subtitle"], span, width) + 1
    for block in section.blocks:
        sheet.write_string(row, 0, _shown(block.title), formats["block"])
        row += 1
        for sentence in block.sentences:
            row = _merged_text(sheet, row, sentence, formats["sentence"], span, width)
        if block.sentences:
            row += 1
        if block.table:
            header_row = row
            for index, column in enumerate(block.table.columns):
                sheet.write_string(row, index, _shown(column.header), formats["header"])
            sheet.set_row(row, 32)
            row += 1
            first_data_row = row
            for cells in block.table.rows:
                for index, (column, value) in enumerate(zip(block.table.columns, cells, strict=True)):
                    _xlsx_cell(sheet, row, index, value, column.kind, formats)
                row += 1
            if block.chart:
                chart = _xlsx_chart(workbook, section.sheet[:31], block, first_data_row)
                sheet.insert_chart(header_row, len(block.table.columns) + 1, chart, {"x_scale": 1.15, "y_scale": 1.1})
                row = max(row, header_row + 19)
            row += 1
        for note in block.notes:
            row = _merged_text(sheet, row, note, formats["note"], span, width)
        row += 1
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.hide_gridlines(2)


def _xlsx_cell(sheet, row: int, column: int, value: object, kind: str, formats) -> None:
    """Numbers as numbers; '<5' as text; hidden cells empty."""
    if kind in ("share", "points", "count") and _is_hidden(value):
        sheet.write_blank(row, column, None)
    elif kind == "count" and isinstance(value, str):
        sheet.write_string(row, column, _shown(value), formats["small"])
    elif kind in ("share", "points", "count"):
        sheet.write_number(row, column, float(value) if kind != "count" else int(value), formats[kind])
    else:
        sheet.write_string(row, column, _shown(fmt.HIDDEN if _is_hidden(value) else value), formats["text"])


_XLSX_COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7"]
_XLSX_DESTINATION_COLORS = ["#0072B2", "#D55E00", "#56B4E9", "#E69F00", "#CC79A7", "#999999"]


def _xlsx_chart(workbook, sheet_name: str, block, first_data_row: int):
    """A native Excel chart over the table's own cells (so it follows the numbers if someone edits them)."""
    spec = block.chart
    kind = {"trend": {"type": "line"}, "stacked": {"type": "column", "subtype": "stacked"}, "bars": {"type": "column"}}[spec.kind]
    chart = workbook.add_chart(kind)
    for number, series in enumerate(spec.series):
        start, stop = first_data_row + series.rows[0], first_data_row + series.rows[1] - 1
        entry = {
            "name": inert(series.name),
            "categories": [sheet_name, start, spec.category_column, stop, spec.category_column],
            "values": [sheet_name, start, series.value_column, stop, series.value_column],
        }
        if spec.kind == "trend":
            color = _XLSX_COLORS[number % len(_XLSX_COLORS)]
            entry |= {"line": {"color": color, "width": 2.25}, "marker": {"type": "circle", "size": 5,
                                                                           "fill": {"color": color}, "border": {"color": color}}}
            if series.low_column is not None and series.high_column is not None:
                rows = block.table.rows[series.rows[0]:series.rows[1]]
                plus, minus = [], []
                for cells in rows:
                    share, low, high = (fmt.numeric(cells[i]) for i in (series.value_column, series.low_column, series.high_column))
                    plus.append(0 if share is None or high is None else round(high - share, 6))
                    minus.append(0 if share is None or low is None else round(share - low, 6))
                entry["y_error_bars"] = {"type": "custom", "plus_values": plus, "minus_values": minus,
                                         "line": {"color": "#777777"}, "end_style": 1}
        elif spec.kind == "stacked":
            entry["fill"] = {"color": _XLSX_DESTINATION_COLORS[number % len(_XLSX_DESTINATION_COLORS)]}
            entry["gap"] = 60
        else:
            entry["fill"] = {"color": ["#000000", "#999999", "#0072B2"][number % 3]}
        chart.add_series(entry)
    chart.set_title({"name": inert(spec.title), "name_font": {"size": 11, "bold": True}})
    axis = {"num_format": "0%", "min": 0, "major_gridlines": {"visible": True, "line": {"color": "#E5E5E5"}}}
    if spec.kind == "stacked":
        axis["max"] = 1
    chart.set_y_axis(axis)
    chart.set_legend({"position": "bottom"} if len(spec.series) > 1 else {"none": True})
    chart.show_blanks_as("gap")
    return chart


# --------------------------------------------------------------------------------------------
# .html
# --------------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { font-family: "Segoe UI", Calibri, Arial, sans-serif; color: #1f2328; max-width: 1100px; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; font-size: 11pt; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; border-bottom: 2px solid #0072B2; padding-bottom: 0.15em; margin-top: 2em; }
h3 { font-size: 1.1em; margin: 1.4em 0 0.4em; }
.subtitle { color: #555; margin-top: 0; }
.intro { color: #333; }
ul.sentences { background: #EEF5FB; border-left: 4px solid #0072B2; padding: 0.6em 1em 0.6em 2em; margin: 0.6em 0; }
ul.sentences li { margin: 0.25em 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #C8D1DA; padding: 0.25em 0.5em; vertical-align: top; }
th { background: #DCE6F1; text-align: left; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
figure { margin: 0.8em 0; }
figure img { max-width: 100%; height: auto; }
p.note { color: #444; font-size: 0.85em; margin: 0.3em 0; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  section { break-before: page; }
  section:first-of-type { break-before: auto; }
  h2, h3 { break-after: avoid; }
  table, figure, ul.sentences { break-inside: avoid; }
  thead { display: table-header-group; }
}
"""
# Nothing may load: no scripts, fonts, styles or images from anywhere but this file.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _esc(text: object) -> str:
    return html.escape(inert(text), quote=True)


def render_html(report) -> bytes:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="nl">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(report.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<header><h1>{_esc(report.title)}</h1><p class=\"subtitle\">{_esc(report.subtitle)}</p></header>",
    ]
    for section in report.sections:
        parts.append(f'<section id="{_esc(section.sheet.lower())}"><h2>{_esc(section.title)}</h2><p class="intro">{_esc(section.intro)}</p>')
        for block in section.blocks:
            parts.append(f"<h3>{_esc(block.title)}</h3>")
            if block.sentences:
                parts.append('<ul class="sentences">' + "".join(f"<li>{_esc(s)}</li>" for s in block.sentences) + "</ul>")
            if block.table:
                parts.append(_html_table(block.table))
            if block.chart:
                encoded = base64.b64encode(chart_png(block.chart, block.table)).decode("ascii")
                parts.append(f'<figure><img alt="{_esc(block.chart.title)}" src="data:image/png;base64,{encoded}">'
                             f"<figcaption class=\"note\">{_esc(block.chart.title)}; de grafiek toont de cijfers uit de tabel.</figcaption></figure>")
            parts.extend(f'<p class="note">{_esc(note)}</p>' for note in block.notes)
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")


def _html_table(table) -> str:
    head = "".join(f"<th>{_esc(column.header)}</th>" for column in table.columns)
    body = []
    for cells in table.rows:
        tds = []
        for column, value in zip(table.columns, cells, strict=True):
            css = ' class="num"' if column.kind != "text" else ""
            tds.append(f"<td{css}>{html.escape(cell_text(value, column.kind), quote=True)}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# --------------------------------------------------------------------------------------------
# .docx
# --------------------------------------------------------------------------------------------


def render_docx(report) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    document.core_properties.title = inert(report.title)
    document.core_properties.author = "STO-monitor"
    document.core_properties.comments = inert(report.subtitle)
    page = document.sections[0]
    page.orientation = WD_ORIENT.LANDSCAPE
    page.page_width, page.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(page, side, Cm(1.8))
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10)
    document.add_heading(inert(report.title), level=0)
    document.add_paragraph(inert(report.subtitle)).runs[0].italic = True
    for number, section in enumerate(report.sections):
        if number:
            document.add_page_break()
        document.add_heading(inert(section.title), level=1)
        document.add_paragraph(inert(section.intro))
        for block in section.blocks:
            document.add_heading(inert(block.title), level=2)
            for sentence in block.sentences:
                document.add_paragraph(inert(sentence), style="List Bullet")
            if block.table:
                _docx_table(document, block.table, WD_ALIGN_PARAGRAPH, Pt)
            if block.chart:
                document.add_picture(io.BytesIO(chart_png(block.chart, block.table)), width=Cm(17))
            for note in block.notes:
                run = document.add_paragraph().add_run(inert(note))
                run.font.size = Pt(8.5)
                run.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_table(document, table, align, Pt) -> None:
    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = "Table Grid"
    for index, column in enumerate(table.columns):
        cell = grid.rows[0].cells[index]
        cell.text = inert(column.header)
        for run in cell.paragraphs[0].runs:
            run.bold = True
            run.font.size = Pt(8.5)
    for row_number, cells in enumerate(table.rows, start=1):
        row = grid.rows[row_number]
        for index, (column, value) in enumerate(zip(table.columns, cells, strict=True)):
            cell = row.cells[index]
            cell.text = cell_text(value, column.kind)
            paragraph = cell.paragraphs[0]
            if column.kind != "text":
                paragraph.alignment = align.RIGHT
            for run in paragraph.runs:
                run.font.size = Pt(8.5)
