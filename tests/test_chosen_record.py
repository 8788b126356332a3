"""The stored chosen vo record (vo_enrolment.is_chosen) stays right across loads, replacements and removals.

After every step the stored flags are compared with a pandas computation of the rule from the raw rows the test
loaded (highest leerjaar, then the smallest school id: one record per pupil and year), and a few pupils by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sto_metrics import access
from sto_metrics.errors import UserError
from sto_metrics.loading import loader, pseudonym
from sto_metrics.loading.reference import open_database
from tests.loader_support import VO_HEADER, csv_text

pytestmark = pytest.mark.usefixtures("pupil_key_secret")

A, B = "31XA00", "31XB00"


def row(key: str, year: str, school: str, leerjaar: int, education: str = "VMBO-BB") -> list[str]:
    return [key, year, school, "", education, str(leerjaar), "BWI" if leerjaar >= 3 else "", "M", ""]


# School A, 2023: twelve pupils in leerjaar 1 to 4.
A_2023 = [row(f"2000{n:02d}", "2023-2024", A, 1 + n % 4) for n in range(12)]
# School B, 2023 and 2022: some of A's pupils again, higher, equal and lower, and pupils of its own.
B_ROWS = [
    row("200001", "2023-2024", B, 4),  # A has leerjaar 2: B wins
    row("200003", "2023-2024", B, 4),  # A has leerjaar 4 too: the smaller school id (A) wins
    row("200004", "2023-2024", B, 3),  # A has leerjaar 1: B wins
    row("200007", "2023-2024", B, 1),  # A has leerjaar 4: A wins
    row("200100", "2023-2024", B, 3),  # only at B
    row("200001", "2022-2023", B, 1),  # another year: on its own
]
# A corrected file for 2023 (--replace): pupil 200001 is gone, 200003 is in leerjaar 3 now, 200007 in leerjaar 1.
A_2023_CORRECTED = [r for r in A_2023 if r[0] != "200001"]
A_2023_CORRECTED = [row(r[0], r[1], A, 3) if r[0] == "200003" else row(r[0], r[1], A, 1) if r[0] == "200007" else r
                    for r in A_2023_CORRECTED]


def export(rows: list[list[str]]) -> bytes:
    return csv_text(VO_HEADER, rows).encode("utf-8")


def expected_flags(con, raw_rows: list[list[str]]) -> pd.DataFrame:
    """The rule in pandas from the raw rows now loaded: per pupil and year the highest leerjaar, then the smallest school."""
    secret = pseudonym.database_secret(con)
    frame = pd.DataFrame(raw_rows, columns=VO_HEADER)
    frame = pd.DataFrame({
        "pupil_hash": [pseudonym.pseudonymise(secret, key) for key in frame["leerlingnummer"]],
        "school_year": frame["schooljaar"].str[:4].astype(int),
        "school_id": frame["brinvestiging"],
        "leerjaar": frame["leerjaar"].astype(int),
    })
    ranked = frame.sort_values(["leerjaar", "school_id"], ascending=[False, True])
    winners = ranked.drop_duplicates(["pupil_hash", "school_year"], keep="first")
    frame["is_chosen"] = frame.index.isin(winners.index)
    return frame.sort_values(["pupil_hash", "school_year", "school_id"]).reset_index(drop=True)


def stored_flags(con) -> pd.DataFrame:
    return con.execute("SELECT pupil_hash, school_year, school_id, leerjaar, is_chosen FROM vo_enrolment "
                       "ORDER BY pupil_hash, school_year, school_id").df()


def chosen_school(con, key: str, year: int) -> list[str]:
    hashed = pseudonym.pseudonymise(pseudonym.database_secret(con), key)
    return [s for (s,) in con.execute("SELECT school_id FROM vo_enrolment WHERE pupil_hash = ? AND school_year = ? AND is_chosen",
                                      [hashed, year]).fetchall()]


def assert_flags(con, raw_rows: list[list[str]]) -> None:
    stored, expected = stored_flags(con), expected_flags(con, raw_rows)
    assert len(stored) == len(raw_rows)
    pd.testing.assert_frame_equal(stored[["pupil_hash", "school_year", "school_id", "is_chosen"]].astype({"school_year": int}),
                                  expected[["pupil_hash", "school_year", "school_id", "is_chosen"]], check_dtype=False)


def test_flags_follow_loads_replacements_and_removals(con):
    first = loader.load_bytes(con, "a-2023.csv", export(A_2023))
    assert first.loaded
    assert_flags(con, A_2023)
    assert con.execute("SELECT count(*) FILTER (is_chosen) FROM vo_enrolment").fetchall() == [(12,)]

    second = loader.load_bytes(con, "b.csv", export(B_ROWS))
    assert second.loaded
    assert_flags(con, A_2023 + B_ROWS)
    # by hand: 200001 moves to B (leerjaar 4 over 2), 200003 stays at A (tie, smaller id), 200004 moves to B, 200007 stays
    assert [chosen_school(con, k, 2023) for k in ("200001", "200003", "200004", "200007", "200100")] == [[B], [A], [B], [A], [B]]
    assert chosen_school(con, "200001", 2022) == [B]
    assert con.execute("SELECT count(*) FILTER (is_chosen) FROM vo_enrolment").fetchall() == [(12 + 6 - 4,)]

    corrected = loader.load_bytes(con, "a-2023-correctie.csv", export(A_2023_CORRECTED), replace=True)
    assert corrected.loaded
    assert_flags(con, A_2023_CORRECTED + B_ROWS)
    # 200001 only at B now; 200003 (3 against B's 4) and 200007 (1 against B's 1: tie, A) as the rule says
    assert [chosen_school(con, k, 2023) for k in ("200001", "200003", "200007")] == [[B], [B], [A]]

    loader.remove_load(con, second.load_id)
    assert_flags(con, A_2023_CORRECTED)
    assert [chosen_school(con, k, 2023) for k in ("200001", "200003", "200004")] == [[], [A], [A]]

    loader.remove_load(con, corrected.load_id)  # the original A rows come back, each its pupil's only record
    assert_flags(con, A_2023)
    assert con.execute("SELECT count(*), count(*) FILTER (is_chosen) FROM vo_enrolment").fetchall() == [(12, 12)]


def test_a_database_from_before_the_flag_gets_it_on_a_writable_open(tmp_path):
    path = tmp_path / "oud.duckdb"
    con = open_database(path)
    assert loader.load_bytes(con, "a-2023.csv", export(A_2023)).loaded
    assert loader.load_bytes(con, "b.csv", export(B_ROWS)).loaded
    for table in ("vo_enrolment", "replaced_vo_enrolment"):  # as an earlier version left it
        con.execute(f"ALTER TABLE {table} DROP COLUMN is_chosen")
    con.close()

    with pytest.raises(UserError, match="eerdere versie"):
        access.open_read_only(path, wait_seconds=0)

    con = open_database(path)
    assert_flags(con, A_2023 + B_ROWS)
    assert chosen_school(con, "200001", 2023) == [B]
    con.close()
    access.open_read_only(path, wait_seconds=0).close()  # up to date now
