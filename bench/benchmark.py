"""Benchmark on the national-scale synthetic set: loading and metrics, DuckDB against floors and references.

Run from the repository root (not a test; takes minutes):

    python bench/benchmark.py [--out bench-out/landelijk] [--skip-metrics] [--sets 2m,landelijk]

Each phase runs in its own process so that its peak memory (max RSS) is its own. Printed, per data set (the
2M-row vo file: two school years of the national set in one export, and the national set itself):
- the floors: a bare `SELECT count(*) FROM read_csv(...)` (reading every byte) and a plain copy with a hash,
  `CREATE TABLE ... AS SELECT sha256(key), * FROM read_csv(..., all_varchar=true)` into a database file (the least
  any loader that stores and pseudonymises does); our load (`load_paths`: copy, detect, normalise, check, keyed
  hash, store) beside them, with the ratios of time and of peak memory to the copy;
- on the 2M-row file, the first answer from a new file: a pandas script that reads the file and computes inflow,
  against our load plus the first inflow query (both give the same totals, checked);
- metrics: each metric warm (best of 3 after one warm-up run) against a vectorised pandas implementation
  (bench/pandas_reference.py) over the same loaded database, with a check that both give the same totals.
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
TWO_YEARS = ("vo_2023-2024.csv", "vo_2024-2025.csv")  # the 2M-row file: these two school years in one export


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process so far, all threads: steadier than the clock on a machine shared with others."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _csv_files(folder: Path) -> dict[str, list[str]]:
    return {kind: sorted(str(p) for p in (folder / kind).rglob("*.csv")) for kind in ("vo", "mbo", "ho")}


def _set_files(args, data_set: str) -> dict[str, list[str]]:
    if data_set == "2m":
        return {"vo": [str(_two_year_file(Path(args.out)))], "mbo": [], "ho": []}
    return _csv_files(Path(args.out))


def _two_year_file(out: Path) -> Path:
    """Two school years of the national set's vo files as one export (one header), written once."""
    path = out.parent / "vo_2m.csv"
    if not path.exists():
        with open(path, "wb") as target:
            for number, name in enumerate(TWO_YEARS):
                with open(out / "vo" / name, "rb") as part:
                    if number:
                        part.readline()  # the header once
                    while chunk := part.read(1 << 22):
                        target.write(chunk)
    return path


def phase_generate(out: Path) -> dict:
    from sto_metrics.demo import generate

    start = time.perf_counter()
    summary = generate.write_demo(out, seed=2026, scale="landelijk")
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "summary": str(summary)[:300]}


def phase_count(files: dict[str, list[str]]) -> dict:
    import duckdb

    con = duckdb.connect()
    start, cpu = time.perf_counter(), _cpu()
    rows = 0
    for kind_files in files.values():
        if kind_files:
            rows += con.execute("SELECT count(*) FROM read_csv($files, delim=';', header=true, all_varchar=true)", {"files": kind_files}).fetchall()[0][0]
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu, "peak_mb": _peak_mb(), "rows": rows, "threads": _threads(con)}


def _threads(con) -> int:
    return con.execute("SELECT current_setting('threads')").fetchall()[0][0]


def phase_copy(files: dict[str, list[str]], database: Path) -> dict:
    """The floor for a loader that stores and pseudonymises: the files copied as text into a DuckDB file, with a
    sha256 of the pupil key (the first column) beside each row."""
    import duckdb

    target = database.with_name(database.stem + "-copy.duckdb")
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    start, cpu = time.perf_counter(), _cpu()
    for kind, kind_files in files.items():
        if kind_files:
            with open(kind_files[0], encoding="utf-8") as handle:
                key = handle.readline().split(";")[0].strip()
            con.execute(f'CREATE TABLE {kind}_copy AS SELECT sha256("{key}") AS key_hash, * '
                        "FROM read_csv($files, delim=';', header=true, all_varchar=true)", {"files": kind_files})
    con.execute("CHECKPOINT")
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    con.close()
    target.unlink(missing_ok=True)
    return {"seconds": seconds, "cpu": cpu, "peak_mb": _peak_mb()}


def phase_load(files: dict[str, list[str]], database: Path) -> dict:
    from sto_metrics import published
    from sto_metrics.loading import loader, reference

    database.unlink(missing_ok=True)
    con = reference.open_database(database)
    start, cpu = time.perf_counter(), _cpu()
    results = loader.load_paths(con, [path for kind_files in files.values() for path in kind_files], secret=BENCH_SECRET)
    con.execute("CHECKPOINT")
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    load_peak = _peak_mb()
    refused = [r.file_name for r in results if not r.loaded]
    start = time.perf_counter()
    inflow = published.exact_table(con, "inflow_vmbo", by="regio")  # the first answer, cold
    inflow_seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu": cpu, "peak_mb": load_peak, "files": len(results), "refused": refused,
            "rows": sum(r.rows_loaded for r in results), "inflow_seconds": inflow_seconds, "inflow_totals": _totals(inflow),
            "threads": _threads(con)}


def phase_pandas_inflow(files: dict[str, list[str]]) -> dict:
    """What an analyst would do without the product: read the export with pandas and compute inflow (vmbo, region)."""
    import pandas as pd

    from bench import pandas_reference as ref

    start, cpu = time.perf_counter(), _cpu()
    raw = pd.concat(pd.read_csv(path, sep=";", dtype=str, keep_default_na=False) for path in files["vo"])
    profiles = pd.read_csv(REPO / "data" / "reference" / "profiles.csv", dtype=str)
    ref_profile = profiles.assign(**{c: profiles[c] == "true" for c in ("technical", "is_dp", "contains_nt", "contains_n")})
    aliases = pd.read_csv(REPO / "data" / "reference" / "value_aliases.csv", dtype=str)
    education = aliases[aliases["domain"] == "education"].set_index("alias")["value"]
    canonical = education.reindex(raw["onderwijstype"].str.lower()).to_numpy()
    vo = pd.DataFrame({
        "pupil_hash": raw["leerling_id"].to_numpy(),
        "school_year": raw["schooljaar"].str[:4].astype(int).to_numpy(),
        "school_id": raw["brinvestiging"].to_numpy(),
        "education_type": pd.Series(canonical).str.split(":").str[0].to_numpy(),
        "leerjaar": raw["leerjaar"].astype(int).to_numpy(),
        "profile_code": raw["profiel"].replace("", None).to_numpy(),
        "gender": raw["geslacht"].to_numpy(),
    })
    inflow = ref.inflow({"vo_enrolment": vo, "ref_profile": ref_profile}, level="vmbo", by="regio")
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu, "peak_mb": _peak_mb(), "inflow_totals": _totals(inflow)}


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


def phase_metrics_engine(database: Path) -> dict:
    from sto_metrics import db

    con = db.connect(database, read_only=True)
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


def _data_set_phase(name):
    return lambda a: name(_set_files(a, a.data_set), Path(a.db)) if name in (phase_copy, phase_load) else name(_set_files(a, a.data_set))


PHASES = {
    "generate": lambda a: phase_generate(Path(a.out)),
    "count": _data_set_phase(phase_count),
    "copy": _data_set_phase(phase_copy),
    "load": _data_set_phase(phase_load),
    "pandas_inflow": _data_set_phase(phase_pandas_inflow),
    "metrics_engine": lambda a: phase_metrics_engine(Path(a.db)),
    "metrics_reference": lambda a: phase_metrics_reference(Path(a.db)),
}


def _run_phase(name: str, args, data_set: str = "landelijk") -> dict:
    command = [sys.executable, __file__, "--phase", name, "--out", args.out, "--db", args.db, "--data-set", data_set]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _print_loading(args, data_set: str) -> None:
    count = _run_phase("count", args, data_set)
    copy = _run_phase("copy", args, data_set)
    load = _run_phase("load", args, data_set)
    size = sum(Path(p).stat().st_size for files in _set_files(args, data_set).values() for p in files) / 1e6
    title = "the 2M-row vo file" if data_set == "2m" else "the national set"
    print(f"\nLoading {title}: {load['files']} file(s), {size:,.0f} MB, {count['rows']:,} CSV rows, {load['rows']:,} stored; "
          f"{load['threads']} DuckDB threads")
    print(f"  {'':44} {'seconds':>8} {'CPU s':>7} {'peak MB':>8} {'time/copy':>10} {'CPU/copy':>9} {'memory/copy':>12}")
    for label, phase in (("floor: bare count(*) over read_csv", count), ("floor: copy with sha256(key) into a file", copy),
                         ("load (copy, check, normalise, HMAC, store)", load)):
        print(f"  {label:44} {phase['seconds']:8.1f} {phase['cpu']:7.1f} {phase['peak_mb']:8.0f} {phase['seconds'] / copy['seconds']:9.2f}x "
              f"{phase['cpu'] / copy['cpu']:8.2f}x {phase['peak_mb'] / copy['peak_mb']:11.2f}x")
    print(f"  goal: load within 1.5x the copy's time and 2x its peak memory: "
          f"{'met' if load['seconds'] <= 1.5 * copy['seconds'] else 'NOT met'} (time), "
          f"{'met' if load['peak_mb'] <= 2 * copy['peak_mb'] else 'NOT met'} (memory)")
    if load["refused"]:
        print(f"  REFUSED: {load['refused']}")
    if data_set == "2m":
        pandas = _run_phase("pandas_inflow", args, data_set)
        ours = load["seconds"] + load["inflow_seconds"]
        agree = "same totals" if pandas["inflow_totals"] == load["inflow_totals"] else "DIFFERENT RESULTS"
        print(f"  first answer from the new file (inflow vmbo, region; {agree}):")
        print(f"    pandas: read the file and compute inflow   {pandas['seconds']:8.1f} s   ({pandas['cpu']:.1f} CPU s)  peak {pandas['peak_mb']:6.0f} MB")
        print(f"    ours: load + first inflow query            {ours:8.1f} s   ({load['inflow_seconds']:.2f} s of it the query); "
              f"{ours / pandas['seconds']:.2f}x pandas")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(REPO / "bench-out" / "landelijk"))
    parser.add_argument("--db", default=str(REPO / "bench-out" / "landelijk.duckdb"))
    parser.add_argument("--sets", default="2m,landelijk", help="data sets to load: 2m, landelijk or both (comma-separated)")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--data-set", default="landelijk", help=argparse.SUPPRESS)
    parser.add_argument("--skip-metrics", action="store_true", help="only time loading")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return

    if not any(_csv_files(Path(args.out)).values()):
        generated = _run_phase("generate", args)
        print(f"generate landelijk: {generated['seconds']:.1f} s, peak {generated['peak_mb']:.0f} MB")
    sets = [name.strip() for name in args.sets.split(",")]
    for data_set in sets:
        _print_loading(args, data_set)
    if args.skip_metrics or "landelijk" not in sets:
        return
    if sets[-1] != "landelijk":
        _run_phase("load", args, "landelijk")  # the metrics run over the national set
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
