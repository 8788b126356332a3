"""The metric subcommands of `python -m sto_metrics` (spec/interface.md): inflow, destinations, progression."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from sto_metrics import db
from sto_metrics.errors import UserError
from sto_metrics.metrics import calculations
from sto_metrics.presentation import tabular
from sto_metrics.privacy import suppression
from sto_metrics.settings import MetricSettings


def settings_from_args(args: argparse.Namespace) -> MetricSettings:
    """The definition settings chosen on the command line."""
    return MetricSettings(
        dp_technical=bool(getattr(args, "dp_technical", False)),
        havo_vwo_technical=getattr(args, "havo_vwo_technical", "nt") or "nt",
        progression_denominator="all_graduates" if getattr(args, "over_all_graduates", False) else "enrolled_mbo",
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
    try:
        con = db.connect(file, read_only=True)
        con.execute("SELECT 1 FROM vo_enrolment LIMIT 1").fetchall()
    except duckdb.Error:
        raise UserError(f"'{path}' is geen database van dit programma (of is beschadigd). Maak hem opnieuw met: python -m sto_metrics load") from None
    return con


def _emit(args: argparse.Namespace, metric: str, compute) -> int:
    con = open_database(args.db)
    try:
        table = compute(con, settings_from_args(args))
    finally:
        con.close()
    if not args.raw:
        table = suppression.suppress(table, calculations.metric_name(metric, args.level), rules_from_args(args))
    tabular.write(table, args.format, sys.stdout)
    return 0


def inflow(args: argparse.Namespace) -> int:
    """`inflow`: instroom techniek per schooljaar en regio/school, optioneel uitgesplitst."""
    return _emit(args, "inflow", lambda con, s: calculations.inflow(con, args.level, args.by, getattr(args, "split", None), s))


def destinations(args: argparse.Namespace) -> int:
    """`destinations`: bestemming van gediplomeerden per cohort."""
    return _emit(args, "destinations", lambda con, s: calculations.destinations(con, args.level, args.by, s))


def progression(args: argparse.Namespace) -> int:
    """`progression`: doorstroom naar technisch mbo/ho per cohort."""
    return _emit(args, "progression", lambda con, s: calculations.progression(con, args.level, args.by, s))
