"""The one way SQL reaches DuckDB: named queries from sql/*.sql with bound parameters."""

from __future__ import annotations

import atexit
import contextvars
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from sto_metrics.paths import SQL_DIR

_NAME_HEADER = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


@cache
def queries() -> dict[str, str]:
    """All named queries: `-- name: x` starts a query that runs to the next header."""
    found: dict[str, str] = {}
    for path in sorted(SQL_DIR.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        headers = list(_NAME_HEADER.finditer(text))
        for header, following in zip(headers, [*headers[1:], None], strict=True):
            end = following.start() if following else len(text)
            name = header.group(1)
            if name in found:
                raise ValueError(f"query {name!r} is defined twice ({path.name})")
            found[name] = text[header.end() : end].strip()
    return found


def sql(query_name: str) -> str:
    """The text of one named query."""
    try:
        return queries()[query_name]
    except KeyError:
        raise KeyError(f"no query named {query_name!r} in {SQL_DIR}") from None


_STATEMENT_END = re.compile(r";\s*(?:\n|$)")


def _used(statement: str, params: dict) -> dict | None:
    """Only the parameters a statement names: DuckDB refuses unused ones."""
    used = {name: value for name, value in params.items() if re.search(rf"\${name}\b", statement)}
    return used or None


def statements(query_name: str) -> list[str]:
    """The statements of a named query, in order."""
    return [part.strip() for part in _STATEMENT_END.split(sql(query_name)) if part.strip() and not _only_comments(part)]


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())


def run(con: duckdb.DuckDBPyConnection, query_name: str, **params) -> pd.DataFrame:
    """Run a named query with bound $parameters and return its result as a DataFrame."""
    text = sql(query_name)
    return con.execute(text, _used(text, params)).df()


class SharedResults:
    """Results of named queries kept for reuse (`sharing`), at most `max_entries`, the oldest dropped first; safe to share
    between threads (the dashboard's sessions). Only for databases that never change while it lives."""

    def __init__(self, max_entries: int = 16) -> None:
        self.max_entries = max_entries
        self._results: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> pd.DataFrame | None:
        with self._lock:
            found = self._results.get(key)
            if found is not None:
                self._results.move_to_end(key)
            return found

    def put(self, key: tuple, result: pd.DataFrame) -> None:
        with self._lock:
            self._results[key] = result
            while len(self._results) > self.max_entries:
                self._results.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._results.clear()


_SHARING: contextvars.ContextVar[SharedResults | None] = contextvars.ContextVar("sharing", default=None)


@contextmanager
def sharing(results: SharedResults) -> Iterator[None]:
    """Within it, run_shared reads each named query once per database file and parameters into `results`. Only for
    connections to a database that never changes (the dashboard's read-only copies, each under its own file name): a
    region view and a school view, or destinations and progression, then read the same inner cells once."""
    token = _SHARING.set(results)
    try:
        yield
    finally:
        _SHARING.reset(token)


def run_columnar(con: duckdb.DuckDBPyConnection, query_name: str, **params) -> pd.DataFrame:
    """run() for a result of many rows of text (the inner cells): read through Arrow, with no Python string per value
    (a third faster on the national set); an empty result's text columns are pandas' str, not object."""
    text = sql(query_name)
    return con.sql(text, params=_used(text, params)).to_arrow_table().to_pandas()


def run_shared(con: duckdb.DuckDBPyConnection, query_name: str, **params) -> pd.DataFrame:
    """run_columnar(), or within `sharing` the result kept for this database file, query and parameters (read-only:
    never change it; pandas' copy-on-write keeps derived frames apart)."""
    results = _SHARING.get()
    # only a file opened read-only (a writable one could change under the key; an in-memory one has no name)
    database = rows(con, "read_only_database_file") if results is not None else []
    if not database:
        return run_columnar(con, query_name, **params)
    key = (database[0][0], query_name, tuple(sorted(params.items())))
    found = results.get(key)
    if found is None:
        found = run_columnar(con, query_name, **params)
        results.put(key, found)
    return found.copy(deep=False)  # the kept frame itself is never handed out (copy-on-write: no data copied)


def rows(con: duckdb.DuckDBPyConnection, query_name: str, **params) -> list[tuple]:
    """Run a named query with bound $parameters and return its rows as tuples."""
    text = sql(query_name)
    return con.execute(text, _used(text, params)).fetchall()


def execute(con: duckdb.DuckDBPyConnection, query_name: str, **params) -> None:
    """Run every statement of a named query, each with the bound $parameters it uses."""
    for statement in statements(query_name):
        con.execute(statement, _used(statement, params))


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN; COMMIT when the block ends normally; ROLLBACK and re-raise when it (or the COMMIT) fails."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:  # a Ctrl-C too: the connection may go on (cli/load.py records what was loaded)
        con.execute("ROLLBACK")
        raise


READ_FOLDER_PREFIX = "sto-duckdb-"
# Temporary folders of versions before read_folder(), directly in the temporary directory.
OLD_FOLDER_PREFIXES = ("sto-load-", "sto-ref-", "sto-duo-")
OLD_FOLDER_AGE_SECONDS = 3600
PRIVATE_UMASK = 0o027  # new files: nothing for others, no writing for the group (databases, their WAL, ambities.csv)


@cache
def read_folder() -> Path:
    """The one folder the app's DuckDB may read files from: the loaders' copies go in it (a folder of each).

    Private to this process (mode 0700) and removed when it exits; what a crashed process left is removed
    when the next one starts (the copies hold raw pupil numbers and columns that are never stored).
    """
    remove_stale_folders()
    folder = Path(tempfile.mkdtemp(prefix=f"{READ_FOLDER_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def remove_stale_folders() -> None:
    """Remove this user's read folders of processes that no longer run (and old-style ones over an hour old)."""
    import time

    for folder in Path(tempfile.gettempdir()).glob("sto-*"):
        try:
            found = folder.lstat()
        except OSError:
            continue
        if not folder.is_dir() or folder.is_symlink() or found.st_uid != os.getuid():
            continue
        pid = folder.name.removeprefix(READ_FOLDER_PREFIX).split("-")[0]
        stale = (folder.name.startswith(READ_FOLDER_PREFIX) and pid.isdigit() and not process_running(int(pid))) or (
            folder.name.startswith(OLD_FOLDER_PREFIXES) and time.time() - found.st_mtime > OLD_FOLDER_AGE_SECONDS)
        if stale:
            shutil.rmtree(folder, ignore_errors=True)


def process_running(pid: int) -> bool:
    """Is there a process with this id? (Another user's process, or any doubt, counts as running: nothing of it is removed.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def keep_files_private() -> None:
    """For the entry points (command line, dashboard): files this process creates are not readable by others."""
    current = os.umask(PRIVATE_UMASK)
    os.umask(current | PRIVATE_UMASK)  # never loosen a stricter umask


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """No file outside read_folder(), no extension install or auto-load, no network, and no way to change that.

    The settings belong to the database instance: a second connection to an open file finds them locked already.
    """
    if rows(con, "configuration_locked")[0][0]:
        return
    execute(con, "lock_down", folders=[f"{read_folder()}{os.sep}"])


def number_unset_pupils(con: duckdb.DuckDBPyConnection) -> None:
    """Give every enrolment row without a pupil number its pupil's number (a database from before the numbers;
    canonical rows a test wrote directly). The loader numbers its own rows (sql/load.sql, number_load_pupils)."""
    if rows(con, "pupils_unnumbered")[0][0]:
        with transaction(con):
            execute(con, "number_unset_pupils")


def decide_unset_chosen(con: duckdb.DuckDBPyConnection) -> None:
    """Decide the chosen vo record of every pupil-year that has a row without one (a database from before the stored
    flag; canonical rows a test wrote directly). The loader keeps the flag right itself (sql/load.sql, chosen_refresh).
    Rows without a pupil number get theirs first: the rule groups a pupil's records by it."""
    number_unset_pupils(con)
    if rows(con, "chosen_unset_rows")[0][0]:
        with transaction(con):
            execute(con, "chosen_years_unset")
            execute(con, "chosen_refresh")


def write_memory_budget() -> str:
    """The memory a writable database file may use (DuckDB's memory_limit): STO_WRITE_MEMORY_MB, else 192 MB per CPU
    core this process may use and at least 384 MB; never above DuckDB's own default, 80% of the machine's memory. A
    load then needs about the same memory for a file of any size (docs/ARCHITECTURE.md)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    megabytes = os.environ.get("STO_WRITE_MEMORY_MB", "").strip()
    chosen = int(megabytes) if megabytes.isdigit() and int(megabytes) >= 64 else max(384, 192 * cores)
    try:
        machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (ValueError, OSError, AttributeError):
        machine = 0  # unknown: no cap
    return f"{min(chosen, int(machine * 0.8)) if machine else chosen}MB"


def connect(db_path: str | Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and if needed create) a database, locked down (lock_down); a writable one gets the canonical schema.

    The reference tables are the loading layer's: sto_metrics.loading.reference.open_database
    opens a writable database with them refreshed from the region's CSVs.
    """
    new_file = bool(db_path) and not read_only and not Path(db_path).exists()
    con = duckdb.connect(str(db_path) if db_path else ":memory:", read_only=read_only)
    # a second connection to an open file finds the settings of the first (the configuration is locked)
    configure = not read_only and not rows(con, "configuration_locked")[0][0]
    if configure:  # before anything can spill: DuckDB cannot move its temporary files once it has written some
        execute(con, "spill_folder", folder=str(read_folder() / "spill"))
    if not read_only:
        execute(con, "create_schema")
        decide_unset_chosen(con)  # before the budget: a one-time upgrade of an old database may update every row
        if configure and db_path:
            execute(con, "write_memory_budget", limit=write_memory_budget())
    if new_file:
        os.chmod(db_path, 0o600)  # pseudonymised pupil rows: for the one who made it, whatever the umask
    lock_down(con)
    return con
