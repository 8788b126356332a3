"""Many users at once: N browser sessions against one `streamlit run`, each opening Overzicht, Instroom and
Doorstroom and changing two sidebar settings (issue 13).

    python bench/sessions_bench.py [--sessions 1,5,10,20] [--db regio.duckdb] [--pin]

With --pin the server runs on CPU 0 and this process with its browser on CPU 1 (Linux), as if the browsers were on
other machines: on two cores, one Chromium drawing 20 tabs otherwise takes the cores the server waits for.

For each N it prints the median and p90 of the time from a click (or page open) until the app is idle
again, as every session saw it, plus the count of errors shown. The server and the browser bind to
127.0.0.1 only; every wait is bounded. Needs Debian's chromium and playwright (requirements-dev.txt).
No timing is asserted anywhere in the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.local_servers import APP_IDLE, CHROMIUM, CHROMIUM_ARGS, free_port, wait_until_up  # noqa: E402 (shared)
from bench.local_servers import stop as stop_server  # noqa: E402 (tests and pages_bench use this name)

STEP_TIMEOUT_MS = 600_000



def start_server(database: Path, port: int, log: Path | None = None, *, script: Path | None = None,
                 run_times: Path | None = None, cpus: set[int] | None = None) -> subprocess.Popen:
    """`streamlit run` of the dashboard (or another script, such as the empty page of bench/pages_bench.py) on 127.0.0.1;
    with run_times, the dashboard appends each script run's server-side time to that file."""
    env = {**os.environ, "STO_DB": str(database), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    if run_times:
        env["STO_RUN_TIMES"] = str(run_times)
    output = log.open("w") if log else subprocess.DEVNULL
    process = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script or "dashboard.py"), "--server.headless", "true",
                                "--server.port", str(port), "--server.address", "127.0.0.1"],
                               cwd=script.parent if script else REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
                               preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/_stcore/health", process, "streamlit")
    except (RuntimeError, TimeoutError) as problem:
        process.kill()
        raise SystemExit(str(problem)) from None
    return process



async def open_settings(page) -> None:
    """Open the sidebar's 'Definities en weergave' (its settings are drawn only then); a click that a busy page missed is
    repeated once the settings did not appear within a minute."""
    sidebar = page.get_by_test_id("stSidebarUserContent")
    for attempt in range(3):
        await sidebar.get_by_text("Definities en weergave", exact=True).click()
        try:
            await sidebar.get_by_text("D&P telt als techniek (vmbo)", exact=True).wait_for(timeout=60_000)
            break
        except Exception:  # playwright's TimeoutError: the expander stayed closed
            if attempt == 2:
                raise
    await page.wait_for_timeout(100)
    await page.wait_for_selector(APP_IDLE, timeout=STEP_TIMEOUT_MS)


async def timed(page, action, times: list[float]) -> None:
    start = time.perf_counter()
    await action()
    await page.wait_for_timeout(100)  # the click reaches the server before the idle check
    await page.wait_for_selector(APP_IDLE, timeout=STEP_TIMEOUT_MS)
    times.append(time.perf_counter() - start)


async def one_session(browser, base_url: str, times: list[float]) -> int:
    """Open three pages and change two settings; returns the number of errors the session saw."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="nl-NL")
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)  # a page load on a queued server takes longer than Playwright's 30 s
    errors = 0
    for path in ("", "instroom", "doorstroom"):
        await timed(page, lambda path=path: page.goto(f"{base_url}/{path}"), times)
        errors += await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
    sidebar = page.get_by_test_id("stSidebarUserContent")
    await open_settings(page)
    await timed(page, lambda: sidebar.get_by_text("D&P telt als techniek (vmbo)", exact=True).click(), times)
    await timed(page, lambda: sidebar.get_by_text("alle gediplomeerden", exact=True).click(), times)
    errors += await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
    await context.close()
    return errors


async def round_of(base_url: str, sessions: int) -> tuple[list[float], int]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        times: list[float] = []
        errors = await asyncio.gather(*(one_session(browser, base_url, times) for _ in range(sessions)))
        await browser.close()
    return times, sum(errors)


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,5,10,20", help="comma-separated session counts")
    parser.add_argument("--db", help="a region database (default: a fresh demo region, 600 pupils a year)")
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, browser on CPU 1 (browsers as if elsewhere)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sto-sessions-") as folder:
        if args.db:
            database = Path(args.db)
        else:
            from tests.dashboard_fixtures import build_region_database

            database, _ = build_region_database(Path(folder))
        port = free_port()
        run_times = Path(folder) / "run_times.tsv"
        server = start_server(database, port, run_times=run_times, cpus={0} if args.pin else None)
        if args.pin:
            os.sched_setaffinity(0, {1})  # Playwright's driver and Chromium inherit it
        try:
            base_url = f"http://127.0.0.1:{port}"
            asyncio.run(round_of(base_url, 1))  # warm: the caches hold every figure the rounds ask for
            print("browser: from a click until the page is idle; server: the script runs of the round (dashboard.py, whole runs); "
                  "server CPU: the CPU time of a run's own thread")
            print(f"{'sessies':>8} {'stappen':>8} {'browser mediaan s':>18} {'browser p90 s':>14} {'server mediaan s':>17} "
                  f"{'server p90 s':>13} {'server CPU p90 s':>17} {'fouten':>7}")
            for sessions in (int(n) for n in args.sessions.split(",")):
                run_times.write_text("")
                times, errors = asyncio.run(round_of(base_url, sessions))
                runs = [line.split("\t") for line in run_times.read_text().splitlines() if "\t" in line]
                server_times, server_cpu = [float(run[1]) for run in runs] or [0], [float(run[2]) for run in runs] or [0]
                print(f"{sessions:>8} {len(times):>8} {statistics.median(times):>18.2f} {p90(times):>14.2f} "
                      f"{statistics.median(server_times):>17.2f} {p90(server_times):>13.2f} {p90(server_cpu):>17.2f} {errors:>7}")
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
