"""The independent privacy auditor (tests/privacy_auditor.py) on the command line's output.

* On two generated regions no hidden count of 1-4 may be determined by everything the command line
  prints together (minutes each).
* The auditor itself is checked on tiny hand-built databases: with a naive publisher (exact counts,
  only 1-4 written as '<5') it finds the obvious leaks, in the tables and in the cohort flow (also
  with only the flows someone took listed, as the first Sankey did); on a database without small
  counts it finds nothing.
"""

from __future__ import annotations

import csv
import functools
import io
from pathlib import Path

import pytest

from tests import privacy_auditor as auditor
from tests.conftest import PupilDB

# The views of the region tests (bench/privacy_audit.py runs everything): every command x level x
# --by x --split x setting without filter, and with each single --school, --leerweg and --geslacht
# (a --school view with --by regio only: its --by school rows are the same cells). Left out: the
# school x geslacht and leerweg x geslacht pairs (a fifth of the cost each).
REGION_VIEWS = dict(singles=("school", "leerweg", "geslacht"), combos=(), school_views_with_school_filter=False)


def _assert_nothing_determined(report: auditor.AuditReport) -> None:
    print(auditor.summarize(report))
    assert report.hidden_small > 0, "a region this size has small counts: the auditor saw nothing hidden"
    if report.determined:
        stopped = any(n.startswith("stopped after") for n in report.notes)
        raise AssertionError(f"{'at least ' if stopped else ''}{len(report.determined)} hidden counts of 1-4 are determined by "
                             "the published figures, e.g.\n  "
                             + "\n  ".join(f"[{d.how}] = {d.value}: {d.cell}" for d in report.determined[:10]))


def test_demo_region_reveals_no_small_count(demo_database_path):
    _assert_nothing_determined(auditor.audit(demo_database_path, max_determined=25, certificates=0, label_span=False, **REGION_VIEWS))


@pytest.fixture(scope="module")
def generated_region(tmp_path_factory) -> Path:
    from sto_metrics.demo import generate, prebuilt

    folder = tmp_path_factory.mktemp("region7")
    generate.write_demo(folder / "exports", seed=7, pupils_per_year=900)
    prebuilt.build(folder / "region.duckdb", folder / "exports")
    return folder / "region.duckdb"


def test_generated_region_reveals_no_small_count(generated_region):
    _assert_nothing_determined(auditor.audit(generated_region, max_determined=25, certificates=0, label_span=False, **REGION_VIEWS))


@pytest.fixture
def schools_in_groups(monkeypatch, tmp_path) -> Path:
    """Every school year protected in groups of three schools (by default only regions of over cross.MODULAR_ABOVE
    schools are); returns a file with, per table, the years that ended in groups (the auditor's forked workers write
    it too). In a small region most years of destinations and the cohort flow have a region cell of 1-4 and stay whole."""
    from sto_metrics.privacy import cross, suppression

    monkeypatch.setattr(cross, "MODULAR_ABOVE", 0)
    monkeypatch.setattr(cross, "GROUP_SCHOOLS", 3)
    monkeypatch.setattr(suppression, "_TABLES", type(suppression._TABLES)())  # no table protected whole, in memory
    log = tmp_path / "in-groups.txt"
    log.touch()
    real = cross._protect_in_groups

    def logged(*args):
        finished = real(*args)  # per year that ended in groups (not joined back into one): does it hide region cells?
        with log.open("a") as out:
            out.write("".join(f"{int(hides)}\n" for hides in finished))
        return finished

    monkeypatch.setattr(cross, "_protect_in_groups", logged)
    return log


def _years_in_groups(log: Path) -> tuple[int, int]:
    """(years that ended in groups, of which years whose region pattern hides region cells for a small region cell)."""
    hides = [int(line) for line in log.read_text().split()]
    return len(hides), sum(hides)


def test_demo_region_protected_in_groups_of_schools_reveals_no_small_count(demo_database_path, schools_in_groups):
    _assert_nothing_determined(auditor.audit(demo_database_path, max_determined=25, certificates=0, label_span=False, **REGION_VIEWS))
    in_groups, hiding_region_cells = _years_in_groups(schools_in_groups)
    assert in_groups >= 20, "the years were protected whole: the test audited nothing new"
    assert hiding_region_cells >= 10, "no year in groups hid region cells for a small region cell"


def test_generated_region_protected_in_groups_of_schools_reveals_no_small_count(generated_region, schools_in_groups):
    _assert_nothing_determined(auditor.audit(generated_region, max_determined=25, certificates=0, label_span=False, **REGION_VIEWS))
    in_groups, hiding_region_cells = _years_in_groups(schools_in_groups)
    assert in_groups >= 8, "the years were protected whole: the test audited nothing new"
    assert hiding_region_cells >= 4, "no year in groups hid region cells for a small region cell"


# ---------------------------------------------------------------------------------------------
# The auditor checked on hand-built cases


def naive_publisher(argv: list[str]) -> tuple[int, str, str]:
    """The command line with primary suppression only: exact counts, 1-4 written '<5', shares over
    hidden or small (<10) counts left empty. Leaks by construction."""
    code, out, err = auditor.run_cli([*argv, "--raw"])
    if code != 0 or "--raw" in argv:
        return code, out, err
    rows = list(csv.DictReader(io.StringIO(out)))
    command = argv[0]
    for row in rows:
        for column in auditor.COUNT_COLUMNS[command]:
            if 1 <= int(row[column]) <= 4:
                row[column] = "<5"
        if command in auditor.SHARE_PARTS:
            numerator, denominator = auditor.SHARE_PARTS[command]
            if "<5" in (row[numerator], row[denominator]) or int(row[denominator]) < 10:
                row["share"] = row["ci_low"] = row["ci_high"] = ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(csv.DictReader(io.StringIO(out)).fieldnames or []), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return 0, buffer.getvalue(), err


def _leaky_region(path: Path) -> Path:
    """2020: school A has 10 boys (BWI) and 3 girls (Z&W) in vmbo leerjaar 3, school B 10 and 10;
    school A's 12 vmbo graduates of 2020: 10 in mbo techniek in 2021, 2 not found."""
    database = PupilDB(path)
    for i in range(10):
        database.vo(f"a{i}", 2020, school="31XA00", profile="BWI", gender="M")
        database.vo(f"b{i}", 2020, school="31XB00", profile="BWI", gender="M")
        database.vo(f"c{i}", 2020, school="31XB00", profile="Z&W", gender="V")
    for i in range(3):
        database.vo(f"g{i}", 2020, school="31XA00", profile="Z&W", gender="V")
    for i in range(12):
        database.vo(f"d{i}", 2020, school="31XA00", leerjaar=4, profile="PIE", gender="M", diploma=True)
        if i < 10:
            database.mbo(f"d{i}", 2021, "TECHNIEK")
    database.flush()
    database.close()
    return path


def test_auditor_finds_what_primary_suppression_gives_away(tmp_path):
    path = _leaky_region(tmp_path / "leaky.duckdb")
    report = auditor.audit(path, runner=naive_publisher, singles=(), combos=())
    print(auditor.summarize(report))
    found = {(tuple(d.metrics), d.value) for d in report.determined}
    # the 3 girls of school A: the region's girls minus school B's, or school A minus its boys
    girls = [d for d in report.determined if d.value == 3 and "inflow_vmbo" in d.metrics and "31XA00" in d.cell]
    assert girls and {d.how for d in girls} == {"span"}, found
    # the 2 graduates not found: graduates minus the shown destinations
    lost = [d for d in report.determined if d.value == 2 and "destinations_vmbo" in d.metrics and "niet_gevonden" in d.cell]
    assert lost, found
    assert all(1 <= d.value <= 4 for d in report.determined)
    assert report.metrics["inflow_vmbo"].hidden_small >= 1 and report.metrics["inflow_vmbo"].determined >= 1


def test_auditor_finds_nothing_when_nothing_is_small(tmp_path):
    """Every count is 0 or 10: nothing hidden, nothing determined (with the real command line, the cohort flow too)."""
    database = PupilDB(tmp_path / "plain.duckdb")
    for i in range(10):
        database.vo(f"v{i}", 2019, school="31XA00", leerjaar=2, gender="M")  # the cohort flow from 2019: 10 all the way
        database.vo(f"v{i}", 2020, school="31XA00", leerjaar=3, profile="BWI", gender="M")
        database.vo(f"v{i}", 2021, school="31XA00", leerjaar=4, profile="BWI", gender="M", diploma=True)
        database.mbo(f"v{i}", 2022, "TECHNIEK")
        database.vo(f"h{i}", 2020, school="31XD00", type="havo", leerjaar=4, profile="NT", gender="V")
        database.vo(f"h{i}", 2021, school="31XD00", type="havo", leerjaar=5, profile="NT", gender="V", diploma=True)
        database.ho(f"h{i}", 2022, "TECHNIEK")
    database.flush()
    database.close()
    report = auditor.audit(tmp_path / "plain.duckdb", singles=("geslacht",), combos=())
    print(auditor.summarize(report))
    assert report.hidden_small == 0 and not report.determined
    assert report.views_run > 50 and report.absent_rows_used > 0
    assert all(m.loss_region == (0, m.loss_region[1]) and m.loss_region[1] > 0 for m in report.metrics.values())
    assert report.metrics["cohort_flow"].loss_region[1] >= 8  # start, lj3, diploma, mbo techniek: nodes and links


def test_share_and_interval_give_the_denominator_back():
    """A share printed beside a hidden denominator is a leak the auditor reads: 3/7 with its interval."""
    assert auditor.share_solutions("0.428571", "0.15822", "0.749542", 3, None) == [(3, 7)]
    assert (3, 7) in auditor.share_solutions("0.428571", "", "", None, None)


# ---------------------------------------------------------------------------------------------
# The cohort flow (Sankey) checked on a hand-built region


def _leaky_flow_region(path: Path) -> Path:
    """Leerjaar 2 in 2020. School A: 10 pupils to leerjaar 3 BWI (2021) and a BWI diploma (2022), then in 2023 one each
    to ho techniek, ho overig, mbo overig, vo and nowhere, and 5 to mbo techniek; 3 pupils not found after leerjaar 2.
    School B: 10 pupils the same way to mbo techniek."""
    database = PupilDB(path)
    destinations = ["ho_t", "ho_o", "mbo_o", "vo", "none", "mbo_t", "mbo_t", "mbo_t", "mbo_t", "mbo_t"]
    for school, prefix, goes in (("31XA00", "a", destinations), ("31XB00", "b", ["mbo_t"] * 10)):
        for i, where in enumerate(goes):
            pupil = f"{prefix}{i}"
            database.vo(pupil, 2020, school=school, leerjaar=2)
            database.vo(pupil, 2021, school=school, leerjaar=3, profile="BWI")
            database.vo(pupil, 2022, school=school, leerjaar=4, profile="BWI", diploma=True)
            if where.startswith("ho"):
                database.ho(pupil, 2023, "TECHNIEK" if where == "ho_t" else "ECONOMIE")
            elif where.startswith("mbo"):
                database.mbo(pupil, 2023, "TECHNIEK" if where == "mbo_t" else "ECONOMIE")
            elif where == "vo":
                database.vo(pupil, 2023, school=school, type="havo", leerjaar=4)
    for i in range(3):
        database.vo(f"e{i}", 2020, school="31XA00", leerjaar=2)
    database.flush()
    database.close()
    return path


def primary_only_flow(argv: list[str], drop_empty: bool = False) -> tuple[int, str, str]:
    """The cohort flow with primary suppression only (1-4 as '<5'), and like the first Sankey, without empty flows."""
    code, out, err = auditor.run_cli([*argv, "--raw"])
    if code != 0 or "--raw" in argv:
        return code, out, err
    reader = csv.DictReader(io.StringIO(out))
    rows = [r for r in reader if not (drop_empty and r["pupils"] == "0")]
    for row in rows:
        row["pupils"] = "<5" if 1 <= int(row["pupils"]) <= 4 else row["pupils"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(reader.fieldnames or []), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return 0, buffer.getvalue(), err


def test_auditor_finds_what_a_primary_only_sankey_gives_away(tmp_path):
    path = _leaky_flow_region(tmp_path / "flow.duckdb")
    report = auditor.audit(path, runner=primary_only_flow, commands=("cohort-flow",), levels=("vmbo",),
                           singles=("school",), combos=())
    print(auditor.summarize(report))
    found = {(d.cell, d.value, d.how) for d in report.determined}
    # school A's 3 pupils not found after leerjaar 2: its leerjaar 2 (13) minus its leerjaar-3 pupils (10), by subtraction
    assert any("31XA00" in cell and "lj3_elders" in cell and value == 3 and how == "span" for cell, value, how in found), found
    # the region's ho techniek (1): the region's diploma holders to mbo techniek are 15, shown; the rest adds up to 5 but
    # 0-4 each: without knowing that a listed flow holds a pupil, not determined
    assert not any("regio" in cell and "ho_techniek" in cell for cell, _, _ in found), found
    assert any("the cohort flow lists empty links" in note for note in report.notes)
    assert report.metrics["cohort_flow"].hidden_small > 0 and all(1 <= d.value <= 4 for d in report.determined)


def test_auditor_reads_a_listed_flow_as_at_least_one_pupil(tmp_path):
    """The first Sankey listed only the flows someone took: five '<5' destinations that add up to 5 are each 1."""
    path = _leaky_flow_region(tmp_path / "flow.duckdb")
    report = auditor.audit(path, runner=functools.partial(primary_only_flow, drop_empty=True), commands=("cohort-flow",), levels=("vmbo",),
                           singles=(), combos=())
    print(auditor.summarize(report))
    found = {(d.cell, d.value, d.how) for d in report.determined}
    for node in ("ho_techniek", "ho_overig", "mbo_overig", "niet_gevonden"):
        # the node and the link into it are one cell (the same pupils); either names it
        assert any(" regio " in cell and cell.endswith(f"{node} pupils") and value == 1 and how == "lp" for cell, value, how in found), (node, found)
    assert report.absent_rows_used > 0 and not any("lists empty links" in note for note in report.notes)
