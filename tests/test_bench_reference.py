"""The benchmark's pandas reference computes the same numbers as the engine (else its ratio means nothing)."""

from __future__ import annotations

import pandas as pd
import pytest

from bench import pandas_reference as fast
from sto_metrics import db, published
from sto_metrics.metrics import registry
from sto_metrics.settings import MetricSettings

TABLE_METRICS = [m for m in registry.METRICS.values() if m.compute is not None and m.family in fast.FAMILIES]


def test_every_enrolment_figure_has_a_benchmark_reference():
    """A new figure over the enrolment tables joins the reference (activity figures: tests/test_activities_reference.py)."""
    families = {m.family for m in registry.METRICS.values() if m.compute is not None}
    assert families - set(fast.FAMILIES) == {"reach", "reach-pupils", "activity-effect"}


@pytest.mark.parametrize("metric", TABLE_METRICS, ids=[m.name for m in TABLE_METRICS])
@pytest.mark.parametrize("by", ["regio", "school"])
@pytest.mark.parametrize("settings", [MetricSettings(), MetricSettings(dp_technical=True, havo_vwo_technical="n", progression_denominator="all_graduates")])
def test_vectorised_reference_equals_the_engine(metrics_synthetic_db, metric, by, settings):
    con = db.connect(metrics_synthetic_db, read_only=True)
    tables = fast.load(con)
    engine = published.exact_table(con, metric.name, by=by, settings=settings)
    reference = getattr(fast, metric.family)(tables, level=metric.level, by=by, settings=settings)
    con.close()
    reference = reference.assign(school_year=[f"{y}-{y + 1}" for y in reference["school_year"]],
                                 scope=reference["school_id"] if by == "school" else "regio")
    keys = ["school_year", "scope"] + (["from_group"] if "from_group" in metric.columns else [])
    merged = engine.merge(reference, on=keys, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (merged["_merge"] == "both").all()
    for column in metric.count_columns:
        assert (merged[column] == merged[f"{column}_ref"]).all(), column
    pd.testing.assert_series_equal(merged["share"] if "share" in merged else merged["graduates"],
                                   merged["share_ref"] if "share" in merged else merged["graduates_ref"], check_names=False)
