# ruff: noqa: F811  (pytest fixtures are imported from tests.dashboard_fixtures and used as arguments)
"""One database, many processes (issue 13): the command line loads while the dashboard serves, and waits for other writers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from sto_metrics import access
from sto_metrics.loading import pseudonym
from tests.dashboard_fixtures import REPO, make_app, region_database, writable_database  # noqa: F401 (fixtures)
from tests.loader_support import VO_HEADER, VO_ROWS, csv_text

SECRET = "test-geheim"
WAIT = 120  # seconds any child process may take before the test fails

# A second program that writes: opens the database writable, says so, and keeps it until its stdin closes.
HOLDER = """
import sys
from sto_metrics import access
con = access.open_writable(sys.argv[1])
print("open", flush=True)
sys.stdin.read()
con.close()
"""


@pytest.fixture(autouse=True)
def _secret(monkeypatch, tmp_path):
    monkeypatch.setenv(pseudonym.SECRET_ENV, SECRET)
    monkeypatch.setenv(pseudonym.SECRET_DIR_ENV, str(tmp_path / "secrets"))


def python(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def hold_writable(database: Path) -> subprocess.Popen:
    """A child process holding the database writable (release it by closing its stdin)."""
    holder = python("-c", HOLDER, str(database), stdin=subprocess.PIPE)
    assert holder.stdout.readline().strip() == "open", holder.stderr.read()
    return holder


def release(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    assert holder.wait(WAIT) == 0, holder.stderr.read()


def new_school_export(folder: Path) -> Path:
    """The twelve hand-counted pupils of loader_support, at a school the region database does not have."""
    rows = [[*row[:2], "99ZZ00", "Nieuwe school", *row[4:]] for row in VO_ROWS]
    path = folder / "nieuwe_school.csv"
    path.write_text(csv_text(VO_HEADER, rows), encoding="utf-8")
    return path


def load_ids(database: Path) -> list[int]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return [row[0] for row in con.execute("SELECT load_id FROM load_log ORDER BY load_id").fetchall()]
    finally:
        con.close()


def test_read_only_open_waits_for_a_writer_in_another_process_and_says_so(tmp_path):
    database = tmp_path / "regio.duckdb"
    access.open_writable(database).close()
    holder = hold_writable(database)
    notices: list[str] = []
    with pytest.raises(duckdb.Error) as refused:  # DuckDB's own rule, which the retry is about
        duckdb.connect(str(database), read_only=True)
    assert access.is_busy(refused.value)
    try:
        con = access.open_read_only(database, on_busy=notices.append, sleep=lambda seconds: release(holder))
    finally:
        if holder.poll() is None:
            release(holder)
    assert notices == ["De database is even bezet, opnieuw over 5 s."]
    assert con.execute("SELECT count(*) FROM load_log").fetchall() == [(0,)]
    con.close()


def test_a_writer_that_does_not_let_go_ends_in_a_dutch_message_and_no_change(tmp_path):
    from sto_metrics.errors import UserError

    database = tmp_path / "regio.duckdb"
    access.open_writable(database).close()
    holder = hold_writable(database)
    try:
        with pytest.raises(UserError, match=r"is bezet.*er is niets gewijzigd"):
            access.open_writable(database, wait_seconds=0)
    finally:
        release(holder)


def test_command_line_load_waits_while_another_process_writes_then_loads(tmp_path):
    database = tmp_path / "regio.duckdb"
    access.open_writable(database).close()
    export = new_school_export(tmp_path)
    holder = hold_writable(database)
    load = python("-m", "sto_metrics", "load", str(export), "--db", str(database))
    try:
        assert load.stderr.readline().strip() == access.BUSY_MESSAGE  # it waits and says so
    finally:
        release(holder)
    out, err = load.communicate(timeout=WAIT)
    assert load.returncode == 0, err
    assert "12 regels gelezen, 12 geladen (lading 1)" in out
    assert load_ids(database) == [1]


def test_load_from_the_shell_while_the_dashboard_is_open(make_app, writable_database, tmp_path):
    page = make_app(writable_database, page="pages/data.py", timeout=300)
    before = list(page.selectbox(key="data_remove_id").options)
    school_options = list(page.multiselect(key="scholen").options)
    assert "Nieuwe school (99ZZ00)" not in school_options

    # A read command and a load from the shell, while the dashboard session is open: both succeed.
    inflow = python("-m", "sto_metrics", "inflow", "--db", str(writable_database), "--by", "school")
    out, err = inflow.communicate(timeout=WAIT)
    assert inflow.returncode == 0, err
    load = python("-m", "sto_metrics", "load", str(new_school_export(tmp_path)), "--db", str(writable_database))
    out, err = load.communicate(timeout=WAIT)
    assert load.returncode == 0, err
    assert f"(lading {max(load_ids(writable_database))})" in out and "bezet" not in err

    # The dashboard shows the new load and the new school at the next interaction, without a restart.
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    after = list(page.selectbox(key="data_remove_id").options)
    assert len(after) == len(before) + 1
    assert "Nieuwe school (99ZZ00)" in page.multiselect(key="scholen").options
    assert f"{max(load_ids(writable_database))} – nieuwe_school.csv" in after


def test_dashboard_keeps_showing_the_old_data_while_a_load_holds_the_file(make_app, writable_database, tmp_path):
    page = make_app(writable_database, page="pages/data.py", timeout=300)
    before = len(page.selectbox(key="data_remove_id").options)
    load = python("-m", "sto_metrics", "load", str(new_school_export(tmp_path)), "--db", str(writable_database))
    assert load.wait(WAIT) == 0, load.stderr.read()
    holder = hold_writable(writable_database)  # the next load has begun: the file is locked
    try:
        page.run()
        assert not page.exception and not page.error, [e.value for e in page.exception]
        assert len(page.selectbox(key="data_remove_id").options) == before  # its own copy, from before
    finally:
        release(holder)
    time.sleep(access.RETRY_SECONDS)  # the dashboard tries the file again after this long
    page.run()
    assert len(page.selectbox(key="data_remove_id").options) == before + 1


def test_backup_while_the_dashboard_is_open_is_a_working_database(make_app, writable_database, tmp_path):
    page = make_app(writable_database, page="pages/data.py", timeout=300)
    loads = len(page.selectbox(key="data_remove_id").options)
    copy = tmp_path / "reserve.duckdb"
    backup = python("-m", "sto_metrics", "backup", "--db", str(writable_database), "--out", str(copy))
    out, err = backup.communicate(timeout=WAIT)
    assert backup.returncode == 0, err
    assert out.strip() == f"Reservekopie geschreven: {copy}"
    assert load_ids(copy) == load_ids(writable_database) and len(load_ids(copy)) == loads
    inflow = python("-m", "sto_metrics", "inflow", "--db", str(copy))
    original = python("-m", "sto_metrics", "inflow", "--db", str(writable_database))
    assert inflow.communicate(timeout=WAIT)[0] == original.communicate(timeout=WAIT)[0] != ""
