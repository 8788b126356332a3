"""`python -m sto_metrics backup`: a consistent copy of the database, also while the dashboard runs (docs/command-line.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sto_metrics import access
from sto_metrics.errors import UserError


def run(args: argparse.Namespace) -> int:
    """`backup --db FILE --out FILE`: copies under a read-only open (no load can be halfway), waits while a load writes."""
    source, out = Path(args.db), Path(args.out)
    if not source.is_file():
        raise UserError(f"{args.db}: de database bestaat niet.")
    if not out.parent.is_dir():
        raise UserError(f"{out.parent}: deze map bestaat niet.")
    if out.resolve() == source.resolve():
        raise UserError("Kies voor de reservekopie een ander bestand dan de database zelf.")
    if out.is_dir():
        raise UserError(f"{out}: dit is een map. Geef de naam van het kopiebestand op, bijvoorbeeld {out / 'kopie.duckdb'}. "
                        "Er is niets geschreven.")
    try:
        access.copy(source, out)
    except PermissionError:
        raise UserError(f"{out}: hier mag dit programma niet schrijven (geen schrijfrechten). Er is niets geschreven.") from None
    print(f"Reservekopie geschreven: {out}")
    return 0
