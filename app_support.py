"""Dashboard plumbing shared by dashboard.py and pages/: the data source, the one cached
DuckDB connection, cached display-safe tables, the shared sidebar and the figure panel.

Only tables that went through sto_metrics.published leave this module; pages never see exact
counts. Every query runs on its own cursor (DuckDB connections are not thread-safe and
Streamlit runs each session in its own thread).
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import glob
import hashlib
import itertools
import logging
import os
import re
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from sto_metrics import access, audit, db, prepare, published, roles, schoolyear
from sto_metrics.errors import UserError
from sto_metrics.loading import reference
from sto_metrics.metrics import catalog, registry
from sto_metrics.presentation import charts, display_tables, tabular
from sto_metrics.presentation import formatting as fmt
from sto_metrics.privacy import suppression
from sto_metrics.settings import MetricSettings, PopulationFilter

_T = TypeVar("_T")
DB_ENV = "STO_DB"
db.keep_files_private()  # the dashboard's databases, their WAL and ambities.csv are not for other users
RULES = suppression.SuppressionRules()
FIRST_STO_YEAR = 2020  # the first STO period started in school year 2020-2021
CACHE_TTL_SECONDS = 3600
CONTEXT_KEY = "_sto_context"
TABLES_KEY = "tabellen"  # the sidebar's choice: every figure panel opens on its table
DEFINITIONS_KEY = "definities"  # the sidebar's expander of definition and view settings
SETTING_DEFAULTS = {"dp": False, "havovwo": "nt", "noemer": "enrolled_mbo", TABLES_KEY: False}  # its widgets' defaults

# One leerweg and one gender group or all: a filter selects cells of the protected table (docs/domain.md, privacy).
LEERWEG_OPTIONS = {"": "alle leerwegen", "BB": "BB", "KB": "KB", "GL": "GL", "TL": "TL"}
GENDER_OPTIONS = {"": "alle leerlingen", **registry.GENDER.values}
HAVO_VWO_OPTIONS = {"nt": "profiel met NT (CBS)", "n": "elk N-profiel (Techniekpact)"}
DENOMINATOR_OPTIONS = {"enrolled_mbo": "wie naar het mbo ging (Techniekpact)", "all_graduates": "alle gediplomeerden"}
LEVEL_OPTIONS = {"vmbo": "vmbo", "havo-vwo": "havo/vwo"}


# ----------------------------------------------------------------------------- data source


@dataclass(frozen=True)
class Source:
    """Which database the app shows: the region's own (STO_DB) or the bundled demo."""

    path: str
    is_demo: bool


def source() -> Source:
    """STO_DB when set, else the demo database (built from data/demo/ on first use)."""
    configured = os.environ.get(DB_ENV, "").strip()
    if configured:
        return Source(str(Path(configured).expanduser().resolve()), False)
    return Source(_demo_database(), True)


@st.cache_resource(show_spinner="Demodatabase wordt opgebouwd…")
def _demo_database() -> str:
    from sto_metrics.demo import prebuilt

    with _WRITING:  # its writable open may number an older demo's pupils: not beside a Data-page write in this process
        return str(prebuilt.ensure_demo_database())


class _SwapLock:
    """Many cursors at once, or one database swap: a swap waits for running queries and holds new ones back.

    A thread that already holds a cursor may take another (pages nest them) even while a swap waits.
    """

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._readers = 0
        self._swapper: int | None = None
        self._depth = threading.local()

    def depth(self) -> int:
        """How many cursors this thread holds."""
        return getattr(self._depth, "n", 0)

    @contextmanager
    def reading(self) -> Iterator[None]:
        depth = self.depth()
        me = threading.get_ident()
        with self._state:
            if depth == 0:
                self._state.wait_for(lambda: self._swapper in (None, me))
            self._readers += 1
        self._depth.n = depth + 1
        try:
            yield
        finally:
            self._depth.n = depth
            with self._state:
                self._readers -= 1
                self._state.notify_all()

    @contextmanager
    def swapping(self) -> Iterator[None]:
        if self.depth():
            raise RuntimeError("a database swap inside a cursor would wait for itself")
        with self._state:
            self._state.wait_for(lambda: self._swapper is None)
            self._swapper = threading.get_ident()
            self._state.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._state:
                self._swapper = None
                self._state.notify_all()


_SWAP = _SwapLock()


@dataclass(frozen=True)
class _Open:
    """This process's read-only copy of a database: its connection, its file, the source state it shows and its data versions."""

    con: duckdb.DuckDBPyConnection
    snapshot: Path
    shown: tuple
    versions: DataVersions


_OPEN: dict[str, _Open] = {}
_BUILDING = threading.Lock()  # one snapshot build at a time in this process
_WRITING = threading.Lock()  # one writer per process; DuckDB's file lock makes it one writer in all
_BUSY_UNTIL: dict[str, float] = {}  # when the file was busy (a load from the shell): read the old copy until then
_SNAPSHOT_TAG = ".lezen-"
OPEN_COPIES = 4  # databases open at once (the demo, STO_DB, tests' own)
WRITE_WAIT_SECONDS = 60  # a user at the Data page waits this long for a load from the shell


def _snapshot_name(path: str) -> Path:
    master = Path(path)
    folder = master.parent if os.access(master.parent, os.W_OK) else Path(tempfile.gettempdir())
    return folder / f".{master.name}{_SNAPSHOT_TAG}{os.getpid()}-{next(_SNAPSHOT_NUMBERS)}"


_SNAPSHOT_NUMBERS = itertools.count(1)


def _remove_snapshot(snapshot: Path) -> None:
    for file in (snapshot, Path(str(snapshot) + access.WAL_SUFFIX)):
        file.unlink(missing_ok=True)


def _remove_orphans(path: str) -> None:
    """Snapshots left by dashboard processes that were killed (their process id is gone)."""
    master = Path(path)
    for found in master.parent.glob(f".{glob.escape(master.name)}{_SNAPSHOT_TAG}*"):
        pid = found.name.rsplit(_SNAPSHOT_TAG, 1)[1].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not db.process_running(int(pid)):
            found.unlink(missing_ok=True)


def _open_snapshot(path: str, *, wait_seconds: float) -> _Open:
    """Copy the database (creating it first if needed) and open the copy read-only, with fresh reference tables."""
    if not Path(path).exists():
        with writing(path) as con:  # STO_DB names a new file: create it with the schema
            del con
    snapshot = _snapshot_name(path)
    try:
        shown = access.copy(path, snapshot, wait_seconds=wait_seconds, on_busy=_busy_notice)
        # The region's reference CSVs are re-read at every open (so edited ones take effect), in the private copy.
        reference.open_database(snapshot).close()
        con = db.connect(snapshot, read_only=True)
        # The copy never changes, so its versions are read once here, not at every page run.
        versions = DataVersions(tuple(catalog.data_versions(con).items()))
    except BaseException:
        _remove_snapshot(snapshot)
        raise
    return _Open(con, snapshot, shown, versions)


def _busy_notice(message: str) -> None:
    """The wait for a busy database in front of the user who waits (no-op outside a page run)."""
    if get_script_run_ctx() is not None:
        st.toast(message, icon=":material/hourglass_top:")


def _current(path: str) -> _Open:
    held = _OPEN.get(path)
    if held is not None:
        return held
    with _BUILDING:
        if path not in _OPEN:
            _remove_orphans(path)
            fresh = _open_snapshot(path, wait_seconds=access.COMMAND_LINE_WAIT_SECONDS)
            with _SWAP.swapping():
                dropped = [_OPEN.pop(old) for old in list(_OPEN)[: max(0, len(_OPEN) - OPEN_COPIES + 1)]]
                _OPEN[path] = fresh
            for held in dropped:
                held.con.close()
                _remove_snapshot(held.snapshot)
        return _OPEN[path]


def _refresh(path: str) -> None:
    """Take a new copy when the database changed (after a copy another thread is taking), unless a writer holds the file."""
    held = _OPEN.get(path)
    if held is None or held.shown == access.state(path) or time.monotonic() < _BUSY_UNTIL.get(path, 0):
        return
    with _BUILDING:  # another session may be copying: wait for it, so a session always reads what it wrote itself
        held = _OPEN.get(path)
        if held is None or held.shown == access.state(path):
            return
        try:
            fresh = _open_snapshot(path, wait_seconds=0)
        except UserError:  # busy: a load from the shell is running; show what was there before
            _BUSY_UNTIL[path] = time.monotonic() + access.RETRY_SECONDS
            return
        with _SWAP.swapping():
            old = _OPEN.get(path)
            _OPEN[path] = fresh
        if old is not None:
            old.con.close()
            _remove_snapshot(old.snapshot)


def _shown(path: str) -> _Open:
    """The copy a new read sees now (taking a new one first when the database changed)."""
    _current(path)
    _refresh(path)
    return _current(path)


# The inner cells of the figures read from this process's copies (a few MB each; 17 MB for a national family).
_SHARED_CELLS = db.SharedResults(max_entries=24)  # a copy's five families and its cohort flow's start years


@contextmanager
def cursor(path: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh read-only cursor on this process's copy of the database, the newest copy when the file changed."""
    path = path or source().path
    nested = _SWAP.depth() > 0  # a thread that already reads one copy keeps reading it
    while True:
        if not nested:  # built outside the read lock: a copy being dropped waits for readers
            _current(path)
            _refresh(path)
        with _SWAP.reading():
            held = _current(path) if nested else _OPEN.get(path)
            if held is None:
                continue  # dropped meanwhile (close_connection): open again
            cur = held.con.cursor()
            try:
                with db.sharing(_SHARED_CELLS):  # a copy never changes: its inner cells are read once for every view
                    yield cur
            finally:
                cur.close()
            return


@contextmanager
def writing(path: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived writable connection to the database itself; waits (with a Dutch notice) while another process writes.

    Sessions of this process write one at a time, so two uploads of one file never both pass the duplicate check.
    """
    path = path or source().path
    with _WRITING:
        con = access.open_writable(path, wait_seconds=WRITE_WAIT_SECONDS, on_busy=_busy_notice)
        try:
            yield con
        finally:
            con.close()
            _BUSY_UNTIL.pop(path, None)  # free now: this session's next read copies what it wrote


def close_connection() -> None:
    """Drop the open copies and every cached table, once running queries are done."""
    with _BUILDING, _SWAP.swapping():
        for held in _OPEN.values():
            held.con.close()
            _remove_snapshot(held.snapshot)
        _OPEN.clear()
        _BUSY_UNTIL.clear()
    _cached_table.clear()
    _options.clear()
    _SHARED_CELLS.clear()


atexit.register(lambda: [_remove_snapshot(held.snapshot) for held in list(_OPEN.values())])


def _swap_in(built: Path, target: Path) -> None:
    """Put a finished database in place: sessions read their copy meanwhile, the next cursor copies the new file."""
    with _WRITING:
        os.replace(built, target)


def reset_demo_database() -> None:
    """Rebuild the demo database from data/demo/ (only ever the demo file, never STO_DB)."""
    from sto_metrics.demo import prebuilt

    src = source()
    if not src.is_demo:
        raise UserError("Alleen de demodatabase kan worden hersteld.")
    prebuilt.build(Path(src.path), prebuilt.DEMO_DIR, swap=_swap_in)
    with writing(src.path) as con:
        audit.record(con, who(), audit.DEMO_RESET, Path(src.path).name)


# ----------------------------------------------------------------------------- sign-in and roles (the one place roles are checked)


LOCAL_ROLE = roles.Role(roles.MANAGER)  # sign-in off: one local user on a laptop, who may do everything
ROLE_KEY = "_sto_role"
ROLE_LABELS = {roles.MANAGER: "beheerder", roles.READER: "lezer", roles.SCHOOL: "schoolcoördinator"}


def sign_in_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section: then every page needs sign-in."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _provider() -> str | None:
    """The provider name for st.login: None for a flat [auth], else the first [auth.<name>] section."""
    auth = st.secrets["auth"]
    named = [name for name, value in auth.items() if hasattr(value, "items")]
    return None if "client_id" in auth or not named else named[0]


def current_role() -> roles.Role | None:
    """The role of whoever runs this session; None when signed in without a role (or not signed in)."""
    if not sign_in_configured():
        return LOCAL_ROLE
    if not st.user.is_logged_in:
        return None
    return roles.role_for(st.user.get("email"), roles.read_roles())


def role() -> roles.Role:
    """The role gate() let through this run (pages ask this, never st.user)."""
    found = st.session_state.get(ROLE_KEY)
    return found if isinstance(found, roles.Role) else (current_role() or roles.Role(roles.READER))


def gate() -> roles.Role:
    """Let a user with a role through (and show who it is); anyone else gets the sign-in or 'geen toegang' page and the run stops.

    Nothing from the database is drawn before this: no figure, no table, no school name.
    """
    if not sign_in_configured():
        st.session_state[ROLE_KEY] = LOCAL_ROLE
        st.sidebar.warning("Inloggen staat uit: iedereen die dit adres kan openen, ziet en wijzigt alles. Prima op je eigen "
                           "computer; zet het aan voordat het dashboard op een server staat (README, 'Op een server').",
                           icon=":material/lock_open:")
        return LOCAL_ROLE
    if not st.user.is_logged_in:
        st.session_state.pop(ROLE_KEY, None)
        st.navigation([st.Page(_sign_in_page, title="Inloggen", url_path="inloggen")], position="hidden").run()
        st.stop()
    try:
        found = current_role()
    except UserError as error:  # a broken roles file: its line and column, and nobody in until it is fixed
        user_error(error)
        st.stop()
    if found is None:
        st.session_state.pop(ROLE_KEY, None)
        st.navigation([st.Page(_no_access_page, title="Geen toegang", url_path="geen-toegang")], position="hidden").run()
        st.stop()
    st.session_state[ROLE_KEY] = found
    with st.sidebar:
        label = ROLE_LABELS[found.name] + (f" {found.school_id}" if found.school_id else "")
        st.caption(f"Ingelogd als {md_escape(st.user.get('email') or '')} ({label}).")
        if st.button("Uitloggen", key="uitloggen", icon=":material/logout:"):
            st.logout()
    return found


def _sign_in_page() -> None:
    st.title("Sterk Techniekonderwijs")
    st.write("Dit dashboard toont cijfers over de leerlingen van de scholen in de regio. Log in met je account van school of bestuur.")
    if st.button("Inloggen", type="primary", key="inloggen", icon=":material/login:"):
        st.login(_provider())


def _no_access_page() -> None:
    st.title("Geen toegang")
    st.write(f"Je bent ingelogd als {md_escape(st.user.get('email') or 'onbekend')}, maar dit adres staat niet in de lijst van wie "
             "het dashboard mag gebruiken. Vraag de beheerder van het dashboard in je regio om je toe te voegen.")
    if st.button("Uitloggen", key="uitloggen_geen_toegang", icon=":material/logout:"):
        st.logout()


def who() -> str:
    """Who acts, for the audit log: the signed-in address, or the local user when sign-in is off."""
    if sign_in_configured() and st.user.is_logged_in:
        return str(st.user.get("email") or "onbekend")
    return "lokaal (inloggen uit)"


def require_manager() -> None:
    """Stop a page that only a beheerder may use (the menu hides it; a direct link ends here)."""
    if not role().manages:
        st.error("Deze pagina is alleen voor de beheerder van het dashboard.", icon=":material/block:")
        st.stop()


# ----------------------------------------------------------------------------- cached tables


# A view whose protected table the background thread has not prepared yet computes it (up to a minute for destinations).
PROTECTING = "Cijfers berekenen en kleine aantallen afschermen…"

# Display-safe tables are shared between sessions (st.cache_resource: no pickling at every hit, as st.cache_data does);
# readers get a shallow copy, which copy-on-write keeps from changing the shared one.


@st.cache_resource(max_entries=512, ttl=CACHE_TTL_SECONDS, show_spinner=PROTECTING)
def _cached_table(path: str, version: str, metric: str, by: str, split: str | None,
                  settings_key: tuple, population_key: tuple) -> pd.DataFrame:
    """One display-safe table of a declared figure; `version` makes a new load invalidate the entry."""
    with cursor(path) as cur:
        return published.table(cur, metric, by=by, split=split, settings=MetricSettings(*settings_key),
                               population=PopulationFilter(*population_key), rules=RULES)


@st.cache_resource(max_entries=128, ttl=CACHE_TTL_SECONDS, show_spinner=PROTECTING)
def _cached_flow(path: str, version: str, start_year: int, school_id: str | None, settings_key: tuple,
                 population_key: tuple = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    with cursor(path) as cur:
        return published.flow(cur, start_year, school_id=school_id, settings=MetricSettings(*settings_key),
                              population=PopulationFilter(*population_key), rules=RULES)


@st.cache_resource(max_entries=16, ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _options(path: str, version: str) -> tuple[tuple[int, ...], pd.DataFrame]:
    with cursor(path) as cur:
        return tuple(catalog.school_years(cur)), catalog.schools(cur)


@dataclass(frozen=True)
class DataVersions:
    """What is loaded, per table family (catalog.FAMILIES): a cache keys on the families it reads, so a load of another keeps it."""

    by_family: tuple[tuple[str, str], ...]

    def of(self, families: Sequence[str]) -> str:
        """The cache key part for what reads these families."""
        found = dict(self.by_family)
        return "|".join(f"{family}={found[family]}" for family in families)

    @property
    def everything(self) -> str:
        return self.of(catalog.FAMILIES)


def data_versions(path: str) -> DataVersions:
    """The data versions of the copy this run reads (read when the copy was taken: no query per run)."""
    return _shown(path).versions


def data_version(path: str) -> str:
    """One fingerprint of everything loaded."""
    return data_versions(path).everything


# ----------------------------------------------------------------------------- protection prepared ahead

PREPARE_ENV = "STO_PREPARE"  # '0': no background preparation (the test suite; its own tests switch it on)


def _prepare_shown(path: str) -> str:
    """The background thread's work: every protected table of the copy pages read now (sto_metrics.prepare); its version."""
    version = _shown(path).versions.of(prepare.PROTECTED_FAMILIES)
    if version == _BACKGROUND.prepared(path):
        return version  # the file changed but not yet its copy (a load is still writing): nothing new to prepare

    started = time.perf_counter()
    # a cursor held only while counts are read: a database swap never waits for a protection
    results = prepare.prepare(functools.partial(cursor, path), rules=RULES)
    computed = sum(result.status == "berekend" for result in results)
    logging.getLogger("sto_dashboard").info("Beschermde tabellen voorbereid: %d van %d berekend in %.1f s", computed,
                                            len(results), time.perf_counter() - started)
    return version


def _source_changed(path: str) -> bool:
    """Has the database file changed since the copy pages read was taken (a load from a shell)?"""
    held = _OPEN.get(path)
    return held is not None and held.shown != access.state(path)


_BACKGROUND = prepare.Background(_prepare_shown, changed=_source_changed)


def prepare_in_background(path: str, versions: DataVersions) -> bool:
    """Start preparing this data version's protected tables in the background thread, unless it did or does (True: started).

    Never waits: a page that needs a table first computes it as before, or waits for the thread that is computing it."""
    if os.environ.get(PREPARE_ENV, "").strip() == "0":
        return False
    return _BACKGROUND.request(path, versions.of(prepare.PROTECTED_FAMILIES))


# ----------------------------------------------------------------------------- filters and context


@dataclass(frozen=True)
class Filters:
    """The sidebar's choices: a display range of years, the population and the definition settings."""

    years: tuple[int, int] | None = None
    school_ids: tuple[str, ...] = ()
    leerwegen: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    settings: MetricSettings = dataclasses.field(default_factory=MetricSettings)

    @property
    def population(self) -> PopulationFilter:
        # Years are a display filter applied to finished tables: a cohort's destination needs
        # the next year's enrolments, which a population filter on years would cut off.
        return PopulationFilter(leerwegen=self.leerwegen, genders=self.genders, school_ids=self.school_ids)


@dataclass(frozen=True)
class Context:
    """What a page needs: where the data is, its version, the filters, the known years and schools."""

    source: Source
    versions: DataVersions
    filters: Filters
    school_years: tuple[int, ...]
    schools: pd.DataFrame

    @property
    def version(self) -> str:
        """The version of everything loaded: the key of a cache that reads every family."""
        return self.versions.everything

    def version_of(self, *families: str) -> str:
        """The version of what these families (catalog.FAMILIES) hold: the key of a cache that reads only them."""
        return self.versions.of(families)

    @property
    def has_data(self) -> bool:
        return bool(self.school_years)

    @property
    def region_name(self) -> str:
        return "Selectie" if self.filters.school_ids else "Regio"

    @functools.cached_property
    def _school_names(self) -> dict[str, str]:
        # once per run: a school list's format_func asks for every school (a thousand on the national set)
        names: dict[str, str] = {}
        for school, name in zip(self.schools["school_id"], self.schools["name"], strict=True):
            names.setdefault(school, str(name))
        return names

    def school_name(self, school_id: str) -> str:
        return self._school_names.get(school_id, school_id)

    def table(self, metric: str, *, by: str = "regio", split: str | None = None,
              all_years: bool = False, population: PopulationFilter | None = None) -> pd.DataFrame:
        """A display-safe table of a declared figure (registry name), limited to the chosen years unless all_years."""
        population = population or self.filters.population
        result = _cached_table(self.source.path, self.version_of(*registry.get(metric).reads), metric, by, split,
                               dataclasses.astuple(self.filters.settings), dataclasses.astuple(population))
        if by == "regio" and len(population.school_ids) == 1 and not result.empty:
            result = result.assign(scope="regio")  # one chosen school is the 'Selectie' row
        if all_years or self.filters.years is None or result.empty:
            return result.copy(deep=False)
        low, high = self.filters.years
        years = result["school_year"].map(schoolyear.start)
        return result[(years >= low) & (years <= high)].reset_index(drop=True)

    def cohort_flow(self, start_year: int, school_id: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Display-safe (nodes, links) of the cohort flow from start_year."""
        nodes, links = _cached_flow(self.source.path, self.version_of(*registry.get("cohort_flow").reads), start_year, school_id,
                                    dataclasses.astuple(self.filters.settings), dataclasses.astuple(self.filters.population))
        return nodes.copy(deep=False), links.copy(deep=False)

    def definition(self, metric: str) -> str:
        """The Dutch definition of a declared figure under the settings in force."""
        return registry.get(metric).definition_nl(self.filters.settings)


def context() -> Context:
    """The context the router built this run; built here if a page runs on its own."""
    found = st.session_state.get(CONTEXT_KEY)
    if isinstance(found, Context):
        return found
    _leave_legacy_pages_mode()
    return sidebar()


def _leave_legacy_pages_mode() -> None:
    """Rerun through the router when Streamlit ran a page in its legacy pages/ mode.

    Until st.navigation has run once in the server process, Streamlit treats the pages/ folder
    as a legacy multipage app: a shared link that is a fresh server's first request runs the
    page on its own, with the legacy menu. Clearing the flag is what st.navigation itself does;
    the rerun then goes through dashboard.py and opens the linked page with the real menu.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def _settings_changed() -> bool:
    """Whether a definition or view setting differs from its default: in the widget's state, or in a shared link."""
    for key, default in SETTING_DEFAULTS.items():
        value = st.session_state[key] if key in st.session_state else st.query_params.get(key)
        if value is not None and str(value).lower() != str(default).lower():
            return True
    return False


def _format_school(schools: pd.DataFrame):
    names = dict(zip(schools["school_id"], schools["name"], strict=True))
    return lambda school_id: f"{names.get(school_id, school_id)} ({school_id})"


def sidebar() -> Context:
    """Draw the shared filters (state in the URL, so a link shares the view) and store the context."""
    src = source()
    versions = data_versions(src.path)
    prepare_in_background(src.path, versions)  # at the first visit and at every new data version
    years, schools = _options(src.path, versions.of(["enrolments"]))
    with st.sidebar:
        st.header("Filters", divider="gray")
        year_range: tuple[int, int] | None = None
        if len(years) >= 2:
            chosen = st.select_slider("Schooljaren", options=years, value=(years[0], years[-1]), format_func=fmt.school_year,
                                      key="jaren", bind="query-params", help="Welke schooljaren de tabellen en grafieken tonen.")
            year_range = (int(chosen[0]), int(chosen[1]))
            if year_range == (years[0], years[-1]):
                year_range = None
        school_ids = st.multiselect("Scholen", options=list(schools["school_id"]), format_func=_format_school(schools),
                                    key="scholen", bind="query-params", placeholder="alle scholen",
                                    help="Leeg = de hele regio. Met één school toont 'Selectie' die school; met meer scholen staat "
                                         "elke school apart (een optelling van een keuze van scholen is niet beschermd).")
        leerweg = st.selectbox("Leerweg (vmbo)", options=list(LEERWEG_OPTIONS), format_func=LEERWEG_OPTIONS.get, key="leerweg",
                               bind="query-params")
        gender = st.selectbox("Geslacht", options=list(GENDER_OPTIONS), format_func=GENDER_OPTIONS.get, key="geslacht",
                              bind="query-params", help="Jongens en overig: alle leerlingen die niet als meisje staan ingeschreven "
                                                        "(ook geslacht X of onbekend: te weinig om apart te tonen).")
        # Rarely changed: drawn only when opened (fewer widgets for the browser on every page), and open whenever one
        # differs from its default, so a shared link's settings are visible and kept.
        if _settings_changed():
            st.session_state[DEFINITIONS_KEY] = True
        settings_box = st.expander("Definities en weergave", key=DEFINITIONS_KEY, on_change="rerun", icon=":material/tune:")
        dp_technical, havo_vwo, denominator = False, "nt", "enrolled_mbo"
        if settings_box.open:
            with settings_box:
                dp_technical = st.toggle("D&P telt als techniek (vmbo)", key="dp", bind="query-params",
                                         help="Standaard telt het brede profiel Dienstverlening en producten niet als techniek (Techniekpact).")
                havo_vwo = st.radio("Havo/vwo techniek", options=list(HAVO_VWO_OPTIONS), format_func=HAVO_VWO_OPTIONS.get,
                                    key="havovwo", bind="query-params")
                denominator = st.radio("Doorstroom vmbo: aandeel van", options=list(DENOMINATOR_OPTIONS), format_func=DENOMINATOR_OPTIONS.get,
                                       key="noemer", bind="query-params")
                st.toggle("Tabellen in plaats van grafieken", key=TABLES_KEY, bind="query-params",
                          help="Elke figuur opent met haar tabel (handig met een schermlezer of om cijfers over te nemen); "
                               "het tabblad Grafiek blijft er.")
                st.caption("Dit blok blijft open zolang een keuze afwijkt van de standaard.")
        st.caption(fmt.suppression_note(RULES.min_count, RULES.min_share_denominator))
    filters = Filters(
        years=year_range,
        school_ids=tuple(school_ids),
        leerwegen=(leerweg,) if leerweg else (),
        genders=(gender,) if gender else (),
        settings=MetricSettings(dp_technical=bool(dp_technical), havo_vwo_technical=havo_vwo or "nt",
                                progression_denominator=denominator or "enrolled_mbo"),
    )
    ctx = Context(source=src, versions=versions, filters=filters, school_years=tuple(years), schools=schools.copy(deep=False))
    st.session_state[CONTEXT_KEY] = ctx
    return ctx


# ----------------------------------------------------------------------------- drawing


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def md_escape(text: object) -> str:
    """User text made literal for Streamlit's Markdown (labels, captions): no links, HTML, LaTeX or icons."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


STATIC_TABLE_ROWS = 30  # up to this many rows a table is drawn as static HTML: a data grid costs the browser far more


def shown_table(display: pd.DataFrame, *, key: str) -> None:
    """A display table as a static table (cells and headers made literal Markdown) or, when long, a scrollable data grid."""
    if len(display) > STATIC_TABLE_ROWS:
        st.dataframe(display, hide_index=True, key=key)
        return
    literal = display.map(md_escape).rename(columns=md_escape)
    st.table(literal, hide_index=True)


def csv_bytes(display: pd.DataFrame) -> bytes:
    """The display table as a CSV for Dutch Excel (';', UTF-8 with BOM), formula-safe."""
    # The cells are the shown (formatted) strings, so ';' keeps Dutch decimal commas intact.
    return tabular.safe_frame(display).to_csv(index=False, sep=";", lineterminator="\r\n").encode("utf-8-sig")


def _fingerprint(value: object) -> str:
    """Content of a builder's argument as text: equal tables give equal keys (Streamlit's hasher refuses some object columns)."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return f"{value.dtypes.to_dict() if isinstance(value, pd.DataFrame) else value.dtype}" + value.to_json(
            orient="split", default_handler=str, double_precision=15)
    if isinstance(value, list | tuple):
        return "(" + ",".join(_fingerprint(item) for item in value) + ")"
    if isinstance(value, dict):
        return "{" + ",".join(f"{key!r}:{_fingerprint(item)}" for key, item in value.items()) + "}"
    return repr(value)


class _DrawnFigure(go.Figure):
    """A built figure with its dict form made once: st.plotly_chart asks for it at every run (a deep copy, 20 ms for small multiples)."""

    def __init__(self, built: go.Figure) -> None:
        super().__init__(built)
        self._sto_dict = super().to_dict()

    def to_dict(self) -> dict:
        return self._sto_dict


@st.cache_resource(max_entries=512, ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _built_figure(name: str, digest: str, _build, _args: tuple, _kwargs: dict) -> go.Figure:
    return _DrawnFigure(_build(*_args, **_kwargs))


def figure(build: Callable[..., go.Figure], *args: object, **kwargs: object) -> go.Figure:
    """build(*args, **kwargs), built once for all sessions per content of its inputs: a rerun costs no Plotly building.

    The figure is shared and its dict form made once: draw it, never change it.
    """
    digest = hashlib.sha256(_fingerprint((args, kwargs)).encode()).hexdigest()
    return _built_figure(f"{build.__module__}.{build.__qualname__}", digest, build, args, kwargs)


def _drawn(value: object) -> object:
    """A built page section (plain dicts, lists and tuples, nested) with each figure's dict form made once."""
    if isinstance(value, go.Figure) and not isinstance(value, _DrawnFigure):
        return _DrawnFigure(value)
    if type(value) is dict:
        return {key: _drawn(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_drawn(item) for item in value)
    return value


@st.cache_resource(max_entries=256, ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _built_section(path: str, version: str, filters: str, name: str, args: str, _build, _ctx: Context, _args: tuple) -> object:
    return _drawn(_build(_ctx, *_args))


def section(ctx: Context, build: Callable[..., _T], *args: object, reads: Sequence[str] = catalog.FAMILIES) -> _T:
    """build(ctx, *args): a page section's figures and display tables, built once for all sessions per data version (of the
    families it `reads`), filters and args, so a rerun costs no pandas and no Plotly. build must read nothing but ctx's
    tables of those families and its args (plain values).

    What it returns is shared: draw it, never change it.
    """
    where = f"{build.__code__.co_filename}:{build.__qualname__}"  # page scripts all run as __main__
    return _built_section(ctx.source.path, ctx.version_of(*reads), repr(ctx.filters), where, repr(args), build, ctx, args)


def trend_with_lines(table: pd.DataFrame, lines: pd.DataFrame, *, region_names: Sequence[str]) -> go.Figure:
    """A trend figure with DUO's reference lines on it (a builder for figure())."""
    from sto_metrics.national import presentation as national_view

    return national_view.add_reference_lines(charts.trend_figure(table, region_names=region_names), lines)


def open_section(key: str, titles: Sequence[str]):
    """A page's sections as lazy tabs (kept in the URL): returns (the open section's title, its tab), and the page draws
    only that section; a browser draws a hidden tab's charts as dearly as shown ones. One section needs no tabs."""
    if len(titles) == 1:
        return titles[0], st.container()
    tabs = st.tabs(list(titles), key=key, on_change="rerun", bind="query-params")
    for title, tab in zip(titles, tabs, strict=True):
        if tab.open:
            return title, tab
    return titles[0], tabs[0]


def fragment(body: Callable[..., None]) -> Callable[..., None]:
    """st.fragment with the router's error handling: a control inside reruns only its own panel, never showing a traceback."""
    @st.fragment
    @functools.wraps(body)
    def run(*args: object, **kwargs: object) -> None:
        try:
            body(*args, **kwargs)
        except UserError as error:
            user_error(error)
        except Exception as error:  # a fragment's rerun skips dashboard.py's handler
            page_failed(body.__name__, error)

    return run


RUN_TIMES_ENV = "STO_RUN_TIMES"  # a file: each full script run appends 'page<TAB>seconds<TAB>cpu seconds' (bench/sessions_bench.py)


def record_run_time(page_title: str, seconds: float, cpu_seconds: float) -> None:
    """Server-side time of one script run and the CPU its thread used (the rest is waiting for the CPU or the GIL), for the
    load benchmark; nothing is written unless STO_RUN_TIMES names a file."""
    target = os.environ.get(RUN_TIMES_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as log:
            log.write(f"{page_title}\t{seconds:.4f}\t{cpu_seconds:.4f}\n")


def page_failed(where: str, error: Exception) -> None:
    """An unexpected error: logged by place and type only (its message may hold data), a Dutch notice for the user."""
    logging.getLogger("sto_dashboard").error("Pagina %s: %s\n%s", where, type(error).__name__,
                                             "".join(traceback.format_tb(error.__traceback__)))
    st.error("Er ging iets onverwachts mis bij het maken van deze pagina. Probeer het opnieuw of meld het bij de beheerder; "
             "er is niets gewijzigd.", icon=":material/error:")


@fragment
def _chart_or_table(key: str, figure: go.Figure, display: pd.DataFrame, *, tables_first: bool) -> None:
    """Only the open tab is drawn; opening the other reruns this panel alone (a page opens without its hidden half)."""
    view = "Tabel" if tables_first else "Grafiek"
    chart_tab, table_tab = st.tabs(["Grafiek", "Tabel"], default=view, key=f"{key}_{view.lower()}", on_change="rerun")
    if chart_tab.open:
        with chart_tab:
            st.plotly_chart(figure, theme=None, config=charts.PLOTLY_CONFIG, key=f"{key}_chart")
    if table_tab.open:
        with table_tab:
            st.dataframe(display, hide_index=True, key=f"{key}_table")


def figure_panel(key: str, title: str, figure: go.Figure, display: pd.DataFrame, *, definition: str,
                 notes: Sequence[str] = (), file_stem: str | None = None) -> None:
    """A figure that explains itself: chart and table view, the definition, the suppression rule, a CSV download."""
    with st.container(border=True, key=f"panel_{key}"):
        st.subheader(md_escape(title))  # titles can hold school names from uploaded files
        _chart_or_table(key, figure, display, tables_first=bool(st.session_state.get(TABLES_KEY)))
        # One caption, paragraphs apart: fewer elements for the browser to draw than one per note.
        st.caption("\n\n".join([f"**Definitie.** {md_escape(definition)}", *(md_escape(note) for note in notes),
                                  md_escape(fmt.suppression_note(RULES.min_count, RULES.min_share_denominator))]))
        # Made on click, not at every run: most views never download.
        st.download_button("CSV downloaden (zoals getoond)", data=lambda: csv_bytes(display), file_name=f"{file_stem or key}.csv",
                           mime="text/csv", key=f"{key}_csv", on_click="ignore", icon=":material/download:")


def _share_content(ctx: Context, name: str) -> dict:
    """A declared share figure's trend and per-school panels: figures and display tables (built through section())."""
    metric = registry.get(name)
    region_name = ctx.region_name
    region = ctx.table(metric.name)
    region_input = display_tables.share_chart_input(region, numerator=metric.numerator, denominator=metric.denominator,
                                                    region_name=region_name)
    schools = ctx.table(metric.name, by="school")
    return {
        "trend": (charts.trend_figure(region_input, region_names=(region_name,)),
                  display_tables.share_display(region, metric, region_name=region_name)),
        "per_school": None if schools.empty else (
            charts.small_multiples_figure(display_tables.share_chart_input(schools, numerator=metric.numerator,
                                                                           denominator=metric.denominator), reference=region_input),
            display_tables.share_display(pd.concat([region, schools], ignore_index=True), metric, region_name=region_name)),
    }


def share_panels(ctx: Context, metric: registry.Metric, *, key_prefix: str) -> None:
    """A declared share figure as a section: the region's (or selection's) trend, then every school beside it."""
    region_name = ctx.region_name
    definition = ctx.definition(metric.name)
    built = section(ctx, _share_content, metric.name, reads=metric.reads)
    st.header(metric.label_nl, divider="gray")
    figure_panel(f"{key_prefix}_{metric.name}_trend", f"{metric.label_nl} ({region_name.lower()})", *built["trend"],
                 definition=definition, file_stem=f"{metric.name}_{region_name.lower()}")
    if built["per_school"] is not None:
        figure_panel(f"{key_prefix}_{metric.name}_per_school", f"{metric.label_nl}: per school", *built["per_school"],
                     definition=definition, notes=[f"De gestippelde lijn is de {region_name.lower()}."], file_stem=f"{metric.name}_per_school")


def no_data_notice(ctx: Context) -> bool:
    """Tell the user there is nothing loaded yet; True when the page should stop."""
    if ctx.has_data:
        return False
    st.info("Er zijn nog geen leerlinggegevens geladen. Laad de exports van de scholen op de pagina **Data**.", icon=":material/info:")
    return True


def user_error(error: UserError) -> None:
    """An engine error in front of a user: our own Dutch message, never a traceback."""
    st.error(str(error), icon=":material/error:")


# ----------------------------------------------------------------------------- national comparison (DUO open data)


@dataclass(frozen=True)
class National:
    """DUO's public figures for one comparison level: the comparison rows, the source note and the region's areas."""

    level: str
    table: pd.DataFrame
    note: str
    areas: dict  # {'provincie': name, 'landsdeel': name} of the region's own schools

    @property
    def loaded(self) -> bool:
        return not self.table.empty


NATIONAL_READS = ("national", "enrolments")  # DUO's rows beside the region's own schools and profile definitions


@st.cache_resource(max_entries=64, ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _cached_national(path: str, version: str, level: str, settings_key: tuple, school_id: str | None) -> tuple:
    from sto_metrics.national import compare
    from sto_metrics.national import presentation as national_view

    with cursor(path) as cur:
        settings = MetricSettings(*settings_key)
        if school_id:
            table = compare.school_context(cur, school_id, level, settings=settings)
        else:  # DUO's side only: the region's own figure is on the page already, through the published gateway
            table = compare.compare(cur, level, areas=("landelijk", "landsdeel", "provincie", "eigen-scholen"), settings=settings)
        return table, national_view.source_note(compare.peildata(cur), level), national_view.region_areas(cur)


def national(ctx: Context, level: str, school_id: str | None = None) -> National:
    """DUO's comparison figures for `level` under the settings in force (for one school: school, its province, the country)."""
    table, note, areas = _cached_national(ctx.source.path, ctx.version_of(*NATIONAL_READS), level, dataclasses.astuple(ctx.filters.settings), school_id)
    definition = registry.COMPARISONS[level].definition_nl(ctx.filters.settings)
    return National(level, table.copy(deep=False), f"{note} {definition}", dict(areas))


def national_lines(ctx: Context, level: str, *, key: str, years: Sequence[str], year_shift: int = 0) -> tuple[pd.DataFrame, str | None]:
    """Let the user pick the national, landsdeel and province lines: (their rows for trend_with_lines, the note; None without DUO data)."""

    found = national(ctx, level)
    if not found.loaded:
        return found.table.iloc[0:0], None
    options = {"landelijk": "landelijk", **{area: f"{area} {name}" for area, name in found.areas.items()}}
    chosen = st.pills("Vergelijk met (DUO)", options=list(options), format_func=options.get, default=["landelijk"],
                      selection_mode="multi", key=f"{key}_vergelijk",
                      persist_state="page")  # kept while its section is closed
    lines = _chosen_lines(ctx.source.path, ctx.version_of(*NATIONAL_READS), level, dataclasses.astuple(ctx.filters.settings),
                          tuple(chosen or ()), tuple(years), year_shift)
    return lines.copy(deep=False), found.note


@st.cache_resource(max_entries=256, ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _chosen_lines(path: str, version: str, level: str, settings_key: tuple, chosen: tuple, years: tuple, year_shift: int) -> pd.DataFrame:
    """The chosen areas' rows of DUO's comparison, moved to the region's years (shared: a rerun selects nothing again)."""
    from sto_metrics.national import presentation as national_view

    table, _, areas = _cached_national(path, version, level, settings_key, None)
    return national_view.select(national_view.shift_years(table, year_shift), {area: areas.get(area) for area in chosen}, years=list(years))


@st.cache_data(max_entries=16, ttl=CACHE_TTL_SECONDS, show_spinner=False)
def export_check(path: str, version: str) -> pd.DataFrame:
    """Schools whose leerjaar-3 export count differs from DUO's (more than 5 pupils or 5%)."""
    from sto_metrics.national import compare

    with cursor(path) as cur:
        return compare.export_vs_duo(cur)
