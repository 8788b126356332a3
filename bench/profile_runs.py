"""Where a warm page run spends its CPU: cProfile of the dashboard's script thread over repeated runs (issue 13).

    python bench/profile_runs.py [--repeat 5] [--db regio.duckdb] [--top 25]

Runs the sessions bench's steps (Overzicht, Instroom, Doorstroom, two sidebar settings) in AppTest once to warm
the caches, then `--repeat` more times under the profiler, and prints the time per run, the self time per
package (streamlit, plotly, pandas, duckdb, the engine, ...) and the functions with the most cumulative time.
AppTest serialises every element as the server does; the websocket send is not included.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PACKAGES = ("streamlit", "plotly", "pandas", "numpy", "pyarrow", "duckdb", "sto_metrics", "app_support", "pages", "google",
            "narwhals", "json", "pickle", "hashlib", "threading", "copy")


def package_of(filename: str) -> str:
    """The package a profiled function lives in, by its file path ('builtins' for C functions)."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    parts = Path(filename).parts
    for name in PACKAGES:
        if name in parts or Path(filename).stem == name:
            return name
    return "other"


def settings_open(app):
    """The app with the sidebar's 'Definities en weergave' open (its widgets are drawn only then), as a click opens it."""
    if not [toggle for toggle in app.toggle if toggle.key == "dp"]:
        app.session_state["definities"] = True
        app.run()
    return app


def steps(app) -> list[tuple[str, object]]:
    """The sessions bench's steps as AppTest actions: (label, callable)."""
    return [
        ("Overzicht", lambda: app.switch_page("pages/overzicht.py").run()),
        ("Instroom", lambda: app.switch_page("pages/instroom.py").run()),
        ("Doorstroom", lambda: app.switch_page("pages/doorstroom.py").run()),
        ("D&P aan", lambda: settings_open(app).toggle(key="dp").set_value(not app.toggle(key="dp").value).run()),
        ("noemer", lambda: app.radio(key="noemer").set_value(
            "all_graduates" if app.radio(key="noemer").value != "all_graduates" else "enrolled_mbo").run()),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", help="a region database (default: a fresh demo region, 600 pupils a year)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", help="write the raw profile here (for pstats or snakeviz)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    os.chdir(REPO)
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    from tests.dashboard_fixtures import build_region_database, navigation_pages_only

    profiler = cProfile.Profile()
    original = script_runner.ScriptRunner._run_script
    profiling = {"on": False}

    def run_script(self, rerun_data):  # the profiler sees the script thread only
        if not profiling["on"]:
            return original(self, rerun_data)
        profiler.enable()
        try:
            return original(self, rerun_data)
        finally:
            profiler.disable()

    script_runner.ScriptRunner._run_script = run_script
    with tempfile.TemporaryDirectory(prefix="sto-profile-") as folder, navigation_pages_only():
        database = Path(args.db) if args.db else build_region_database(Path(folder))[0]
        os.environ["STO_DB"] = str(database)
        app = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=600)
        app.run()
        for _, action in steps(app):  # warm: every cache holds what the steps ask for
            action()
        for _, action in steps(app):
            action()
        times: dict[str, list[float]] = defaultdict(list)
        profiling["on"] = True
        for _ in range(args.repeat):
            for label, action in steps(app):
                started = time.perf_counter()
                action()
                times[label].append(time.perf_counter() - started)
        profiling["on"] = False
    runs = sum(len(v) for v in times.values())
    print("seconds per run (AppTest, warm):", ", ".join(f"{label} {sum(v) / len(v):.3f}" for label, v in times.items()))
    stats = pstats.Stats(profiler)
    if args.save:
        stats.dump_stats(args.save)
    total = sum(row[2] for row in stats.stats.values())
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _, _), row in stats.stats.items():
        by_package[package_of(filename)] += row[2]
    print(f"profiled CPU per run: {total / runs:.3f} s; self time by package:")
    for name, seconds in sorted(by_package.items(), key=lambda item: -item[1]):
        print(f"  {name:<12} {seconds / runs:8.4f} s  {100 * seconds / total:5.1f}%")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
