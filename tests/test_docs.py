# ruff: noqa: F811  (pytest fixtures are imported from tests.dashboard_fixtures and used as arguments)
"""Docs that cannot drift: generated metric docs, and every declared figure shown by name on the pages that declare it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st

from sto_metrics import docs, published
from sto_metrics.metrics import ambitions, registry
from sto_metrics.privacy import suppression
from tests.dashboard_fixtures import every_section, make_app, region_database  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
# Each page, and the level control that changes what it shows (key, values).
# page: (its level control, the levels, its sections' key per level or None)
PAGE_VISITS = {
    "overzicht": None,
    "instroom": ("instroom_niveau", ["vmbo", "havo-vwo"], "instroom_sectie_{level}"),
    "doorstroom": ("doorstroom_niveau", ["vmbo", "havo-vwo"], "doorstroom_sectie_{level}"),
    "mijn_school": (None, [None], "mijn_school_sectie"),
    "activiteiten": (None, [None], "activiteiten_sectie"),
}


def test_readme_metrics_section_is_the_generated_one():
    start, end = README.index(docs.START), README.index(docs.END) + len(docs.END)
    assert README[start:end] == docs.metrics_markdown(), "run: python -m sto_metrics.docs"


def test_docs_metrics_page_is_the_generated_one():
    assert docs.METRICS_DOC.read_text(encoding="utf-8") == docs.metrics_document(), "run: python -m sto_metrics.docs"


def test_every_declared_figure_has_a_documented_section():
    page = docs.METRICS_DOC.read_text(encoding="utf-8")
    sections = re.findall(r"^## (.+)$", page, re.MULTILINE)
    assert sections == [metric.label_nl for metric in registry.METRICS.values()]
    for metric in registry.METRICS.values():
        assert f"`{metric.name}`" in README and metric.label_nl in README


@pytest.fixture
def published_names(monkeypatch) -> list[str]:
    """Every figure the dashboard asks the engine to publish, by registry name (caches cleared so each ask is seen)."""
    seen: list[str] = []
    table, flow = published.table, published.flow

    def spy_table(con, metric, **options):
        seen.append(metric)
        return table(con, metric, **options)

    def spy_flow(con, start_year, **options):
        seen.append("cohort_flow")
        return flow(con, start_year, **options)

    monkeypatch.setattr(published, "table", spy_table)
    monkeypatch.setattr(published, "flow", spy_flow)
    _clear_caches()
    return seen


def _clear_caches() -> None:
    # The dashboard shares its tables and page sections with st.cache_resource, the rest with st.cache_data.
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("page", list(PAGE_VISITS))
def test_each_page_shows_exactly_the_figures_declared_for_it(make_app, region_database, published_names, page):
    app = make_app(region_database[0])  # the router's default page first
    published_names.clear()
    _clear_caches()
    app.switch_page(f"pages/{page}.py").run()
    assert not app.exception
    shown = set(published_names)
    if PAGE_VISITS[page]:
        key, levels, sections = PAGE_VISITS[page]
        for level in levels:
            if key:
                app.segmented_control(key=key).set_value(level).run()
            assert not app.exception
            for _ in every_section(app, sections.format(level=level)) if sections else ():  # each drawn only when open
                assert not app.exception
        shown |= set(published_names)
    declared = {metric.name for metric in registry.on_page(page)}
    assert shown == declared, f"{page}: shown but not declared {shown - declared}; declared but not shown {declared - shown}"


def test_every_declared_figure_is_on_some_page_and_every_page_exists():
    for metric in registry.METRICS.values():
        assert metric.pages, f"{metric.name} is declared but on no page"
        for page in metric.pages:
            assert (REPO / "pages" / f"{page}.py").is_file(), f"{metric.name}: no page {page}"
    assert set(PAGE_VISITS) == {page for metric in registry.METRICS.values() for page in metric.pages}


def test_pages_publish_only_through_the_gateway():
    """Pages and the app layer never compute or suppress a figure themselves: everything shown passes published.*."""
    for path in [REPO / "app_support.py", *(REPO / "pages").glob("*.py")]:
        source = path.read_text(encoding="utf-8")
        assert "calculations" not in source and "suppression.suppress" not in source, path.name


def test_suppression_rule_and_status_rule_are_in_the_readme():
    rule = suppression.__doc__.split("-" * 20)[-1].strip().split("\n")[0]
    assert rule.strip("-").strip() in README
    assert ambitions.STATUS_RULE_NL in README


def test_readme_starts_with_the_two_fresh_machine_commands():
    first = [line.strip() for line in README.splitlines()[1:5] if line.strip()]
    assert first[:2] == ["pip install -r requirements.txt && streamlit run dashboard.py",
                         "pip install -r requirements-dev.txt && python -m pytest"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -r requirements-dev.txt && python -m pytest" in ci
