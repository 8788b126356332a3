"""Defects an adversarial review found (issue 15), each kept fixed by a test that failed before the fix.

Hostile files are generated here; races are driven by threads.
"""

from __future__ import annotations

import pytest

from sto_metrics.loading import loader, pseudonym
from sto_metrics.loading.reference import open_database
from sto_metrics.metrics import catalog
from tests.loader_support import VO_HEADER, VO_ROWS, csv_text

SECRET = "test-geheim"


@pytest.fixture(autouse=True)
def _secret(monkeypatch, tmp_path):
    monkeypatch.setenv(pseudonym.SECRET_ENV, SECRET)
    monkeypatch.setenv(pseudonym.SECRET_DIR_ENV, str(tmp_path / "secrets"))


@pytest.fixture
def con(tmp_path):
    connection = open_database(tmp_path / "regio.duckdb")
    yield connection
    connection.close()


def vo_export(rows: list[list[str]] = VO_ROWS, **kwargs) -> bytes:
    return csv_text(VO_HEADER, rows, **kwargs).encode("utf-8")


def corrected_rows() -> list[list[str]]:
    """The clean export with one pupil's profile corrected: same row count, other figures."""
    rows = [list(row) for row in VO_ROWS]
    rows[2][6] = "BWI"  # Z&W -> BWI: one more technical pupil
    return rows


# ---------------------------------------------------------------- 1. data version and load ids


def test_remove_and_corrected_reupload_gives_a_new_data_version_and_load_id(con, tmp_path):
    first = loader.load_bytes(con, "vo.csv", vo_export())
    assert first.loaded and first.load_id == 1
    seen = {catalog.data_version(con)}
    loader.remove_load(con, first.load_id)
    seen.add(catalog.data_version(con))
    second = loader.load_bytes(con, "vo.csv", vo_export(corrected_rows()))
    assert second.loaded and second.rows_loaded == first.rows_loaded
    assert second.load_id == 2  # never the removed load's id again
    assert catalog.data_version(con) not in seen  # the dashboard's cache key moved on
    seen.add(catalog.data_version(con))
    # Also across a restart: the highest id is removed, the next load still gets a new one.
    loader.remove_load(con, second.load_id)
    con.close()
    reopened = open_database(tmp_path / "regio.duckdb")
    try:
        third = loader.load_bytes(reopened, "vo.csv", vo_export())
        assert third.loaded and third.load_id == 3
        assert catalog.data_version(reopened) not in seen
    finally:
        reopened.close()


def test_database_from_before_the_load_id_sequence_continues_after_its_highest_id(con, tmp_path):
    assert loader.load_bytes(con, "vo.csv", vo_export()).load_id == 1
    assert loader.load_bytes(con, "vo2.csv", vo_export(corrected_rows()), replace=True).load_id == 2
    con.execute("DROP SEQUENCE load_id_seq")  # as a database made by an earlier version
    con.close()
    reopened = open_database(tmp_path / "regio.duckdb")
    try:
        loader.remove_load(reopened, 2)
        assert loader.load_bytes(reopened, "vo2.csv", vo_export(corrected_rows()), replace=True).load_id == 3
    finally:
        reopened.close()
