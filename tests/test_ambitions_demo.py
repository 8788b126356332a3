"""The demo region's ambitions, checked the way a person would: against the inflow/progression output."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from sto_metrics.demo import prebuilt
from sto_metrics.metrics import ambitions

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ambities") / "demo.duckdb"
    prebuilt.build(path)
    return path


def _cli(*args: str) -> list[dict]:
    done = subprocess.run([sys.executable, "-W", "ignore", "-m", "sto_metrics", *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout)))


def _published_share(rows: list[dict], year: str, scope: str, split: str = "", from_group: str | None = None) -> float | None:
    for row in rows:
        if row["school_year"] == year and row["scope"] == scope and row.get("split", "") == split and (from_group is None or row["from_group"] == from_group):
            return float(row["share"]) if row["share"] else None
    raise AssertionError(f"no row for {year} {scope} {split} {from_group}")


def test_demo_ambitions_match_the_published_figures_and_the_status_rule(demo_database):
    evaluated = _cli("ambitions", "--db", str(demo_database))
    assert len(evaluated) == len(ambitions.read_targets())
    published = {
        ("inflow_vmbo", "regio", ""): _cli("inflow", "--db", str(demo_database)),
        ("inflow_vmbo", "regio", "geslacht"): _cli("inflow", "--db", str(demo_database), "--split", "geslacht"),
        ("inflow_vmbo", "school", ""): _cli("inflow", "--db", str(demo_database), "--by", "school"),
        ("inflow_havo_vwo", "regio", ""): _cli("inflow", "--db", str(demo_database), "--level", "havo-vwo"),
        ("inflow_havo_vwo", "school", ""): _cli("inflow", "--db", str(demo_database), "--level", "havo-vwo", "--by", "school"),
        ("progression_vmbo", "regio", ""): _cli("progression", "--db", str(demo_database)),
        ("progression_vmbo", "school", ""): _cli("progression", "--db", str(demo_database), "--by", "school"),
    }
    for row in evaluated:
        field, _, value = row["split"].partition("=")
        by = "regio" if row["scope"] == "regio" else "school"
        table = published[(row["metric"], by, field if row["metric"].startswith("inflow") else "")]
        from_group = (value or "totaal") if row["metric"].startswith("progression") else None
        split_value = value if row["metric"].startswith("inflow") else ""
        baseline_year, target_year = int(row["baseline_year"][:4]), int(row["target_year"][:4])
        if not row["latest_year"]:
            assert row["status"] == "geen data"
            continue
        latest = _published_share(table, row["latest_year"], row["scope"], split_value, from_group)
        assert (float(row["latest_value"]) if row["latest_value"] else None) == pytest.approx(latest) if latest is not None else row["latest_value"] == ""
        baseline = float(row["baseline_value"]) if row["baseline_value"] else None
        if baseline is None or latest is None:
            assert row["status"] == "geen data", row
            continue
        target = float(row["target_value"])
        year = int(row["latest_year"][:4])
        trajectory = baseline + (target - baseline) * min(max((year - baseline_year) / (target_year - baseline_year), 0), 1)
        assert float(row["trajectory_value"]) == pytest.approx(trajectory, abs=1e-6)
        expected = "behaald" if latest >= target else "op koers" if latest >= trajectory else "achter"
        assert row["status"] == expected, row


def test_demo_ambitions_show_a_mix_of_statuses(demo_database):
    statuses = {row["status"] for row in _cli("ambitions", "--db", str(demo_database))}
    assert {"op koers", "achter", "behaald", "geen data"} <= statuses


def test_unknown_school_in_targets_is_a_dutch_error_with_exit_2(demo_database, tmp_path):
    targets = tmp_path / "ambities.csv"
    targets.write_text("metric,scope,split,baseline_year,baseline_value,target_year,target_value,note\ninflow_vmbo,99ZZ99,,2020,,2025,30,\n")
    done = subprocess.run([sys.executable, "-m", "sto_metrics", "ambitions", "--db", str(demo_database), "--targets", str(targets)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Regel 2: onbekende school '99ZZ99'" in done.stderr and "Traceback" not in done.stderr
