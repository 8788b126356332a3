"""The one way figures leave the engine: computed from the registry's declaration, then suppressed.

Pages, the report, the ambitions and the command line all call `table` (and `flow` for the cohort
flow). `exact_table` is the same figure without suppression: only the command line's `--raw` and the
tests use it.
"""

from __future__ import annotations

import duckdb
import pandas as pd

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


def table(con: duckdb.DuckDBPyConnection, metric: str, *, by: str = "regio", split: str | None = None,
          settings: MetricSettings | None = None, population: PopulationFilter | None = None,
          rules: suppression.SuppressionRules | None = None) -> pd.DataFrame:
    """A declared figure exactly as it may be published: counts 1-4 as '<5', secondary cells hidden, shares as allowed."""
    exact = exact_table(con, metric, by=by, split=split, settings=settings, population=population)
    return suppression.suppress(exact, rules)


def flow(con: duckdb.DuckDBPyConnection, start_year: int, *, school_id: str | None = None, settings: MetricSettings | None = None,
         population: PopulationFilter | None = None, rules: suppression.SuppressionRules | None = None,
         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cohort flow from `start_year` as it may be published: (nodes, links), each suppressed."""
    nodes, links = calculations.cohort_flow(con, start_year=start_year, school_id=school_id, settings=settings or MetricSettings(),
                                            population=population or PopulationFilter())
    return suppression.suppress(nodes, rules), suppression.suppress(links, rules)
