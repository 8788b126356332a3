"""Where the engine finds its bundled files."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
DATA_DIR = REPO_DIR / "data"
DEMO_DIR = DATA_DIR / "demo"
SQL_DIR = PACKAGE_DIR / "sql"


def reference_dir() -> Path:
    """The region's reference tables: STO_REFERENCE_DIR, else the bundled defaults."""
    return Path(os.environ.get("STO_REFERENCE_DIR", DATA_DIR / "reference"))


def cache_dir() -> Path:
    """Where computed suppression patterns are kept: STO_CACHE_DIR, else ~/.cache/sto-metrics (no pupil data)."""
    configured = os.environ.get("STO_CACHE_DIR", "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "sto-metrics"
