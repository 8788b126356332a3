# ruff: noqa: F811  (pytest fixtures are imported from tests.dashboard_fixtures and used as arguments)
"""The audit log (issue 13): loads from the shell and the Data page, removals and ambition saves, with who and what."""

from __future__ import annotations

import duckdb
import pytest

from sto_metrics import audit
from sto_metrics.cli import main
from sto_metrics.loading import pseudonym
from sto_metrics.metrics import ambitions
from tests.dashboard_fixtures import make_app, region_database, writable_database  # noqa: F401 (fixtures)
from tests.test_server import SECRET, new_school_export

PAGE = "pages/data.py"


@pytest.fixture(autouse=True)
def _secret(monkeypatch, tmp_path):
    monkeypatch.setenv(pseudonym.SECRET_ENV, SECRET)
    monkeypatch.setenv(pseudonym.SECRET_DIR_ENV, str(tmp_path / "secrets"))


def shown_log(app):
    """The Data page's audit table (found by its columns: AppTest finds dataframes by position)."""
    return next(frame.value for frame in app.dataframe if "Wie" in frame.value.columns and "Wat" in frame.value.columns)


def audit_rows(database) -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute("SELECT who, action, subject, detail FROM audit_log ORDER BY logged_at, rowid").fetchall()
    finally:
        con.close()


def test_command_line_load_and_refusal_are_logged_with_the_account(tmp_path, capsys):
    database = tmp_path / "regio.duckdb"
    export = new_school_export(tmp_path)
    assert main(["load", str(export), "--db", str(database)]) == 0
    assert main(["load", str(export), "--db", str(database)]) == 2  # the same file again is refused
    rows = audit_rows(database)
    assert [row[1:3] for row in rows] == [("geladen", "nieuwe_school.csv"), ("geweigerd", "nieuwe_school.csv")]
    assert rows[0][0] == audit.command_line_user() and rows[0][0].startswith("opdrachtregel")
    assert rows[0][3] == "lading 1, 12 regels"
    assert "al geladen" in rows[1][3] or rows[1][3]  # the refusal's own first message


def test_data_page_upload_and_removal_are_logged_and_shown(make_app, writable_database, tmp_path):
    app = make_app(writable_database, PAGE, timeout=300)
    app.file_uploader[0].upload("nieuwe_school.csv", new_school_export(tmp_path).read_bytes(), "text/csv").run()
    app.button(key="data_load").click().run()
    assert not app.exception, [e.value for e in app.exception]
    log = shown_log(app)
    assert list(log.iloc[0][["Wie", "Wat", "Bestand of onderwerp"]]) == ["lokaal (inloggen uit)", "geladen", "nieuwe_school.csv"]
    load_id = int(log.iloc[0]["Toelichting"].split(",")[0].removeprefix("lading "))
    app.selectbox(key="data_remove_id").set_value(load_id).run()
    app.checkbox(key="data_remove_sure").check().run()
    app.button(key="data_remove").click().run()
    log = shown_log(app)
    assert list(log.iloc[0][["Wat", "Bestand of onderwerp", "Toelichting"]]) == ["verwijderd", "nieuwe_school.csv", f"lading {load_id}"]
    assert [row[1] for row in audit_rows(writable_database)] == ["geladen", "verwijderd"]


def test_ambition_save_is_logged_and_a_save_over_someone_elses_is_refused(make_app, writable_database, tmp_path, monkeypatch):
    targets = tmp_path / "ambities.csv"
    targets.write_text(ambitions.DEFAULT_TARGETS.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv(ambitions.TARGETS_ENV, str(targets))
    first = ambitions.read_targets(targets).iloc[0]
    app = make_app(writable_database, "pages/ambities.py", timeout=300)
    app.session_state["ambities_bewerken"] = True  # the editor is drawn once its expander is opened
    app.run()
    app.session_state["ambities_editor"] = {"edited_rows": {0: {"note": "bijgesteld"}}, "added_rows": [], "deleted_rows": []}
    app.button(key="ambities_save").click().run()
    assert app.success and not app.error, [e.value for e in app.error]
    who, action, subject, detail = audit_rows(writable_database)[-1]
    assert (who, action, subject) == ("lokaal (inloggen uit)", "ambities opgeslagen", "ambities.csv")
    changed = " ".join(part for part in (first["metric"], first["scope"], first["split"]) if part)
    assert detail == f"nieuw of gewijzigd: {changed}; verwijderd of gewijzigd: {changed}"

    # Another user saves meanwhile: this session's next save is refused, and the other's version stays.
    other = make_app(writable_database, "pages/ambities.py", timeout=300)
    other.session_state["ambities_bewerken"] = True
    other.run()
    other.session_state["ambities_editor"] = {"edited_rows": {0: {"note": "van de ander"}}, "added_rows": [], "deleted_rows": []}
    other.button(key="ambities_save").click().run()
    assert other.success
    saved = targets.read_bytes()
    app.session_state["ambities_editor"] = {"edited_rows": {0: {"note": "de mijne"}}, "added_rows": [], "deleted_rows": []}
    app.button(key="ambities_save").click().run()
    assert "Iemand anders heeft de ambities intussen opgeslagen" in " ".join(e.value for e in app.error)
    assert targets.read_bytes() == saved and ambitions.read_targets(targets).iloc[0]["note"] == "van de ander"
