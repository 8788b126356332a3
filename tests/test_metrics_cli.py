"""The metric subcommands: exact columns, formats, suppression, Dutch errors."""

import csv
import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from sto_metrics import cli
from sto_metrics.metrics import calculations
from sto_metrics.paths import REPO_DIR
from sto_metrics.presentation import tabular

HEADERS = {
    "inflow": "school_year,scope,scope_name,split,pupils,technical,unknown_profile,share,ci_low,ci_high",
    "destinations": "school_year,scope,scope_name,from_group,graduates,ho_techniek,ho_overig,mbo_techniek,mbo_overig,vo,niet_gevonden",
    "progression": "school_year,scope,scope_name,from_group,enrolled,technical,share,ci_low,ci_high",
}


def _run(capsys, *argv):
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", list(HEADERS))
@pytest.mark.parametrize("level", ["vmbo", "havo-vwo"])
def test_csv_header_and_values(capsys, metrics_synthetic_db, command, level):
    code, out, _ = _run(capsys, command, "--db", str(metrics_synthetic_db), "--level", level, "--by", "school")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == HEADERS[command]
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows
    count_columns = {"inflow": ["pupils", "technical", "unknown_profile"], "destinations": ["graduates", *calculations.DESTINATIONS],
                     "progression": ["enrolled", "technical"]}[command]
    for r in rows:
        assert r["school_year"][4] == "-" and int(r["school_year"][5:]) == int(r["school_year"][:4]) + 1
        for column in count_columns:
            assert r[column] == "<5" or r[column] == "" or (r[column].isdigit() and not 1 <= int(r[column]) <= 4)
        if r.get("share"):
            assert 0.0 <= float(r["share"]) <= 1.0 and float(r["ci_low"]) <= float(r["share"]) <= float(r["ci_high"])
            denominator = r["pupils"] if command == "inflow" else r["enrolled"]
            assert denominator.isdigit() and int(denominator) >= 10


def test_raw_prints_exact_numbers_and_split(capsys, metrics_synthetic_db):
    code, out, _ = _run(capsys, "inflow", "--db", str(metrics_synthetic_db), "--split", "geslacht", "--raw", "--by", "school")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["split"] for r in rows} == {"M", "V"}  # X and unknown count with M
    assert any(r["pupils"] in {"1", "2", "3", "4"} or r["technical"] in {"1", "2", "3", "4"} for r in rows)
    assert all("<5" not in r.values() for r in rows)
    code, out, _ = _run(capsys, "inflow", "--db", str(metrics_synthetic_db))
    assert all(r["split"] == "" for r in csv.DictReader(io.StringIO(out)))


def test_json_has_the_same_keys(capsys, metrics_synthetic_db):
    code, out, _ = _run(capsys, "progression", "--db", str(metrics_synthetic_db), "--format", "json", "--by", "school")
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, list) and data
    assert all(list(item) == HEADERS["progression"].split(",") for item in data)
    assert any(item["enrolled"] == "<5" for item in data)
    assert all(item["share"] is None or isinstance(item["share"], float) for item in data)


def test_table_format_is_readable(capsys, metrics_synthetic_db):
    code, out, _ = _run(capsys, "destinations", "--db", str(metrics_synthetic_db), "--format", "table")
    assert code == 0
    assert out.splitlines()[0].split() == HEADERS["destinations"].split(",")


def test_settings_flags_change_the_figures(capsys, metrics_synthetic_db):
    base = ["--db", str(metrics_synthetic_db), "--raw"]
    _, default, _ = _run(capsys, "inflow", *base)
    _, with_dp, _ = _run(capsys, "inflow", *base, "--dp-technical")
    assert default != with_dp
    _, nt, _ = _run(capsys, "inflow", *base, "--level", "havo-vwo")
    _, any_n, _ = _run(capsys, "inflow", *base, "--level", "havo-vwo", "--havo-vwo-technical", "n")
    assert nt != any_n
    _, enrolled, _ = _run(capsys, "progression", *base)
    _, everyone, _ = _run(capsys, "progression", *base, "--over-all-graduates")
    assert enrolled != everyone


def test_missing_database_is_a_dutch_error_with_exit_2(capsys, tmp_path):
    code, out, err = _run(capsys, "inflow", "--db", str(tmp_path / "missing.duckdb"))
    assert code == 2 and out == ""
    assert "bestaat niet" in err and "Traceback" not in err


def test_not_a_database_is_a_dutch_error_with_exit_2(capsys, tmp_path):
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("geen database")
    code, _, err = _run(capsys, "destinations", "--db", str(bogus))
    assert code == 2 and "geen database" in err


def test_split_only_for_inflow(capsys, metrics_synthetic_db):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["destinations", "--db", str(metrics_synthetic_db), "--split", "geslacht"])
    assert exit_info.value.code == 2


def test_subprocess_end_to_end(metrics_synthetic_db):
    result = subprocess.run([sys.executable, "-m", "sto_metrics", "inflow", "--db", str(metrics_synthetic_db), "--level", "havo-vwo"],
                            capture_output=True, text=True, cwd=REPO_DIR, check=False)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == HEADERS["inflow"]


def test_output_is_formula_safe():
    table = pd.DataFrame({"scope_name": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "Regio"], "pupils": [1, 2, 3, 4, 5, 6, 7]})
    rows = list(csv.reader(io.StringIO(tabular.to_csv(table), newline="")))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "Regio"]
    assert [r["scope_name"] for r in json.loads(tabular.to_json(table))][:2] == ["'=HYPERLINK(\"x\")", "'+1"]
    assert tabular.safe_frame(table)["scope_name"].iloc[0].startswith("'=")


def test_output_numbers():
    table = pd.DataFrame({"pupils": [12, "<5", None], "share": [0.5, float("nan"), 1 / 3]}, dtype=object)
    assert tabular.to_csv(table).splitlines()[1:] == ["12,0.5", "<5,", ",0.333333"]


def test_population_filters_select_the_same_pupils_as_the_engine(capsys, metrics_synthetic_db):
    from sto_metrics import db, published
    from sto_metrics.settings import PopulationFilter

    population = PopulationFilter(leerwegen=("KB",), genders=("V",), school_ids=("31XA00", "31XB00"))
    argv = ["inflow", "--db", str(metrics_synthetic_db), "--by", "school", "--leerweg", "KB", "--geslacht", "V",
            "--school", "31xa00", "--school", "31XB00"]
    con = db.connect(metrics_synthetic_db, read_only=True)
    try:
        for extra, table in ((["--raw"], published.exact_table(con, "inflow_vmbo", by="school", population=population)),
                             ([], published.table(con, "inflow_vmbo", by="school", population=population))):
            code, out, _ = _run(capsys, *argv, *extra)
            assert code == 0
            expected = io.StringIO()
            tabular.write(table, "csv", expected)
            assert out == expected.getvalue()
            assert {r["scope"] for r in csv.DictReader(io.StringIO(out))} == {"31XA00", "31XB00"}
    finally:
        con.close()
    code, unfiltered, _ = _run(capsys, "inflow", "--db", str(metrics_synthetic_db), "--by", "school", "--raw")
    assert len(unfiltered.splitlines()) > len(out.splitlines())


def test_retention_command_has_its_columns_and_no_level(capsys, metrics_synthetic_db):
    code, out, _ = _run(capsys, "retention", "--db", str(metrics_synthetic_db), "--raw")
    assert code == 0 and out.splitlines()[0] == "school_year,scope,scope_name,pupils,retained,share,ci_low,ci_high"
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["retention", "--db", str(metrics_synthetic_db), "--level", "havo-vwo"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize("options", [["--leerweg", "BB", "--leerweg", "KB"], ["--geslacht", "X"], ["--geslacht", "V", "--geslacht", "M"]])
def test_filters_that_select_no_protected_cell_are_refused_in_dutch(capsys, metrics_synthetic_db, options):
    code, out, err = _run(capsys, "inflow", "--db", str(metrics_synthetic_db), *options)
    assert code == 2 and out == "" and err.startswith("Fout: ") and ("leerweg" in err or "eslacht" in err)
