"""The functions that compute every figure exactly (docs/metrics.md); `registry` declares them.

The functions return exact DataFrames with exactly the columns of docs/command-line.md. They never
leave the engine unsuppressed: pass them through `privacy.suppress` (the command line's `--raw`
is the only exception). Each returned frame carries, in `frame.attrs["sto_cube"]`, the counts of
every variant of the same metric (region and schools, every split, both settings), so that
`privacy.suppress` protects the shown cells against differencing with any other output.
"""

from __future__ import annotations

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
    """Exact counts of every variant of one metric, carried in `frame.attrs["sto_cube"]` for privacy.suppress.

    pandas deep-copies attrs on most operations; a Cube copies as itself, so that stays cheap and the
    suppression pattern computed once is shared by every slice.
    """

    metric: str
    level: str
    settings: MetricSettings
    counts: pd.DataFrame
    split: str | None = None
    school_id: str | None = None  # cohort flow: the school shown (None = region)
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
    frame = frame.assign(
        school_year=frame["school_year"].map(schoolyear.label).astype("str"),
        scope=np.where(is_region, REGION_SCOPE, school_id.astype("object")),
        scope_name=[REGION_NAME if region else names.get(sid, sid) for region, sid in zip(is_region, school_id, strict=True)],
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


def inflow_counts(
    con: duckdb.DuckDBPyConnection,
    level: str = "vmbo",
    settings: MetricSettings | None = None,
    population: PopulationFilter | None = None,
) -> pd.DataFrame:
    """Exact inflow counts for every variant (region/school x no split/geslacht/leerweg), by profile class."""
    _check_level(level)
    settings = settings or MetricSettings()
    return db.run(con, "inflow_counts", level=level, **settings.as_params(), **_population_params(population or PopulationFilter()))


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
    counts = inflow_counts(con, level, settings, population)
    rows = counts[(counts["split_by"] == (split or "")) & (counts["school_id"].isna() == (by == "regio"))]
    frame = _scope_columns(rows, school_names(con))
    frame["split"] = frame["split"].astype("object") if split else None
    frame = _with_share(frame, "technical", "pupils")
    frame = frame.assign(_split_key=_sort_key_split(frame["split"])).sort_values(["school_year", "scope", "_split_key"], kind="stable")
    table = _int_columns(frame[INFLOW_COLUMNS].reset_index(drop=True), ["pupils", "technical", "unknown_profile"])
    table.attrs["sto_cube"] = Cube("inflow", level, settings, counts, split=split)
    return table


def destination_counts(
    con: duckdb.DuckDBPyConnection,
    level: str = "vmbo",
    settings: MetricSettings | None = None,
    population: PopulationFilter | None = None,
) -> pd.DataFrame:
    """Exact diploma-holder counts by (school year, school or region, from_group, profile class, destination)."""
    _check_level(level)
    settings = settings or MetricSettings()
    return db.run(con, "destination_counts", level=level, **settings.as_params(), **_population_params(population or PopulationFilter()))


def _destination_table(counts: pd.DataFrame, by: str, names: dict[str, str]) -> pd.DataFrame:
    """Per (school_year, school_id, from_group) the graduates and destination counts, all three from_groups."""
    rows = counts[counts["school_id"].isna() == (by == "regio")]
    index = ["school_year", "school_id", "from_group"]
    wide = (
        rows.groupby([*index, "destination"], dropna=False)["pupils"].sum().unstack("destination", fill_value=0)
        .reindex(columns=list(DESTINATIONS), fill_value=0)
        .reset_index()
    )
    keys = rows[["school_year", "school_id"]].drop_duplicates()
    grid = keys.merge(pd.DataFrame({"from_group": ["techniek", "overig"]}), how="cross").merge(wide, how="left", on=index)
    for column in DESTINATIONS:
        grid[column] = grid[column].fillna(0).astype("int64")
    total = grid.groupby(["school_year", "school_id"], dropna=False, as_index=False)[list(DESTINATIONS)].sum().assign(from_group="totaal")
    table = pd.concat([grid, total], ignore_index=True)
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
    counts = destination_counts(con, level, settings, population)
    table = _destination_table(counts, by, school_names(con))
    table = _int_columns(table[DESTINATION_COLUMNS].copy(), ["graduates", *DESTINATIONS])
    table.attrs["sto_cube"] = Cube("destinations", level, settings, counts)
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
    counts = destination_counts(con, level, settings, population)
    table = _destination_table(counts, by, school_names(con))
    enrolled, technical = progression_columns(table, level, settings)
    table = table.assign(enrolled=enrolled, technical=technical)
    table = _with_share(table, "technical", "enrolled")
    table = _int_columns(table[PROGRESSION_COLUMNS].copy(), ["enrolled", "technical"])
    table.attrs["sto_cube"] = Cube("progression", level, settings, counts)
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


def retention_counts(
    con: duckdb.DuckDBPyConnection, settings: MetricSettings | None = None, population: PopulationFilter | None = None,
) -> pd.DataFrame:
    """Exact counts of followed pupils by (school year, school or region, profile class in Y, profile class in Y+1)."""
    return db.run(con, "retention_counts", **_population_params(population or PopulationFilter()))


def retention_columns(counts: pd.DataFrame, settings: MetricSettings) -> tuple[pd.Series, pd.Series]:
    """(pupils, retained) per count row under the settings: technical in Y, and technical in Y and Y+1."""
    technical = ["core", "extra"] if settings.dp_technical else ["core"]
    from_technical = counts["class_from"].isin(technical)
    return counts["pupils"].where(from_technical, 0), counts["pupils"].where(from_technical & counts["class_to"].isin(technical), 0)


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
    counts = retention_counts(con, settings, population)
    rows = counts[counts["school_id"].isna() == (by == "regio")]
    pupils, retained = retention_columns(rows, settings)
    summed = (rows.assign(pupils=pupils, retained=retained)
              .groupby(["school_year", "school_id"], dropna=False, as_index=False)[["pupils", "retained"]].sum())
    summed = summed[summed["pupils"] > 0]
    frame = _scope_columns(summed, school_names(con))
    frame = _with_share(frame, "retained", "pupils").sort_values(["school_year", "scope"], kind="stable")
    table = _int_columns(frame[RETENTION_COLUMNS].reset_index(drop=True), ["pupils", "retained"])
    table.attrs["sto_cube"] = Cube("retention", level, settings, counts)
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


def cohort_flow_paths(
    con: duckdb.DuckDBPyConnection, start_year: int, settings: MetricSettings | None = None,
    population: PopulationFilter | None = None,
) -> pd.DataFrame:
    """Exact pupil counts per school (of the start record) and path (stage2, stage3, stage4).

    The population filter (leerweg, geslacht, schools) applies to the pupils' leerjaar-2 record.
    """
    settings = settings or MetricSettings()
    population = population or PopulationFilter()
    return db.run(con, "cohort_flow_paths", start_year=int(start_year), **settings.as_params(),
                leerwegen=list(population.leerwegen), genders=list(population.genders), school_ids=[str(s) for s in population.school_ids])


def flow_from_paths(paths: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(nodes, links) of a Sankey from path counts; node ids are the FLOW_STAGES keys."""
    links: dict[tuple[str, str], int] = {}
    total = 0
    for row in paths.itertuples(index=False):
        total += int(row.pupils)
        chain = ["start", row.stage2, row.stage3, row.stage4]
        for source, target in itertools.pairwise(chain):
            if source is None or target is None or pd.isna(source) or pd.isna(target):
                break
            links[(source, target)] = links.get((source, target), 0) + int(row.pupils)
    order = list(FLOW_STAGES)
    link_frame = pd.DataFrame(
        [(s, t, n) for (s, t), n in sorted(links.items(), key=lambda item: (order.index(item[0][0]), order.index(item[0][1])))],
        columns=FLOW_LINK_COLUMNS,
    )
    inflow_by_node: dict[str, int] = {"start": total} if total else {}
    for (_, target), n in links.items():
        inflow_by_node[target] = inflow_by_node.get(target, 0) + n
    node_frame = pd.DataFrame(
        [(node, FLOW_STAGES[node][0], FLOW_STAGES[node][1], inflow_by_node[node]) for node in order if node in inflow_by_node],
        columns=FLOW_NODE_COLUMNS,
    )
    link_frame["pupils"] = link_frame["pupils"].astype("int64")
    node_frame["pupils"] = node_frame["pupils"].astype("int64")
    node_frame["stage"] = node_frame["stage"].astype("int64")
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
    record when school_id is given; `population` narrows the pupils by their leerjaar-2 record.
    Stages without data are left out.
    """
    settings = settings or MetricSettings()
    paths = cohort_flow_paths(con, start_year, settings, population)
    selected = paths if school_id is None else paths[paths["school_id"] == school_id]
    nodes, links = flow_from_paths(selected)
    cube = Cube("cohort_flow", "vmbo", settings, paths, school_id=school_id)
    nodes.attrs["sto_cube"] = cube
    links.attrs["sto_cube"] = cube
    return nodes, links
