"""Display tables for the dashboard: display-safe engine tables -> what a page shows and draws.

No streamlit here. Input tables come from privacy.suppress (counts may be '<5', hidden
shares None); the output keeps that, formatted in Dutch. The same display table feeds
the table view and the CSV download, so a download is exactly what the page shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from sto_metrics import schoolyear
from sto_metrics.metrics import registry
from sto_metrics.presentation import formatting as fmt

REGION_LABEL = "Regio"
SELECTION_LABEL = "Selectie"
DESTINATIONS = list(fmt.DESTINATION_LABELS)


def headline_rows(table: pd.DataFrame, metric: registry.Metric) -> pd.DataFrame:
    """The rows of a published table that carry the figure itself (Metric.headline_rows: progression's 'totaal')."""
    for column, value in metric.headline_rows.items():
        if column in table:
            table = table[table[column] == value]
    return table


def series_names(table: pd.DataFrame, region_name: str = REGION_LABEL) -> pd.Series:
    """The region row named `region_name`, school rows by their school name (or id)."""
    names = table["scope_name"].where(table["scope_name"].notna() & (table["scope_name"].astype(str) != ""), table["scope"])
    return names.where(table["scope"] != "regio", region_name).astype(str)


def share_chart_input(table: pd.DataFrame, *, numerator: str, denominator: str, region_name: str = REGION_LABEL,
                      series: pd.Series | None = None) -> pd.DataFrame:
    """Columns for charts.trend_figure / compare_figure from an inflow or progression table."""
    out = pd.DataFrame({
        "school_year": table["school_year"].to_numpy(),
        "series": (series if series is not None else series_names(table, region_name)).to_numpy(),
        "share": table["share"].to_numpy(),
        "ci_low": table["ci_low"].to_numpy(),
        "ci_high": table["ci_high"].to_numpy(),
        "numerator": table[numerator].to_numpy(),
        "denominator": table[denominator].to_numpy(),
    })
    return out


def inflow_display(table: pd.DataFrame, *, region_name: str = REGION_LABEL, split_column: str | None = None,
                   breakdown: registry.Breakdown | None = None) -> pd.DataFrame:
    """Inflow rows as shown: Schooljaar, Regio/school, [split], leerlingen, techniek, aandeel, interval, onbekend."""
    out = pd.DataFrame({
        "Schooljaar": [fmt.school_year(y) for y in table["school_year"]],
        "Regio of school": series_names(table, region_name).to_list(),
    })
    if split_column:
        out[split_column] = [split_label(v, breakdown) for v in table["split"]]
    out["Leerlingen (noemer)"] = [fmt.count(v) for v in table["pupils"]]
    out["Technisch profiel"] = [fmt.count(v) for v in table["technical"]]
    out["Aandeel techniek"] = [fmt.percent(v) for v in table["share"]]
    out["95%-interval"] = [fmt.interval(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)]
    out["Profiel onbekend"] = [fmt.count(v) for v in table["unknown_profile"]]
    return out


def share_display(table: pd.DataFrame, metric: registry.Metric, *, region_name: str = REGION_LABEL) -> pd.DataFrame:
    """Any share figure's rows as shown: Schooljaar, Regio of school, its counts (declared headers), aandeel, interval."""
    out = pd.DataFrame({
        "Schooljaar": [fmt.school_year(y) for y in table["school_year"]],
        "Regio of school": series_names(table, region_name).to_list(),
    })
    for column in metric.count_columns:
        out[metric.column_labels_nl.get(column, column)] = [fmt.count(v) for v in table[column]]
    out["Aandeel"] = [fmt.percent(v) for v in table["share"]]
    out["95%-interval"] = [fmt.interval(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)]
    return out


def progression_display(table: pd.DataFrame, *, level: str, region_name: str = REGION_LABEL) -> pd.DataFrame:
    """Progression rows as shown, one per cohort, scope and from_group."""
    follow = "mbo" if level == "vmbo" else "hbo/wo"
    out = pd.DataFrame({
        "Diplomajaar": [fmt.school_year(y) for y in table["school_year"]],
        "Regio of school": series_names(table, region_name).to_list(),
        "Herkomst": [fmt.FROM_GROUP_LABELS.get(str(v), str(v)) for v in table["from_group"]],
        "Gediplomeerden (noemer)": [fmt.count(v) for v in table["enrolled"]],
        f"Naar {follow} techniek": [fmt.count(v) for v in table["technical"]],
        "Aandeel techniek": [fmt.percent(v) for v in table["share"]],
        "95%-interval": [fmt.interval(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)],
    })
    return out


def figure_display(table: pd.DataFrame, metric: registry.Metric, *, region_name: str = REGION_LABEL) -> pd.DataFrame:
    """A share figure's rows as shown, in the table layout of its family (inflow and progression have their own)."""
    special = {"inflow": lambda: inflow_display(table, region_name=region_name),
               "progression": lambda: progression_display(table, level=metric.level, region_name=region_name)}
    return special.get(metric.family, lambda: share_display(table, metric, region_name=region_name))()


def destination_shares(table: pd.DataFrame, min_share_denominator: int) -> pd.DataFrame:
    """Adds <destination>_share columns: count / graduates where both are shown and the cohort is large enough.

    A '<5' count has no share (drawing it would reveal it); neither has a cohort below the threshold.
    """
    out = table.copy()
    graduates = [fmt.numeric(v) for v in out["graduates"]]
    for destination in DESTINATIONS:
        if destination not in out:
            continue
        shares = []
        for total, value in zip(graduates, out[destination], strict=True):
            number = fmt.numeric(value)
            shares.append(number / total if total and total >= min_share_denominator and number is not None else None)
        out[f"{destination}_share"] = shares
    return out


def destinations_display(table: pd.DataFrame, *, region_name: str = REGION_LABEL) -> pd.DataFrame:
    """Destination rows as shown: counts per destination, and the shares the chart draws."""
    out = pd.DataFrame({
        "Diplomajaar": [fmt.school_year(y) for y in table["school_year"]],
        "Regio of school": series_names(table, region_name).to_list(),
        "Herkomst": [fmt.FROM_GROUP_LABELS.get(str(v), str(v)) for v in table["from_group"]],
        "Gediplomeerden": [fmt.count(v) for v in table["graduates"]],
    })
    for destination, label in fmt.DESTINATION_LABELS.items():
        if destination not in table:
            continue
        out[label] = [fmt.count(v) for v in table[destination]]
        if f"{destination}_share" in table:
            out[f"{label} (%)"] = [fmt.percent(v) for v in table[f"{destination}_share"]]
    return out


def split_label(value: object, breakdown: registry.Breakdown | None = None) -> str:
    """A split value as shown, by the breakdown's declared labels (V -> meisjes, BB stays BB); missing -> onbekend."""
    if fmt.is_missing(value):
        return "onbekend"
    labels = breakdown.values if breakdown is not None else registry.SPLIT_VALUE_LABELS
    return labels.get(str(value), str(value))


@dataclass(frozen=True)
class Headline:
    """The latest share of a series with its change against the year before and a baseline year."""

    year: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    numerator: object
    denominator: object
    previous_year: int | None
    change_previous: float | None
    baseline_year: int
    change_baseline: float | None
    trend: list[float]
    previous_overlaps: bool | None = None  # do the 95% intervals of this and the previous year overlap?
    baseline_overlaps: bool | None = None  # ... of this year and the baseline year?


def headline(table: pd.DataFrame, *, years: tuple[int, int] | None, baseline_year: int, numerator: str,
             denominator: str, scope: str = "regio") -> Headline | None:
    """The row of `scope` (default the region) in the latest year in range; None when there is none.

    Changes are differences of shown shares only; a hidden share gives no change.
    """
    rows = table[table["scope"] == scope].copy()
    if rows.empty:
        return None
    rows["_year"] = rows["school_year"].map(schoolyear.start)
    in_range = rows if years is None else rows[(rows["_year"] >= years[0]) & (rows["_year"] <= years[1])]
    if in_range.empty:
        return None
    in_range = in_range.sort_values("_year")
    latest = in_range.iloc[-1]
    by_year = {int(row["_year"]): fmt.numeric(row["share"]) for _, row in rows.iterrows()}
    intervals = {int(row["_year"]): (fmt.numeric(row["ci_low"]), fmt.numeric(row["ci_high"])) for _, row in rows.iterrows()}
    year = int(latest["_year"])
    share = fmt.numeric(latest["share"])
    previous = by_year.get(year - 1)
    base = by_year.get(baseline_year)
    return Headline(
        year=year,
        share=share,
        ci_low=fmt.numeric(latest["ci_low"]),
        ci_high=fmt.numeric(latest["ci_high"]),
        numerator=latest[numerator],
        denominator=latest[denominator],
        previous_year=year - 1 if (year - 1) in by_year else None,
        change_previous=share - previous if share is not None and previous is not None else None,
        baseline_year=baseline_year,
        change_baseline=share - base if share is not None and base is not None and year != baseline_year else None,
        trend=[round(v * 100, 1) for v in (fmt.numeric(s) for s in in_range["share"]) if v is not None],
        previous_overlaps=intervals_overlap(intervals.get(year), intervals.get(year - 1)),
        baseline_overlaps=intervals_overlap(intervals.get(year), intervals.get(baseline_year)) if year != baseline_year else None,
    )


def intervals_overlap(first: tuple | None, second: tuple | None) -> bool | None:
    """True when two 95% intervals overlap (a change is then not called a rise or fall); None when one is hidden."""
    if first is None or second is None or None in first or None in second:
        return None
    return first[0] <= second[1] and second[0] <= first[1]


def headline_row(label: str, summary: Headline | None, baseline_year: int) -> dict[str, str]:
    """One row of the overview table, formatted as on the cards."""
    if summary is None:
        return {"Cijfer": label, "Schooljaar": fmt.HIDDEN, "Aandeel": fmt.HIDDEN, "95%-interval": fmt.HIDDEN, "Teller": fmt.HIDDEN,
                "Noemer": fmt.HIDDEN, "Verschil met jaar ervoor": "", "Verschil met start STO": ""}
    return {
        "Cijfer": label,
        "Schooljaar": fmt.school_year(summary.year),
        "Aandeel": fmt.percent(summary.share),
        "95%-interval": fmt.interval(summary.ci_low, summary.ci_high),
        "Teller": fmt.count(summary.numerator),
        "Noemer": fmt.count(summary.denominator),
        "Verschil met jaar ervoor": fmt.points(summary.change_previous),
        f"Verschil met {fmt.school_year(baseline_year)}": fmt.points(summary.change_baseline),
    }


def headline_display(rows: list[dict[str, str]]) -> pd.DataFrame:
    """The overview table."""
    return pd.DataFrame(rows).fillna("")


def flow_display(nodes: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """The cohort-flow links as shown: Van, Naar, Leerlingen (display-safe counts)."""
    if links.empty:
        return pd.DataFrame(columns=["Van", "Naar", "Leerlingen"])
    label = dict(zip(nodes["node"], nodes["label"], strict=True))
    return pd.DataFrame({
        "Van": [label.get(source, source) for source in links["source"]],
        "Naar": [label.get(target, target) for target in links["target"]],
        "Leerlingen": [fmt.count(v) for v in links["pupils"]],
    })


def load_results_display(results: list) -> pd.DataFrame:
    """One row per uploaded file (loader.FileResult): name, kind, status, rows read/loaded, load number."""
    return pd.DataFrame({
        "Bestand": [r.file_name for r in results],
        "Soort": [r.kind or "?" for r in results],
        "Status": [r.status for r in results],
        "Regels gelezen": [fmt.count(r.rows_read) for r in results],
        "Regels geladen": [fmt.count(r.rows_loaded) for r in results],
        "Lading": [str(r.load_id) if r.load_id is not None else "" for r in results],
    })


def parse_problems(column: pd.Series) -> list[dict[str, int]]:
    """load_log.problems (JSON text per load) -> a dict per load."""
    parsed = []
    for text in column:
        try:
            value = json.loads(text) if isinstance(text, str) and text else {}
        except ValueError:
            value = {}
        parsed.append({str(k): int(v) for k, v in value.items()} if isinstance(value, dict) else {})
    return parsed


SMALL_COUNT = 5  # problem counts are counts of pupils' rows: 1-4 is written '<5', as every published count


def problem_count(n: int) -> str:
    """A per-file problem count as shown: 1 to 4 rows (pupils) is '<5'."""
    return "<5" if 0 < int(n) < SMALL_COUNT else fmt.count(int(n))


def problems_display(problems: list[dict[str, int]], labels: dict[str, str]) -> pd.DataFrame:
    """The data-quality report: per problem kind, the Dutch label, the number of rows and of files.

    A kind's total is hidden when some file's count of it is hidden (1-4): total minus the other files would give it back.
    """
    totals: dict[str, list[int]] = {}
    for per_file in problems:
        for kind, n in per_file.items():
            if n:
                entry = totals.setdefault(kind, [0, 0, 0])
                entry[0] += int(n)
                entry[1] += 1
                entry[2] += int(n) < SMALL_COUNT
    ordered = [kind for kind in labels if kind in totals] + sorted(kind for kind in totals if kind not in labels)
    return pd.DataFrame({
        "Probleem": [labels.get(kind, kind) for kind in ordered],
        "Aantal": [problem_count(totals[kind][0]) if not totals[kind][2] else fmt.HIDDEN for kind in ordered],
        "Bestanden": [fmt.count(totals[kind][1]) for kind in ordered],
    })


def loads_display(loads: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """loader.list_loads as shown: one row per load, problems summarised in Dutch."""
    problems = parse_problems(loads["problems"])
    years = [
        "" if fmt.is_missing(first) else (fmt.school_year(int(first)) if first == last else f"{fmt.school_year(int(first))} t/m {fmt.school_year(int(last))}")
        for first, last in zip(loads["first_year"], loads["last_year"], strict=True)
    ]
    return pd.DataFrame({
        "Lading": [str(int(v)) for v in loads["load_id"]],
        "Bestand": loads["file_name"].astype(str).to_list(),
        "Soort": loads["kind"].astype(str).to_list(),
        "Scholen": ["" if fmt.is_missing(v) else str(v) for v in loads["schools"]],
        "Schooljaren": years,
        "Regels gelezen": [fmt.count(v) for v in loads["rows_read"]],
        "Regels geladen": [fmt.count(v) for v in loads["rows_loaded"]],
        "Problemen": ["; ".join(f"{labels.get(k, k)}: {problem_count(n)}" for k, n in p.items() if n) for p in problems],
        "Geladen op": [v.strftime("%d-%m-%Y %H:%M") if hasattr(v, "strftime") and not fmt.is_missing(v) else "" for v in loads["loaded_at"]],
        "Vervangen door": ["" if fmt.is_missing(v) else str(int(v)) for v in loads["replaced_by"]],
    })
