"""The Ambities page: values equal the engine's, settings recompute, edits are validated and saved safely."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sto_metrics import db
from sto_metrics.metrics import ambitions
from sto_metrics.presentation import formatting as fmt
from sto_metrics.settings import MetricSettings
from tests.dashboard_fixtures import make_app, region_database, shown_tables  # noqa: F401  (fixtures)

PAGE = "pages/ambities.py"
TARGETS = """metric,scope,split,baseline_year,baseline_value,target_year,target_value,note
inflow_vmbo,regio,,2020-2021,,2027-2028,30,Regio totaal
progression_vmbo,regio,,2018-2019,5,2021-2022,10,Al lang behaald
inflow_havo_vwo,regio,,2020-2021,,2027-2028,60,Hoog gegrepen
progression_vmbo,regio,herkomst=techniek,2020-2021,,2025-2026,80,Behoud
"""


@pytest.fixture
def targets(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "ambities.csv"
    path.write_text(TARGETS, encoding="utf-8")
    monkeypatch.setenv(ambitions.TARGETS_ENV, str(path))
    return path


@pytest.fixture
def database(region_database, tmp_path) -> Path:  # noqa: F811
    copy = tmp_path / "regio.duckdb"
    shutil.copyfile(region_database[0].with_name("regio-origineel.duckdb"), copy)
    return copy


def _engine(database: Path, targets: Path, settings: MetricSettings | None = None):
    con = db.connect(database, read_only=True)
    try:
        return ambitions.evaluate(con, targets, settings)
    finally:
        con.close()


def test_traffic_light_table_equals_the_engine(make_app, database, targets):  # noqa: F811
    expected = _engine(database, targets)  # before the app holds the database open
    app = make_app(database, PAGE)
    assert not app.exception and not app.error
    shown = shown_tables(app)[0]
    assert len(shown) == len(expected) == 4
    for (_, row), (_, cells) in zip(expected.iterrows(), shown.iterrows(), strict=True):
        assert cells["Status"].endswith(row["status"])
        assert cells["Streefwaarde"] == f"{fmt.percent(row['target_value'])} ({row['target_year']})"
        latest = f"{fmt.percent(row['latest_value'])} ({row['latest_year']})" if row["latest_year"] else fmt.HIDDEN
        assert cells["Laatste waarde"] == latest
        assert cells["Koers (dat jaar)"] == fmt.percent(row["trajectory_value"])
    counts = {m.label.split(" ", 1)[1]: int(m.value) for m in app.metric}
    assert counts == {status: int((expected["status"] == status).sum()) for status in ambitions.STATUSES}
    assert counts["behaald"] >= 1  # the 10% target of 2021 is long reached


def test_definition_setting_recomputes_the_ambitions(make_app, database, targets):  # noqa: F811
    expected = _engine(database, targets, MetricSettings(dp_technical=True))
    default = _engine(database, targets)
    app = make_app(database, PAGE, query={"dp": "true"})
    shown = shown_tables(app)[0]
    assert shown["Laatste waarde"].iloc[0] == f"{fmt.percent(expected['latest_value'][0])} ({expected['latest_year'][0]})"
    assert expected["latest_value"][0] > default["latest_value"][0]  # D&P pupils now count as technical


def test_every_ambition_has_a_chart_with_its_definition(make_app, database, targets):  # noqa: F811
    """One ambition's panel at a time (a page draws one chart, not one per ambition): each chosen ambition shows its own
    realised series as a chart, with its definition and status."""
    expected = _engine(database, targets)
    app = make_app(database, PAGE)
    choice = app.selectbox(key="ambities_een")
    assert len(choice.options) == len(expected) == 4
    for position in range(len(expected)):
        app.selectbox(key="ambities_een").set_value(position).run()
        assert not app.exception and not app.error
        charts = app.get("plotly_chart")
        assert len(charts) == 1
        spec = json.loads(charts[0].proto.spec)
        realised = [y for trace in spec["data"] for y in (trace.get("y") or []) if y is not None]
        assert realised, "the chart draws the realised values"
        captions = " ".join(c.value for c in app.caption)
        assert "Definitie" in captions and expected["status"][position] in captions
    app.session_state["tabellen"] = True
    app.run()
    assert not app.get("plotly_chart") and len(app.table) == len(app.dataframe) == 1  # the traffic lights (static) and the chosen ambition's table


def test_school_filter_narrows_the_table(make_app, database, targets):  # noqa: F811
    app = make_app(database, PAGE)
    app.selectbox(key="ambities_scope").set_value("regio").run()
    assert len(shown_tables(app)[0]) == 4
    assert all(v == "Regio" for v in shown_tables(app)[0]["Regio of school"])


def test_invalid_edit_is_refused_and_the_file_is_unchanged(make_app, database, targets):  # noqa: F811
    before = targets.read_bytes()
    app = make_app(database, PAGE)
    assert not [b for b in app.button if b.key == "ambities_save"]  # closed: no editor drawn
    app.session_state["ambities_bewerken"] = True  # the editor is drawn once its expander is opened
    app.run()
    app.session_state["ambities_editor"] = {"edited_rows": {0: {"target_value": "250"}, 1: {"scope": "99ZZ99"}},
                                            "added_rows": [], "deleted_rows": []}
    app.button(key="ambities_save").click().run()
    message = " ".join(e.value for e in app.error)
    assert "Niet opgeslagen" in message and "100%" in message and "99ZZ99" in message
    assert targets.read_bytes() == before
    assert not targets.with_name("ambities.csv.bak").exists()


def test_valid_edit_is_saved_with_a_backup_and_recomputed(make_app, database, targets):  # noqa: F811
    before = targets.read_bytes()
    app = make_app(database, PAGE)
    app.session_state["ambities_bewerken"] = True  # the editor is drawn once its expander is opened
    app.run()
    app.session_state["ambities_editor"] = {"edited_rows": {2: {"target_value": "20"}}, "added_rows": [], "deleted_rows": []}
    app.button(key="ambities_save").click().run()
    assert [s.value for s in app.success] and not app.error
    assert targets.with_name("ambities.csv.bak").read_bytes() == before
    saved = ambitions.read_targets(targets)
    assert saved["target_value"][2] == "20"
    app.run()
    assert shown_tables(app)[0]["Streefwaarde"][2].startswith("20,0%")


def test_a_note_is_shown_literally_never_as_markdown(make_app, database, targets):  # noqa: F811
    """The traffic lights are a static table, whose cells Streamlit reads as Markdown: a note in the ambitions file that
    looks like an image or a link is shown as its text (no request leaves the browser)."""
    note = "![x](https://example.org/p.png) **vet** <b>html</b>"
    targets.write_text(TARGETS.replace("Regio totaal", f'"{note}"'), encoding="utf-8")
    app = make_app(database, PAGE)
    assert not app.exception and not app.error
    raw = app.table[0].value["Toelichting"][0]
    assert "![" not in raw and "](" not in raw and "**" not in raw and "<b>" not in raw
    assert shown_tables(app)[0]["Toelichting"][0] == note
