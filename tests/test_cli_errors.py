"""The command line's errors (spec: Dutch on stderr, exit 2 for bad input or usage, 1 for anything else)."""

from __future__ import annotations

import duckdb
import pytest

from sto_metrics import cli
from sto_metrics.paths import REPO_DIR

ONE_SCHOOL = REPO_DIR / "data" / "demo" / "vo" / "31XA00_vmbo_t_zaanhuis.csv"


def _run(capsys, *argv):
    try:
        code = cli.main(list(argv))
    except SystemExit as stopped:  # argparse's usage errors
        code = stopped.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("argv", "dutch"), [
    (["demo", "--out", "x", "--seed", "abc"], "optie --seed: geen getal: 'abc'"),
    (["inflow", "--d", "x"], "onduidelijke optie: --d kan staan voor --db, --dp-technical"),
    (["inflow", "--db", "x", "--raw=1"], "optie --raw: neemt geen waarde (gegeven: '1')"),
    (["inflow", "--db", "x", "--level", "mbo"], "optie --level: ongeldige keuze: 'mbo' (kies uit 'vmbo', 'havo-vwo')"),
    (["load"], "deze opties zijn verplicht: PAD, --db"),
    (["demo", "--out", "x", "--seed", "argument expected one argument"], "optie --seed: geen getal: 'argument expected one argument'"),
])
def test_usage_errors_are_dutch_with_exit_2(capsys, argv, dutch):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("gebruik: python -m sto_metrics ") and err.splitlines()[-1] == f"Fout: {dutch}"


def test_help_is_dutch(capsys):
    code, out, _ = _run(capsys, "inflow", "--help")
    assert code == 0 and out.startswith("gebruik: python -m sto_metrics inflow")
    assert "\nopties:\n" in out and "toon deze hulp en stop" in out
    for english in ("usage:", "options:", "show this help", "positional arguments"):
        assert english not in out
    code, out, _ = _run(capsys, "reach", "--help")
    assert "per school (de enige keuze)" in out and "per regio" not in out


@pytest.fixture
def not_ours(tmp_path):
    """A text file and another program's DuckDB database, each named like a database."""
    text = tmp_path / "tekst.duckdb"
    text.write_text("geen database")
    other = tmp_path / "ander.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (a INTEGER)")
    con.close()
    # DuckDB 2.0 opens these as a temporary in-memory database: a load reported rows it never stored (review, 1 December)
    export = tmp_path / "export.csv"
    export.write_bytes(ONE_SCHOOL.read_bytes())
    listing = tmp_path / "lijst.json"
    listing.write_text('[{"a": 1}]')
    return [text, other, export, listing]


@pytest.mark.parametrize("command", ["ambitions", "report", "backup", "load", "inflow"])
def test_a_file_that_is_not_our_database_is_bad_input(capsys, tmp_path, not_ours, command):
    for path in not_ours:
        if command == "load" and path.name == "ander.duckdb":
            continue  # a load writes this program's tables into any DuckDB file, as into a new one
        argv = {"ambitions": ["ambitions", "--db", str(path)],
                "report": ["report", "--db", str(path), "--out", str(tmp_path / "pakket.xlsx")],
                "backup": ["backup", "--db", str(path), "--out", str(tmp_path / "kopie.duckdb")],
                "load": ["load", str(ONE_SCHOOL), "--db", str(path)],
                "inflow": ["inflow", "--db", str(path)]}[command]
        before = path.read_bytes()
        code, out, err = _run(capsys, *argv)
        assert code == 2 and out == "", (command, path.name)
        assert err == f"Fout: '{path}' is geen database van dit programma (of is beschadigd of niet leesbaar). " \
                      "Maak hem opnieuw met: python -m sto_metrics load\n"
        assert path.read_bytes() == before
        assert not (tmp_path / "pakket.xlsx").exists() and not (tmp_path / "kopie.duckdb").exists()


def test_load_into_a_folder_that_does_not_exist_is_bad_input(capsys, tmp_path):
    code, _, err = _run(capsys, "load", str(ONE_SCHOOL), "--db", str(tmp_path / "nergens" / "regio.duckdb"))
    assert code == 2 and err == f"Fout: {tmp_path / 'nergens'}: deze map bestaat niet. Er is niets gewijzigd.\n"
    assert not (tmp_path / "nergens").exists()


def test_a_refused_file_is_reported_on_stderr_too(capsys, tmp_path):
    database = str(tmp_path / "regio.duckdb")
    assert _run(capsys, "load", str(ONE_SCHOOL), "--db", database)[0] == 0
    code, out, err = _run(capsys, "load", str(ONE_SCHOOL), "--db", database)
    assert code == 2
    assert "31XA00_vmbo_t_zaanhuis.csv [vo]: geweigerd" in out and "Totaal: 0 van 1 bestand(en) geladen" in out
    assert err.startswith("Fout: 31XA00_vmbo_t_zaanhuis.csv: dit bestand is al geladen (lading 1, ")
    assert err.count("\n") == 1


def test_replace_loads_the_same_file_again_in_place_of_the_earlier_load(capsys, tmp_path):
    database = str(tmp_path / "regio.duckdb")
    assert _run(capsys, "load", str(ONE_SCHOOL), "--db", database)[0] == 0
    con = duckdb.connect(database, read_only=True)
    rows = con.execute("SELECT * EXCLUDE (load_id) FROM vo_enrolment ORDER BY ALL").fetchall()
    con.close()
    code, out, err = _run(capsys, "load", str(ONE_SCHOOL), "--db", database, "--replace")
    assert code == 0 and err == ""
    assert "geladen" in out and "(lading 2)" in out and "Vervangen: eerdere gegevens uit lading(en) 1" in out
    con = duckdb.connect(database, read_only=True)
    assert con.execute("SELECT DISTINCT load_id FROM vo_enrolment").fetchall() == [(2,)]
    assert con.execute("SELECT * EXCLUDE (load_id) FROM vo_enrolment ORDER BY ALL").fetchall() == rows
    con.close()
    # loaded once more without --replace: refused, naming the load in effect
    code, _, err = _run(capsys, "load", str(ONE_SCHOOL), "--db", database)
    assert code == 2 and err.startswith(f"Fout: {ONE_SCHOOL.name}: dit bestand is al geladen (lading 2, ")


def test_a_folder_or_a_file_without_access_is_named_as_such(capsys, tmp_path):
    import subprocess

    folder = tmp_path / "map.duckdb"
    folder.mkdir()
    code, _, err = _run(capsys, "load", str(ONE_SCHOOL), "--db", str(folder))
    assert code == 2 and err == f"Fout: '{folder}' is een map, geen databasebestand. Geef het databasebestand zelf op.\n"
    database = tmp_path / "regio.duckdb"
    assert _run(capsys, "load", str(ONE_SCHOOL), "--db", str(database))[0] == 0
    if subprocess.run(["chattr", "+i", str(database)], capture_output=True, check=False).returncode:
        return  # no immutable files here (not root, or a file system without them)
    try:
        code, _, err = _run(capsys, "load", str(SECOND_SCHOOL), "--db", str(database))
        assert code == 2 and err == (f"Fout: De database '{database}' kan niet worden geopend: geen toegang (alleen lezen, of van "
                                     "een andere gebruiker). Er is niets gewijzigd.\n")
        assert _run(capsys, "inflow", "--db", str(database), "--raw")[0] == 0  # reading it is fine
    finally:
        subprocess.run(["chattr", "-i", str(database)], check=False)


SECOND_SCHOOL = REPO_DIR / "data" / "demo" / "vo" / "31XB00_techniekcollege_wormerveer.csv"
THIRD_SCHOOL = REPO_DIR / "data" / "demo" / "vo" / "31XC00_scholengemeenschap_creatief_krommenie.csv"


def _loads(database) -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute("SELECT load_id, file_name FROM load_log ORDER BY load_id").fetchall()
    finally:
        con.close()


@pytest.fixture
def ctrl_c_as_in_a_terminal():
    """Python's own Ctrl-C handler, as in a terminal (a test run in the background inherits Ctrl-C ignored)."""
    import signal

    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_an_ignored_ctrl_c_stays_ignored_during_a_load(capsys, tmp_path, monkeypatch):
    import signal

    from sto_metrics.loading import loader

    real_load, during = loader.load_paths, []

    def load_paths(con, paths, **options):
        during.append(signal.getsignal(signal.SIGINT))
        return real_load(con, paths, **options)

    monkeypatch.setattr(loader, "load_paths", load_paths)
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job, or nohup
    try:
        assert _run(capsys, "load", str(ONE_SCHOOL), "--db", str(tmp_path / "regio.duckdb"))[0] == 0
    finally:
        signal.signal(signal.SIGINT, before)
    assert during == [signal.SIG_IGN]


@pytest.mark.usefixtures("ctrl_c_as_in_a_terminal")
@pytest.mark.parametrize("where", ["inside a query", "between files", "pressed twice"])
def test_ctrl_c_stops_the_load_after_the_files_done_and_says_what_happened(capsys, tmp_path, monkeypatch, where):
    import os
    import signal
    import threading

    from sto_metrics.loading import loader

    real_load, real_stage = loader.load_paths, loader._stage_copy
    calls = []

    def load_paths(con, paths, **options):
        calls.append(paths[0].name)
        if len(calls) == 2 and where == "between files":
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C while Python code runs: this file finishes
        if len(calls) == 2 and where == "pressed twice":
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # the second stops at once
        return real_load(con, paths, **options)

    def stage_copy(con, path, layout, columns):
        if len(calls) == 2 and where == "inside a query":
            # a real Ctrl-C while DuckDB stages the second file: the handler interrupts the running query, which would
            # otherwise run for hours, and the file is rolled back, not refused as a broken CSV
            handler = signal.getsignal(signal.SIGINT)
            threading.Timer(0.3, handler, args=(signal.SIGINT, None)).start()
            con.execute("SELECT count(*) FROM range(10000000000) t(i) WHERE hash(i) = 0")
        return real_stage(con, path, layout, columns)

    monkeypatch.setattr(loader, "load_paths", load_paths)
    monkeypatch.setattr(loader, "_stage_copy", stage_copy)
    database = tmp_path / "regio.duckdb"
    code, out, err = _run(capsys, "load", str(ONE_SCHOOL), str(SECOND_SCHOOL), str(THIRD_SCHOOL), "--db", str(database))
    assert code == 1 and calls == [ONE_SCHOOL.name, SECOND_SCHOOL.name]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's own handler is back
    notice = "Ctrl-C: het laden stopt na het bestand dat nu wordt geladen (dat wordt teruggedraaid als het nog bezig is). " \
             "Nogmaals Ctrl-C stopt meteen.\n"
    if where == "between files":
        assert _loads(database) == [(1, ONE_SCHOOL.name), (2, SECOND_SCHOOL.name)]
        assert "Totaal: 2 van 2 bestand(en) geladen" in out
        assert err == notice + "Afgebroken. 1 bestand(en) daarna zijn niet gelezen. De bestanden hierboven zijn verwerkt zoals vermeld.\n"
    else:
        assert _loads(database) == [(1, ONE_SCHOOL.name)]
        assert "Totaal: 1 van 1 bestand(en) geladen" in out and "geweigerd" not in out
        assert err == notice + (f"Afgebroken. {SECOND_SCHOOL.name} is niet geladen (er is niets van bewaard). 1 bestand(en) "
                                "daarna zijn niet gelezen. De bestanden hierboven zijn verwerkt zoals vermeld.\n")
    con = duckdb.connect(str(database), read_only=True)
    try:  # the audit log has the loaded file only, and no refusal
        assert con.execute("SELECT action, subject FROM audit_log ORDER BY ALL").fetchall() == [
            ("geladen", name) for name in [ONE_SCHOOL.name, SECOND_SCHOOL.name][:1 if where != "between files" else 2]]
    finally:
        con.close()


def _one_school_database(capsys, tmp_path):
    path = tmp_path / "regio.duckdb"
    code, _, _ = _run(capsys, "load", str(ONE_SCHOOL), "--db", str(path))
    assert code == 0
    return path


def test_backup_to_a_folder_is_bad_input_and_writes_nothing(capsys, tmp_path):
    """An existing folder as --out: exit 2 and a Dutch reason; IsADirectoryError (exit 1) left a .deel copy behind."""
    path = _one_school_database(capsys, tmp_path)
    folder = tmp_path / "kopie"
    folder.mkdir()
    code, out, err = _run(capsys, "backup", "--db", str(path), "--out", str(folder))
    assert code == 2 and out == ""
    assert err.startswith(f"Fout: {folder}: dit is een map.") and "Er is niets geschreven." in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kopie", "regio.duckdb"] and not list(folder.iterdir())


def test_backup_is_private_and_a_failed_copy_leaves_no_part_of_it(capsys, tmp_path, monkeypatch):
    import shutil
    import stat

    path = _one_school_database(capsys, tmp_path)
    code, _, _ = _run(capsys, "backup", "--db", str(path), "--out", str(tmp_path / "kopie.duckdb"))
    assert code == 0
    assert stat.S_IMODE((tmp_path / "kopie.duckdb").stat().st_mode) == 0o600  # as the database: pupils' data
    assert (tmp_path / "kopie.duckdb").read_bytes() == path.read_bytes()

    def disk_full(read, out, length):
        out.write(read.read(4096))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", disk_full)
    code, _, err = _run(capsys, "backup", "--db", str(path), "--out", str(tmp_path / "tweede.duckdb"))
    assert code == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kopie.duckdb", "regio.duckdb"]


def test_report_to_a_folder_is_bad_input_and_writes_nothing(capsys, tmp_path):
    """An existing folder named like a report (pakket.xlsx/): exit 2 and a Dutch reason; IsADirectoryError left a .deel."""
    path = _one_school_database(capsys, tmp_path)
    folder = tmp_path / "pakket.xlsx"
    folder.mkdir()
    code, out, err = _run(capsys, "report", "--db", str(path), "--out", str(folder))
    assert code == 2 and out == ""
    assert err.startswith(f"Fout: {folder}: dit is een map.") and "Er is niets geschreven." in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pakket.xlsx", "regio.duckdb"] and not list(folder.iterdir())
