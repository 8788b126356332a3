"""Small read-only look-ups the dashboard needs for its sidebar (no streamlit, no pupil rows)."""

from __future__ import annotations

import duckdb
import pandas as pd

# Only aggregates and reference rows: which years and schools exist, and a fingerprint of the loads.
_YEARS_SQL = "SELECT DISTINCT school_year FROM vo_enrolment ORDER BY school_year"
_SCHOOLS_SQL = (
    "SELECT s.school_id, coalesce(nullif(trim(s.name), ''), s.school_id) AS name, s.school_type "
    "FROM school s WHERE s.school_id IN (SELECT DISTINCT school_id FROM vo_enrolment) ORDER BY name, s.school_id"
)
_VERSION_SQL = (
    "SELECT count(*), coalesce(max(load_id), 0), coalesce(sum(coalesce(replaced_by, 0)), 0), "
    "coalesce(sum(rows_loaded), 0) FROM load_log"
)


def school_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The school years (start years) with vo enrolments, ascending."""
    return [int(row[0]) for row in con.execute(_YEARS_SQL).fetchall()]


def schools(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Schools with vo enrolments: school_id, name, school_type; sorted by name."""
    return con.execute(_SCHOOLS_SQL).df()


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of what is loaded; it changes with every load, replacement and removal."""
    return "-".join(str(value) for value in con.execute(_VERSION_SQL).fetchone())
