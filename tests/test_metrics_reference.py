"""The engine agrees row for row with the independent pandas reference (tests/reference_pandas.py)."""

import math

import pytest

from sto_metrics import db
from sto_metrics.metrics import calculations
from sto_metrics.settings import MetricSettings
from tests import reference_pandas as reference

SETTINGS = [
    MetricSettings(),
    MetricSettings(dp_technical=True, havo_vwo_technical="n", progression_denominator="all_graduates"),
]


@pytest.fixture(scope="module")
def synthetic(metrics_synthetic_db):
    con = db.connect(metrics_synthetic_db, read_only=True)
    yield con, reference.load(con)
    con.close()


def _rows(frame, keys):
    out = {}
    for row in frame.to_dict("records"):
        key = tuple(None if (isinstance(row[k], float) and math.isnan(row[k])) else row[k] for k in keys)
        assert key not in out, f"duplicate row {key}"
        out[key] = row
    return out


def _assert_same(engine, expected, keys):
    assert list(engine.columns) == list(expected.columns)
    got, want = _rows(engine, keys), _rows(expected, keys)
    assert set(got) == set(want)
    for key, row in want.items():
        for column, value in row.items():
            if column in ("share", "ci_low", "ci_high"):
                assert (math.isnan(value) and math.isnan(got[key][column])) or got[key][column] == pytest.approx(value, abs=1e-12), (key, column)
            else:
                assert got[key][column] == value, (key, column, got[key][column], value)
    assert len(engine) > 0


@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "alternative"])
@pytest.mark.parametrize("level", calculations.LEVELS)
@pytest.mark.parametrize("by", ["regio", "school"])
def test_inflow_matches_reference(synthetic, settings, level, by):
    con, tables = synthetic
    for split in (None, "geslacht", "leerweg"):
        engine = calculations.inflow(con, level, by, split, settings)
        _assert_same(engine, reference.inflow(tables, level, by, split, settings), ["school_year", "scope", "split"])


@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "alternative"])
@pytest.mark.parametrize("level", calculations.LEVELS)
@pytest.mark.parametrize("by", ["regio", "school"])
def test_destinations_and_progression_match_reference(synthetic, settings, level, by):
    con, tables = synthetic
    keys = ["school_year", "scope", "from_group"]
    _assert_same(calculations.destinations(con, level, by, settings), reference.destinations(tables, level, by, settings), keys)
    _assert_same(calculations.progression(con, level, by, settings), reference.progression(tables, level, by, settings), keys)


def test_engine_output_is_sorted_deterministically(synthetic):
    con, _ = synthetic
    table = calculations.destinations(con, "vmbo", "school")
    order = table.assign(g=table["from_group"].map(calculations.FROM_GROUPS.index))[["school_year", "scope", "g"]]
    assert order.equals(order.sort_values(["school_year", "scope", "g"]))
    assert calculations.inflow(con).equals(calculations.inflow(con))


@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "alternative"])
@pytest.mark.parametrize("by", ["regio", "school"])
def test_retention_matches_reference(synthetic, settings, by):
    con, tables = synthetic
    engine = calculations.retention(con, "vmbo", by, settings)
    expected = reference.retention(tables, by, settings)
    _assert_same(engine, expected, ["school_year", "scope"])
    assert (engine["retained"] < engine["pupils"]).any(), "the synthetic region should have pupils who leave technology"
