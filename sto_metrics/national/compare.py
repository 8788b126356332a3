"""The region beside the Netherlands, its provinces and landsdelen, from DUO's public files (`compare`).

DUO's side is public aggregate data: its counts are bounds (a `<5` cell counts 1 to 4) and its share is
computed from the midpoints. The region's own row (`regio`) comes from its exports through the published
gateway, so it is suppressed exactly as on the pages.
"""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd

from sto_metrics import db, published, schoolyear
from sto_metrics.metrics import registry
from sto_metrics.privacy import suppression
from sto_metrics.settings import MetricSettings

COMPARE_COLUMNS = ["school_year", "area", "area_name", "source", "pupils_min", "pupils_max", "technical_min", "technical_max", "share"]
AREAS = ("landelijk", "landsdeel", "provincie", "eigen-scholen", "regio")
LEVELS = ("vmbo", "havo-vwo", "vmbo-mbo")
COUNT_BOUNDS = ["pupils_min", "pupils_max", "technical_min", "technical_max"]
NATIONAL_NAME = "Nederland"
OWN_SCHOOLS_NAME = "eigen scholen volgens DUO"
REGION_NAME = "regio (eigen bestanden)"
_CELLS_QUERY = {"vmbo": "national_vmbo_cells", "havo-vwo": "national_havo_vwo_cells", "vmbo-mbo": "national_vmbo_mbo_cells"}
_SMALL = (1, 4)  # a '<5' count: at least 1, at most 4


def duo_cells(con: duckdb.DuckDBPyConnection, level: str, settings: MetricSettings | None = None) -> pd.DataFrame:
    """DUO's counts for `level` per school year and vestiging (vmbo-mbo: per school year), with the province, as bounds."""
    if level not in LEVELS:
        raise ValueError(f"unknown comparison level {level!r}; known: {', '.join(LEVELS)}")
    if not has_duo_tables(con):
        return pd.DataFrame({column: pd.Series(dtype="object") for column in ["school_year", "school_id", "province", *COUNT_BOUNDS]})
    return db.run(con, _CELLS_QUERY[level], **(settings or MetricSettings()).as_params())


def has_duo_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """False for a database made before the national comparison existed (opened read-only, it cannot get them)."""
    return bool(db.rows(con, "national_duo_tables_present")[0][0])


def midpoint_share(frame: pd.DataFrame) -> pd.Series:
    """technical / pupils from the midpoints of their bounds; NaN when there are no pupils or a bound is unknown."""
    pupils = (frame["pupils_min"].astype("Float64") + frame["pupils_max"].astype("Float64")) / 2
    technical = (frame["technical_min"].astype("Float64") + frame["technical_max"].astype("Float64")) / 2
    share = (technical / pupils.where(pupils > 0)).astype("float64")
    return share


def _duo_areas(con: duckdb.DuckDBPyConnection, cells: pd.DataFrame, areas: tuple[str, ...]) -> pd.DataFrame:
    """Sums of the DUO cells per school year and area."""
    landsdelen = dict(db.rows(con, "national_landsdelen"))
    own = {school_id for (school_id,) in db.rows(con, "national_own_schools")}
    province = cells["province"].astype("object")
    labelled = []
    if "landelijk" in areas:
        labelled.append(cells.assign(area="landelijk", area_name=NATIONAL_NAME))
    if "landsdeel" in areas:
        landsdeel = province.map(lambda p: landsdelen.get(_norm(p)) if isinstance(p, str) else None)
        labelled.append(cells.assign(area="landsdeel", area_name=landsdeel)[landsdeel.notna()])
    if "provincie" in areas:
        labelled.append(cells.assign(area="provincie", area_name=province)[province.notna()])
    if "eigen-scholen" in areas:
        labelled.append(cells.assign(area="eigen-scholen", area_name=OWN_SCHOOLS_NAME)[cells["school_id"].isin(own)])
    if not labelled:
        return pd.DataFrame(columns=["school_year", "area", "area_name", *COUNT_BOUNDS])
    stacked = pd.concat(labelled, ignore_index=True)
    summed = stacked.groupby(["school_year", "area", "area_name"], as_index=False)[COUNT_BOUNDS].sum()
    return summed.assign(source="duo")


def _norm(text: str) -> str:
    """The spelling norm_text gives in SQL: lower case, runs of spaces, commas, dots, underscores as one space."""
    return re.sub(r"[\s,._]+", " ", text.strip().lower()).strip()


def _bounds(value) -> tuple[float, float]:
    """A published count as bounds: n -> (n, n), '<5' -> (1, 4), hidden (None) -> unknown."""
    if isinstance(value, str):
        return _SMALL if value.strip().startswith("<") else (float(value), float(value))
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return (np.nan, np.nan)
    return (float(value), float(value))


def _region(con: duckdb.DuckDBPyConnection, level: str, settings: MetricSettings,
            rules: suppression.SuppressionRules | None) -> pd.DataFrame:
    """The region's own figure under the same settings, as published (suppressed), in the comparison's columns."""
    comparison = registry.COMPARISONS[level]
    table = published.table(con, comparison.regional_metric, by="regio", settings=settings, rules=rules)
    metric = registry.get(comparison.regional_metric)
    for column, value in metric.headline_rows.items():
        table = table[table[column] == value]
    if "split" in table.columns:
        table = table[table["split"].isna() | (table["split"].astype("object") == "")]
    rows = []
    for record in table.to_dict("records"):
        pupils, technical = _bounds(record[metric.denominator]), _bounds(record[metric.numerator])
        year = schoolyear.start(record["school_year"]) + comparison.regional_year_shift
        rows.append({"school_year": year, "area": "regio", "area_name": REGION_NAME, "source": "export",
                     "pupils_min": pupils[0], "pupils_max": pupils[1], "technical_min": technical[0],
                     "technical_max": technical[1], "share": record["share"]})
    return pd.DataFrame(rows, columns=["school_year", "area", "area_name", "source", *COUNT_BOUNDS, "share"])


def compare(con: duckdb.DuckDBPyConnection, level: str = "vmbo", *, areas: tuple[str, ...] | None = None,
            settings: MetricSettings | None = None, rules: suppression.SuppressionRules | None = None) -> pd.DataFrame:
    """The comparison table (COMPARE_COLUMNS): per school year, DUO's areas and the region's own (suppressed) row."""
    settings = settings or MetricSettings()
    areas = tuple(areas or AREAS)
    unknown = set(areas) - set(AREAS)
    if unknown:
        raise ValueError(f"unknown area {sorted(unknown)}; known: {', '.join(AREAS)}")
    duo = _duo_areas(con, duo_cells(con, level, settings), areas)
    duo = duo.assign(share=midpoint_share(duo)) if len(duo) else duo.assign(share=pd.Series(dtype="float64"))
    parts = [duo] + ([_region(con, level, settings, rules)] if "regio" in areas else [])
    table = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else pd.DataFrame(columns=COMPARE_COLUMNS)
    table["_order"] = table["area"].map({area: i for i, area in enumerate(AREAS)})
    table = table.sort_values(["school_year", "_order", "area_name"], kind="stable").reset_index(drop=True)
    table["school_year"] = table["school_year"].map(lambda y: schoolyear.label(int(y))).astype("object")
    for column in COUNT_BOUNDS:
        table[column] = pd.array(table[column].astype("Float64").round(), dtype="Int64")
    table["share"] = table["share"].astype("float64")
    return table[COMPARE_COLUMNS]


def school_context(con: duckdb.DuckDBPyConnection, school_id: str, level: str = "vmbo", *,
                   settings: MetricSettings | None = None) -> pd.DataFrame:
    """For one school: DUO's figure for its vestiging, its province, its landsdeel and the country (COMPARE_COLUMNS,
    area 'school' for the vestiging). All DUO: public data, no suppression."""
    settings = settings or MetricSettings()
    cells = duo_cells(con, level, settings)
    own = cells[cells["school_id"] == school_id]
    if own.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    province = own.sort_values("school_year")["province"].dropna()
    table = _duo_areas(con, cells, ("landelijk", "landsdeel", "provincie"))
    if len(province):
        landsdeel = dict(db.rows(con, "national_landsdelen")).get(_norm(province.iloc[-1]))
        keep = (table["area"] == "landelijk") | ((table["area"] == "provincie") & (table["area_name"] == province.iloc[-1]))
        keep |= (table["area"] == "landsdeel") & (table["area_name"] == landsdeel)
        table = table[keep]
    else:
        table = table[table["area"] == "landelijk"]
    school = own.groupby("school_year", as_index=False)[COUNT_BOUNDS].sum().assign(area="school", area_name=school_id, source="duo")
    table = pd.concat([school, table], ignore_index=True)
    table = table.assign(share=midpoint_share(table))
    table["school_year"] = table["school_year"].map(lambda y: schoolyear.label(int(y)))
    table = table.sort_values(["school_year"], kind="stable").reset_index(drop=True)
    for column in COUNT_BOUNDS:
        table[column] = pd.array(table[column].astype("Float64").round(), dtype="Int64")
    return table[COMPARE_COLUMNS]


def export_vs_duo(con: duckdb.DuckDBPyConnection, *, max_pupils: int = 5, max_share: float = 0.05) -> pd.DataFrame:
    """Schools whose leerjaar-3 vmbo count in the exports differs from DUO's by more than `max_pupils` or by
    more than `max_share` of DUO's count (with bounds: the distance to the nearest bound). Columns school_year
    (label), school_id, export_pupils, duo_min, duo_max, difference (export minus DUO)."""
    if not has_duo_tables(con):
        return pd.DataFrame(columns=["school_year", "school_id", "export_pupils", "duo_min", "duo_max", "difference"])
    rows = db.run(con, "national_export_vs_duo")
    below = (rows["duo_min"] - rows["export_pupils"]).clip(lower=0)
    above = (rows["export_pupils"] - rows["duo_max"]).clip(lower=0)
    difference = np.where(below > 0, -below, above)
    reference = rows[["duo_min", "duo_max"]].mean(axis=1)
    flagged = (np.abs(difference) > max_pupils) | (np.abs(difference) > max_share * reference)
    out = rows.assign(difference=difference.astype("int64"))[flagged & (difference != 0)]
    out = out.assign(school_year=out["school_year"].map(schoolyear.label))
    return out.reset_index(drop=True)


def peildata(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The loaded DUO files (kind, file name, first and last school year, loaded at): the source named beside each figure."""
    return db.run(con, "national_peildata")
