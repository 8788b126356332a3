"""Twenty browser sessions at once against one `streamlit run`, while a load runs from the shell (issue 13).

Half the sessions count D&P as technical, half do not; each must see the vmbo inflow line of its own
setting (no cross-talk through caches or shared state), no session may see an error, and the load must
succeed while they read. Loopback only; every wait is bounded. Timing is measured by
bench/sessions_bench.py, never asserted here.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import sessions_bench as sessions
from sto_metrics import db, published
from sto_metrics.demo import prebuilt
from sto_metrics.loading import pseudonym
from sto_metrics.settings import MetricSettings
from tests.dashboard_fixtures import REPO, region_database  # noqa: F401 (fixture)
from tests.loader_support import VO_HEADER, VO_ROWS, csv_text

SESSIONS = 20
STEP_TIMEOUT_MS = 300_000
ROUND_TIMEOUT_S = 900
REDRAW_POLLS = 240  # half-second looks for a redrawn line after a setting changes: two minutes at most
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    # The shell load below pseudonymises with the key the region database was built with.
    monkeypatch.setenv(pseudonym.SECRET_ENV, prebuilt.DEMO_SECRET.decode())


def inflow_line(database: Path, dp_technical: bool) -> list[float | None]:
    """The region's vmbo inflow shares as the Instroom page draws them (published, display-safe)."""
    con = db.connect(database, read_only=True)
    try:
        table = published.table(con, "inflow_vmbo", by="regio", settings=MetricSettings(dp_technical=dp_technical))
    finally:
        con.close()
    return [None if value is None or value != value else round(float(value), 6) for value in table["share"]]


async def regio_line(page) -> list[float | None]:
    values = await page.evaluate(
        """() => {
            for (const plot of document.querySelectorAll('.js-plotly-plot'))
                for (const trace of plot.data || [])
                    if (trace.name === 'Regio') return Array.from(trace.y, v => (v === null || v === undefined) ? null : v);
            return null;
        }""")
    assert values is not None, "no 'Regio' line on Instroom"
    return [None if v is None else round(float(v), 6) for v in values]


async def idle(page) -> None:
    await page.wait_for_timeout(100)  # the click reaches the server before the idle check
    await page.wait_for_selector(sessions.APP_IDLE, timeout=STEP_TIMEOUT_MS)


async def one_session(browser, base_url: str, dp_technical: bool) -> tuple[list, int]:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="nl-NL")
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    errors = 0
    await page.goto(f"{base_url}/instroom")
    await idle(page)
    await page.wait_for_selector(".js-plotly-plot")
    if dp_technical:
        unset = await regio_line(page)
        await sessions.open_settings(page)
        await page.get_by_test_id("stSidebarUserContent").get_by_text("D&P telt als techniek (vmbo)", exact=True).click()
        # a busy server may start the rerun after the idle check looked: wait (bounded) until the line is redrawn
        for _ in range(REDRAW_POLLS):
            await idle(page)
            if await regio_line(page) != unset:
                break
            await page.wait_for_timeout(500)
    line = await regio_line(page)
    errors += await page.locator(ERRORS).count()
    for path in ("", "doorstroom"):
        await page.goto(f"{base_url}/{path}")
        await idle(page)
        errors += await page.locator(ERRORS).count()
    await context.close()
    return line, errors


async def all_sessions(base_url: str, count: int) -> list[tuple[list, int]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=sessions.CHROMIUM, args=sessions.CHROMIUM_ARGS)
        try:
            return await asyncio.gather(*(one_session(browser, base_url, i % 2 == 1) for i in range(count)))
        finally:
            await browser.close()


def test_twenty_sessions_at_once_while_a_shell_load_runs(region_database, tmp_path):  # noqa: F811
    if not Path(sessions.CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    pytest.importorskip("playwright")
    database = tmp_path / "regio.duckdb"
    shutil.copyfile(region_database[0].with_name("regio-origineel.duckdb"), database)
    new_school = tmp_path / "nieuwe_school.csv"
    new_school.write_text(csv_text(VO_HEADER, [[*row[:2], "99ZZ00", "Nieuwe school", *row[4:]] for row in VO_ROWS]), encoding="utf-8")
    before = {dp: inflow_line(database, dp) for dp in (False, True)}
    assert before[False] != before[True], "the two settings must draw different lines, or cross-talk cannot show"

    run_times = tmp_path / "run_times.tsv"
    server = sessions.start_server(database, port := sessions.free_port(), tmp_path / "streamlit.log", run_times=run_times)
    try:
        base_url = f"http://127.0.0.1:{port}"
        asyncio.run(asyncio.wait_for(all_sessions(base_url, 2), ROUND_TIMEOUT_S))  # both settings computed once, as a server is
        load = subprocess.Popen([sys.executable, "-m", "sto_metrics", "load", str(new_school), "--db", str(database)],
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = asyncio.run(asyncio.wait_for(all_sessions(base_url, SESSIONS), ROUND_TIMEOUT_S))
        out, err = load.communicate(timeout=ROUND_TIMEOUT_S)
    finally:
        sessions.stop_server(server)

    assert load.returncode == 0, out + err
    runs = [line.split("\t") for line in run_times.read_text(encoding="utf-8").splitlines()]
    assert len(runs) >= 3 * (SESSIONS + 2) and {page for page, *_ in runs} == {"Instroom", "Overzicht", "Doorstroom"}
    after = {dp: inflow_line(database, dp) for dp in (False, True)}
    assert after != before, "the shell load changed nothing the sessions could see"
    for number, (line, errors) in enumerate(seen):
        dp_technical = number % 2 == 1
        assert errors == 0, f"session {number} saw {errors} errors"
        assert line in (before[dp_technical], after[dp_technical]), f"session {number} (D&P {dp_technical}) drew {line}"
