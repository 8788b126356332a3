"""`python -m sto_metrics cohort-flow`: the Doorstroom page's Sankey and its table, as one table (docs/command-line.md)."""

from __future__ import annotations

import argparse
import sys

import duckdb
import pandas as pd

from sto_metrics import published, schoolyear
from sto_metrics.cli import metric_commands
from sto_metrics.errors import UserError
from sto_metrics.metrics import calculations, catalog
from sto_metrics.presentation import tabular

HELP_NL = "cohortstroom vmbo: leerjaar 2, leerjaar 3, diploma en bestemming (de Sankey van Doorstroom)"
COLUMNS = ["start_year", "scope", "scope_name", "kind", "source", "target", "label", "pupils"]
REGION_NAME = "Regio"


def add_options(parser: argparse.ArgumentParser, formats: list[str]) -> None:
    """The cohort flow's options: the start year and scope, then every figure command's filters, settings and formats."""
    parser.add_argument("--db", required=True, help="het DuckDB-bestand")
    parser.add_argument("--start", metavar="JJJJ", help="startjaar: leerjaar 2 in dit schooljaar (bijvoorbeeld 2020 of 2020-2021); "
                                                        "standaard elk startjaar met gegevens van het jaar erna")
    parser.add_argument("--by", choices=["regio", "school"], default="regio", help="de regio (standaard) of elke school apart")
    metric_commands._add_shared_options(parser, formats)


def start_years(years: list[int]) -> list[int]:
    """The start years the dashboard offers: leerjaar 2 in Y with vo data of Y+1 loaded."""
    loaded = set(years)
    return [year for year in years if year + 1 in loaded]


def _chosen_start_years(requested: str | None, offered: list[int]) -> list[int]:
    if requested is None:
        return offered
    year = schoolyear.parse(requested)
    if year is None:
        raise UserError(f"--start '{requested}' is geen schooljaar: geef het startjaar als 2020 of 2020-2021.")
    if year not in offered:
        choices = ", ".join(str(y) for y in offered) or "geen (laad vo-gegevens van twee opeenvolgende jaren)"
        raise UserError(f"Geen cohortstroom vanaf {schoolyear.label(year)}: daarvoor zijn de vo-gegevens van dat jaar en het jaar erna "
                        f"nodig. Kies een startjaar uit: {choices}.")
    return [year]


def _rows(nodes: pd.DataFrame, links: pd.DataFrame, start: int, scope: str, scope_name: str) -> list[dict]:
    """Nodes first (their own counts, as in the Sankey's hover), then links (the page's table), in the engine's order."""
    label = dict(zip(nodes["node"], nodes["label"], strict=True))
    common = {"start_year": schoolyear.label(start), "scope": scope, "scope_name": scope_name}
    rows = [{**common, "kind": "node", "source": n, "target": "", "label": lab, "pupils": p}
            for n, lab, p in zip(nodes["node"], nodes["label"], nodes["pupils"], strict=True)]
    rows += [{**common, "kind": "link", "source": s, "target": t, "label": f"{label.get(s, s)} → {label.get(t, t)}", "pupils": p}
             for s, t, p in zip(links["source"], links["target"], links["pupils"], strict=True)]
    return rows


def _scopes(con: duckdb.DuckDBPyConnection, start_year: int, schools_chosen: tuple[str, ...], by: str) -> list[str | None]:
    """The chosen schools; with --by school, the schools with vmbo leerjaar-2 pupils in that start year (a school
    without them has no flow: listing it would only print '<5' for its zeros); else the region."""
    if schools_chosen:
        return list(schools_chosen)
    if by == "school":
        return sorted(calculations.cohort_flow_counts(con, start_year)["school_id"].unique().tolist())
    return [None]


def run(args: argparse.Namespace) -> int:
    """The cohort flow per start year for the region, each chosen school (--school) or every school (--by school)."""
    settings = metric_commands.settings_from_args(args)
    population = metric_commands.population_from_args(args)
    schools_chosen = population.school_ids
    con = metric_commands.open_database(args.db)
    try:
        years = _chosen_start_years(args.start, start_years(catalog.school_years(con)))
        # every school with vo data, by name where the school table has one (as the sidebar offers them)
        names = {school: school for school in catalog.school_ids(con)} | dict(zip(*(catalog.schools(con)[c] for c in ("school_id", "name")), strict=True))
        unknown = [s for s in schools_chosen if s not in names]
        if unknown:
            raise UserError(f"Onbekende school {', '.join(unknown)}: geen vo-gegevens van deze vestiging. Kies uit: {', '.join(sorted(names))}.")
        rows: list[dict] = []
        for year in years:
            for school in _scopes(con, year, schools_chosen, args.by):
                options = dict(school_id=school, settings=settings, population=population)
                nodes, links = published.exact_flow(con, year, **options) if args.raw else published.flow(
                    con, year, rules=metric_commands.rules_from_args(args), **options)
                rows += _rows(nodes, links, year, school or "regio", names[school] if school else REGION_NAME)
    finally:
        con.close()
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["pupils"] = table["pupils"].astype(object)
    tabular.write(table, args.format, sys.stdout)
    return 0
