# ruff: noqa: F811  (pytest fixtures are imported from tests.dashboard_fixtures and used as arguments)
"""Page tests with Streamlit's AppTest: every page renders on a generated region, and the
numbers it shows (st.metric values, table cells) equal the engine's display-safe figures,
also after a filter change, a definition-setting change and a shared link (query params).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from sto_metrics.loading.reference import open_database
from sto_metrics.metrics import calculations, registry
from sto_metrics.presentation import display_tables
from sto_metrics.presentation import formatting as fmt
from sto_metrics.privacy import suppression
from sto_metrics.settings import MetricSettings, PopulationFilter
from tests.dashboard_fixtures import (  # noqa: F401 (fixtures)
    PAGES,
    every_section,
    make_app,
    open_settings,
    region_database,
    shown_tables,
    writable_database,
)

TITLES = {"pages/overzicht.py": "Overzicht", "pages/instroom.py": "Instroom techniek", "pages/doorstroom.py": "Doorstroom techniek",
          "pages/mijn_school.py": "Mijn school", "pages/data.py": "Data"}
CARD_LABELS = {
    ("inflow", "vmbo"): "Instroom techniek vmbo (leerjaar 3)",
    ("inflow", "havo-vwo"): "Instroom techniek havo/vwo (leerjaar 4)",
    ("progression", "vmbo"): "Doorstroom vmbo naar mbo techniek",
    ("progression", "havo-vwo"): "Doorstroom havo/vwo naar ho techniek",
}


@pytest.fixture(scope="module")
def database(region_database) -> Path:
    return region_database[0]


@cache
def engine(database: Path, kind: str, level: str = "vmbo", by: str = "regio", split: str | None = None,
           settings: MetricSettings = MetricSettings(), population: PopulationFilter = PopulationFilter()) -> pd.DataFrame:  # noqa: B008
    """The engine's display-safe table, computed independently of the dashboard."""
    con = open_database(database)
    try:
        if kind == "inflow":
            exact = calculations.inflow(con, level=level, by=by, split=split, settings=settings, population=population)
        else:
            exact = getattr(calculations, kind)(con, level=level, by=by, settings=settings, population=population)
    finally:
        con.close()
    return suppression.suppress(exact)


def latest_region_share(table: pd.DataFrame, year: int | None = None) -> tuple[str, str]:
    """(value, delta) as an Overzicht card shows them for the region's latest (or given) year."""
    if "from_group" in table:
        table = table[table["from_group"] == "totaal"]
    summary = display_tables.headline(table, years=None if year is None else (0, year), baseline_year=2020,
                                 numerator="technical", denominator="pupils" if "pupils" in table else "enrolled")
    return fmt.percent(summary.share), fmt.points(summary.change_previous)


def card(app, label: str):
    found = [m for m in app.metric if m.label == label]
    assert len(found) == 1, f"geen kaart '{label}'"
    return found[0]


def assert_no_errors(app) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


# ------------------------------------------------------------------------------------------ every page


@pytest.mark.parametrize("page", list(PAGES.values()))
def test_page_renders_without_error(make_app, database, page):
    app = make_app(database, page)
    assert_no_errors(app)
    assert app.title[0].value == TITLES[page]


def test_empty_database_asks_for_data_on_every_page(make_app, tmp_path):
    empty = tmp_path / "leeg.duckdb"
    for page in PAGES.values():
        app = make_app(empty, page)
        assert_no_errors(app)
        if page != "pages/data.py":
            assert any("nog geen leerlinggegevens" in info.value for info in app.info)


# ------------------------------------------------------------------------------------------ Overzicht


def test_overview_cards_equal_the_engine(make_app, database):
    app = make_app(database)
    assert_no_errors(app)
    for (kind, level), label in CARD_LABELS.items():
        value, delta = latest_region_share(engine(database, kind, level))
        metric = card(app, label)
        assert metric.value == value
        assert (metric.delta or "") == delta


def test_overview_table_equals_the_cards(make_app, database):
    app = make_app(database)
    table = app.table[0].value
    for (kind, level), label in CARD_LABELS.items():
        row = table[table["Cijfer"] == label].iloc[0]
        assert row["Aandeel"] == card(app, label).value
        assert row["Aandeel"] == latest_region_share(engine(database, kind, level))[0]


def test_filter_change_recomputes_the_cards(make_app, database):
    app = make_app(database)
    app.selectbox(key="leerweg").set_value("BB").run()
    assert_no_errors(app)
    expected, _ = latest_region_share(engine(database, "inflow", "vmbo", population=PopulationFilter(leerwegen=("BB",))))
    assert card(app, CARD_LABELS[("inflow", "vmbo")]).value == expected
    assert expected != latest_region_share(engine(database, "inflow", "vmbo"))[0]


def test_year_range_moves_the_latest_year(make_app, database):
    app = make_app(database)
    slider = app.select_slider(key="jaren")
    first, last = slider.value
    last_but_two = last - 2
    slider.set_range(first, last_but_two).run()
    assert_no_errors(app)
    expected, _ = latest_region_share(engine(database, "inflow", "vmbo"), year=last_but_two)
    assert card(app, CARD_LABELS[("inflow", "vmbo")]).value == expected


def test_definition_setting_changes_figure_and_definition(make_app, database):
    app = make_app(database)
    label = CARD_LABELS[("inflow", "vmbo")]
    assert "D&P telt niet mee" in card(app, label).help
    open_settings(app).toggle(key="dp").set_value(True).run()
    assert_no_errors(app)
    with_dp = engine(database, "inflow", "vmbo", settings=MetricSettings(dp_technical=True))
    assert card(app, label).value == latest_region_share(with_dp)[0]
    assert card(app, label).value != latest_region_share(engine(database, "inflow", "vmbo"))[0]
    assert "D&P telt mee" in card(app, label).help


def test_havo_vwo_setting_every_n_profile(make_app, database):
    app = make_app(database)
    open_settings(app).radio(key="havovwo").set_value("n").run()
    assert_no_errors(app)
    every_n = engine(database, "inflow", "havo-vwo", settings=MetricSettings(havo_vwo_technical="n"))
    assert card(app, CARD_LABELS[("inflow", "havo-vwo")]).value == latest_region_share(every_n)[0]


def test_settings_are_drawn_only_when_open_and_stay_open_while_changed(make_app, database):
    """The sidebar's definition and view settings are drawn only when their expander is open (fewer widgets on every
    page); a changed setting keeps it open, and back at the defaults it closes with the same figures as before."""
    app = make_app(database)
    assert not app.toggle and not app.radio  # closed: none of its widgets drawn
    default = card(app, CARD_LABELS[("inflow", "vmbo")]).value
    open_settings(app).toggle(key="dp").set_value(True).run()
    app.session_state["definities"] = False  # a click to close it while D&P counts
    app.run()
    assert_no_errors(app)
    assert app.toggle(key="dp").value is True  # still open, still in force
    with_dp = latest_region_share(engine(database, "inflow", "vmbo", settings=MetricSettings(dp_technical=True)))[0]
    assert card(app, CARD_LABELS[("inflow", "vmbo")]).value == with_dp != default
    app.toggle(key="dp").set_value(False).run()
    app.session_state["definities"] = False
    app.run()
    assert_no_errors(app)
    assert not app.toggle and card(app, CARD_LABELS[("inflow", "vmbo")]).value == default


def test_shared_link_sets_the_filters(make_app, database):
    # Bound widgets put their shown option text in the URL.
    app = make_app(database, query={"leerweg": "KB", "noemer": "alle gediplomeerden"})
    assert_no_errors(app)
    assert app.radio(key="noemer").value == "all_graduates"  # the link's setting opens 'Definities en weergave'
    population = PopulationFilter(leerwegen=("KB",))
    inflow = engine(database, "inflow", "vmbo", population=population)
    progression = engine(database, "progression", "vmbo", settings=MetricSettings(progression_denominator="all_graduates"),
                         population=population)
    assert card(app, CARD_LABELS[("inflow", "vmbo")]).value == latest_region_share(inflow)[0]
    assert card(app, CARD_LABELS[("progression", "vmbo")]).value == latest_region_share(progression)[0]


# ------------------------------------------------------------------------------------------ Instroom, Doorstroom


def test_inflow_tables_equal_the_engine(make_app, database):
    """Instroom's sections (lazy tabs, one drawn at a time): the region, per school (every school and the latest year
    compared), the breakdowns and profielbehoud; each table is the engine's."""
    app = make_app(database, "pages/instroom.py", tables=True)
    assert_no_errors(app)
    region = engine(database, "inflow", "vmbo")
    schools = engine(database, "inflow", "vmbo", by="school")
    assert len(app.dataframe) == 1  # only the open section
    pd.testing.assert_frame_equal(app.dataframe[0].value, display_tables.inflow_display(region))
    app.session_state["instroom_sectie_vmbo"] = "Per school"
    app.run()
    assert_no_errors(app)
    assert len(app.dataframe) == 2
    pd.testing.assert_frame_equal(app.dataframe[0].value, display_tables.inflow_display(pd.concat([region, schools], ignore_index=True)))
    app.session_state["instroom_sectie_vmbo"] = "Naar geslacht en leerweg"
    app.run()
    gender = engine(database, "inflow", "vmbo", split="geslacht")
    pd.testing.assert_frame_equal(app.dataframe[0].value, display_tables.inflow_display(gender, split_column="Geslacht"))
    # One breakdown at a time: choosing leerweg redraws that panel with the engine's leerweg table in the same place.
    app.segmented_control(key="instroom_uitsplitsing_vmbo").set_value("leerweg").run()
    assert_no_errors(app)
    leerweg = engine(database, "inflow", "vmbo", split="leerweg")
    leerweg_breakdown = next(b for b in registry.of("inflow", "vmbo").breakdowns if b.request == "leerweg")
    pd.testing.assert_frame_equal(app.dataframe[0].value, display_tables.inflow_display(leerweg, split_column="Leerweg",
                                                                                      breakdown=leerweg_breakdown))
    assert len(app.dataframe) == 1 and "Geslacht" not in app.dataframe[0].value.columns


def test_a_choice_is_kept_while_another_section_is_open(make_app, database):
    """A section's controls keep their value while the user looks at another section (their widgets are not drawn)."""
    app = make_app(database, "pages/instroom.py")
    app.session_state["instroom_sectie_vmbo"] = "Naar geslacht en leerweg"
    app.run()
    app.segmented_control(key="instroom_uitsplitsing_vmbo").set_value("leerweg").run()
    app.session_state["instroom_sectie_vmbo"] = "Regio"
    app.run()
    assert not app.get("segmented_control") or all(c.key != "instroom_uitsplitsing_vmbo" for c in app.segmented_control)
    app.session_state["instroom_sectie_vmbo"] = "Naar geslacht en leerweg"
    app.run()
    assert_no_errors(app)
    assert app.segmented_control(key="instroom_uitsplitsing_vmbo").value == "leerweg"


def test_inflow_havo_vwo_after_switching_level(make_app, database):
    app = make_app(database, "pages/instroom.py", tables=True)
    app.segmented_control(key="instroom_niveau").set_value("havo-vwo").run()
    assert_no_errors(app)
    pd.testing.assert_frame_equal(app.dataframe[0].value, display_tables.inflow_display(engine(database, "inflow", "havo-vwo")))
    shown = {title: [frame.value for frame in app.dataframe] for title in every_section(app, "instroom_sectie_havo-vwo")}
    assert list(shown) == ["Regio", "Per school", "Naar geslacht en onderwijssoort"]  # no profielbehoud: a vmbo figure
    assert [len(frames) for frames in shown.values()] == [1, 2, 1]
    assert "Geslacht" in shown["Naar geslacht en onderwijssoort"][0].columns  # geslacht first


def test_progression_and_destination_tables_equal_the_engine(make_app, database):
    app = make_app(database, "pages/doorstroom.py", tables=True)
    assert_no_errors(app)
    progression = engine(database, "progression", "vmbo")
    pd.testing.assert_frame_equal(app.dataframe[0].value, display_tables.progression_display(progression, level="vmbo"))
    destinations = engine(database, "destinations", "vmbo")
    destinations = display_tables.destination_shares(destinations[destinations["from_group"] == "totaal"], 10)
    app.session_state["doorstroom_sectie_vmbo"] = "Bestemming"  # a section of its own
    app.run()
    assert_no_errors(app)
    assert len(app.dataframe) == 1
    pd.testing.assert_frame_equal(app.dataframe[0].value, display_tables.destinations_display(destinations))


def test_denominator_setting_changes_progression(make_app, database):
    app = make_app(database, "pages/doorstroom.py", tables=True)
    open_settings(app).radio(key="noemer").set_value("all_graduates").run()
    assert_no_errors(app)
    progression = engine(database, "progression", "vmbo", settings=MetricSettings(progression_denominator="all_graduates"))
    pd.testing.assert_frame_equal(app.dataframe[0].value, display_tables.progression_display(progression, level="vmbo"))


# ------------------------------------------------------------------------------------------ Mijn school


def test_my_school_against_the_region(make_app, database):
    school_id = "31XB00"  # Techniekcollege Wormerveer, a vmbo school in the demo region
    app = make_app(database, "pages/mijn_school.py", query={"school": f"Techniekcollege Wormerveer ({school_id})"}, tables=True)
    assert_no_errors(app)
    inflow = engine(database, "inflow", "vmbo", by="school")
    own = display_tables.headline(inflow, scope=school_id, years=None, baseline_year=2020, numerator="technical", denominator="pupils")
    region = display_tables.headline(engine(database, "inflow", "vmbo"), years=None, baseline_year=2020, numerator="technical",
                                denominator="pupils")
    metric = card(app, CARD_LABELS[("inflow", "vmbo")])
    assert metric.value == fmt.percent(own.share)
    assert (metric.delta or "") == fmt.points(own.share - region.share)
    expected = pd.concat([engine(database, "inflow", "vmbo"), inflow[inflow["scope"] == school_id]], ignore_index=True)
    pd.testing.assert_frame_equal(app.dataframe[0].value, display_tables.inflow_display(expected))


# ------------------------------------------------------------------------------------------ Data


def _vo_export(school: str = "31XZ", year: str = "2025-2026", pupils: int = 24) -> bytes:
    lines = ["leerlingnummer;schooljaar;brin;vestigingsnummer;schoolnaam;onderwijstype;leerjaar;profiel;geslacht"]
    for i in range(pupils):
        profile = "PIE" if i % 3 == 0 else "Z&W"
        lines.append(f"{900000 + i};{year};{school};00;Testschool **vet** <b>x</b>;VMBO-KB;3;{profile};{'M' if i % 2 else 'V'}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_upload_then_remove_a_load(make_app, writable_database):
    app = make_app(writable_database, "pages/data.py")
    assert_no_errors(app)
    loads_before = len(app.dataframe[0].value)
    app.file_uploader[0].upload("nieuwe_school.csv", _vo_export(), "text/csv").run()
    app.button(key="data_load").click().run()
    assert_no_errors(app)
    assert any(message.value == "1 van de 1 bestanden geladen." for message in app.success)
    results = app.dataframe[0].value
    assert results.iloc[0]["Bestand"] == "nieuwe_school.csv" and results.iloc[0]["Status"] == "geladen"
    assert results.iloc[0]["Regels geladen"] == "24"
    loads = next(frame.value for frame in app.dataframe if "Lading" in frame.value.columns and "Geladen op" in frame.value.columns)
    assert len(loads) == loads_before + 1 and loads.iloc[0]["Bestand"] == "nieuwe_school.csv"
    # The school name from the file is text, never Markdown/HTML: it only appears in table cells.
    assert not any("<b>" in block.value for block in app.markdown)

    new_load = loads.iloc[0]["Lading"]
    app.selectbox(key="data_remove_id").set_value(int(new_load)).run()
    app.checkbox(key="data_remove_sure").check().run()
    app.button(key="data_remove").click().run()
    assert_no_errors(app)
    assert any(message.value == f"Lading {new_load} is verwijderd." for message in app.success)
    loads = next(frame.value for frame in app.dataframe if "Geladen op" in frame.value.columns)
    assert len(loads) == loads_before and "nieuwe_school.csv" not in set(loads["Bestand"])


def test_refused_upload_gives_a_dutch_message(make_app, writable_database):
    app = make_app(writable_database, "pages/data.py")
    app.file_uploader[0].upload("rommel.csv", b"dit;is;geen;export\n1;2;3;4\n", "text/csv").run()
    app.button(key="data_load").click().run()
    assert_no_errors(app)
    assert any(message.value == "0 van de 1 bestanden geladen." for message in app.warning)
    assert app.dataframe[0].value.iloc[0]["Status"] == "geweigerd"
    assert any(text.value.startswith("rommel.csv") for text in app.text)


# ------------------------------------------------------------------------------------------ privacy and speed


COUNT_HEADERS = {"Leerlingen (noemer)", "Technisch profiel", "Profiel onbekend", "Gediplomeerden (noemer)", "Gediplomeerden",
                 "Teller", "Noemer", "Leerlingen", *fmt.DESTINATION_LABELS.values()}


@pytest.mark.parametrize("page", ["pages/overzicht.py", "pages/instroom.py", "pages/doorstroom.py", "pages/mijn_school.py"])
def test_no_count_from_1_to_4_is_shown(make_app, database, page):
    app = make_app(database, page, tables=True)
    frames = list(app.dataframe)
    sections = {"pages/instroom.py": ("instroom_sectie_vmbo", 6), "pages/mijn_school.py": ("mijn_school_sectie", 4),
                "pages/doorstroom.py": ("doorstroom_sectie_vmbo", 3)}
    if page in sections:  # every section of the page, each drawn on its own
        key, tables = sections[page]
        frames = [frame for _ in every_section(app, key) for frame in app.dataframe]
        assert len(frames) == tables
    for frame in frames:
        table = frame.value
        for column in COUNT_HEADERS & set(table.columns):
            assert not set(table[column].astype(str)) & {"1", "2", "3", "4"}, f"{page}: {column}"
        for column in table.columns:
            if "Naar " in column and "techniek" in column:
                assert not set(table[column].astype(str)) & {"1", "2", "3", "4"}


def test_csv_download_is_the_shown_table_and_formula_safe():
    import io

    import app_support

    shown = pd.DataFrame({"Regio of school": ["=HYPERLINK(\"x\")", "Vmbo 't Zaanhuis"], "Aandeel": ["27,3%", "–"],
                          "Verschil": ["-1,2 procentpunt", "+0,4 procentpunt"]})
    data = app_support.csv_bytes(shown)
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 with a BOM
    back = pd.read_csv(io.BytesIO(data), sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == list(shown.columns)
    assert back["Aandeel"].tolist() == ["27,3%", "–"]
    assert back["Regio of school"].tolist() == ["'=HYPERLINK(\"x\")", "Vmbo 't Zaanhuis"]
    assert back["Verschil"].tolist() == ["'-1,2 procentpunt", "'+0,4 procentpunt"]


def test_markdown_escape_makes_user_text_literal():
    import app_support

    assert app_support.md_escape("**vet** [link](http://x) <b>:red[x]</b> $x$") == (
        "\\*\\*vet\\*\\* \\[link\\]\\(http\\://x\\) \\<b\\>\\:red\\[x\\]\\</b\\> \\$x\\$")


def test_pages_render_again_from_the_cache(make_app, database):
    """A second run of every page (warm caches) shows the same tables; how fast is measured in bench/, not here."""
    app = make_app(database, tables=True)
    for page in PAGES.values():
        app.switch_page(page).run()
        first = shown_tables(app)
        app.run()
        assert_no_errors(app)
        assert all(a.equals(b) for a, b in zip(first, shown_tables(app), strict=True)), page


def test_instroom_shows_retention_exactly_as_published(make_app, database):
    app = make_app(database, "pages/instroom.py", tables=True)
    assert_no_errors(app)
    metric = registry.get("retention_vmbo")
    region = engine(database, "retention")
    expected = display_tables.share_display(region, metric)
    assert metric.label_nl not in [header.value for header in app.header]  # a section of its own, closed
    app.session_state["instroom_sectie_vmbo"] = metric.label_nl
    app.run()
    assert_no_errors(app)
    assert any(frame.value.equals(expected) for frame in app.dataframe), "no table equals the published retention"
    assert metric.label_nl in [header.value for header in app.header]
    app.segmented_control(key="instroom_niveau").set_value("havo-vwo").run()
    assert metric.label_nl not in [header.value for header in app.header]  # a vmbo figure


def test_mijn_school_has_a_retention_card(make_app, database):
    schools = engine(database, "retention", by="school")
    school_id = schools.loc[schools["share"].notna(), "scope"].iloc[-1]
    app = make_app(database, "pages/mijn_school.py")
    app.selectbox(key="school").set_value(school_id).run()
    assert_no_errors(app)
    shown = card(app, registry.get("retention_vmbo").label_nl)
    latest = schools[schools["scope"] == school_id].iloc[-1]
    assert shown.value == fmt.percent(latest["share"])


def test_doorstroom_with_a_school_and_a_leerweg_gives_the_reason(make_app, database):
    """Per school, destinations, progression and the cohort flow exist for all pupils only: the page says why, draws nothing."""
    school_id = engine(database, "inflow", "vmbo", by="school")["scope"].iloc[0]
    app = make_app(database, "pages/doorstroom.py", query={"leerweg": "KB"}, tables=True)
    app.multiselect(key="scholen").set_value([school_id]).run()
    assert_no_errors(app)
    reasons = [info.value for _ in every_section(app, "doorstroom_sectie_vmbo") for info in app.info]  # each tab in turn
    assert len(reasons) == 3 and all("Per school zijn bestemming, doorstroom en cohortstroom" in r for r in reasons)
    assert len(app.dataframe) == 0
    app.selectbox(key="leerweg").set_value("").run()  # the school alone: every figure again
    assert_no_errors(app)
    drawn = [(len(app.info), len(app.dataframe)) for _ in every_section(app, "doorstroom_sectie_vmbo")]
    assert drawn == [(0, 1), (0, 1), (0, 1)]  # progression; destinations; the cohort flow


def test_built_figures_are_shared_but_follow_their_inputs(make_app, database):
    """Figures come from a cache shared by all sessions: Instroom's per-school figure equals one built now from the engine's
    tables, and after a setting change it is the other setting's figure, never the cached one of the first."""
    import json

    import plotly.io as pio

    from sto_metrics.presentation import charts

    def expected(settings: MetricSettings) -> dict:
        region = engine(database, "inflow", "vmbo", settings=settings)
        schools = engine(database, "inflow", "vmbo", by="school", settings=settings)
        reference = display_tables.share_chart_input(region, numerator="technical", denominator="pupils", region_name="Regio")
        figure = charts.small_multiples_figure(display_tables.share_chart_input(schools, numerator="technical", denominator="pupils"),
                                               reference=reference)
        return json.loads(pio.to_json(figure, validate=False))

    def per_school(app) -> dict:
        specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
        found = [spec for spec in specs if len([k for k in spec["layout"] if k.startswith("xaxis")]) > 1]
        assert len(found) == 1, "Instroom's section Per school draws one faceted figure"
        return found[0]

    app = make_app(database, "pages/instroom.py")
    app.session_state["instroom_sectie_vmbo"] = "Per school"
    app.run()
    assert_no_errors(app)
    assert per_school(app) == expected(MetricSettings())
    open_settings(app).toggle(key="dp").set_value(True).run()
    assert_no_errors(app)
    assert per_school(app) == expected(MetricSettings(dp_technical=True)) != expected(MetricSettings())


def test_a_panel_draws_only_its_open_tab(make_app, database):
    """A page opens with its first section's charts and no hidden tables; another section draws only its own; the
    sidebar's table view draws the tables instead; opening one panel's table tab draws that table (the engine's) beside
    the other panels' charts."""
    app = make_app(database, "pages/instroom.py")
    assert_no_errors(app)
    assert (len(app.get("plotly_chart")), len(app.dataframe)) == (1, 0)  # the region's trend
    drawn = {title: (len(app.get("plotly_chart")), len(app.dataframe)) for title in every_section(app, "instroom_sectie_vmbo")}
    assert list(drawn.values()) == [(1, 0), (2, 0), (1, 0), (2, 0)]  # trend; per school and compared; 1 breakdown; retention x2
    tables = make_app(database, "pages/instroom.py", tables=True)
    tables.session_state["instroom_sectie_vmbo"] = "Per school"
    tables.run()
    assert (len(tables.get("plotly_chart")), len(tables.dataframe)) == (0, 2)
    app.session_state["instroom_sectie_vmbo"] = "Per school"
    app.session_state["instroom_per_school_vmbo_grafiek"] = "Tabel"
    app.run()
    assert_no_errors(app)
    assert (len(app.get("plotly_chart")), len(app.dataframe)) == (1, 1)
    schools = engine(database, "inflow", "vmbo", by="school")
    pd.testing.assert_frame_equal(app.dataframe[0].value, display_tables.inflow_display(
        pd.concat([engine(database, "inflow", "vmbo"), schools], ignore_index=True)))


def test_short_tables_are_static_and_long_ones_a_grid():
    """`shown_table`: up to STATIC_TABLE_ROWS rows a static table with literal cells, beyond that a scrollable data grid
    with the text as it is."""
    from streamlit.testing.v1 import AppTest

    def script(rows: int) -> None:
        import pandas as pd

        import app_support

        app_support.shown_table(pd.DataFrame({"Toelichting": ["**vet** [x](https://example.org)"] * rows}), key="t")

    import app_support

    short = AppTest.from_function(script, args=(app_support.STATIC_TABLE_ROWS,)).run()
    long = AppTest.from_function(script, args=(app_support.STATIC_TABLE_ROWS + 1,)).run()
    assert (len(short.table), len(short.dataframe)) == (1, 0) and (len(long.table), len(long.dataframe)) == (0, 1)
    assert short.table[0].value["Toelichting"][0] == app_support.md_escape("**vet** [x](https://example.org)")
    assert long.dataframe[0].value["Toelichting"][0] == "**vet** [x](https://example.org)"
