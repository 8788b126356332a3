"""`python -m sto_metrics compare`: the region beside the Netherlands, its provinces and landsdelen (docs/command-line.md)."""

from __future__ import annotations

import argparse
import sys

from sto_metrics.cli import metric_commands
from sto_metrics.metrics import registry
from sto_metrics.national import compare
from sto_metrics.presentation import tabular


def add_options(parser: argparse.ArgumentParser, formats: list[str]) -> None:
    """The options of `compare`: level, area, format and the definition settings of the metric commands."""
    parser.add_argument("--db", required=True, help="het DuckDB-bestand")
    parser.add_argument("--level", choices=list(registry.COMPARISONS), default="vmbo",
                        help="vmbo (standaard, instroom leerjaar 3), havo-vwo (N&T) of vmbo-mbo (doorstroom naar mbo techniek)")
    parser.add_argument("--area", choices=list(compare.AREAS), help="alleen dit gebied (standaard alle)")
    parser.add_argument("--format", choices=formats, default="csv", help="uitvoerformaat (standaard csv)")
    parser.add_argument("--dp-technical", action="store_true", help="tel het vmbo-profiel D&P als technisch")
    parser.add_argument("--havo-vwo-technical", choices=["nt", "n"], default="nt", help="havo/vwo technisch: profiel met NT (standaard, CBS) of elk N-profiel (Techniekpact)")
    parser.add_argument("--over-all-graduates", action="store_true", help="regio-doorstroom vmbo over alle gediplomeerden in plaats van over wie naar het mbo ging")


def run(args: argparse.Namespace) -> int:
    """Print the comparison for --level (all areas, or --area); the region's own row is suppressed as on the pages."""
    con = metric_commands.open_database(args.db)
    try:
        table = compare.compare(con, args.level, areas=(args.area,) if args.area else None,
                                settings=metric_commands.settings_from_args(args), rules=metric_commands.rules_from_args(args))
    finally:
        con.close()
    tabular.write(table, args.format, sys.stdout)
    return 0
