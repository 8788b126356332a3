"""Profielbehoud through the privacy gate: suppressed like every figure, and no hidden count comes back.

The attacker sees every `retention` output (regio and school, D&P counted or not) and the relations
between them: pupils = retained + left, schools add up to the region, and the two settings differ by
the D&P pupils (an unknown group of at least 0).
"""

from __future__ import annotations

import csv
import io

from sto_metrics import cli, db, published
from sto_metrics.metrics import calculations
from sto_metrics.settings import MetricSettings
from tests.test_privacy_differencing import Attacker

SETTINGS = {"a": ([], MetricSettings()), "b": (["--dp-technical"], MetricSettings(dp_technical=True))}


def _rows(capsys, argv):
    assert cli.main(argv) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_retention_is_suppressed_on_the_command_line(capsys, metrics_synthetic_db):
    rows = _rows(capsys, ["retention", "--db", str(metrics_synthetic_db), "--by", "school"])
    assert rows and list(rows[0]) == ["school_year", "scope", "scope_name", "pupils", "retained", "share", "ci_low", "ci_high"]
    raw = {(r["school_year"], r["scope"]): r for r in _rows(capsys, ["retention", "--db", str(metrics_synthetic_db), "--by", "school", "--raw"])}
    assert any(1 <= int(r["pupils"]) - int(r["retained"]) <= 4 for r in raw.values()), "the test region should have small groups"
    for row in rows:
        exact = raw[(row["school_year"], row["scope"])]
        for column in ("pupils", "retained"):
            if 1 <= int(exact[column]) <= 4:
                assert row[column] == "<5"
            assert row[column] in ("<5", "", exact[column])
        if row["share"]:
            assert row["pupils"] == exact["pupils"] and int(exact["pupils"]) >= 10 and row["retained"] == exact["retained"]


def test_no_hidden_retention_count_is_recoverable(capsys, metrics_synthetic_db):
    attacker = Attacker()
    schools_by_year: dict[str, set[str]] = {}
    for setting, (flags, _) in SETTINGS.items():
        for by in ("regio", "school"):
            for row in _rows(capsys, ["retention", "--db", str(metrics_synthetic_db), "--by", by, *flags]):
                key = (row["school_year"], row["scope"], setting)
                attacker.observe((*key, "P"), row["pupils"])
                attacker.observe((*key, "R"), row["retained"])
                attacker.relation((*key, "P"), [(*key, "R"), (*key, "L")])
                if by == "school":
                    schools_by_year.setdefault(row["school_year"], set()).add(row["scope"])
    assert attacker.hidden, "the synthetic region should have suppressed retention cells"
    for year, schools in schools_by_year.items():
        for setting in SETTINGS:
            for measure in ("P", "R", "L"):
                attacker.relation((year, "regio", setting, measure), [(year, s, setting, measure) for s in sorted(schools)])
        for scope in ["regio", *sorted(schools)]:
            attacker.relation((year, scope, "b", "P"), [(year, scope, "a", "P"), (year, scope, "X")])
            attacker.relation((year, scope, "b", "R"), [(year, scope, "a", "R"), (year, scope, "D")])
    truth = {}
    con = db.connect(metrics_synthetic_db, read_only=True)
    for setting, (_, settings) in SETTINGS.items():
        for by in ("regio", "school"):
            for r in published.exact_table(con, "retention_vmbo", by=by, settings=settings).to_dict("records"):
                key = (r["school_year"], r["scope"], setting)
                truth |= {(*key, "P"): r["pupils"], (*key, "R"): r["retained"], (*key, "L"): r["pupils"] - r["retained"]}
    con.close()
    for key, value in attacker.known.items():
        if key in truth:
            assert truth[key] == value, key
    recovered = attacker.attack()
    small = {k: v for k, v in recovered.items() if 1 <= v <= 4 and k in truth}
    assert not small, f"small retention counts recovered: {list(small.items())[:5]}"
    assert calculations.RETENTION_COLUMNS == ["school_year", "scope", "scope_name", "pupils", "retained", "share", "ci_low", "ci_high"]
