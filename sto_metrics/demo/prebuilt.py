"""The bundled demo region as a ready database, built from data/demo/ on first use."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sto_metrics import db, paths
from sto_metrics.loading import loader, reference
from sto_metrics.paths import DATA_DIR, DEMO_DIR
from sto_metrics.privacy import suppression

# Synthetic pupils only: a fixed, public key keeps the demo database reproducible.
DEMO_SECRET = b"sto-demo-synthetic-data-only"
# The demo's protected tables, computed ahead (python -m tests.demo_patterns): a fresh server's first visit reads them.
SHIPPED_PATTERNS = DATA_DIR / "demo-patronen.npz"
_PATTERN_NAME = re.compile(r"[0-9a-f]{64}")
_RECORD_NAME = re.compile(r"voorbereid-[0-9a-f]{32}")  # sto_metrics.prepare.record_file


def _source_fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def default_path() -> Path:
    """data/demo.duckdb, or a temporary folder when the repository is read-only."""
    if os.access(DATA_DIR, os.W_OK):
        return DATA_DIR / "demo.duckdb"
    return Path(tempfile.gettempdir()) / "sto-demo.duckdb"


def build(target: Path, source: Path = DEMO_DIR, *, swap: Callable[[Path, Path], None] = os.replace) -> list[loader.FileResult]:
    """Load every demo export into a fresh database at target: built aside, then moved in place by swap(built, target)."""
    partial = target.with_name(target.name + ".bouw")
    partial.unlink(missing_ok=True)
    con = reference.open_database(partial)
    try:
        results = loader.load_paths(con, [source], secret=DEMO_SECRET)
        db.execute(con, "set_meta_value", key="demo_source", value=_source_fingerprint(source))
        db.execute(con, "checkpoint")
    finally:
        con.close()
    swap(partial, target)
    return results


def ensure_demo_database(target: Path | None = None) -> Path:
    """The demo database, rebuilt when missing or when data/demo/ has changed since it was built."""
    target = target or default_path()
    if target.exists():
        # Writable like the dashboard's own connection: DuckDB refuses a second configuration for one open file.
        con = db.connect(target)
        try:
            stored = db.rows(con, "meta_value", key="demo_source")
        finally:
            con.close()
        if stored and stored[0][0] == _source_fingerprint(DEMO_DIR):
            seed_patterns()
            return target
    build(target)
    seed_patterns()
    return target


def seed_patterns(shipped: Path = SHIPPED_PATTERNS) -> int:
    """Put the demo's shipped suppression patterns in the cache folder (those not there yet); returns how many were added.

    A pattern file's name is a digest of the algorithm's source, the cell model, the level, the threshold and the exact
    counts (suppression.pattern_file), so a shipped pattern is read only for exactly the table it was computed for, by
    this very code; after a change to the algorithm none matches and the dashboard prepares them anew."""
    if not shipped.is_file():
        return 0
    folder = suppression.pattern_folder()
    added = 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with np.load(shipped, allow_pickle=False) as patterns:
            for name in patterns.files:
                if _RECORD_NAME.fullmatch(name):  # the record that these patterns are every table of the demo's data
                    record, target = patterns[name], folder / f"{name}.json"
                    if record.dtype.kind == "U" and record.ndim == 0 and not target.exists():
                        paths.write_whole(target, lambda out, text=str(record): out.write(text.encode()))
                    continue
                target = folder / f"{name}.npy"
                if not _PATTERN_NAME.fullmatch(name) or target.exists():
                    continue
                hidden = patterns[name]
                if hidden.dtype != bool or hidden.ndim != 1:
                    continue
                paths.write_whole(target, lambda out, hidden=hidden: np.save(out, hidden, allow_pickle=False))
                added += 1
    except (OSError, ValueError):  # a cache that cannot be written: the patterns are computed when needed
        return added
    return added

