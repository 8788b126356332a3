# ruff: noqa: F811  (pytest fixtures are imported from tests.dashboard_fixtures and used as arguments)
"""The dashboard in a real browser: `streamlit run` on a test database, driven by Debian's
chromium through Playwright. Every page opens without an error and shows a figure the
engine computed; a demo export goes in through the Data page's file uploader; every page
is saved as a screenshot in test-artefacts/.

Without /usr/bin/chromium the tests are skipped locally and fail in CI (CI=true).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # playwright is a dev requirement; the fixture reports it
    expect = None

from bench import local_servers
from sto_metrics import db
from sto_metrics.metrics import calculations
from sto_metrics.presentation import formatting as fmt
from sto_metrics.privacy import suppression
from tests.dashboard_fixtures import REPO, region_database, writable_database  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

CHROMIUM = Path(local_servers.CHROMIUM)
ARTEFACTS = REPO / "test-artefacts"
PAGE_URLS = {"overzicht": "", "instroom": "instroom", "doorstroom": "doorstroom", "mijn-school": "mijn-school", "data": "data"}
APP_IDLE = local_servers.APP_IDLE
PAGE_TIMEOUT_MS = 240_000


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{CHROMIUM} ontbreekt in CI: installeer Debian's chromium (apt-get install chromium).")
    pytest.skip(f"{CHROMIUM} ontbreekt; de browsertests draaien alleen met Debian's chromium.")



@pytest.fixture
def server(region_database, writable_database, tmp_path):
    """A `streamlit run dashboard.py` on a private copy of the test database; yields (base_url, database, exports)."""
    _require_chromium()
    port = local_servers.free_port()
    env = {**os.environ, "STO_DB": str(writable_database), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    log = (tmp_path / "streamlit.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        local_servers.wait_until_up(f"{base_url}/_stcore/health", process, "streamlit")
        yield base_url, writable_database, region_database[1]
    finally:
        local_servers.stop(process)
        log.close()


@pytest.fixture
def browser_page():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=local_servers.CHROMIUM, args=local_servers.CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="nl-NL")
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        yield page
        context.close()
        browser.close()


def _expected(database: Path) -> dict[str, object]:
    """Figures computed by the engine (display-safe), to look for on the pages."""
    con = db.connect(database, read_only=True)
    try:
        inflow = suppression.suppress(calculations.inflow(con, level="vmbo"))
        progression = suppression.suppress(calculations.progression(con, level="vmbo"))
        newest = con.execute("SELECT load_id, file_name FROM load_log ORDER BY load_id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    progression = progression[progression["from_group"] == "totaal"]
    return {
        "inflow_latest": fmt.percent(inflow.iloc[-1]["share"]),
        "inflow_shares": [None if fmt.numeric(v) is None else round(float(v), 6) for v in inflow["share"]],
        "progression_shares": [None if fmt.numeric(v) is None else round(float(v), 6) for v in progression["share"]],
        "newest_load": newest,
    }


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(APP_IDLE)
    page.wait_for_load_state("networkidle")


def _assert_no_errors(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


def _trace_values(page, trace_name: str) -> list:
    """The y values of a plotly trace on the page, rounded like the expected ones."""
    values = page.evaluate(
        """(name) => {
            for (const plot of document.querySelectorAll('.js-plotly-plot')) {
                for (const trace of plot.data || []) {
                    if (trace.name === name) return Array.from(trace.y, v => (v === null || v === undefined) ? null : v);
                }
            }
            return null;
        }""",
        trace_name,
    )
    assert values is not None, f"geen grafieklijn '{trace_name}' op de pagina"
    return [None if v is None else round(float(v), 6) for v in values]


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main container, so grow the window to fit it first."""
    ARTEFACTS.mkdir(exist_ok=True)
    height = page.evaluate("() => { const main = document.querySelector('[data-testid=\"stMain\"]');"
                           " return main ? main.scrollHeight : document.body.scrollHeight; }")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height) + 40, 12000))})
    page.wait_for_timeout(500)  # let plotly redraw at the new size
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)


def test_every_page_in_the_browser(server, browser_page):
    base_url, database, exports = server
    expected = _expected(database)
    page = browser_page
    foreign: list[str] = []
    page.on("request", lambda request: foreign.append(request.url) if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)

    _open(page, f"{base_url}/")
    _assert_no_errors(page)
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    assert expected["inflow_latest"] in values
    _screenshot(page, "overzicht")

    _open(page, f"{base_url}/instroom")
    page.wait_for_selector(".js-plotly-plot")
    _assert_no_errors(page)
    assert _trace_values(page, "Regio") == expected["inflow_shares"]
    assert page.locator(".js-plotly-plot").count() == 1  # one section drawn: the region's trend
    _screenshot(page, "instroom")
    # Another section is drawn when its tab is opened, and the URL keeps it (a link opens the same section).
    page.get_by_role("tab", name="Per school").click()
    expect(page.locator(".js-plotly-plot")).to_have_count(2)
    page.wait_for_selector(APP_IDLE)
    _assert_no_errors(page)
    assert "instroom_sectie_vmbo=Per" in page.url
    _screenshot(page, "instroom-per-school")

    _open(page, f"{base_url}/doorstroom")
    page.wait_for_selector(".js-plotly-plot")
    _assert_no_errors(page)
    assert _trace_values(page, fmt.FROM_GROUP_LABELS["totaal"]) == expected["progression_shares"]
    _screenshot(page, "doorstroom")
    page.get_by_role("tab", name="Cohortstroom").click()  # the Sankey is a section of its own, drawn when opened
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].some(p => (p.data || []).some(t => t.type === 'sankey'))")
    page.wait_for_selector(APP_IDLE)
    _assert_no_errors(page)
    _screenshot(page, "doorstroom-cohortstroom")

    _open(page, f"{base_url}/mijn-school")
    _assert_no_errors(page)
    assert page.get_by_test_id("stMetricValue").count() >= 1
    _screenshot(page, "mijn-school")

    _open(page, f"{base_url}/data")
    _assert_no_errors(page)
    _screenshot(page, "data")

    # Remove the newest load through the page, then upload the same demo export again.
    load_id, file_name = expected["newest_load"]
    export = next(exports.rglob(file_name))
    page.get_by_text("Een lading verwijderen").click()
    page.get_by_text("Ja, verwijder deze lading").click()
    page.get_by_role("button", name="Verwijderen").click()
    page.get_by_text(f"Lading {load_id} is verwijderd.").wait_for()
    page.wait_for_selector(APP_IDLE)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(export))
    page.locator(f'[data-testid="stFileChipName"][title="{file_name}"]').wait_for()  # the chip shortens long names
    load_button = page.get_by_role("button", name="Laden", exact=True)
    expect(load_button).to_be_enabled()
    load_button.click()
    page.get_by_text("1 van de 1 bestanden geladen").wait_for()
    page.wait_for_selector(APP_IDLE)
    _assert_no_errors(page)
    _screenshot(page, "data-na-laden")

    assert not foreign, f"verzoeken buiten de eigen server: {foreign[:5]}"



def test_ambitions_and_grant_pages_in_the_browser(server, browser_page, tmp_path):
    """Ambities shows the engine's statuses; Subsidieaanvraag hands over a real .xlsx with the engine's figure."""
    from openpyxl import load_workbook

    from sto_metrics.metrics import ambitions

    base_url, database, _ = server
    con = db.connect(database, read_only=True)
    try:
        evaluated = ambitions.evaluate(con)
        inflow = suppression.suppress(calculations.inflow(con, level="vmbo"))
    finally:
        con.close()
    page = browser_page
    foreign: list[str] = []
    page.on("request", lambda request: foreign.append(request.url) if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)

    # A shared link as a fresh server's very first request: the page must open with the real menu,
    # not Streamlit's legacy pages/ menu (app_support._leave_legacy_pages_mode).
    _open(page, f"{base_url}/ambities")
    page.wait_for_selector(".js-plotly-plot")
    _assert_no_errors(page)
    menu = page.get_by_test_id("stSidebarNav").inner_text()
    assert "Cijfers" in menu and "Subsidieaanvraag" in menu and "dashboard" not in menu.lower()
    shown_counts = page.get_by_test_id("stMetricValue").all_inner_texts()
    expected_counts = [str(int((evaluated["status"] == status).sum())) for status in ambitions.STATUSES]
    assert shown_counts[:4] == expected_counts
    _screenshot(page, "ambities")

    _open(page, f"{base_url}/subsidieaanvraag")
    _assert_no_errors(page)
    page.get_by_text("Zinnen om over te nemen").wait_for()
    _screenshot(page, "subsidieaanvraag")
    with page.expect_download(timeout=PAGE_TIMEOUT_MS) as download_info:
        page.get_by_role("button", name="Excel (.xlsx)").click()
    target = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(target)
    assert target.suffix == ".xlsx"
    workbook = load_workbook(target, read_only=True)
    numbers = [cell for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row
               if isinstance(cell, float)]
    latest_shown = [float(v) for v in inflow["share"] if fmt.numeric(v) is not None][-1]
    assert any(abs(number - latest_shown) < 1e-9 for number in numbers), "the report lacks the engine's latest vmbo inflow"
    assert "Methode" in workbook.sheetnames
    assert not foreign, f"verzoeken buiten de eigen server: {foreign[:5]}"


def test_activities_page_in_the_browser(server, browser_page):
    """Activiteiten as a fresh server's first request: the heat map and the comparison hold the engine's published shares."""
    from sto_metrics import published
    from sto_metrics.metrics import activities

    base_url, database, _ = server
    con = db.connect(database, read_only=True)
    try:
        reach = published.table(con, "reach", by="school")
        effect = published.table(con, "activity_effect", by="school")
    finally:
        con.close()
    carrousel = reach[(reach["activity_type"] == "techcarrousel") & (reach["scope"] != "regio")]
    expected_cells = sorted(round(float(v), 6) for v in carrousel["reach_share"] if fmt.numeric(v) is not None)
    page = browser_page
    foreign: list[str] = []
    page.on("request", lambda request: foreign.append(request.url) if not request.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)

    _open(page, f"{base_url}/activiteiten")
    page.wait_for_selector(".js-plotly-plot")
    _assert_no_errors(page)
    cells = page.evaluate("""() => {
        for (const plot of document.querySelectorAll('.js-plotly-plot')) {
            for (const trace of plot.data || []) {
                if (trace.type === 'heatmap') return trace.z.flat().filter(v => v !== null && v !== undefined);
            }
        }
        return null;
    }""")
    assert cells is not None and sorted(round(float(v), 6) for v in cells) == expected_cells and len(cells) > 5
    _screenshot(page, "activiteiten")
    page.get_by_role("tab", name="Kiezen deelnemers vaker voor techniek?").click()  # a section of its own, drawn when opened
    page.get_by_text(activities.CAVEAT_NL[:60]).first.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].some(p => (p.data || []).some(t => t.name === 'Deelnemers'))")
    page.wait_for_selector(APP_IDLE)
    first = next(s for s in dict.fromkeys(effect["scope"]) if effect.loc[effect["scope"] == s, "share"].notna().any())  # the page's default
    school = effect[effect["scope"] == first]
    took_part = school[school["group"] == "deelnemers"]
    assert _trace_values(page, "Deelnemers") == [None if fmt.numeric(v) is None else round(float(v), 6) for v in took_part["share"]]
    _screenshot(page, "activiteiten-deelnemers")
    assert not foreign, f"verzoeken buiten de eigen server: {foreign[:5]}"
