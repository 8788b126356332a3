"""suppression.suppress: primary rule on the synthetic region."""

from sto_metrics import db
from sto_metrics.metrics import calculations
from sto_metrics.privacy import suppression


def _is_small(value):
    return isinstance(value, int) and 1 <= value <= 4


def test_no_small_counts_and_no_small_share_denominators(metrics_synthetic_db):
    con = db.connect(metrics_synthetic_db, read_only=True)
    for level in calculations.LEVELS:
        for by in ("regio", "school"):
            table = suppression.suppress(calculations.inflow(con, level, by, "geslacht"))
            for column in ("pupils", "technical", "unknown_profile"):
                assert not any(_is_small(v) for v in table[column])
            shown = table[table["share"].notna()]
            assert all(isinstance(v, int) and v >= 10 for v in shown["pupils"])
            table = suppression.suppress(calculations.progression(con, level, by))
            shown = table[table["share"].notna()]
            assert all(isinstance(v, int) and v >= 10 for v in shown["enrolled"])
