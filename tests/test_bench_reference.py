"""The benchmark's pandas reference computes the same numbers as the engine (else its ratio means nothing)."""

from __future__ import annotations

import pandas as pd
import pytest

from bench import pandas_reference as fast
from sto_metrics import db
from sto_metrics.metrics import calculations
from sto_metrics.settings import MetricSettings

COUNTS = {"inflow": ["pupils", "technical", "unknown_profile"], "destinations": ["graduates", *fast.DESTINATIONS], "progression": ["enrolled", "technical"]}


@pytest.mark.parametrize("kind", ["inflow", "destinations", "progression"])
@pytest.mark.parametrize("level", ["vmbo", "havo-vwo"])
@pytest.mark.parametrize("by", ["regio", "school"])
@pytest.mark.parametrize("settings", [MetricSettings(), MetricSettings(dp_technical=True, havo_vwo_technical="n", progression_denominator="all_graduates")])
def test_vectorised_reference_equals_the_engine(metrics_synthetic_db, kind, level, by, settings):
    con = db.connect(metrics_synthetic_db, read_only=True)
    tables = fast.load(con)
    engine = getattr(calculations, kind)(con, level=level, by=by, settings=settings)
    reference = getattr(fast, kind)(tables, level=level, by=by, settings=settings)
    con.close()
    reference = reference.assign(school_year=[f"{y}-{y + 1}" for y in reference["school_year"]],
                                 scope=reference["school_id"] if by == "school" else "regio")
    keys = ["school_year", "scope"] + (["from_group"] if kind != "inflow" else [])
    merged = engine.merge(reference, on=keys, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (merged["_merge"] == "both").all()
    for column in COUNTS[kind]:
        assert (merged[column] == merged[f"{column}_ref"]).all(), column
    pd.testing.assert_series_equal(merged["share"] if "share" in merged else merged["graduates"],
                                   merged["share_ref"] if "share" in merged else merged["graduates_ref"], check_names=False)
