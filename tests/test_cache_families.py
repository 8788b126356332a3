"""A load invalidates only what it changed (issue 13): the dashboard's caches key on the version of the table families
they read (catalog.FAMILIES), so an activities load keeps the inflow's published tables and an enrolment load renews all.

The dashboard runs in AppTest on a private copy of the region database; loads go through app_support.writing(), as the
Data page's do. Every published table the dashboard computes is counted by figure name.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sto_metrics import db, published
from sto_metrics.demo import prebuilt
from sto_metrics.loading import loader, pseudonym
from sto_metrics.metrics import activities, catalog
from sto_metrics.presentation import activities as shown
from sto_metrics.presentation import display_tables
from sto_metrics.settings import PopulationFilter
from tests.dashboard_fixtures import make_app, region_database, writable_database  # noqa: F401 (fixtures)
from tests.loader_support import VO_HEADER, VO_ROWS, csv_text

REGISTER_HEADER = ["activiteit_id", "naam", "soort", "schooljaar", "datum", "school", "leerjaar", "deelnemers", "meisjes"]
NEW_SCHOOL = "99ZZ00"
DUO_PUPILS = Path(__file__).parent / "data" / "duo" / "leerlingen-vo-per-vestiging-nieuw.csv"  # DUO's pupils per vestiging


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    # Loads pseudonymise with the key the region database was built with.
    monkeypatch.setenv(pseudonym.SECRET_ENV, prebuilt.DEMO_SECRET.decode())


@pytest.fixture
def computed(monkeypatch) -> Counter:
    """How often each figure's published table was computed (cache misses of the dashboard)."""
    calls: Counter = Counter()
    original = published.table

    def counting(con, metric, **options):
        calls[metric] += 1
        return original(con, metric, **options)

    monkeypatch.setattr(published, "table", counting)
    return calls


def _published(database, metric: str, **options):
    con = db.connect(database, read_only=True)
    try:
        return published.table(con, metric, **options), activities.activity_type_names(con), catalog.data_versions(con)
    finally:
        con.close()


def _load(database, name: str, text: str) -> None:
    import app_support

    with app_support.writing(str(database)) as con:
        result = loader.load_bytes(con, name, text.encode("utf-8"))
    assert result.loaded, result.messages


def _records(frame) -> list[dict]:
    return frame.astype(str).to_dict("records")


def _all_activities(app) -> list[dict]:
    """The page's table of every activity (the one with the most rows that has the reach column)."""
    frames = [frame.value for frame in app.dataframe if "Bereik" in frame.value.columns]
    assert frames
    return _records(max(frames, key=len))


def _region_inflow(app) -> list[dict]:
    frames = [frame.value for frame in app.dataframe if "Regio" in frame.value.astype(str).to_numpy().ravel().tolist()]
    assert frames
    return _records(frames[0])


def _no_errors(app) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def test_an_activities_load_keeps_the_inflow_and_an_enrolment_load_renews_everything(make_app, writable_database, computed):  # noqa: F811
    database = writable_database
    app = make_app(database, "pages/activiteiten.py", tables=True, timeout=300)  # a load makes the next visit compute its protection anew
    _no_errors(app)
    app.switch_page("pages/instroom.py").run()
    _no_errors(app)
    inflow_shown = _region_inflow(app)
    reach_before, names, versions_before = _published(database, "reach", by="school", population=PopulationFilter())
    year = int(max(reach_before["school_year"].map(lambda text: int(str(text)[:4]))))
    assert computed["inflow_vmbo"] >= 1 and computed["reach"] >= 1  # the first visit computed them
    computed.clear()

    # A new activity: 77 head counts at 31XA00, a kind and year the register already has there or not.
    _load(database, "extra_activiteit.csv", csv_text(REGISTER_HEADER, [
        ["ZZ1", "Extra techniekdag", "techcarrousel", f"{year}-{year + 1}", "", "31XA00", "2", "77", "30"]]))
    reach_after, names, versions_after = _published(database, "reach", by="school", population=PopulationFilter())
    assert versions_after["enrolments"] == versions_before["enrolments"]
    assert versions_after["activities"] != versions_before["activities"]
    assert _records(shown.reach_display(reach_after, shown.activity_type_labels(names, reach_after["activity_type"]))) != _records(
        shown.reach_display(reach_before, shown.activity_type_labels(names, reach_before["activity_type"])))

    app.session_state["activiteiten_alle_open"] = True  # the table of every activity is drawn once its expander is opened
    app.switch_page("pages/activiteiten.py").run()
    _no_errors(app)
    expected = shown.reach_display(reach_after, shown.activity_type_labels(names, reach_after["activity_type"]))
    assert _all_activities(app) == _records(expected)  # the activity figures show the new register
    assert computed["reach"] >= 1
    app.switch_page("pages/instroom.py").run()
    _no_errors(app)
    assert _region_inflow(app) == inflow_shown
    assert not [metric for metric in computed if metric.startswith(("inflow", "retention"))], computed  # kept, not recomputed
    computed.clear()

    # A vo export of a new school: every figure that reads enrolments is computed again, none is stale.
    rows = [[*row[:2], NEW_SCHOOL, "Nieuwe school", *row[4:]] for row in VO_ROWS]
    _load(database, "nieuwe_school.csv", csv_text(VO_HEADER, rows))
    app.switch_page("pages/instroom.py").run()
    _no_errors(app)
    assert computed["inflow_vmbo"] >= 1
    region_after, _, _ = _published(database, "inflow_vmbo")
    assert _region_inflow(app) == _records(display_tables.inflow_display(region_after, region_name="Regio"))
    assert _region_inflow(app) != inflow_shown
    assert any(NEW_SCHOOL in option for option in app.multiselect(key="scholen").options)  # the sidebar's schools too
    app.switch_page("pages/activiteiten.py").run()
    _no_errors(app)
    assert computed["reach"] >= 1  # reach counts the enrolled pupils too


def test_each_load_changes_the_version_of_its_own_family_only(tmp_path, monkeypatch):
    """catalog.data_versions: a vo load, an activities register, a DUO file, a removal and a reference edit, each moving
    exactly the families a cache of them must forget."""
    from sto_metrics.loading.reference import open_database

    monkeypatch.setenv(pseudonym.SECRET_ENV, "test-geheim")
    monkeypatch.setenv(pseudonym.SECRET_DIR_ENV, str(tmp_path / "secrets"))
    con = open_database(tmp_path / "regio.duckdb")
    try:
        def changed(action) -> set[str]:
            before = catalog.data_versions(con)
            action()
            after = catalog.data_versions(con)
            return {family for family in catalog.FAMILIES if after[family] != before[family]}

        def load(name: str, data: bytes) -> int:
            result = loader.load_bytes(con, name, data, school_year=2023)
            assert result.loaded, result.messages
            return result.load_id

        assert changed(lambda: load("vo.csv", csv_text(VO_HEADER, VO_ROWS).encode())) == {"enrolments"}
        register = csv_text(REGISTER_HEADER, [["A1", "Techcarrousel", "techcarrousel", "2023-2024", "", "31XA00", "2", "14", "6"]])
        ids = {}
        assert changed(lambda: ids.setdefault("register", load("activiteiten.csv", register.encode()))) == {"activities"}
        duo = DUO_PUPILS.read_bytes()
        assert changed(lambda: ids.setdefault("duo", load(DUO_PUPILS.name, duo))) == {"national"}
        assert changed(lambda: loader.remove_load(con, ids["register"])) == {"activities"}
        assert changed(lambda: loader.remove_load(con, ids["duo"])) == {"national"}
        assert changed(lambda: con.execute("UPDATE ref_profile SET technical = NOT technical WHERE code = 'D&P'")) == {"enrolments"}
        assert changed(lambda: con.execute("UPDATE ref_activity_type SET name = name || ' (nieuw)'")) == {"activities"}
        assert changed(lambda: None) == set()
    finally:
        con.close()
