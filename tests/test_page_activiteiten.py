"""The Activiteiten page (AppTest): reach heat map and tables, the comparison with its caveat, all as published."""

from __future__ import annotations

from pathlib import Path

import pytest

from sto_metrics import published
from sto_metrics.loading.reference import open_database
from sto_metrics.metrics import activities
from sto_metrics.presentation import activities as shown
from sto_metrics.presentation import formatting as fmt
from sto_metrics.settings import PopulationFilter
from tests.dashboard_fixtures import every_section, make_app, region_database, writable_database  # noqa: F401  (fixtures)

PAGE = "pages/activiteiten.py"


def app_md(text: str) -> str:
    import app_support

    return app_support.md_escape(text)


@pytest.fixture(scope="module")
def database(region_database) -> Path:  # noqa: F811
    return region_database[0]


def _published(database: Path, metric: str, **options):
    con = open_database(database)  # the dashboard holds it open read-write
    try:
        return published.table(con, metric, **options), activities.activity_type_names(con)
    finally:
        con.close()


# AppTest's dataframes carry no key: each table is known by a column only it has (the first such one).
TABLE_COLUMNS = {"activiteiten_bereik_table": "Bereik", "activiteiten_effect_table": "95%-interval verschil",
                 "activiteiten_voor_na_table": "Aandeel techniek", "activiteiten_deelname_table": "Aandeel eerder meegedaan",
                 "activiteiten_leerlingen_table": "Bereikte leerlingen"}


# The page's sections are lazy tabs (one drawn at a time); the section that holds each table.
SECTIONS = {"activiteiten_bereik_table": "Bereik per school en jaar", "activiteiten_leerlingen_table": "Meisjes en leerlingen bereikt",
            "activiteiten_effect_table": "Kiezen deelnemers vaker voor techniek?",
            "activiteiten_deelname_table": "Kiezen deelnemers vaker voor techniek?",
            "activiteiten_voor_na_table": "Voor en na de start van een activiteit"}


def _open_section(app, title: str):
    if app.session_state["activiteiten_sectie"] != title:
        app.session_state["activiteiten_sectie"] = title
        app.run()
    return app


def _frame(app, key: str):
    _open_section(app, SECTIONS[key])
    found = [frame.value for frame in app.dataframe if TABLE_COLUMNS[key] in frame.value.columns]
    assert found, key
    return found[0]


def _no_errors(app):
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def test_page_shows_reach_as_published(make_app, database):  # noqa: F811
    app = make_app(database, PAGE, tables=True)
    _no_errors(app)
    assert app.title[0].value == "Activiteiten"
    reach, names = _published(database, "reach", by="school", population=PopulationFilter())
    kind = app.segmented_control(key="activiteiten_soort").value
    assert kind == "techcarrousel"  # the first kind held at schools
    table = _frame(app, "activiteiten_bereik_table")
    expected = shown.reach_display(reach[reach["activity_type"] == kind], names)
    assert table.to_dict("records") == expected.to_dict("records")
    assert len(table) > 5 and table["Bereik"].str.endswith("%").any()
    app.segmented_control(key="activiteiten_soort").set_value("meeloopdag").run()
    _no_errors(app)
    assert set(_frame(app, "activiteiten_bereik_table")["Soort activiteit"]) == {"Meeloopdag"}


def test_comparison_within_school_with_caveat(make_app, database):  # noqa: F811
    app = make_app(database, PAGE, tables=True)
    assert not any(activities.CAVEAT_NL in info.value for info in app.info)  # drawn with its section only
    _open_section(app, SECTIONS["activiteiten_effect_table"])
    assert any(activities.CAVEAT_NL in info.value for info in app.info)
    school_id = app.selectbox(key="activiteiten_school").value
    effect, _ = _published(database, "activity_effect", by="school")
    effect = effect[effect["scope"] == school_id]
    expected = shown.effect_display(effect, activities.group_difference(effect))
    assert _frame(app, "activiteiten_effect_table").to_dict("records") == expected.to_dict("records")
    assert len(expected) >= 2  # every cohort year of the school (most of its participants' counts are hidden in this small region)
    app.segmented_control(key="activiteiten_vergelijking").set_value("regio").run()
    _no_errors(app)
    region = _frame(app, "activiteiten_effect_table")
    assert set(region["School"]) == {"Regio"} and (region["Verschil"] != fmt.HIDDEN).any()
    assert any("vaker voor een technisch profiel" in m.value for m in app.markdown)


def test_distinct_pupils_reached_as_published(make_app, database):  # noqa: F811
    app = make_app(database, PAGE, tables=True)
    reached, _ = _published(database, "reach_pupils", by="school", population=PopulationFilter())
    table = _frame(app, "activiteiten_leerlingen_table")
    assert table.to_dict("records") == shown.reached_display(reached).to_dict("records")
    assert len(table) >= 3 and table["Bereikte leerlingen"].str.match(r"^[0-9.]+$").any()


def test_share_of_the_cohort_that_took_part_before(make_app, database):  # noqa: F811
    app = make_app(database, PAGE, tables=True)
    _open_section(app, SECTIONS["activiteiten_deelname_table"])
    school_id = app.selectbox(key="activiteiten_school").value
    effect, _ = _published(database, "activity_effect", by="school")
    participation = activities.cohort_participation(effect[effect["scope"] == school_id])
    table = _frame(app, "activiteiten_deelname_table")
    assert table.to_dict("records") == shown.participation_display(participation).to_dict("records")
    app.segmented_control(key="activiteiten_vergelijking").set_value("regio").run()
    _no_errors(app)
    region, _ = _published(database, "activity_effect", by="regio")
    participation = activities.cohort_participation(region)
    table = _frame(app, "activiteiten_deelname_table")
    assert table.to_dict("records") == shown.participation_display(participation).to_dict("records")
    assert (table["Aandeel eerder meegedaan"] != fmt.HIDDEN).sum() >= 1
    assert any(m.value == app_md(shown.participation_sentence(participation)) for m in app.markdown)
    assert any("bekend profiel" in c.value for c in app.caption)


def test_before_after_and_no_small_counts(make_app, database):  # noqa: F811
    app = make_app(database, PAGE, tables=True)
    before_after = _frame(app, "activiteiten_voor_na_table")
    assert before_after["School"].str.contains("start 20").any() and before_after["School"].str.contains("geen activiteit").any()
    frames = [frame for _ in every_section(app, "activiteiten_sectie") for frame in app.dataframe]
    assert len(frames) == 6  # every table of every section
    for frame in frames:
        counts = {"Deelnemers", "Meisjes", "Ingeschreven leerlingen", "Leerlingen", "Technisch", "Niet-deelnemers",
                  "Leerlingen in leerjaar 3", "Eerder meegedaan", "Bereikte leerlingen"}
        for column in counts & set(frame.value.columns):
            assert not set(frame.value[column].astype(str)) & {"1", "2", "3", "4"}, column


def test_gender_filter_does_not_break_reach(make_app, database):  # noqa: F811
    app = make_app(database, PAGE, tables=True)
    app.selectbox(key="geslacht").set_value("V").run()
    _no_errors(app)
    assert _frame(app, "activiteiten_bereik_table")["Deelnemers"].str.len().gt(0).all()
    assert any("gelden niet voor het bereik" in c.value for c in app.caption)


def test_adding_a_company_visit_in_the_editor(make_app, writable_database):  # noqa: F811
    app = make_app(writable_database, PAGE)
    app.session_state["activiteiten_bewerken"] = True  # the editor is drawn once its expander is opened
    app.run()
    visit = {"activiteit_id": "BB1", "naam": "Bedrijfsbezoek", "soort": "bedrijfsbezoek", "schooljaar": "2025-2026", "datum": "",
             "school": "31XA00", "leerjaar": "2", "deelnemers": "31", "meisjes": "12"}
    app.session_state["activiteiten_editor"] = {"edited_rows": {}, "added_rows": [visit], "deleted_rows": []}
    app.button(key="activiteiten_save").click().run()
    _no_errors(app)
    assert any("Opgeslagen" in s.value for s in app.success)
    assert "Bedrijfsbezoek" in app.segmented_control(key="activiteiten_soort").options  # the new kind is on the page
    con = open_database(writable_database)
    try:
        assert con.execute("SELECT participants, girls FROM activity WHERE activity_id = 'BB1'").fetchall() == [(31, 12)]
    finally:
        con.close()


def test_a_bad_edit_is_refused_in_dutch(make_app, writable_database):  # noqa: F811
    app = make_app(writable_database, PAGE)
    app.session_state["activiteiten_bewerken"] = True  # the editor is drawn once its expander is opened
    app.run()
    app.session_state["activiteiten_editor"] = {"edited_rows": {0: {"deelnemers": "veel"}}, "added_rows": [], "deleted_rows": []}
    app.button(key="activiteiten_save").click().run()
    assert any("Niet opgeslagen" in e.value and "geen aantal" in e.value for e in app.error)
