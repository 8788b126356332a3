"""Light pages (issue 14): how long each dashboard page takes to open in a browser, against an empty Streamlit page.

    python bench/pages_bench.py [--warm 5] [--db regio.duckdb | --demo] [--pages Overzicht,Instroom] [--cache empty|shipped]
                                [--no-background]

Per page it prints, in seconds:
- floor: an empty two-page Streamlit app started and opened the same way (the best any page can do): Overzicht against
  its root, the other pages against its page's own address (Streamlit first probes a page's path as a base URL);
- cold: the page as the first visit after a fresh server start;
- warm: the median of --warm further visits (caches filled);
- browser CPU: the CPU seconds Chromium's processes used for a warm visit (median; from /proc, steadier than the clock
  on a shared machine), and what the page drew (Plotly charts, data grids, widgets in the sidebar);
- navigation: the median of --warm moves to the page by its link in the sidebar (from Subsidieaanvraag, or for that
  page from Overzicht), as people move between pages: no page load, against the same move in the empty app;
- script cold / warm: the page's server-side script time (Streamlit's AppTest in this process: the
  first run after the caches were cleared, and the median of later runs).
Protected tables: by default the cache folder is used as it is. `--cache empty` starts from an empty cache folder (every
protected table computed by the first page that needs it, as before they were prepared ahead); `--cache shipped` from one
holding only the demo's shipped patterns (what a fresh demo server has); `--no-background` switches the dashboard's
background preparation off. The load average is printed before and after.
A visit is timed from `goto` until the page's last change, once the app is idle, the page title
is there, every visible Plotly chart has drawn and nothing changed for 0.4 s. Server and browser bind to 127.0.0.1 only; every wait is bounded. The
machine is shared: compare the ratios of one run, not seconds across runs. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import sessions_bench as sessions  # noqa: E402  (the repository on the path first)

PAGES = {
    "Overzicht": ("", "pages/overzicht.py"),
    "Instroom": ("instroom", "pages/instroom.py"),
    "Doorstroom": ("doorstroom", "pages/doorstroom.py"),
    "Mijn school": ("mijn-school", "pages/mijn_school.py"),
    "Ambities": ("ambities", "pages/ambities.py"),
    "Activiteiten": ("activiteiten", "pages/activiteiten.py"),
    "Subsidieaanvraag": ("subsidieaanvraag", "pages/subsidieaanvraag.py"),
}
# The floor: an empty two-page app, so that it is opened the same ways as the dashboard's pages: at the root (as
# Overzicht), at a page's own address (Streamlit first probes that path as a base URL: about 0.1 s) and by its link
# in the sidebar's navigation (no page load: how people move between pages).
EMPTY_APP = (
    "import streamlit as st\n"
    "st.navigation([st.Page(lambda: st.title('Start'), title='Start', default=True),\n"
    "               st.Page(lambda: st.title('Leeg'), title='Leeg', url_path='leeg')]).run()\n"
)
FLOOR_ROOT, FLOOR_PAGE = "leeg (/)", "leeg (/leeg)"
# Where a move by link starts: a light page (Subsidieaanvraag; for that page, Overzicht), so that mostly the target is timed.
NAVIGATION_START = "subsidieaanvraag"
VISIT_TIMEOUT_MS = 300_000
# Idle, a title in the main area, and every displayed chart drawn (Plotly's SVG is there).
SETTLE_MS = 400
# The time of the last change to the page, from the first script on (charts mount after the script is done).
WATCH_CHANGES = ("window.__stoChanged = 0; new MutationObserver(() => { window.__stoChanged = performance.now(); })"
                 ".observe(document, {childList: true, subtree: true, characterData: true});")
# Idle, a title in the main area, every displayed chart drawn (Plotly's SVG is there) and nothing changed for SETTLE_MS.
PAGE_DONE = ("() => { if (!document.querySelector(" + json.dumps(sessions.APP_IDLE) + ")) return false;"
             " if (!document.querySelector('[data-testid=\"stMain\"] h1')) return false;"
             " for (const chart of document.querySelectorAll('[data-testid=\"stPlotlyChart\"]'))"
             "   if (chart.offsetParent !== null && !chart.querySelector('.main-svg')) return false;"
             f" return performance.now() - window.__stoChanged > {SETTLE_MS}; }}")


# What a page drew: Plotly charts, data grids (st.dataframe, st.data_editor) and widgets in the sidebar.
DRAWN = ("() => [document.querySelectorAll('[data-testid=\"stPlotlyChart\"]').length,"
         " document.querySelectorAll('[data-testid=\"stDataFrame\"]').length,"
         " document.querySelectorAll('[data-testid=\"stSidebarUserContent\"] [data-testid=\"stElementContainer\"]').length]")


def _cpu_seconds(root: int, skip: int) -> float:
    """CPU seconds (user + system) of root's descendant processes, leaving out the subtree of `skip` (the server)."""
    tick = os.sysconf("SC_CLK_TCK")
    parent, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry)], cpu[int(entry)] = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [pid for pid in children.get(root, []) if pid != skip]
    while todo:
        pid = todo.pop()
        total += cpu[pid]
        todo += [child for child in children.get(pid, []) if child != skip]
    return total


def visit(page, url: str) -> float:
    """Seconds from `goto` until the page's last change (the settling wait itself is not counted)."""
    start_ms = time.time() * 1000
    page.goto(url, timeout=VISIT_TIMEOUT_MS)
    page.wait_for_function(PAGE_DONE, timeout=VISIT_TIMEOUT_MS, polling=20)
    return (page.evaluate("performance.timeOrigin + window.__stoChanged") - start_ms) / 1000


def navigate(page, url: str, start_path: str, title: str, path: str) -> float:
    """Seconds from a click on `title` in the sidebar's navigation (having opened `start_path`) until the page's last change."""
    visit(page, f"{url}/{start_path}")
    clicked = page.evaluate("performance.now()")
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    page.wait_for_function("([path, clicked]) => location.pathname.replace(/\\/$/, '') === path && window.__stoChanged > clicked"
                           f" && ({PAGE_DONE})()", arg=["/" + path if path else "", clicked], timeout=VISIT_TIMEOUT_MS, polling=20)
    return (page.evaluate("window.__stoChanged") - clicked) / 1000


def _timed_visits(page, url: str, server_pid: int, warm: int) -> tuple[float, float]:
    """(median seconds, median browser CPU seconds) of `warm` visits of `url`."""
    times, cpu = [], []
    for _ in range(warm):
        before = _cpu_seconds(os.getpid(), server_pid)
        times.append(visit(page, url))
        cpu.append(_cpu_seconds(os.getpid(), server_pid) - before)
    return statistics.median(times), statistics.median(cpu)


def browser_times(database: Path, folder: Path, pages: list[str], warm: int) -> dict[str, tuple]:
    """{page: (cold, warm median, browser CPU median of the warm visits, [charts, grids, sidebar elements], navigation
    median)}; the empty app under FLOOR_ROOT and FLOOR_PAGE. A fresh server per page for its cold visit."""
    from playwright.sync_api import sync_playwright

    empty = folder / "leeg" / "leeg.py"
    empty.parent.mkdir()
    empty.write_text(EMPTY_APP, encoding="utf-8")
    found: dict[str, tuple] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=sessions.CHROMIUM, args=sessions.CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="nl-NL")
        context.add_init_script(WATCH_CHANGES)
        page = context.new_page()
        try:
            for name in ["", *pages]:
                port = sessions.free_port()
                server = sessions.start_server(database, port, script=empty if name == "" else None)
                base = f"http://127.0.0.1:{port}"
                try:
                    if name == "":
                        cold = visit(page, f"{base}/leeg")
                        found[FLOOR_ROOT] = (None, *_timed_visits(page, f"{base}/", server.pid, warm), None, None)
                        found[FLOOR_PAGE] = (cold, *_timed_visits(page, f"{base}/leeg", server.pid, warm), None,
                                             statistics.median(navigate(page, base, "", "Leeg", "leeg") for _ in range(warm)))
                        continue
                    path = PAGES[name][0]
                    cold = visit(page, f"{base}/{path}")
                    warm_time, warm_cpu = _timed_visits(page, f"{base}/{path}", server.pid, warm)
                    drawn = page.evaluate(DRAWN)
                    start = NAVIGATION_START if path != NAVIGATION_START else ""
                    moves = statistics.median(navigate(page, base, start, name, path) for _ in range(warm))
                    found[name] = (cold, warm_time, warm_cpu, drawn, moves)
                finally:
                    sessions.stop_server(server)
        finally:
            context.close()
            browser.close()
    return found


def script_times(database: Path, pages: list[str], warm: int) -> dict[str, tuple[float, float]]:
    """{page: (first run after clearing the caches, median of later runs)} with AppTest, as the page tests run it."""
    import os

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import app_support
    from tests.dashboard_fixtures import DASHBOARD, navigation_pages_only

    os.environ["STO_DB"] = str(database)
    found: dict[str, tuple[float, float]] = {}
    with navigation_pages_only():
        for name in pages:
            st.cache_data.clear()
            app_support.close_connection()
            app = AppTest.from_file(str(DASHBOARD), default_timeout=600)
            app.run()
            app.switch_page(PAGES[name][1])
            start = time.perf_counter()
            app.run()
            cold = time.perf_counter() - start
            runs = []
            for _ in range(warm):
                start = time.perf_counter()
                app.run()
                runs.append(time.perf_counter() - start)
            if app.exception:
                raise SystemExit(f"{name}: {app.exception[0].value}")
            found[name] = (cold, statistics.median(runs))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=5, help="warm visits per page (the median is printed)")
    parser.add_argument("--db", help="a region database (default: a fresh demo region, 600 pupils a year, as the tests use)")
    parser.add_argument("--demo", action="store_true", help="the bundled demo region (data/demo/, 2000 pupils a year), built afresh")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated page names")
    parser.add_argument("--cache", choices=["keep", "empty", "shipped"], default="keep",
                        help="the pattern cache folder: as it is (default), empty, or only the demo's shipped patterns")
    parser.add_argument("--no-background", action="store_true", help="no background preparation of protected tables")
    args = parser.parse_args()
    pages = [name.strip() for name in args.pages.split(",") if name.strip()]
    print(f"load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(prefix="sto-pages-") as folder:
        if args.no_background:
            os.environ["STO_PREPARE"] = "0"  # the servers inherit it
        if args.cache != "keep":
            os.environ["STO_CACHE_DIR"] = str(Path(folder) / "cache")
        if args.cache == "shipped":
            from sto_metrics.demo import prebuilt

            print(f"shipped patterns seeded: {prebuilt.seed_patterns()}", flush=True)
        if args.db:
            database = Path(args.db)
        elif args.demo:
            from sto_metrics.demo import prebuilt

            database = Path(folder) / "demo.duckdb"
            prebuilt.build(database)
        else:
            from tests.dashboard_fixtures import build_region_database

            database, _ = build_region_database(Path(folder))
        browser = browser_times(database, Path(folder), pages, args.warm)
        script = script_times(database, pages, args.warm)
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    floor_cold, floor_warm, floor_cpu, _, floor_moves = browser[FLOOR_PAGE]
    _, root_warm, root_cpu, _, _ = browser[FLOOR_ROOT]
    print(f"lege pagina: koud {floor_cold:.2f} s; warm {root_warm:.2f} s op / en {floor_warm:.2f} s op /leeg "
          f"(browser-CPU {root_cpu:.2f} en {floor_cpu:.2f} s); via de navigatie {floor_moves:.2f} s")
    print("Warm: elke pagina tegen de lege pagina die op dezelfde manier geopend is (Overzicht op /, de andere op hun eigen adres); "
          "koud: tegen het eerste bezoek van /leeg op een verse server; navigatie: tegen Start -> Leeg in de lege app "
          "(de pagina's vanaf Subsidieaanvraag, die zelf vanaf Overzicht).")
    print(f"{'pagina':<17} {'koud s':>7} {'-vloer':>7} {'warm s':>7} {'-vloer':>7} {'x vloer':>8} {'CPU s':>6} {'-vloer':>7} "
          f"{'navigatie s':>12} {'-vloer':>7} {'grafieken/grids/zijbalk':>24} {'script koud':>12} {'script warm':>12}")
    for name in pages:
        cold, warm, cpu, drawn, moves = browser[name]
        same_warm, same_cpu = (root_warm, root_cpu) if PAGES[name][0] == "" else (floor_warm, floor_cpu)
        script_cold, script_warm = script[name]
        print(f"{name:<17} {cold:>7.2f} {cold - floor_cold:>+7.2f} {warm:>7.2f} {warm - same_warm:>+7.2f} {warm / same_warm:>8.1f} "
              f"{cpu:>6.2f} {cpu - same_cpu:>+7.2f} {moves:>12.2f} {moves - floor_moves:>+7.2f} {'/'.join(map(str, drawn)):>24} "
              f"{script_cold:>12.2f} {script_warm:>12.2f}")


if __name__ == "__main__":
    main()
