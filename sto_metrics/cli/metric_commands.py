"""The metric subcommands of `python -m sto_metrics` (docs/command-line.md): one per figure family in the registry."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from sto_metrics import access, published
from sto_metrics.errors import UserError
from sto_metrics.metrics import registry
from sto_metrics.presentation import tabular
from sto_metrics.privacy import suppression
from sto_metrics.settings import MetricSettings, PopulationFilter

LEERWEGEN = ("BB", "KB", "GL", "TL")
GENDERS = ("V", "M", "X")


def settings_from_args(args: argparse.Namespace) -> MetricSettings:
    """The definition settings chosen on the command line."""
    return MetricSettings(
        dp_technical=bool(getattr(args, "dp_technical", False)),
        havo_vwo_technical=getattr(args, "havo_vwo_technical", "nt") or "nt",
        progression_denominator="all_graduates" if getattr(args, "over_all_graduates", False) else "enrolled_mbo",
    )


def population_from_args(args: argparse.Namespace) -> PopulationFilter:
    """The population filters (the dashboard's sidebar), each repeatable; none given = everyone."""
    return PopulationFilter(
        leerwegen=tuple(dict.fromkeys(getattr(args, "leerweg", None) or ())),
        genders=tuple(dict.fromkeys(getattr(args, "geslacht", None) or ())),
        school_ids=tuple(dict.fromkeys(s.strip().upper() for s in (getattr(args, "school", None) or ()))),
    )


def rules_from_args(args: argparse.Namespace) -> suppression.SuppressionRules:
    """Suppression thresholds (optional flags --min-count / --min-share-denominator, else the defaults)."""
    defaults = suppression.SuppressionRules()
    return suppression.SuppressionRules(
        min_count=int(getattr(args, "min_count", None) or defaults.min_count),
        min_share_denominator=int(getattr(args, "min_share_denominator", None) or defaults.min_share_denominator),
    )


def open_database(path: str) -> duckdb.DuckDBPyConnection:
    """Open the database read-only; Dutch UserError when it is missing or not a usable database."""
    file = Path(path)
    if not file.is_file():
        raise UserError(f"De database '{path}' bestaat niet. Laad eerst gegevens met: python -m sto_metrics load MAP --db {path}")
    return access.open_read_only(file)  # waits, with a notice, while a load writes; UserError for another kind of file


def add_options(parser: argparse.ArgumentParser, family: str, formats: list[str]) -> None:
    """The options of one figure family's command, from its declarations."""
    declared = [registry.of(family, level) for level in registry.levels(family)]
    first = declared[0]
    parser.add_argument("--db", required=True, help="het DuckDB-bestand")
    if len(declared) > 1:
        parser.add_argument("--level", choices=[m.level for m in declared], default=first.level,
                            help=f"{first.level} (standaard) of {', '.join(m.level for m in declared[1:])}")
    scopes = list(first.scopes)
    parser.add_argument("--by", choices=scopes, default=scopes[0],
                        help=f"per {scopes[0]} (standaard) of per {' of per '.join(scopes[1:])}" if len(scopes) > 1 else f"per {scopes[0]} (de enige keuze)")
    splits = list(dict.fromkeys(split for m in declared for split in m.splits))
    if splits:
        parser.add_argument("--split", choices=splits, help=f"uitsplitsen naar {' of '.join(splits)}")
    _add_shared_options(parser, formats)
    parser.set_defaults(family=family)


def _add_shared_options(parser: argparse.ArgumentParser, formats: list[str]) -> None:
    """The sidebar's population filters, --raw, --format and the definition settings: every figure command takes them."""
    parser.add_argument("--school", action="append", metavar="ID", help="alleen deze school (vestigingscode); herhaalbaar")
    parser.add_argument("--leerweg", action="append", choices=LEERWEGEN, help="alleen deze vmbo-leerweg; herhaalbaar")
    parser.add_argument("--geslacht", action="append", choices=GENDERS, help="alleen dit geslacht; herhaalbaar")
    parser.add_argument("--raw", action="store_true", help="exacte aantallen zonder onderdrukking (alleen voor wie de leerlinggegevens mag zien)")
    parser.add_argument("--format", choices=formats, default="csv", help="uitvoerformaat (standaard csv)")
    parser.add_argument("--dp-technical", action="store_true", help="tel het vmbo-profiel D&P als technisch")
    parser.add_argument("--havo-vwo-technical", choices=["nt", "n"], default="nt", help="havo/vwo technisch: profiel met NT (standaard, CBS) of elk N-profiel (Techniekpact)")
    parser.add_argument("--over-all-graduates", action="store_true", help="doorstroom vmbo over alle gediplomeerden in plaats van over wie naar het mbo ging")


def run(args: argparse.Namespace) -> int:
    """Any metric command: the declared figure for --level, per --by, optionally split; suppressed unless --raw."""
    metric = registry.of(args.family, getattr(args, "level", None) or registry.levels(args.family)[0])
    split = getattr(args, "split", None)
    if split is not None and split not in metric.splits:
        raise UserError(f"{metric.label_nl} kent geen uitsplitsing naar {split}.")
    options = dict(by=args.by, split=split, settings=settings_from_args(args), population=population_from_args(args))
    con = open_database(args.db)
    try:
        if args.raw:
            table = published.exact_table(con, metric.name, **options)
        else:
            table = published.table(con, metric.name, rules=rules_from_args(args), **options)
    finally:
        con.close()
    tabular.write(table, args.format, sys.stdout)
    return 0
