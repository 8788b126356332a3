"""One database file shared by the dashboard and the command line (docs/ARCHITECTURE.md, "One file, many processes").

DuckDB lets one process write a file, and then no other process may open it, not even read-only;
read-only opens from several processes work only while nobody writes. So every writer opens the
file briefly and retries while another holds it; readers that live long (the dashboard) read
their own copy of the file (a snapshot, taken under a read-only open, so never half-written).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

from sto_metrics import db
from sto_metrics.errors import UserError

RETRY_SECONDS = 5
BUSY_MESSAGE = f"De database is even bezet, opnieuw over {RETRY_SECONDS} s."
COMMAND_LINE_WAIT_SECONDS = 30 * 60  # a load of a whole region takes minutes; a shell waits that long
WAL_SUFFIX = ".wal"

_T = TypeVar("_T")


def is_busy(error: BaseException) -> bool:
    """True when DuckDB refused to open a file because another connection holds it."""
    text = str(error)
    return isinstance(error, duckdb.Error) and (
        "Could not set lock" in text or "Conflicting lock" in text or "different configuration" in text)


def stderr_notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def retrying(open_: Callable[[], _T], path: str | Path, *, wait_seconds: float = COMMAND_LINE_WAIT_SECONDS,
             on_busy: Callable[[str], None] = stderr_notice, sleep: Callable[[float], None] = time.sleep) -> _T:
    """open_() once the file is free: while another process holds it, say so and try again every RETRY_SECONDS."""
    refuse_other_file(path)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return open_()
        except duckdb.Error as error:
            if isinstance(error, duckdb.IOException) and not is_busy(error):
                problem = open_problem(path, error)
                if problem:
                    raise UserError(problem) from None
            if not is_busy(error):
                raise
            if time.monotonic() + RETRY_SECONDS > deadline:
                raise UserError(f"De database {path} is bezet: een ander programma schrijft erin (bijvoorbeeld een lading). "
                                "Probeer het straks opnieuw; er is niets gewijzigd.") from None
            on_busy(BUSY_MESSAGE)
            sleep(RETRY_SECONDS)


def open_problem(path: str | Path, error: duckdb.IOException) -> str | None:
    """A Dutch reason for a file DuckDB could not open, by DuckDB's reason; None for another IO error."""
    text = str(error)
    if "not a valid DuckDB database file" in text:
        return not_a_database(path)
    if "Is a directory" in text:
        return f"'{path}' is een map, geen databasebestand. Geef het databasebestand zelf op."
    if "Permission denied" in text or "Operation not permitted" in text or "Read-only file system" in text:
        return (f"De database '{path}' kan niet worden geopend: geen toegang (alleen lezen, of van een andere gebruiker). "
                "Er is niets gewijzigd.")
    if re.search(r"\bversion\b", text):  # a file written by another DuckDB version than this program's
        return f"De database '{path}' is met een andere versie van DuckDB gemaakt en kan met deze installatie niet worden geopend."
    return None


def refuse_other_file(path: str | Path) -> None:
    """UserError for an existing file that is not a DuckDB database: DuckDB 2.0 opens a .csv, .tsv or .json given as
    database as a temporary in-memory one (a load would report rows it never stored). A DuckDB file says DUCK at byte 8."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(12)
    except OSError:
        return  # missing, a folder or no access: DuckDB's own error says which (open_problem)
    if head and head[8:12] != b"DUCK":
        raise UserError(not_a_database(path))


def not_a_database(path: str | Path) -> str:
    return (f"'{path}' is geen database van dit programma (of is beschadigd of niet leesbaar). "
            "Maak hem opnieuw met: python -m sto_metrics load")


def open_writable(path: str | Path, **retry) -> duckdb.DuckDBPyConnection:
    """A writable connection with the schema and fresh reference tables, once no other process holds the file."""
    from sto_metrics.loading import reference

    if not Path(path).parent.is_dir():
        raise UserError(f"{Path(path).parent}: deze map bestaat niet. Er is niets gewijzigd.")
    return retrying(lambda: reference.open_database(path), path, **retry)


def open_read_only(path: str | Path, *, current: bool = True, **retry) -> duckdb.DuckDBPyConnection:
    """A read-only connection, once no process writes the file; with `current`, a Dutch UserError for a database of an
    earlier version that a read-only open cannot bring up to date (copy() takes such a file as it is)."""
    con = retrying(lambda: db.connect(path, read_only=True), path, **retry)
    try:
        db.rows(con, "database_check")  # another program's DuckDB file opens too
    except duckdb.Error:
        con.close()
        raise UserError(not_a_database(path)) from None
    if current and db.rows(con, "schema_outdated")[0][0]:
        con.close()
        raise UserError(f"De database {path} is gemaakt met een eerdere versie van dit programma en moet eenmaal worden bijgewerkt. "
                        f"Dat gebeurt bij de eerstvolgende lading (python -m sto_metrics load MAP --db {path}); of maak hem opnieuw. "
                        "Het dashboard toont hem wel. Er is niets gewijzigd.")
    return con


def state(path: str | Path) -> tuple:
    """What changes whenever a process writes the file (or replaces it): identity, size and time of it and its log."""
    found = []
    for file in (Path(path), Path(str(path) + WAL_SUFFIX)):
        try:
            info = os.stat(file)
        except OSError:
            found.append(None)
            continue
        found.append((info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(found)


def copy(path: str | Path, target: str | Path, **retry) -> tuple:
    """Copy the database to target, consistent: no process can write while the copy holds a read-only open.

    Returns the state() of the source that the copy shows.
    """
    source, target = Path(path), Path(target)
    con = open_read_only(source, current=False, **retry)  # the dashboard brings its copy up to date
    try:
        shown = state(source)
        partial = target.with_name(target.name + ".deel")
        try:
            _private_copy(source, partial)
            log = Path(str(source) + WAL_SUFFIX)
            target_log = Path(str(target) + WAL_SUFFIX)
            target_log.unlink(missing_ok=True)
            if log.exists():  # a writer that stopped before its checkpoint: its log is part of the data
                _private_copy(log, target_log)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)  # never half a copy of the pupils' data left behind
            raise
    finally:
        con.close()
    return shown


def _private_copy(source: Path, target: Path) -> None:
    """source copied to a new file that only its owner can read (0600), as the database itself."""
    target.unlink(missing_ok=True)  # an earlier file keeps its mode when opened again
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(descriptor, "wb") as out, open(source, "rb") as read:
        shutil.copyfileobj(read, out, 1 << 20)
