"""The compact pupil number (pupil.pupil_number, the enrolments' pupil_number) stays exact across loads, replacements,
removals and the upgrade of an older database.

After every step the stored numbers are checked in pandas against what they must be: one number per pupil hash and one
hash per number over the dictionary, every enrolment row (replaced ones too) carrying its hash's number, and no number
given earlier changed or given again. The metric queries join on the number, so an older database upgraded on a
writable open must give the same inner cells as it did before.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sto_metrics import access, db
from sto_metrics.errors import UserError
from sto_metrics.loading import loader, pseudonym
from sto_metrics.loading.reference import open_database
from tests.conftest import synthetic_region
from tests.loader_support import MBO_HEADER, VO_HEADER, csv_text

ENROLMENTS = ("vo_enrolment", "mbo_enrolment", "ho_enrolment", "replaced_vo_enrolment", "replaced_mbo_enrolment",
              "replaced_ho_enrolment")
HO_HEADER = ["studentnummer", "collegejaar", "instelling", "croho", "opleiding", "type", "croho_onderdeel"]


def vo_row(key: str, year: str, school: str = "31XA00", leerjaar: int = 4, diploma: str = "ja") -> list[str]:
    return [key, year, school, "", "VMBO-BB", str(leerjaar), "BWI", "M", diploma]


VO_2023 = [vo_row(f"3000{n:02d}", "2023-2024") for n in range(10)]
# The next year: four of them again (stayed down, written with leading zeros and spaces: the same pupils), four new.
VO_2024 = [vo_row(key, "2024-2025", leerjaar=4) for key in ("0300000", "300001", "3000 02", "300003")] + \
          [vo_row(f"3100{n:02d}", "2024-2025", leerjaar=3, diploma="") for n in range(4)]
MBO_2024 = [[f"3000{n:02d}", "2024-2025", "25MA", "90001", "Monteur", "2", "BOL", "Techniek"] for n in range(4, 8)] + \
           [["390000", "2024-2025", "25MA", "90001", "Monteur", "2", "BOL", "Techniek"]]  # a pupil no vo file lists
HO_2024 = [["300008", "2024", "21HA", "30001", "Werktuigbouwkunde", "hbo-bachelor", "Techniek"],
           ["300004", "2024", "21HA", "30001", "Werktuigbouwkunde", "hbo-bachelor", "Techniek"]]  # also in mbo
# A corrected 2023 file (--replace): pupil 300009 is gone, 300099 is new.
VO_2023_CORRECTED = [r for r in VO_2023 if r[0] != "300009"] + [vo_row("300099", "2023-2024")]


def load(con, name: str, header: list[str], rows: list[list[str]], *, replace: bool = False) -> int:
    result = loader.load_bytes(con, name, csv_text(header, rows).encode("utf-8"), replace=replace)
    assert result.loaded, result.messages
    return result.load_id


def dictionary(con) -> pd.DataFrame:
    return con.execute("SELECT pupil_hash, pupil_number FROM pupil").df()


def assert_numbers_exact(con, earlier: pd.DataFrame | None = None) -> pd.DataFrame:
    """One number per hash, one hash per number, every row its hash's number; numbers given earlier unchanged."""
    numbers = dictionary(con)
    assert numbers["pupil_number"].notna().all() and numbers["pupil_hash"].notna().all()
    assert numbers["pupil_hash"].is_unique and numbers["pupil_number"].is_unique
    for table in ENROLMENTS:
        stored = con.execute(f"SELECT pupil_hash, pupil_number FROM {table}").df()
        joined = stored.merge(numbers, on="pupil_hash", how="left", suffixes=("", "_of_hash"), validate="many_to_one")
        assert joined["pupil_number_of_hash"].notna().all(), f"{table}: a pupil without a dictionary entry"
        assert (joined["pupil_number"] == joined["pupil_number_of_hash"]).all(), f"{table}: a row with another pupil's number"
    if earlier is not None:  # a pupil still in the dictionary kept its number
        kept = earlier.merge(numbers, on="pupil_hash", how="inner", suffixes=("_then", "_now"))
        assert (kept["pupil_number_then"] == kept["pupil_number_now"]).all(), "a number changed"
    return numbers


def hashes(con, keys) -> set[str]:
    secret = pseudonym.database_secret(con)
    return {pseudonym.pseudonymise(secret, key) for key in keys}


@pytest.mark.usefixtures("pupil_key_secret")
def test_numbers_stay_exact_across_loads_replacements_and_removals(con):
    load(con, "vo-2023.csv", VO_HEADER, VO_2023)
    numbers = assert_numbers_exact(con)
    assert sorted(numbers["pupil_number"]) == list(range(1, 11))  # ten pupils, numbered from 1

    load(con, "vo-2024.csv", VO_HEADER, VO_2024)
    numbers = assert_numbers_exact(con, numbers)
    assert len(numbers) == 14  # four known pupils (written differently) kept their numbers, four new ones
    assert con.execute("SELECT count(DISTINCT pupil_number) FROM vo_enrolment").fetchall() == [(14,)]

    mbo = load(con, "mbo-2024.csv", MBO_HEADER, MBO_2024)
    load(con, "ho-2024.csv", HO_HEADER, HO_2024)
    numbers = assert_numbers_exact(con, numbers)
    assert len(numbers) == 15  # 390000 is new; the others are vo pupils
    # by hand: a pupil in vo 2023, mbo and ho has one number in all three tables
    both = hashes(con, ["300004"]).pop()
    assert con.execute("SELECT count(DISTINCT pupil_number), count(*) FROM (SELECT pupil_number FROM vo_enrolment WHERE pupil_hash = $h "
                       "UNION ALL SELECT pupil_number FROM mbo_enrolment WHERE pupil_hash = $h "
                       "UNION ALL SELECT pupil_number FROM ho_enrolment WHERE pupil_hash = $h)", {"h": both}).fetchall() == [(1, 3)]

    corrected = load(con, "vo-2023-correctie.csv", VO_HEADER, VO_2023_CORRECTED, replace=True)
    numbers = assert_numbers_exact(con, numbers)
    assert len(numbers) == 16  # 300099; 300009's rows moved aside keep its number
    assert con.execute("SELECT count(*) FROM replaced_vo_enrolment").fetchall() == [(10,)]

    loader.remove_load(con, mbo)
    before_removal, numbers = numbers, assert_numbers_exact(con, numbers)
    # the pupil only the mbo file named (390000) left the dictionary; its vo pupils (300004-300007) stayed
    assert set(before_removal["pupil_hash"]) - set(numbers["pupil_hash"]) == hashes(con, ["390000"])
    assert len(numbers) == 15
    load(con, "mbo-2024.csv", MBO_HEADER, MBO_2024)  # loaded again: the vo pupils with the same numbers as the first time
    again = con.execute("SELECT pupil_hash, pupil_number FROM mbo_enrolment").df()
    vo_pupils = hashes(con, [r[0] for r in MBO_2024[:4]])
    assert set(again[again["pupil_hash"].isin(vo_pupils)]["pupil_number"]) == set(numbers[numbers["pupil_hash"].isin(vo_pupils)]["pupil_number"])
    numbers = assert_numbers_exact(con, numbers)
    assert len(numbers) == 16

    loader.remove_load(con, corrected)  # the original 2023 rows come back with their numbers
    before_removal, numbers = numbers, assert_numbers_exact(con, numbers)
    assert set(before_removal["pupil_hash"]) - set(numbers["pupil_hash"]) == hashes(con, ["300099"])  # only the correction named it
    assert len(numbers) == 15
    assert con.execute("SELECT count(*) FROM vo_enrolment WHERE school_year = 2023").fetchall() == [(10,)]
    assert con.execute("SELECT count(*) FROM replaced_vo_enrolment").fetchall() == [(0,)]


CELLS = [("inflow_cells", {"level": "vmbo"}), ("inflow_cells", {"level": "havo-vwo"}),
         ("destination_cells", {"level": "vmbo"}), ("destination_cells", {"level": "havo-vwo"}),
         ("retention_cells", {})] + [("cohort_flow_cells", {"start_year": year}) for year in (2016, 2018, 2019)]


def all_cells(con) -> list[pd.DataFrame]:
    return [db.run(con, name, **params) for name, params in CELLS]


def test_an_older_database_is_numbered_on_a_writable_open_with_identical_cells(tmp_path):
    path = tmp_path / "oud.duckdb"
    region = synthetic_region(path)
    con = region.con
    before = all_cells(con)
    assert sum(len(cells) for cells in before) > 500 and before[2]["pupils"].sum() > 1000  # the check has something to compare
    numbered = assert_numbers_exact(con)
    for table in ENROLMENTS:  # as an earlier version left it
        con.execute(f"ALTER TABLE {table} DROP COLUMN pupil_number")
    con.execute("DROP TABLE pupil")
    con.close()

    with pytest.raises(UserError, match="eerdere versie"):
        access.open_read_only(path, wait_seconds=0)

    con = open_database(path)
    upgraded = assert_numbers_exact(con)
    assert len(upgraded) == len(numbered)
    for (name, params), old, new in zip(CELLS, before, all_cells(con), strict=True):
        pd.testing.assert_frame_equal(new, old, obj=f"{name} {params}")
    con.close()
    access.open_read_only(path, wait_seconds=0).close()  # up to date now
