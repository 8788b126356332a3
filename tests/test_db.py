"""The SQL gateway (sto_metrics/db.py): transactions, and that the loading and demo layers use nothing else."""

from __future__ import annotations

import ast
import re

import duckdb
import pandas as pd
import pytest

from sto_metrics import db
from sto_metrics.paths import PACKAGE_DIR

# Methods of a DuckDB connection that take SQL text.
SQL_METHODS = {"execute", "executemany", "sql", "query", "from_query"}
NAME_HEADER = re.compile(r"^--\s*name:\s*\w+\s*$")  # as in sto_metrics/db.py
GATEWAY_ONLY = [*sorted((PACKAGE_DIR / "loading").glob("*.py")), *sorted((PACKAGE_DIR / "demo").glob("*.py"))]


def _table(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT * FROM t ORDER BY ALL").fetchall()


def test_transaction_commits_when_the_block_ends_normally():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    with db.transaction(con):
        con.execute("INSERT INTO t VALUES (1), (2)")
    assert _table(con) == [(1,), (2,)]


def test_transaction_rolls_back_and_reraises_when_the_block_fails():
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(ZeroDivisionError), db.transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        _ = 1 / 0
    assert _table(con) == []
    with db.transaction(con):  # the connection is usable again: no transaction left open
        con.execute("INSERT INTO t VALUES (3)")
    assert _table(con) == [(3,)]


@pytest.mark.parametrize("path", GATEWAY_ONLY, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_loading_and_demo_layers_run_sql_only_through_db(path):
    calls = [
        f"line {node.lineno}: {ast.unparse(node.func)}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_METHODS
        and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "db")
    ]
    assert not calls, f"SQL outside sto_metrics/db.py: {calls}"


def test_db_depends_on_no_layer_above_it():
    tree = ast.parse((PACKAGE_DIR / "db.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {name for name in imported if name.startswith("sto_metrics")} <= {"sto_metrics.paths"}


def test_open_database_gives_the_schema_and_fresh_reference_tables(tmp_path):
    from sto_metrics.loading import reference

    con = reference.open_database(tmp_path / "regio.duckdb")
    assert con.execute("SELECT count(*) FROM ref_profile").fetchall()[0][0] > 0
    assert con.execute("SELECT count(*) FROM vo_enrolment").fetchall()[0][0] == 0
    con.close()
    bare = db.connect(tmp_path / "bare.duckdb")  # the gateway alone: schema, no reference rows
    assert bare.execute("SELECT count(*) FROM ref_profile").fetchall()[0][0] == 0
    bare.close()


def test_every_named_query_says_what_it_does():
    """The line under each `-- name:` header (as db.queries() reads them) is a comment saying what the query does."""
    missing, headers = [], 0
    for path in sorted((PACKAGE_DIR / "sql").glob("*.sql")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if NAME_HEADER.match(line):
                headers += 1
                following = lines[number + 1].strip() if number + 1 < len(lines) else ""
                if NAME_HEADER.match(following) or not re.match(r"^--\s*\S", following):
                    missing.append(f"{path.name}:{number + 1} {line}")
    assert headers == len(db.queries())  # every query was looked at
    assert not missing, f"named queries without a comment line under their header: {missing}"


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'").fetchall()[0][0]


def test_a_writable_database_gets_the_memory_budget_and_a_reader_does_not(tmp_path, monkeypatch):
    path = tmp_path / "budget.duckdb"
    monkeypatch.setenv("STO_WRITE_MEMORY_MB", "300")
    writer = db.connect(path)
    assert db.write_memory_budget() == "300MB"
    assert _memory_limit(writer) == "286.1 MiB"  # DuckDB reports 300 MB in MiB
    with pytest.raises(duckdb.Error):  # the budget is locked with the rest of the configuration
        writer.execute("SET memory_limit = '8GB'")
    writer.close()
    reader = db.connect(path, read_only=True)
    assert _memory_limit(reader) != "286.1 MiB"
    reader.close()


@pytest.mark.parametrize("setting", ["", "lots", "12"])
def test_an_unusable_memory_budget_falls_back_to_the_default(monkeypatch, setting):
    monkeypatch.setenv("STO_WRITE_MEMORY_MB", setting)
    monkeypatch.setattr(db.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})  # the cores this process may use
    assert db.write_memory_budget() == "768MB"
    monkeypatch.setattr(db.os, "sched_getaffinity", lambda pid: {0})
    assert db.write_memory_budget() == "384MB"


def test_the_memory_budget_never_exceeds_duckdbs_own_default_of_80_percent(monkeypatch):
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 2**30 // 4096}  # a machine with 1 GiB
    monkeypatch.setattr(db.os, "sysconf", lambda name: pages[name])
    monkeypatch.setenv("STO_WRITE_MEMORY_MB", "4096")
    assert db.write_memory_budget() == "819MB"
    monkeypatch.setenv("STO_WRITE_MEMORY_MB", "500")
    assert db.write_memory_budget() == "500MB"


def test_a_writable_in_memory_database_spills_into_the_private_read_folder_too():
    con = db.connect()
    try:
        assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [(str(db.read_folder() / "spill"),)]
    finally:
        con.close()


def test_what_a_writer_spills_goes_into_the_private_read_folder_not_beside_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("STO_WRITE_MEMORY_MB", "64")
    path = tmp_path / "spill.duckdb"
    con = db.connect(path)
    try:
        # sorted text well past the 64 MB budget: DuckDB must spill it to finish
        con.execute("CREATE TEMP TABLE sorted AS SELECT md5(i::VARCHAR) AS h FROM range(3000000) r(i) ORDER BY h")
        assert con.execute("SELECT count(*) FROM sorted").fetchall() == [(3000000,)]
        spilled = list((db.read_folder() / "spill").glob("duckdb_temp_*"))
        assert any(p.stat().st_size > 0 for p in spilled), spilled
        assert not (tmp_path / "spill.duckdb.tmp").exists()
    finally:
        con.close()


def test_shared_results_read_a_query_once_per_database_file_and_parameters(tmp_path):
    from sto_metrics.loading.reference import open_database

    for name in ("a.duckdb", "b.duckdb"):
        writer = open_database(tmp_path / name)
        writer.execute("INSERT INTO school VALUES ('99QA00', 'Een', 'vmbo', NULL)" if name == "a.duckdb" else
                       "INSERT INTO school VALUES ('99QB00', 'Twee', 'vmbo', NULL), ('99QC00', 'Drie', 'vmbo', NULL)")
        writer.close()
    first, second = (db.connect(tmp_path / name, read_only=True) for name in ("a.duckdb", "b.duckdb"))
    results = db.SharedResults(max_entries=2)
    with db.sharing(results):
        once = db.run_shared(first.cursor(), "school_names")
        runs = []
        original = db.run_columnar
        db.run_columnar = lambda *args, **kwargs: runs.append(args[1]) or original(*args, **kwargs)
        try:
            again = db.run_shared(first.cursor(), "school_names")  # another cursor of the same file: kept, not read
            assert runs == [] and again.equals(once) and again is not once  # a shallow copy: the kept frame stays as it is
            other = db.run_shared(second, "school_names")
            assert runs == ["school_names"] and len(other) == len(once) + 1  # another file (one school more): read
            db.run_shared(first, "vo_school_ids")  # a third entry drops the oldest (at most 2)
            db.run_shared(first, "school_names")
            assert runs == ["school_names", "vo_school_ids", "school_names"]
            writable = open_database(tmp_path / "c.duckdb")
            db.run_shared(writable, "school_names")
            db.run_shared(writable, "school_names")  # a writable file could change: never kept
            in_memory = open_database(None)
            db.run_shared(in_memory, "school_names")
            db.run_shared(in_memory, "school_names")  # nor an in-memory database
            assert runs[3:] == ["school_names"] * 4
        finally:
            db.run_columnar = original
    runs_outside = db.run_shared(first, "school_names")
    assert runs_outside.equals(once)  # outside sharing: read as always


_CELLS_QUERIES = [("inflow_cells", {"level": "vmbo"}), ("inflow_cells", {"level": "havo-vwo"}),
                  ("destination_cells", {"level": "vmbo"}), ("destination_cells", {"level": "havo-vwo"}),
                  ("retention_cells", {}), ("cohort_flow_cells", {"start_year": 2019}), ("activity_cells", {})]


@pytest.mark.parametrize(("query_name", "params"), _CELLS_QUERIES)
def test_inner_cells_read_through_arrow_are_the_plain_read_value_for_value(demo_database_path, query_name, params):
    con = db.connect(demo_database_path, read_only=True)
    try:
        plain = db.run(con, query_name, **params)
        columnar = db.run_columnar(con, query_name, **params)
    finally:
        con.close()
    assert len(plain) > 0
    pd.testing.assert_frame_equal(columnar, plain, check_exact=True)  # values, column order and dtypes
    assert pd.util.hash_pandas_object(columnar).equals(pd.util.hash_pandas_object(plain))  # the same pattern digest


def test_an_empty_cells_read_has_the_columns_of_the_query(tmp_path):
    from sto_metrics.loading.reference import open_database

    con = open_database(tmp_path / "leeg.duckdb")
    try:
        plain, columnar = db.run(con, "inflow_cells", level="vmbo"), db.run_columnar(con, "inflow_cells", level="vmbo")
    finally:
        con.close()
    assert columnar.empty and list(columnar.columns) == list(plain.columns)
    assert str(columnar["school_id"].dtype) == "str" and columnar["pupils"].dtype == "int64"
