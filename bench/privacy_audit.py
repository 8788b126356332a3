"""Privacy audit of everything the command line publishes for one database (not a test; takes minutes).

    python bench/privacy_audit.py --db DB [--views full|filters|none] [--workers 2] [--max-determined N] [--json FILE]

Runs tests/privacy_auditor.py: the command line over every view (command x level x --by x --split x
setting x population filter), then for every hidden count whose true value is 1-4 whether the
published figures together determine it (LP over the atoms, and linear span). Prints per metric:
hidden small counts, how many are determined (the goal: 0) and by which method, the information
loss (share of counts >= 5 that are hidden) at region and school level against the goal of issue
10 (region <= 3%, school <= 18%), the views whose printed cells give the determined counts away,
and the wall time. Exit status 1 when a small count is determined, else 0.

--views: `full` (default): no filter, each single --school/--leerweg/--geslacht, and every
school x geslacht and leerweg x geslacht pair; `filters`: the single filters only; `none`: no
population filter (only the unfiltered tables).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import privacy_auditor as auditor  # noqa: E402

GOAL = {"region": 0.03, "school": 0.18}
VIEWS = {
    "full": dict(singles=("school", "leerweg", "geslacht"), combos=auditor.ALL_COMBOS),
    "filters": dict(singles=("school", "leerweg", "geslacht"), combos=()),
    "none": dict(singles=(), combos=()),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a database made by `python -m sto_metrics load`")
    parser.add_argument("--views", choices=list(VIEWS), default="full")
    parser.add_argument("--workers", type=int, default=None, help="processes running the command line (default: 2 or the cores)")
    parser.add_argument("--max-determined", type=int, default=None, help="stop after this many determined counts")
    parser.add_argument("--certificates", type=int, default=3, help="per block, determined counts found by the span to explain")
    parser.add_argument("--no-span-labels", action="store_true", help="skip the rank test telling span from lp (faster)")
    parser.add_argument("--examples", type=int, default=15)
    parser.add_argument("--json", metavar="FILE", help="also write the report (metrics and every determined count) as JSON")
    args = parser.parse_args(argv)
    if not Path(args.db).is_file():
        parser.error(f"no database at {args.db}")

    start = time.perf_counter()
    report = auditor.audit(args.db, workers=args.workers, max_determined=args.max_determined, certificates=args.certificates,
                           label_span=not args.no_span_labels, progress=lambda m: print(f"  {m}", file=sys.stderr), **VIEWS[args.views])
    wall = time.perf_counter() - start

    print(f"Privacy audit of {args.db} ({args.views} views: {report.views_run} printed, {len(report.views_refused)} refused)")
    print(f"gender semantics: {report.gender_semantics}; missing rows read as 0: {report.absent_rows_used}; LP solves: {report.lp_solves}")
    print()
    how = Counter((m, d.how) for d in report.determined for m in d.metrics)
    header = (f"{'metric':22} {'hidden 1-4':>10} {'determined':>10} {'by span':>8} {'by lp':>6}"
              f" {'loss regio':>10} {'loss school':>11}   {'all views: regio':>16} {'school':>7}")
    print(header)
    print("-" * len(header))
    for name, m in sorted(report.metrics.items()):
        region, school = m.rate(m.loss_region), m.rate(m.loss_school)
        print(f"{name:22} {m.hidden_small:10d} {m.determined:10d} {how[(name, 'span')]:8d} {how[(name, 'lp')]:6d}"
              f" {region:9.1%}{'*' if region > GOAL['region'] else ' '} {school:10.1%}{'*' if school > GOAL['school'] else ' '}"
              f"   {m.rate(m.loss_all_region):16.1%} {m.rate(m.loss_all_school):7.1%}")
    print("-" * len(header))
    print(f"{'distinct cells':22} {report.hidden_small:10d} {len(report.determined):10d}"
          f"   (a cell printed by two metrics counts in both rows above; totals count it once)")
    print(f"* above the goal of issue 10 (loss regio <= {GOAL['region']:.0%}, school <= {GOAL['school']:.0%}); "
          "loss = share of counts >= 5 that are hidden in the unfiltered tables; 'all views' also counts the filtered ones")
    if report.determined:
        kinds = Counter(k for d in report.determined for k in d.via_kinds)
        explained = sum(1 for d in report.determined if d.via_kinds)
        print(f"\nviews whose printed counts give the determined counts away ({explained} of {len(report.determined)} explained):")
        for kind, n in kinds.most_common(25):
            print(f"  {n:6d}  {kind}")
        hidden_in = Counter(k for d in report.determined for k in d.hidden_kinds)
        print("\nviews in which the determined counts are hidden:")
        for kind, n in hidden_in.most_common(15):
            print(f"  {n:6d}  {kind}")
        print("\nexamples:")
        for d in report.determined[:args.examples]:
            print(f"  [{d.how}] = {d.value}: {d.cell}")
            for line in d.via[:6]:
                print(f"        from {line}")
    for note in report.notes[:10]:
        print(f"note: {note}")
    if args.json:
        Path(args.json).write_text(json.dumps({"db": args.db, "views": args.views, "wall_seconds": wall, **dataclasses.asdict(report)}, indent=1))
    print("\nseconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items()) + f"; wall time of the audit {wall:.1f} s")
    return 1 if report.determined else 0


if __name__ == "__main__":
    sys.exit(main())
