"""Privacy benchmark: how long protecting each figure family takes, against the floor (the raw figures), and how
much it hides (information loss: the share of publishable cells with 5 or more pupils that are hidden).

    python bench/privacy_bench.py [--db regio.duckdb]     # default: the bundled demo region
    python bench/privacy_bench.py --db groot.duckdb --families inflow --last-years 1   # a slice of a large set
    python bench/privacy_bench.py --db groot.duckdb --families none --view             # the command line's view only
    python bench/privacy_bench.py --bound      # also the least loss any safe pattern can have (bench/loss_bound.py)
    python bench/privacy_bench.py --db groot.duckdb --whole   # every school year solved whole, not in groups of schools

Goals (issue 10): region cells hide at most 3%, school cells at most 18%; protection within a few times the raw
figures. Prints one line per family and level; no timing is asserted anywhere in the tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import loss_bound
from sto_metrics import db, published
from sto_metrics.metrics import calculations, catalog
from sto_metrics.privacy import cross, suppression, workers

FAMILIES = [
    ("inflow", "vmbo", lambda con: calculations.inflow_counts(con, "vmbo"), lambda counts: cross.INFLOW),
    ("inflow", "havo-vwo", lambda con: calculations.inflow_counts(con, "havo-vwo"), lambda counts: cross.INFLOW),
    ("destinations+progression", "vmbo", lambda con: calculations.destination_counts(con, "vmbo"), lambda c: cross.destination_model("vmbo")),
    ("destinations+progression", "havo-vwo", lambda con: calculations.destination_counts(con, "havo-vwo"),
     lambda c: cross.destination_model("havo-vwo")),
    ("retention", "vmbo", calculations.retention_counts, lambda counts: cross.RETENTION),
    # one start year of the cohort flow (each start year is its own table): the last with all four stages
    ("cohort flow (1 start year)", "vmbo", lambda con: calculations.cohort_flow_counts(con, _flow_start(con)),
     lambda counts: cross.flow_model(calculations.stages_known(counts))),
]
# The headline rows of a family whose table also splits by profile group or setting: where the loss sits
HEADLINE = {"destinations+progression": ("totaal rows", lambda measure: measure.startswith("tot:")),
            "cohort flow (1 start year)": ("default setting", lambda measure: measure.startswith("A:"))}
GOAL = {"regio": 0.03, "school": 0.18}  # issue 10: hidden share of unsplit cells with 5 or more pupils


def _flow_start(con) -> int:
    years = [int(y) for y in catalog.school_years(con)]
    return max((y for y in years if y + 3 in years), default=years[0])


def information_loss(table: cross.CrossTable, model: cross.CrossModel, only=None) -> dict[str, tuple[int, int]]:
    """(hidden, all) publishable cells with 5 or more pupils, by region/school and unsplit/split (`only`: measure names)."""
    publishable = {m.name for m in model.measures if m.published and (only is None or only(m.name))}
    found: dict[str, list[int]] = {}
    for (_, scope, leerweg, gender, measure), index in table.index.items():
        if measure not in publishable or table.values[index] < 5:
            continue
        level = ("regio" if scope == cross.ALL else "school") + (" unsplit" if leerweg == gender == cross.ALL else " split")
        entry = found.setdefault(level, [0, 0])
        entry[0] += int(table.hidden[index])
        entry[1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(found.items())}


def view_timings(con, prepared: bool = False) -> None:
    """`inflow --by school --split geslacht` as the command line runs it (a new process has no table in memory): --raw
    (the floor), suppressed with the pattern computed (cold, an empty cache folder) and with it read from the cache.
    `prepared`: only --raw and from the cache folder as it is (after `prepare`), three runs each, medians."""
    view = {"by": "school", "split": "geslacht"}
    if prepared:
        raws, kept = [], []
        for _ in range(3):
            started = time.perf_counter()
            published.exact_table(con, "inflow_vmbo", **view)
            raws.append(time.perf_counter() - started)
            suppression._TABLES.clear()  # as in a new process: only the cache folder remains
            started = time.perf_counter()
            published.table(con, "inflow_vmbo", **view)
            kept.append(time.perf_counter() - started)
        raw, warm = statistics.median(raws), statistics.median(kept)
        print(f"inflow vmbo per school by geslacht: --raw {raw:.2f} s (floor; runs {', '.join(f'{t:.2f}' for t in raws)}); "
              f"pattern from the cache folder {warm:.2f} s ({warm / raw:.1f}x; runs {', '.join(f'{t:.2f}' for t in kept)}); "
              "goal: within 3x")
        return
    started = time.perf_counter()
    published.exact_table(con, "inflow_vmbo", **view)
    raw = time.perf_counter() - started
    previous = os.environ.get("STO_CACHE_DIR")
    with tempfile.TemporaryDirectory() as folder:
        os.environ["STO_CACHE_DIR"] = folder
        try:
            timings = []
            for _ in ("cold", "warm"):
                suppression._TABLES.clear()  # as in a new process: only the cache folder remains
                started = time.perf_counter()
                published.table(con, "inflow_vmbo", **view)
                timings.append(time.perf_counter() - started)
        finally:
            if previous is None:
                os.environ.pop("STO_CACHE_DIR", None)
            else:
                os.environ["STO_CACHE_DIR"] = previous
    print(f"inflow vmbo per school by geslacht: --raw {raw:.2f} s (floor); suppressed cold {timings[0]:.2f} s "
          f"({timings[0] / raw:.1f}x), pattern from the cache {timings[1]:.2f} s ({timings[1] / raw:.1f}x); goal: within 3x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a database made by `load` (default: the demo region)")
    parser.add_argument("--families", default="", help="comma-separated family names to protect (default all; 'none': skip)")
    parser.add_argument("--levels", default="", help="comma-separated levels (vmbo, havo-vwo; default both)")
    parser.add_argument("--last-years", type=int, default=0, help="protect only the last N school years of each family")
    parser.add_argument("--view", action="store_true", help="time the suppressed command line view (inflow per school by "
                                                            "geslacht) cold and from the pattern cache, against --raw")
    parser.add_argument("--prepared", action="store_true", help="with --view: no cold run; --raw against the pattern read "
                                                                "from the cache folder as it is (run `prepare` first)")
    parser.add_argument("--bound", action="store_true", help="print per level the fewest cells of 5 or more that every "
                                                             "safe pattern hides (a proved lower bound on the loss)")
    parser.add_argument("--whole", action="store_true", help="protect every school year whole, also one of more than "
                                                             f"{cross.MODULAR_ABOVE} schools (to compare with the groups of schools)")
    args = parser.parse_args()
    if args.whole:
        cross.MODULAR_ABOVE = 10**9
    if args.db:
        path = Path(args.db)
    else:
        from sto_metrics.demo import prebuilt

        path = prebuilt.ensure_demo_database()
    con = db.connect(path, read_only=True)
    print(f"database: {path}; protection workers: {workers.worker_count()} (STO_PROTECT_WORKERS=1 for one process); "
          + ("every school year whole" if args.whole else
             f"a school year of more than {cross.MODULAR_ABOVE} schools in groups of {cross.GROUP_SCHOOLS} (--whole: not)"))
    chosen = [name.strip() for name in args.families.split(",") if name.strip()]
    for family, level, counts_of, model_of in FAMILIES:
        if chosen and not any(family.startswith(name) for name in chosen):
            continue
        if args.levels and level not in args.levels.split(","):
            continue
        started = time.perf_counter()
        counts = counts_of(con)
        if args.last_years:
            counts = counts[counts["school_year"] > counts["school_year"].max() - args.last_years]
        raw_seconds = time.perf_counter() - started
        model = model_of(counts)
        started = time.perf_counter()
        table = cross.build(counts, model)  # no cache: the full cost
        protect_seconds = time.perf_counter() - started
        loss_by_level = information_loss(table, model)
        loss = ", ".join(f"{level_name} {hidden}/{total} = {hidden / total:.1%}"
                         + ("*" if level_name.endswith("unsplit") and hidden / total > GOAL[level_name.split()[0]] else "")
                         for level_name, (hidden, total) in loss_by_level.items())
        print(f"{family:26} {level:9} cells {len(table.values):7d}  raw {raw_seconds:6.2f} s  protect {protect_seconds:7.2f} s "
              f"({protect_seconds / max(raw_seconds, 1e-9):5.1f}x raw)  hidden of >=5: {loss}")
        if args.bound:
            least = loss_bound.loss_bound(counts, model, table)
            print(f"{'':36}every safe pattern hides at least: " + ", ".join(
                f"{level_name} {least.get(level_name, 0)}/{total} = {least.get(level_name, 0) / total:.1%}"
                + ("*" if level_name.endswith("unsplit") and least.get(level_name, 0) / total > GOAL[level_name.split()[0]] else "")
                for level_name, (_, total) in loss_by_level.items()))
        if family in HEADLINE:
            name, only = HEADLINE[family]
            print(f"{'':36}of which {name}: " + ", ".join(
                f"{level_name} {hidden}/{total} = {hidden / total:.1%}"
                for level_name, (hidden, total) in information_loss(table, model, only).items() if level_name.endswith("unsplit")))
    print(f"* above the goal (unsplit cells: regio <= {GOAL['regio']:.0%}, school <= {GOAL['school']:.0%} hidden); "
          "destinations and the cohort flow have no school x leerweg/gender cells (refused)")
    if args.view:
        view_timings(con, prepared=args.prepared)
    else:
        started = time.perf_counter()
        published.exact_table(con, "inflow_vmbo", by="school", split="geslacht")
        print(f"a --raw inflow per school by geslacht: {time.perf_counter() - started:.2f} s")
    con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
