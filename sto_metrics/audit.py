"""The audit log: who loaded, replaced or removed which file, changed the ambitions or restored the demo, and when."""

from __future__ import annotations

import getpass

import duckdb
import pandas as pd

from sto_metrics import db
from sto_metrics.loading import loader

LOADED, REFUSED, REMOVED, AMBITIONS, DEMO_RESET = "geladen", "geweigerd", "verwijderd", "ambities opgeslagen", "demo hersteld"
ACTIVITIES = "activiteitenregister opgeslagen"


def command_line_user() -> str:
    """Who ran a command: the account on the server (there is no sign-in on a shell)."""
    try:
        return f"opdrachtregel ({getpass.getuser()})"
    except (KeyError, OSError):
        return "opdrachtregel"


def record(con: duckdb.DuckDBPyConnection, who: str, action: str, subject: str, detail: str = "") -> None:
    """Add one line, with the current time."""
    db.execute(con, "audit_record", who=who, action=action, subject=subject, detail=detail)


def record_loads(con: duckdb.DuckDBPyConnection, who: str, results: list[loader.FileResult], *, replace: bool) -> None:
    """One line per file of a load: loaded (what it replaced) or refused (why, first message)."""
    for result in results:
        if result.loaded:
            detail = f"lading {result.load_id}, {result.rows_loaded} regels"
            if replace:
                detail += "; vervangt eerdere gegevens van dezelfde school en hetzelfde schooljaar"
            record(con, who, LOADED, result.file_name, detail)
        else:
            record(con, who, REFUSED, result.file_name, result.messages[0] if result.messages else "")


def recent(con: duckdb.DuckDBPyConnection, limit: int = 500) -> pd.DataFrame:
    """The newest lines first, as the Data page shows them (Dutch headers)."""
    table = db.run(con, "audit_recent", limit=limit)
    return table.rename(columns={"logged_at": "Wanneer", "who": "Wie", "action": "Wat", "subject": "Bestand of onderwerp", "detail": "Toelichting"})
