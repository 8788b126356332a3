"""Shared fixtures.

Metrics-engine fixtures: `pupil_db` (hand-built cases) and `metrics_synthetic_db` (randomized
region, fixed seed), built from the classes/functions below; other test modules may add theirs.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from sto_metrics import db
from sto_metrics.loading import pseudonym
from sto_metrics.loading.reference import open_database
from tests.loader_support import SECRET as LOADER_SECRET


class PupilDB:
    """A database with the canonical schema that tests fill with canonical rows directly."""

    def __init__(self, path: str | Path | None = None):
        self.path = path
        self.con = open_database(path)
        self._vo: list[tuple] = []
        self._mbo: list[tuple] = []
        self._ho: list[tuple] = []

    def vo(self, pupil, year, *, school="31XA00", type="vmbo", leerweg="BB", leerjaar=3, profile=None, gender="M", diploma=False, unknown=False):
        if type != "vmbo":
            leerweg = None
        self._vo.append((1, pupil, year, school, type, leerweg, leerjaar, profile, unknown, gender, diploma))
        return self

    def mbo(self, pupil, year, sector="TECHNIEK", *, level=4, route="BOL"):
        self._mbo.append((2, pupil, year, "25MA00", "25000", "opleiding", level, route, sector))
        return self

    def ho(self, pupil, year, sector="TECHNIEK", *, ho_type="hbo"):
        self._ho.append((3, pupil, year, "21HA00", "30000", "opleiding", ho_type, sector))
        return self

    def flush(self) -> duckdb.DuckDBPyConnection:
        """Write the queued rows and return the connection."""
        for table, rows, width in (("vo_enrolment", self._vo, 11), ("mbo_enrolment", self._mbo, 9), ("ho_enrolment", self._ho, 8)):
            if rows:
                # the canonical columns only: the chosen vo record and the pupil numbers are decided below
                columns = ", ".join(c for (c,) in self.con.execute(f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{table}' "
                                                                    "AND column_name NOT IN ('is_chosen', 'pupil_number') "
                                                                    "ORDER BY column_index").fetchall())
                placeholders = ", ".join(["?"] * width)
                self.con.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)
                rows.clear()
        db.decide_unset_chosen(self.con)
        return self.con

    def close(self):
        self.con.close()



def insert_frames(con, vo: pd.DataFrame, mbo: pd.DataFrame, ho: pd.DataFrame) -> None:
    """Bulk-insert canonical frames (columns in schema order)."""
    for table, frame in (("vo_enrolment", vo), ("mbo_enrolment", mbo), ("ho_enrolment", ho)):
        con.register("_frame", frame)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _frame")
        con.unregister("_frame")
    db.decide_unset_chosen(con)  # rows written around the loader: numbered and their chosen vo record decided as on load


VMBO_PROFILES = ["BWI", "PIE", "MVI", "M&T", "MaT", "D&P", "Z&W", "E&O", "HBR", "GR"]
TL_SECTORS = ["TL_TECHNIEK", "TL_ZORG", "TL_ECONOMIE", "TL_LANDBOUW"]
HAVO_VWO_PROFILES = ["NT", "NG", "EM", "CM", "NT/NG", "EM/CM", "NG/EM"]
MBO_SECTORS = ["TECHNIEK", "ECONOMIE", "ZORG_WELZIJN", "LANDBOUW", "COMBINATIE", None]
HO_SECTORS = ["TECHNIEK", "NATUUR", "ECONOMIE", "GEZONDHEIDSZORG", None]
VMBO_SCHOOLS = ["31XA00", "31XB00", "31XC00", "31XC01", "31XF00", "31XG00", "31XJ00", "99ZZ00"]  # 99ZZ00: not in `school`
HAVO_SCHOOLS = ["31XC00", "31XD00", "31XE00", "31XF00", "31XH00", "31XJ00"]


def synthetic_frames(seed: int, pupils: int = 6000, first_year: int = 2015, last_vo_year: int = 2023, last_next_year: int = 2022):
    """Randomized canonical vo/mbo/ho rows: pupil careers with repeats, school changes, double
    records, unknown profiles, dual enrolment; mbo/ho only up to `last_next_year`."""
    rng = np.random.default_rng(seed)
    vo, mbo, ho = [], [], []
    for i in range(pupils):
        pupil = f"p{i:06d}"
        vmbo = rng.random() < 0.6
        year = int(rng.integers(first_year - 3, last_vo_year + 1))
        gender = rng.choice(["M", "V", "X", None], p=[0.5, 0.46, 0.02, 0.02])
        if vmbo:
            leerweg = rng.choice(["BB", "KB", "GL", "TL"])
            schools, final_year = VMBO_SCHOOLS, 4
            etype = "vmbo"
        else:
            etype = rng.choice(["havo", "vwo"])
            leerweg = None
            schools, final_year = HAVO_SCHOOLS, 5 if etype == "havo" else 6
        school = rng.choice(schools)
        profile = None
        leerjaar = int(rng.integers(1, 3))
        graduated_in = None
        while leerjaar <= final_year and year <= last_vo_year:
            if rng.random() < 0.05:
                school = rng.choice(schools)  # school change
            upper = leerjaar >= (3 if vmbo else 4)
            if upper and (profile is None or rng.random() < 0.05):
                if rng.random() < 0.06:
                    profile = None  # none / unknown
                elif vmbo:
                    profile = rng.choice(TL_SECTORS) if leerweg == "TL" else rng.choice(VMBO_PROFILES)
                else:
                    profile = rng.choice(HAVO_VWO_PROFILES)
            shown_profile = profile if upper else None
            unknown = bool(upper and shown_profile is None and rng.random() < 0.5)
            if upper and rng.random() < 0.02:
                shown_profile = "XX" if rng.random() < 0.5 else ("NT" if vmbo else "BWI")  # not in ref / wrong level
            diploma = bool(leerjaar == final_year and rng.random() < 0.88)
            vo.append((1, pupil, year, school, etype, leerweg, leerjaar, shown_profile, unknown, gender, diploma))
            if rng.random() < 0.02:  # a second record in the same year at another school
                other = rng.choice(schools)
                if other != school:
                    other_year = max(1, leerjaar - int(rng.integers(0, 2)))
                    vo.append((1, pupil, year, other, etype, leerweg, other_year, shown_profile, False, gender, False))
            if diploma:
                graduated_in = year
                break
            if rng.random() < 0.08 or leerjaar == final_year:
                year += 1  # repeat the year (or retry the exam year)
                if leerjaar == final_year and rng.random() < 0.5:
                    break
                continue
            year += 1
            leerjaar += 1
        if graduated_in is not None:
            next_year = graduated_in + 1
            r = rng.random()
            if next_year <= last_next_year:
                if vmbo:
                    if r < 0.8:
                        mbo.append((2, pupil, next_year, "25MA00", "25000", "x", 3, "BOL", rng.choice(MBO_SECTORS, p=[0.35, 0.25, 0.2, 0.1, 0.05, 0.05])))
                        if rng.random() < 0.05:
                            mbo.append((2, pupil, next_year, "25MB00", "25001", "y", 2, "BBL", rng.choice(MBO_SECTORS[:4])))
                    elif r < 0.85:
                        ho.append((3, pupil, next_year, "21HA00", "30000", "z", "hbo", rng.choice(HO_SECTORS)))
                        if rng.random() < 0.3:
                            mbo.append((2, pupil, next_year, "25MA00", "25000", "x", 4, "BOL", "TECHNIEK"))  # ho beats mbo
                else:
                    if r < 0.75:
                        ho.append((3, pupil, next_year, "21HA00", "30000", "z", rng.choice(["hbo", "wo"]),
                                   rng.choice(HO_SECTORS, p=[0.25, 0.15, 0.3, 0.2, 0.1])))
                        if rng.random() < 0.05:
                            ho.append((3, pupil, next_year, "21UA00", "30001", "w", "wo", rng.choice(HO_SECTORS[:4])))
                    elif r < 0.85:
                        mbo.append((2, pupil, next_year, "25MA00", "25000", "x", 4, "BOL", rng.choice(MBO_SECTORS)))
            if next_year <= last_vo_year and rng.random() < 0.07:
                vo.append((1, pupil, next_year, rng.choice(HAVO_SCHOOLS), "havo", None, 4, rng.choice(HAVO_VWO_PROFILES), False, gender, False))
    vo_frame = pd.DataFrame(vo, columns=["load_id", "pupil_hash", "school_year", "school_id", "education_type", "leerweg", "leerjaar",
                                         "profile_code", "profile_unknown", "gender", "diploma"])
    # at most one row per (pupil, year, school), as the loader guarantees
    vo_frame = vo_frame.drop_duplicates(["pupil_hash", "school_year", "school_id"], keep="first")
    mbo_frame = pd.DataFrame(mbo, columns=["load_id", "pupil_hash", "school_year", "institution_id", "programme_code", "programme_name",
                                           "level", "route", "sector_code"])
    ho_frame = pd.DataFrame(ho, columns=["load_id", "pupil_hash", "school_year", "institution_id", "programme_code", "programme_name",
                                         "ho_type", "sector_code"])
    for frame in (vo_frame, mbo_frame, ho_frame):
        for column in frame.columns:
            if frame[column].dtype == object or str(frame[column].dtype) in ("str", "string"):
                frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return vo_frame, mbo_frame, ho_frame


def synthetic_region(path: str | Path | None, seed: int = 20260101):
    """A PupilDB at `path` filled with synthetic_frames(seed)."""
    database = PupilDB(path)
    insert_frames(database.con, *synthetic_frames(seed))
    return database


@pytest.fixture
def pupil_db():
    """An empty in-memory database with the canonical schema; add pupils with .vo()/.mbo()/.ho(), then .flush()."""
    database = PupilDB()
    yield database
    database.close()


@pytest.fixture(scope="session")
def metrics_synthetic_db(tmp_path_factory) -> Path:
    """Path of a randomized synthetic region (fixed seed, a few thousand pupils) in a DuckDB file."""
    path = tmp_path_factory.mktemp("metrics") / "synthetic.duckdb"
    synthetic_region(path).close()
    return path


@pytest.fixture(scope="session")
def demo_database_path(tmp_path_factory) -> Path:
    """The bundled demo region (data/demo/) loaded into a fresh DuckDB file, once per test run."""
    from sto_metrics.demo import prebuilt

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    prebuilt.build(path)
    return path


@pytest.fixture(scope="session", autouse=True)
def _private_pattern_cache(tmp_path_factory):
    """Suppression patterns are cached on disk; the tests keep theirs in a folder of their own."""
    import os

    os.environ["STO_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    # no dashboard's background thread protecting tables beside a test (tests/test_prepare.py switches it on)
    os.environ["STO_PREPARE"] = "0"


@pytest.fixture
def pupil_key_secret(monkeypatch, tmp_path):
    """A known pseudonymisation secret and a secrets folder private to the test (loader test modules use it for all)."""
    monkeypatch.setenv(pseudonym.SECRET_ENV, LOADER_SECRET)
    monkeypatch.setenv(pseudonym.SECRET_DIR_ENV, str(tmp_path / "secrets"))


@pytest.fixture
def con(tmp_path):
    """An empty region database in the test's own folder; modules that need a filled one define their own `con`."""
    connection = open_database(tmp_path / "regio.duckdb")
    yield connection
    connection.close()
