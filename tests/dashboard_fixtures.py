"""Fixtures for the dashboard tests (AppTest and browser): a region database built from a
freshly generated demo region (fixed seed) in a temporary folder, and an AppTest factory.

Import the fixtures into a test module (`from tests.dashboard_fixtures import ...`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest

from sto_metrics import db, published
from sto_metrics.demo import generate, prebuilt

REPO = Path(__file__).resolve().parent.parent
DASHBOARD = REPO / "dashboard.py"
PAGES = {
    "Overzicht": "pages/overzicht.py",
    "Instroom": "pages/instroom.py",
    "Doorstroom": "pages/doorstroom.py",
    "Mijn school": "pages/mijn_school.py",
    "Data": "pages/data.py",
}
SEED = 2026
PUPILS_PER_YEAR = 600  # smaller than the bundled demo (2000) so that the suite stays quick


def build_region_database(folder: Path, *, seed: int = SEED, pupils_per_year: int = PUPILS_PER_YEAR) -> tuple[Path, Path]:
    """(database, exports folder): a demo region written to folder/exports and loaded into folder/regio.duckdb."""
    exports = folder / "exports"
    generate.write_demo(exports, seed=seed, pupils_per_year=pupils_per_year)
    database = folder / "regio.duckdb"
    prebuilt.build(database, exports)
    # An untouched copy: the dashboard writes to the database it opens (schema, reference tables).
    shutil.copyfile(database, folder / "regio-origineel.duckdb")
    _protect_once(database)
    return database, exports


def _protect_once(database: Path) -> None:
    """Each table family's protection computed once, as a server's first visitor does (the pattern is cached per data
    version): a page test's time limit is then spent on the page, not on minutes of first protection."""
    con = db.connect(database, read_only=True)
    try:
        for metric in ("inflow_vmbo", "inflow_havo_vwo", "progression_vmbo", "progression_havo_vwo", "retention_vmbo"):
            published.table(con, metric)
    finally:
        con.close()


@pytest.fixture(scope="session")
def region_database(tmp_path_factory) -> tuple[Path, Path]:
    """A session-wide (database, exports) pair; tests must not change this database (copy it first)."""
    return build_region_database(tmp_path_factory.mktemp("dashboard"))


@pytest.fixture
def writable_database(region_database, tmp_path) -> Path:
    """A private copy of the region database for tests that load or remove data."""
    copy = tmp_path / "regio-kopie.duckdb"
    shutil.copyfile(region_database[0].with_name("regio-origineel.duckdb"), copy)
    return copy


@contextmanager
def navigation_pages_only() -> Iterator[None]:
    """Run AppTest the way the server runs after the first st.navigation call.

    Streamlit treats an app with a pages/ folder as a legacy (v1) multipage app until
    st.navigation has run once in the process, and AppTest resets that flag before every
    run; then every run after a page switch executes the page without the router. The
    server only does this before its first script run, so tests pin the flag to False.
    """
    import streamlit.runtime.pages_manager as pages_manager

    original = pages_manager.PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        pages_manager.PagesManager.uses_pages_directory = False

    with mock.patch.object(pages_manager.PagesManager, "__init__", init):
        yield


def every_section(app, key: str) -> Iterator[str]:
    """Open each section of a page's lazy tabs (`app_support.open_section` under `key`) in turn, run the page and yield the
    section's title; the sections are the page's tabs other than a figure panel's Grafiek/Tabel (a page with one section
    shows no tabs: it is yielded as it is, under None)."""
    titles = [tab.label for tab in app.tabs if tab.label not in ("Grafiek", "Tabel")]
    if not titles:
        yield None
        return
    for title in titles:
        app.session_state[key] = title
        app.run()
        yield title


def shown_tables(app) -> list:
    """The page's tables as the user reads them: static tables (their cells escaped Markdown, `app_support.shown_table`)
    with the escapes undone, then the data grids."""
    import re

    unescape = re.compile(r"\\(.)")
    def literal(value):
        return unescape.sub(r"\1", value) if isinstance(value, str) else value

    static = [t.value.map(literal).rename(columns=literal) for t in app.table]
    return [*static, *(grid.value for grid in app.dataframe)]


def open_settings(app):
    """Open the sidebar's 'Definities en weergave' (its widgets are drawn only when open), as a user's click does; returns app."""
    import app_support

    app.session_state[app_support.DEFINITIONS_KEY] = True
    return app.run()


@pytest.fixture
def make_app(monkeypatch):
    """A factory: make_app(database, page=None, query=None, tables=False) -> AppTest that has run once on that page.

    tables=True turns on the sidebar's 'Tabellen in plaats van grafieken': figure panels then draw their table, not their chart.
    """
    from streamlit.testing.v1 import AppTest

    stack = []

    def factory(database: Path, page: str | None = None, query: dict | None = None, timeout: float = 120, tables: bool = False):
        monkeypatch.setenv("STO_DB", str(database))
        context = navigation_pages_only()
        context.__enter__()
        stack.append(context)
        app = AppTest.from_file(str(DASHBOARD), default_timeout=timeout)
        for key, value in (query or {}).items():
            app.query_params[key] = value
        app.run()
        if tables:
            open_settings(app).toggle(key="tabellen").set_value(True).run()
        if page:
            app.switch_page(page).run()
        return app

    yield factory
    while stack:
        stack.pop().__exit__(None, None, None)
