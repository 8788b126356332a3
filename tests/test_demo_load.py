"""The bundled demo region: every file loads, the deliberate problems are reported exactly, a reload refuses all."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sto_metrics import db
from sto_metrics.loading import pseudonym
from sto_metrics.paths import DEMO_DIR
from tests.loader_support import table_checksums

REPO = Path(__file__).resolve().parent.parent


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), pseudonym.SECRET_DIR_ENV: str(home / "secrets")}
    return subprocess.run([sys.executable, "-m", "sto_metrics", *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def demo_load(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo-load")
    database = home / "demo.duckdb"
    first = _cli("load", str(DEMO_DIR), "--db", str(database), home=home)
    return home, database, first


def test_every_demo_file_loads(demo_load):
    _, database, first = demo_load
    assert first.returncode == 0, first.stdout + first.stderr
    files = sorted(p.name for p in DEMO_DIR.rglob("*.csv"))
    for name in files:
        assert f"{name} [" in first.stdout and "geladen" in first.stdout
    assert f"Totaal: {len(files)} van {len(files)} bestand(en) geladen" in first.stdout
    con = db.connect(database, read_only=True)
    assert con.execute("SELECT count(*) FROM load_log").fetchall() == [(len(files),)]
    con.close()


def test_exactly_the_deliberate_problems_are_reported(demo_load):
    _, database, _ = demo_load
    manifest = json.loads((DEMO_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    expected = Counter()
    for problem in manifest["problems"]:
        expected[(Path(problem["file"]).name, problem["kind"])] += problem["count"]
    con = db.connect(database, read_only=True)
    reported = Counter()
    for file_name, problems in con.execute("SELECT file_name, problems FROM load_log").fetchall():
        for kind, count in json.loads(problems).items():
            reported[(file_name, kind)] += count
    con.close()
    assert reported == expected


def test_problem_lines_match_the_manifest(demo_load):
    _, _, first = demo_load
    manifest = json.loads((DEMO_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    for problem in manifest["problems"]:
        if problem["kind"] in ("onbekend_profiel", "dubbele_leerling"):
            assert f"de eerste op regel {min(problem['lines'])}" in first.stdout, problem


def test_loading_the_demo_again_refuses_every_file_and_changes_nothing(demo_load):
    home, database, _ = demo_load
    con = db.connect(database, read_only=True)
    before = table_checksums(con)
    con.close()
    again = _cli("load", str(DEMO_DIR), "--db", str(database), home=home)
    files = list(DEMO_DIR.rglob("*.csv"))
    assert again.returncode == 2
    assert again.stdout.count(": geweigerd") == len(files) and again.stdout.count("al geladen") == len(files)
    con = db.connect(database, read_only=True)
    after = table_checksums(con)
    refusals = con.execute("SELECT count(*) FROM audit_log WHERE action = 'geweigerd'").fetchall()[0][0]
    con.close()
    # Only the audit log changes: one line per refused file, for the beheerder who asks who tried what.
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in before.items() if k != "audit_log"}
    assert after["audit_log"][0] == before["audit_log"][0] + len(files) and refusals >= len(files)
