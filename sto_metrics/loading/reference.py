"""Reference tables (profiles, sectors, schools, aliases) read from data/reference/*.csv.

The region owns these files; nothing about which profile or sector is technical is
hard-coded in the engine.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb

from sto_metrics import db
from sto_metrics.errors import UserError
from sto_metrics.paths import reference_dir

# The region's files; sql/reference.sql (stage_reference_files) takes each one's path as the parameter named after its stem.
REFERENCE_FILES = [
    "profiles.csv",
    "mbo_sectors.csv",
    "ho_sectors.csv",
    "schools.csv",
    "value_aliases.csv",
    "column_aliases.csv",
    "programme_sectors.csv",
    "landsdelen.csv",  # national comparison: province -> Techniekpact landsdeel
    "duo_columns.csv",  # national comparison: the headers of DUO's public files
    "activity_types.csv",
]


def _stage(con: duckdb.DuckDBPyConnection) -> None:
    folder = reference_dir()
    with tempfile.TemporaryDirectory(prefix="sto-ref-", dir=db.read_folder()) as copies:
        paths = {}
        for file_name in REFERENCE_FILES:
            path = folder / file_name
            if not path.is_file():
                raise UserError(f"Referentiebestand ontbreekt: {path}. Zet het terug of wijs STO_REFERENCE_DIR naar een map met alle referentiebestanden.")
            # DuckDB reads a path as a glob ('regio[1]' is 'regio1'): it gets a copy under a name of ours.
            copy = Path(copies) / file_name
            shutil.copyfile(path, copy)
            paths[path.stem] = str(copy)
        db.execute(con, "stage_reference_files", **paths)


def open_database(db_path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open (and if needed create) a writable database with the canonical schema and fresh reference tables."""
    con = db.connect(db_path)
    refresh(con)
    return con


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the ref_* tables with the current reference CSVs, in one transaction."""
    _stage(con)
    with db.transaction(con):
        db.execute(con, "replace_reference_tables")


def column_aliases(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Per file kind ('vo', 'mbo', 'ho', 'activiteiten', 'deelnemerslijst'), a map from normalised header to canonical field."""
    _stage(con)
    rows = db.rows(con, "column_alias_rows")
    # '*' rows apply to every kind the file names (vo, mbo, ho and the other kinds, such as the activities register).
    by_kind: dict[str, dict[str, str]] = {kind: {} for kind in dict.fromkeys(["vo", "mbo", "ho", *(r[0] for r in rows if r[0] != "*")])}
    for kind, field, aliases in rows:
        for alias in aliases.split("|"):
            for target in by_kind if kind == "*" else [kind]:
                by_kind[target].setdefault(normalise_header(alias), field)
    return by_kind


def normalise_header(header: str) -> str:
    """Headers compare without case, spaces, '_' or '-' (docs/data-contract.md)."""
    return "".join(ch for ch in header.strip().strip('"').lower() if ch not in " _-\ufeff")
