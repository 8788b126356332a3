"""The demo's suppression patterns, shipped in data/demo-patronen.npz so that a fresh demo server's first visit computes none.

    python -m tests.demo_patterns

Run it after a change to privacy/cross.py, gauss.py or intervals.py (the patterns' names hold a digest of their source),
to the code that counts (sto_metrics/sql/*.sql, metrics/*.py, published.py: the record's name holds a digest of it),
to data/demo/ or to the reference tables: it builds the demo database in a temporary folder, prepares every protected
table with an empty cache folder (sto_metrics.prepare) and writes every pattern that wrote, with the record that the
preparation finished (prepare.record_file).
tests/test_prepare.py fails while the file is not current. Patterns say which cells are hidden: no counts, no pupils.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sto_metrics import db, prepare
from sto_metrics.demo import prebuilt
from sto_metrics.privacy import suppression


def pattern_names(database: Path) -> dict[str, prepare.Task]:
    """The pattern file names (without .npy) of every protected table of a database, with the task that prepares each."""
    con = db.connect(database, read_only=True)
    try:
        rules = suppression.SuppressionRules()
        found = {}
        for task in prepare.tasks(con):
            counted = prepare.cube(con, task)
            if not counted.counts.empty:
                found[suppression.pattern_file(counted, task.cells, rules).stem] = task
        return found
    finally:
        con.close()


def reading(database: Path) -> prepare.Reading:
    """Read-only connections to `database`, each closed when its `with` ends (a DuckDB connection is a context manager)."""
    return lambda: db.connect(database, read_only=True)


def write(target: Path = prebuilt.SHIPPED_PATTERNS) -> None:
    """Prepare the demo's tables in a private cache folder and write their patterns to `target` (aside, then moved)."""
    previous = os.environ.get("STO_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="sto-demo-patronen-") as folder:
        os.environ["STO_CACHE_DIR"] = str(Path(folder) / "cache")
        try:
            database = Path(folder) / "demo.duckdb"
            prebuilt.build(database)
            started = time.perf_counter()
            results = prepare.prepare(reading(database), progress=lambda r: print(prepare.summary_line(r), flush=True))
            print(f"demo prepared in {time.perf_counter() - started:.1f} s", flush=True)
            if any(result.error for result in results):
                raise SystemExit("a table failed: nothing written")
            # every pattern the preparation wrote: the tasks' tables and those they are built beside (the activity
            # table keeps the decisions of an inflow table of its own years)
            arrays = {file.stem: np.load(file, allow_pickle=False) for file in sorted(suppression.pattern_folder().glob("*.npy"))}
            # and the record that every table of this data is prepared, so that a fresh server reads no counts to learn it
            arrays |= {file.stem: np.array(file.read_text(encoding="utf-8")) for file in suppression.pattern_folder().glob("voorbereid-*.json")}
        finally:
            if previous is None:
                os.environ.pop("STO_CACHE_DIR", None)
            else:
                os.environ["STO_CACHE_DIR"] = previous
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as out:
        np.savez_compressed(out, **arrays)
    os.replace(partial, target)
    print(f"{len(arrays)} patterns written to {target} ({target.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else prebuilt.SHIPPED_PATTERNS)
