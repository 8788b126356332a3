"""Load the region's activities register and participant lists (docs/data-contract.md, activities).

The loader recognises both by their headers and hands them here once the layout is known. As with the pupil
exports: one read into a staging table, checks that refuse the whole file (Dutch message with file, line and
column), one transaction. Participant keys are normalised and pseudonymised by the same SQL as pupil keys in
the vo exports, so a key whose leading zeros Excel dropped still links; names and other identifying columns
are never read.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from pathlib import Path

import duckdb
import pandas as pd

from sto_metrics import db
from sto_metrics.loading import pseudonym

KINDS = ("activiteiten", "deelnemerslijst")
STAGED_FIELDS = ["activity_id", "name", "activity_type", "school_year", "activity_date", "school", "leerjaar", "participants",
                 "girls", "pupil_key"]

FATAL_LABELS = {
    "leeg": "is leeg",
    "onbekend_schooljaar": "heeft een onbekend schooljaarformaat (gebruik bijvoorbeeld 2023-2024)",
    "onbekende_soort": "is een onbekende soort activiteit (voeg hem toe aan data/reference/activity_types.csv, of gebruik 'overig')",
    "geen_aantal": "is geen aantal (een heel getal, 0 of meer)",
    "meer_meisjes": "is groter dan het aantal deelnemers",
    "ongeldig_leerjaar": "is geen geldig leerjaar of groep (1 tot en met 8)",
    "geen_datum": "is geen datum (gebruik bijvoorbeeld 14-03-2024)",
    "onbekende_activiteit": "noemt een activiteit die niet in het activiteitenregister staat (laad eerst het register)",
}


def load(con: duckdb.DuckDBPyConnection, name: str, layout, content_hash: str, *, replace: bool,
         source_path: Path | None, secret: bytes | None, result, whole_register: bool = False) -> None:
    """Load one register or participant list into `activity` / `activity_participant`; FileRefused changes nothing.

    `whole_register`: the file is the complete register (saved from the dashboard): it replaces every earlier row.
    """
    from sto_metrics.loading import loader  # the loader imports this module

    db.execute(con, "create_load_macros")
    # DuckDB reads only the loader's own UTF-8 copy in the private read folder (a user's path may hold glob characters)
    _stage(con, name, layout.source.path, layout, loader)
    rows_read, data_rows, blank_rows, formula_cells = db.rows(con, "activity_staged_counts")[0]
    result.rows_read = int(rows_read)
    if not data_rows:
        raise loader.FileRefused(f"{name}: het bestand heeft alleen een kopregel en geen gegevens.")
    problems = {"lege_regel": loader._blank_line_count(layout) + int(blank_rows), "identificerende_kolom": len(layout.identifying),
                "formule_in_cel": int(formula_cells)}
    params = pseudonym.hmac_params(secret or pseudonym.database_secret(con))
    register = layout.kind == "activiteiten"
    if register:
        db.execute(con, "activity_normalise")
        fatal = db.run(con, "activity_fatal_problems")
    else:
        db.execute(con, "participant_normalise", **params)
        fatal = db.run(con, "participant_fatal_problems")
    if len(fatal):
        raise loader.FileRefused(_fatal_message(name, layout, fatal, loader))
    if whole_register:
        orphaned = [row[0] for row in db.rows(con, "listed_activities_missing")]
        if orphaned:
            raise loader.FileRefused(f"{name}: activiteit {', '.join(orphaned)} heeft een deelnemerslijst en kan daarom niet weg. "
                                     "Verwijder eerst die deelnemerslijst (pagina Data), of laat de activiteit staan.")
    overlap = db.rows(con, "activity_overlap" if register else "participant_overlap")
    if overlap and not replace:
        load_id, file_name, activity_id, ids = overlap[0]
        what = "activiteit" if register else "deelnemerslijst van activiteit"
        more = f" en nog {ids - 1} andere" if ids > 1 else ""
        raise loader.FileRefused(f"{name}: overlapt met lading {load_id} ('{file_name}'): {what} '{activity_id}'{more} is al geladen. "
                                 "Gebruik 'vervangen' (--replace) om die eerdere gegevens te vervangen.")
    if register:
        _register_notices(con, layout, result, loader)
    else:
        _participant_problems(con, layout, problems, result, loader)
    if layout.identifying:
        result.messages.append(f"Kolommen met persoonsgegevens zijn niet opgeslagen: {', '.join(layout.identifying)}.")
    if problems["lege_regel"]:
        result.messages.append(f"{loader.PROBLEM_LABELS['lege_regel']}: {problems['lege_regel']}.")
    if layout.ignored:
        result.messages.append(f"Niet gebruikte kolommen: {', '.join(layout.ignored)}.")
    result.problems = {kind: count for kind, count in problems.items() if count}

    with db.transaction(con):
        load_id = db.rows(con, "next_load_id")[0][0]
        if whole_register:
            db.execute(con, "activity_replace_all", load_id=load_id)
        elif overlap:
            db.execute(con, "activity_replace_overlap" if register else "participant_replace_overlap", load_id=load_id)
            result.messages.append(f"Vervangen: eerdere gegevens uit lading(en) {', '.join(str(o[0]) for o in overlap)} voor dezelfde activiteiten.")
        db.execute(con, "activity_insert" if register else "participant_insert", load_id=load_id)
        result.rows_loaded = int(db.rows(con, "activity_rows_of_load", load_id=load_id)[0][0])
        db.execute(
            con, "insert_load_log", load_id=load_id, file_name=name, content_hash=content_hash, kind=layout.kind,
            rows_read=result.rows_read, rows_loaded=result.rows_loaded, problems=json.dumps(result.problems, sort_keys=True),
        )
    result.status = "geladen"
    result.load_id = load_id


def _stage(con: duckdb.DuckDBPyConnection, name: str, path: Path, layout, loader) -> None:
    field_of = {index: field_name for field_name, index in layout.fields.items() if field_name in STAGED_FIELDS}
    columns = {field_of.get(i, f"c{i}"): "VARCHAR" for i in range(len(layout.headers))}
    try:
        db.execute(con, "stage_activity_file", path=str(path), delim=layout.delimiter, skip=layout.header_line + 1,
                   columns=columns, max_line=4 * loader.MAX_LINE_CHARS)
    except duckdb.InterruptException:  # Ctrl-C (cli/load.py): not a fault of the file
        raise
    except duckdb.Error as error:
        found = re.search(r"[Ll]ine:?\s*(\d+)", str(error))  # DuckDB's message quotes the raw line; keep only where
        where = f", rond regel {int(found.group(1)) + layout.header_line + 1}" if found else ""
        raise loader.FileRefused(f"{name}{where}: het bestand kon niet als CSV worden gelezen (bijvoorbeeld een aanhalingsteken "
                                 "dat niet wordt gesloten of meer kolommen dan de kopregel). Controleer het bestand.") from None


def _column(layout, field_name: str, loader) -> str:
    return layout.headers[layout.fields[field_name]] if field_name in layout.fields else loader.FIELD_LABELS[field_name]


def _fatal_message(name: str, layout, fatal: pd.DataFrame, loader) -> str:
    parts = []
    for (problem, column_field), group in fatal.groupby(["problem", "column_field"], sort=False):
        lines = [loader._data_line(layout, int(r)) or r for r in group.row_nr.head(5)]
        more = f" en nog {len(group) - 5} regel(s)" if len(group) > 5 else ""
        parts.append(f"kolom '{_column(layout, column_field, loader)}' {FATAL_LABELS[problem]} op regel {', '.join(map(str, lines))}{more}")
    text = "; ".join(parts)
    return f"{name}: het bestand is niet geladen. {text[:1].upper()}{text[1:]}. Verbeter het bestand en laad het opnieuw."


def _register_notices(con, layout, result, loader) -> None:
    count, first_row, codes = db.rows(con, "activity_school_notices")[0]
    if count:
        line = loader._data_line(layout, int(first_row)) or int(first_row)
        result.messages.append(f"{count} regel(s) noemen een schoolcode die geen bekende vo-vestiging is ({codes}); die activiteiten "
                               f"tellen voor de regio, niet voor een school (de eerste op regel {line}, kolom '{_column(layout, 'school', loader)}').")


def _participant_problems(con, layout, problems: dict, result, loader) -> None:
    duplicate_n, duplicate_row, not_found_n, not_found_row, vo_loaded = db.rows(con, "participant_row_problems")[0]
    column = _column(layout, "pupil_key", loader)
    if duplicate_n:
        problems["dubbele_leerling"] = int(duplicate_n)
        result.messages.append(f"leerling dubbel op de lijst van dezelfde activiteit (één keer geteld): {duplicate_n} regel(s), "
                               f"de eerste op regel {loader._data_line(layout, int(duplicate_row))}, kolom '{column}'.")
    if not_found_n and vo_loaded:
        # not a problem of the file (the vo data may come later): the data-quality report counts it at any time
        result.messages.append(f"{not_found_n} deelnemer(s) (nog) niet gevonden in de geladen vo-gegevens, de eerste op regel "
                               f"{loader._data_line(layout, int(not_found_row))}, kolom '{column}'. Zij tellen niet mee als leerling; "
                               "laad de vo-gegevens van die leerlingen, of controleer het leerlingnummer.")


def not_found_problems(con: duckdb.DuckDBPyConnection) -> list[dict[str, int]]:
    """Per participant list, the participants that match no pupil in the vo data now (for the data-quality report)."""
    return [{"deelnemer_niet_gevonden": int(n)} for _load_id, n in db.rows(con, "participants_not_found_by_load") if n]


# ---------------------------------------------------------------------------- editing the register in the dashboard

REGISTER_COLUMNS = ["activiteit_id", "naam", "soort", "schooljaar", "datum", "school", "leerjaar", "deelnemers", "meisjes"]
EDITED_NAME = "activiteitenregister (bewerkt in het dashboard)"


def register(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The stored register in its file columns (text), as the dashboard edits it."""
    return db.run(con, "activity_register_rows").astype(str)


def backup_path(database: str | Path) -> Path:
    """Where saving from the dashboard keeps the previous register: beside the database."""
    database = Path(database)
    return database.with_name(f"{database.stem}.activiteiten.bak.csv")


def save_register(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, database: str | Path) -> list[str]:
    """Validate the edited register with the loader's own checks and store it in one transaction, replacing the whole
    register; the previous one is written to backup_path() first. Returns Dutch errors (nothing changed then)."""
    from sto_metrics.loading import loader, reference

    edited = frame.reindex(columns=REGISTER_COLUMNS).fillna("").astype(str)
    edited = edited[edited.apply(lambda row: any(v.strip() for v in row), axis=1)]
    if edited.empty:
        return ["Het register is leeg: er is niets opgeslagen. Een lading verwijder je op de pagina Data."]
    data = edited.to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8")
    result = loader.FileResult(file_name=EDITED_NAME)
    try:
        with loader.opened_export(EDITED_NAME, lambda: io.BytesIO(data)) as source:
            layout = loader.find_layout(EDITED_NAME, source, reference.column_aliases(con), "activiteiten")
            _write_backup(register(con), backup_path(database))
            load(con, EDITED_NAME, layout, source.content_hash + f"-{time.time_ns()}", replace=True,
                 source_path=None, secret=None, result=result, whole_register=True)
    except loader.FileRefused as refused:
        return [str(refused).replace(f"{EDITED_NAME}: ", "") + " (Regel 2 is de eerste rij van de tabel.)"]
    except OSError:
        return [f"Opslaan mislukt: de reservekopie {backup_path(database)} kon niet worden geschreven. Er is niets gewijzigd."]
    return []


def _write_backup(previous: pd.DataFrame, path: Path) -> None:
    """Written aside, then moved in place: a backup is whole or not there."""
    temporary = path.with_name(f".{path.name}.nieuw")
    previous.to_csv(temporary, sep=";", index=False, lineterminator="\n")
    os.replace(temporary, path)
