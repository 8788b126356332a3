"""DUO's public open-data files (national comparison): recognised by their headers, stored as bounds.

Four kinds, each recognised from the header aliases in data/reference/duo_columns.csv (never by column
position): `duo_leerlingen` (pupils per vestiging, wide leerjaar x man/vrouw columns), `duo_examen`
(exam candidates per vestiging and profile, five school years per file), `duo_mbo_instroom` (mbo entrants
by prior education) and `duo_crebo` (crebo -> sectorkamer). A `<5` cell is stored as the bounds 1 and 4.
These are public aggregates, not pupils: a newer file of the same school year replaces the older one.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sto_metrics import db
from sto_metrics.errors import UserError
from sto_metrics.loading import reference
from sto_metrics.loading.lines import split_lines

KINDS = ("duo_leerlingen", "duo_examen", "duo_mbo_instroom", "duo_crebo")
KIND_LABELS = {
    "duo_leerlingen": "DUO leerlingen per vestiging",
    "duo_examen": "DUO examenkandidaten en geslaagden",
    "duo_mbo_instroom": "DUO instroom mbo naar vooropleiding",
    "duo_crebo": "DUO crebo en sectorkamer",
}
# What a file needs to be read as each kind; 'count' means at least one count column.
REQUIRED = {
    "duo_leerlingen": ("brin", "vestiging", "education", "count"),
    "duo_examen": ("vestiging", "education", "programme_name", "count"),
    "duo_mbo_instroom": ("prior_vo", "crebo", "entrants_mbo"),
    "duo_crebo": ("crebo", "dossier", "sectorkamer"),
}
FIELD_LABELS = {"brin": "instellingscode", "vestiging": "vestigingscode", "education": "onderwijstype", "count": "aantallen",
                "programme_name": "opleidingsnaam", "prior_vo": "vooropleiding vo", "crebo": "opleidingscode",
                "entrants_mbo": "instroom mbo", "sectorkamer": "sectorkamer"}
# Placeholders in count-column aliases: what they match in a normalised header.
PLACEHOLDERS = {
    "{leerjaar}": r"(?P<leerjaar>[1-6])",
    "{gender}": r"(?P<gender>man|vrouw|totaal)",
    "{year}": r"(?P<year>20\d\d)20\d\d",
    "{measure}": r"(?P<measure>examenkandidaten|geslaagden|slaagperc)",
}
GENDER_CODES = {"man": "M", "vrouw": "V", "totaal": "T"}
MEASURE_CODES = {"examenkandidaten": "k", "geslaagden": "g"}  # percentages are not stored
HEADER_SEARCH_LINES = 15
MAX_LINE_CHARS = 100_000


@dataclass
class DuoLayout:
    """Where a DUO file's table starts and what its columns hold."""

    kind: str
    delimiter: str
    header_line: int
    headers: list[str]
    columns: dict[str, str]  # staged column name (field or n_...) per file column, in order
    count_headers: dict[str, str]  # staged count column -> the header as written


def _aliases(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Per DUO kind: (field, normalised alias) pairs in file order; count aliases keep their placeholders."""
    reference.column_aliases(con)  # stages the reference files, duo_columns.csv among them
    found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    for kind, field_name, aliases in db.rows(con, "duo_column_alias_rows"):
        for alias in str(aliases).split("|"):
            found.setdefault(kind, []).append((field_name, reference.normalise_header(alias)))
    return found


def _count_pattern(alias: str) -> re.Pattern:
    pattern = re.escape(alias)
    for placeholder, group in PLACEHOLDERS.items():
        pattern = pattern.replace(re.escape(placeholder), group)
    return re.compile(pattern)


def _classify(kind: str, headers: list[str], aliases: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    """The staged name of each column (field, count column n_..., else c<i>) and the count columns' headers."""
    plain = {alias: field_name for field_name, alias in reversed(aliases) if field_name != "count"}
    patterns = [_count_pattern(alias) for field_name, alias in aliases if field_name == "count"]
    columns: dict[str, str] = {}
    counts: dict[str, str] = {}
    for index, header in enumerate(headers):
        normal = reference.normalise_header(header)
        name = plain.get(normal)
        if name in {"total_mbo", "entrants_programme"}:
            name = None
        elif name == "entrants_mbo":
            name = "n_entrants"  # the one count of file 3 (entrants new to mbo)
        if name is None:
            for pattern in patterns:
                match = pattern.fullmatch(normal)
                if not match:
                    continue
                parts = match.groupdict()
                if "measure" in parts and parts["measure"] not in MEASURE_CODES:
                    break
                if "leerjaar" in parts:
                    name = f"n_{parts['leerjaar']}_{GENDER_CODES[parts['gender']]}"
                else:
                    name = f"n_{parts['year']}_{MEASURE_CODES[parts['measure']]}_{GENDER_CODES[parts['gender']]}"
                break
        if name is None or name in columns.values():
            name = f"c{index}"
        columns[f"c{index}"] = name
        if name.startswith("n_"):
            counts[name] = header
    return columns, counts


def _fields_present(columns: dict[str, str]) -> set[str]:
    present = set(columns.values())
    if any(name.startswith("n_") for name in present):
        present.add("count")
    if "n_entrants" in present:
        present.add("entrants_mbo")
    return present


def head_text(data: bytes) -> str:
    """The first lines of a file as text, enough to recognise a DUO header (ASCII in every encoding DUO uses)."""
    head = data[:32768]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.decode("utf-8", errors="replace").rsplit("\n", 1)[0] if b"\n" in head else head.decode("utf-8", errors="replace")


def recognise(con: duckdb.DuckDBPyConnection, text: str) -> DuoLayout | None:
    """The layout when the text is one of DUO's public files (by its headers), else None."""
    aliases = _aliases(con)
    lines = split_lines(text)
    for line_index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        if not line.strip() or len(line) > MAX_LINE_CHARS:
            continue
        for delimiter in (";", ",", "\t"):
            if delimiter not in line:
                continue
            headers = [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter, quotechar='"'), [])]
            for kind in KINDS:
                columns, counts = _classify(kind, headers, aliases[kind])
                if set(REQUIRED[kind]) <= _fields_present(columns):
                    return DuoLayout(kind, delimiter, line_index, headers, dict(zip(columns.values(), headers, strict=True)), counts)
    return None


def _school_year(name: str, given: int | None) -> int:
    """The school year of a one-year file: the peildatum year in the file name ('...-2024.csv' is 2024-2025), else --schooljaar."""
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", Path(name).stem)
    if years:
        return int(years[-1])
    if given is not None:
        return given
    raise UserError(f"{name}: uit de bestandsnaam blijkt niet over welk schooljaar dit DUO-bestand gaat "
                    "(verwacht een peiljaar zoals ...-2024.csv). Geef het schooljaar op met --schooljaar 2024-2025.")


def _line_numbers(text: str, header_line: int) -> list[int]:
    """1-based file line of each row DuckDB reads (it skips empty lines)."""
    lines = split_lines(text)
    return [i + 1 for i in range(header_line + 1, len(lines)) if lines[i] != ""]


def _refuse_bad_cells(con: duckdb.DuckDBPyConnection, name: str, text: str, layout: DuoLayout) -> None:
    bad = db.rows(con, "duo_bad_cells")
    if bad:
        lines = _line_numbers(text, layout.header_line)
        total = db.rows(con, "duo_bad_cell_count")[0][0]
        where = "; ".join(f"regel {lines[row - 1]}, kolom '{layout.count_headers[cell]}'" for row, cell in bad[:3])
        more = f" (en nog {total - 3} cel(len))" if total > 3 else ""
        raise UserError(f"{name}: het bestand is niet geladen. Een aantal is geen getal of '<5': {where}{more}. "
                        "Controleer of dit het ongewijzigde DUO-bestand is.")
    missing = db.rows(con, "duo_missing_keys") if layout.kind in {"duo_leerlingen", "duo_examen"} else []
    if missing:
        lines = _line_numbers(text, layout.header_line)
        column = next((h for n, h in layout.columns.items() if n == "vestiging"), "vestigingscode")
        raise UserError(f"{name}: het bestand is niet geladen. Kolom '{column}' is geen geldige vestigingscode (zoals 12AB00) op regel "
                        f"{', '.join(str(lines[r - 1]) for (r,) in missing)}.")


def load(con: duckdb.DuckDBPyConnection, name: str, text: str, layout: DuoLayout, *, content_hash: str,
         school_year: int | None, result) -> None:
    """Store one DUO file in one transaction (result: loader.FileResult, filled in); UserError changes nothing."""
    result.kind = layout.kind
    earlier = db.rows(con, "load_with_hash", content_hash=content_hash)
    if earlier:
        load_id, file_name, loaded_at = earlier[0]
        raise UserError(f"{name}: dit bestand is al geladen (lading {load_id}, '{file_name}', {loaded_at:%d-%m-%Y %H:%M}). Er is niets gewijzigd.")
    year = _school_year(name, school_year) if layout.kind in {"duo_leerlingen", "duo_mbo_instroom"} else None
    with tempfile.TemporaryDirectory(prefix="sto-duo-", dir=db.read_folder()) as folder:
        path = Path(folder) / "duo.csv"
        path.write_text(text, encoding="utf-8", newline="")
        try:
            db.execute(con, "duo_stage_file", path=str(path), delim=layout.delimiter, skip=layout.header_line + 1,
                       columns={column: "VARCHAR" for column in layout.columns}, max_line=4 * MAX_LINE_CHARS)
        except duckdb.InterruptException:  # Ctrl-C (cli/load.py): not a fault of the file
            raise
        except duckdb.Error as error:
            # DuckDB's message quotes the raw line; keep only where it happened.
            found = re.search(r"[Ll]ine:?\s*(\d+)", str(error))
            where = f", rond regel {int(found.group(1))}" if found else ""  # DuckDB counts the file's lines, the skipped ones too
            raise UserError(f"{name}{where}: het bestand kon niet als CSV worden gelezen (bijvoorbeeld een aanhalingsteken dat niet "
                            "wordt gesloten of meer kolommen dan de kopregel). Controleer het DUO-bestand.") from None
    result.rows_read = db.rows(con, "duo_staged_row_count")[0][0]
    if not result.rows_read:
        raise UserError(f"{name}: het bestand heeft alleen een kopregel en geen gegevens.")
    if layout.kind != "duo_crebo":
        db.execute(con, "duo_count_cells")
        _refuse_bad_cells(con, name, text, layout)

    years: list[int] = []
    if layout.kind == "duo_leerlingen":
        db.execute(con, "duo_pupil_rows")
        unknown, first = db.rows(con, "duo_unknown_vmbo_profiles")[0]
        years = [year]
    elif layout.kind == "duo_examen":
        db.execute(con, "duo_exam_rows")
        unknown, first = db.rows(con, "duo_unknown_exam_profiles")[0]
        years = [y for (y,) in db.rows(con, "duo_exam_years")]
    else:
        unknown, first = 0, None
        years = [year] if year is not None else []
    if unknown:
        line = _line_numbers(text, layout.header_line)[first - 1]
        result.problems["onbekend_profiel"] = int(unknown)
        result.messages.append(f"onbekend profiel (telt niet mee in de vergelijking): {unknown} regel(s), de eerste op regel {line}.")

    with db.transaction(con):
        load_id = db.rows(con, "next_load_id")[0][0]
        insert = {"duo_leerlingen": "duo_pupils_insert", "duo_examen": "duo_exam_insert",
                  "duo_mbo_instroom": "duo_mbo_insert", "duo_crebo": "duo_crebo_insert"}[layout.kind]
        db.execute(con, insert, load_id=load_id, school_year=year)
        result.rows_loaded = db.rows(con, "duo_rows_of_load", load_id=load_id)[0][0]
        for covered in years:
            db.execute(con, "duo_insert_scope", load_id=load_id, school_year=covered)
        db.execute(con, "insert_load_log", load_id=load_id, file_name=name, content_hash=content_hash, kind=layout.kind,
                   rows_read=result.rows_read, rows_loaded=result.rows_loaded, problems=json.dumps(result.problems, sort_keys=True))
        db.execute(con, "duo_mark_replaced", load_id=load_id, kind=layout.kind)
    shown = ", ".join(f"{y}-{y + 1}" for y in years)
    replaces = "van hetzelfde schooljaar" if shown else "(de hele tabel)"
    result.messages.append(f"{KIND_LABELS[layout.kind]}{f', schooljaar {shown}' if shown else ''}: openbare gegevens; "
                           f"vervangt eerdere gegevens van deze soort {replaces}.")
    result.status = "geladen"
    result.load_id = load_id
