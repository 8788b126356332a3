# ruff: noqa: F811  (pytest fixtures are imported from tests.dashboard_fixtures and used as arguments)
"""Issue 15, defect 4: a school name from an uploaded file is never drawn as Markdown or HTML.

A school with Markdown links and images, HTML and a bare URL in its name is loaded, then every
page is opened with that school chosen; every Markdown-rendered text (headings, captions,
notices, labels and help texts) and every Plotly chart must show the name as literal text.
"""

from __future__ import annotations

import json
import re

import pytest

from sto_metrics.demo import prebuilt
from sto_metrics.loading import loader
from sto_metrics.loading.reference import open_database
from sto_metrics.metrics import ambitions
from tests.dashboard_fixtures import make_app, region_database, writable_database  # noqa: F401 (fixtures)
from tests.loader_support import VO_HEADER, csv_text

SCHOOL = "99ZZ00"
HOSTILE = ('Evil [klik hier](https://evil.example/phish) ![pixel](https://evil.example/p.png) '
           '<img src="https://evil.example/i.png"> <a href="https://evil.example/a">link</a> https://evil.example/kaal **vet** $x$')
PAGES = ["pages/overzicht.py", "pages/instroom.py", "pages/doorstroom.py", "pages/mijn_school.py", "pages/ambities.py",
         "pages/subsidieaanvraag.py", "pages/data.py"]
# Markdown that would become a link, an image, HTML or an autolinked URL (after dropping backslash-escaped characters).
UNSAFE_MARKDOWN = re.compile(r"\]\(|!\[|<|https?://")
ESCAPED = re.compile(r"\\.")
UNSAFE_PLOTLY = re.compile(r"<a |<img|<a>")
NOT_DRAWN = (".legendgroup", ".uid")  # Plotly identifiers, never shown


def hostile_export() -> bytes:
    """A vmbo school with enough pupils in leerjaar 3 and 4 over three years for figures of its own."""
    rows = []
    profiles = ["BWI", "PIE", "Z&W", "E&O", "MVI", "D&P"]
    for year in (2021, 2022, 2023):
        for i in range(36):
            leerjaar = "3" if i < 18 else "4"
            rows.append([f"9{year}{i:03d}", f"{year}-{year + 1}", SCHOOL, HOSTILE, "VMBO-KB", leerjaar, profiles[i % 6],
                         "V" if i % 2 else "M", "ja" if leerjaar == "4" else ""])
    return csv_text(VO_HEADER, rows).encode("utf-8")


@pytest.fixture
def hostile_database(writable_database, tmp_path, monkeypatch):
    con = open_database(writable_database)
    try:
        assert loader.load_bytes(con, "export.csv", hostile_export(), secret=prebuilt.DEMO_SECRET).loaded
        stored = con.execute("SELECT name FROM school WHERE school_id = ?", [SCHOOL]).fetchall()
        assert stored == [(HOSTILE,)]
    finally:
        con.close()
    targets = tmp_path / "ambities.csv"
    targets.write_text("metric,scope,split,baseline_year,baseline_value,target_year,target_value,note\n"
                       f"inflow_vmbo,{SCHOOL},,2021-2022,,2025-2026,60,\"Zie [hier](https://evil.example/n) <b>x</b>\"\n",
                       encoding="utf-8")
    monkeypatch.setenv(ambitions.TARGETS_ENV, str(targets))
    return writable_database


def elements(node):
    """Every element below a block of the AppTest tree."""
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for child in children.values():
        yield from elements(child)


def strings(value, where: str = "") -> list[tuple[str, str]]:
    """Every string in a Plotly figure spec with where it is (such as data.0.name)."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in strings(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in strings(item, f"{where}.{i}")]
    return []


def unsafe_drawings(app) -> list[str]:
    found = []
    for element in elements(app._tree):
        proto = getattr(element, "proto", None)
        if proto is None:
            continue
        if element.type == "plotly_chart":
            found += [f"plotly {where}: {text[:120]!r}" for where, text in strings(json.loads(proto.spec))
                      if "evil" in text.lower() and UNSAFE_PLOTLY.search(text) and not where.endswith(NOT_DRAWN)]
            continue
        for field in ("body", "label", "help", "caption"):
            text = getattr(proto, field, None)
            if isinstance(text, str) and "evil" in text.lower() and UNSAFE_MARKDOWN.search(ESCAPED.sub("", text)):
                found.append(f"{element.type}.{field}: {text[:160]!r}")
    return found


@pytest.mark.parametrize("page", PAGES)
def test_hostile_school_name_is_drawn_as_literal_text_on_every_page(make_app, hostile_database, page):
    query = {"scholen": SCHOOL, "school": SCHOOL, "subsidie_scope": SCHOOL, "ambities_scope": SCHOOL}
    app = make_app(hostile_database, page, query=query)
    assert not app.exception, [e.value for e in app.exception]
    if page == "pages/mijn_school.py":
        app.selectbox(key="school").set_value(SCHOOL).run()
    if page == "pages/subsidieaanvraag.py":
        app.selectbox(key="subsidie_scope").set_value(SCHOOL).run()
    assert not app.exception, [e.value for e in app.exception]
    shown = [e for e in elements(app._tree) if "evil" in str(getattr(e, "proto", "")).lower()]
    assert shown, "the hostile name should appear on the page (as text)"
    assert unsafe_drawings(app) == []


def test_report_html_shows_a_hostile_school_name_as_text(hostile_database):
    from sto_metrics import db
    from sto_metrics.report import pack

    con = db.connect(hostile_database, read_only=True)
    try:
        content = pack.report_content(con, SCHOOL, 2021, 2023)
    finally:
        con.close()
    page = pack.render(content, "html").decode("utf-8")
    assert "evil.example" in page
    assert "<img src=\"https://evil" not in page and "<a href=\"https://evil" not in page
    assert "&lt;img" in page


# ---------------------------------------------------------------- defect 2 through the Data page


def test_demo_reset_button_gives_back_the_demo_and_every_page_keeps_working(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import app_support as app
    from sto_metrics.demo import generate
    from tests.dashboard_fixtures import DASHBOARD, navigation_pages_only

    exports = tmp_path / "demo"
    generate.write_demo(exports, seed=11, pupils_per_year=100)
    target = tmp_path / "demo.duckdb"
    prebuilt.build(target, exports)
    monkeypatch.delenv(app.DB_ENV, raising=False)
    monkeypatch.setattr(prebuilt, "DEMO_DIR", exports)
    monkeypatch.setattr(prebuilt, "default_path", lambda: target)
    app._demo_database.clear()
    app.close_connection()
    try:
        with navigation_pages_only():
            page = AppTest.from_file(str(DASHBOARD), default_timeout=120)
            page.run()
            page.switch_page("pages/data.py").run()
            demo_loads = len(page.selectbox(key="data_remove_id").options)
            with app.writing() as cur:  # a user's own load (another session)
                assert loader.load_bytes(cur, "eigen.csv", hostile_export()).loaded
            page.run()
            assert len(page.selectbox(key="data_remove_id").options) == demo_loads + 1
            page.button(key="data_reset_demo").click().run()
            assert not page.exception, [e.value for e in page.exception]
            assert len(page.selectbox(key="data_remove_id").options) == demo_loads
            other = AppTest.from_file(str(DASHBOARD), default_timeout=120)
            other.run()
            assert not other.exception and not other.error, [e.value for e in other.exception]
    finally:
        app.close_connection()
        app._demo_database.clear()
