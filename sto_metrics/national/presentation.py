"""The national comparison as the dashboard and the grant pack show it: reference lines, tables, Dutch texts.

DUO's figures are public aggregates, so these helpers take the comparison table as it is; the region's own
figures beside them come from the published gateway as everywhere else.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sto_metrics import db, schoolyear
from sto_metrics.metrics import registry
from sto_metrics.national import compare
from sto_metrics.presentation import formatting as fmt

AREA_LABELS = {"landelijk": "landelijk", "landsdeel": "landsdeel", "provincie": "provincie", "eigen-scholen": "eigen scholen volgens DUO",
               "school": "school volgens DUO", "regio": "regio (eigen bestanden)"}
LINE_STYLES = {"landelijk": ("#4d4d4d", "dash"), "landsdeel": ("#8c6d31", "dot"), "provincie": ("#637939", "dashdot"),
               "school": ("#7b4173", "dot"), "eigen-scholen": ("#3182bd", "dot")}
DUO_KIND_FOR_LEVEL = {"vmbo": "duo_leerlingen", "havo-vwo": "duo_examen", "vmbo-mbo": "duo_mbo_instroom"}


def comparison_for(metric_name: str) -> registry.Comparison | None:
    """The national comparison whose region side is this declared figure, if any."""
    return next((c for c in registry.COMPARISONS.values() if c.regional_metric == metric_name), None)


def series_name(area: str, area_name: str) -> str:
    """'Landelijk (DUO)', 'Provincie Noord-Holland (DUO)', 'Landsdeel West (DUO)'."""
    if area == "landelijk":
        return "Landelijk (DUO)"
    if area == "school":
        return "School volgens DUO"
    if area == "eigen-scholen":
        return "Eigen scholen volgens DUO"
    return f"{area.capitalize()} {area_name} (DUO)"


def region_areas(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The province and landsdeel where most of the region's own vestigingen' DUO enrolments are ({} without DUO data)."""
    found = db.rows(con, "national_region_province") if compare.has_duo_tables(con) else []
    if not found or found[0][0] is None:
        return {}
    province, landsdeel = found[0]
    return {"provincie": province, **({"landsdeel": landsdeel} if landsdeel else {})}


def select(table: pd.DataFrame, areas: dict[str, str | None], years: list[str] | None = None) -> pd.DataFrame:
    """The rows of the chosen areas ({area: area_name or None for any}), limited to `years` (labels) when given."""
    keep = np.zeros(len(table), dtype=bool)
    for area, name in areas.items():
        keep |= (table["area"] == area).to_numpy() & ((table["area_name"] == name).to_numpy() if name else True)
    chosen = table[keep]
    if years is not None:
        chosen = chosen[chosen["school_year"].isin(years)]
    return chosen.reset_index(drop=True)


def shift_years(table: pd.DataFrame, shift: int) -> pd.DataFrame:
    """The table with each school year moved by -shift (vmbo-mbo: the year of entry back to the diploma year)."""
    if not shift or table.empty:
        return table
    return table.assign(school_year=table["school_year"].map(lambda y: schoolyear.label(schoolyear.start(y) - shift)))


def _hover(row) -> str:
    bounds = (fmt.count(row.technical_min) if row.technical_min == row.technical_max
              else f"{fmt.count(row.technical_min)} à {fmt.count(row.technical_max)}")
    pupils = (fmt.count(row.pupils_min) if row.pupils_min == row.pupils_max else f"{fmt.count(row.pupils_min)} à {fmt.count(row.pupils_max)}")
    return (f"{fmt.school_year(row.school_year)} · {series_name(row.area, row.area_name)}<br>{fmt.percent(row.share)}"
            f"<br>{bounds} van {pupils} (DUO; '&lt;5' telt als 1 tot 4)")


def add_reference_lines(figure: go.Figure, table: pd.DataFrame) -> go.Figure:
    """Each area of `table` (comparison rows) as a thin dashed line on a trend figure, without a band (public data)."""
    for (area, area_name), rows in table.groupby(["area", "area_name"], sort=False):
        rows = rows.sort_values("school_year", key=lambda s: s.map(schoolyear.start))
        color, dash = LINE_STYLES.get(area, ("#969696", "dash"))
        figure.add_trace(go.Scatter(
            x=[fmt.school_year(y) for y in rows["school_year"]], y=[fmt.numeric(v) for v in rows["share"]], mode="lines+markers",
            name=series_name(area, area_name), line={"color": color, "width": 2, "dash": dash}, marker={"size": 5, "symbol": "diamond"},
            customdata=[_hover(r) for r in rows.itertuples()], hovertemplate="%{customdata}<extra></extra>", connectgaps=False,
        ))
    return figure


def display(table: pd.DataFrame) -> pd.DataFrame:
    """Comparison rows as shown: Schooljaar, Gebied, Bron, Leerlingen, Techniek (bounds where '<5' cells are), Aandeel."""

    def bounds(low, high) -> str:
        if pd.isna(low) or pd.isna(high):
            return fmt.HIDDEN
        return fmt.count(low) if low == high else f"{fmt.count(low)} – {fmt.count(high)}"

    return pd.DataFrame({
        "Schooljaar": [fmt.school_year(y) for y in table["school_year"]],
        "Gebied": [series_name(a, n) if s == "duo" else AREA_LABELS.get(a, a) for a, n, s in
                   zip(table["area"], table["area_name"], table["source"], strict=True)],
        "Bron": ["DUO (openbaar)" if s == "duo" else "eigen bestanden" for s in table["source"]],
        "Leerlingen": [bounds(lo, hi) for lo, hi in zip(table["pupils_min"], table["pupils_max"], strict=True)],
        "Techniek": [bounds(lo, hi) for lo, hi in zip(table["technical_min"], table["technical_max"], strict=True)],
        "Aandeel techniek": [fmt.percent(v) for v in table["share"]],
    })


def share_text(table: pd.DataFrame, school_year: str | int, area: str = "landelijk") -> str | None:
    """'landelijk 20,1%' for that school year, or None when DUO has no figure for it."""
    year = schoolyear.label(schoolyear.start(school_year))
    rows = table[(table["area"] == area) & (table["school_year"] == year)]
    if rows.empty or pd.isna(rows["share"].iloc[0]):
        return None
    name = "landelijk" if area == "landelijk" else f"{area} {rows['area_name'].iloc[0]}"
    return f"{name} {fmt.percent(rows['share'].iloc[0])}"


def source_note(peildata: pd.DataFrame, level: str) -> str:
    """Which DUO file and peildata a national figure comes from, and how its definition differs (Dutch)."""
    comparison = registry.COMPARISONS[level]
    files = peildata[peildata["kind"] == DUO_KIND_FOR_LEVEL[level]]
    if files.empty:
        return f"Landelijk cijfer: nog geen DUO-bestand geladen ({comparison.duo_file_nl})."
    first, last = int(files["first_year"].min()), int(files["last_year"].max())
    return (f"Bron landelijk: {comparison.duo_file_nl}; schooljaren {fmt.school_year(first)} t/m {fmt.school_year(last)}, "
            f"peildatum 1 oktober. Verschil in definitie: {comparison.difference_nl}")


def check_display(flagged: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The DUO-vs-export check as shown: school, year, export count, DUO count (bounds), difference."""
    return pd.DataFrame({
        "Schooljaar": list(flagged["school_year"]),
        "School": [f"{names.get(s, s)} ({s})" for s in flagged["school_id"]],
        "Leerjaar 3 vmbo in export": [fmt.count(v) if v >= 5 or v == 0 else "<5" for v in flagged["export_pupils"]],
        "Volgens DUO": [fmt.count(lo) if lo == hi else f"{fmt.count(lo)} – {fmt.count(hi)}" for lo, hi in
                        zip(flagged["duo_min"], flagged["duo_max"], strict=True)],
        "Verschil": [fmt.number(v) for v in flagged["difference"]],
    })


