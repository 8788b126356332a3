"""Protected tables prepared ahead (issue 14 goal 4, issue 13): `prepare`, the dashboard's background thread and the demo's
shipped patterns.

After `python -m sto_metrics prepare` a new process publishes every view a page or command offers without computing a
single protection (the protection step is made to fail), and publishes exactly what a run without `prepare` publishes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sto_metrics import db, prepare, published
from sto_metrics.demo import generate, prebuilt
from sto_metrics.metrics import calculations, catalog, registry
from sto_metrics.privacy import cross, suppression
from sto_metrics.settings import MetricSettings, PopulationFilter
from tests import demo_patterns
from tests.dashboard_fixtures import REPO, make_app  # noqa: F401 (fixture)

PUPIL_DATA = "-".join(["leerling", "4711"])  # built, so that a logged source line cannot hold it
SMALL_PUPILS_PER_YEAR = 200
# three vo schools (vmbo, a vakcollege with activities, havo/vwo), the follow-up institutions and the activities: every
# family and start year, protected in a time a test can spend
SMALL_REGION_FILES = ("vo/31XA00_", "vo/31XG00_", "vo/31XH00_", "mbo/", "ho/", "activiteiten/activiteiten.csv",
                      "activiteiten/deelnemers_31XA00.csv", "activiteiten/deelnemers_31XG00.csv")


@pytest.fixture(scope="module")
def small_region(tmp_path_factory) -> Path:
    """A freshly generated region (fixed seed), three of its schools loaded into a database of their own; nothing protected yet."""
    folder = tmp_path_factory.mktemp("klein")
    generate.write_demo(folder / "exports", seed=7, pupils_per_year=SMALL_PUPILS_PER_YEAR)
    chosen = folder / "gekozen"
    for file in sorted((folder / "exports").rglob("*.csv")):
        relative = file.relative_to(folder / "exports").as_posix()
        if relative.startswith(SMALL_REGION_FILES):
            (chosen / relative).parent.mkdir(parents=True, exist_ok=True)
            (chosen / relative).write_bytes(file.read_bytes())
    database = folder / "regio.duckdb"
    prebuilt.build(database, chosen)
    return database


def _prepare_command(database: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "STO_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "sto_metrics", "prepare", "--db", str(database)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def prepared_cache(small_region, tmp_path_factory) -> tuple[Path, str]:
    """A cache folder filled by the `prepare` command (a process of its own), and what it printed."""
    cache = tmp_path_factory.mktemp("voorbereid")
    done = _prepare_command(small_region, cache)
    assert done.returncode == 0, done.stderr
    return cache, done.stdout


@pytest.fixture
def fresh_process(monkeypatch):
    """As in a new process: no protected table in memory; the cache folder is the test's to choose."""
    monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())

    def use(cache: Path) -> None:
        monkeypatch.setenv("STO_CACHE_DIR", str(cache))

    return use


@pytest.fixture
def protections(monkeypatch) -> Counter:
    """How many school years had their protection (GaussSuppression and the interval check) computed."""
    calls: Counter = Counter()
    original = cross._protect_block

    def counting(matrix, *args, **kwargs):
        calls["jaren"] += 1
        return original(matrix, *args, **kwargs)

    monkeypatch.setattr(cross, "_protect_block", counting)
    return calls


def _every_view(con) -> dict[str, object]:
    """Every view the pages and the command line offer, by name: each scope, split, setting, leerweg, gender and school
    where the figure allows it, and the cohort flow of every start year for the region and a school."""
    schools = catalog.school_ids(con)
    settings = [MetricSettings(), MetricSettings(dp_technical=True, havo_vwo_technical="n", progression_denominator="all_graduates")]
    populations = [PopulationFilter(), PopulationFilter(leerwegen=("KB",)), PopulationFilter(genders=("V",)),
                   PopulationFilter(school_ids=(schools[0],)), PopulationFilter(school_ids=tuple(schools[:2]))]
    views: dict[str, object] = {}
    for name, metric in registry.METRICS.items():
        if metric.compute is None:
            continue
        for by in metric.scopes:
            for split in (None, *metric.splits):
                for n, setting in enumerate(settings):
                    for m, population in enumerate(populations):
                        if published.refusal(name, by=by, population=population) or (
                                metric.reads != ("enrolments",) and (population.leerwegen or population.genders)):
                            continue  # refused on every page and command (a Dutch message, no table)
                        views[f"{name} {by} {split} s{n} p{m}"] = published.table(con, name, by=by, split=split, settings=setting,
                                                                                 population=population)
    for year in prepare._flow_start_years(catalog.school_years(con)):
        for school in (None, schools[0]):
            for n, setting in enumerate(settings):
                population = PopulationFilter() if school else PopulationFilter(genders=("M",))
                views[f"flow {year} {school} s{n}"] = published.flow(con, year, school_id=school, settings=setting, population=population)
    return views


def _same(left, right) -> bool:
    if isinstance(left, tuple):
        return all(_same(a, b) for a, b in zip(left, right, strict=True))
    return left.astype(str).equals(right.astype(str))


def test_prepare_command_prints_each_table_and_the_total(prepared_cache, small_region):
    cache, printed = prepared_cache
    con = db.connect(small_region, read_only=True)
    try:
        todo = prepare.tasks(con)
        years = prepare._flow_start_years(catalog.school_years(con))
    finally:
        con.close()
    # every family once (destinations and progression share a table, as do activity-effect and reach-pupils), every start year
    assert [task.metric for task in todo] == ["inflow_vmbo", "inflow_havo_vwo", "destinations_vmbo", "destinations_havo_vwo",
                                              "retention_vmbo", "cohort_flow", "reach", "reach_pupils", *["cohort_flow"] * (len(years) - 1)]
    assert [task.start_year for task in todo if task.start_year is not None] == years
    assert years[0] == max(y for y in years if y + 3 in catalog_years(small_region))  # the page's default start year first
    lines = [line.strip() for line in printed.splitlines()]
    assert lines[0].startswith("Beschermde tabellen voorbereiden voor")
    assert [line.split(":")[0] for line in lines[1:-1]] == [task.label_nl for task in todo]
    assert all(": berekend (" in line for line in lines[1:-1])
    assert lines[-1].startswith("Klaar in ") and f"{len(todo)} berekend, 0 waren al klaar, 0 zonder gegevens." in lines[-1]
    # one pattern per table, and the activity table's inflow beside it (its own school years); nothing half-written
    assert len(list(cache.rglob("*.npy"))) == len(todo) + 1
    assert not list(cache.rglob("*.part"))


def catalog_years(database: Path) -> set[int]:
    con = db.connect(database, read_only=True)
    try:
        return set(catalog.school_years(con))
    finally:
        con.close()


def test_after_prepare_a_new_process_computes_no_protection_and_publishes_what_a_run_without_it_does(
        prepared_cache, small_region, tmp_path, fresh_process, protections, monkeypatch):
    con = db.connect(small_region, read_only=True)
    try:
        fresh_process(tmp_path / "leeg")  # without prepare: every table computed on request, as a page did before
        computed_on_request = _every_view(con)
        assert protections["jaren"] > 0

        fresh_process(prepared_cache[0])  # after prepare, in a process that has nothing in memory
        monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())

        def refuse(*args, **kwargs):
            raise AssertionError("a protection was computed although prepare had done it")

        monkeypatch.setattr(cross, "_protect_block", refuse)
        after_prepare = _every_view(con)
    finally:
        con.close()
    assert after_prepare.keys() == computed_on_request.keys()
    assert len(after_prepare) > 150
    differing = [name for name in after_prepare if not _same(after_prepare[name], computed_on_request[name])]
    assert not differing
    # and the views do hide something: a suppressed count in every family's tables
    hidden = {name.split()[0] for name, table in after_prepare.items() if not isinstance(table, tuple)
              and any(((table[c] == "<5") | table[c].isna()).any() for c in registry.get(name.split()[0]).count_columns if c in table)}
    assert {"inflow_vmbo", "destinations_vmbo", "progression_vmbo", "retention_vmbo"} <= hidden


def test_a_second_prepare_finds_every_table_ready(prepared_cache, small_region):
    cache, first = prepared_cache
    again = _prepare_command(small_region, cache)
    assert again.returncode == 0, again.stderr
    tables = len(first.splitlines()) - 2
    assert again.stdout.count(": al klaar (") == tables
    assert f"0 berekend, {tables} waren al klaar" in again.stdout.splitlines()[-1]


def _counting_cubes(monkeypatch) -> list[prepare.Task]:
    read: list[prepare.Task] = []
    original = prepare.cube

    def counting(con, task):
        read.append(task)
        return original(con, task)

    monkeypatch.setattr(prepare, "cube", counting)
    return read


def test_the_records_version_tells_apart_rows_that_the_same_loads_stored_otherwise(small_region, tmp_path):
    """The same files loaded with another profile alias (or --kind) have the loads' fingerprint of the original but other
    rows, so other counts: a record of the one must not stand for the other."""
    import shutil

    copy = tmp_path / "ander.duckdb"
    shutil.copyfile(small_region, copy)
    versions = []
    for database, change in ((small_region, None), (copy, "UPDATE vo_enrolment SET profile_code = 'ZZZ' WHERE rowid = 7")):
        con = db.connect(database) if change else db.connect(database, read_only=True)
        try:
            if change:
                con.execute(change)
            versions.append((catalog.data_versions(con), prepare._data_version(con)))
        finally:
            con.close()
    assert versions[0][0] == versions[1][0] and versions[0][1] != versions[1][1]


def test_a_finished_prepare_is_recorded_so_that_the_next_reads_no_counts_until_a_pattern_is_gone(
        prepared_cache, small_region, fresh_process, protections, monkeypatch):
    cache, _ = prepared_cache
    fresh_process(cache)
    con = db.connect(small_region, read_only=True)
    try:
        todo, version = prepare.tasks(con), prepare._data_version(con)
        names = [suppression.pattern_file(prepare.cube(con, task), task.cells, suppression.SuppressionRules()).name for task in todo]
    finally:
        con.close()
    rules = suppression.SuppressionRules()
    record = prepare.record_file(version, todo, rules)
    assert json.loads(record.read_text(encoding="utf-8")) == names  # written by the command: each table's pattern, in order
    read = _counting_cubes(monkeypatch)
    again = prepare.prepare(demo_patterns.reading(small_region))
    assert read == [] and protections["jaren"] == 0
    assert [(r.task, r.status, r.pattern) for r in again] == [(task, "al klaar", name) for task, name in zip(todo, names, strict=True)]
    # a record is of this data, these rules and this algorithm only
    assert prepare.record_file(version, todo, suppression.SuppressionRules(min_count=6)) != record
    assert prepare.record_file(version + "x", todo, rules) != record
    cross.GROUP_SCHOOLS += 1
    try:
        assert prepare.record_file(version, todo, rules) != record
    finally:
        cross.GROUP_SCHOOLS -= 1
    counting_code = prepare._counting_code
    monkeypatch.setattr(prepare, "_counting_code", lambda: "code that counts otherwise")
    assert prepare.record_file(version, todo, rules) != record
    monkeypatch.setattr(prepare, "_counting_code", counting_code)
    # a pattern gone from the cache folder: the counts are read again and that one table is computed again
    read.clear()
    gone = suppression.pattern_folder() / names[4]
    kept = gone.read_bytes()
    gone.unlink()
    gone.with_suffix(".cells.npz").unlink()  # the table's kept form (it holds the pattern too)
    third = prepare.prepare(demo_patterns.reading(small_region))
    assert sorted(read, key=repr) == sorted(todo, key=repr)  # read by TABLES_AT_ONCE threads, so in any order
    assert [r.status for r in third] == ["al klaar"] * 4 + ["berekend"] + ["al klaar"] * (len(todo) - 5)
    assert gone.read_bytes() == kept


def test_prepare_refuses_a_missing_database_in_dutch(tmp_path):
    done = _prepare_command(tmp_path / "geen.duckdb", tmp_path / "cache")
    assert done.returncode == 2
    assert done.stderr.startswith("Fout: De database") and "bestaat niet" in done.stderr
    assert "Traceback" not in done.stderr


def test_ctrl_c_stops_prepare_at_once_without_a_traceback(small_region, tmp_path):
    """Two tables are computed at once, on worker processes: Ctrl-C waits for neither, and no table is reported failed."""
    env = {**os.environ, "STO_CACHE_DIR": str(tmp_path / "cache"), "STO_PROTECT_WORKERS": "2"}
    # as from a terminal: Ctrl-C not ignored, even where this test runs with it ignored (a job started in the background
    # by a shell inherits SIGINT ignored, and so would prepare: the cause of two failed runs of this test)
    running = subprocess.Popen([sys.executable, "-m", "sto_metrics", "prepare", "--db", str(small_region)], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert running.stdout.readline().startswith("Beschermde tabellen voorbereiden")
    # after the first table's line, the next ones are being protected
    assert running.stdout.readline().strip().startswith("Instroom techniek vmbo")
    running.send_signal(signal.SIGINT)
    stdout, stderr = running.communicate(timeout=30)
    assert "Klaar in" not in stdout  # it was stopped, not finished
    assert running.returncode == 1
    assert stderr.strip().endswith("Afgebroken.")
    assert "Traceback" not in stderr and "mislukt" not in stdout + stderr


def test_a_table_that_fails_is_reported_and_the_others_go_on(small_region, tmp_path, fresh_process, monkeypatch, caplog):
    fresh_process(tmp_path / "cache")
    monkeypatch.setattr(prepare, "tasks", lambda con: [prepare.Task("inflow_havo_vwo"), prepare.Task("retention_vmbo")])
    original = suppression.protected_table

    def failing(cube, cells, rules):
        if cube.level == "havo-vwo":
            raise ValueError(f"synthetic failure with data {PUPIL_DATA}")
        return original(cube, cells, rules)

    monkeypatch.setattr(suppression, "protected_table", failing)
    results = prepare.prepare(demo_patterns.reading(small_region))
    assert [(r.task.metric, r.status, r.error) for r in results] == [
        ("inflow_havo_vwo", "mislukt", "ValueError"), ("retention_vmbo", "berekend", None)]
    assert "ValueError" in caplog.text and PUPIL_DATA not in caplog.text  # logged by type, never the message (it may hold data)


def test_a_page_waits_for_the_table_another_thread_is_computing_instead_of_computing_it_again(small_region, tmp_path, fresh_process,
                                                                                                monkeypatch):
    fresh_process(tmp_path / "cache")
    con = db.connect(small_region, read_only=True)
    try:
        cubes = [calculations.inflow(con, "havo-vwo").attrs["sto_cube"] for _ in range(2)]  # two requests, equal counts
    finally:
        con.close()
    years = Counter()
    held = threading.Event()
    original = cross._protect_block

    def held_back(*args, **kwargs):
        years["jaren"] += 1
        held.wait(60)  # the first computation stays busy until the second request has come in
        return original(*args, **kwargs)

    monkeypatch.setattr(cross, "_protect_block", held_back)
    tables = []

    def request(counted):
        tables.append(suppression.protected_table(counted, "inflow", suppression.SuppressionRules()))

    first = threading.Thread(target=request, args=(cubes[0],))
    first.start()
    while not years["jaren"]:
        first.join(0.01)
    second = threading.Thread(target=request, args=(cubes[1],))
    second.start()
    second.join(0.5)
    assert second.is_alive() and years["jaren"] == 1  # it waits; it does not start a protection of its own
    held.set()
    first.join(600)
    second.join(600)
    assert years["jaren"] == len(set(cubes[0].counts["school_year"]))  # each school year protected once, not twice
    assert len(tables) == 2 and tables[0].hidden.tolist() == tables[1].hidden.tolist()
    # the computing thread gets the table with its counts, the waiting one the form kept in memory
    assert {type(table).__name__ for table in tables} == {"CrossTable", "KeptTable"}


# ----------------------------------------------------------------------------- the background thread's schedule


class _Work:
    """A stand-in for the dashboard's work: records the runs, how many ran at once, and can be held until released."""

    def __init__(self, versions: dict[str, str]):
        self.versions = versions
        self.calls: list[tuple[str, str]] = []
        self.at_once = self.most_at_once = 0
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, path: str) -> str:
        with self._lock:
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
            self.calls.append((path, self.versions[path]))
        self.started.set()
        self.release.wait(30)
        with self._lock:
            self.at_once -= 1
        return self.calls[-1][1]


def test_background_prepares_each_version_once():
    work = _Work({"a.duckdb": "v1"})
    background = prepare.Background(work)
    try:
        assert background.request("a.duckdb", "v1") is True
        assert background.idle(30)
        assert background.request("a.duckdb", "v1") is False  # prepared: every later page run asks in vain
        assert background.idle(30)
        assert work.calls == [("a.duckdb", "v1")]
        assert background.prepared("a.duckdb") == "v1"
        work.versions["a.duckdb"] = "v2"
        assert background.request("a.duckdb", "v2") is True  # a load: the new version is prepared
        assert background.idle(30)
        assert work.calls == [("a.duckdb", "v1"), ("a.duckdb", "v2")]
    finally:
        background.stop()


def test_background_never_runs_twice_at_once_and_prepares_only_the_newest_waiting_version():
    work = _Work({"a.duckdb": "v1"})
    work.release.clear()
    background = prepare.Background(work)
    try:
        assert background.request("a.duckdb", "v1")
        assert work.started.wait(30)
        assert background.request("a.duckdb", "v1") is False  # being prepared
        work.versions["a.duckdb"] = "v3"
        assert background.request("a.duckdb", "v2") is True  # waits for the running one
        assert background.request("a.duckdb", "v3") is True  # replaces v2, which nobody will read any more
        assert background.request("a.duckdb", "v3") is False
        assert not background.idle(0.2)
        work.release.set()
        assert background.idle(30)
        assert work.calls == [("a.duckdb", "v1"), ("a.duckdb", "v3")]
        assert work.most_at_once == 1
        assert threading.active_count() < 50
    finally:
        background.stop()


def test_background_goes_on_after_a_failure_and_logs_only_its_type(caplog):
    calls = []

    def work(path: str) -> str:
        calls.append(path)
        if len(calls) == 1:
            raise RuntimeError(f"row of pupil {PUPIL_DATA}")
        return "v2"

    background = prepare.Background(work)
    try:
        background.request("a.duckdb", "v1")
        assert background.idle(30)
        assert background.prepared("a.duckdb") is None
        assert "RuntimeError" in caplog.text and PUPIL_DATA not in caplog.text
        background.request("a.duckdb", "v2")
        assert background.idle(30)
        assert calls == ["a.duckdb", "a.duckdb"] and background.prepared("a.duckdb") == "v2"
    finally:
        background.stop()


def test_background_sees_a_load_from_a_shell_without_a_visit():
    loaded = threading.Event()

    def changed(path: str) -> bool:  # the file differs from the copy until the copy is taken again (by the work)
        return loaded.is_set()

    work = _Work({"a.duckdb": "v1"})

    def work_taking_the_copy(path: str) -> str:
        loaded.clear()
        return work(path)

    background = prepare.Background(work_taking_the_copy, changed=changed, watch_seconds=0.05)
    try:
        background.request("a.duckdb", "v1")
        assert background.idle(30)
        work.started.clear()
        work.versions["a.duckdb"] = "v2"
        loaded.set()  # a load from a shell; no page asks
        assert work.started.wait(30)
        assert background.idle(30)
        assert background.prepared("a.duckdb") == "v2"
        threading.Event().wait(0.3)  # several more looks: nothing changed since
        assert work.calls == [("a.duckdb", "v1"), ("a.duckdb", "v2")]
    finally:
        background.stop()


# ----------------------------------------------------------------------------- the dashboard asks, once per data version


def test_the_dashboard_asks_for_each_data_version_once(make_app, small_region, prepared_cache, fresh_process, tmp_path,  # noqa: F811
                                                       monkeypatch):
    import app_support
    from sto_metrics.loading import loader, pseudonym
    from tests.loader_support import VO_HEADER, VO_ROWS, csv_text

    database = tmp_path / "regio.duckdb"
    database.write_bytes(small_region.read_bytes())
    path = str(database.resolve())
    fresh_process(prepared_cache[0])  # Overzicht, the first page, reads its tables
    asked: list[str] = []

    def work(where: str) -> str:  # what the dashboard's work sees, without protecting (test_prepare_shown does that)
        asked.append(app_support._shown(where).versions.of(prepare.PROTECTED_FAMILIES))
        return asked[-1]

    background = prepare.Background(work)
    monkeypatch.setattr(app_support, "_BACKGROUND", background)
    monkeypatch.setenv(app_support.PREPARE_ENV, "1")
    monkeypatch.setenv(pseudonym.SECRET_ENV, prebuilt.DEMO_SECRET.decode())
    try:
        app = make_app(database, "pages/subsidieaanvraag.py", timeout=300)
        assert not app.exception
        assert background.idle(60)
        app.run()
        assert background.idle(60)
        version = app_support.data_versions(path).of(prepare.PROTECTED_FAMILIES)
        assert asked == [version]  # three page runs, one preparation
        with app_support.writing(path) as con:  # a load from the Data page
            rows = [[*row[:2], "99ZZ00", "Nieuwe school", *row[4:]] for row in VO_ROWS]
            assert loader.load_bytes(con, "nieuw.csv", csv_text(VO_HEADER, rows).encode("utf-8")).loaded
        app.run()
        assert background.idle(60)
        app.run()
        assert background.idle(60)
        newer = app_support.data_versions(path).of(prepare.PROTECTED_FAMILIES)
        assert newer != version and asked == [version, newer]
    finally:
        background.stop()
        app_support.close_connection()


def test_prepare_shown_prepares_the_copy_pages_read(small_region, tmp_path, fresh_process, monkeypatch, protections):
    import app_support

    database = tmp_path / "regio.duckdb"
    database.write_bytes(small_region.read_bytes())
    path = str(database.resolve())
    fresh_process(tmp_path / "cache")
    monkeypatch.setattr(app_support, "_BACKGROUND", prepare.Background(lambda where: ""))
    monkeypatch.setattr(prepare, "tasks", lambda con: [prepare.Task("inflow_havo_vwo")])  # one small table is enough here
    try:
        found = []
        worker = threading.Thread(target=lambda: found.append(app_support._prepare_shown(path)))  # as the background thread runs it
        worker.start()
        worker.join(600)
        assert found == [app_support.data_versions(path).of(prepare.PROTECTED_FAMILIES)]
        assert protections["jaren"] > 0
        con = db.connect(small_region, read_only=True)
        try:
            counted = prepare.cube(con, prepare.Task("inflow_havo_vwo"))
        finally:
            con.close()
        rules = suppression.SuppressionRules()
        assert suppression._keys(counted, "inflow", rules)[0] in suppression._TABLES  # in memory: the next page takes it as it is
        assert suppression.pattern_file(counted, "inflow", rules).is_file()  # and on disk: a restarted server reads it
    finally:
        app_support.close_connection()


def test_the_dashboard_prepares_nothing_when_switched_off(monkeypatch):
    import app_support

    monkeypatch.setenv(app_support.PREPARE_ENV, "0")
    versions = app_support.DataVersions((("enrolments", "1"), ("activities", "1"), ("national", "1")))
    assert app_support.prepare_in_background("x.duckdb", versions) is False


# ----------------------------------------------------------------------------- the demo's shipped patterns


@pytest.fixture(scope="module")
def shipped() -> dict[str, np.ndarray]:
    """The shipped patterns by name (without the record that they are the demo's every table)."""
    with np.load(prebuilt.SHIPPED_PATTERNS, allow_pickle=False) as patterns:
        return {name: patterns[name] for name in patterns.files if not name.startswith("voorbereid-")}


def test_a_fresh_demo_server_knows_every_table_is_ready_without_reading_counts(demo_database_path, shipped, tmp_path,
                                                                               fresh_process, monkeypatch):
    fresh_process(tmp_path / "cache")
    prebuilt.seed_patterns()
    read = _counting_cubes(monkeypatch)
    done = prepare.prepare(demo_patterns.reading(demo_database_path))
    con = db.connect(demo_database_path, read_only=True)
    try:
        todo = prepare.tasks(con)
    finally:
        con.close()
    # the shipped record matches the demo database built here and this code
    assert read == [], "the record in data/demo-patronen.npz is not current: run python -m tests.demo_patterns"
    assert [result.task for result in done] == todo and {result.status for result in done} == {"al klaar"}
    assert {Path(result.pattern).stem for result in done} <= set(shipped)


def test_shipped_demo_patterns_are_exactly_those_the_demo_needs(demo_database_path, shipped, tmp_path, fresh_process, monkeypatch):
    fresh_process(tmp_path / "cache")
    assert prebuilt.seed_patterns() == len(shipped)
    read: list[str] = []
    original = cross._read_pattern

    def recording(cache_key, cells):
        found = original(cache_key, cells)
        if found is not None:
            read.append(cross._pattern_file(cache_key).stem)
        return found

    def refuse(*args, **kwargs):
        raise AssertionError("data/demo-patronen.npz is not current: run python -m tests.demo_patterns")

    monkeypatch.setattr(cross, "_read_pattern", recording)
    monkeypatch.setattr(cross, "_protect_block", refuse)
    rules = suppression.SuppressionRules()
    con = db.connect(demo_database_path, read_only=True)
    try:
        todo = prepare.tasks(con)
        for task in todo:  # what a page or command of each does: every table from the cache folder, none computed
            suppression.protected_table(prepare.cube(con, task), task.cells, rules)
    finally:
        con.close()
    assert len(read) > len(todo)  # the activity table's own inflow table too
    assert sorted(read) == sorted(shipped)  # each read once, and nothing shipped that the demo does not use


def test_shipped_patterns_apply_to_no_other_data(small_region, shipped):
    assert not set(demo_patterns.pattern_names(small_region)) & set(shipped)


def test_a_shipped_pattern_is_what_the_demo_computes(demo_database_path, shipped, tmp_path, fresh_process):
    fresh_process(tmp_path / "cache")
    con = db.connect(demo_database_path, read_only=True)
    try:
        for metric in ("inflow_vmbo", "inflow_havo_vwo", "retention_vmbo"):
            counted, cells = prepare.cube(con, prepare.Task(metric)), registry.get(metric).cells
            name = suppression.pattern_file(counted, cells, suppression.SuppressionRules()).stem
            computed = suppression.protected_table(counted, cells, suppression.SuppressionRules()).hidden
            assert computed.any()
            assert np.array_equal(shipped[name], computed)
    finally:
        con.close()


def test_the_demo_seeds_its_patterns_once_and_a_fresh_server_computes_none(demo_database_path, shipped, tmp_path, fresh_process,
                                                                           monkeypatch):
    fresh_process(tmp_path / "cache")
    assert prebuilt.seed_patterns() == len(shipped)
    assert prebuilt.seed_patterns() == 0
    assert sorted(p.stem for p in suppression.pattern_folder().glob("*.npy")) == sorted(shipped)

    def refuse(*args, **kwargs):
        raise AssertionError("computed although shipped")

    monkeypatch.setattr(cross, "_protect_block", refuse)
    con = db.connect(demo_database_path, read_only=True)
    try:
        assert all(suppression.is_prepared(prepare.cube(con, task), task.cells, suppression.SuppressionRules())
                   for task in prepare.tasks(con))
        published.table(con, "progression_vmbo", by="school", settings=MetricSettings(progression_denominator="all_graduates"))
        published.flow(con, prepare._flow_start_years(catalog.school_years(con))[0])
    finally:
        con.close()


def test_a_summary_line_writes_its_seconds_in_dutch_and_leaves_the_rest_alone():
    task = prepare.Task("inflow_vmbo")
    assert prepare.summary_line(prepare.Prepared(task, "berekend", 1234.56)) == f"{task.label_nl}: berekend (1.234,6 s)"
    failed = prepare.Prepared(task, "mislukt", 0.04, error="duckdb.IOException")
    assert prepare.summary_line(failed) == f"{task.label_nl}: mislukt (duckdb.IOException) (0,0 s)"
