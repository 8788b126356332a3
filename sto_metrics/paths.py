"""Where the engine finds its bundled files, and where it keeps what it computed."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

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


def write_whole(target: Path, write: Callable[[IO[bytes]], object]) -> None:
    """A file of the cache folder written beside its place and then moved there, so that a reader (another page, another
    process) sees it whole or not at all; its folder is made when missing. OSError when it cannot be written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as partial:
        write(partial)
    os.replace(partial.name, target)
