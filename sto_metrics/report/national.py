"""The grant pack's chapter 'Regio naast het land': the region's figures beside DUO's national and landsdeel ones.

The region's rows come from `compare` (the published, suppressed figure); DUO's are public aggregates with
bounds where DUO wrote '<5'. Each block names its source and peildatum and says how the definitions differ.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd

from sto_metrics import schoolyear
from sto_metrics.metrics import registry
from sto_metrics.national import compare
from sto_metrics.national import presentation as national_view
from sto_metrics.presentation import formatting as fmt
from sto_metrics.privacy import suppression
from sto_metrics.report.pack import Block, Chart, ChartSeries, Column, Section, Table
from sto_metrics.settings import MetricSettings

SUBJECTS = {
    "vmbo": "van de vmbo-leerlingen in leerjaar 3 {where} koos {share} een technisch profiel",
    "havo-vwo": "van de havo/vwo-leerlingen in leerjaar 4 {where} had {share} een technisch profiel",
    "vmbo-mbo": "van de vmbo-gediplomeerden {where} die naar het mbo gingen, koos {share} een technische opleiding",
}


def _bounds(low, high) -> str:
    if pd.isna(low) or pd.isna(high):
        return fmt.HIDDEN
    return fmt.count(low) if low == high else f"{fmt.count(low)} – {fmt.count(high)}"


def _share(value) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def national_sentence(level: str, year: str, region_share: float | None, others: list[tuple[str, float]], peildatum: str) -> str:
    """'In 2024-2025: van de vmbo-leerlingen in leerjaar 3 in de regio koos 27,0% een technisch profiel, tegen 26,4% landelijk
    en 27,7% in landsdeel West (DUO, peildatum 1 oktober 2024).'"""
    share = fmt.percent(region_share) if region_share is not None and not math.isnan(region_share) else None
    comparisons = " en ".join(f"{fmt.percent(value)} {name}" for name, value in others if not math.isnan(value))
    if share is None:
        return (f"In {fmt.school_year(year)} is het regiocijfer afgeschermd vanwege kleine aantallen; landelijk was het "
                f"{comparisons or fmt.HIDDEN} ({peildatum}).")
    text = SUBJECTS[level].format(where="in de regio", share=share)
    return f"In {fmt.school_year(year)}: {text}, tegen {comparisons} ({peildatum})." if comparisons else f"In {fmt.school_year(year)}: {text}."


def _level_block(con: duckdb.DuckDBPyConnection, level: str, settings: MetricSettings, rules: suppression.SuppressionRules,
                 years: tuple[int, int], peildata: pd.DataFrame, areas: dict[str, str]) -> Block | None:
    comparison = registry.COMPARISONS[level]
    wanted = {"regio": None, "landelijk": None, **({"landsdeel": areas["landsdeel"]} if "landsdeel" in areas and level != "vmbo-mbo" else {})}
    table = national_view.select(compare.compare(con, level, areas=tuple(wanted), settings=settings, rules=rules), wanted)
    starts = table["school_year"].map(schoolyear.start)
    table = table[(starts >= years[0]) & (starts <= years[1] + comparison.regional_year_shift)]
    if table.empty or not (table["source"] == "duo").any():
        return None
    order = {"regio": 0, "landelijk": 1, "landsdeel": 2}
    table = table.assign(_o=table["area"].map(order)).sort_values(["_o", "school_year"], kind="stable").reset_index(drop=True)
    out = Table([Column("Schooljaar", "text", 12), Column("Gebied", "text", 26), Column("Bron", "text", 16),
                 Column("Leerlingen", "text", 16), Column("Techniek", "text", 16), Column("Aandeel techniek", "share", 12)])
    series = []
    for (area, area_name), rows in table.groupby(["area", "area_name"], sort=False):
        start = len(out.rows)
        for row in rows.itertuples():
            out.rows.append([fmt.school_year(row.school_year),
                             "regio (eigen bestanden)" if area == "regio" else national_view.series_name(area, area_name),
                             "eigen bestanden" if row.source == "export" else "DUO (openbaar)",
                             _bounds(row.pupils_min, row.pupils_max), _bounds(row.technical_min, row.technical_max), _share(row.share)])
        series.append(ChartSeries("Regio" if area == "regio" else national_view.series_name(area, area_name), (start, len(out.rows)), 5))
    note = national_view.source_note(peildata, level)
    both = table.pivot_table(index="school_year", columns="area", values="share", aggfunc="first")
    sentences = []
    duo_years = sorted(table.loc[table["source"] == "duo", "school_year"], key=schoolyear.start)
    if duo_years and "regio" in both.columns:
        latest = max((y for y in both.index if not pd.isna(both.loc[y].get("landelijk", math.nan))), key=schoolyear.start, default=None)
        if latest is not None:
            others = [("landelijk", _share(both.loc[latest].get("landelijk")))]
            if "landsdeel" in both.columns:
                others.append((f"in landsdeel {areas['landsdeel']}", _share(both.loc[latest].get("landsdeel"))))
            peildatum = f"DUO, peildatum 1 oktober {schoolyear.start(latest)}"
            sentences.append(national_sentence(level, latest, _share(both.loc[latest].get("regio")), others, peildatum))
    chart = Chart("trend", f"{comparison.label_nl}", 0, tuple(series)) if out.rows else None
    return Block(comparison.label_nl, sentences, out, chart,
                 [note, comparison.definition_nl(settings),
                  "Regio: het afgeschermde cijfer uit de eigen bestanden (zie de hoofdstukken Instroom en Doorstroom)."])


def national_section(con: duckdb.DuckDBPyConnection, settings: MetricSettings, rules: suppression.SuppressionRules,
                     years: tuple[int, int]) -> Section | None:
    """The chapter, or None when no DUO file is loaded."""
    if not compare.has_duo_tables(con):
        return None
    peildata = compare.peildata(con)
    if peildata.empty:
        return None
    areas = national_view.region_areas(con)
    blocks = [b for level in registry.COMPARISONS if (b := _level_block(con, level, settings, rules, years, peildata, areas))]
    if not blocks:
        return None
    return Section("Landelijk", "Regio naast het land",
                   "De cijfers van de regio naast dezelfde cijfers voor heel Nederland en het landsdeel, uit de openbare bestanden "
                   "van DUO. DUO telt net iets anders dan de eigen bestanden; het verschil staat onder elke tabel.", blocks)
