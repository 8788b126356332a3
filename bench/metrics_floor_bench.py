"""Metric queries against their floor: a bare GROUP BY over the same rows, measured in the same run (issue 14, goal 5).

    python bench/metrics_floor_bench.py --db /tmp/natscale/nat.duckdb    # a database made by `load` (the national set)

For each declared table figure and scope, the exact table (`published.exact_table`: the named query plus the pandas
shaping, as `--raw` runs it) against the floor: one plain `GROUP BY` per table the query reads, over the rows it reads
(vo: the level's leerjaar or diploma rows, by school year, school, leerweg, gender and profile; mbo/ho: the follow-up
years, by school year and sector), without the chosen-record rule, the follow-up joins or the shaping. Both warm, best
of 3 after a warm-up, by the clock and in CPU seconds of this process (all threads: steadier than the clock on a
machine shared with other work). Goal: every metric within 3x its floor. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sto_metrics import db, published
from sto_metrics.metrics import registry

GOAL = 3.0
_VO_KEYS = "school_year, school_id, leerweg, gender, profile_code"
_LEVEL = {"vmbo": "education_type = 'vmbo'", "havo-vwo": "education_type IN ('havo', 'vwo')"}
_FOLLOW_UP = ("SELECT school_year, sector_code, count(*) FROM {table} "
              "WHERE school_year - 1 IN (SELECT DISTINCT school_year FROM vo_enrolment WHERE diploma) GROUP BY ALL")


def floor_queries(family: str, level: str) -> list[str]:
    """The bare GROUP BYs over the rows a family's query reads (the floor is their total time)."""
    if family == "inflow":
        leerjaar = 3 if level == "vmbo" else 4
        return [f"SELECT {_VO_KEYS}, count(*) FROM vo_enrolment WHERE {_LEVEL[level]} AND leerjaar = {leerjaar} GROUP BY ALL"]
    if family in ("destinations", "progression"):
        return [f"SELECT {_VO_KEYS}, count(*) FROM vo_enrolment WHERE {_LEVEL[level]} AND diploma GROUP BY ALL",
                _FOLLOW_UP.format(table="mbo_enrolment"), _FOLLOW_UP.format(table="ho_enrolment")]
    if family == "retention":
        return [f"SELECT {_VO_KEYS}, leerjaar, count(*) FROM vo_enrolment "
                "WHERE education_type = 'vmbo' AND leerjaar IN (3, 4) GROUP BY ALL"]
    raise ValueError(f"no floor for {family}")


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def best_of(call, repeat: int = 3) -> tuple[float, float]:
    """(best seconds, best CPU seconds) of `repeat` runs after a warm-up."""
    call()  # warm-up
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        started, cpu = time.perf_counter(), _cpu()
        call()
        best, best_cpu = min(best, time.perf_counter() - started), min(best_cpu, _cpu() - cpu)
    return best, best_cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a database made by `load` (e.g. the national set)")
    args = parser.parse_args()
    con = db.connect(Path(args.db), read_only=True)
    pupils = con.execute("SELECT count(*) FROM vo_enrolment").fetchall()[0][0]
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    print(f"database: {args.db} ({pupils:,} vo rows, {threads} DuckDB threads); warm, best of 3")
    print(f"  {'metric':30} {'floor s':>8} {'ours s':>8} {'ratio':>7}   {'floor CPU':>9} {'ours CPU':>9} {'ratio':>7}")
    worst = 0.0
    for metric in registry.METRICS.values():
        if metric.compute is None or metric.family not in ("inflow", "destinations", "progression", "retention"):
            continue
        queries = floor_queries(metric.family, metric.level)
        floor, floor_cpu = best_of(lambda queries=queries: [con.execute(q).fetchall() for q in queries])
        for by in metric.scopes:
            ours, ours_cpu = best_of(lambda name=metric.name, by=by: published.exact_table(con, name, by=by))
            ratio = ours / floor
            worst = max(worst, ratio)
            print(f"  {metric.name + ' ' + by:30} {floor:8.3f} {ours:8.3f} {ratio:6.2f}x   {floor_cpu:9.3f} {ours_cpu:9.3f} "
                  f"{ours_cpu / floor_cpu:6.2f}x{'' if ratio <= GOAL else '  *'}")
    print(f"goal: every metric within {GOAL:.0f}x its floor (clock): {'met' if worst <= GOAL else 'NOT met (*)'} (worst {worst:.2f}x)")
    con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
