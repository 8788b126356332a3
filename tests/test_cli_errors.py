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
    return [text, other]


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


SECOND_SCHOOL = REPO_DIR / "data" / "demo" / "vo" / "31XB00_techniekcollege_wormerveer.csv"
THIRD_SCHOOL = REPO_DIR / "data" / "demo" / "vo" / "31XC00_scholengemeenschap_creatief_krommenie.csv"


def _loads(database) -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute("SELECT load_id, file_name FROM load_log ORDER BY load_id").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("where", ["inside a query", "between files"])
def test_ctrl_c_stops_the_load_after_the_files_done_and_says_what_happened(capsys, tmp_path, monkeypatch, where):
    import os
    import signal

    from sto_metrics.loading import loader

    real = loader.load_paths
    calls = []

    def load_paths(con, paths, **options):
        calls.append(paths[0].name)
        if len(calls) == 2:
            if where == "inside a query":  # what DuckDB does: Ctrl-C runs the handler, the query ends with an error
                signal.getsignal(signal.SIGINT)(signal.SIGINT, None)
                raise RuntimeError("Query interrupted")
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C while Python code runs: this file finishes
        return real(con, paths, **options)

    monkeypatch.setattr(loader, "load_paths", load_paths)
    database = tmp_path / "regio.duckdb"
    code, out, err = _run(capsys, "load", str(ONE_SCHOOL), str(SECOND_SCHOOL), str(THIRD_SCHOOL), "--db", str(database))
    assert code == 1 and calls == [ONE_SCHOOL.name, SECOND_SCHOOL.name]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's own handler is back
    if where == "inside a query":
        assert _loads(database) == [(1, ONE_SCHOOL.name)]
        assert "Totaal: 1 van 1 bestand(en) geladen" in out
        assert err == (f"Afgebroken. {SECOND_SCHOOL.name} is niet geladen (er is niets van bewaard). 1 bestand(en) daarna "
                       "zijn niet gelezen. De bestanden hierboven zijn verwerkt zoals vermeld.\n")
    else:
        assert _loads(database) == [(1, ONE_SCHOOL.name), (2, SECOND_SCHOOL.name)]
        assert "Totaal: 2 van 2 bestand(en) geladen" in out
        assert err == "Afgebroken. 1 bestand(en) daarna zijn niet gelezen. De bestanden hierboven zijn verwerkt zoals vermeld.\n"
