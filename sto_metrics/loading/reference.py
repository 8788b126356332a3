"""Reference tables (profiles, sectors, schools, aliases) read from data/reference/*.csv.

The region owns these files; nothing about which profile or sector is technical is
hard-coded in the engine.
"""

from __future__ import annotations

import duckdb

from sto_metrics import db
from sto_metrics.errors import UserError
from sto_metrics.paths import reference_dir

REFERENCE_FILES = {
    "ref_profile_src": "profiles.csv",
    "ref_mbo_sector_src": "mbo_sectors.csv",
    "ref_ho_sector_src": "ho_sectors.csv",
    "ref_school_src": "schools.csv",
    "ref_value_alias_src": "value_aliases.csv",
    "ref_column_alias_src": "column_aliases.csv",
    "ref_programme_sector_src": "programme_sectors.csv",
}


def _stage(con: duckdb.DuckDBPyConnection) -> None:
    folder = reference_dir()
    for view, file_name in REFERENCE_FILES.items():
        path = folder / file_name
        if not path.is_file():
            raise UserError(f"Referentiebestand ontbreekt: {path}. Zet het terug of wijs STO_REFERENCE_DIR naar een map met alle referentiebestanden.")
        # Every column as text except the yes/no flags, so that codes like "NT/NG" stay as written.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {view} AS "
            "SELECT * FROM read_csv(?, header=true, all_varchar=true, delim=',', quote='\"')",
            [str(path)],
        )
    for view in ("ref_profile_src", "ref_mbo_sector_src", "ref_ho_sector_src"):
        flags = ["technical", "is_dp", "contains_nt", "contains_n"] if view == "ref_profile_src" else ["technical"]
        casts = ", ".join(f"CAST(lower(trim({flag})) IN ('true', 'ja', '1', 'j', 'yes') AS BOOLEAN) AS {flag}" for flag in flags)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {view} AS "
            f"SELECT * REPLACE ({casts}) FROM read_csv(?, header=true, all_varchar=true, delim=',', quote='\"')",
            [str(folder / REFERENCE_FILES[view])],
        )


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Replace the ref_* tables with the current reference CSVs, in one transaction."""
    _stage(con)
    con.execute("BEGIN TRANSACTION")
    try:
        db.execute(con, "replace_reference_tables")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def column_aliases(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Per file kind ('vo', 'mbo', 'ho'), a map from normalised header to canonical field."""
    _stage(con)
    rows = con.execute("SELECT kind, field, aliases FROM ref_column_alias_src").fetchall()
    by_kind: dict[str, dict[str, str]] = {"vo": {}, "mbo": {}, "ho": {}}
    for kind, field, aliases in rows:
        for alias in aliases.split("|"):
            for target in by_kind if kind == "*" else [kind]:
                by_kind[target].setdefault(normalise_header(alias), field)
    return by_kind


def normalise_header(header: str) -> str:
    """Headers compare without case, spaces, '_' or '-' (docs/data-contract.md)."""
    return "".join(ch for ch in header.strip().strip('"').lower() if ch not in " _-\ufeff")
