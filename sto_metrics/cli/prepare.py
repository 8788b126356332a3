"""`python -m sto_metrics prepare`: compute every protected table of a database ahead, so no page or command waits for it."""

from __future__ import annotations

import argparse
import time

from sto_metrics import prepare
from sto_metrics.cli.metric_commands import open_database
from sto_metrics.errors import EXIT_OTHER
from sto_metrics.presentation import formatting


def run(args: argparse.Namespace) -> int:
    """`prepare --db FILE`: one line per table as it is done, then a total; exit 1 when a table failed."""
    open_database(args.db).close()  # a missing or foreign database: a Dutch message before anything starts

    started = time.perf_counter()
    print(f"Beschermde tabellen voorbereiden voor {args.db} (kan enkele minuten duren) ...", flush=True)
    # a connection per table, open only while its counts are read (closed by `with`): a shell load need not wait for the run
    results = prepare.prepare(lambda: open_database(args.db), progress=lambda result: print("  " + prepare.summary_line(result), flush=True))
    counts = {status: sum(r.status == status for r in results) for status in ("berekend", "al klaar", "geen gegevens", "mislukt")}
    print(f"Klaar in {formatting.number(time.perf_counter() - started, 1)} s: "
          + f"{counts['berekend']} berekend, {counts['al klaar']} waren al klaar, {counts['geen gegevens']} zonder gegevens"
          + (f", {counts['mislukt']} mislukt (meld dit bij de beheerder)" if counts["mislukt"] else "") + ".")
    return EXIT_OTHER if counts["mislukt"] else 0
