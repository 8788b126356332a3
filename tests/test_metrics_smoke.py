"""The engine API answers with exactly the output columns of docs/command-line.md."""

from sto_metrics.metrics import calculations


def test_columns_match_interface(metrics_synthetic_db):
    from sto_metrics import db

    con = db.connect(metrics_synthetic_db, read_only=True)
    for level in calculations.LEVELS:
        for by in ("regio", "school"):
            for split in (None, "geslacht", "leerweg"):
                assert list(calculations.inflow(con, level, by, split).columns) == calculations.INFLOW_COLUMNS
            assert list(calculations.destinations(con, level, by).columns) == calculations.DESTINATION_COLUMNS
            assert list(calculations.progression(con, level, by).columns) == calculations.PROGRESSION_COLUMNS
    nodes, links = calculations.cohort_flow(con, 2017)
    assert list(nodes.columns) == calculations.FLOW_NODE_COLUMNS
    assert list(links.columns) == calculations.FLOW_LINK_COLUMNS
