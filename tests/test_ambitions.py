"""Ambitions: status rules and edge cases, validation, and the edit-validate-save round trip."""

from __future__ import annotations

import pandas as pd
import pytest

from sto_metrics.metrics import ambitions
from sto_metrics.metrics.ambitions import Ambition, status, trajectory

RISING = Ambition("inflow_vmbo", "regio", "", 2020, 0.20, 2028, 0.30)
FALLING = Ambition("inflow_vmbo", "regio", "", 2020, 0.40, 2024, 0.30)


def test_trajectory_is_a_straight_line_then_the_target():
    assert trajectory(RISING, 0.20, 2020) == pytest.approx(0.20)
    assert trajectory(RISING, 0.20, 2024) == pytest.approx(0.25)  # halfway: 4 of 8 years
    assert trajectory(RISING, 0.20, 2026) == pytest.approx(0.275)
    assert trajectory(RISING, 0.20, 2031) == pytest.approx(0.30)  # after the target year the target holds
    assert trajectory(FALLING, 0.40, 2022) == pytest.approx(0.35)


@pytest.mark.parametrize(
    ("latest_value", "latest_year", "expected"),
    [
        (0.26, 2024, "op koers"),  # above the trajectory value 0.25
        (0.25, 2024, "op koers"),  # exactly on it counts as on track (>=)
        (0.249, 2024, "achter"),
        (0.30, 2024, "behaald"),  # target reached early
        (0.35, 2026, "behaald"),
        (None, 2024, "geen data"),  # suppressed or missing latest value
    ],
)
def test_status_of_a_rising_target(latest_value, latest_year, expected):
    assert status(RISING, 0.20, latest_value, latest_year) == expected


def test_status_of_a_falling_target_mirrors_the_rule():
    assert status(FALLING, 0.40, 0.34, 2022) == "op koers"  # below trajectory 0.35 is good here
    assert status(FALLING, 0.40, 0.36, 2022) == "achter"
    assert status(FALLING, 0.40, 0.29, 2022) == "behaald"


def test_target_already_met_at_baseline_is_behaald():
    met = Ambition("inflow_vmbo", "regio", "", 2020, None, 2025, 0.20)
    assert status(met, 0.22, 0.22, 2020) == "behaald"


def test_target_year_in_the_past_compares_with_the_target_itself():
    past = Ambition("inflow_vmbo", "regio", "", 2018, 0.10, 2021, 0.20)
    assert trajectory(past, 0.10, 2024) == pytest.approx(0.20)
    assert status(past, 0.10, 0.19, 2024) == "achter"
    assert status(past, 0.10, 0.21, 2024) == "behaald"


def test_missing_baseline_is_geen_data():
    assert status(RISING, None, 0.25, 2024) == "geen data"


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"metric": "inflow_vmbo", "scope": "regio", "split": "", "baseline_year": "2020-2021", "baseline_value": "",
            "target_year": "2027-2028", "target_value": "30", "note": ""}
    return pd.DataFrame([{**base, **row} for row in rows], columns=ambitions.FILE_COLUMNS)


@pytest.mark.parametrize(
    ("row", "phrase"),
    [
        ({"metric": "instroom"}, "onbekende indicator"),
        ({"scope": "99ZZ00"}, "onbekende school"),
        ({"target_year": "2020-2021"}, "na het nulmetingsjaar"),
        ({"target_year": "2019"}, "na het nulmetingsjaar"),
        ({"target_value": "130"}, "tussen 0% en 100%"),
        ({"target_value": "-5"}, "tussen 0% en 100%"),
        ({"baseline_value": "veel"}, "geen getal"),
        ({"target_value": ""}, "streefwaarde ontbreekt"),
        ({"baseline_year": "ooit"}, "nulmetingsjaar ontbreekt"),
        ({"split": "geslacht=Q"}, "onbekende uitsplitsing"),
        ({"metric": "progression_vmbo", "split": "geslacht=V"}, "onbekende uitsplitsing"),
    ],
)
def test_invalid_rows_get_a_dutch_message_with_their_line(row, phrase):
    parsed, errors = ambitions.validate(_frame([{}, row]), known_schools={"31XA00"})
    assert len(parsed) == 1 and len(errors) == 1
    assert errors[0].startswith("Regel 3:") and phrase in errors[0]


def test_duplicates_are_refused():
    _, errors = ambitions.validate(_frame([{}, {"note": "nogmaals"}]), known_schools=set())
    assert errors == ["Regel 3: dubbel: dezelfde indicator, school en uitsplitsing staan ook op regel 2."]


def test_values_parse_as_percentages_and_years_in_every_spelling():
    parsed, errors = ambitions.validate(
        _frame([{"baseline_value": "19,5%", "target_value": "27.5", "baseline_year": "2020", "target_year": "2027/28"}]), set()
    )
    assert errors == []
    assert parsed[0].baseline_value == pytest.approx(0.195) and parsed[0].target_value == pytest.approx(0.275)
    assert (parsed[0].baseline_year, parsed[0].target_year) == (2020, 2027)


def test_shipped_ambitions_file_is_valid_for_the_demo_schools():
    frame = ambitions.read_targets()
    schools = {s for s in frame.scope if s != "regio"}
    parsed, errors = ambitions.validate(frame, known_schools=schools)
    assert errors == [] and len(parsed) == len(frame) >= 8
    assert {a.metric for a in parsed} >= {"inflow_vmbo", "inflow_havo_vwo", "progression_vmbo"}
    assert any(a.split == "geslacht=V" for a in parsed) and any(a.split == "herkomst=techniek" for a in parsed)


def test_save_round_trip_keeps_a_backup(tmp_path):
    path = tmp_path / "ambities.csv"
    first = _frame([{}])
    assert ambitions.save_targets(first, set(), path) == []
    second = _frame([{}, {"split": "geslacht=V", "target_value": "12"}])
    assert ambitions.save_targets(second, set(), path) == []
    assert len(ambitions.read_targets(path)) == 2
    assert len(ambitions.read_targets(path.with_name("ambities.csv.bak"))) == 1


def test_invalid_edit_never_touches_the_file(tmp_path):
    path = tmp_path / "ambities.csv"
    assert ambitions.save_targets(_frame([{}]), set(), path) == []
    before = path.read_bytes()
    errors = ambitions.save_targets(_frame([{}, {"target_value": "250"}]), set(), path)
    assert errors and "tussen 0% en 100%" in errors[0]
    assert path.read_bytes() == before and not path.with_name("ambities.csv.bak").exists()


def test_failed_save_leaves_the_file_and_no_temporary_behind(tmp_path, monkeypatch):
    path = tmp_path / "ambities.csv"
    assert ambitions.save_targets(_frame([{}]), set(), path) == []
    before = path.read_bytes()

    def disk_full(*_args):
        raise OSError("schijf vol")

    monkeypatch.setattr(ambitions.os, "replace", disk_full)
    errors = ambitions.save_targets(_frame([{}, {"split": "geslacht=V"}]), set(), path)
    assert errors and "niet gewijzigd" in errors[0]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ambities.csv", "ambities.csv.bak"]


def test_save_into_a_missing_folder_is_refused_cleanly(tmp_path):
    errors = ambitions.save_targets(_frame([{}]), set(), tmp_path / "weg" / "ambities.csv")
    assert errors and "niet gewijzigd" in errors[0]
