"""The one way figures leave the engine: computed from the registry's declaration, then suppressed.

Pages, the report, the ambitions and the command line all call `table` (and `flow` for the cohort
flow). `exact_table` and `exact_flow` are the same figures without suppression: only the command line's
`--raw` and the tests use them.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from sto_metrics.errors import UserError
from sto_metrics.metrics import calculations, registry
from sto_metrics.privacy import suppression
from sto_metrics.settings import MetricSettings, PopulationFilter


def exact_table(con: duckdb.DuckDBPyConnection, metric: str, *, by: str = "regio", split: str | None = None,
                settings: MetricSettings | None = None, population: PopulationFilter | None = None) -> pd.DataFrame:
    """The exact table of a declared figure (its declared columns), carrying its cube for the privacy gate."""
    declared = registry.get(metric)
    if declared.compute is None:
        raise ValueError(f"{metric} is not a table; use flow()")
    if by not in declared.scopes:
        raise ValueError(f"{metric} is published per {' or '.join(declared.scopes)}, not per {by!r}")
    if split is not None and split not in declared.splits:
        raise ValueError(f"{metric} has no split {split!r} (declared: {', '.join(declared.splits) or 'none'})")
    return declared.compute(con, level=declared.level, by=by, split=split, settings=settings or MetricSettings(),
                            population=population or PopulationFilter())


def check_population(population: PopulationFilter | None, *, cells: str | None = None, per_school: bool = False) -> None:
    """A view selects cells of the protected table: one leerweg or all, one gender group (V or M) or all (Dutch UserError).

    `cells` names the figure's cell model; a view of school rows (`per_school`) with a leerweg or gender is refused where
    that table holds no such cells (destinations, progression, the cohort flow)."""
    if population is None:
        return
    if per_school and (population.leerwegen or population.genders) and cells in suppression.REGION_ONLY_FILTERS:
        raise UserError(SCHOOL_FILTER_REFUSED)
    if len(set(population.leerwegen)) > 1:
        raise UserError("Kies één leerweg (of geen): een optelling van leerwegen is geen beschermde cel, en kan "
                        "kleine aantallen prijsgeven. Vraag de leerwegen apart op.")
    if len(set(population.genders)) > 1:
        raise UserError("Kies één geslacht (V of M) of geen: V en M samen zijn alle leerlingen.")
    if "X" in population.genders:
        raise UserError("Geslacht X wordt niet apart getoond: zo weinig leerlingen zijn niet te beschermen. Zij tellen "
                        "mee bij M (jongens en overig), zoals DUO alleen man en vrouw toont.")


SCHOOL_FILTER_REFUSED = ("Per school zijn bestemming, doorstroom en cohortstroom er alleen voor alle leerlingen samen: per school "
                         "en leerweg of geslacht zijn de groepen te klein om af te schermen. Kies geen school (de regio) of "
                         "laat leerweg en geslacht leeg.")


def per_school_view(by: str, population: PopulationFilter | None) -> bool:
    """Does a view show school rows (per school, or schools chosen)?"""
    return by == "school" or bool(population and population.school_ids)


def refusal(metric: str, *, by: str = "regio", population: PopulationFilter | None = None, per_school: bool | None = None) -> str | None:
    """The Dutch reason a view of a declared figure is not published (pages show it instead), or None."""
    try:
        check_population(population, cells=registry.get(metric).cells,
                         per_school=per_school_view(by, population) if per_school is None else per_school)
    except UserError as refused:
        return str(refused)
    return None


def table(con: duckdb.DuckDBPyConnection, metric: str, *, by: str = "regio", split: str | None = None,
          settings: MetricSettings | None = None, population: PopulationFilter | None = None,
          rules: suppression.SuppressionRules | None = None) -> pd.DataFrame:
    """A declared figure exactly as it may be published: counts 1-4 as '<5', secondary cells hidden, shares as allowed."""
    check_population(population, cells=registry.get(metric).cells, per_school=per_school_view(by, population))
    exact = exact_table(con, metric, by=by, split=split, settings=settings, population=population)
    return suppression.suppress(exact, rules)


def exact_flow(con: duckdb.DuckDBPyConnection, start_year: int, *, school_id: str | None = None, settings: MetricSettings | None = None,
               population: PopulationFilter | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cohort flow from `start_year`, exact: (nodes, links), for --raw and tests only."""
    return calculations.cohort_flow(con, start_year=start_year, school_id=school_id, settings=settings or MetricSettings(),
                                    population=population or PopulationFilter())


def flow(con: duckdb.DuckDBPyConnection, start_year: int, *, school_id: str | None = None, settings: MetricSettings | None = None,
         population: PopulationFilter | None = None, rules: suppression.SuppressionRules | None = None,
         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cohort flow from `start_year` as it may be published: (nodes, links), each suppressed."""
    check_population(population, cells="cohort_flow", per_school=school_id is not None)
    nodes, links = calculations.cohort_flow(con, start_year=start_year, school_id=school_id, settings=settings or MetricSettings(),
                                            population=population or PopulationFilter())
    return suppression.suppress(nodes, rules), suppression.suppress(links, rules)
