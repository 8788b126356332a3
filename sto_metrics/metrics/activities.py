"""Activities: whom the region reached (`reach`: head counts; `reach_pupils`: distinct pupils on participant lists) and
whether participants chose technology more often (`activity_effect`).

All three return exact tables with the command line's columns (docs/command-line.md) and carry their inner cells in
`frame.attrs["sto_cube"]`, like every figure in `calculations`, so that `privacy.suppress` can protect them.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from sto_metrics import db
from sto_metrics.metrics import calculations
from sto_metrics.metrics.calculations import Cube
from sto_metrics.privacy import cross
from sto_metrics.settings import MetricSettings, PopulationFilter
from sto_metrics.stats import newcombe_difference, share_with_interval

REACH_COLUMNS = ["school_year", "scope", "scope_name", "activity_type", "activities", "participants", "girls", "enrolled", "reach_share"]
EFFECT_COLUMNS = ["school_year", "scope", "scope_name", "group", "pupils", "technical", "share", "ci_low", "ci_high"]
GROUPS = {"deelnemers": "d", "niet-deelnemers": "n"}  # published group -> its code in the inner cells
GROUP_LABELS_NL = {"deelnemers": "deelnemers", "niet-deelnemers": "niet-deelnemers"}
CAVEAT_NL = (
    "Dit is een samenhang, geen bewijs dat de activiteiten werken: leerlingen die meededen, kozen misschien al eerder "
    "voor techniek (zelfselectie). Een vergelijking binnen dezelfde school en hetzelfde jaar haalt verschillen tussen "
    "scholen weg, maar niet die zelfselectie."
)


def activity_type_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Activity kind code -> Dutch name (data/reference/activity_types.csv)."""
    return dict(db.rows(con, "activity_type_names"))


def reach(con: duckdb.DuckDBPyConnection, level: str = "vo", by: str = "school", split: str | None = None,
          settings: MetricSettings | None = None, population: PopulationFilter | None = None) -> pd.DataFrame:
    """Reach per school year, scope and activity kind, exact (docs/command-line.md `reach`).

    `participants` and `girls` are the register's head counts; `enrolled` is the school's pupils in the leerjaren the
    activities reached (lowest to highest), empty for the region's rows (activities without a vo school);
    `reach_share` = participants / enrolled, capped at 1 (participants > enrolled shows where it was capped).
    The population filter selects schools and school years only (head counts have no leerweg or gender).
    """
    if split is not None:
        raise ValueError("reach has no split")
    settings = settings or MetricSettings()
    population = population or PopulationFilter()
    _check_population(population)
    heads = db.run(con, "reach_headcounts")
    cells = db.run(con, "enrolment_cells")
    if population.school_ids:
        heads = heads[heads["school_id"].isin(population.school_ids)]
    if population.school_years:
        heads = heads[heads["school_year"].isin(population.school_years)]
    enrolled = []
    ranges = {}
    by_school_year = {key: group for key, group in cells.groupby(["school_year", "school_id"])} if len(cells) else {}
    for row in heads.itertuples(index=False):
        if row.school_id is None or pd.isna(row.school_id):
            enrolled.append(np.nan)
            continue
        group = by_school_year.get((row.school_year, row.school_id))
        chosen = [] if group is None else group[group["leerjaar"].astype(int).between(row.leerjaar_from, row.leerjaar_to)]
        enrolled.append(float(0 if group is None else chosen["pupils"].sum()))
    heads = heads.assign(enrolled=enrolled)
    frame = calculations._scope_columns(heads, calculations.school_names(con))
    for row in frame.itertuples(index=False):
        ranges[(row.school_year, row.scope, row.activity_type)] = (int(row.leerjaar_from), int(row.leerjaar_to))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(frame["enrolled"] > 0, np.minimum(frame["participants"] / frame["enrolled"], 1.0), np.nan)
    frame = frame.assign(reach_share=share, enrolled=frame["enrolled"].astype("Int64"))
    frame = frame.sort_values(["school_year", "scope", "activity_type"], kind="stable")
    table = calculations._int_columns(frame[REACH_COLUMNS].reset_index(drop=True), ["activities", "participants", "girls"])
    table.attrs["sto_cube"] = Cube("reach", level, settings, cells, population=population, cache={"ranges": ranges})
    return table


def _check_population(population: PopulationFilter) -> None:
    from sto_metrics.errors import UserError

    if population.leerwegen or population.genders:
        raise UserError("Het bereik komt uit deelnemersaantallen per groep of klas; die zijn niet uit te splitsen naar leerweg of "
                        "geslacht (meisjes staan in een eigen kolom). Kies alleen scholen.")


def activity_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The inner cells of both activity figures (one protected table): per block year, school, leerweg, gender group,
    group ('d'/'n'; '-' for reached pupils outside leerjaar 3), profile class and reached (school reached the year
    before, '-' for none). sql `activity_cells`."""
    return db.run_shared(con, "activity_cells")


def _leerjaar3(cells: pd.DataFrame) -> pd.DataFrame:
    return cells[cells["grp"] != cross.NOT_REACHED]


def _schools_only(con: duckdb.DuckDBPyConnection, metric: str, by: str, split: str | None,
                  settings: MetricSettings | None, population: PopulationFilter | None,
                  refusal: str) -> tuple[MetricSettings, PopulationFilter, pd.DataFrame]:
    """The shared opening of the activity figures: no split, a known scope, schools only (else `refusal`), the cells."""
    if split is not None:
        raise ValueError(f"{metric} has no split")
    calculations._check_by(by)
    population = population or PopulationFilter()
    if population.leerwegen or population.genders:
        from sto_metrics.errors import UserError

        raise UserError(refusal)
    return settings or MetricSettings(), population, activity_counts(con)


def activity_effect(con: duckdb.DuckDBPyConnection, level: str = "vmbo", by: str = "regio", split: str | None = None,
                    settings: MetricSettings | None = None, population: PopulationFilter | None = None) -> pd.DataFrame:
    """Technical choice in vmbo leerjaar 3 of participants and others, exact (docs/command-line.md `activity-effect`).

    One row per (school year, scope, group): `pupils` = pupils with a known profile, `technical` = with a technical
    profile (as inflow, under the settings in force), share with its Wilson interval. Sorted by school_year, scope, group.
    The population filter selects schools only (UserError for a leerweg or gender).
    """
    # measured with tests/privacy_auditor.py: leerweg or gender splits let hidden counts of the groups be worked back
    settings, population, cells = _schools_only(
        con, "activity-effect", by, split, settings, population,
        "De vergelijking van deelnemers en niet-deelnemers is er per regio en per school, niet per leerweg of "
        "geslacht: zulke groepjes zijn te klein om kleine aantallen betrouwbaar af te schermen.")
    columns = [f"{g}|{c}" for g in GROUPS.values() for c in calculations.PROFILE_CLASSES]
    rows = calculations._selected(_leerjaar3(cells), by, None, population, ["grp", "profile_class"], columns)
    alternative = settings.dp_technical
    parts = []
    for group, code in GROUPS.items():
        part = rows[["school_year", "school_id"]].assign(group=group)
        part["pupils"] = rows[f"{code}|core"] + rows[f"{code}|extra"] + rows[f"{code}|other"]
        part["technical"] = rows[f"{code}|core"] + rows[f"{code}|extra"] * alternative
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame = calculations._scope_columns(frame, calculations.school_names(con))
    share, low, high = share_with_interval(frame["technical"].to_numpy(), frame["pupils"].to_numpy())
    frame = frame.assign(share=share, ci_low=low, ci_high=high, _group_key=frame["group"].map(list(GROUPS).index))
    frame = frame.sort_values(["school_year", "scope", "_group_key"], kind="stable")
    table = calculations._int_columns(frame[EFFECT_COLUMNS].reset_index(drop=True), ["pupils", "technical"])
    table.attrs["sto_cube"] = Cube("activity-effect", level, settings, cells, population=population)
    return table


REACHED_COLUMNS = ["school_year", "scope", "scope_name", "pupils_reached"]


def reach_pupils(con: duckdb.DuckDBPyConnection, level: str = "vo", by: str = "school", split: str | None = None,
                 settings: MetricSettings | None = None, population: PopulationFilter | None = None) -> pd.DataFrame:
    """Distinct pupils reached per school year and scope, exact (docs/command-line.md `reach-pupils`).

    `pupils_reached` = distinct pupils on a participant list of an activity that school year, counted once at their own
    vo school that year (the chosen record); the region's row is the sum of its schools. Pupils on a list without a vo
    record that year (primary pupils, keys that match no pupil) are not counted. The population filter selects schools
    and school years only. The counts come from the activity table's inner cells (block year = school year + 1).
    """
    settings, population, cells = _schools_only(
        con, "reach-pupils", by, split, settings, population,
        "De bereikte leerlingen zijn er per regio en per school, niet per leerweg of geslacht: ze worden samen "
        "met de keuze na deelname afgeschermd, en die is niet uit te splitsen. Kies alleen scholen.")
    reached = cells[cells["reached"] != cross.NOT_REACHED]
    reached = reached.assign(school_year=reached["school_year"] - 1, school_id=reached["reached"])
    rows = calculations._selected(reached.assign(_all="ja"), by, None, population, ["_all"], ["ja"])
    frame = calculations._scope_columns(rows.rename(columns={"ja": "pupils_reached"}), calculations.school_names(con))
    frame = frame.sort_values(["school_year", "scope"], kind="stable")
    table = calculations._int_columns(frame[REACHED_COLUMNS].reset_index(drop=True), ["pupils_reached"])
    table.attrs["sto_cube"] = Cube("reach-pupils", level, settings, cells, population=population)
    return table


def group_difference(table: pd.DataFrame) -> pd.DataFrame:
    """Per school year and scope of an activity-effect table: share of participants minus share of the others, with its
    95% interval (Newcombe's method from the two Wilson intervals); NaN where either share is hidden or empty.

    Pass the suppressed table: the difference then only uses what is published.
    """
    keys = ["school_year", "scope", "scope_name"]
    took_part = table[table["group"] == "deelnemers"]
    others = table[table["group"] == "niet-deelnemers"]
    both = took_part.merge(others, on=keys, suffixes=("_d", "_n")).set_index(keys)
    difference, low, high = newcombe_difference(
        both["share_d"].astype("float64"), both["ci_low_d"].astype("float64"), both["ci_high_d"].astype("float64"),
        both["share_n"].astype("float64"), both["ci_low_n"].astype("float64"), both["ci_high_n"].astype("float64"))
    return pd.DataFrame({"difference": difference, "diff_low": low, "diff_high": high}, index=both.index).reset_index()


PARTICIPATION_COLUMNS = ["school_year", "scope", "scope_name", "pupils", "took_part", "share", "ci_low", "ci_high"]


def cohort_participation(table: pd.DataFrame, min_denominator: int = 10) -> pd.DataFrame:
    """Per school year and scope of an activity-effect table: of the pupils in vmbo leerjaar 3 with a known profile, how
    many took part in an activity in an earlier school year, and that share with its Wilson interval.

    Derived only from the table's `pupils` of both groups, so from the suppressed table it publishes nothing new: a count
    hidden in either group leaves `pupils` or `took_part` None and the share empty, as does a cohort under `min_denominator`.
    """
    keys = ["school_year", "scope", "scope_name"]
    took_part = table[table["group"] == "deelnemers"][[*keys, "pupils"]]
    others = table[table["group"] == "niet-deelnemers"][[*keys, "pupils"]]
    both = took_part.merge(others, on=keys, suffixes=("_d", "_n"))
    rows = []
    for row in both.itertuples(index=False):
        shown = all(isinstance(v, (int, np.integer)) for v in (row.pupils_d, row.pupils_n))
        pupils = int(row.pupils_d) + int(row.pupils_n) if shown else None
        rows.append({"school_year": row.school_year, "scope": row.scope, "scope_name": row.scope_name, "pupils": pupils,
                     "took_part": int(row.pupils_d) if shown else None})
    # object columns: a count stays int and a hidden one None (a float column would turn them into 12.0 and NaN)
    frame = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype="object") for c in PARTICIPATION_COLUMNS[:5]})
    trials = np.array([p if p is not None and p >= min_denominator else 0 for p in frame["pupils"]], dtype="float64")
    successes = np.array([t if t is not None else 0 for t in frame["took_part"]], dtype="float64")
    share, low, high = share_with_interval(successes, trials)
    return frame.assign(share=share, ci_low=low, ci_high=high)[PARTICIPATION_COLUMNS]
