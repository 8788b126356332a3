"""The functions that compute every figure exactly (docs/metrics.md); `registry` declares them.

The functions return exact DataFrames with exactly the columns of docs/command-line.md. They never
leave the engine unsuppressed: pass them through `privacy.suppress` (the command line's `--raw`
is the only exception). Each returned frame carries, in `frame.attrs["sto_cube"]`, the counts of
every variant of the same metric (region and schools, every split, both settings), so that
`privacy.suppress` protects the shown cells against differencing with any other output.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from sto_metrics import db, schoolyear
from sto_metrics.settings import MetricSettings, PopulationFilter
from sto_metrics.stats import share_with_interval

Level = Literal["vmbo", "havo-vwo"]
By = Literal["regio", "school"]
Split = Literal["geslacht", "leerweg"] | None

LEVELS: tuple[str, ...] = ("vmbo", "havo-vwo")
REGION_SCOPE = "regio"
REGION_NAME = "Regio"
FROM_GROUPS: tuple[str, ...] = ("techniek", "overig", "totaal")
DESTINATIONS: tuple[str, ...] = ("ho_techniek", "ho_overig", "mbo_techniek", "mbo_overig", "vo", "niet_gevonden")

INFLOW_COLUMNS = ["school_year", "scope", "scope_name", "split", "pupils", "technical", "unknown_profile", "share", "ci_low", "ci_high"]
DESTINATION_COLUMNS = ["school_year", "scope", "scope_name", "from_group", "graduates", *DESTINATIONS]
RETENTION_COLUMNS = ["school_year", "scope", "scope_name", "pupils", "retained", "share", "ci_low", "ci_high"]
PROGRESSION_COLUMNS = ["school_year", "scope", "scope_name", "from_group", "enrolled", "technical", "share", "ci_low", "ci_high"]

# Display order of split values; anything else follows alphabetically.
_SPLIT_ORDER = {value: rank for rank, value in enumerate(["M", "V", "X", "BB", "KB", "GL", "TL", "havo", "vwo", "onbekend"])}


# --------------------------------------------------------------------------------------------
# Computation
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Cube:
    """Exact inner cells of one figure family, carried in `frame.attrs["sto_cube"]` for privacy.suppress.

    `counts` holds the inner cells (per school year, school, leerweg, gender group and class) of which every
    published figure of the family is a sum; `split` and `population` say which of those sums the table shows.

    pandas deep-copies attrs on most operations; a Cube copies as itself, so that stays cheap and the
    suppression pattern computed once is shared by every slice.
    """

    metric: str
    level: str
    settings: MetricSettings
    counts: pd.DataFrame
    split: str | None = None
    school_id: str | None = None  # cohort flow: the school shown (None = region)
    population: PopulationFilter = field(default_factory=PopulationFilter)
    cache: dict = field(default_factory=dict)

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


# --------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")


def _check_by(by: str) -> None:
    if by not in ("regio", "school"):
        raise ValueError(f"by must be 'regio' or 'school', not {by!r}")


def _check_no_split(split: str | None) -> None:
    if split is not None:
        raise ValueError(f"this figure has no split, not {split!r}")


def _population_params(population: PopulationFilter) -> dict[str, list]:
    return {
        "leerwegen": [str(v) for v in population.leerwegen],
        "genders": [str(v) for v in population.genders],
        "school_ids": [str(v) for v in population.school_ids],
        "school_years": [int(v) for v in population.school_years],
    }


def school_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """school_id -> name from the `school` table."""
    rows = db.rows(con, "school_names")
    return {school_id: name for school_id, name in rows if name}


def _scope_columns(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Adds school_year (text), scope and scope_name from the integer school_year and school_id (NULL = region)."""
    school_id = frame["school_id"]
    is_region = school_id.isna()
    # labels per distinct value, not per row: a national table has tens of thousands of rows and a few years and schools
    years = {year: schoolyear.label(year) for year in frame["school_year"].unique()}
    scope_names = {sid: names.get(sid, sid) for sid in school_id[~is_region].unique()}
    frame = frame.assign(
        school_year=frame["school_year"].map(years).astype("str"),
        scope=np.where(is_region, REGION_SCOPE, school_id.astype("object")),
        scope_name=np.where(is_region, REGION_NAME, school_id.astype("object").map(scope_names).astype("object")),
    )
    frame["scope"] = frame["scope"].astype("str")
    frame["scope_name"] = frame["scope_name"].astype("str")
    return frame


def _sort_key_split(values: pd.Series) -> pd.Series:
    return values.map(lambda v: (_SPLIT_ORDER.get(v, len(_SPLIT_ORDER)), "" if v is None else str(v)))


def _with_share(frame: pd.DataFrame, numerator: str, denominator: str) -> pd.DataFrame:
    share, low, high = share_with_interval(frame[numerator].to_numpy(), frame[denominator].to_numpy())
    return frame.assign(share=share, ci_low=low, ci_high=high)


def _int_columns(frame: pd.DataFrame, columns) -> pd.DataFrame:
    for column in columns:
        frame[column] = frame[column].astype("int64")
    return frame


def inflow_counts(con: duckdb.DuckDBPyConnection, level: str = "vmbo") -> pd.DataFrame:
    """The inner cells of inflow: pupils per school year, school, leerweg, gender group and profile class."""
    _check_level(level)
    return db.run_shared(con, "inflow_cells", level=level)


SPLIT_COLUMNS = {"geslacht": "gender", "leerweg": "leerweg"}


def _selected(cells: pd.DataFrame, by: str, split: str | None, population: PopulationFilter, pivot: list[str],
              columns: list[str]) -> pd.DataFrame:
    """The sums of inner cells a table shows: per school year, scope (school_id None = region) and split value.

    The population filter selects cells; with schools chosen, the rows are those schools' rows (a total over a
    choice of schools is not a protected cell). The `pivot` columns' values become columns (joined by '|'),
    reindexed to `columns` (absent ones 0).
    """
    selected = cells
    if population.school_ids:
        selected = selected[selected["school_id"].isin(population.school_ids)]
    if population.leerwegen:
        selected = selected[selected["leerweg"].isin(population.leerwegen)]
    if population.genders:
        selected = selected[selected["gender"].isin(population.genders)]
    if population.school_years:
        selected = selected[selected["school_year"].isin(population.school_years)]
    per_school = by == "school" or bool(population.school_ids)
    keys = ["school_year"] + (["school_id"] if per_school else []) + ([SPLIT_COLUMNS[split]] if split else [])
    labels = selected[pivot[0]].astype(str)
    for column in pivot[1:]:
        labels = labels + "|" + selected[column].astype(str)  # vectorised: a row-wise join took seconds on a large region
    labelled = selected.assign(_column=labels if len(selected) else "")
    wide = labelled.pivot_table(index=keys, columns="_column", values="pupils", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=columns, fill_value=0).astype("int64").reset_index()
    wide.columns.name = None
    if not per_school:
        wide.insert(1, "school_id", None)
    wide["split"] = wide[SPLIT_COLUMNS[split]].astype("object") if split else None
    return wide


PROFILE_CLASSES = ["core", "extra", "other", "unknown"]


def inflow(
    con: duckdb.DuckDBPyConnection,
    level: str = "vmbo",
    by: str = "regio",
    split: str | None = None,
    settings: MetricSettings | None = None,
    population: PopulationFilter | None = None,
) -> pd.DataFrame:
    """Inflow into a technical profile (docs/metrics.md), exact: docs/command-line.md `inflow` columns.

    One row per (school year, scope[, split]); `pupils` = pupils with a known profile (denominator),
    `technical` the numerator, `unknown_profile` the pupils without/with an unknown profile.
    `split` is None without a split. Sorted by school_year, scope, split.
    """
    _check_by(by)
    if split not in (None, "geslacht", "leerweg"):
        raise ValueError(f"split must be None, 'geslacht' or 'leerweg', not {split!r}")
    settings = settings or MetricSettings()
    population = population or PopulationFilter()
    cells = inflow_counts(con, level)
    rows = _selected(cells, by, split, population, ["profile_class"], PROFILE_CLASSES)
    alternative = settings.dp_technical if level == "vmbo" else settings.havo_vwo_technical == "n"
    rows = rows.assign(pupils=rows["core"] + rows["extra"] + rows["other"], technical=rows["core"] + rows["extra"] * alternative,
                       unknown_profile=rows["unknown"])
    frame = _scope_columns(rows, school_names(con))
    frame = _with_share(frame, "technical", "pupils")
    frame = frame.assign(_split_key=_sort_key_split(frame["split"])).sort_values(["school_year", "scope", "_split_key"], kind="stable")
    table = _int_columns(frame[INFLOW_COLUMNS].reset_index(drop=True), ["pupils", "technical", "unknown_profile"])
    table.attrs["sto_cube"] = Cube("inflow", level, settings, cells, split=split, population=population)
    return table


def destination_counts(con: duckdb.DuckDBPyConnection, level: str = "vmbo") -> pd.DataFrame:
    """The inner cells of destinations and progression: diploma holders per school year, school, leerweg, gender group,
    profile class and destination."""
    _check_level(level)
    return db.run_shared(con, "destination_cells", level=level)


_CLASS_DESTINATIONS = [f"{c}|{d}" for c in PROFILE_CLASSES for d in DESTINATIONS]


def _destination_table(cells: pd.DataFrame, by: str, population: PopulationFilter, settings: MetricSettings, level: str,
                       names: dict[str, str]) -> pd.DataFrame:
    """Per (school_year, scope, from_group) the graduates and destination counts, all three from_groups."""
    rows = _selected(cells, by, None, population, ["profile_class", "destination"], _CLASS_DESTINATIONS)
    alternative = settings.dp_technical if level == "vmbo" else settings.havo_vwo_technical == "n"
    groups = {"techniek": ["core", "extra"] if alternative else ["core"]}
    groups["overig"] = [c for c in PROFILE_CLASSES if c not in groups["techniek"]]
    groups["totaal"] = PROFILE_CLASSES
    parts = []
    for group, classes in groups.items():
        part = rows[["school_year", "school_id"]].assign(from_group=group)
        for destination in DESTINATIONS:
            part[destination] = sum(rows[f"{c}|{destination}"] for c in classes)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table["graduates"] = table[list(DESTINATIONS)].sum(axis=1).astype("int64")
    table = _scope_columns(table, names)
    table["_group_key"] = table["from_group"].map(FROM_GROUPS.index)
    return table.sort_values(["school_year", "scope", "_group_key"], kind="stable").reset_index(drop=True)


def destinations(
    con: duckdb.DuckDBPyConnection,
    level: str = "vmbo",
    by: str = "regio",
    settings: MetricSettings | None = None,
    population: PopulationFilter | None = None,
    split: None = None,
) -> pd.DataFrame:
    """Where diploma holders go (docs/metrics.md), exact: docs/command-line.md `destinations` columns.

    Rows for every (diploma year Y with mbo/ho data for Y+1, scope, from_group techniek/overig/totaal);
    the six destination counts add up to `graduates`. Sorted by school_year, scope, from_group.
    """
    _check_by(by)
    _check_no_split(split)
    settings = settings or MetricSettings()
    population = population or PopulationFilter()
    cells = destination_counts(con, level)
    table = _destination_table(cells, by, population, settings, level, school_names(con))
    table = _int_columns(table[DESTINATION_COLUMNS].copy(), ["graduates", *DESTINATIONS])
    table.attrs["sto_cube"] = Cube("destinations", level, settings, cells, population=population)
    return table


def progression(
    con: duckdb.DuckDBPyConnection,
    level: str = "vmbo",
    by: str = "regio",
    settings: MetricSettings | None = None,
    population: PopulationFilter | None = None,
    split: None = None,
) -> pd.DataFrame:
    """Progression into technical follow-up education (docs/metrics.md), exact: docs/command-line.md `progression` columns.

    vmbo: `enrolled` = diploma holders in mbo in Y+1 (setting over_all_graduates: all diploma holders),
    `technical` = of those in a technical mbo programme. havo-vwo: the same with ho.
    from_group techniek = 'behoud', overig = 'instap', totaal. Sorted by school_year, scope, from_group.
    """
    _check_by(by)
    _check_no_split(split)
    settings = settings or MetricSettings()
    population = population or PopulationFilter()
    cells = destination_counts(con, level)
    table = _destination_table(cells, by, population, settings, level, school_names(con))
    enrolled, technical = progression_columns(table, level, settings)
    table = table.assign(enrolled=enrolled, technical=technical)
    table = _with_share(table, "technical", "enrolled")
    table = _int_columns(table[PROGRESSION_COLUMNS].copy(), ["enrolled", "technical"])
    table.attrs["sto_cube"] = Cube("progression", level, settings, cells, population=population)
    return table


def progression_columns(destination_table: pd.DataFrame, level: str, settings: MetricSettings) -> tuple[pd.Series, pd.Series]:
    """(enrolled, technical) of the progression metric from destination counts (one definition, used by privacy too)."""
    if level == "vmbo":
        technical = destination_table["mbo_techniek"]
        if settings.progression_denominator == "all_graduates":
            enrolled = destination_table["graduates"]
        else:
            enrolled = destination_table["mbo_techniek"] + destination_table["mbo_overig"]
    else:
        technical = destination_table["ho_techniek"]
        enrolled = destination_table["ho_techniek"] + destination_table["ho_overig"]
    return enrolled, technical


# --------------------------------------------------------------------------------------------
# Profielbehoud (retention) leerjaar 3 -> 4
# --------------------------------------------------------------------------------------------


def retention_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The inner cells of profielbehoud: followed pupils per school year, school, leerweg, gender group, class in Y and in Y+1."""
    return db.run_shared(con, "retention_cells")


_RETENTION_PAIRS = [f"{f}|{t}" for f in ("core", "extra") for t in ("core", "extra", "other")]


def retention(
    con: duckdb.DuckDBPyConnection,
    level: str = "vmbo",
    by: str = "regio",
    settings: MetricSettings | None = None,
    population: PopulationFilter | None = None,
    split: None = None,
) -> pd.DataFrame:
    """Profielbehoud vmbo leerjaar 3 -> 4 (docs/metrics.md), exact: the `retention` command's columns.

    One row per (school year Y, scope) with followed pupils: `pupils` = technical profile in leerjaar 3 in Y and
    in leerjaar 4 with a known profile in Y+1; `retained` = of those, still technical. Sorted by school_year, scope.
    """
    if level != "vmbo":
        raise ValueError(f"retention is a vmbo figure, not {level!r}")
    _check_by(by)
    _check_no_split(split)
    settings = settings or MetricSettings()
    population = population or PopulationFilter()
    cells = retention_counts(con)
    rows = _selected(cells, by, None, population, ["class_from", "class_to"], _RETENTION_PAIRS)
    technical = ["core", "extra"] if settings.dp_technical else ["core"]
    rows = rows.assign(pupils=sum(rows[f"{f}|{t}"] for f in technical for t in ("core", "extra", "other")),
                       retained=sum(rows[f"{f}|{t}"] for f in technical for t in technical))
    rows = rows[rows["pupils"] > 0]
    frame = _scope_columns(rows, school_names(con))
    frame = _with_share(frame, "retained", "pupils").sort_values(["school_year", "scope"], kind="stable")
    table = _int_columns(frame[RETENTION_COLUMNS].reset_index(drop=True), ["pupils", "retained"])
    table.attrs["sto_cube"] = Cube("retention", level, settings, cells, population=population)
    return table


# --------------------------------------------------------------------------------------------
# Cohort flow (Sankey)
# --------------------------------------------------------------------------------------------

FLOW_STAGES: dict[str, tuple[int, str]] = {
    "start": (0, "Leerjaar 2"),
    "lj3_techniek": (1, "Leerjaar 3, technisch profiel"),
    "lj3_overig": (1, "Leerjaar 3, ander profiel"),
    "lj3_elders": (1, "Elders of niet gevonden"),
    "diploma_techniek": (2, "Diploma, technisch profiel"),
    "diploma_overig": (2, "Diploma, ander profiel"),
    "geen_diploma": (2, "(Nog) geen vmbo-diploma"),
    "ho_techniek": (3, "Ho techniek"),
    "ho_overig": (3, "Ho overig"),
    "mbo_techniek": (3, "Mbo techniek"),
    "mbo_overig": (3, "Mbo overig"),
    "vo": (3, "Nog in het vo"),
    "niet_gevonden": (3, "Niet gevonden"),
}
FLOW_NODE_COLUMNS = ["node", "stage", "label", "pupils"]
FLOW_LINK_COLUMNS = ["source", "target", "pupils"]


def cohort_flow_counts(con: duckdb.DuckDBPyConnection, start_year: int) -> pd.DataFrame:
    """The inner cells of the cohort flow from `start_year`: per school, leerweg and gender group, pupils by raw path."""
    return db.run_shared(con, "cohort_flow_cells", start_year=int(start_year))


def stages_known(cells: pd.DataFrame) -> tuple[bool, bool, bool]:
    """Which of stages 2, 3 and 4 have data (a stage without data is '' for every pupil)."""
    return tuple(bool((cells[column] != "").any()) for column in ("stage2", "stage3", "stage4"))  # type: ignore[return-value]


def flow_from_paths(paths: pd.DataFrame, settings: MetricSettings, known: tuple[bool, bool, bool]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, links) of a Sankey from raw path counts under the settings; every possible link is listed, zeros too
    (so that a listed link tells nothing), and node ids are the FLOW_STAGES keys."""
    from sto_metrics.privacy.cross import flow_node, flow_paths  # the stage structure is the protected table's

    technical = ("core", "extra") if settings.dp_technical else ("core",)
    counts = {tuple(row[:3]): int(row[3]) for row in paths[["stage2", "stage3", "stage4", "pupils"]].groupby(
        ["stage2", "stage3", "stage4"], as_index=False)["pupils"].sum().itertuples(index=False, name=None)}
    links: dict[tuple[str, str], int] = {}
    nodes: dict[str, int] = {}
    for path in flow_paths(known):
        chain = ["start", *(flow_node(v, technical) for v in path if v)]
        n = counts.get(path, 0)
        for node in chain:
            nodes[node] = nodes.get(node, 0) + n
        for source, target in itertools.pairwise(chain):
            links[(source, target)] = links.get((source, target), 0) + n
    order = list(FLOW_STAGES)
    link_frame = pd.DataFrame([(s, t, n) for (s, t), n in sorted(links.items(), key=lambda item: (order.index(item[0][0]), order.index(item[0][1])))],
                              columns=FLOW_LINK_COLUMNS)
    node_frame = pd.DataFrame([(node, FLOW_STAGES[node][0], FLOW_STAGES[node][1], nodes[node]) for node in order if node in nodes],
                              columns=FLOW_NODE_COLUMNS)
    for frame, columns in ((link_frame, ["pupils"]), (node_frame, ["pupils", "stage"])):
        for column in columns:
            frame[column] = frame[column].astype("int64")
    return node_frame, link_frame


def cohort_flow(
    con: duckdb.DuckDBPyConnection,
    start_year: int,
    school_id: str | None = None,
    settings: MetricSettings | None = None,
    population: PopulationFilter | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cohort flow (docs/metrics.md), exact: (nodes, links).

    nodes: node (key, e.g. 'lj3_techniek'), stage (0-3), label (Dutch), pupils (node size);
    links: source, target (node keys), pupils. For the region, or for the school of the leerjaar-2
    record when school_id is given; the population's leerweg and gender (of the leerjaar-2 record) select
    the cells shown (its schools do not: the flow is the region's or one school's). Stages without data are left out.
    """
    settings = settings or MetricSettings()
    population = dataclasses.replace(population or PopulationFilter(), school_ids=())
    cells = cohort_flow_counts(con, start_year)
    selected = cells if school_id is None else cells[cells["school_id"] == school_id]
    if population.leerwegen:
        selected = selected[selected["leerweg"].isin(population.leerwegen)]
    if population.genders:
        selected = selected[selected["gender"].isin(population.genders)]
    nodes, links = flow_from_paths(selected, settings, stages_known(cells))
    cube = Cube("cohort_flow", "vmbo", settings, cells, school_id=school_id, population=population)
    nodes.attrs["sto_cube"] = cube
    links.attrs["sto_cube"] = cube
    return nodes, links
