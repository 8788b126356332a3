"""Benchmark on the national-scale synthetic set: loading and metrics, DuckDB against references.

Run from the repository root (not a test; takes minutes):

    python bench/benchmark.py [--out bench-out] [--threads 2]

Each phase runs in its own process so that its peak memory (max RSS) is its own. Printed:
seconds per phase, the ratio to the reference in the same run, and peak memory.
- load: `python -m sto_metrics load` work against a bare `SELECT count(*) FROM read_csv(...)`
  over the same files (the floor for any loader that reads every byte);
- metrics: each metric warm (best of 3 after one warm-up run) against a vectorised pandas
  implementation (bench/pandas_reference.py) over the same loaded database, with a check
  that both give the same totals.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BENCH_SECRET = b"benchmark-synthetic-data-only"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _csv_files(folder: Path) -> dict[str, list[str]]:
    return {kind: sorted(str(p) for p in (folder / kind).rglob("*.csv")) for kind in ("vo", "mbo", "ho")}


def phase_generate(out: Path) -> dict:
    from sto_metrics.demo import generate

    start = time.perf_counter()
    summary = generate.write_demo(out, seed=2026, scale="landelijk")
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "summary": str(summary)[:300]}


def phase_count(out: Path, threads: int) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    start = time.perf_counter()
    rows = 0
    for files in _csv_files(out).values():
        if files:
            rows += con.execute("SELECT count(*) FROM read_csv($files, delim=';', header=true, all_varchar=true)", {"files": files}).fetchall()[0][0]
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": rows}


def phase_copy(out: Path, database: Path, threads: int) -> dict:
    """The floor for any loader that stores: the same files copied as they are into a DuckDB file."""
    import duckdb

    target = database.with_name(database.stem + "-copy.duckdb")
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute(f"SET threads = {threads}")
    start = time.perf_counter()
    for kind, files in _csv_files(out).items():
        if files:
            con.execute(f"CREATE TABLE {kind}_copy AS SELECT * FROM read_csv($files, delim=';', header=true, all_varchar=true)", {"files": files})
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - start
    con.close()
    target.unlink(missing_ok=True)
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def phase_load(out: Path, database: Path, threads: int) -> dict:
    from sto_metrics.loading import loader, reference

    database.unlink(missing_ok=True)
    con = reference.open_database(database)
    con.execute(f"SET threads = {threads}")
    start = time.perf_counter()
    results = loader.load_paths(con, [out], secret=BENCH_SECRET)
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - start
    refused = [r.file_name for r in results if not r.loaded]
    return {"seconds": seconds, "peak_mb": _peak_mb(), "files": len(results), "refused": refused,
            "rows": sum(r.rows_loaded for r in results)}


def _metric_calls():
    """(label, engine call, reference call) for every declared table figure, per region and per school."""
    from bench import pandas_reference as ref
    from sto_metrics import published
    from sto_metrics.metrics import registry

    calls = []
    for metric in registry.METRICS.values():
        if metric.compute is None or metric.family not in ref.FAMILIES:
            continue
        for by in metric.scopes:
            calls.append((f"{metric.name} {by}",
                          lambda con, name=metric.name, by=by: published.exact_table(con, name, by=by),
                          lambda t, family=metric.family, level=metric.level, by=by: getattr(ref, family)(t, level=level, by=by)))
    return calls


def _best_of(call, repeat: int = 3) -> float:
    call()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def _totals(table) -> list[int]:
    """Column sums of the count columns: a cheap fingerprint to check engine and reference agree."""
    columns = [c for c in ("pupils", "technical", "unknown_profile", "graduates", "enrolled", "retained", "mbo_techniek", "ho_techniek",
                           "niet_gevonden") if c in table]
    return [int(table[c].sum()) for c in columns]


def phase_metrics_engine(database: Path, threads: int) -> dict:
    from sto_metrics import db

    con = db.connect(database, read_only=True)
    con.execute(f"SET threads = {threads}")
    timings = {label: _best_of(lambda engine=engine: engine(con)) for label, engine, _ in _metric_calls()}
    totals = {label: _totals(engine(con)) for label, engine, _ in _metric_calls()}
    return {"seconds": timings, "totals": totals, "peak_mb": _peak_mb()}


def phase_metrics_reference(database: Path) -> dict:
    from bench import pandas_reference as ref
    from sto_metrics import db

    con = db.connect(database, read_only=True)
    start = time.perf_counter()
    tables = ref.load(con)
    read_seconds = time.perf_counter() - start
    timings, totals = {}, {}
    for label, _, reference in _metric_calls():
        start = time.perf_counter()
        totals[label] = _totals(reference(tables))
        timings[label] = time.perf_counter() - start  # one run: pandas has no warm cache to speak of
    return {"seconds": timings, "totals": totals, "read_seconds": read_seconds, "peak_mb": _peak_mb()}


PHASES = {
    "generate": lambda a: phase_generate(Path(a.out)),
    "count": lambda a: phase_count(Path(a.out), a.threads),
    "copy": lambda a: phase_copy(Path(a.out), Path(a.db), a.threads),
    "load": lambda a: phase_load(Path(a.out), Path(a.db), a.threads),
    "metrics_engine": lambda a: phase_metrics_engine(Path(a.db), a.threads),
    "metrics_reference": lambda a: phase_metrics_reference(Path(a.db)),
}


def _run_phase(name: str, args) -> dict:
    command = [sys.executable, __file__, "--phase", name, "--out", args.out, "--db", args.db, "--threads", str(args.threads)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(REPO / "bench-out" / "landelijk"))
    parser.add_argument("--db", default=str(REPO / "bench-out" / "landelijk.duckdb"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--skip-metrics", action="store_true", help="only time loading")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    if not any(_csv_files(Path(args.out)).values()):
        generated = _run_phase("generate", args)
        print(f"generate landelijk: {generated['seconds']:.1f} s, peak {generated['peak_mb']:.0f} MB")
    count = _run_phase("count", args)
    copy = _run_phase("copy", args)
    load = _run_phase("load", args)
    print(f"\nLoading {load['files']} files, {load['rows']:,} rows ({count['rows']:,} CSV rows), {args.threads} threads")
    print(f"  bare count(*) over read_csv : {count['seconds']:7.1f} s   peak {count['peak_mb']:6.0f} MB")
    print(f"  load (normalise, pseudonymise, store): {load['seconds']:7.1f} s   peak {load['peak_mb']:6.0f} MB")
    print(f"  plain copy into DuckDB      : {copy['seconds']:7.1f} s   peak {copy['peak_mb']:6.0f} MB")
    print(f"  ratio load / bare read      : {load['seconds'] / count['seconds']:7.1f}x")
    print(f"  ratio load / plain copy     : {load['seconds'] / copy['seconds']:7.1f}x")
    if load["refused"]:
        print(f"  REFUSED: {load['refused']}")
    if args.skip_metrics:
        return
    engine = _run_phase("metrics_engine", args)
    reference = _run_phase("metrics_reference", args)
    print(f"\nMetrics, warm (best of 3 after a warm-up); pandas reference read its tables in {reference['read_seconds']:.1f} s")
    print(f"  {'metric':30} {'duckdb s':>9} {'pandas s':>9} {'speed-up':>9}")
    for label, seconds in engine["seconds"].items():
        reference_seconds = reference["seconds"][label]
        agree = "" if engine["totals"][label] == reference["totals"][label] else "  DIFFERENT RESULTS"
        print(f"  {label:30} {seconds:9.3f} {reference_seconds:9.3f} {reference_seconds / seconds:8.1f}x{agree}")
    print(f"  peak memory: duckdb {engine['peak_mb']:.0f} MB, pandas {reference['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
