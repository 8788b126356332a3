"""The grant-application pack (subsidieaanvraag): nulmeting, trends, ambitions and methods as .xlsx, .html or .docx.

`report_content` gathers everything once, as display-safe tables (every number passed
`suppression.suppress`) with the sentences that describe them and the charts drawn from them;
`sto_metrics.report.render` writes that one content model in each format, so the three files
can't disagree. `build_report` is what the dashboard page calls; `cli` is `python -m sto_metrics report`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from sto_metrics import db, published, schoolyear
from sto_metrics.errors import UserError
from sto_metrics.loading.duo import KIND_LABELS as DUO_KIND_LABELS
from sto_metrics.metrics import calculations, catalog, registry
from sto_metrics.presentation import formatting as fmt
from sto_metrics.privacy import suppression
from sto_metrics.report import sentences as say
from sto_metrics.settings import MetricSettings
from sto_metrics.stats import Z_95

FORMATS = ("xlsx", "html", "docx")
MIME_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

# --------------------------------------------------------------------------------------------
# The content model (format-independent)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column: Dutch header, kind of cell ('text', 'count', 'share', 'points') and width in characters."""

    header: str
    kind: str = "text"
    width: float = 14


@dataclass(frozen=True)
class ChartSeries:
    """One line or bar series: its rows (start, stop) of the table and the columns it draws."""

    name: str
    rows: tuple[int, int]
    value_column: int
    low_column: int | None = None
    high_column: int | None = None


@dataclass(frozen=True)
class Chart:
    """A chart drawn only from cells of the table beside it: 'trend' (lines with 95% intervals), 'stacked' or 'bars'."""

    kind: str
    title: str
    category_column: int
    series: tuple[ChartSeries, ...]


@dataclass
class Table:
    """Display-safe cells: text, int counts, '<5', None (hidden), share floats or NaN (hidden)."""

    columns: list[Column]
    rows: list[list[object]] = field(default_factory=list)


@dataclass
class Block:
    """One subject: a heading, pasteable sentences, the table that backs them, its chart, notes."""

    title: str
    sentences: list[str] = field(default_factory=list)
    table: Table | None = None
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Section:
    """One sheet of the workbook, one chapter of the document."""

    sheet: str  # Excel sheet name (<= 31 characters)
    title: str
    intro: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    title: str
    subtitle: str
    scope_name: str
    sections: list[Section]

    def sentences(self) -> list[str]:
        """Every pasteable sentence, in order."""
        return [s for section in self.sections for block in section.blocks for s in block.sentences]


# --------------------------------------------------------------------------------------------
# Gathering the figures
# --------------------------------------------------------------------------------------------

YEAR = Column("Schooljaar", "text", 12)
DIPLOMA_YEAR = Column("Diplomajaar", "text", 12)
SHARE_COLUMNS = [Column("Aandeel techniek", "share", 12), Column("95%-interval van", "share", 11), Column("95%-interval tot", "share", 11)]
GROUP_ORDER = ("totaal", "techniek", "overig")
GROUP_NAMES = {"totaal": "totaal", "techniek": "behoud (technisch profiel)", "overig": "instap (ander profiel)"}


@dataclass(frozen=True)
class Scope:
    """Region or one school, and the phrase for sentences ('in de regio', 'op Vakcollege Zaandijk')."""

    school_id: str | None
    name: str

    @property
    def by(self) -> str:
        return "regio" if self.school_id is None else "school"

    @property
    def key(self) -> str:
        return registry.REGION_SCOPE if self.school_id is None else self.school_id

    @property
    def phrase(self) -> str:
        return "in de regio" if self.school_id is None else f"op {self.name}"


def _available_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return catalog.school_years(con)


def _school_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return catalog.school_ids(con)


class _Figures:
    """Display-safe metric tables for one scope and year range (each suppressed on its whole cube)."""

    def __init__(self, con, scope: Scope, years: tuple[int, int], settings: MetricSettings, rules: suppression.SuppressionRules):
        self.con, self.scope, self.years, self.settings, self.rules = con, scope, years, settings, rules

    def table(self, metric: str, split: str | None = None) -> pd.DataFrame:
        """The published table of a declared figure, this scope's rows within the years."""
        shown = published.table(self.con, metric, by=self.scope.by, split=split, settings=self.settings, rules=self.rules)
        starts = shown["school_year"].map(schoolyear.start)
        keep = (shown["scope"] == self.scope.key) & (starts >= self.years[0]) & (starts <= self.years[1])
        return shown[keep].reset_index(drop=True)


def _number(value: object) -> float | None:
    return fmt.numeric(value)


def _share(value: object) -> float:
    number = fmt.numeric(value)
    return math.nan if number is None else number


def _count(value: object) -> object:
    """A display-safe count cell: int, '<5' or None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    return int(value)  # type: ignore[arg-type]


def _point(row: pd.Series | None) -> say.Point | None:
    if row is None:
        return None
    return say.Point(fmt.school_year(row["school_year"]), _number(row["share"]), _number(row["ci_low"]), _number(row["ci_high"]))


def _ends(rows: pd.DataFrame) -> tuple[pd.Series | None, pd.Series | None]:
    """The first (nulmeting) and last row of a year-sorted table."""
    if rows.empty:
        return None, None
    ordered = rows.sort_values("school_year", kind="stable")
    return ordered.iloc[0], ordered.iloc[-1]


@dataclass
class _Indicator:
    """One line of the summary: a label and the first and last point of its trend."""

    label: str
    first: say.Point | None
    last: say.Point | None
    sentence: str


def _share_block(title: str, subject: str, rows: pd.DataFrame, *, count_columns: list[Column],
                 count_fields: list[str], definition: str, chart_title: str, year_column: Column = YEAR) -> tuple[Block, _Indicator]:
    """A trend table of one share (one row per year) with its chart and its change sentence."""
    rows = rows.sort_values("school_year", kind="stable").reset_index(drop=True)
    table = Table([year_column, *count_columns, *SHARE_COLUMNS])
    for _, row in rows.iterrows():
        table.rows.append([fmt.school_year(row["school_year"]), *(_count(row[f]) for f in count_fields),
                           _share(row["share"]), _share(row["ci_low"]), _share(row["ci_high"])])
    first, last = _ends(rows)
    sentence = say.change_sentence(subject, _point(first), _point(last))
    share_at = 1 + len(count_columns)
    chart = None
    if table.rows:
        chart = Chart("trend", chart_title, 0, (ChartSeries(title, (0, len(table.rows)), share_at, share_at + 1, share_at + 2),))
    block = Block(title, [sentence], table, chart, [definition])
    return block, _Indicator(title, _point(first), _point(last), sentence)


def _share_blocks(figures: _Figures, metric: registry.Metric) -> tuple[list[Block], list[_Indicator]]:
    """A share figure's trend block, and one per breakdown value the registry puts in the report (girls' inflow)."""
    scope, settings = figures.scope, figures.settings
    counts = [Column(metric.column_labels_nl.get(c, c), "count", 14) for c in metric.count_columns]
    subject = metric.subject_nl(settings).format(who="")
    definition = metric.definition_nl(settings)
    block, indicator = _share_block(
        metric.label_nl, f"{subject} {scope.phrase}", figures.table(metric.name), count_columns=counts,
        count_fields=list(metric.count_columns), definition=definition, chart_title=f"{metric.label_nl} ({scope.name})")
    blocks, indicators = [block], [indicator]
    for name, value in metric.report_breakdowns:
        breakdown = metric.breakdown(name)
        label = breakdown.values[value]
        rows = figures.table(metric.name, split=breakdown.request)
        title = f"{label[:1].upper() + label[1:]}: {metric.label_nl[:1].lower() + metric.label_nl[1:]}"
        block, indicator = _share_block(
            title, f"{subject} ({label}) {scope.phrase}", rows[rows[breakdown.column] == value],
            count_columns=[Column(f"{counts[0].header} ({label})", "count", 14), *counts[1:]], count_fields=list(metric.count_columns),
            definition=f"{definition} Hier alleen de leerlingen met {breakdown.label_nl.lower()} {value} ({label}).",
            chart_title=f"{title} ({scope.name})")
        blocks.append(block)
        indicators.append(indicator)
    return blocks, indicators


def _progression_subject(metric: registry.Metric, group: str, settings: MetricSettings, scope: Scope) -> str:
    who = {"totaal": "", "techniek": " met een technisch profiel (behoud)", "overig": " met een ander profiel (instap)"}[group]
    return metric.subject_nl(settings).format(who=who) + f" {scope.phrase}"


def _grouped_share_block(figures: _Figures, metric: registry.Metric) -> tuple[list[Block], list[_Indicator]]:
    """Progression: one trend per herkomst group (totaal, behoud, instap) in one table and chart."""
    scope, settings, level = figures.scope, figures.settings, metric.level
    definition = metric.definition_nl(settings)
    shown = figures.table(metric.name)
    follow = "mbo" if level == "vmbo" else "hbo/wo"
    all_graduates = level == "vmbo" and settings.progression_denominator == "all_graduates"
    table = Table([DIPLOMA_YEAR, Column("Herkomst", "text", 24),
                   Column("Gediplomeerden (noemer)" if all_graduates else f"Naar {follow} (noemer)", "count", 14),
                   Column(f"Naar {follow} techniek", "count", 12), *SHARE_COLUMNS])
    series, sentences, indicators = [], [], []
    label = metric.label_nl
    for group in GROUP_ORDER:
        rows = shown[shown["from_group"] == group].sort_values("school_year", kind="stable")
        start = len(table.rows)
        for _, row in rows.iterrows():
            table.rows.append([fmt.school_year(row["school_year"]), GROUP_NAMES[group], _count(row["enrolled"]), _count(row["technical"]),
                               _share(row["share"]), _share(row["ci_low"]), _share(row["ci_high"])])
        if len(table.rows) > start:
            series.append(ChartSeries(GROUP_NAMES[group], (start, len(table.rows)), 4, 5, 6))
        first, last = _ends(rows)
        sentence = say.change_sentence(_progression_subject(metric, group, settings, scope), _point(first), _point(last))
        sentences.append(sentence)
        indicators.append(_Indicator(f"{label}: {GROUP_NAMES[group]}", _point(first), _point(last), sentence))
    chart = Chart("trend", f"{label} ({scope.name})", 0, tuple(series)) if series else None
    return [Block(label, sentences, table, chart, [definition])], indicators


def _destination_share(count: object, graduates: object, min_denominator: int) -> float:
    """count / graduates from shown cells only, and only over a cohort large enough for a share."""
    number, total = _number(count), _number(graduates)
    if number is None or total is None or total < min_denominator:
        return math.nan
    return number / total


def _destinations_block(figures: _Figures, metric: registry.Metric) -> Block:
    scope, rules, level = figures.scope, figures.rules, metric.level
    definition = metric.definition_nl(figures.settings)
    shown = figures.table(metric.name)
    rows = shown[shown["from_group"] == "totaal"].sort_values("school_year", kind="stable").reset_index(drop=True)
    labels = fmt.DESTINATION_LABELS
    columns = [DIPLOMA_YEAR, Column("Gediplomeerden", "count", 13)]
    columns += [Column(label[:1].upper() + label[1:], "count", 11) for label in labels.values()]
    columns += [Column(f"{label[:1].upper() + label[1:]} (%)", "share", 11) for label in labels.values()]
    table = Table(columns)
    for _, row in rows.iterrows():
        counts = [_count(row[d]) for d in labels]
        shares = [_destination_share(row[d], row["graduates"], rules.min_share_denominator) for d in labels]
        table.rows.append([fmt.school_year(row["school_year"]), _count(row["graduates"]), *counts, *shares])
    name = metric.label_nl
    chart = None
    if table.rows:
        first_share = 2 + len(labels)
        chart = Chart("stacked", f"{name} ({scope.name})", 0,
                      tuple(ChartSeries(label, (0, len(table.rows)), first_share + i) for i, label in enumerate(labels.values())))
    target, who = ("mbo_techniek", "vmbo-gediplomeerden") if level == "vmbo" else ("ho_techniek", "havo/vwo-gediplomeerden")
    where = "een technische mbo-opleiding" if level == "vmbo" else "een technische hbo- of wo-opleiding"
    subject = f"het aandeel {who} {scope.phrase} dat het jaar erna in {where} stond"
    if rows.empty:
        sentence = say.level_sentence(subject, None)
    else:
        last = rows.iloc[-1]
        share = _destination_share(last[target], last["graduates"], rules.min_share_denominator)
        count_text = f"{fmt.count(last[target])} van {fmt.count(last['graduates'])} gediplomeerden"
        sentence = say.level_sentence(subject, say.Point(fmt.school_year(last["school_year"]), None if math.isnan(share) else share),
                                      count_text)
    notes = [definition, "Percentages zijn aandelen van alle gediplomeerden van dat jaar; een bestemming met <5 leerlingen "
             "krijgt geen percentage."]
    return Block(name, [sentence], table, chart, notes)


def _summary_block(indicators: list[_Indicator]) -> Block:
    table = Table([Column("Indicator", "text", 44), Column("Nulmeting (jaar)", "text", 12), Column("Nulmeting", "share", 11),
                   Column("Laatste jaar", "text", 12), Column("Laatste waarde", "share", 11),
                   Column("95%-intervallen overlappen", "text", 13), Column("Verandering", "text", 24)])
    for item in indicators:
        table.rows.append([
            item.label,
            item.first.year if item.first else fmt.HIDDEN,
            _share(item.first.share) if item.first else math.nan,
            item.last.year if item.last else fmt.HIDDEN,
            _share(item.last.share) if item.last else math.nan,
            say.overlap_label(item.first, item.last),
            say.verdict(item.first, item.last),
        ])
    return Block("Nulmeting en laatste jaar", [item.sentence for item in indicators], table, None,
                 ["De nulmeting is het eerste gekozen schooljaar met cijfers; bij doorstroom het eerste diplomajaar waarvan de "
                  "bestemming bekend is. 'Gestegen' of 'gedaald' staat er alleen als de 95%-intervallen van beide jaren elkaar "
                  "niet overlappen."])


def _ambitions_block(con, scope: Scope, settings: MetricSettings, targets) -> Block:
    from sto_metrics.metrics import ambitions

    block = Block("Ambities en stand van zaken")
    try:
        evaluated = ambitions.evaluate(con, targets, settings=settings)
    except UserError as error:
        block.notes.append(f"De ambities konden niet worden getoond: {error}")
        return block
    if scope.school_id is not None:
        evaluated = evaluated[evaluated["scope"].isin([scope.school_id, registry.REGION_SCOPE])]
        evaluated = evaluated.assign(_order=(evaluated["scope"] == registry.REGION_SCOPE)).sort_values("_order", kind="stable")
    table = Table([Column("Indicator", "text", 34), Column("Regio of school", "text", 22), Column("Uitsplitsing", "text", 14),
                   Column("Nulmeting (jaar)", "text", 12), Column("Nulmeting", "share", 10), Column("Doeljaar", "text", 12),
                   Column("Streefwaarde", "share", 10), Column("Laatste jaar", "text", 12), Column("Laatste waarde", "share", 10),
                   Column("95%-interval van", "share", 10), Column("95%-interval tot", "share", 10),
                   Column("Volgens de lijn nu", "share", 10), Column("Status", "text", 11),
                   Column("Nodig per jaar (procentpunt)", "points", 13), Column("Toelichting", "text", 40)])
    for _, row in evaluated.iterrows():
        label = registry.METRICS[row["metric"]].label_nl if row["metric"] in registry.METRICS else str(row["metric"])
        table.rows.append([
            label, str(row["scope_name"]), registry.split_label(row["split"]), str(row["baseline_year"]), _share(row["baseline_value"]),
            str(row["target_year"]), _share(row["target_value"]), str(row["latest_year"] or fmt.HIDDEN), _share(row["latest_value"]),
            _share(row["latest_ci_low"]), _share(row["latest_ci_high"]), _share(row["trajectory_value"]), str(row["status"]),
            _share(row["needed_per_year"]), str(row["note"] or ""),
        ])
        split = registry.split_label(row["split"])
        block.sentences.append(say.ambition_sentence(
            label[:1].lower() + label[1:] + (f", {split}" if split else ""), str(row["scope_name"]), str(row["baseline_year"]),
            _number(row["baseline_value"]), str(row["target_year"]), _number(row["target_value"]),
            None if fmt.is_missing(row["latest_year"]) else str(row["latest_year"]), _number(row["latest_value"]), str(row["status"])))
    block.table = table
    if table.rows:
        block.chart = Chart("bars", "Ambities: laatste waarde, lijn en streefwaarde", 0, (
            ChartSeries("Laatste waarde", (0, len(table.rows)), 8),
            ChartSeries("Volgens de lijn nu", (0, len(table.rows)), 11),
            ChartSeries("Streefwaarde", (0, len(table.rows)), 6),
        ))
    else:
        block.notes.append("Er zijn geen ambities voor deze regio of school vastgelegd.")
    block.notes.append(ambitions.STATUS_RULE_NL)
    block.notes.append("Nodig per jaar: de stijging per jaar (in procentpunten) die vanaf het laatste jaar nog nodig is om de "
                       "streefwaarde in het doeljaar te halen.")
    return block


_KIND_LABELS = {"vo": "vo-inschrijvingen", "mbo": "mbo-inschrijvingen", "ho": "hbo/wo-inschrijvingen",
                **{kind: f"{label} (openbaar)" for kind, label in DUO_KIND_LABELS.items()}}


def _year_range(first: object, last: object) -> str:
    if fmt.is_missing(first):
        return fmt.HIDDEN
    if first == last or fmt.is_missing(last):
        return fmt.school_year(first)
    return f"{fmt.school_year(first)} t/m {fmt.school_year(last)}"


def _methods_section(con, settings: MetricSettings, rules: suppression.SuppressionRules, scope: Scope) -> Section:
    section = Section("Methode", "Methode en bronnen", "Hoe de cijfers in dit rapport zijn berekend, uit welke bestanden, "
                      "en hoe kleine aantallen zijn afgeschermd. Deze tekst kan als methodeparagraaf worden overgenomen.")
    definitions = Table([Column("Indicator", "text", 34), Column("Definitie", "text", 100)])
    for metric in _report_metrics():
        definitions.rows.append([metric.label_nl, metric.definition_nl(settings)])
    section.blocks.append(Block("Definities", table=definitions, notes=[
        "Alle aantallen zijn unieke leerlingen, geteld op de inschrijving van 1 oktober (teldatum). Een schooljaar loopt van "
        "1 augustus tot en met 31 juli."]))
    setting_lines = [
        "D&P telt als technisch profiel." if settings.dp_technical else "D&P telt niet als technisch profiel (Techniekpact-monitor).",
        "Havo/vwo: elk profiel met een N telt als technisch (Techniekpact-monitor)." if settings.havo_vwo_technical == "n"
        else "Havo/vwo: een profiel dat NT bevat telt als technisch (CBS).",
        "Doorstroom vmbo: aandeel van alle vmbo-gediplomeerden." if settings.progression_denominator == "all_graduates"
        else "Doorstroom vmbo: aandeel van de vmbo-gediplomeerden die naar het mbo gingen (Techniekpact-monitor).",
    ]
    section.blocks.append(Block("Instellingen in dit rapport", notes=setting_lines))
    sources = db.rows(con, "load_sources")
    # Loads by number, never by file name: a folder or file name may name a person, and the pack goes outside.
    source_table = Table([Column("Lading", "text", 12), Column("Soort", "text", 20), Column("Geladen op", "text", 16),
                          Column("Scholen of instellingen", "text", 36), Column("Schooljaren", "text", 24)])
    for load_id, _file_name, kind, loaded_at, schools, first, last in sources:
        loaded = loaded_at.strftime("%d-%m-%Y") if isinstance(loaded_at, dt.datetime | dt.date) else fmt.HIDDEN
        source_table.rows.append([f"lading {load_id}", _KIND_LABELS.get(str(kind), str(kind or fmt.HIDDEN)), loaded,
                                  str(schools or fmt.HIDDEN), _year_range(first, last)])
    school_table = Table([Column("Vestigingscode", "text", 14), Column("School", "text", 50)])
    known = calculations.school_names(con)
    for school_id in _school_ids(con):
        if scope.school_id is None or school_id == scope.school_id:
            school_table.rows.append([school_id, known.get(school_id, school_id)])
    source_notes = ["Bron: de inschrijvingsbestanden (exports uit de leerlingadministratie, het mbo en het hbo/wo) die in de "
                    "database zijn geladen; vervangen bestanden tellen niet mee. De ladingnummers zijn die van de pagina Data."]
    if not sources:
        source_notes.append("In deze database is geen laadlogboek aanwezig.")
    section.blocks.append(Block("Databronnen", table=source_table if sources else None, notes=source_notes))
    section.blocks.append(Block("Scholen in dit rapport", table=school_table))
    section.blocks.append(Block("Privacy: kleine aantallen", notes=[
        fmt.suppression_note(rules.min_count, rules.min_share_denominator),
        "Een afgeschermd aantal van 5 of meer (alleen verborgen om terugrekenen te voorkomen) blijft leeg. Er staan geen "
        "gegevens van individuele leerlingen in dit rapport; leerlingnummers zijn bij het laden vervangen door een sleutelcode.",
    ]))
    section.blocks.append(Block("Onzekerheid", notes=[
        f"Bij elk percentage staat een 95%-betrouwbaarheidsinterval volgens de methode van Wilson (score-interval, z = "
        f"{fmt.number(Z_95, 2)}). Het interval geeft aan hoe groot het toeval kan zijn bij deze aantallen leerlingen.",
        "Een verandering tussen twee jaren heet in dit rapport alleen een stijging of daling als de 95%-intervallen van die "
        "jaren elkaar niet overlappen; anders staat er dat het verschil binnen de onzekerheidsmarge valt.",
    ]))
    return section


def _activities_sections(con, scope: Scope, years: tuple[int, int], settings: MetricSettings,
                         rules: suppression.SuppressionRules) -> list[Section]:
    """The Activiteiten chapter (report/activities.py), when an activities register is loaded."""
    from sto_metrics.report import activities  # it builds on this module's content model

    found = activities.section(con, scope, years, settings, rules)
    return [found] if found else []


def _report_metrics() -> list[registry.Metric]:
    """The declared figures in the report, by chapter and then in declaration order."""
    themes = ("instroom", "doorstroom", "bestemming")
    return sorted((m for m in registry.METRICS.values() if m.in_report), key=lambda m: themes.index(m.theme))


def report_content(con: duckdb.DuckDBPyConnection, school_id: str | None = None, baseline_year: int | None = None,
                   latest_year: int | None = None, settings: MetricSettings | None = None,
                   rules: suppression.SuppressionRules | None = None, targets=None) -> Report:
    """Everything the report shows, display-safe, for the region or one school and a range of school years.

    baseline_year (nulmeting) and latest_year default to the first and last school year with vo data.
    Raises UserError (Dutch) for an unknown school or a baseline after the latest year.
    """
    settings = settings or MetricSettings()
    rules = rules or suppression.SuppressionRules()
    years = _available_years(con)
    if not years:
        raise UserError("De database bevat nog geen leerlinggegevens; laad eerst de exports van de scholen.")
    first = int(baseline_year) if baseline_year is not None else years[0]
    last = int(latest_year) if latest_year is not None else years[-1]
    if first > last:
        raise UserError(f"Het jaar van de nulmeting ({fmt.school_year(first)}) ligt na het laatste jaar ({fmt.school_year(last)}).")
    if school_id is not None:
        school_id = str(school_id).strip().upper()
        if school_id not in _school_ids(con):
            raise UserError(f"School {school_id} komt niet voor in de geladen gegevens.")
        scope = Scope(school_id, calculations.school_names(con).get(school_id, school_id))
    else:
        scope = Scope(None, calculations.REGION_NAME)
    figures = _Figures(con, scope, (first, last), settings, rules)
    blocks: dict[str, list[Block]] = {theme: [] for theme in ("instroom", "doorstroom", "bestemming")}
    indicators: list[_Indicator] = []
    for metric in _report_metrics():
        if metric.unit == "aantal":
            blocks[metric.theme].append(_destinations_block(figures, metric))
            continue
        found_blocks, found = _grouped_share_block(figures, metric) if metric.headline_rows else _share_blocks(figures, metric)
        blocks[metric.theme] += found_blocks
        indicators += found
    period = f"{fmt.school_year(first)} tot en met {fmt.school_year(last)}"
    sections = [
        Section("Overzicht", "Overzicht", f"Nulmeting ({fmt.school_year(first)}) en ontwikkeling tot en met {fmt.school_year(last)}, "
                f"{scope.phrase}. Elke zin hieronder staat in de tabel ernaast; de zinnen kunnen zo worden overgenomen.",
                [_summary_block(indicators)]),
        Section("Instroom", "Instroom in techniek", f"Leerlingen die voor een technisch profiel kiezen, {period}.", blocks["instroom"]),
        Section("Doorstroom", "Doorstroom naar technisch vervolgonderwijs",
                "Van de gediplomeerden die doorstudeerden: het aandeel in een technische opleiding, per diplomajaar.", blocks["doorstroom"]),
        Section("Bestemming", "Bestemming van de gediplomeerden",
                "Waar de gediplomeerden het schooljaar na hun diploma staan ingeschreven, per diplomajaar.", blocks["bestemming"]),
        *_activities_sections(con, scope, (first, last), settings, rules),
        Section("Ambities", "Ambities", "De streefwaarden van de regio en de scholen naast de gerealiseerde cijfers.",
                [_ambitions_block(con, scope, settings, targets)]),
        _methods_section(con, settings, rules, scope),
    ]
    from sto_metrics.report.national import national_section  # local: that module builds on this one's content model

    national = national_section(con, settings, rules, (first, last)) if scope.school_id is None else None
    if national is not None:  # the region beside the Netherlands (DUO), before the methods
        sections.insert(len(sections) - 1, national)
    title = f"Techniekonderwijs in cijfers: {scope.name}"
    subtitle = (f"Nulmeting en trends {period}. Gemaakt op {dt.date.today().strftime('%d-%m-%Y')} met de STO-monitor; "
                "alle cijfers zijn afgeschermd voor kleine aantallen.")
    return Report(title, subtitle, scope.name, sections)


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def build_report(con: duckdb.DuckDBPyConnection, file_format: str = "xlsx", school_id: str | None = None, baseline_year: int | None = None,
                 latest_year: int | None = None, settings: MetricSettings | None = None, *, targets=None,
                 rules: suppression.SuppressionRules | None = None) -> bytes:
    """The report as the bytes of an .xlsx, .html or .docx file (file_format 'xlsx' | 'html' | 'docx')."""
    if file_format not in FORMATS:
        raise UserError(f"Onbekend rapportformaat {file_format!r}; kies xlsx, html of docx.")
    content = report_content(con, school_id, baseline_year, latest_year, settings, rules, targets)
    return render(content, file_format)


def render(content: Report, file_format: str) -> bytes:
    """An already gathered report as file bytes (the page gathers once and offers all three formats)."""
    from sto_metrics.report import render as renderers  # local: rendering pulls in the office-file libraries

    if file_format not in FORMATS:
        raise UserError(f"Onbekend rapportformaat {file_format!r}; kies xlsx, html of docx.")
    return renderers.render(content, file_format)


def file_name(report_format: str, school_id: str | None = None, baseline_year: int | None = None,
              latest_year: int | None = None) -> str:
    """A download name like 'sto-rapport-31XB00-2020-2024.docx'."""
    parts = ["sto-rapport", school_id or "regio"]
    if baseline_year is not None and latest_year is not None:
        parts.append(f"{baseline_year}-{latest_year}")
    return "-".join(parts) + f".{report_format}"
