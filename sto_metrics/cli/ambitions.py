"""`python -m sto_metrics ambitions`: the region's ambitions against the published figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sto_metrics import access
from sto_metrics.errors import UserError
from sto_metrics.metrics import ambitions
from sto_metrics.presentation import tabular


def run(args: argparse.Namespace) -> int:
    """`ambitions --db FILE [--targets FILE] [--format csv|json|table]`."""
    if not Path(args.db).is_file():
        raise UserError(f"{args.db}: de database bestaat niet. Laad eerst gegevens met 'python -m sto_metrics load'.")
    con = access.open_read_only(args.db)  # waits, with a notice, while a load writes
    try:
        table = ambitions.evaluate(con, args.targets)
    finally:
        con.close()
    tabular.write(table[ambitions.OUTPUT_COLUMNS], args.format, sys.stdout)
    return 0
