"""The bundled demo region as a ready database, built from data/demo/ on first use."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from sto_metrics import db
from sto_metrics.loading import loader, reference
from sto_metrics.paths import DATA_DIR, DEMO_DIR

# Synthetic pupils only: a fixed, public key keeps the demo database reproducible.
DEMO_SECRET = b"sto-demo-synthetic-data-only"


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
            return target
    build(target)
    return target
