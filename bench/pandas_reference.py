"""A vectorised pandas implementation of the metrics: the speed reference for bench/benchmark.py.

tests/reference_pandas.py is the correctness reference (plain loops, written from the spec);
this one is what an analyst fluent in pandas would write (merges and group-bys, no Python
loops over rows), so that the benchmark's ratio compares DuckDB with good pandas, not with a
strawman. The benchmark checks that both give the engine's numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sto_metrics.settings import MetricSettings

DESTINATIONS = ["ho_techniek", "ho_overig", "mbo_techniek", "mbo_overig", "vo", "niet_gevonden"]
Z = 1.959963984540054


# The enrolment figures this reference and the benchmark cover; the activity figures have their own pandas
# reference in tests/test_activities_reference.py.
FAMILIES = ("inflow", "destinations", "progression", "retention")


def load(con) -> dict[str, pd.DataFrame]:
    """The canonical tables as DataFrames."""
    return {name: con.execute(f"SELECT * FROM {name}").df()
            for name in ("vo_enrolment", "mbo_enrolment", "ho_enrolment", "ref_profile", "ref_mbo_sector", "ref_ho_sector")}


def _records(vo: pd.DataFrame) -> pd.DataFrame:
    """One record per pupil and year: highest leerjaar, then smallest school_id."""
    ordered = vo.sort_values(["pupil_hash", "school_year", "leerjaar", "school_id"], ascending=[True, True, False, True])
    return ordered.drop_duplicates(["pupil_hash", "school_year"])


def _with_profile(records: pd.DataFrame, ref_profile: pd.DataFrame, settings: MetricSettings) -> pd.DataFrame:
    """Adds known_profile and technical_profile (the reference table joined, setting applied)."""
    ref = ref_profile.rename(columns={"code": "profile_code", "level": "profile_level"})
    merged = records.merge(ref[["profile_code", "profile_level", "technical", "is_dp", "contains_nt", "contains_n"]], on="profile_code", how="left")
    vmbo = merged["education_type"] == "vmbo"
    known = np.where(vmbo, merged["profile_level"].isin(["vmbo", "vmbo_tl"]), merged["profile_level"] == "havo_vwo")
    vmbo_technical = merged["technical"].fillna(False).astype(bool) | (settings.dp_technical & merged["is_dp"].fillna(False).astype(bool))
    havo_column = "contains_n" if settings.havo_vwo_technical == "n" else "contains_nt"
    technical = np.where(vmbo, vmbo_technical, merged[havo_column].fillna(False).astype(bool))
    return merged.assign(known_profile=known, technical_profile=known & technical)


def _wilson(k: pd.Series, n: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    n_safe = n.where(n > 0)
    p = k / n_safe
    centre = (p + Z * Z / (2 * n_safe)) / (1 + Z * Z / n_safe)
    half = Z / (1 + Z * Z / n_safe) * np.sqrt(p * (1 - p) / n_safe + Z * Z / (4 * n_safe * n_safe))
    return p, (centre - half).clip(lower=0), (centre + half).clip(upper=1)


def inflow(tables, level="vmbo", by="regio", split=None, settings: MetricSettings | None = None) -> pd.DataFrame:
    settings = settings or MetricSettings()
    records = _records(tables["vo_enrolment"])
    if level == "vmbo":
        records = records[(records["education_type"] == "vmbo") & (records["leerjaar"] == 3)]
    else:
        records = records[records["education_type"].isin(["havo", "vwo"]) & (records["leerjaar"] == 4)]
    records = _with_profile(records, tables["ref_profile"], settings)
    keys = ["school_year"] + (["school_id"] if by == "school" else [])
    if split == "geslacht":
        records = records.assign(split=np.where(records["gender"] == "V", "V", "M"))  # V, and M for everyone else
        keys.append("split")
    elif split == "leerweg":
        part = records["leerweg"].fillna("onbekend") if level == "vmbo" else records["education_type"]
        records = records.assign(split=part)
        keys.append("split")
    out = records.groupby(keys).agg(pupils=("known_profile", "sum"), technical=("technical_profile", "sum"),
                                    rows=("known_profile", "size")).reset_index()
    out["unknown_profile"] = out["rows"] - out["pupils"]
    out["share"], out["ci_low"], out["ci_high"] = _wilson(out["technical"], out["pupils"])
    return out.drop(columns="rows")


def _graduates(tables, level, settings) -> pd.DataFrame:
    """One row per diploma holder with a loaded next year: school_year, school_id, technical_profile, destination."""
    vo, mbo, ho = tables["vo_enrolment"], tables["mbo_enrolment"], tables["ho_enrolment"]
    records = _records(vo)
    types = ["vmbo"] if level == "vmbo" else ["havo", "vwo"]
    graduates = records[records["education_type"].isin(types) & (records["diploma"] == True)]  # noqa: E712
    next_years = set(mbo["school_year"]) | set(ho["school_year"])
    graduates = graduates[(graduates["school_year"] + 1).isin(next_years)]
    graduates = _with_profile(graduates, tables["ref_profile"], settings).assign(next_year=lambda f: f["school_year"] + 1)

    def any_technical(enrolments: pd.DataFrame, sectors: pd.DataFrame, name: str) -> pd.DataFrame:
        flagged = enrolments.merge(sectors[["code", "technical"]], left_on="sector_code", right_on="code", how="left")
        flagged["technical"] = flagged["technical"].fillna(False).astype(bool)
        return flagged.groupby(["pupil_hash", "school_year"])["technical"].any().rename(name).reset_index()

    ho_flag = any_technical(ho, tables["ref_ho_sector"], "ho_technical")
    mbo_flag = any_technical(mbo, tables["ref_mbo_sector"], "mbo_technical")
    in_vo = vo[["pupil_hash", "school_year"]].drop_duplicates().assign(in_vo=True)
    merged = graduates.merge(ho_flag.rename(columns={"school_year": "next_year"}), on=["pupil_hash", "next_year"], how="left")
    merged = merged.merge(mbo_flag.rename(columns={"school_year": "next_year"}), on=["pupil_hash", "next_year"], how="left")
    merged = merged.merge(in_vo.rename(columns={"school_year": "next_year"}), on=["pupil_hash", "next_year"], how="left")
    merged["destination"] = np.select(
        [merged["ho_technical"].eq(True), merged["ho_technical"].eq(False), merged["mbo_technical"].eq(True),
         merged["mbo_technical"].eq(False), merged["in_vo"].eq(True)],
        DESTINATIONS[:5], default="niet_gevonden")
    return merged[["school_year", "school_id", "technical_profile", "destination"]]


def destinations(tables, level="vmbo", by="regio", settings: MetricSettings | None = None) -> pd.DataFrame:
    graduates = _graduates(tables, level, settings or MetricSettings())
    graduates["from_group"] = np.where(graduates["technical_profile"], "techniek", "overig")
    keys = ["school_year"] + (["school_id"] if by == "school" else [])
    parts = pd.crosstab([graduates[k] for k in [*keys, "from_group"]], graduates["destination"])
    totals = pd.crosstab([graduates[k] for k in keys], graduates["destination"])
    totals["from_group"] = "totaal"
    totals = totals.set_index("from_group", append=True)
    out = pd.concat([parts, totals]).reindex(columns=DESTINATIONS, fill_value=0).reset_index()
    out["graduates"] = out[DESTINATIONS].sum(axis=1)
    return out


def progression(tables, level="vmbo", by="regio", settings: MetricSettings | None = None) -> pd.DataFrame:
    settings = settings or MetricSettings()
    out = destinations(tables, level, by, settings)
    if level == "vmbo":
        out["technical"] = out["mbo_techniek"]
        out["enrolled"] = out["graduates"] if settings.progression_denominator == "all_graduates" else out["mbo_techniek"] + out["mbo_overig"]
    else:
        out["technical"] = out["ho_techniek"]
        out["enrolled"] = out["ho_techniek"] + out["ho_overig"]
    out["share"], out["ci_low"], out["ci_high"] = _wilson(out["technical"], out["enrolled"])
    return out.drop(columns=[*DESTINATIONS, "graduates"])


def retention(tables, level="vmbo", by="regio", settings: MetricSettings | None = None) -> pd.DataFrame:
    """Profielbehoud vmbo leerjaar 3 -> 4: technical in leerjaar 3 in Y, leerjaar 4 with a known profile in Y+1."""
    settings = settings or MetricSettings()
    records = _with_profile(_records(tables["vo_enrolment"]), tables["ref_profile"], settings)
    vmbo = records[records["education_type"] == "vmbo"]
    start = vmbo[(vmbo["leerjaar"] == 3) & vmbo["technical_profile"]]
    following = vmbo[(vmbo["leerjaar"] == 4) & vmbo["known_profile"]][["pupil_hash", "school_year", "technical_profile"]]
    following = following.assign(school_year=following["school_year"] - 1).rename(columns={"technical_profile": "still_technical"})
    followed = start.merge(following, on=["pupil_hash", "school_year"], how="inner")
    keys = ["school_year"] + (["school_id"] if by == "school" else [])
    out = followed.groupby(keys).agg(pupils=("still_technical", "size"), retained=("still_technical", "sum")).reset_index()
    out["share"], out["ci_low"], out["ci_high"] = _wilson(out["retained"], out["pupils"])
    return out
