"""Small read-only look-ups the dashboard needs for its sidebar (no streamlit, no pupil rows)."""

from __future__ import annotations

import duckdb
import pandas as pd

from sto_metrics import db


def school_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The school years (start years) with vo enrolments, ascending."""
    return [int(row[0]) for row in db.rows(con, "vo_school_years")]


def school_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The school locations with vo enrolments, ascending."""
    return [str(row[0]) for row in db.rows(con, "vo_school_ids")]


def schools(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Schools with vo enrolments: school_id, name, school_type; sorted by name."""
    return db.run(con, "schools_with_data")


# The table families a cache can depend on: the pupils' enrolments (vo, mbo, ho, with the reference tables and school names),
# the activities register and participant lists, and DUO's national files.
FAMILIES = ("enrolments", "activities", "national")


def data_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """A fingerprint per table family (FAMILIES): it changes with every load, replacement and removal of that family."""
    return dict(zip(FAMILIES, (str(value) for value in db.rows(con, "data_versions")[0]), strict=True))


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of everything loaded: it changes with every load, replacement and removal."""
    return "|".join(data_versions(con).values())
