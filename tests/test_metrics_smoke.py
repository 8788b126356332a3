"""The engine API answers with exactly the interface.md columns."""

from sto_metrics import metrics


def test_columns_match_interface(metrics_synthetic_db):
    from sto_metrics import db

    con = db.connect(metrics_synthetic_db, read_only=True)
    for level in metrics.LEVELS:
        for by in ("regio", "school"):
            for split in (None, "geslacht", "leerweg"):
                assert list(metrics.inflow(con, level, by, split).columns) == metrics.INFLOW_COLUMNS
            assert list(metrics.destinations(con, level, by).columns) == metrics.DESTINATION_COLUMNS
            assert list(metrics.progression(con, level, by).columns) == metrics.PROGRESSION_COLUMNS
    nodes, links = metrics.cohort_flow(con, 2017)
    assert list(nodes.columns) == metrics.FLOW_NODE_COLUMNS
    assert list(links.columns) == metrics.FLOW_LINK_COLUMNS
