"""No figure changes by accident: every metric command variant prints exactly the kept output on the demo region."""

from __future__ import annotations

import pytest

from tests.golden_cli import GOLDEN_DIR, invocations, run

CASES = invocations()


def test_every_variant_has_a_kept_output():
    assert sorted(p.stem for p in GOLDEN_DIR.glob("*.csv")) == sorted(CASES)


@pytest.mark.parametrize("stem", sorted(CASES))
def test_output_is_byte_identical(demo_database_path, stem):
    expected = (GOLDEN_DIR / f"{stem}.csv").read_bytes()
    assert run(CASES[stem], demo_database_path) == expected, "regenerate with python -m tests.golden_cli only if the change is meant"
