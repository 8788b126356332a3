"""`python -m sto_metrics cohort-flow`: the Doorstroom page's Sankey and table, by hand, against a pandas reference
(the privacy auditor's own atoms) and against what the page draws; refused views exit 2 in Dutch."""

from __future__ import annotations

import csv
import io
import json

import pytest

from sto_metrics import cli, published
from sto_metrics.cli.metric_commands import open_database
from sto_metrics.presentation import display_tables
from sto_metrics.settings import MetricSettings, PopulationFilter
from tests import privacy_auditor as auditor
from tests.conftest import PupilDB

HEADER = "start_year,scope,scope_name,kind,source,target,label,pupils"


def _run(capsys, *argv: str) -> tuple[int, list[dict], str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, list(csv.DictReader(io.StringIO(captured.out))) if code == 0 else [], captured.err


def _counts(rows: list[dict], scope: str = "regio") -> dict[tuple[str, str], str]:
    return {(r["source"], r["target"]): r["pupils"] for r in rows if r["scope"] == scope}


@pytest.fixture
def small_region(tmp_path):
    """Leerjaar 2 in 2020 at 31XA00: 6 to leerjaar 3 BWI, then a BWI diploma, 5 to mbo techniek and 1 to mbo economie;
    2 to leerjaar 3 D&P without a diploma; 1 gone after leerjaar 2. At 31XB00: 7 girls to leerjaar 3 Z&W, diploma, mbo zorg.
    At 31XC00 one pupil in leerjaar 3 in 2021 only: a school with vo data and no leerjaar 2 in 2020."""
    database = PupilDB(tmp_path / "flow.duckdb")
    for i in range(6):
        database.vo(f"t{i}", 2020, leerjaar=2).vo(f"t{i}", 2021, leerjaar=3, profile="BWI")
        database.vo(f"t{i}", 2022, leerjaar=4, profile="BWI", diploma=True).mbo(f"t{i}", 2023, "TECHNIEK" if i < 5 else "ECONOMIE")
    for i in range(2):
        database.vo(f"d{i}", 2020, leerjaar=2).vo(f"d{i}", 2021, leerjaar=3, profile="D&P").vo(f"d{i}", 2022, leerjaar=4, profile="D&P")
    database.vo("gone", 2020, leerjaar=2)
    for i in range(7):
        database.vo(f"g{i}", 2020, school="31XB00", leerjaar=2, gender="V").vo(f"g{i}", 2021, school="31XB00", leerjaar=3, profile="Z&W", gender="V")
        database.vo(f"g{i}", 2022, school="31XB00", leerjaar=4, profile="Z&W", gender="V", diploma=True).mbo(f"g{i}", 2023, "ZORG_WELZIJN")
    database.vo("late", 2021, school="31XC00", leerjaar=3, profile="BWI")
    database.flush()
    database.close()
    return tmp_path / "flow.duckdb"


def test_raw_flow_by_hand(capsys, small_region):
    code, rows, _ = _run(capsys, "cohort-flow", "--db", str(small_region), "--start", "2020", "--raw")
    assert code == 0 and {r["start_year"] for r in rows} == {"2020-2021"}
    links = _counts(rows)
    assert links[("start", "")] == "16"  # the start node: 9 + 7
    assert (links[("start", "lj3_techniek")], links[("start", "lj3_overig")], links[("start", "lj3_elders")]) == ("6", "9", "1")
    assert (links[("lj3_techniek", "diploma_techniek")], links[("lj3_overig", "geen_diploma")]) == ("6", "2")
    assert (links[("diploma_techniek", "mbo_techniek")], links[("diploma_techniek", "mbo_overig")]) == ("5", "1")
    assert links[("diploma_overig", "mbo_overig")] == "7" and links[("lj3_techniek", "diploma_overig")] == "0"
    # D&P as technical: the two D&P pupils move to the technical leerjaar-3 node
    _, dp_rows, _ = _run(capsys, "cohort-flow", "--db", str(small_region), "--start", "2020", "--raw", "--dp-technical")
    assert _counts(dp_rows)[("start", "lj3_techniek")] == "8" and _counts(dp_rows)[("lj3_techniek", "geen_diploma")] == "2"
    # one school, and the population filters (of the leerjaar-2 record)
    _, school_rows, _ = _run(capsys, "cohort-flow", "--db", str(small_region), "--start", "2020", "--raw", "--school", "31xa00")
    assert {r["scope"] for r in school_rows} == {"31XA00"} and _counts(school_rows, "31XA00")[("start", "")] == "9"
    _, girls, _ = _run(capsys, "cohort-flow", "--db", str(small_region), "--start", "2020", "--raw", "--geslacht", "V")
    assert _counts(girls)[("start", "")] == "7" and _counts(girls)[("start", "lj3_techniek")] == "0"
    _, by_school, _ = _run(capsys, "cohort-flow", "--db", str(small_region), "--start", "2020", "--raw", "--by", "school")
    assert [r["scope"] for r in by_school if r["source"] == "start" and r["kind"] == "node"] == ["31XA00", "31XB00"]
    # a school without leerjaar-2 pupils that year has no flow of its own; asked for, it shows its zeros
    _, late, _ = _run(capsys, "cohort-flow", "--db", str(small_region), "--start", "2020", "--raw", "--school", "31XC00")
    assert _counts(late, "31XC00")[("start", "")] == "0"


def test_suppressed_flow_is_the_pages_and_hides_small_flows(capsys, small_region):
    code, rows, _ = _run(capsys, "cohort-flow", "--db", str(small_region), "--start", "2020")
    assert code == 0
    links = _counts(rows)
    assert links[("diploma_techniek", "mbo_overig")] == "<5" and links[("start", "lj3_elders")] == "<5"
    assert all(v in ("", "<5") or not 1 <= int(v) <= 4 for v in links.values())
    # exactly what the page draws: its table's links and the nodes' own counts
    con = open_database(str(small_region))
    try:
        nodes, page_links = published.flow(con, 2020, settings=MetricSettings(), population=PopulationFilter())
    finally:
        con.close()
    table = display_tables.flow_display(nodes, page_links)
    printed = [r for r in rows if r["kind"] == "link"]
    assert [r["label"] for r in printed] == [f"{a} → {b}" for a, b in zip(table["Van"], table["Naar"], strict=True)]
    assert [r["pupils"] for r in printed] == ["" if v is None else str(v) for v in page_links["pupils"]]
    assert [r["pupils"] for r in rows if r["kind"] == "node"] == ["" if v is None else str(v) for v in nodes["pupils"]]


def test_json_writes_the_small_marker_as_text(capsys, small_region):
    assert cli.main(["cohort-flow", "--db", str(small_region), "--start", "2020-2021", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["pupils"] for r in records} & {"<5"} and all(isinstance(r["pupils"], int | str | None) for r in records)
    assert cli.main(["cohort-flow", "--db", str(small_region), "--start", "2020"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == HEADER


@pytest.mark.parametrize(("argv", "words"), [
    (["--school", "31XA00", "--geslacht", "V"], "alleen voor alle leerlingen samen"),
    (["--by", "school", "--leerweg", "BB"], "alleen voor alle leerlingen samen"),
    (["--geslacht", "X"], "niet apart getoond"),
    (["--leerweg", "BB", "--leerweg", "KB"], "Kies één leerweg"),
    (["--start", "2023"], "Geen cohortstroom vanaf 2023-2024"),
    (["--start", "twintig"], "geen schooljaar"),
    (["--school", "99ZZ00"], "Onbekende school 99ZZ00"),
])
def test_refused_views_exit_2_in_dutch(capsys, small_region, argv, words):
    code, _, err = _run(capsys, "cohort-flow", "--db", str(small_region), *argv)
    assert code == 2 and err.startswith("Fout: ") and words in err and "Traceback" not in err


def test_raw_flow_agrees_with_a_pandas_reference_on_the_demo(capsys, demo_database_path):
    """Every node and link of the region and of each school, from start 2021 and both settings, equals the sum of the
    privacy auditor's own atoms (pandas over the canonical tables, no engine code)."""
    atoms = auditor.compute_atoms(demo_database_path)[("cohort_flow", "vmbo")]
    part = atoms[atoms["year"] == 2021]
    for flags, technical in (([], {"core"}), (["--dp-technical"], {"core", "extra"})):
        code, rows, _ = _run(capsys, "cohort-flow", "--db", str(demo_database_path), "--start", "2021", "--by", "school", "--raw", *flags)
        _, region, _ = _run(capsys, "cohort-flow", "--db", str(demo_database_path), "--start", "2021", "--raw", *flags)
        assert code == 0 and len(region) == 37  # 13 nodes and 24 links with every stage known
        for row in [*rows, *region]:
            chosen = part if row["scope"] == "regio" else part[part["school"] == row["scope"]]
            for stage, values in auditor._flow_selection(row, technical).items():
                chosen = chosen[chosen[stage].isin(values)]
            assert int(row["pupils"]) == int(chosen["n"].sum()), row
        assert int(region[0]["pupils"]) == int(part["n"].sum()) > 1000
