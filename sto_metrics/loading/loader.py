"""Load enrolment exports (vo, mbo, ho) into the canonical DuckDB tables.

Each file is decoded (UTF-8, UTF-8 with BOM, UTF-16, Windows-1252), its delimiter and
header row found, its kind recognised from its columns, then read and normalised by
DuckDB and stored in one transaction. A file with a fatal problem changes nothing; the
message names the file, the line and the column, and never quotes a pupil's row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from sto_metrics import db, schoolyear
from sto_metrics.errors import UserError
from sto_metrics.loading import activities, duo, pseudonym, reference
from sto_metrics.loading.lines import UnclosedQuote, record_starts, split_lines

DELIMITERS = [";", ",", "\t", "|"]
DELIMITER_NAMES = {";": "puntkomma", ",": "komma", "\t": "tab", "|": "verticale streep"}
MAX_LINE_CHARS = 100_000  # a real export line is well under 1 kB; longer means a broken file
HEADER_SEARCH_LINES = 15
# An .xlsx is read cell by cell within these limits (a tiny zip can claim or hold an enormous sheet).
MAX_XLSX_ROWS = 1_048_576  # Excel's own limit
MAX_XLSX_COLUMNS = 1_000
MAX_CELL_CHARS = 10_000
MAX_XLSX_CHARS = 50_000_000
CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}

# The fields a file needs to be loaded at all, by kind.
REQUIRED_FIELDS = {
    "vo": ["pupil_key", "school_year", "school", "education", "leerjaar"],
    "mbo": ["pupil_key", "school_year", "institution"],
    "ho": ["pupil_key", "school_year", "institution"],
    # the region's activities register and participant lists (loading/activities.py)
    "activiteiten": ["activity_id", "activity_type", "school_year", "participants"],
    "deelnemerslijst": ["activity_id", "pupil_key"],
}
OPTIONAL_FIELDS = {
    "vo": ["school_name", "profile", "gender", "diploma"],
    "mbo": ["institution_name", "programme_code", "programme_name", "level", "route", "sector"],
    "ho": ["institution_name", "programme_code", "programme_name", "ho_type", "sector"],
    "activiteiten": ["name", "activity_date", "school", "leerjaar", "girls"],
    "deelnemerslijst": [],
}
# The fields load_staged has a column for (sql/load.sql, stage_file); a file's other columns are not kept.
STAGED_FIELDS = [
    "pupil_key", "school_year", "school", "brin", "vestiging", "school_name", "education", "leerjaar", "profile", "gender", "diploma",
    "institution", "institution_name", "programme_code", "programme_name", "level", "route", "sector", "ho_type",
]
# Headers that only one kind of export carries; they settle the kind when several fit.
KIND_MARKERS = {
    "vo": {"leerjaar", "jaarlaag", "klas", "profiel", "profielcode", "vestigingsnummer", "onderwijstype"},
    "mbo": {"crebo", "crebocode", "kwalificatiecode", "sectorkamer", "sectorunitsbb", "bolbbl", "domein"},
    "ho": {"croho", "crohocode", "isat", "isatcode", "onderdeel", "crohosector", "crohoonderdeel", "hbowo"},
    "activiteiten": {"soort", "deelnemers", "meisjes", "activiteit"},
    "deelnemerslijst": {"activiteitid"},
}

FIELD_LABELS = {
    "pupil_key": "leerlingnummer",
    "school_year": "schooljaar",
    "school": "school (brin en vestiging)",
    "brin": "brin",
    "vestiging": "vestigingsnummer",
    "school_name": "schoolnaam",
    "education": "onderwijstype",
    "leerjaar": "leerjaar",
    "profile": "profiel",
    "gender": "geslacht",
    "diploma": "diploma",
    "institution": "instelling",
    "institution_name": "instellingsnaam",
    "programme_code": "opleidingscode",
    "programme_name": "opleiding",
    "level": "niveau",
    "route": "leerweg",
    "ho_type": "type",
    "sector": "sector",
    "activity_id": "activiteit_id",
    "name": "naam",
    "activity_type": "soort",
    "activity_date": "datum",
    "participants": "deelnemers",
    "girls": "meisjes",
}

PROBLEM_LABELS = {
    "onbekend_profiel": "onbekende profielcode (telt als 'profiel onbekend')",
    "dubbele_leerling": "leerling dubbel in hetzelfde schooljaar (eerste regel bewaard)",
    "lege_regel": "lege regel (overgeslagen)",
    "identificerende_kolom": "kolom met persoonsgegevens (niet opgeslagen)",
    "onbekend_geslacht": "onbekende waarde voor geslacht (telt als onbekend)",
    "onbekende_diploma_waarde": "onbekende waarde voor diploma (telt als onbekend)",
    "onbekende_sector": "onbekende of lege sector (telt als niet-technisch)",
    "schoolnaam_afwijkend": "schoolnaam wijkt af van de bekende naam (bekende naam bewaard)",
    "formule_in_cel": "cel die als formule begint (als tekst bewaard)",
    "deelnemer_niet_gevonden": "deelnemer niet gevonden in de vo-gegevens (telt niet mee als leerling)",
}

FATAL_LABELS = {
    "leeg": "is leeg",
    "onbekend_schooljaar": "heeft een onbekend schooljaarformaat (gebruik bijvoorbeeld 2023-2024)",
    "toekomstig_schooljaar": "ligt na het volgende schooljaar (een tikfout?)",
    "onbekende_school": "is geen geldige brin- of vestigingscode (zoals 12AB of 12AB00)",
    "onbekend_onderwijstype": "is een onbekend onderwijstype (verwacht bijvoorbeeld VMBO-BB, HAVO of VWO)",
    "ongeldig_leerjaar": "is geen geldig leerjaar voor dit onderwijstype (vmbo 1-4, havo 1-5, vwo 1-6)",
}


@dataclass
class FileResult:
    """What happened to one file; messages are Dutch and never quote a pupil's row."""

    file_name: str
    kind: str | None = None
    status: str = "geweigerd"  # 'geladen' or 'geweigerd'
    rows_read: int = 0
    rows_loaded: int = 0
    problems: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    load_id: int | None = None

    @property
    def loaded(self) -> bool:
        return self.status == "geladen"


class FileRefused(UserError):
    """A fatal problem with one file: nothing of it is stored."""


@dataclass
class _Layout:
    """Where a file's table starts and which of its columns are which field."""

    text: str
    delimiter: str
    header_line: int  # 0-based index into text lines
    headers: list[str]
    kind: str
    fields: dict[str, int]  # canonical field -> column index
    identifying: list[str]
    ignored: list[str]
    line_numbers: list[int] | None = None
    row_starts: list[int] | None = None  # 0-based line of each row after the header, when quoted cells hold line breaks


# ---------------------------------------------------------------------------- decoding


def decode_export(name: str, data: bytes) -> str:
    """The file's text; raises FileRefused for empty, binary or spreadsheet files."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise FileRefused(f"{name}: het bestand is leeg.")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_as_text(name, data)
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_without_bom(data)
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            raise FileRefused(f"{name}: het bestand zegt UTF-16 te zijn maar is beschadigd. Sla het opnieuw op als CSV (UTF-8).") from None
    if b"\x00" in data[:65536]:
        raise FileRefused(f"{name}: dit is geen tekstbestand (CSV). Kies het exportbestand van de leerlingadministratie.")
    if b"\x00" in data:
        # past the first 64 KB: a broken export; DuckDB would read the cell up to it and carry on
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise FileRefused(f"{name}, regel {line}: de regel bevat een NUL-teken; het bestand is beschadigd of geen tekstbestand. Sla de export opnieuw op.")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # UTF-8; a byte that is not UTF-8 (a line pasted from a Windows-1252 file) is read as Windows-1252 on its own,
    # so the rest of the file is never turned into mojibake. A file wholly in Windows-1252 reads the same way.
    return data.decode("utf-8", errors=_WINDOWS_1252_FALLBACK)


def _windows_1252_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: the bytes UTF-8 cannot read, as Windows-1252 (Latin-1 covers its five gaps)."""
    bad = error.object[error.start : error.end]
    return "".join(bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in bad), error.end


_WINDOWS_1252_FALLBACK = "sto-windows-1252"
codecs.register_error(_WINDOWS_1252_FALLBACK, _windows_1252_bytes)


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for UTF-16 text without a byte order mark (mostly ASCII: every other byte zero)."""
    head = data[:4096]
    if len(head) < 8 or len(head) % 2:
        head = head[: len(head) - len(head) % 2]
    if len(head) < 8:
        return None
    even_zero, odd_zero = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd_zero >= 0.9 * half and even_zero <= 0.1 * half:
        return "utf-16-le"
    if even_zero >= 0.9 * half and odd_zero <= 0.1 * half:
        return "utf-16-be"
    return None


def _xlsx_as_text(name: str, data: bytes) -> str:
    """The first sheet of an Excel workbook as semicolon-separated text (values, never formulas)."""
    import io
    import zipfile

    from openpyxl import load_workbook  # only needed for .xlsx exports

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise FileRefused(f"{name}: dit zipbestand is geen leesbaar Excel-werkboek (.xlsx). Sla het op als CSV (puntkomma-gescheiden) en laad het opnieuw.") from None
    sheet = workbook.worksheets[0]
    # The sheet's dimension tag is the file's claim, not its cells: read only the cells that exist.
    sheet.reset_dimensions()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\n")
    try:
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            writer.writerow(_xlsx_row(name, number, row))
            if out.tell() > MAX_XLSX_CHARS:
                raise FileRefused(f"{name}, regel {number}: het werkblad is groter dan een leerlingexport kan zijn. Sla het op als CSV en controleer het.")
    finally:
        workbook.close()
    return out.getvalue()


def _xlsx_row(name: str, number: int, row: Sequence[object]) -> list[str]:
    """One sheet row as text cells without its trailing empty cells; FileRefused past the limits."""
    from openpyxl.utils import get_column_letter

    if number > MAX_XLSX_ROWS:
        raise FileRefused(f"{name}, regel {number}: het werkblad heeft meer dan {MAX_XLSX_ROWS:,} regels; dat is geen leerlingexport.".replace(",", "."))
    cells = ["" if value is None else _excel_cell(value) for value in row]
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > MAX_XLSX_COLUMNS:
        raise FileRefused(f"{name}, regel {number}: het werkblad heeft gegevens in kolom {get_column_letter(len(cells))}; een leerlingexport "
                          f"heeft hooguit {MAX_XLSX_COLUMNS} kolommen. Verwijder wat rechts naast de tabel staat of sla het op als CSV.")
    for column, cell in enumerate(cells, start=1):
        if len(cell) > MAX_CELL_CHARS:
            raise FileRefused(f"{name}, cel {get_column_letter(column)}{number}: de cel is {len(cell):,} tekens lang; ".replace(",", ".")
                              + "een exportcel is veel korter. Het bestand is beschadigd of geen leerlingexport.")
    return cells


def _excel_cell(value: object) -> str:
    """A cell as the text a CSV export would hold: whole numbers without '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------- layout


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter, quotechar='"'), [])


def _field_map(headers: Sequence[str], aliases: dict[str, str]) -> dict[str, int]:
    fields: dict[str, int] = {}
    for index, header in enumerate(headers):
        target = aliases.get(reference.normalise_header(header))
        if target and target != "identifying":
            fields.setdefault(target, index)
    return fields


def _satisfies(kind: str, fields: dict[str, int]) -> list[str]:
    """The required fields a kind misses with these columns."""
    missing = []
    for required in REQUIRED_FIELDS[kind]:
        if required == "school" and ("school" in fields or {"brin", "vestiging"} <= fields.keys() or "brin" in fields):
            continue
        if required not in fields:
            missing.append(required)
    return missing


def find_layout(name: str, text: str, aliases: dict[str, dict[str, str]], kind: str | None) -> _Layout:
    """Find delimiter, header line and kind; raises FileRefused with a precise Dutch message."""
    lines = split_lines(text)
    all_aliases = {alias for by_kind in aliases.values() for alias in by_kind}
    best: tuple[int, int, str] | None = None  # (recognised headers, -line, delimiter)
    for line_index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        if not line.strip() or len(line) > MAX_LINE_CHARS:
            continue
        for delimiter in DELIMITERS:
            if delimiter not in line:
                continue
            recognised = sum(1 for cell in _split(line, delimiter) if reference.normalise_header(cell) in all_aliases)
            candidate = (recognised, -line_index, delimiter)
            if recognised >= 2 and (best is None or candidate[:2] > best[:2]):
                best = candidate
    if best is None:
        if len([line for line in lines if line.strip()]) <= 1 and lines:
            raise FileRefused(f"{name}: geen kopregel met bekende kolomnamen gevonden en geen gegevens. Verwacht kolommen als leerlingnummer, schooljaar, brin, leerjaar.")
        raise FileRefused(
            f"{name}: geen kopregel met bekende kolomnamen gevonden in de eerste {HEADER_SEARCH_LINES} regels. "
            "Verwacht kolommen als leerlingnummer, schooljaar, brin/vestiging, onderwijstype en leerjaar (scheidingsteken ; , tab of |)."
        )
    header_line, delimiter = -best[1], best[2]
    headers = [cell.strip() for cell in _split(lines[header_line], delimiter)]
    while headers and not headers[-1]:
        headers.pop()  # Excel's trailing empty columns: the table ends at its last named column

    candidates = [kind] if kind else list(REQUIRED_FIELDS)
    fits = {k: _field_map(headers, aliases[k]) for k in candidates}
    complete = [k for k in candidates if not _satisfies(k, fits[k])]
    normalised = {reference.normalise_header(h) for h in headers}
    if len(complete) > 1:
        marked = [k for k in complete if KIND_MARKERS[k] & normalised]
        complete = marked if len(marked) == 1 else complete
    if len(complete) > 1:
        raise FileRefused(f"{name}: uit de kolommen blijkt niet of dit een vo-, mbo- of ho-bestand is. Geef de soort op (--kind vo, mbo of ho).")
    if not complete:
        # an activities file is only the nearest kind when it has an activity id column
        pool = [k for k in candidates if k not in activities.KINDS or "activity_id" in fits[k]]
        nearest = kind or max(pool, key=lambda k: (len(fits[k]) + 2 * len(KIND_MARKERS[k] & normalised), k == "vo"))
        missing = _satisfies(nearest, fits[nearest])
        accepted = {
            field_name: sorted(alias for alias, target in aliases[nearest].items() if target == field_name)
            for field_name in missing
        }
        details = "; ".join(f"'{FIELD_LABELS[m]}' (toegestane kopnamen: {', '.join(accepted[m][:8])})" for m in missing)
        raise FileRefused(f"{name}, regel {header_line + 1}: verplichte kolom ontbreekt voor een {nearest}-bestand: {details}.")
    chosen = complete[0]
    fields = fits[chosen]
    _refuse_used_header_twice(name, header_line, headers, fields)
    identifying = [h for h in headers if aliases[chosen].get(reference.normalise_header(h)) == "identifying"]
    ignored = [h for i, h in enumerate(headers) if h and i not in fields.values() and h not in identifying]
    return _Layout(text, delimiter, header_line, headers, chosen, fields, identifying, ignored)


def _refuse_used_header_twice(name: str, header_line: int, headers: list[str], fields: dict[str, int]) -> None:
    """A column the loader reads that the header names twice: which one is right cannot be known."""
    for index in sorted(fields.values()):
        same = [i for i, header in enumerate(headers) if reference.normalise_header(header) == reference.normalise_header(headers[index])]
        if len(same) > 1:
            raise FileRefused(f"{name}, regel {header_line + 1}: de kolom '{headers[index]}' staat twee keer in de kopregel "
                              f"(kolom {same[0] + 1} en kolom {same[1] + 1}). Laat er één staan en laad het bestand opnieuw.")


# ---------------------------------------------------------------------------- loading


def _row_starts(layout: _Layout, lines: list[str]) -> Sequence[int]:
    """0-based line where each row after the header starts (one per line unless quoted cells hold line breaks)."""
    return layout.row_starts if layout.row_starts is not None else range(layout.header_line + 1, len(lines))


def _data_line_numbers(layout: _Layout) -> list[int]:
    """1-based file line of each row DuckDB reads (it skips empty lines); built only when a message needs it."""
    if layout.line_numbers is None:
        lines = split_lines(layout.text)
        layout.line_numbers = [i + 1 for i in _row_starts(layout, lines) if lines[i] != ""]
    return layout.line_numbers


def _find_rows(name: str, layout: _Layout) -> None:
    """Where rows start when a quoted cell holds line breaks (an Excel cell with Alt+Enter, RFC 4180)."""
    if '"' not in layout.text:
        return
    lines = split_lines(layout.text)
    try:
        starts = record_starts(lines, layout.delimiter, layout.header_line + 1)
    except UnclosedQuote as open_quote:
        raise FileRefused(f"{name}, regel {open_quote.line + 1}: een aanhalingsteken (\") wordt tot het einde van het bestand niet gesloten, "
                          "dus het bestand kon niet als CSV worden gelezen. Controleer die regel in de export.") from None
    if len(starts) < len(lines) - layout.header_line - 1:
        layout.row_starts = starts


def _check_line_lengths(name: str, layout: _Layout) -> None:
    lengths = [len(line) for line in split_lines(layout.text)] or [0]
    if max(lengths) > MAX_LINE_CHARS:
        number = next(i for i, n in enumerate(lengths, start=1) if n > MAX_LINE_CHARS)
        shown = f"{lengths[number - 1]:,}".replace(",", ".")
        raise FileRefused(f"{name}, regel {number}: de regel is {shown} tekens lang; een exportregel is veel korter. Het bestand is beschadigd of geen leerlingexport.")


def _stage(con: duckdb.DuckDBPyConnection, name: str, path: Path, layout: _Layout) -> int:
    """Read the file's table into load_staged in one pass (text columns named after fields); returns rows read."""
    # Columns are named after their field, so that one static query reads every layout.
    field_of = {index: field_name for field_name, index in layout.fields.items() if field_name in STAGED_FIELDS}
    columns = {field_of.get(i, f"c{i}"): "VARCHAR" for i in range(len(layout.headers))}
    try:
        db.execute(
            con, "stage_file", path=str(path), delim=layout.delimiter, skip=layout.header_line + 1, columns=columns,
            parallel=layout.row_starts is None,  # DuckDB's parallel reader cannot pad rows when cells hold line breaks
            max_line=4 * MAX_LINE_CHARS, brin_and_vestiging=layout.kind == "vo" and "school" not in layout.fields and "brin" in layout.fields,
        )
    except duckdb.Error as error:
        stray = _cell_right_of_table(name, layout)
        if stray:
            raise stray from None
        # DuckDB's message quotes the raw line; keep only where it happened.
        found = re.search(r"[Ll]ine:?\s*(\d+)", str(error))
        where = f", rond regel {_file_line(layout, int(found.group(1)))}" if found else ""
        raise FileRefused(
            f"{name}{where}: het bestand kon niet als CSV worden gelezen (bijvoorbeeld een aanhalingsteken dat niet wordt gesloten "
            "of meer kolommen dan de kopregel). Controleer de export."
        ) from None
    return db.rows(con, "staged_row_count")[0][0]


def _cell_right_of_table(name: str, layout: _Layout) -> FileRefused | None:
    """A value in a row beyond the header's last named column (a stray cell far right), by line and column."""
    from openpyxl.utils import get_column_letter

    lines = split_lines(layout.text)
    first = layout.header_line + 1
    reader = csv.reader(iter(lines[first:]), delimiter=layout.delimiter, quotechar='"')
    consumed = 0
    try:
        for cells in reader:
            line, consumed = first + consumed + 1, reader.line_num
            beyond = next((i + 1 for i in range(len(layout.headers), len(cells)) if cells[i].strip()), None)
            if beyond:
                return FileRefused(
                    f"{name}, regel {line}: kolom {beyond} (in Excel {get_column_letter(beyond)}) heeft een waarde, maar de kopregel heeft "
                    f"{len(layout.headers)} kolommen. Verwijder wat rechts naast de tabel staat (of geef de kolom een kopnaam) en laad het bestand opnieuw.")
    except csv.Error:
        return None
    return None


def _narrow(layout: _Layout) -> str:
    """The text without the delimiters that end its lines (Excel's trailing empty columns), so that DuckDB's
    work does not grow with a width nobody filled; a line of only delimiters stays one blank row."""
    delimiter = layout.delimiter
    if layout.row_starts is not None or not re.search(f"{re.escape(delimiter)}(?:\r\n|\r|\n|$)", layout.text):
        return layout.text  # nothing to trim, or line breaks inside quoted cells: read as it is
    return "".join(f"{line.rstrip(delimiter) or line[:1]}\n" for line in split_lines(layout.text))


def _file_line(layout: _Layout, duckdb_line: int) -> int:
    """The file line of DuckDB's error line, which counts rows from the top of the file (the skipped lines too)."""
    lines = split_lines(layout.text)
    starts = _row_starts(layout, lines)
    index = duckdb_line - 1 - (layout.header_line + 1)
    return starts[index] + 1 if 0 <= index < len(starts) else duckdb_line


def _fatal_message(name: str, layout: _Layout, fatal: pd.DataFrame) -> str:
    line_numbers = _data_line_numbers(layout)
    headers = {f: layout.headers[i] for f, i in layout.fields.items()}
    headers.setdefault("school", " + ".join(layout.headers[layout.fields[f]] for f in ("brin", "vestiging") if f in layout.fields))
    parts = []
    for (problem, _column), group in fatal.groupby(["problem", "column_field"], sort=False):
        first = group.iloc[0]
        column = headers.get(first.column_field, FIELD_LABELS.get(first.column_field, first.column_field))
        rows = [line_numbers[r - 1] if r - 1 < len(line_numbers) else r for r in group.row_nr.head(5)]
        more = f" en nog {len(group) - 5} regel(s)" if len(group) > 5 else ""
        parts.append(f"kolom '{column}' {FATAL_LABELS[problem]} op regel {', '.join(map(str, rows))}{more}")
    mixed = _mixed_delimiter_hint(layout, fatal)
    return f"{name}: het bestand is niet geladen.{mixed} " + "; ".join(parts)[:1].upper() + "; ".join(parts)[1:] + ". Verbeter de export en laad het bestand opnieuw."


def _mixed_delimiter_hint(layout: _Layout, fatal: pd.DataFrame) -> str:
    lines = split_lines(layout.text)
    line_numbers = _data_line_numbers(layout)
    for row_nr in fatal.row_nr.unique()[:20]:
        if row_nr - 1 < len(line_numbers):
            line = lines[line_numbers[row_nr - 1] - 1]
            others = [d for d in DELIMITERS if d != layout.delimiter and line.count(d) >= len(layout.headers) - 1]
            if layout.delimiter not in line and others:
                return f" Regel {line_numbers[row_nr - 1]} gebruikt een ander scheidingsteken ({DELIMITER_NAMES[others[0]]}) dan de kopregel ({DELIMITER_NAMES[layout.delimiter]})."
    return ""


def _blank_line_count(layout: _Layout) -> int:
    """Empty lines after the header (DuckDB skips them without counting)."""
    lines = split_lines(layout.text)
    empty = [lines[i] == "" for i in _row_starts(layout, lines)]  # an empty line inside a quoted cell is no row
    while empty and empty[-1]:
        empty.pop()
    return sum(empty)


def _problem_counts(con: duckdb.DuckDBPyConnection, kind: str, layout: _Layout, rows_read: int, result: FileResult) -> None:
    blank_rows, formula_cells = db.rows(con, "staged_blank_rows_and_formula_cells")[0]
    counts = {
        "lege_regel": _blank_line_count(layout) + blank_rows,  # empty lines plus rows of empty cells
        "identificerende_kolom": len(layout.identifying),
        "formule_in_cel": int(formula_cells),
    }
    found = db.run(con, "vo_row_problems" if kind == "vo" else "followup_row_problems").iloc[0]
    checks = [(found.kind, found.n, found.first_row, found.column_field), ("dubbele_leerling", found.duplicate_n, found.duplicate_row, "pupil_key")]
    if kind == "vo":
        checks += [("onbekend_geslacht", found.gender_n, found.gender_row, "gender"), ("onbekende_diploma_waarde", found.diploma_n, found.diploma_row, "diploma")]
    for problem, n, first_row, column_field in checks:
        if not n:
            continue
        counts[problem] = int(n)
        column = layout.headers[layout.fields[column_field]] if column_field in layout.fields else FIELD_LABELS[column_field]
        line = _data_line_numbers(layout)[int(first_row) - 1]
        result.messages.append(f"{PROBLEM_LABELS[problem]}: {n} regel(s), de eerste op regel {line}, kolom '{column}'.")
    for school_id, names_in_file, _first, known, differing in db.rows(con, "school_names_in_file"):
        if names_in_file > 1 or differing:
            counts["schoolnaam_afwijkend"] = counts.get("schoolnaam_afwijkend", 0) + 1
            result.messages.append(f"School {school_id}: de schoolnaam in het bestand wijkt af of verschilt per regel; bewaard is '{known or _first}'.")
    if layout.identifying:
        result.messages.append(f"Kolommen met persoonsgegevens zijn niet opgeslagen: {', '.join(layout.identifying)}.")
    if counts["lege_regel"]:
        result.messages.append(f"{PROBLEM_LABELS['lege_regel']}: {counts['lege_regel']}.")
    if counts["formule_in_cel"]:
        result.messages.append(f"{PROBLEM_LABELS['formule_in_cel']}: {counts['formule_in_cel']} cel(len).")
    result.problems = {k: v for k, v in counts.items() if v}


def _pupil_names_in_school_name(con: duckdb.DuckDBPyConnection, layout: _Layout) -> None:
    """A 'naam' column with many values per school holds pupils' names, not the school's: drop it."""
    if "school_name" not in layout.fields:
        return
    most = db.rows(con, "most_school_names_per_school")[0][0]
    if most > 3:
        layout.identifying.append(layout.headers[layout.fields.pop("school_name")])
        db.execute(con, "forget_school_names")


def load_bytes(con: duckdb.DuckDBPyConnection, name: str, data: bytes, *, kind: str | None = None, replace: bool = False,
               source_path: Path | None = None, secret: bytes | None = None, school_year: int | None = None) -> FileResult:
    """Load one export; on any fatal problem the database is exactly as before.

    `secret` overrides the database's pseudonymisation key (the demo database uses a fixed one);
    `source_path` names where the bytes came from and is never read again.
    `school_year` (start year) is the year of a DUO file whose name does not say it.
    """
    name = plain_file_name(name)
    result = FileResult(file_name=name)
    try:
        duo_layout = duo.recognise(con, duo.head_text(data))  # DUO's public files: reference data with a loader of their own
        if duo_layout is not None:
            duo.load(con, name, decode_export(name, data), duo_layout, content_hash=hashlib.sha256(data).hexdigest(),
                     school_year=school_year, result=result)
        else:
            _load(con, name, data, kind, replace, source_path, secret, result)
    except (FileRefused, UserError) as refused:
        result.status = "geweigerd"
        result.messages = [str(refused)]
        result.rows_loaded = 0
        result.load_id = None
    return result


def plain_file_name(name: str) -> str:
    """A file name without control, format (right-to-left override, zero width) or line-separator characters,
    which would reorder or hide it wherever it is shown."""
    kept = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"}).strip()
    return kept or "bestand"


def _load(con, name, data, kind, replace, source_path, secret, result: FileResult) -> None:
    content_hash = hashlib.sha256(data).hexdigest()
    text = decode_export(name, data)
    layout = find_layout(name, text, reference.column_aliases(con), kind)
    result.kind = layout.kind
    _check_line_lengths(name, layout)
    _find_rows(name, layout)
    earlier = db.rows(con, "load_with_hash", content_hash=content_hash)
    if earlier:
        load_id, file_name, loaded_at = earlier[0]
        raise FileRefused(f"{name}: dit bestand is al geladen (lading {load_id}, '{file_name}', {loaded_at:%d-%m-%Y %H:%M}). Er is niets gewijzigd.")
    if layout.kind in activities.KINDS:  # the activities register and participant lists have their own tables
        activities.load(con, name, data, layout, content_hash, replace=replace, source_path=source_path, secret=secret, result=result)
        return

    db.execute(con, "create_load_macros")
    with tempfile.TemporaryDirectory(prefix="sto-load-", dir=db.read_folder()) as folder:
        # DuckDB reads a path as a glob ('export[1].csv' is 'export1.csv'): it only ever gets a name of ours,
        # holding the text of the bytes that were hashed (without trailing empty columns).
        path = Path(folder) / "export.csv"
        path.write_text(_narrow(layout), encoding="utf-8", newline="")
        result.rows_read = _stage(con, name, path, layout)
    if not db.rows(con, "staged_data_row_count")[0][0]:
        raise FileRefused(f"{name}: het bestand heeft alleen een kopregel en geen leerlinggegevens.")
    _pupil_names_in_school_name(con, layout)

    db.execute(con, "value_lookups", kind=layout.kind)
    if layout.kind == "vo":
        db.execute(con, "vo_normalise")
        fatal = db.run(con, "vo_fatal_problems", latest_year=schoolyear.latest_loadable())
    else:
        db.execute(con, "followup_normalise", kind=layout.kind)
        fatal = db.run(con, "followup_fatal_problems", latest_year=schoolyear.latest_loadable())
        if "sector" not in layout.fields:
            result.messages.append("Het bestand heeft geen sectorkolom: de sector komt uit de opleidingstabel van de regio "
                                   "(data/reference/programme_sectors.csv); zonder sector telt een inschrijving niet als technisch.")
    if len(fatal):
        raise FileRefused(_fatal_message(name, layout, fatal))
    if db.rows(con, "duplicate_rows")[0][0]:
        db.execute(con, "mark_duplicates")

    overlap = db.rows(con, "overlapping_loads", kind=layout.kind)
    if overlap and not replace:
        load_id, file_name, school_id, school_year, pairs = overlap[0]
        raise FileRefused(
            f"{name}: overlapt met lading {load_id} ('{file_name}'): school {school_id}, schooljaar {school_year}-{school_year + 1}"
            f"{f' en nog {pairs - 1} combinatie(s)' if pairs > 1 else ''}. Gebruik 'vervangen' (--replace) om die eerdere gegevens te vervangen."
        )
    _problem_counts(con, layout.kind, layout, result.rows_read, result)
    if layout.ignored:
        result.messages.append(f"Niet gebruikte kolommen: {', '.join(layout.ignored)}.")

    params = pseudonym.hmac_params(secret or pseudonym.database_secret(con))
    with db.transaction(con):
        load_id = db.rows(con, "next_load_id")[0][0]
        if overlap:
            db.execute(con, f"replace_overlap_{layout.kind}", load_id=load_id)
            db.execute(con, "replace_overlap_scope", load_id=load_id, kind=layout.kind)
            result.messages.append(f"Vervangen: eerdere gegevens uit lading(en) {', '.join(str(o[0]) for o in overlap)} voor dezelfde school en hetzelfde schooljaar.")
        db.execute(con, f"{layout.kind}_insert", load_id=load_id, **params)
        result.rows_loaded = db.rows(con, f"{layout.kind}_rows_of_load", load_id=load_id)[0][0]
        db.execute(con, "insert_load_scope", load_id=load_id)
        db.execute(con, "insert_new_schools", school_type=layout.kind)
        db.execute(
            con, "insert_load_log", load_id=load_id, file_name=name, content_hash=content_hash, kind=layout.kind,
            rows_read=result.rows_read, rows_loaded=result.rows_loaded, problems=json.dumps(result.problems, sort_keys=True),
        )
    result.status = "geladen"
    result.load_id = load_id


# ---------------------------------------------------------------------------- files and folders


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The export files named by paths and folders (recursively, sorted); UserError for what is not there."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UserError(f"{raw}: dit bestand of deze map bestaat niet.")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in CSV_SUFFIXES)
            if not found:
                raise UserError(f"{raw}: deze map bevat geen CSV-bestanden.")
            files.extend(found)
        else:
            files.append(path)
    return files


def load_paths(con: duckdb.DuckDBPyConnection, paths: Iterable[str | Path], *, kind: str | None = None,
               replace: bool = False, secret: bytes | None = None, school_year: int | None = None) -> list[FileResult]:
    """Load every file under paths, each in its own transaction."""
    results = []
    for path in expand_paths(paths):
        try:
            data = path.read_bytes()
        except OSError:
            results.append(FileResult(file_name=str(path), messages=[f"{path}: het bestand kan niet worden gelezen (geen toegang?)."]))
            continue
        results.append(load_bytes(con, path.name, data, kind=kind, replace=replace, source_path=path, secret=secret, school_year=school_year))
    return results


def load_upload(con: duckdb.DuckDBPyConnection, file_name: str, data: bytes, *, kind: str | None = None,
                replace: bool = False, school_year: int | None = None) -> FileResult:
    """Load a file uploaded in the dashboard."""
    return load_bytes(con, Path(file_name).name, data, kind=kind, replace=replace, school_year=school_year)


def list_loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every load: id, file name, kind, rows, problems (JSON), time, what replaced it and what it covers."""
    return db.run(con, "list_loads")


def remove_load(con: duckdb.DuckDBPyConnection, load_id: int) -> list[str]:
    """Remove one load and all rows it brought, in one transaction; what it replaced (--replace) comes back.

    Returns Dutch notes for replaced data that was not kept (a database from before kept rows existed,
    DUO's reference files), saying what to load again.
    """
    notes = []
    with db.transaction(con):
        lost = db.rows(con, "loads_replaced_without_kept_rows", load_id=load_id)
        db.execute(con, "remove_load", load_id=load_id)
        for replaced_id, file_name, holds_rows in lost:
            if holds_rows:
                notes.append(f"Lading {replaced_id} ('{file_name}') was deels door lading {load_id} vervangen; die gegevens zijn niet bewaard. "
                             f"Verwijder lading {replaced_id} en laad '{file_name}' opnieuw om ze terug te krijgen.")
            else:
                db.execute(con, "forget_empty_load", load_id=replaced_id)
                notes.append(f"Lading {replaced_id} ('{file_name}') was door lading {load_id} vervangen; die gegevens zijn niet bewaard. "
                             f"Laad '{file_name}' opnieuw om ze terug te krijgen.")
    return notes
