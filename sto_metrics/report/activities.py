"""The grant pack's Activiteiten chapter: the reach table and the participants-vs-others comparison with its caveat."""

from __future__ import annotations

import pandas as pd

from sto_metrics import published, schoolyear
from sto_metrics.metrics import activities, registry
from sto_metrics.presentation import activities as shown
from sto_metrics.presentation import formatting as fmt
from sto_metrics.report.pack import YEAR, Block, Chart, ChartSeries, Column, Section, Table, _count, _share


def _in_years(table: pd.DataFrame, years: tuple[int, int]) -> pd.DataFrame:
    starts = table["school_year"].map(schoolyear.start)
    return table[(starts >= years[0]) & (starts <= years[1])].reset_index(drop=True)


def _reach_block(con, scope, years, settings, rules) -> Block | None:
    reach = _in_years(published.table(con, "reach", by="school", settings=settings, rules=rules), years)
    if scope.school_id is not None:
        reach = reach[reach["scope"] == scope.school_id]
    if reach.empty:
        return None
    labels = shown.activity_type_labels(activities.activity_type_names(con), reach["activity_type"])
    table = Table([YEAR, Column("School", "text", 34), Column("Soort activiteit", "text", 18), Column("Activiteiten", "count", 11),
                   Column("Deelnemers", "count", 11), Column("Meisjes", "count", 10), Column("Ingeschreven leerlingen", "count", 13),
                   Column("Bereik", "share", 10)])
    for _, row in reach.iterrows():
        table.rows.append([fmt.school_year(row["school_year"]), str(row["scope_name"]), labels.get(row["activity_type"], row["activity_type"]),
                           _count(row["activities"]), _count(row["participants"]), _count(row["girls"]),
                           None if row["scope"] == "regio" else _count(row["enrolled"]), _share(row["reach_share"])])
    capped = [shown.reach_share_text(row).endswith(shown.CAPPED_MARK) for _, row in reach.iterrows()]
    notes = [registry.get("reach").definition_nl(settings)]
    if any(capped):
        notes.append("Bij een bereik van 100% met meer deelnemers dan ingeschreven leerlingen is het bereik afgekapt op 100% "
                     "(bijvoorbeeld omdat leerlingen twee keer meededen).")
    sentence = f"{fmt.count(int(reach['activities'].sum()))} activiteiten {scope.phrase} in {reach['school_year'].nunique()} schooljaren."
    return Block("Bereik van activiteiten", [sentence], table, None, notes)


def _reached_block(con, scope, years, settings, rules) -> Block | None:
    """Distinct pupils reached per school year (participant lists), for the region or the school."""
    reached = _in_years(published.table(con, "reach_pupils", by=scope.by, settings=settings, rules=rules), years)
    reached = reached[reached["scope"] == scope.key]
    if reached.empty:
        return None
    table = Table([YEAR, Column("Bereikte leerlingen", "count", 14)])
    for _, row in reached.iterrows():
        table.rows.append([fmt.school_year(row["school_year"]), _count(row["pupils_reached"])])
    notes = [registry.get("reach_pupils").definition_nl(settings)]
    return Block("Bereikte leerlingen (deelnemerslijsten)", [], table, None, notes)


def _effect_table(con, scope, years, settings, rules) -> pd.DataFrame:
    effect = _in_years(published.table(con, "activity_effect", by=scope.by, settings=settings, rules=rules), years)
    return effect[effect["scope"] == scope.key]


def _effect_block(effect: pd.DataFrame, scope, settings) -> Block | None:
    if effect.empty:
        return None
    difference = activities.group_difference(effect)
    table = Table([YEAR, Column("Deelnemers (leerlingen)", "count", 12), Column("Deelnemers techniek", "share", 11),
                   Column("95%-interval van", "share", 10), Column("95%-interval tot", "share", 10),
                   Column("Niet-deelnemers (leerlingen)", "count", 12), Column("Niet-deelnemers techniek", "share", 11),
                   Column("95%-interval van", "share", 10), Column("95%-interval tot", "share", 10),
                   Column("Verschil", "points", 11), Column("95%-interval verschil", "text", 26)])
    for year, group in effect.groupby("school_year", sort=True):
        took_part = group[group["group"] == "deelnemers"].iloc[0]
        others = group[group["group"] == "niet-deelnemers"].iloc[0]
        found = difference[difference["school_year"] == year]
        diff = found.iloc[0] if len(found) else None
        table.rows.append([
            fmt.school_year(year), _count(took_part["pupils"]), _share(took_part["share"]), _share(took_part["ci_low"]),
            _share(took_part["ci_high"]), _count(others["pupils"]), _share(others["share"]), _share(others["ci_low"]),
            _share(others["ci_high"]), _share(diff["difference"]) if diff is not None else float("nan"),
            shown.points_interval(diff) if diff is not None else fmt.HIDDEN,
        ])
    chart = Chart("trend", f"Technisch profiel in leerjaar 3: deelnemers en niet-deelnemers ({scope.name})", 0, (
        ChartSeries("Deelnemers", (0, len(table.rows)), 2, 3, 4), ChartSeries("Niet-deelnemers", (0, len(table.rows)), 6, 7, 8)))
    sentences = [s for s in [shown.difference_sentence(difference)] if s] + [activities.CAVEAT_NL]
    return Block("Kiezen deelnemers vaker voor techniek?", sentences, table, chart,
                 [registry.get("activity_effect").definition_nl(settings)])


def _participation_block(effect: pd.DataFrame, scope, settings, rules) -> Block | None:
    """The share of the leerjaar-3 cohort that took part before, from the comparison's published group counts only."""
    participation = activities.cohort_participation(effect, rules.min_share_denominator)
    if participation.empty:
        return None
    table = Table([YEAR, Column("Leerlingen in leerjaar 3", "count", 12), Column("Eerder meegedaan", "count", 12),
                   Column("Aandeel eerder meegedaan", "share", 12), Column("95%-interval van", "share", 10),
                   Column("95%-interval tot", "share", 10)])
    for _, row in participation.sort_values("school_year", kind="stable").iterrows():
        table.rows.append([fmt.school_year(row["school_year"]), _count(row["pupils"]), _count(row["took_part"]),
                           _share(row["share"]), _share(row["ci_low"]), _share(row["ci_high"])])
    chart = Chart("trend", f"Aandeel van leerjaar 3 dat eerder meedeed ({scope.name})", 0,
                  (ChartSeries(shown.PARTICIPATION_SERIES, (0, len(table.rows)), 3, 4, 5),))
    sentences = [s for s in [shown.participation_sentence(participation, scope.phrase)] if s]
    return Block("Deelname vóór leerjaar 3", sentences, table, chart,
                 [shown.PARTICIPATION_NOTE, registry.get("activity_effect").definition_nl(settings)])


def section(con, scope, years: tuple[int, int], settings, rules) -> Section | None:
    """The chapter, or None when no activities register is loaded."""
    effect = _effect_table(con, scope, years, settings, rules)
    blocks = [b for b in (_reach_block(con, scope, years, settings, rules), _reached_block(con, scope, years, settings, rules),
                          _effect_block(effect, scope, settings),
                          _participation_block(effect, scope, settings, rules)) if b]
    if not blocks:
        return None
    return Section("Activiteiten", "Activiteiten: bereik en keuze na deelname",
                   f"Wie de activiteiten {scope.phrase} bereikten, en of leerlingen die meededen vaker voor techniek kozen. "
                   "Voor het activiteitenplan en het jaarverslag.", blocks)
