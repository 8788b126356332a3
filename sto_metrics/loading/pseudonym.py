"""Pupil keys become a keyed hash (HMAC-SHA256) before anything is stored.

The secret comes from STO_PSEUDONYM_SECRET, or else from a per-database secret that is
created once and kept outside the repository (in the user's configuration folder), so
the same pupil links across vo, mbo and ho files of one database while the raw key
never reaches it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from pathlib import Path

import duckdb

from sto_metrics import db

SECRET_ENV = "STO_PSEUDONYM_SECRET"
SECRET_DIR_ENV = "STO_SECRET_DIR"
_BLOCK_SIZE = 64  # SHA-256 block size in bytes, as HMAC (RFC 2104) requires


def secret_dir() -> Path:
    """Folder for per-database secrets: STO_SECRET_DIR, else $XDG_CONFIG_HOME/sto-metrics/secrets."""
    if os.environ.get(SECRET_DIR_ENV):
        return Path(os.environ[SECRET_DIR_ENV])
    config_home = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return config_home / "sto-metrics" / "secrets"


def _database_id(con: duckdb.DuckDBPyConnection) -> str:
    row = db.rows(con, "meta_value", key="database_id")
    if row:
        return row[0][0]
    database_id = str(uuid.uuid4())
    db.execute(con, "add_meta_value", key="database_id", value=database_id)
    return database_id


def database_secret(con: duckdb.DuckDBPyConnection) -> bytes:
    """The key for this database: from the environment, or created once and kept outside the repo."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].encode("utf-8")
    path = secret_dir() / f"{_database_id(con)}.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def hmac_params(secret: bytes) -> dict[str, bytes]:
    """Inner and outer padded keys, so that SQL can compute HMAC-SHA256 with two sha256() calls."""
    key = hashlib.sha256(secret).digest() if len(secret) > _BLOCK_SIZE else secret
    key = key.ljust(_BLOCK_SIZE, b"\0")
    return {
        "hmac_inner": bytes(b ^ 0x36 for b in key),
        "hmac_outer": bytes(b ^ 0x5C for b in key),
    }


def normalise_key(raw: str) -> str:
    """The key as compared: trimmed, upper case, no inner spaces; leading zeros dropped from numbers (Excel drops them too)."""
    key = "".join(raw.split()).upper()
    return key.lstrip("0") or "0" if key.isdigit() else key


def pseudonymise(secret: bytes, raw_key: str) -> str:
    """Reference implementation in Python (the loader does the same in SQL)."""
    return hmac.new(secret, normalise_key(raw_key).encode("utf-8"), hashlib.sha256).hexdigest()
