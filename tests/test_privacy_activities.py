"""The privacy auditor (tests/privacy_auditor.py) on the activity figures only: reach-pupils and activity-effect, with the
inflow whose cells they share, audited together (a reach-pupils row of school year Y is a cell of the inflow's block Y+1).

The whole auditor takes a quarter of an hour on the demo (tests/test_privacy_auditor.py); these views take about a minute.
"""

from __future__ import annotations

from pathlib import Path

from tests import privacy_auditor as auditor
from tests.conftest import PupilDB
from tests.test_privacy_auditor import naive_publisher

ACTIVITY_VIEWS = dict(commands=("inflow", "activity-effect", "reach-pupils"), levels=("vmbo",), combos=(),
                      school_views_with_school_filter=False, certificates=0, label_span=False)


def test_demo_activity_figures_reveal_no_small_count(demo_database_path):
    # every --school; --leerweg and --geslacht are refused by both activity commands, and add inflow's views
    report = auditor.audit(demo_database_path, singles=("school", "leerweg", "geslacht"), max_determined=25, **ACTIVITY_VIEWS)
    print(auditor.summarize(report))
    reached = report.metrics["reach_pupils"]
    assert reached.loss_region[1] >= 6 and reached.loss_school[1] >= 18  # the demo's reached counts were all read
    assert report.metrics["activity_effect"].hidden_small > 10  # small group counts, hidden beside the reached counts
    assert not report.determined, "\n".join(f"[{d.how}] = {d.value}: {d.cell}" for d in report.determined[:10])


def _listed_region(path: Path) -> Path:
    """2020: 3 pupils of school A and 10 of school B in vmbo leerjaar 2 on a Techcarrousel list; 2021: all of them in
    leerjaar 3 beside 10 others per school."""
    database = PupilDB(path)
    for school, listed in (("31XA00", 3), ("31XB00", 10)):
        for i in range(listed):
            database.vo(f"{school}-{i}", 2020, school=school, leerjaar=2)
            database.vo(f"{school}-{i}", 2021, school=school, leerjaar=3, profile="BWI" if i % 2 else "Z&W")
        for i in range(10):
            database.vo(f"{school}-x{i}", 2021, school=school, leerjaar=3, profile="PIE" if i % 3 else "E&O")
    con = database.flush()
    for school, listed in (("31XA00", 3), ("31XB00", 10)):
        con.execute("INSERT INTO activity VALUES (9, ?, 'Techcarrousel', 'techcarrousel', 2020, NULL, ?, NULL, 2, ?, 0)",
                    [f"TC-{school}", school, listed])
        con.executemany("INSERT INTO activity_participant VALUES (9, ?, ?)", [[f"TC-{school}", f"{school}-{i}"] for i in range(listed)])
    database.close()
    return path


def test_auditor_reads_reached_pupils_beside_the_region(tmp_path):
    path = _listed_region(tmp_path / "listed.duckdb")
    leaky = auditor.audit(path, runner=naive_publisher, singles=(), **ACTIVITY_VIEWS)
    print(auditor.summarize(leaky))
    # primary suppression only: school A's 3 reached pupils are the region's 13 minus school B's 10
    assert any(d.value == 3 and d.metrics == ["reach_pupils"] and "31XA00" in d.cell for d in leaky.determined)
    safe = auditor.audit(path, singles=("school",), **ACTIVITY_VIEWS)
    print(auditor.summarize(safe))
    assert safe.metrics["reach_pupils"].hidden_small == 1 and not safe.determined
