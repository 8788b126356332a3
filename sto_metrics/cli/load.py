"""`python -m sto_metrics load`: load export files into a database and report per file (docs/command-line.md)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sto_metrics import access, audit, schoolyear
from sto_metrics.errors import EXIT_BAD_INPUT, EXIT_OTHER, UserError
from sto_metrics.loading import loader


def format_result(result: loader.FileResult) -> str:
    """A per-file summary in Dutch for the command line."""
    kind = result.kind or "?"
    head = f"{result.file_name} [{kind}]: {result.status}"
    if result.loaded:
        head += f", {result.rows_read} regels gelezen, {result.rows_loaded} geladen (lading {result.load_id})"
    lines = [head]
    if result.problems:
        lines.append("  problemen: " + ", ".join(f"{k} {v}" for k, v in sorted(result.problems.items())))
    lines += [f"  - {message}" for message in result.messages]
    return "\n".join(lines)


def load(args: argparse.Namespace) -> int:
    """`load PATH... --db FILE [--kind] [--replace]`: exit 0 when every file loaded, 2 when one was refused, 1 when
    stopped by Ctrl-C (the files before it stay loaded, the one it stopped is rolled back, the rest are not read)."""
    paths = loader.expand_paths(args.paths)  # a missing path stops before the database is created
    school_year = schoolyear.parse(args.schooljaar) if getattr(args, "schooljaar", None) else None
    if getattr(args, "schooljaar", None) and school_year is None:
        raise UserError(f"--schooljaar {args.schooljaar}: schrijf een schooljaar als 2024-2025.")
    con = access.open_writable(args.db)  # waits, with a notice, while another process writes
    results: list[loader.FileResult] = []
    stopped_at = None
    try:
        with _interrupts_stop(con) as interrupted:
            for path in paths:
                try:
                    results += loader.load_paths(con, [path], kind=args.kind, replace=args.replace, school_year=school_year)
                except (Exception, KeyboardInterrupt):  # DuckDB's error for the interrupted query; a second Ctrl-C
                    if not interrupted.is_set():
                        raise
                    stopped_at = path  # its transaction was rolled back
                if interrupted.is_set():
                    break
        # Python's own Ctrl-C again from here: these are short
        audit.record_loads(con, audit.command_line_user(), results, replace=args.replace)
    finally:
        con.close()
    for result in results:
        print(format_result(result))
    loaded = sum(r.loaded for r in results)
    print(f"Totaal: {loaded} van {len(results)} bestand(en) geladen, {sum(r.rows_loaded for r in results)} regels.")
    sys.stdout.flush()
    for result in results:  # the summary above is the report; errors go to stderr as well
        if not result.loaded:
            print(f"Fout: {result.messages[0] if result.messages else f'{result.file_name}: geweigerd.'}", file=sys.stderr)
    if interrupted.is_set():
        not_read = len(paths) - len(results) - (stopped_at is not None)
        print("Afgebroken." + (f" {stopped_at.name} is niet geladen (er is niets van bewaard)." if stopped_at else "")
              + (f" {not_read} bestand(en) daarna zijn niet gelezen." if not_read else "")
              + (" De bestanden hierboven zijn verwerkt zoals vermeld." if results else ""), file=sys.stderr)
        return EXIT_OTHER
    return 0 if loaded == len(results) else EXIT_BAD_INPUT


@contextmanager
def _interrupts_stop(con) -> Iterator[threading.Event]:
    """Ctrl-C ends the running query (DuckDB's interrupt) and stops the load after the file it is in, instead of
    ending the program with whatever the interrupted query raised; a second Ctrl-C stops at once (a file's own
    Python work, such as reading it, does not look at the first)."""
    interrupted = threading.Event()
    # signal handlers belong to the main thread; an ignored Ctrl-C (a background job, nohup) stays ignored
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield interrupted
        return

    def stop(_signal, _frame) -> None:
        con.interrupt()
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()
        print("Ctrl-C: het laden stopt na het bestand dat nu wordt geladen (dat wordt teruggedraaid als het nog bezig is). "
              "Nogmaals Ctrl-C stopt meteen.", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
