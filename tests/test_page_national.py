# ruff: noqa: F811  (pytest fixtures are imported from tests.dashboard_fixtures and used as arguments)
"""The national comparison on the pages (AppTest, the demo region with its synthetic country): the national line on
Instroom and Doorstroom, 'landelijk x%' on the Overzicht cards, the panel on Mijn school, the DUO check on Data."""

from __future__ import annotations

import json

import pytest

from sto_metrics import db
from sto_metrics.national import compare, presentation
from tests.dashboard_fixtures import make_app, region_database  # noqa: F401 (fixtures)


def chart_traces(app) -> list[dict]:
    """The traces of every plotly chart on the page."""
    return [trace for chart in app.get("plotly_chart") for trace in json.loads(chart.proto.spec)["data"]]


def captions(app) -> str:
    """Every caption as plain text (the pages escape Markdown)."""
    return " ".join(c.value for c in app.caption).replace("\\", "")


def named(traces: list[dict], name: str) -> dict:
    return next(trace for trace in traces if trace.get("name") == name)


@pytest.fixture(scope="module")
def national_vmbo(region_database):
    con = db.connect(region_database[0].with_name("regio-origineel.duckdb"), read_only=True)
    try:
        return compare.compare(con, "vmbo", areas=("landelijk",)), presentation.region_areas(con)
    finally:
        con.close()


def test_instroom_shows_the_national_line_with_duos_shares(make_app, region_database, national_vmbo):
    app = make_app(region_database[0], "pages/instroom.py")
    assert not app.exception
    table, _areas = national_vmbo
    line = named(chart_traces(app), "Landelijk (DUO)")
    expected = dict(zip(table["school_year"], table["share"], strict=True))
    assert len(line["x"]) >= 5
    for label, share in zip(line["x"], line["y"], strict=True):
        assert share == pytest.approx(expected[label])
    text = captions(app)
    assert "Bron landelijk: DUO, leerlingen vo per vestiging" in text and "niet gekoppelde leerlingen" in text


def test_instroom_adds_the_province_on_request(make_app, region_database, national_vmbo):
    app = make_app(region_database[0], "pages/instroom.py")
    _table, areas = national_vmbo
    assert areas == {"provincie": "Noord-Holland", "landsdeel": "West"}
    app.button_group(key="instroom_vmbo_vergelijk").set_value(["landelijk", "provincie"]).run()
    assert not app.exception
    names = {trace.get("name") for trace in chart_traces(app)}
    assert {"Landelijk (DUO)", "Provincie Noord-Holland (DUO)"} <= names


def test_overzicht_cards_carry_the_national_share(make_app, region_database, national_vmbo):
    app = make_app(region_database[0], "pages/overzicht.py")
    assert not app.exception
    table, _areas = national_vmbo
    latest = table.iloc[-1]
    text = presentation.share_text(table, latest.school_year)
    shown = [c.value.replace("\\", "") for c in app.caption]
    assert any(c.startswith("Landelijk ") and text.split(" ", 1)[1] in c and "(DUO)" in c for c in shown), shown


def test_mijn_school_compares_the_school_with_its_province_and_the_country(make_app, region_database):
    app = make_app(region_database[0], "pages/mijn_school.py", query={"school": "Vmbo 't Zaanhuis (31XA00)"})
    assert not app.exception and app.selectbox(key="school").value == "31XA00"
    con = db.connect(region_database[0].with_name("regio-origineel.duckdb"), read_only=True)
    try:
        expected = compare.school_context(con, "31XA00", "vmbo")
    finally:
        con.close()
    traces = chart_traces(app)
    for area, name in [("school", "School volgens DUO"), ("provincie", "Provincie Noord-Holland (DUO)"), ("landelijk", "Landelijk (DUO)")]:
        line = named(traces, name)
        shares = dict(zip(expected.loc[expected["area"] == area, "school_year"], expected.loc[expected["area"] == area, "share"], strict=True))
        assert line["y"] == pytest.approx([shares[x] for x in line["x"]]), area
    assert any("school, provincie en land" in str(h.value) for h in app.subheader)


def test_data_page_lists_the_school_whose_export_differs_from_duo(make_app, region_database):
    app = make_app(region_database[0], "pages/data.py")
    assert not app.exception
    check = next(frame.value for frame in app.dataframe if "Volgens DUO" in frame.value.columns)
    assert list(check["School"].str.extract(r"\((\w+)\)")[0]) == ["31XB00"]
    assert any("DUO tegenover de exports" in str(h.value) for h in app.subheader)


def test_doorstroom_shows_duos_mbo_entrants_at_the_diploma_year_before(make_app, region_database):
    con = db.connect(region_database[0].with_name("regio-origineel.duckdb"), read_only=True)
    try:
        entrants = compare.compare(con, "vmbo-mbo", areas=("landelijk",))
    finally:
        con.close()
    app = make_app(region_database[0], "pages/doorstroom.py")
    assert not app.exception
    line = named(chart_traces(app), "Landelijk (DUO)")
    # DUO counts entrants in the year they enter the mbo; the region's diploma year is the year before
    by_diploma_year = {f"{int(y[:4]) - 1}-{int(y[:4])}": share for y, share in zip(entrants["school_year"], entrants["share"], strict=True)}
    assert len(line["x"]) >= 5 and line["y"] == pytest.approx([by_diploma_year[x] for x in line["x"]])
    assert "diplomajaar vóór het jaar van instroom" in captions(app)
    app.segmented_control(key="doorstroom_niveau").set_value("havo-vwo").run()  # DUO has no havo/vwo -> ho file: no line
    assert not app.exception and not any(t.get("name") == "Landelijk (DUO)" for t in chart_traces(app))
