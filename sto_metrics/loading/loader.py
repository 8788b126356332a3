"""Load enrolment exports (vo, mbo, ho) into the canonical DuckDB tables.

Each file is streamed into the private read folder as UTF-8 (source.py: UTF-8, UTF-8 with BOM, UTF-16,
Windows-1252, .xlsx; never whole in memory), its delimiter and header row found from its first lines, its
kind recognised from its columns, then read and normalised by DuckDB and stored in one transaction. A file
with a fatal problem changes nothing; the message names the file, the line and the column, and never quotes
a pupil's row.
"""

from __future__ import annotations

import array
import csv
import hashlib
import io
import json
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from sto_metrics import db, schoolyear
from sto_metrics.errors import UserError
from sto_metrics.loading import activities, duo, pseudonym, reference
from sto_metrics.loading.lines import UnclosedQuote, record_starts
from sto_metrics.loading.source import (  # noqa: F401 - the limits are part of the loader's contract
    MAX_CELL_CHARS,
    MAX_XLSX_CHARS,
    MAX_XLSX_COLUMNS,
    MAX_XLSX_ROWS,
    WINDOWS_1252_FALLBACK,
    Export,
    FileRefused,
    OpenBytes,
    read_export,
    utf16_without_bom,
    write_xlsx_rows,
)

DELIMITERS = [";", ",", "\t", "|"]
DELIMITER_NAMES = {";": "puntkomma", ",": "komma", "\t": "tab", "|": "verticale streep"}
MAX_LINE_CHARS = 100_000  # a real export line is well under 1 kB; longer means a broken file
HEADER_SEARCH_LINES = 15
CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
ENROLMENT_KINDS = ("vo", "mbo", "ho")  # pupils' enrolments: a later load of a school and year may replace an earlier one

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


@dataclass
class _Layout:
    """Where a file's table starts and which of its columns are which field."""

    source: Export
    delimiter: str
    header_line: int  # 0-based line of the file
    headers: list[str]
    kind: str
    fields: dict[str, int]  # canonical field -> column index
    identifying: list[str]
    ignored: list[str]
    row_starts: array.array | None = None  # 0-based line of each row after the header, when quoted cells hold line breaks
    data_starts: array.array | None = None  # the same without the empty lines DuckDB skips, built when a message needs it
    narrowed: bool = False  # the copy lost the delimiters that ended its lines


# ---------------------------------------------------------------------------- decoding


def decode_export(name: str, data: bytes) -> str:
    """The file's text; raises FileRefused for empty, binary or spreadsheet files."""
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise FileRefused(f"{name}: het bestand is leeg.")
    if data.startswith(b"PK\x03\x04"):
        out = io.StringIO()
        write_xlsx_rows(name, io.BytesIO(data), out)
        return out.getvalue()
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else utf16_without_bom(data)
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
    return data.decode("utf-8", errors=WINDOWS_1252_FALLBACK)


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


def find_layout(name: str, source: Export, aliases: dict[str, dict[str, str]], kind: str | None) -> _Layout:
    """Find delimiter, header line and kind from the file's first lines; raises FileRefused with a precise Dutch message."""
    lines = source.head
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
        if lines and source.at_most_one_nonblank_line():
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
    return _Layout(source, delimiter, header_line, headers, chosen, fields, identifying, ignored)


def _refuse_used_header_twice(name: str, header_line: int, headers: list[str], fields: dict[str, int]) -> None:
    """A column the loader reads that the header names twice: which one is right cannot be known."""
    for index in sorted(fields.values()):
        same = [i for i, header in enumerate(headers) if reference.normalise_header(header) == reference.normalise_header(headers[index])]
        if len(same) > 1:
            raise FileRefused(f"{name}, regel {header_line + 1}: de kolom '{headers[index]}' staat twee keer in de kopregel "
                              f"(kolom {same[0] + 1} en kolom {same[1] + 1}). Laat er één staan en laad het bestand opnieuw.")


# ---------------------------------------------------------------------------- loading


def _data_line(layout: _Layout, row_nr: int) -> int | None:
    """1-based file line of DuckDB's row `row_nr` (it skips empty lines); None past the end."""
    lines = layout.source.lines
    if layout.row_starts is not None:
        if layout.data_starts is None:
            layout.data_starts = array.array("q", (s for s in layout.row_starts if not _is_empty(layout, s)))
        return layout.data_starts[row_nr - 1] + 1 if 0 < row_nr <= len(layout.data_starts) else None
    first = layout.header_line + 1
    before = lines.empty_up_to(first - 1)
    line = first + row_nr - 1
    while (moved := first + row_nr - 1 + lines.empty_up_to(line) - before) != line:
        line = moved  # the row_nr-th line from `first` that is not empty
    return line + 1 if row_nr > 0 and line < lines.count else None


def _is_empty(layout: _Layout, line: int) -> bool:
    lines = layout.source.lines
    return lines.empty_up_to(line) - lines.empty_up_to(line - 1) == 1


def _find_rows(name: str, layout: _Layout) -> None:
    """Where rows start when a quoted cell holds line breaks (an Excel cell with Alt+Enter, RFC 4180)."""
    first = layout.header_line + 1
    if layout.source.lines.last_odd_quotes < first:
        # a cell spanning lines leaves an odd number of quotes on its first line (unless a literal quote evens it out:
        # then DuckDB refuses the file and names the line)
        return
    try:
        starts = array.array("q", record_starts(layout.source.iter_lines(first), layout.delimiter, first))
    except UnclosedQuote as open_quote:
        raise FileRefused(f"{name}, regel {open_quote.line + 1}: een aanhalingsteken (\") wordt tot het einde van het bestand niet gesloten, "
                          "dus het bestand kon niet als CSV worden gelezen. Controleer die regel in de export.") from None
    if len(starts) < layout.source.lines.count - first:
        layout.row_starts = starts


def _check_line_lengths(name: str, layout: _Layout) -> None:
    if layout.source.lines.first_long is not None:
        line, chars = layout.source.lines.first_long
        shown = f"{chars:,}".replace(",", ".")
        raise FileRefused(f"{name}, regel {line + 1}: de regel is {shown} tekens lang; een exportregel is veel korter. Het bestand is beschadigd of geen leerlingexport.")


def _stage(con: duckdb.DuckDBPyConnection, name: str, path: Path, layout: _Layout) -> int:
    """Read the file's table into load_staged in one pass (text columns named after fields); returns rows read."""
    # Columns are named after their field, so that one static query reads every layout.
    field_of = {index: field_name for field_name, index in layout.fields.items() if field_name in STAGED_FIELDS}
    columns = {field_of.get(i, f"c{i}"): "VARCHAR" for i in range(len(layout.headers))}
    try:
        try:
            _stage_copy(con, path, layout, columns)
        except duckdb.InterruptException:
            raise
        except duckdb.Error:
            if not _narrow(layout, header_or_rows="rows"):
                raise
            _stage_copy(con, path, layout, columns)  # rows with more (empty) cells than the header: read again without them
    except duckdb.InterruptException:  # Ctrl-C (cli/load.py): not a fault of the file
        raise
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


def _stage_copy(con: duckdb.DuckDBPyConnection, path: Path, layout: _Layout, columns: dict[str, str]) -> None:
    db.execute(
        con, "stage_file", path=str(path), delim=layout.delimiter, skip=layout.header_line + 1, columns=columns,
        parallel=layout.row_starts is None,  # DuckDB's parallel reader cannot pad rows when cells hold line breaks
        max_line=4 * MAX_LINE_CHARS, brin_and_vestiging=layout.kind == "vo" and "school" not in layout.fields and "brin" in layout.fields,
    )


def _cell_right_of_table(name: str, layout: _Layout) -> FileRefused | None:
    """A value in a row beyond the header's last named column (a stray cell far right), by line and column."""
    from openpyxl.utils import get_column_letter

    first = layout.header_line + 1
    reader = csv.reader(layout.source.iter_lines(first), delimiter=layout.delimiter, quotechar='"')
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


def _narrow(layout: _Layout, *, header_or_rows: str = "header") -> bool:
    """Drop the delimiters that end lines (Excel's trailing empty columns), so that DuckDB's work does not grow
    with a width nobody filled; not when line breaks sit inside quoted cells (then read as it is). Up front only
    when the header line ends with one (a row's last empty cell needs no rewrite of the file); `rows`: when some
    line does (DuckDB found more cells than the header names). Returns whether the copy was narrowed."""
    if layout.row_starts is not None or layout.narrowed or layout.delimiter not in layout.source.lines.ending_delimiters:
        return False
    if header_or_rows == "header" and not layout.source.head[layout.header_line].endswith(layout.delimiter):
        return False
    layout.source.narrow(layout.delimiter)
    layout.narrowed = True
    return True


def _file_line(layout: _Layout, duckdb_line: int) -> int:
    """The file line of DuckDB's error line, which counts rows from the top of the file (the skipped lines too)."""
    first = layout.header_line + 1
    index = duckdb_line - 1 - first
    if layout.row_starts is not None:
        return layout.row_starts[index] + 1 if 0 <= index < len(layout.row_starts) else duckdb_line
    return first + index + 1 if 0 <= index < layout.source.lines.count - first else duckdb_line


def _fatal_message(name: str, layout: _Layout, fatal: pd.DataFrame) -> str:
    headers = {f: layout.headers[i] for f, i in layout.fields.items()}
    headers.setdefault("school", " + ".join(layout.headers[layout.fields[f]] for f in ("brin", "vestiging") if f in layout.fields))
    parts = []
    for (problem, _column), group in fatal.groupby(["problem", "column_field"], sort=False):
        first = group.iloc[0]
        column = headers.get(first.column_field, FIELD_LABELS.get(first.column_field, first.column_field))
        rows = [_data_line(layout, int(r)) or r for r in group.row_nr.head(5)]
        more = f" en nog {len(group) - 5} regel(s)" if len(group) > 5 else ""
        parts.append(f"kolom '{column}' {FATAL_LABELS[problem]} op regel {', '.join(map(str, rows))}{more}")
    mixed = _mixed_delimiter_hint(layout, fatal)
    return f"{name}: het bestand is niet geladen.{mixed} " + "; ".join(parts)[:1].upper() + "; ".join(parts)[1:] + ". Verbeter de export en laad het bestand opnieuw."


def _mixed_delimiter_hint(layout: _Layout, fatal: pd.DataFrame) -> str:
    numbers = [_data_line(layout, int(row_nr)) for row_nr in fatal.row_nr.unique()[:20]]
    texts = layout.source.line_texts({number - 1 for number in numbers if number})
    for number in numbers:
        if number:
            line = texts[number - 1]
            others = [d for d in DELIMITERS if d != layout.delimiter and line.count(d) >= len(layout.headers) - 1]
            if layout.delimiter not in line and others:
                return f" Regel {number} gebruikt een ander scheidingsteken ({DELIMITER_NAMES[others[0]]}) dan de kopregel ({DELIMITER_NAMES[layout.delimiter]})."
    return ""


def _blank_line_count(layout: _Layout) -> int:
    """Empty lines after the header (DuckDB skips them without counting), without those that end the file."""
    if layout.row_starts is not None:
        empty = [_is_empty(layout, start) for start in layout.row_starts]  # an empty line inside a quoted cell is no row
        while empty and empty[-1]:
            empty.pop()
        return sum(empty)
    lines = layout.source.lines
    trailing, last = 0, lines.count - 1
    while last > layout.header_line and _is_empty(layout, last):
        trailing, last = trailing + 1, last - 1
    return lines.empty_after(layout.header_line) - trailing


def _problem_counts(con: duckdb.DuckDBPyConnection, kind: str, layout: _Layout, staged_counts: tuple[int, int], result: FileResult) -> None:
    blank_rows, formula_cells = staged_counts
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
        line = _data_line(layout, int(first_row)) or int(first_row)
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
    """Load one export held in memory (an upload); on any fatal problem the database is exactly as before.

    `secret` overrides the database's pseudonymisation key (the demo database uses a fixed one);
    `source_path` names where the bytes came from and is never read again.
    `school_year` (start year) is the year of a DUO file whose name does not say it.
    """
    return _load_export(con, name, lambda: io.BytesIO(data), kind=kind, replace=replace, source_path=source_path,
                        secret=secret, school_year=school_year)


def load_file(con: duckdb.DuckDBPyConnection, path: Path, *, kind: str | None = None, replace: bool = False,
              secret: bytes | None = None, school_year: int | None = None) -> FileResult:
    """Load one export file, streamed (never read whole into memory); as load_bytes."""
    return _load_export(con, path.name, lambda: open(path, "rb"), kind=kind, replace=replace, source_path=path,
                        secret=secret, school_year=school_year)


def _load_export(con: duckdb.DuckDBPyConnection, name: str, open_bytes: OpenBytes, *, kind: str | None, replace: bool,
                 source_path: Path | None, secret: bytes | None, school_year: int | None) -> FileResult:
    name = plain_file_name(name)
    result = FileResult(file_name=name)
    try:
        with open_bytes() as handle:
            head = handle.read(32768)
        duo_layout = duo.recognise(con, duo.head_text(head))  # DUO's public files: reference data with a loader of their own
        if duo_layout is not None:
            with open_bytes() as handle:
                data = handle.read()  # DUO's files are tens of megabytes at most: their loader reads them whole
            duo.load(con, name, decode_export(name, data), duo_layout, content_hash=hashlib.sha256(data).hexdigest(),
                     school_year=school_year, result=result)
        else:
            _load(con, name, open_bytes, kind, replace, source_path, secret, result)
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


@contextmanager
def opened_export(name: str, open_bytes: OpenBytes) -> Iterator[Export]:
    """The export streamed into a folder of its own in the read folder (removed afterwards) as UTF-8."""
    with tempfile.TemporaryDirectory(prefix="sto-load-", dir=db.read_folder()) as folder:
        yield read_export(name, open_bytes, Path(folder), limit_chars=MAX_LINE_CHARS, head_lines=HEADER_SEARCH_LINES)


def _load(con, name, open_bytes: OpenBytes, kind, replace, source_path, secret, result: FileResult) -> None:
    with opened_export(name, open_bytes) as source:
        layout = find_layout(name, source, reference.column_aliases(con), kind)
        result.kind = layout.kind
        _check_line_lengths(name, layout)
        _find_rows(name, layout)
        content_hash = source.content_hash
        earlier = db.rows(con, "load_with_hash", content_hash=content_hash)
        # with --replace the same file again is a replacement like any other (it may restore what a later load replaced)
        if earlier and not (replace and layout.kind in ENROLMENT_KINDS):
            load_id, file_name, loaded_at = earlier[0]
            again = " Opnieuw laden kan met 'vervangen' (--replace)." if layout.kind in ENROLMENT_KINDS else ""
            raise FileRefused(f"{name}: dit bestand is al geladen (lading {load_id}, '{file_name}', {loaded_at:%d-%m-%Y %H:%M}). "
                              f"Er is niets gewijzigd.{again}")
        if layout.kind in activities.KINDS:  # the activities register and participant lists have their own tables
            activities.load(con, name, layout, content_hash, replace=replace, source_path=source_path, secret=secret, result=result)
            return

        db.execute(con, "create_load_macros")
        _narrow(layout)
        result.rows_read = _stage(con, name, source.path, layout)
        if not db.rows(con, "staged_data_row_count")[0][0]:
            raise FileRefused(f"{name}: het bestand heeft alleen een kopregel en geen leerlinggegevens.")
        _pupil_names_in_school_name(con, layout)
        staged_counts = db.rows(con, "staged_blank_rows_and_formula_cells")[0]  # before the staged text goes

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
        db.execute(con, "drop_staged")
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
        _problem_counts(con, layout.kind, layout, staged_counts, result)
        if layout.ignored:
            result.messages.append(f"Niet gebruikte kolommen: {', '.join(layout.ignored)}.")

        params = pseudonym.hmac_params(secret or pseudonym.database_secret(con))
        with db.transaction(con):
            load_id = db.rows(con, "next_load_id")[0][0]
            if overlap:
                db.execute(con, f"replace_overlap_{layout.kind}", load_id=load_id)
                db.execute(con, "replace_overlap_scope", load_id=load_id, kind=layout.kind)
                result.messages.append(f"Vervangen: eerdere gegevens uit lading(en) {', '.join(str(o[0]) for o in overlap)} voor dezelfde school en hetzelfde schooljaar.")
            db.execute(con, "number_load_pupils", **params)  # in this transaction: no number outlives a failed load
            db.execute(con, f"{layout.kind}_insert", load_id=load_id)
            if layout.kind == "vo":  # in this transaction: a crash leaves the flags as they were with the rows
                db.execute(con, "chosen_years_of_load", load_id=load_id)
                db.execute(con, "chosen_refresh")
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
            with open(path, "rb"):
                pass
        except OSError:
            results.append(FileResult(file_name=str(path), messages=[f"{path}: het bestand kan niet worden gelezen (geen toegang?)."]))
            continue
        results.append(load_file(con, path, kind=kind, replace=replace, secret=secret, school_year=school_year))
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
        db.execute(con, "chosen_years_of_load", load_id=load_id)  # before its rows go: their school years
        db.execute(con, "remove_load", load_id=load_id)
        db.execute(con, "chosen_refresh")
        for replaced_id, file_name, holds_rows in lost:
            if holds_rows:
                notes.append(f"Lading {replaced_id} ('{file_name}') was deels door lading {load_id} vervangen; die gegevens zijn niet bewaard. "
                             f"Verwijder lading {replaced_id} en laad '{file_name}' opnieuw om ze terug te krijgen.")
            else:
                db.execute(con, "forget_empty_load", load_id=replaced_id)
                notes.append(f"Lading {replaced_id} ('{file_name}') was door lading {load_id} vervangen; die gegevens zijn niet bewaard. "
                             f"Laad '{file_name}' opnieuw om ze terug te krijgen.")
    return notes
