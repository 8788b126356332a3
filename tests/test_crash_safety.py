"""A load killed halfway (SIGKILL: no handler, no cleanup) leaves the database as it was before that file.

The loader stores a file in one DuckDB transaction; what a killed process wrote is in the write-ahead log
without a commit, and DuckDB drops it on the next open. The test kills `load` at several moments of a
large file's load and compares every table, row for row, with the database before it, then loads the
same file again (no lock, no half-registered load stands in its way).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from sto_metrics import db
from sto_metrics.loading import pseudonym
from tests.loader_support import VO_HEADER, VO_ROWS, csv_text, table_checksums

REPO = Path(__file__).resolve().parent.parent
SECRET = "crash-safety-test-secret"
BIG_ROWS = 250_000
KILL_AT = (0.1, 0.3, 0.5, 0.7)  # fractions of one complete load of the same file on this machine
WAIT = 600


@pytest.fixture(autouse=True)
def _secret(monkeypatch, tmp_path):
    monkeypatch.setenv(pseudonym.SECRET_ENV, SECRET)
    monkeypatch.setenv(pseudonym.SECRET_DIR_ENV, str(tmp_path / "secrets"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))  # the loaders' private read folders, visible to this test only
    (tmp_path / "tmp").mkdir()


def load(database: Path, export: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sto_metrics", "load", str(export), "--db", str(database)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> None:
    out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, out + err


def big_export(folder: Path) -> Path:
    """One school year of a large school board: BIG_ROWS distinct pupils in the leerjaren 1-4."""
    profiles = ["BWI", "PIE", "Z&W", "E&O", "MVI", "D&P", "Economie", ""]
    rows = [[str(2_000_000 + i), "2022-2023", f"{30 + i % 40}XB00", f"School {30 + i % 40}", "VMBO-KB", str(1 + i % 4),
             profiles[i % len(profiles)] if i % 4 >= 2 else "", "MV"[i % 2], ""] for i in range(BIG_ROWS)]
    path = folder / "groot_bestuur_2022.csv"
    path.write_text(csv_text(VO_HEADER, rows), encoding="utf-8")
    return path


def checksums(database: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return table_checksums(con)
    finally:
        con.close()


def test_a_load_killed_halfway_leaves_the_database_as_it_was(tmp_path):
    small = tmp_path / "klein.csv"
    small.write_text(csv_text(VO_HEADER, VO_ROWS), encoding="utf-8")
    original = tmp_path / "regio.duckdb"
    finished(load(original, small))
    before = checksums(original)
    assert before["vo_enrolment"][0] == len(VO_ROWS)
    export = big_export(tmp_path)

    complete = tmp_path / "compleet.duckdb"
    shutil.copyfile(original, complete)
    started = time.monotonic()
    finished(load(complete, export))
    full_load_seconds = time.monotonic() - started
    assert checksums(complete)["vo_enrolment"][0] == len(VO_ROWS) + BIG_ROWS

    untouched = 0
    for fraction in KILL_AT:
        database = tmp_path / f"gedood_{fraction}.duckdb"
        shutil.copyfile(original, database)
        process = load(database, export)
        time.sleep(fraction * full_load_seconds)
        if process.poll() is not None:  # this run was quicker than the measured one: nothing to kill
            finished(process)
            continue
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=WAIT)
        assert process.returncode == -signal.SIGKILL
        # All or nothing: as before the file, or (killed after its commit, while the process tidied up) the whole file.
        if checksums(database) == before:
            untouched += 1
        else:
            assert pupils_stored(database) == pupils_stored(complete), f"killed at {fraction:.0%}, the database holds part of the file"
    assert untouched >= 1, "every kill came after the commit: nothing halfway was tested"
    database = tmp_path / f"gedood_{KILL_AT[0]}.duckdb"

    # The same file loads afterwards, in full, and the killed processes' copies of raw pupil numbers are gone.
    finished(load(database, export))
    assert pupils_stored(database) == pupils_stored(complete)
    leftovers = [p.name for p in (tmp_path / "tmp").glob(f"{db.READ_FOLDER_PREFIX}*")]
    assert leftovers == [], leftovers


def pupils_stored(database: Path) -> tuple:
    """Count and order-independent hash of the stored pupil rows, whatever load id they got."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute("SELECT count(*), sum(hash(t)) FROM (SELECT * EXCLUDE (load_id) FROM vo_enrolment) t").fetchall()[0]
    finally:
        con.close()
