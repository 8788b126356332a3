"""An independent pandas implementation of the metrics, written from docs/metrics.md.

It reads the canonical tables and recomputes inflow, destinations and progression without the
engine's SQL, so that the two can be compared row for row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sto_metrics.settings import MetricSettings

DEFAULT_SETTINGS = MetricSettings()
DESTS = ["ho_techniek", "ho_overig", "mbo_techniek", "mbo_overig", "vo", "niet_gevonden"]


def load(con) -> dict[str, pd.DataFrame]:
    """The canonical tables as DataFrames (object columns, no pandas string magic)."""
    tables = {}
    for name in ("vo_enrolment", "mbo_enrolment", "ho_enrolment", "ref_profile", "ref_mbo_sector", "ref_ho_sector", "school"):
        frame = con.execute(f"SELECT * FROM {name}").df()
        tables[name] = frame.astype(object).where(frame.notna(), None)
    return tables


def one_record_per_pupil_year(vo: pd.DataFrame) -> pd.DataFrame:
    """Per pupil and year the record with the highest leerjaar, then the smallest school_id."""
    vo = vo.assign(_lj=vo["leerjaar"].map(lambda v: -1 if v is None else int(v)))
    vo = vo.sort_values(["pupil_hash", "school_year", "_lj", "school_id"], ascending=[True, True, False, True])
    return vo.drop_duplicates(["pupil_hash", "school_year"], keep="first").drop(columns="_lj")


def _technical_profile(record, ref: dict, settings: MetricSettings):
    """True/False for a known profile, None when unknown."""
    row = ref.get(record["profile_code"])
    if row is None:
        return None
    if record["education_type"] == "vmbo":
        if row["level"] not in ("vmbo", "vmbo_tl"):
            return None
        return bool(row["technical"]) or (settings.dp_technical and bool(row["is_dp"]))
    if row["level"] != "havo_vwo":
        return None
    return bool(row["contains_n"]) if settings.havo_vwo_technical == "n" else bool(row["contains_nt"])


def _ref(tables) -> dict:
    return {r["code"]: r for r in tables["ref_profile"].to_dict("records")}


def _names(tables) -> dict:
    return {r["school_id"]: r["name"] for r in tables["school"].to_dict("records")}


def _label(year) -> str:
    return f"{int(year)}-{int(year) + 1}"


def _wilson(k, n):
    if n == 0:
        return (np.nan, np.nan, np.nan)
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (p, max(0.0, centre - half), min(1.0, centre + half))


def inflow(tables, level="vmbo", by="regio", split=None, settings=DEFAULT_SETTINGS) -> pd.DataFrame:
    ref = _ref(tables)
    names = _names(tables)
    records = one_record_per_pupil_year(tables["vo_enrolment"])
    if level == "vmbo":
        records = records[(records["education_type"] == "vmbo") & (records["leerjaar"] == 3)]
    else:
        records = records[records["education_type"].isin(["havo", "vwo"]) & (records["leerjaar"] == 4)]
    rows: dict[tuple, list[int]] = {}
    for record in records.to_dict("records"):
        technical = _technical_profile(record, ref, settings)
        scope = "regio" if by == "regio" else record["school_id"]
        if split == "geslacht":
            part = "V" if record["gender"] == "V" else "M"  # V, and M for everyone else (docs/metrics.md)
        elif split == "leerweg":
            part = (record["leerweg"] or "onbekend") if record["education_type"] == "vmbo" else record["education_type"]
        else:
            part = None
        counts = rows.setdefault((_label(record["school_year"]), scope, part), [0, 0, 0])
        if technical is None:
            counts[2] += 1
        else:
            counts[0] += 1
            counts[1] += int(technical)
    out = []
    for (year, scope, part), (pupils, technical, unknown) in rows.items():
        share, low, high = _wilson(technical, pupils)
        out.append((year, scope, "Regio" if scope == "regio" else names.get(scope, scope), part, pupils, technical, unknown, share, low, high))
    return pd.DataFrame(out, columns=["school_year", "scope", "scope_name", "split", "pupils", "technical", "unknown_profile", "share", "ci_low", "ci_high"])


def graduate_destinations(tables, level="vmbo", settings=DEFAULT_SETTINGS) -> pd.DataFrame:
    """One row per diploma holder: school_year, school_id, technical_profile, destination."""
    ref = _ref(tables)
    mbo, ho = tables["mbo_enrolment"], tables["ho_enrolment"]
    mbo_tech = {r["code"]: bool(r["technical"]) for r in tables["ref_mbo_sector"].to_dict("records")}
    ho_tech = {r["code"]: bool(r["technical"]) for r in tables["ref_ho_sector"].to_dict("records")}
    next_years = set(mbo["school_year"]) | set(ho["school_year"])
    ho_by = {}
    for r in ho.to_dict("records"):
        key = (r["pupil_hash"], r["school_year"])
        ho_by[key] = ho_by.get(key, False) or ho_tech.get(r["sector_code"], False)
    mbo_by = {}
    for r in mbo.to_dict("records"):
        key = (r["pupil_hash"], r["school_year"])
        mbo_by[key] = mbo_by.get(key, False) or mbo_tech.get(r["sector_code"], False)
    vo_any = set(zip(tables["vo_enrolment"]["pupil_hash"], tables["vo_enrolment"]["school_year"], strict=True))
    records = one_record_per_pupil_year(tables["vo_enrolment"])
    types = ["vmbo"] if level == "vmbo" else ["havo", "vwo"]
    records = records[records["education_type"].isin(types) & (records["diploma"] == True)]  # noqa: E712
    out = []
    for record in records.to_dict("records"):
        year = record["school_year"]
        if year + 1 not in next_years:
            continue
        key = (record["pupil_hash"], year + 1)
        if key in ho_by:
            destination = "ho_techniek" if ho_by[key] else "ho_overig"
        elif key in mbo_by:
            destination = "mbo_techniek" if mbo_by[key] else "mbo_overig"
        elif key in vo_any:
            destination = "vo"
        else:
            destination = "niet_gevonden"
        out.append((year, record["school_id"], bool(_technical_profile(record, ref, settings)), destination))
    return pd.DataFrame(out, columns=["school_year", "school_id", "technical_profile", "destination"])


def destinations(tables, level="vmbo", by="regio", settings=DEFAULT_SETTINGS) -> pd.DataFrame:
    names = _names(tables)
    graduates = graduate_destinations(tables, level, settings)
    rows = []
    scopes = ["regio"] if by == "regio" else sorted(set(graduates["school_id"]))
    for year in sorted(set(graduates["school_year"])):
        for scope in scopes:
            selected = graduates[graduates["school_year"] == year]
            if scope != "regio":
                selected = selected[selected["school_id"] == scope]
            if selected.empty:
                continue
            for group in ("techniek", "overig", "totaal"):
                part = selected if group == "totaal" else selected[selected["technical_profile"] == (group == "techniek")]
                counts = [int((part["destination"] == d).sum()) for d in DESTS]
                rows.append((_label(year), scope, "Regio" if scope == "regio" else names.get(scope, scope), group, len(part), *counts))
    return pd.DataFrame(rows, columns=["school_year", "scope", "scope_name", "from_group", "graduates", *DESTS])


def progression(tables, level="vmbo", by="regio", settings=DEFAULT_SETTINGS) -> pd.DataFrame:
    table = destinations(tables, level, by, settings)
    if level == "vmbo":
        technical = table["mbo_techniek"]
        enrolled = table["graduates"] if settings.progression_denominator == "all_graduates" else table["mbo_techniek"] + table["mbo_overig"]
    else:
        technical = table["ho_techniek"]
        enrolled = table["ho_techniek"] + table["ho_overig"]
    out = table[["school_year", "scope", "scope_name", "from_group"]].copy()
    out["enrolled"] = enrolled.astype("int64")
    out["technical"] = technical.astype("int64")
    shares = [_wilson(k, n) for k, n in zip(out["technical"], out["enrolled"], strict=True)]
    out["share"] = [s[0] for s in shares]
    out["ci_low"] = [s[1] for s in shares]
    out["ci_high"] = [s[2] for s in shares]
    return out


def retention(tables, by="regio", settings=DEFAULT_SETTINGS) -> pd.DataFrame:
    """Profielbehoud vmbo leerjaar 3 -> 4, written from docs/metrics.md with plain pandas."""
    ref = _ref(tables)
    names = _names(tables)
    records = one_record_per_pupil_year(tables["vo_enrolment"])
    loaded_years = set(records["school_year"])
    by_pupil_year = {(r["pupil_hash"], r["school_year"]): r for r in records.to_dict("records")}
    rows: dict[tuple, list[int]] = {}
    for record in by_pupil_year.values():
        if record["education_type"] != "vmbo" or record["leerjaar"] != 3 or record["school_year"] + 1 not in loaded_years:
            continue
        if not _technical_profile(record, ref, settings):
            continue
        following = by_pupil_year.get((record["pupil_hash"], record["school_year"] + 1))
        if following is None or following["education_type"] != "vmbo" or following["leerjaar"] != 4:
            continue
        still_technical = _technical_profile(following, ref, settings)
        if still_technical is None:
            continue
        scope = "regio" if by == "regio" else record["school_id"]
        counts = rows.setdefault((_label(record["school_year"]), scope), [0, 0])
        counts[0] += 1
        counts[1] += int(still_technical)
    out = []
    for (year, scope), (pupils, retained) in sorted(rows.items()):
        share, low, high = _wilson(retained, pupils)
        out.append((year, scope, "Regio" if scope == "regio" else names.get(scope, scope), pupils, retained, share, low, high))
    return pd.DataFrame(out, columns=["school_year", "scope", "scope_name", "pupils", "retained", "share", "ci_low", "ci_high"])
