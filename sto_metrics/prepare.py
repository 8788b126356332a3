"""Protected tables prepared ahead: every table the dashboard and the command line can publish, for the data loaded now.

Each figure family has one protected table per content of its inner cells (privacy/cross.py), and every view of it (region
or school, split, leerweg, gender, school, both definition settings) selects cells of that one table. So one table per
cell model and level, and one per start year of the cohort flow, covers everything a page or command can ask for; its
pattern is kept in the cache folder (paths.cache_dir()), where a page, a command or a restarted dashboard reads it back.

`prepare()` computes them in the order of the dashboard's menu (most visited first); `python -m sto_metrics prepare` and
the dashboard's background thread (`Background`) run it. Nothing computed here leaves the engine: the results say only
which table was prepared and how long it took.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sto_metrics import db, paths, published, schoolyear
from sto_metrics.metrics import catalog, registry
from sto_metrics.metrics.calculations import Cube
from sto_metrics.presentation import formatting
from sto_metrics.privacy import cross, suppression, workers

LOG = logging.getLogger("sto_metrics.prepare")
# The dashboard's menu, most visited first: a table is prepared in the order of the first page that shows it.
PAGE_ORDER = ("overzicht", "instroom", "doorstroom", "mijn_school", "ambities", "activiteiten", "subsidieaanvraag")
FLOW = "cohort_flow"
# The table families protected tables are computed from: a load of another kind (DUO's files) changes none of them.
PROTECTED_FAMILIES = registry.reads_of(registry.METRICS.values())
# Tables protected at once when there are protection workers (privacy/workers.py): two tables of one school year each
# (start years of the cohort flow) keep two workers busy; more would hold more tables in memory and keep a page's
# own table waiting longer for a worker.
TABLES_AT_ONCE = 2
STOP_SECONDS = 30.0  # after Ctrl-C, how long the step each table is in (a read of its counts) may take to end

Reading = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@dataclass(frozen=True)
class Task:
    """One protected table: the first figure (in menu order) that publishes from it, and for the cohort flow its start year."""

    metric: str
    start_year: int | None = None
    also: tuple[str, ...] = ()  # the other figures published from the same table

    @property
    def cells(self) -> str:
        """The cell model of its table (privacy.suppression.CROSS_MODELS)."""
        return registry.get(self.metric).cells

    @property
    def label_nl(self) -> str:
        label = " en ".join(registry.get(name).label_nl for name in (self.metric, *self.also))
        return f"{label}, startjaar {schoolyear.label(self.start_year)}" if self.start_year is not None else label


@dataclass(frozen=True)
class Prepared:
    """What preparing one table did: 'berekend', 'al klaar', 'geen gegevens' or 'mislukt' (error: the exception's type)."""

    task: Task
    status: str
    seconds: float
    error: str | None = None
    pattern: str | None = None  # the file name of its pattern in the cache folder (not for 'geen gegevens' or 'mislukt')


def _page_rank(metric: registry.Metric) -> int:
    return min((PAGE_ORDER.index(page) for page in metric.pages if page in PAGE_ORDER), default=len(PAGE_ORDER))


def _flow_start_years(years: list[int]) -> list[int]:
    """The Doorstroom page's start years (vo data of the next year loaded), its default first (destinations known), then
    the newest first."""
    loaded = set(years)
    offered = [year for year in years if year + 1 in loaded]
    default = max((year for year in offered if year + 3 in loaded), default=offered[0] if offered else None)
    return sorted(offered, key=lambda year: (year != default, -year))


def _table_of(metric: registry.Metric) -> tuple[str, str]:
    """The protected table a figure publishes from: its cell model and the level that table is built at."""
    return metric.cells, suppression.CROSS_MODELS[metric.cells].level or metric.level


def tasks(con: duckdb.DuckDBPyConnection) -> list[Task]:
    """Every protected table of the data loaded now, once each (figures that share a table share its task), menu order."""
    tables: dict[tuple[str, str], list[registry.Metric]] = {}
    for metric in registry.METRICS.values():
        if metric.compute is not None:
            tables.setdefault(_table_of(metric), []).append(metric)
    # the first page of any figure on a table decides its place
    found = [(min(map(_page_rank, sharing)), position, Task(sharing[0].name, also=tuple(m.name for m in sharing[1:])))
             for position, sharing in enumerate(tables.values())]
    flow_rank = _page_rank(registry.get(FLOW))
    flows = [(flow_rank, len(registry.METRICS) + n, Task(FLOW, year))
             for n, year in enumerate(_flow_start_years(catalog.school_years(con)))]
    # the flow's default start year is on the page beside destinations; its other years only when chosen, so last
    ordered = sorted(found + flows[:1], key=lambda item: item[:2]) + flows[1:]
    return [task for *_, task in ordered]


def cube(con: duckdb.DuckDBPyConnection, task: Task) -> Cube:
    """The inner cells of a task's table, as the figure that publishes from it counts them (no number leaves here)."""
    if task.start_year is not None:
        nodes, _ = published.exact_flow(con, task.start_year)
        return nodes.attrs["sto_cube"]
    metric = registry.get(task.metric)
    return published.exact_table(con, task.metric, by=metric.scopes[0]).attrs["sto_cube"]


def prepare_one(reading: Reading, task: Task, rules: suppression.SuppressionRules) -> Prepared:
    """Prepare one table: its counts read on a connection held only for that query, the protection outside it (and kept in
    this process's memory too, for the pages)."""
    started = time.perf_counter()
    try:
        with reading() as con:
            counted = cube(con, task)
        cells = task.cells
        if counted.counts.empty:
            return Prepared(task, "geen gegevens", time.perf_counter() - started)
        pattern = suppression.pattern_file(counted, cells, rules).name
        if suppression.is_prepared(counted, cells, rules):
            # left in the cache folder: a page reads it when it needs it, and a fresh server's first visit has the CPU
            return Prepared(task, "al klaar", time.perf_counter() - started, pattern=pattern)
        suppression.protected_table(counted, cells, rules)
        return Prepared(task, "berekend", time.perf_counter() - started, pattern=pattern)
    except workers.WorkerLost:  # the workers were stopped (Ctrl-C, the process ends): nothing went wrong with the table
        return Prepared(task, "mislukt", time.perf_counter() - started, "WorkerLost")
    except Exception as error:  # a table that fails is computed again when a page asks for it; the others go on
        # by type and place only: an exception's text may hold data
        LOG.error("Voorbereiden van %s mislukt: %s\n%s", task.label_nl, type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
        return Prepared(task, "mislukt", time.perf_counter() - started, type(error).__name__)


def prepare(reading: Reading, *, rules: suppression.SuppressionRules | None = None,
            progress: Callable[[Prepared], None] | None = None) -> list[Prepared]:
    """Prepare every protected table of the data `reading()` shows, most visited first; returns what each one did.

    `reading()` gives a read-only connection (a context manager): it is held only while counts are read, never during
    the protection itself, so a reader that swaps databases (the dashboard) is never held up for long."""
    rules = rules or suppression.SuppressionRules()
    with reading() as con:
        todo = tasks(con)
        record = record_file(_data_version(con), todo, rules)
    done = _recorded(record, todo)
    if done is not None:  # prepared before for this very data (a restarted dashboard): not one count is read again
        for result in done:
            if progress:
                progress(result)
        return done
    if min(workers.worker_count(), TABLES_AT_ONCE, len(todo)) < 2:
        done = []
        for task in todo:
            done.append(prepare_one(reading, task, rules))
            if progress:
                progress(done[-1])
    else:
        done = _side_by_side(todo, reading, rules, progress)
    _write_record(record, done)
    return done


def record_file(data_version: str, todo: list[Task], rules: suppression.SuppressionRules) -> Path:
    """Where a finished preparation of this data (the protected families' catalog.data_versions: equal means the same
    loads and reference tables) is recorded, beside the patterns: the name holds the data, the tasks, the rules, the
    algorithm and the code that counts (an upgrade that counts otherwise has other patterns to prepare)."""
    key = json.dumps([data_version, [[task.metric, task.start_year, list(task.also)] for task in todo], repr(rules),
                      cross.algorithm(), _counting_code()])
    return suppression.pattern_folder() / f"voorbereid-{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


@functools.cache
def _counting_code() -> str:
    """A digest of the engine's SQL and the Python that turns its results into a table's counts."""
    engine = Path(__file__).parent
    files = sorted([*(engine / "sql").glob("*.sql"), *(engine / "metrics").glob("*.py"), engine / "published.py"])
    return hashlib.sha256(b"".join(file.read_bytes() for file in files)).hexdigest()


def _data_version(con: duckdb.DuckDBPyConnection) -> str:
    """The version of what the protected tables read (a load of DUO's files keeps it), and a fingerprint of the rows
    the loads stored (the same files loaded with other aliases or another --kind give other rows)."""
    versions = catalog.data_versions(con)
    return "|".join(f"{family}={versions[family]}" for family in PROTECTED_FAMILIES) + "|rows=" + db.rows(con, "rows_fingerprint")[0][0]


def _recorded(record: Path, todo: list[Task]) -> list[Prepared] | None:
    """The tasks as 'al klaar' when the record lists a pattern (or no data) for each and every pattern is still there."""
    try:
        patterns = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(patterns, list) or len(patterns) != len(todo):
        return None
    folder = record.parent
    if not all(name is None or (isinstance(name, str) and (folder / Path(name).name).is_file()) for name in patterns):
        return None  # a pattern was removed from the cache folder: prepare as usual
    return [Prepared(task, "al klaar" if name else "geen gegevens", 0.0, pattern=name) for task, name in zip(todo, patterns, strict=True)]


def _write_record(record: Path, done: list[Prepared]) -> None:
    """Record a preparation in which every table was prepared (or had no data); a failed table records nothing."""
    if any(result.status not in ("berekend", "al klaar", "geen gegevens") for result in done):
        return
    try:
        paths.write_whole(record, lambda out: out.write(json.dumps([result.pattern for result in done]).encode()))
    except OSError:  # a cache folder that cannot be written: the next start reads the counts again
        return


def _side_by_side(todo: list[Task], reading: Reading, rules: suppression.SuppressionRules,
                  progress: Callable[[Prepared], None] | None) -> list[Prepared]:
    """TABLES_AT_ONCE tables at a time on daemon threads, their counts read one table at a time; results are reported in
    menu order. A process that ends waits for none of them; a Ctrl-C stops the workers, starts nothing new and lets each
    thread end the step it is in (within STOP_SECONDS)."""
    serial = threading.Lock()

    @contextmanager
    def one_reader() -> Iterator[duckdb.DuckDBPyConnection]:
        with serial, reading() as con:  # a read-only database opens once per process: one reader at a time
            yield con

    results: list[Prepared | None] = [None] * len(todo)
    finished = [threading.Event() for _ in todo]
    following = iter(range(len(todo)))
    taking = threading.Lock()
    cancelled = threading.Event()

    def take_tables() -> None:
        while not cancelled.is_set():
            with taking:
                number = next(following, None)
            if number is None:
                return
            try:
                results[number] = prepare_one(one_reader, todo[number], rules)
            except BaseException as error:  # prepare_one reports its errors: this is only so that nobody waits forever
                results[number] = Prepared(todo[number], "mislukt", 0.0, type(error).__name__)
            finally:
                finished[number].set()

    threads = [threading.Thread(target=take_tables, name="sto-voorbereiden", daemon=True) for _ in range(TABLES_AT_ONCE)]
    for thread in threads:
        thread.start()
    done = []
    try:
        for number in range(len(todo)):
            finished[number].wait()
            done.append(results[number])
            if progress:
                progress(done[-1])
    except KeyboardInterrupt:  # Ctrl-C on `prepare`: the tables on workers end with them, nothing new starts
        cancelled.set()
        workers.stop()
        # a thread still reading counts when the interpreter ends would abort it (DuckDB torn down under the query):
        # let each finish the step it is in (a read, or a table too small for the workers), within a bound
        deadline = time.monotonic() + STOP_SECONDS
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        raise
    return done


class Background:
    """One thread per process that prepares the tables of each data version it is told of, never two at once.

    `request(path, version)` is cheap and never waits: a version already prepared, being prepared or waiting is not
    asked again; a newer version of the same database replaces one that waits. `work(path)` prepares what `path` shows
    now and returns the version it prepared. With `changed(path)`, the thread also looks every `watch_seconds` whether
    a database it prepared has changed since (a load from a shell while nobody visits) and prepares it again then.
    """

    def __init__(self, work: Callable[[str], str], *, changed: Callable[[str], bool] | None = None, watch_seconds: float = 30.0):
        self._work = work
        self._changed = changed
        self._watch_seconds = watch_seconds
        self._state = threading.Condition()
        self._wanted: dict[str, str | None] = {}  # path -> version asked for (None: whatever it shows now)
        self._running: tuple[str, str | None] | None = None
        self._done: dict[str, str] = {}  # path -> version last prepared
        self._thread: threading.Thread | None = None
        self._stopping = False

    def request(self, path: str, version: str) -> bool:
        """Ask for `path`'s tables at `version`; True when that is new work (the thread starts if it was not running)."""
        with self._state:
            if version in (self._done.get(path), self._wanted.get(path)) or self._running == (path, version):
                return False
            self._wanted[path] = version
            self._start()
            self._state.notify_all()
            return True

    def _start(self) -> None:
        if self._thread is None and not self._stopping:
            self._thread = threading.Thread(target=self._run, name="sto-voorbereiden", daemon=True)
            self._thread.start()

    def _next(self) -> tuple[str, str | None] | None:
        """The next database to prepare (waiting, or changed since); None when the thread should end."""
        with self._state:
            while not self._stopping:
                for path, version in list(self._wanted.items()):
                    del self._wanted[path]
                    if version is None or version != self._done.get(path):
                        self._running = (path, version)
                        return self._running
                if self._changed is None:
                    break
                self._state.wait(self._watch_seconds)
                if not self._wanted and not self._stopping:
                    self._wanted.update({path: None for path in self._watched_changes()})
            self._thread = None
            return None

    def _watched_changes(self) -> list[str]:
        changed = []
        for path in list(self._done):
            try:
                if self._changed(path):
                    changed.append(path)
            except Exception as error:  # a database that went away: nothing to prepare
                LOG.warning("Controle op nieuwe gegevens mislukt: %s", type(error).__name__)
        return changed

    def _run(self) -> None:
        workers.lower_priority()  # visitors' pages first: this thread, its helpers and workers it starts yield the CPU
        while (job := self._next()) is not None:
            path, _ = job
            version = None
            try:
                version = self._work(path)
            except Exception as error:  # never in front of a user; the next request or change tries again
                LOG.error("Voorbereiden mislukt: %s\n%s", type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
            with self._state:
                self._running = None
                if version is not None:
                    self._done[path] = version
                self._state.notify_all()

    def idle(self, timeout: float) -> bool:
        """Wait until nothing runs or waits (tests, benchmarks); True when idle within `timeout` seconds."""
        with self._state:
            return self._state.wait_for(lambda: self._running is None and not self._wanted, timeout)

    def stop(self) -> None:
        """End the thread once its current work is done (tests)."""
        with self._state:
            self._stopping = True
            thread = self._thread
            self._state.notify_all()
        if thread is not None:
            thread.join()

    def prepared(self, path: str) -> str | None:
        """The version of `path` last prepared, or None."""
        with self._state:
            return self._done.get(path)


def summary_line(result: Prepared) -> str:
    """One Dutch line of what preparing a table did (the command line prints them)."""
    status = f"mislukt ({result.error})" if result.error else result.status
    return f"{result.task.label_nl}: {status} ({formatting.number(result.seconds, 1)} s)"
