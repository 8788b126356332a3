"""`python -m sto_metrics demo`: write a synthetic demo region and summarise it (docs/command-line.md)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sto_metrics.demo import generate
from sto_metrics.demo.common import MANIFEST_NAME, _nl


def demo(args: argparse.Namespace) -> int:
    """`python -m sto_metrics demo --out DIR [--seed N] [--scale regio|landelijk]`."""
    started = time.perf_counter()
    scale = getattr(args, "scale", "regio") or "regio"
    if scale == "landelijk":
        print(f"Landelijke demoset schrijven naar {args.out} (dit duurt enkele minuten) ...", flush=True)
    summary = generate.write_demo(Path(args.out), seed=args.seed, scale=scale, progress=lambda m: print(m, flush=True))
    what = "Demoregio" if scale == "regio" else "Landelijke demoset"
    print(f"{what} geschreven naar {summary['out']} (seed {summary['seed']}, schaal {scale}):")
    for kind in ("vo", "mbo", "ho"):
        print(f"  {kind + ':':5}{summary['files'][kind]:4} bestanden, {_nl(summary['rows'][kind]):>11} rijen")
    if summary["problems"]:
        problems = ", ".join(f"{count}× {kind}" for kind, count in summary["problems"].items())
        print(f"  bewuste datafouten: {problems} (zie {MANIFEST_NAME})")
    print(f"  totaal {summary['bytes'] / 1e6:.1f} MB in {time.perf_counter() - started:.0f} s", file=sys.stdout)
    return 0
