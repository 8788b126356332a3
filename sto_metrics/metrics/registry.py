"""Every published figure, declared once (MetricFlow-style): what it is, how it is computed and how it may be shown.

A declaration names the figure's Dutch label and definition (under the settings in force), its unit and
level, the named SQL query that counts it, the columns it publishes, which of them are counts and which
form its share, the scopes and breakdowns it allows, whether ambitions may target it, and where the
dashboard shows it. The command line, the pages, the report, the ambitions, the privacy gate, the docs
and the benchmark all read these declarations; adding a figure is one SQL query, one declaration here
and one page section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sto_metrics.metrics import activities, calculations
from sto_metrics.settings import MetricSettings

REGION_SCOPE = "regio"


@dataclass(frozen=True)
class Breakdown:
    """A way to split a figure: the values of one column of its table, each with a Dutch label.

    `request` is the `split` argument that produces the rows (None: the rows are in every table of the
    figure, such as the herkomst rows of progression).
    """

    name: str  # as written in the ambitions file and on the command line: 'geslacht', 'leerweg', 'herkomst'
    label_nl: str
    column: str
    values: dict[str, str]  # value -> Dutch label
    request: str | None = None


# V, and M for every other pupil (M, X and unknown): X alone is too rare to publish or protect; DUO shows man/vrouw.
GENDER = Breakdown("geslacht", "Geslacht", "split", {"V": "meisjes", "M": "jongens en overig"}, request="geslacht")
LEERWEG = Breakdown("leerweg", "Leerweg", "split", {"BB": "BB", "KB": "KB", "GL": "GL", "TL": "TL"}, request="leerweg")
HAVO_VWO = Breakdown("leerweg", "Onderwijssoort", "split", {"havo": "havo", "vwo": "vwo"}, request="leerweg")
ORIGIN = Breakdown("herkomst", "Herkomst", "from_group", {"techniek": "behoud (technisch profiel)", "overig": "instap (ander profiel)"})
# The one map from a split value to its Dutch label (tables, charts, ambitions, the report).
SPLIT_VALUE_LABELS: dict[str, str] = {value: label for b in (GENDER, LEERWEG, HAVO_VWO, ORIGIN) for value, label in b.values.items()}


def split_label(split: str) -> str:
    """An ambition's split as words: 'geslacht=V' -> 'meisjes', 'leerweg=BB' -> 'leerweg BB'; '' -> ''."""
    field_name, _, value = str(split or "").partition("=")
    if not value:
        return ""
    label = SPLIT_VALUE_LABELS.get(value, value)
    return label if label != value else f"{field_name} {value}"


@dataclass(frozen=True)
class Metric:
    """One published figure."""

    name: str  # 'inflow_vmbo'
    family: str  # the command and table shape it shares with its other level: 'inflow'
    level: str  # 'vmbo' | 'havo-vwo'
    label_nl: str
    unit: str  # 'aandeel' (a share 0..1 with its counts beside it) or 'aantal'
    query: str  # the named query in sql/metrics.sql with its exact counts
    compute: Callable | None  # calculations function: (con, metric, by, split, settings, population) -> exact table
    cells: str  # the privacy layer's cell model for its counts (figures sharing one protect each other)
    columns: tuple[str, ...]  # published columns, in order (docs/command-line.md)
    count_columns: tuple[str, ...]
    definition: Callable[[MetricSettings], str]
    subject_nl: Callable[[MetricSettings], str]  # 'het aandeel ... met een technisch profiel', for sentences
    numerator: str | None = None
    denominator: str | None = None
    scopes: tuple[str, ...] = ("regio", "school")
    breakdowns: tuple[Breakdown, ...] = ()
    headline_rows: dict[str, str] = field(default_factory=dict)  # the rows that carry the figure itself
    ambition: bool = False  # may an ambition target it?
    pages: tuple[str, ...] = ()  # the dashboard pages (pages/*.py stems) that show it
    in_report: bool = True
    column_labels_nl: dict[str, str] = field(default_factory=dict)  # Dutch headers of its count columns in tables
    theme: str = "instroom"  # the report chapter it belongs to: 'instroom', 'doorstroom' or 'bestemming'
    report_breakdowns: tuple[tuple[str, str], ...] = ()  # (breakdown, value) shown as a figure of its own in the report
    headcount_columns: tuple[str, ...] = ()  # counts that are not pupil-linked (activity head counts): only 1-4 hidden
    share_columns: tuple[str, ...] = ("share", "ci_low", "ci_high")  # shown only with their numerator and denominator
    privacy_note: str = ""  # why its cell model is what it is (English, docs/metrics.md), where that is not obvious
    reads: tuple[str, ...] = ("enrolments",)  # the table families it is computed from (catalog.FAMILIES): a load of another keeps it

    def definition_nl(self, settings: MetricSettings | None = None) -> str:
        """The Dutch definition under the settings in force (default settings if none given)."""
        return self.definition(settings or MetricSettings())

    @property
    def splits(self) -> tuple[str, ...]:
        """The `split` arguments this figure accepts besides None."""
        return tuple(dict.fromkeys(b.request for b in self.breakdowns if b.request))

    def breakdown(self, name: str) -> Breakdown:
        """The breakdown called `name` ('geslacht', 'leerweg', 'herkomst'); KeyError when the figure has none."""
        for candidate in self.breakdowns:
            if candidate.name == name:
                return candidate
        raise KeyError(f"{self.name} has no breakdown {name!r}")


# --------------------------------------------------------------------------------------------
# Definition texts (Dutch, shown beside every figure)
# --------------------------------------------------------------------------------------------


def _vmbo_technical_text(settings: MetricSettings) -> str:
    profiles = "BWI, PIE, MVI, M&T, MaT" + (" en D&P" if settings.dp_technical else "")
    dp = "D&P telt mee als technisch (regio-instelling)" if settings.dp_technical else "D&P telt niet mee (zoals de Techniekpact-monitor)"
    return (
        f"Technisch zijn de profielen die in de referentietabel als technisch staan (standaard {profiles}) "
        f"en in de theoretische leerweg de sector techniek; {dp}."
    )


def _havo_vwo_technical_text(settings: MetricSettings) -> str:
    if settings.havo_vwo_technical == "n":
        return "Technisch is elk profiel met een N (NT, NG en combinaties daarmee), zoals de Techniekpact-monitor."
    return "Technisch is een profiel dat NT bevat (ook NT/NG), zoals het CBS; NG alleen telt niet mee."


def _inflow_vmbo(settings: MetricSettings) -> str:
    return (
        "Instroom techniek vmbo: van de leerlingen in leerjaar 3 van het vmbo (BB, KB, GL, TL) op 1 oktober "
        "met een bekend profiel (of, in TL, sector), het aandeel met een technisch profiel. "
        f"{_vmbo_technical_text(settings)} Leerlingen zonder of met een onbekend profiel tellen niet mee in de noemer; "
        "hun aantal staat ernaast (profiel onbekend). Een leerling die leerjaar 3 overdoet, telt in beide jaren mee. "
        "Staat een leerling op twee scholen, dan telt de inschrijving met het hoogste leerjaar (daarna de laagste vestigingscode)."
    )


def _inflow_havo_vwo(settings: MetricSettings) -> str:
    return (
        "Instroom techniek havo/vwo: van de leerlingen in leerjaar 4 van havo of vwo op 1 oktober met een bekend profiel, "
        f"het aandeel met een technisch profiel. {_havo_vwo_technical_text(settings)} Leerlingen zonder of met een onbekend "
        "profiel tellen niet mee in de noemer; hun aantal staat ernaast (profiel onbekend)."
    )


_DESTINATION_TEXT = (
    "De bestemming is de inschrijving op 1 oktober van het volgende schooljaar; staat iemand op meer plekken, dan geldt "
    "ho boven mbo boven vo (zoals CBS en DUO). Een opleiding telt als technisch als de sector dat volgens de referentietabel is; "
    "bij twee opleidingen op hetzelfde niveau is één technische genoeg. 'Niet gevonden' betekent: in geen van de geladen "
    "bestanden van dat jaar, niet 'gestopt'. Een cohort verschijnt pas als er mbo- of ho-gegevens van het volgende jaar zijn geladen."
)


def _destinations_vmbo(settings: MetricSettings) -> str:
    return (
        "Bestemming gediplomeerden vmbo: de leerlingen die aan het eind van het schooljaar hun vmbo-diploma haalden, "
        f"naar waar zij het jaar erna staan ingeschreven. {_DESTINATION_TEXT} Herkomst 'techniek' = technisch profiel; "
        f"'overig' = ander of onbekend profiel. {_vmbo_technical_text(settings)}"
    )


def _destinations_havo_vwo(settings: MetricSettings) -> str:
    return (
        "Bestemming gediplomeerden havo/vwo: de leerlingen die aan het eind van het schooljaar hun havo- of vwo-diploma haalden, "
        f"naar waar zij het jaar erna staan ingeschreven. {_DESTINATION_TEXT} Herkomst 'techniek' = technisch profiel; "
        f"'overig' = ander of onbekend profiel. {_havo_vwo_technical_text(settings)}"
    )


def _progression_vmbo(settings: MetricSettings) -> str:
    if settings.progression_denominator == "all_graduates":
        base = (
            "Doorstroom vmbo naar mbo techniek (alle gediplomeerden): van alle vmbo-gediplomeerden van het schooljaar, "
            "het aandeel dat het jaar erna in een technische mbo-opleiding staat (wie naar het ho gaat telt als niet-technisch mbo)."
        )
    else:
        base = (
            "Doorstroom vmbo naar mbo techniek (Techniekpact-definitie): van de vmbo-gediplomeerden van het schooljaar die "
            "het jaar erna in het mbo staan ingeschreven, het aandeel in een technische mbo-opleiding."
        )
    return (
        f"{base} 'Behoud' (herkomst techniek) = leerlingen met een technisch profiel; 'instap' (herkomst overig) = "
        f"leerlingen met een ander of onbekend profiel. {_vmbo_technical_text(settings)} {_DESTINATION_TEXT}"
    )


def _progression_havo_vwo(settings: MetricSettings) -> str:
    return (
        "Doorstroom havo/vwo naar ho techniek: van de havo- en vwo-gediplomeerden van het schooljaar die het jaar erna "
        "in het hbo of wo staan ingeschreven, het aandeel in een technische opleiding (CROHO-sector techniek). "
        f"Uitgesplitst naar technisch en ander profiel: {_havo_vwo_technical_text(settings)} {_DESTINATION_TEXT}"
    )


def _retention_vmbo(settings: MetricSettings) -> str:
    return (
        "Profielbehoud vmbo (leerjaar 3 naar 4): van de leerlingen die in leerjaar 3 van het vmbo een technisch profiel hadden "
        "en een jaar later in leerjaar 4 staan met een bekend profiel, het aandeel dat dan nog een technisch profiel heeft. "
        f"Het profiel komt uit de inschrijving van 1 oktober van elk jaar (zoals bij de instroom). {_vmbo_technical_text(settings)} "
        "Wie een jaar later niet in leerjaar 4 staat (blijft zitten, vertrekt, of niet in de gegevens) of geen bekend profiel heeft, "
        "telt niet mee. De school is die van leerjaar 3. Een jaar verschijnt pas als de vo-gegevens van het jaar erna zijn geladen."
    )


def _cohort_flow(settings: MetricSettings) -> str:
    return (
        "Cohortstroom: de leerlingen in vmbo-leerjaar 2 in het startjaar, gevolgd naar leerjaar 3 een jaar later "
        "(technisch profiel, ander profiel, elders), het diploma twee jaar later (technisch, ander profiel, nog geen diploma) "
        f"en de bestemming drie jaar later. {_vmbo_technical_text(settings)} Een stap verschijnt alleen als de gegevens "
        "van dat jaar zijn geladen. Kleine stromen zijn afgeschermd."
    )


def _reach(settings: MetricSettings) -> str:
    return (
        "Bereik van activiteiten: per schooljaar, school en soort activiteit het aantal activiteiten, de deelnemers en de meisjes "
        "zoals de regio ze registreerde (koppen per klas of groep; wie aan twee activiteiten meedeed, telt twee keer). "
        "Ingeschreven: de leerlingen van de school in de leerjaren die de activiteiten bereikten (van het laagste tot het hoogste "
        "leerjaar; zonder leerjaar de hele school), op 1 oktober. Bereik = deelnemers gedeeld door ingeschreven, hoogstens 100%; "
        "zijn er meer deelnemers dan ingeschreven leerlingen, dan staat het bereik op 100% en is dat gemarkeerd. Activiteiten zonder "
        "vo-school (zoals een techniekweek op basisscholen) staan onder de regio, zonder ingeschreven leerlingen."
    )


def _reach_pupils(settings: MetricSettings) -> str:
    return (
        "Bereikte leerlingen: per schooljaar en school het aantal verschillende leerlingen op de deelnemerslijst van een "
        "activiteit in dat schooljaar (wie aan twee activiteiten meedeed of twee keer op een lijst staat, telt één keer), "
        "geteld bij de eigen vo-school van de leerling in dat jaar (de inschrijving op 1 oktober); de regio is de som van de "
        "scholen. Alleen waar deelnemerslijsten zijn geladen; basisschoolleerlingen en deelnemers die niet in de vo-gegevens "
        "van dat jaar voorkomen, tellen niet mee. Dit aantal wordt samen met de keuze na deelname afgeschermd."
    )


def _activity_effect(settings: MetricSettings) -> str:
    return (
        "Keuze na deelname: de leerlingen in leerjaar 3 van het vmbo (dezelfde inschrijving als bij de instroom) met een bekend "
        "profiel, verdeeld in deelnemers (op de deelnemerslijst van een activiteit in een eerder schooljaar) en niet-deelnemers "
        "(alle andere leerlingen, ook op scholen die geen deelnemerslijsten bijhouden: vergelijk daarom binnen de school), "
        f"en per groep het aandeel met een technisch profiel. {_vmbo_technical_text(settings)} Een jaar verschijnt pas als er "
        "deelnemerslijsten van een eerder schooljaar zijn geladen; wie niet op een lijst staat, telt als niet-deelnemer. "
        f"{activities.CAVEAT_NL}"
    )


def _progression_subject_vmbo(settings: MetricSettings) -> str:
    if settings.progression_denominator == "all_graduates":
        return "het aandeel vmbo-gediplomeerden{who} dat het jaar erna in een technische mbo-opleiding stond"
    return "het aandeel in een technische opleiding onder vmbo-gediplomeerden{who} die naar het mbo gingen"


def _constant(text: str) -> Callable[[MetricSettings], str]:
    return lambda _settings: text


# --------------------------------------------------------------------------------------------
# The declarations
# --------------------------------------------------------------------------------------------

# Activity figures join the activities to the pupils' enrolments (the inflow's cells): they depend on both.
ACTIVITY_FAMILIES = ("enrolments", "activities")
_INFLOW = dict(
    family="inflow", unit="aandeel", query="inflow_cells", compute=calculations.inflow, cells="inflow",
    columns=tuple(calculations.INFLOW_COLUMNS), count_columns=("pupils", "technical", "unknown_profile"),
    numerator="technical", denominator="pupils", ambition=True, pages=("overzicht", "instroom", "mijn_school"),
    column_labels_nl={"pupils": "Leerlingen met bekend profiel", "technical": "Met technisch profiel", "unknown_profile": "Profiel onbekend"},
)
_DESTINATIONS = dict(
    family="destinations", unit="aantal", query="destination_cells", compute=calculations.destinations, cells="destinations",
    columns=tuple(calculations.DESTINATION_COLUMNS), count_columns=("graduates", *calculations.DESTINATIONS),
    breakdowns=(ORIGIN,), headline_rows={"from_group": "totaal"}, pages=("doorstroom", "mijn_school"), theme="bestemming",
)
_PROGRESSION = dict(
    family="progression", unit="aandeel", query="destination_cells", compute=calculations.progression, cells="destinations",
    columns=tuple(calculations.PROGRESSION_COLUMNS), count_columns=("enrolled", "technical"), numerator="technical",
    denominator="enrolled", breakdowns=(ORIGIN,), headline_rows={"from_group": "totaal"}, ambition=True,
    pages=("overzicht", "doorstroom", "mijn_school"), theme="doorstroom",
)

METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in [
        Metric("inflow_vmbo", level="vmbo", label_nl="Instroom techniek vmbo (leerjaar 3)", definition=_inflow_vmbo,
               subject_nl=_constant("het aandeel vmbo-leerlingen in leerjaar 3 met een technisch profiel"),
               breakdowns=(GENDER, LEERWEG), report_breakdowns=(("geslacht", "V"),),
               **{**_INFLOW, "pages": (*_INFLOW["pages"], "activiteiten")}),  # before/after chart of schools with activities
        Metric("inflow_havo_vwo", level="havo-vwo", label_nl="Instroom techniek havo/vwo (leerjaar 4)", definition=_inflow_havo_vwo,
               subject_nl=_constant("het aandeel havo/vwo-leerlingen in leerjaar 4 met een technisch profiel"),
               breakdowns=(GENDER, HAVO_VWO), **_INFLOW),
        Metric("destinations_vmbo", level="vmbo", label_nl="Bestemming vmbo-gediplomeerden", definition=_destinations_vmbo,
               subject_nl=_constant("het aandeel vmbo-gediplomeerden dat het jaar erna in een technische mbo-opleiding stond"),
               **_DESTINATIONS),
        Metric("destinations_havo_vwo", level="havo-vwo", label_nl="Bestemming havo/vwo-gediplomeerden", definition=_destinations_havo_vwo,
               subject_nl=_constant("het aandeel havo/vwo-gediplomeerden dat het jaar erna in een technische hbo- of wo-opleiding stond"),
               **_DESTINATIONS),
        Metric("progression_vmbo", level="vmbo", label_nl="Doorstroom vmbo naar mbo techniek", definition=_progression_vmbo,
               subject_nl=_progression_subject_vmbo, **_PROGRESSION),
        Metric("progression_havo_vwo", level="havo-vwo", label_nl="Doorstroom havo/vwo naar ho techniek", definition=_progression_havo_vwo,
               subject_nl=_constant("het aandeel in een technische hbo/wo-opleiding onder havo/vwo-gediplomeerden{who} die gingen studeren"),
               **_PROGRESSION),
        Metric("retention_vmbo", family="retention", level="vmbo", label_nl="Profielbehoud techniek vmbo (leerjaar 3 naar 4)",
               unit="aandeel", query="retention_cells", compute=calculations.retention, cells="retention",
               columns=tuple(calculations.RETENTION_COLUMNS), count_columns=("pupils", "retained"), numerator="retained",
               denominator="pupils", definition=_retention_vmbo, ambition=True, pages=("instroom", "mijn_school"),
               column_labels_nl={"pupils": "Technisch in leerjaar 3 (noemer)", "retained": "Nog technisch in leerjaar 4"},
               subject_nl=_constant("het aandeel vmbo-leerlingen met een technisch profiel in leerjaar 3 dat in leerjaar 4 nog een technisch profiel had")),
        Metric("cohort_flow", family="cohort_flow", level="vmbo", label_nl="Cohortstroom vmbo (leerjaar 2 tot bestemming)",
               unit="aantal", query="cohort_flow_cells", compute=None, cells="cohort_flow", columns=("source", "target", "pupils"),
               count_columns=("pupils",), definition=_cohort_flow, subject_nl=_constant("de cohortstroom"), scopes=("regio",),
               pages=("doorstroom",), in_report=False),
        Metric("reach", family="reach", level="vo", label_nl="Bereik van activiteiten", unit="aantal", query="reach_headcounts",
               compute=activities.reach, cells="enrolment", columns=tuple(activities.REACH_COLUMNS),
               count_columns=("participants", "girls", "enrolled"), headcount_columns=("participants", "girls"),
               numerator="participants", denominator="enrolled", share_columns=("reach_share",), definition=_reach,
               subject_nl=_constant("het bereik van de activiteiten"), scopes=("school",), pages=("activiteiten",), theme="activiteiten", in_report=False,
               reads=ACTIVITY_FAMILIES,
               column_labels_nl={"participants": "Deelnemers", "girls": "Meisjes", "enrolled": "Ingeschreven leerlingen"}),
        Metric("reach_pupils", family="reach-pupils", level="vo", label_nl="Bereikte leerlingen (deelnemerslijsten)", unit="aantal",
               query="activity_cells", compute=activities.reach_pupils, cells="activity_effect",
               columns=tuple(activities.REACHED_COLUMNS), count_columns=("pupils_reached",), share_columns=(),
               definition=_reach_pupils, subject_nl=_constant("het aantal bereikte leerlingen"), pages=("activiteiten",),
               theme="activiteiten", in_report=False, column_labels_nl={"pupils_reached": "Bereikte leerlingen"}, reads=ACTIVITY_FAMILIES,
               privacy_note=(
                   "one protected table with `activity_effect` (cell model `activity_effect`): the pupils reached in school year Y are mostly the participants of `activity_effect`'s leerjaar-3 cohort "
                   "of Y+1 (activities are mostly in leerjaar 2). Two tables protected apart would let the difference "
                   "(reached minus participants: the reached pupils not in leerjaar 3 a year later) give a hidden count "
                   "back, so the reached count of Y is a cell of the comparison's table of Y+1 (`R:school`, `R`), over "
                   "inner cells that also carry where each leerjaar-3 participant was reached; the reached pupils outside "
                   "leerjaar 3 a year later are a class of their own (`X`, never shown, protected), and one suppression "
                   "pattern covers both figures. See docs/ARCHITECTURE.md, 'Activities'.")),
        Metric("activity_effect", family="activity-effect", level="vmbo", label_nl="Keuze voor techniek na deelname aan activiteiten",
               unit="aandeel", query="activity_cells", compute=activities.activity_effect, cells="activity_effect",
               columns=tuple(activities.EFFECT_COLUMNS), count_columns=("pupils", "technical"), numerator="technical",
               denominator="pupils", definition=_activity_effect, pages=("activiteiten",), theme="activiteiten", in_report=False,
               reads=ACTIVITY_FAMILIES,
               column_labels_nl={"pupils": "Leerlingen met bekend profiel", "technical": "Met technisch profiel"},
               privacy_note=("one protected table with `reach_pupils` (see there), whose inflow cells keep the inflow "
                             "table's decisions."),
               subject_nl=_constant("het aandeel vmbo-leerlingen in leerjaar 3 met een technisch profiel, naar deelname aan activiteiten")),
    ]
}
LEVELS: tuple[str, ...] = ("vmbo", "havo-vwo")

# Each family with a table is a command of its own (docs/command-line.md); this is its --help line.
FAMILY_HELP_NL = {
    "inflow": "instroom in een technisch profiel",
    "destinations": "bestemming van gediplomeerden",
    "progression": "doorstroom naar technisch mbo/ho",
    "retention": "profielbehoud techniek vmbo, leerjaar 3 naar 4",
    "reach": "bereik van activiteiten per school, jaar en soort",
    "reach-pupils": "bereikte leerlingen per school en jaar (deelnemerslijsten)",
    "activity-effect": "keuze voor techniek van deelnemers aan activiteiten en de anderen",
}


# --------------------------------------------------------------------------------------------
# National comparison (`compare`): the region's own figure beside DUO's public counts
# --------------------------------------------------------------------------------------------
# Not a Metric: its national side is public aggregate data with bounds instead of exact counts, and its
# regional side is a declared Metric above (published, suppressed). Declared here so that the command line,
# the pages, the grant pack and docs/metrics.md read one text.


@dataclass(frozen=True)
class Comparison:
    """One level of the national comparison."""

    level: str  # 'vmbo' | 'havo-vwo' | 'vmbo-mbo' (the --level of `compare`)
    label_nl: str
    regional_metric: str  # the declared figure the region's own row comes from
    duo_file_nl: str  # which DUO file the national side counts
    difference_nl: str  # the definition difference, written beside every national figure
    definition: Callable[[MetricSettings], str]
    regional_year_shift: int = 0  # the region's school year + this = the comparison's school year
    areas: tuple[str, ...] = ("landelijk", "landsdeel", "provincie", "eigen-scholen", "regio")
    pages: tuple[str, ...] = ()

    def definition_nl(self, settings: MetricSettings | None = None) -> str:
        """The Dutch definition of the national figure under the settings in force."""
        return self.definition(settings or MetricSettings())


_BOUNDS_TEXT = ("Een cel '<5' telt als 1 tot 4 (de kolommen _min en _max); het aandeel komt uit de middens. "
                "Waar DUO een totaal publiceert, telt dat totaal in plaats van man plus vrouw.")

COMPARISONS: dict[str, Comparison] = {
    c.level: c
    for c in [
        Comparison(
            "vmbo", "Instroom techniek vmbo, regio tegenover landelijk (DUO)", "inflow_vmbo",
            "DUO, leerlingen vo per vestiging naar onderwijstype",
            "DUO telt inschrijvingen in leerjaar 3 per vestiging, niet gekoppelde leerlingen; kleine aantallen staan als '<5'.",
            lambda s: ("Landelijk: van de inschrijvingen in vmbo-leerjaar 3 met een bekend profiel (afdeling of opleiding), "
                       f"het aandeel met een technisch profiel. {_vmbo_technical_text(s)} {_BOUNDS_TEXT}"),
            pages=("overzicht", "instroom", "mijn_school")),
        Comparison(
            "havo-vwo", "Techniekprofiel havo/vwo, regio tegenover landelijk (DUO)", "inflow_havo_vwo",
            "DUO, examenkandidaten en geslaagden per vestiging en profiel",
            "DUO telt examenkandidaten per profiel (het examenjaar), niet leerlingen in leerjaar 4.",
            lambda s: ("Landelijk: van de havo- en vwo-examenkandidaten met een bekend profiel, het aandeel met een "
                       f"technisch profiel. {_havo_vwo_technical_text(s)} {_BOUNDS_TEXT}"),
            pages=("overzicht", "instroom", "mijn_school")),
        Comparison(
            "vmbo-mbo", "Doorstroom vmbo naar mbo techniek, regio tegenover landelijk (DUO)", "progression_vmbo",
            "DUO, instromende mbo-studenten naar vooropleiding, met DUO's tabel crebo en sectorkamer",
            "DUO telt instromers in het mbo naar vooropleiding vmbo, geen gevolgd cohort gediplomeerden; het schooljaar is dat van de instroom.",
            lambda s: ("Landelijk: van de studenten die nieuw in het mbo instromen met vooropleiding vmbo, het aandeel in een "
                       "technische opleiding (sectorkamer volgens DUO's crebotabel, technisch volgens de sectortabel van de regio). "
                       f"{_BOUNDS_TEXT} Per provincie of landsdeel is er geen cijfer: DUO telt per mbo-instelling."),
            regional_year_shift=1, areas=("landelijk", "regio"), pages=("overzicht", "doorstroom")),
    ]
}


def get(name: str) -> Metric:
    """The declaration called `name`; a ValueError naming the known ones otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; declared: {', '.join(METRICS)}") from None


def of(family: str, level: str) -> Metric:
    """The declaration of `family` ('inflow', 'destinations', 'progression', 'retention') at `level`."""
    for metric in METRICS.values():
        if metric.family == family and metric.level == level:
            return metric
    raise ValueError(f"no {family!r} metric at level {level!r}")


def families() -> list[str]:
    """The figure families with a command of their own, in declaration order."""
    return list(dict.fromkeys(m.family for m in METRICS.values() if m.compute is not None))


def levels(family: str) -> list[str]:
    """The levels at which `family` is declared."""
    return [m.level for m in METRICS.values() if m.family == family]


def ambition_metrics() -> dict[str, Metric]:
    """The figures an ambition may target."""
    return {name: metric for name, metric in METRICS.items() if metric.ambition}


def reads_of(metrics) -> tuple[str, ...]:
    """The table families (catalog.FAMILIES) any of these figures is computed from, in a fixed order."""
    return tuple(sorted({family for metric in metrics for family in metric.reads}))


def on_page(page: str) -> list[Metric]:
    """The figures a dashboard page (pages/<page>.py) shows."""
    return [metric for metric in METRICS.values() if page in metric.pages]
