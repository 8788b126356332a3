# ruff: noqa: F811  (pytest fixtures are imported from tests.dashboard_fixtures and used as arguments)
"""Pages under the sidebar's selections that a browser review of the demo found broken (1 December 2026): one school
with a small leerweg x gender group, and several schools at once."""

from __future__ import annotations

import pandas as pd

from sto_metrics.presentation import charts
from tests.dashboard_fixtures import make_app  # noqa: F401 (fixtures)
from tests.test_pages import assert_no_errors

ZAANHUIS = "31XA00"  # a demo vmbo school


def test_comparison_of_a_year_whose_shares_are_all_hidden_lists_every_row_as_hidden():
    """Every share and interval hidden (a column of None only): each row listed with '–', no dot, a default axis."""
    rows = pd.DataFrame({"series": ["Selectie", "School A"], "school_year": [2025, 2025], "share": [None, None],
                         "ci_low": [None, None], "ci_high": [None, None], "numerator": ["<5", None], "denominator": [12, None]})
    figure = charts.compare_figure(rows, region_label="Selectie")
    assert sorted(figure.data[0].y) == ["School A (–)", "Selectie (–)"]
    assert all(x != x for x in figure.data[0].x)  # NaN: not drawn
    assert figure.layout.xaxis.range == (0, 0.55)


def test_instroom_per_school_with_one_school_and_a_small_group_draws_its_comparison(make_app, demo_database_path):
    """The review's case on the demo: 't Zaanhuis, leerweg KB, girls, section Per school: a figure, not an error."""
    app = make_app(demo_database_path, "pages/instroom.py")
    app.multiselect(key="scholen").set_value([ZAANHUIS])
    app.selectbox(key="leerweg").set_value("KB")
    app.selectbox(key="geslacht").set_value("V").run()
    app.session_state["instroom_sectie_vmbo"] = "Per school"
    app.run()
    assert_no_errors(app)
    compared = [chart for chart in app.get("plotly_chart") if '"error_x"' in chart.proto.spec]
    assert len(compared) == 1
    assert "(–)" in compared[0].proto.spec  # the hidden share is named as hidden, not drawn
