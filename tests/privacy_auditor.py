"""An independent privacy auditor for everything the command line publishes.

It does not use the engine's privacy or metric code. It runs the command line in-process
(`sto_metrics.cli.main(argv)`, csv on stdout) over many views (command x level x --by x --split x
settings x population filter), the union of which is what an attacker sees. It computes *atoms*
itself from the canonical tables with its own SQL: per block (figure family, level, school year)
the pupils counted by every attribute a published cell can condition on. Every published count
is then the sum of a product set of atoms, so each cell is a 0/1 vector over the block's atoms.

For every hidden count whose true value is 1-4 it then asks whether the published figures pin
it down:

* LP: min and max of the cell over all x >= 0 with every shown count as an equality, `<5` as
  0 <= sum <= 4 and an empty count as sum >= 5 (scipy.optimize.linprog, HiGHS). Determined when
  max - min < 0.5. This is the LP relaxation (a real attacker also knows counts are integers).
* span: is the cell's vector in the row span of the shown equalities (bounded on the affine
  solution set; confirmed with the dual vector y: A^T y = c).

Also counted, from the unfiltered tables: the information loss, the share of cells with true
value >= 5 that are hidden, at region and at school level, per metric.

Semantics coded here (the engine under test must match them; see AuditReport.assumptions):

* one vo record per pupil and year: highest leerjaar (NULL lowest), then smallest school_id;
* activity-effect: inflow's vmbo atoms carry a group (grp): 'd' when the pupil is on a participant list of an
  activity in an earlier school year, else 'n'; its rows are sums over one group, in inflow's grid, so the two
  are audited together (reach's head counts are not collected);
* reach-pupils: the pupils on a participant list of an activity in school year Y with a vo record that year, at the
  school of their chosen record (`reached`); they are atoms of inflow's vmbo grid of Y+1, where the leerjaar-3
  pupils carry the school where they were reached in Y ('-' for none) and the reached pupils who are not in vmbo
  leerjaar 3 in Y+1 are atoms of class 'outside' (school = where reached, no leerweg or gender), so reach-pupils,
  activity-effect and inflow are audited together (a reach-pupils row of Y is a cell of block Y+1);
* inflow: chosen record vmbo leerjaar 3 / havo or vwo leerjaar 4; destinations: chosen record
  in Y has a diploma, cohorts Y whose Y+1 has mbo or ho rows, destination ho > mbo > vo >
  niet_gevonden, technical if any enrolment at that level has a technical sector; retention:
  chosen record in Y vmbo leerjaar 3 with a profile technical under some setting, Y+1 has vo
  rows, chosen record in Y+1 vmbo leerjaar 4 with a known profile;
* cohort flow (`cohort-flow`, one block per start year Y, its own grid; see "Limits" for why not with destinations):
  the pupils whose chosen record in Y is vmbo leerjaar 2, by that record's school, leerweg and gender, and their raw
  path: stage 2 = the chosen record of Y+1 is vmbo leerjaar 3 (`lj3_` + its class, other and unknown as `rest`) or
  not (`lj3_elders`, no record included); stage 3 = the chosen record of Y+2 is vmbo with a diploma (`diploma_` +
  class) or not (`geen_diploma`); stage 4 = the destination in Y+3 as for destinations, for diploma holders only. A
  stage is '' for everyone when its year has no data (vo for stages 2-3, mbo or ho for 4; stage 4 also needs a
  diploma holder), and the paths outside the stages with data are known zeros (public: the page shows the stages).
  A node is the pupils whose path passes it, a link those who pass both ends with no stage of data between; the
  technical nodes hold `core` (and `extra` with --dp-technical). `--school` is the school's flow; `--leerweg` and
  `--geslacht` select by the leerjaar-2 record;
* a listed flow: '<5' is read as 1-4 (a listed link or node has at least 1 pupil) only when every flow the output
  lists holds a pupil; an output that lists empty flows too tells nothing by listing (said in a note), and a flow
  missing from an output is 0 when every missing one is;
* profile class (ref_profile, at the level fitting the education type): core (technical under
  both settings), extra (only under the alternative: vmbo D&P, havo/vwo N without NT), other,
  unknown (no fitting ref row);
* population filters apply to the record that defines the cell; --leerweg selects the raw vmbo
  leerweg (never havo/vwo pupils, never a NULL leerweg);
* gender: 'separate' (split values M, V, X, onbekend = raw M, V, X, NULL; --geslacht g = raw g) or
  'binary' (split values V, M; M and --geslacht M = every pupil not recorded as V; --geslacht X
  refused), detected from `inflow --split geslacht --raw`;
* a row missing from an output means all its counts are 0; used only when that holds for every
  missing row (otherwise the auditor does not rely on it and says so);
* with --school, the regio row is the total over the selected school(s);
* a printed count is exact; '<5' means 0-4; an empty count means 5 or more; a count of 1-4 is never
  printed; a share printed beside a hidden count is read back (with its Wilson interval);
* an exit status 2 (a refused combination) publishes nothing; any other failure stops the audit.

Limits: the LP is the relaxation (integrality not used); each block (family, level, school year)
is audited on its own, so links between families (inflow leerjaar 3 vs retention) and between
years are not used; the ambitions and the report are not collected. The cohort flow is audited on its own: its
graduate atoms are destinations atoms of diploma year Y+2 refined by the leerjaar-2 record (school, leerweg, gender)
and stage 2, and its leerjaar-3 atoms are inflow atoms of Y+1 refined likewise, but the two families' atoms do not line
up one to one (destinations' selection is the diploma-year record, the flow's the leerjaar-2 record: pupils who moved,
repeated or came in between are in one and not the other), so a joint grid would be the product of both families'
selection dimensions (about 10^7 atoms per block on the demo, too many for the dense grid); the engine protects them
as separate tables too, so differences between the flow and destinations or inflow are not audited. Information
loss: of the distinct cells with true value >= 5 that a metric prints, the share that is hidden;
'region'/'school' are the regio and school rows of the unfiltered tables ('all views': every view,
region = all schools, school = one school).
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import itertools
import multiprocessing
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy import linalg, sparse
from scipy.optimize import linprog

DESTS = ("ho_techniek", "ho_overig", "mbo_techniek", "mbo_overig", "vo", "niet_gevonden")
LEVELS = ("vmbo", "havo-vwo")
VMBO_LEERWEGEN = ("BB", "KB", "GL", "TL")
CLASSES = ("core", "extra", "other", "unknown")
RETENTION_FROM = ("core", "extra")
RETENTION_TO = ("core", "extra", "other")
COMMANDS = ("inflow", "destinations", "progression", "retention", "activity-effect", "reach-pupils", "cohort-flow")
VMBO_ONLY = ("retention", "activity-effect", "reach-pupils", "cohort-flow")  # commands without --level (vmbo's grids)
# activity-effect splits inflow's vmbo pupils by participation: it shares inflow's grid (dimension grp, see compute_atoms)
FAMILY_OF = {"inflow": "inflow", "destinations": "destinations", "progression": "destinations", "retention": "retention",
             "activity-effect": "inflow", "reach-pupils": "inflow", "cohort-flow": "cohort_flow"}
ACTIVITY_GROUPS = ("d", "n")  # on a participant list of an earlier school year / every other pupil
COUNT_COLUMNS = {
    "activity-effect": ("pupils", "technical"),
    "reach-pupils": ("pupils_reached",),
    "inflow": ("pupils", "technical", "unknown_profile"),
    "destinations": ("graduates", *DESTS),
    "progression": ("enrolled", "technical"),
    "retention": ("pupils", "retained"),
    "cohort-flow": ("pupils",),
}
SHARE_PARTS = {"inflow": ("technical", "pupils"), "progression": ("technical", "enrolled"), "retention": ("retained", "pupils"),
               "activity-effect": ("technical", "pupils")}
FROM_GROUPS = ("techniek", "overig", "totaal")
# The cohort flow's raw stage values per pupil ('' = no data for that stage's year): leerjaar 3 in Y+1, the vmbo diploma
# in Y+2 (by profile class; 'rest' = other or unknown profile), the destination in Y+3 (graduates only)
FLOW_STAGES = ("stage2", "stage3", "stage4")
FLOW_VALUES = {"stage2": ("lj3_core", "lj3_extra", "lj3_rest", "lj3_elders", ""),
               "stage3": ("diploma_core", "diploma_extra", "diploma_rest", "geen_diploma", ""),
               "stage4": (*DESTS, "")}
ALL_COMBOS = ("school+geslacht", "leerweg+geslacht")
Z95 = 1.959963984540054


class AuditError(Exception):
    """What was published disagrees with the truth or with itself: the auditor cannot go on."""


# ---------------------------------------------------------------------------------------------
# Views: one command-line invocation each


@dataclass(frozen=True)
class View:
    command: str
    level: str
    by: str = "regio"
    split: str | None = None
    settings: tuple[str, ...] = ()
    school: str | None = None
    leerweg: str | None = None
    geslacht: str | None = None
    raw: bool = False
    start: int | None = None  # cohort-flow: one start year (None: every start year it prints)

    def argv(self, db_path: str | Path) -> list[str]:
        argv = [self.command, "--db", str(db_path), "--by", self.by, "--format", "csv"]
        if self.start is not None:
            argv += ["--start", str(self.start)]
        if self.command not in VMBO_ONLY:
            argv += ["--level", self.level]
        if self.split:
            argv += ["--split", self.split]
        argv += list(self.settings)
        for option, value in (("--school", self.school), ("--leerweg", self.leerweg), ("--geslacht", self.geslacht)):
            if value is not None:
                argv += [option, value]
        if self.raw:
            argv.append("--raw")
        return argv

    @property
    def family(self) -> str:
        return FAMILY_OF[self.command]

    @property
    def metric(self) -> str:
        if self.command in ("activity-effect", "reach-pupils", "cohort-flow"):
            return self.command.replace("-", "_")
        return f"{self.command}_{self.level.replace('-', '_')}"

    @property
    def filtered(self) -> bool:
        return any(v is not None for v in (self.school, self.leerweg, self.geslacht))

    @property
    def dp(self) -> bool:
        return "--dp-technical" in self.settings

    @property
    def any_n(self) -> bool:
        return "n" in self.settings and "--havo-vwo-technical" in self.settings

    @property
    def over_all_graduates(self) -> bool:
        return "--over-all-graduates" in self.settings

    @property
    def kind(self) -> str:
        """The view without its filter values and settings, e.g. 'inflow by=school split=geslacht filter=school+geslacht'."""
        filters = "+".join(n for n, v in (("school", self.school), ("leerweg", self.leerweg), ("geslacht", self.geslacht)) if v is not None)
        return f"{self.command} by={self.by} split={self.split or '-'} filter={filters or '-'}"

    def label(self) -> str:
        return "python -m sto_metrics " + " ".join(a for a in self.argv("DB") if a not in ("--db", "DB", "--format", "csv"))


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """The command line in-process: (exit status, stdout, stderr)."""
    from sto_metrics import cli  # the product's public face; nothing of its privacy or metric code

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:  # argparse usage errors
            code = exit_.code if isinstance(exit_.code, int) else 2
    return int(code or 0), out.getvalue(), err.getvalue()


Runner = Callable[[list[str]], tuple[int, str, str]]
ViewResult = tuple[View, int, list[dict], str]  # view, exit status, csv rows, stderr


def _run_group(job: tuple[str, list[View], Runner]) -> list[ViewResult]:
    db_path, views, runner = job
    out = []
    for view in views:
        code, stdout, stderr = runner(view.argv(db_path))
        rows = list(csv.DictReader(io.StringIO(stdout))) if code == 0 else []
        for row in rows if view.command == "cohort-flow" else []:
            row["school_year"] = row["start_year"]  # one block per start year
        out.append((view, code, rows, stderr.strip()[:300]))
    return out


def run_views(db_path: str | Path, views: list[View], workers: int = 1, runner: Runner = run_cli) -> list[ViewResult]:
    """Run every view; views of one population (level and filters) go to one worker, in order."""
    groups: dict[tuple, list[View]] = defaultdict(list)
    for v in views:
        groups[(v.level, v.school, v.leerweg, v.geslacht)].append(v)
    jobs = [(str(db_path), g, runner) for g in groups.values()]
    if workers <= 1 or len(jobs) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [r for j in jobs for r in _run_group(j)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return [r for part in pool.imap(_run_group, jobs) for r in part]


# ---------------------------------------------------------------------------------------------
# Gender semantics


@dataclass(frozen=True)
class GenderSemantics:
    name: str  # 'separate' | 'binary'

    @property
    def filter_values(self) -> tuple[str, ...]:
        return ("V", "M", "X") if self.name == "separate" else ("V", "M")

    def raw(self, value: str, domain: Iterable) -> set:
        """The raw genders (V, M, X, None, ...) a split value or --geslacht value stands for."""
        domain = set(domain)
        if self.name == "separate":
            return {None} if value == "onbekend" else {value}
        if value == "V":
            return {"V"}
        if value == "M":
            return domain - {"V"}
        raise AuditError(f"gender value {value!r} under binary semantics")


def detect_gender_semantics(db_path: str | Path, runner: Runner = run_cli) -> GenderSemantics:
    """'separate' when `inflow --split geslacht --raw` prints an X or onbekend row, else 'binary'."""
    values = set()
    for level in LEVELS:
        code, out, err = runner(View("inflow", level, split="geslacht", raw=True).argv(db_path))
        if code != 0:
            raise AuditError(f"inflow --split geslacht --raw failed ({code}): {err}")
        values |= {r["split"] for r in csv.DictReader(io.StringIO(out))}
    return GenderSemantics("separate" if values & {"X", "onbekend"} else "binary")


# ---------------------------------------------------------------------------------------------
# Truth: atoms from the canonical tables, with the auditor's own SQL

CHOSEN_SQL = """
SELECT pupil_hash, school_year, school_id, education_type, leerweg, leerjaar, profile_code, gender, coalesce(diploma, FALSE) AS diploma
FROM (
    SELECT *, row_number() OVER (PARTITION BY pupil_hash, school_year ORDER BY leerjaar DESC NULLS LAST, school_id) AS pick
    FROM vo_enrolment
) WHERE pick = 1
"""


def _profile_classes(ref: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(code, 'vmbo' | 'havo_vwo') -> core/extra/other, from ref_profile."""
    classes: dict[tuple[str, str], str] = {}
    for r in ref.to_dict("records"):
        if r["level"] in ("vmbo", "vmbo_tl"):
            group, default, alternative = "vmbo", bool(r["technical"]), bool(r["technical"]) or bool(r["is_dp"])
        elif r["level"] == "havo_vwo":
            group, default, alternative = "havo_vwo", bool(r["contains_nt"]), bool(r["contains_n"])
        else:
            continue
        if default and not alternative:
            raise AuditError(f"profile {r['code']} technical under the default setting only: no class for it")
        cls = "core" if default else ("extra" if alternative else "other")
        if classes.setdefault((r["code"], group), cls) != cls:
            raise AuditError(f"profile {r['code']} has two classes at level {group}")
    return classes


def _classify(records: pd.DataFrame, classes: dict) -> pd.Series:
    group = np.where(records["education_type"] == "vmbo", "vmbo", "havo_vwo")
    return pd.Series([classes.get((c, g), "unknown") for c, g in zip(records["profile_code"], group, strict=True)],
                     index=records.index, dtype=object)


def _attr_leerweg(records: pd.DataFrame) -> pd.Series:
    return records["leerweg"].where(records["education_type"] == "vmbo", records["education_type"])


def compute_atoms(db_path: str | Path) -> dict[tuple[str, str], pd.DataFrame]:
    """Per (family, level) a frame of atoms with their exact pupil count `n`.

    inflow:       year, school, leerweg, gender, class
    destinations: year, school, leerweg, gender, class, dest
    retention:    year, school, leerweg, gender, class_from, class_to   (vmbo only)
    `leerweg` is the raw vmbo leerweg (None allowed), or 'havo' / 'vwo'; `gender` is raw (None allowed).
    """
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        chosen = con.execute(CHOSEN_SQL).df()
        ref = con.execute("SELECT * FROM ref_profile").df()
        mbo = con.execute("""SELECT m.pupil_hash, m.school_year, bool_or(coalesce(s.technical, FALSE)) AS technical
                             FROM mbo_enrolment m LEFT JOIN ref_mbo_sector s ON s.code = m.sector_code GROUP BY ALL""").df()
        ho = con.execute("""SELECT h.pupil_hash, h.school_year, bool_or(coalesce(s.technical, FALSE)) AS technical
                            FROM ho_enrolment h LEFT JOIN ref_ho_sector s ON s.code = h.sector_code GROUP BY ALL""").df()
        next_years = {int(y) for (y,) in con.execute("SELECT DISTINCT school_year FROM mbo_enrolment UNION SELECT DISTINCT school_year FROM ho_enrolment").fetchall()}
        vo_years = {int(y) for (y,) in con.execute("SELECT DISTINCT school_year FROM vo_enrolment").fetchall()}
        vo_any = con.execute("SELECT DISTINCT pupil_hash, school_year FROM vo_enrolment").df()
        has_activities = bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'activity_participant'").fetchall()[0][0])
        listed = con.execute("SELECT DISTINCT p.pupil_hash, a.school_year FROM activity_participant p JOIN activity a USING (activity_id)"
                             ).df() if has_activities else pd.DataFrame(columns=["pupil_hash", "school_year"])
    finally:
        con.close()
    chosen = chosen.astype(object).where(chosen.notna(), None)
    classes = _profile_classes(ref)
    chosen["class"] = _classify(chosen, classes)
    chosen["attr_leerweg"] = _attr_leerweg(chosen)
    chosen["school_year"] = chosen["school_year"].astype(int)
    out: dict[tuple[str, str], pd.DataFrame] = {}
    ho_of = dict(zip(zip(ho["pupil_hash"], ho["school_year"].astype(int), strict=True), ho["technical"], strict=True))
    mbo_of = dict(zip(zip(mbo["pupil_hash"], mbo["school_year"].astype(int), strict=True), mbo["technical"], strict=True))
    vo_of = set(zip(vo_any["pupil_hash"], vo_any["school_year"].astype(int), strict=True))

    def destination(key: tuple[str, int]) -> str:
        """Where a graduate is in the next school year: ho > mbo > vo > niet_gevonden, technical if any enrolment is."""
        if key in ho_of:
            return "ho_techniek" if ho_of[key] else "ho_overig"
        if key in mbo_of:
            return "mbo_techniek" if mbo_of[key] else "mbo_overig"
        return "vo" if key in vo_of else "niet_gevonden"

    def grouped(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        frame = frame.drop(columns=["leerweg"]).rename(columns={"school_year": "year", "school_id": "school", "attr_leerweg": "leerweg"})
        if frame.empty:
            return pd.DataFrame(columns=[*keys, "n"])
        counted = frame.groupby(keys, dropna=False).size().rename("n").reset_index().astype(object)
        return counted.where(counted.notna(), None)

    base = ["year", "school", "leerweg", "gender"]
    for level in LEVELS:
        types = ("vmbo",) if level == "vmbo" else ("havo", "vwo")
        of_level = chosen[chosen["education_type"].isin(types)]
        # inflow
        upper = of_level[of_level["leerjaar"] == (3 if level == "vmbo" else 4)]
        if level == "vmbo":
            upper = upper.assign(grp=_activity_groups(upper, listed))
            reached = _reached_schools(chosen, listed)
            upper = upper.assign(reached=[reached.get((p, y - 1), NOT_REACHED) for p, y in zip(upper["pupil_hash"], upper["school_year"], strict=True)])
            in_grid = set(zip(upper["pupil_hash"], upper["school_year"], strict=True))
            outside = pd.DataFrame([{"pupil_hash": p, "school_year": y + 1, "school_id": s, "leerweg": None, "attr_leerweg": None,
                                     "gender": None, "class": "outside", "grp": "n", "reached": s}
                                    for (p, y), s in reached.items() if (p, y + 1) not in in_grid],
                                   columns=["pupil_hash", "school_year", "school_id", "leerweg", "attr_leerweg", "gender", "class", "grp", "reached"])
            out[("inflow", level)] = grouped(pd.concat([upper, outside], ignore_index=True), [*base, "class", "grp", "reached"])
        else:
            out[("inflow", level)] = grouped(upper, [*base, "class"])
        # destinations
        graduates = of_level[(of_level["diploma"] == True) & (of_level["school_year"] + 1).isin(next_years)].copy()  # noqa: E712
        graduates["dest"] = [destination(key) for key in zip(graduates["pupil_hash"], graduates["school_year"] + 1, strict=True)]
        out[("destinations", level)] = grouped(graduates, [*base, "class", "dest"])
    # retention (vmbo)
    vmbo = chosen[chosen["education_type"] == "vmbo"]
    start = vmbo[(vmbo["leerjaar"] == 3) & vmbo["class"].isin(RETENTION_FROM) & (vmbo["school_year"] + 1).isin(vo_years)]
    following = chosen[(chosen["education_type"] == "vmbo") & (chosen["leerjaar"] == 4) & chosen["class"].isin(RETENTION_TO)]
    following = following[["pupil_hash", "school_year", "class"]].assign(school_year=following["school_year"] - 1)
    followed = start.rename(columns={"class": "class_from"}).merge(following.rename(columns={"class": "class_to"}),
                                                                    on=["pupil_hash", "school_year"], how="inner")
    out[("retention", "vmbo")] = grouped(followed, [*base, "class_from", "class_to"])
    out[("cohort_flow", "vmbo")] = grouped(_flow_paths(chosen, vo_years, next_years, destination), [*base, *FLOW_STAGES])
    return out


def _flow_paths(chosen: pd.DataFrame, vo_years: set[int], next_years: set[int], destination: Callable) -> pd.DataFrame:
    """Per pupil whose chosen record in Y is vmbo leerjaar 2: that record's school, leerweg and gender, and its raw stages
    (FLOW_STAGES) from the chosen records of Y+1 and Y+2 and the destination in Y+3; `school_year` is the start year Y."""
    record = {(p, int(y)): (t, lj, c, d) for p, y, t, lj, c, d in zip(
        chosen["pupil_hash"], chosen["school_year"], chosen["education_type"], chosen["leerjaar"], chosen["class"], chosen["diploma"], strict=True)}
    bucket = {"core": "core", "extra": "extra", "other": "rest", "unknown": "rest"}
    start = chosen[(chosen["education_type"] == "vmbo") & (chosen["leerjaar"] == 2)]
    stages = []
    for pupil, year in zip(start["pupil_hash"], start["school_year"].astype(int), strict=True):
        s2 = s3 = s4 = ""
        if year + 1 in vo_years:
            t, lj, c, _ = record.get((pupil, year + 1), (None, None, None, None))
            s2 = f"lj3_{bucket[c]}" if t == "vmbo" and lj == 3 else "lj3_elders"
        if year + 2 in vo_years:
            t, _, c, d = record.get((pupil, year + 2), (None, None, None, False))
            s3 = f"diploma_{bucket[c]}" if t == "vmbo" and d else "geen_diploma"
            if s3 != "geen_diploma" and year + 3 in next_years:
                s4 = destination((pupil, year + 3))
        stages.append((s2, s3, s4))
    return start.assign(**{name: [s[i] for s in stages] for i, name in enumerate(FLOW_STAGES)})


# ---------------------------------------------------------------------------------------------
# Blocks: the atom grid of one (family, level) and its cells


@dataclass
class Observation:
    view: View
    row: str  # e.g. '2019-2020 31XA00 split=V'
    column: str
    text: str  # as printed; '0' for a missing row
    scope: str  # 'regio' or a school id
    absent: bool = False


@dataclass
class Cell:
    key: tuple  # per dimension a tuple of value indices
    year: int
    observations: list[Observation] = field(default_factory=list)
    derived: list[tuple[int, str]] = field(default_factory=list)  # (value, how) from shares
    truth: int = 0
    kind: str = ""  # 'eq' | 'ub' (<5: sum <= 4) | 'lb' (empty: sum >= 5)
    at_least_one: bool = False  # a '<5' flow the output lists only because someone took it: 1 <= sum <= 4
    value: int | None = None  # for eq

    def describe(self) -> str:
        hidden = [o for o in self.observations if o.text in ("", "<5")] or self.observations
        o = hidden[0]
        return f"{o.view.label()} | {o.row} {o.column}"

    @property
    def metrics(self) -> set[str]:
        return {o.view.metric for o in self.observations}

    @property
    def hidden(self) -> bool:
        return self.kind in ("ub", "lb")


class Grid:
    """The atom grid of one (family, level): dimensions, their values, and exact counts per year."""

    def __init__(self, family: str, level: str, atoms: pd.DataFrame, schools: set, leerwegen: set, genders: set):
        self.family, self.level = family, level
        schools = set(schools) | set(atoms["school"]) if len(atoms) else set(schools)
        lw = [*VMBO_LEERWEGEN, *sorted(set(leerwegen) - {*VMBO_LEERWEGEN, None}), None] if level == "vmbo" else ["havo", "vwo"]
        gender_values = ["V", "M", "X", *sorted({g for g in genders if g not in ("V", "M", "X", None)}), None]
        dims: list[tuple[str, list]] = [("school", sorted(schools)), ("leerweg", lw), ("gender", gender_values)]
        if family == "retention":
            dims += [("class_from", list(RETENTION_FROM)), ("class_to", list(RETENTION_TO))]
        elif family == "cohort_flow":
            dims += [(name, list(FLOW_VALUES[name])) for name in FLOW_STAGES]
        elif family == "inflow" and level == "vmbo":
            reached = sorted(set(atoms["reached"] if len(atoms) else []) - {NOT_REACHED})  # a printed school has pupils
            dims += [("class", [*CLASSES, "outside"]), ("grp", list(ACTIVITY_GROUPS)), ("reached", [*reached, NOT_REACHED])]
        else:
            dims.append(("class", list(CLASSES)))
            if family == "destinations":
                dims.append(("dest", list(DESTS)))
        self.dims = dims
        self.names = [n for n, _ in dims]
        self.index = [{v: i for i, v in enumerate(values)} for _, values in dims]
        self.shape = tuple(len(values) for _, values in dims)
        self.counts: dict[int, np.ndarray] = {}
        for year, part in atoms.groupby("year") if len(atoms) else []:
            grid = np.zeros(self.shape, dtype=np.int64)
            for r in part.to_dict("records"):
                position = []
                for (name, _), index in zip(dims, self.index, strict=True):
                    if r[name] not in index:
                        raise AuditError(f"{family}/{level}: value {r[name]!r} of {name} outside the grid")
                    position.append(index[r[name]])
                grid[tuple(position)] += int(r["n"])
            self.counts[int(year)] = grid
        # atoms public facts rule out (known 0), per year: the flow's paths outside the stages with data
        self.impossible: dict[int, np.ndarray] = {}
        if family == "cohort_flow":
            for year in self.counts:
                self.impossible[year] = self._impossible_paths(_flow_stages_known(atoms, year))

    def _impossible_paths(self, known: tuple[bool, bool, bool]) -> np.ndarray:
        """Flow atoms no pupil can be in: a stage with data has a value for everyone (and a destination for every diploma
        holder, none for the others); a stage without data is '' for everyone (the page shows which stages it has)."""
        values = [self.values(stage) for stage in FLOW_STAGES]
        possible = np.zeros([len(v) for v in values], dtype=bool)
        for (i2, s2), (i3, s3) in itertools.product(enumerate(values[0]), enumerate(values[1])):
            if (s2 != "") != known[0] or (s3 != "") != known[1]:
                continue
            for i4, s4 in enumerate(values[2]):
                possible[i2, i3, i4] = (s4 != "") == (known[2] and s3.startswith("diploma_"))
        return ~np.broadcast_to(possible, self.shape).ravel()

    def values(self, name: str) -> list:
        return self.dims[self.names.index(name)][1]

    def key(self, selection: dict[str, set]) -> tuple:
        """The cell key of a product selection (dimension name -> allowed values; missing = all)."""
        key = []
        for (name, values), index in zip(self.dims, self.index, strict=True):
            chosen = selection.get(name)
            key.append(tuple(range(len(values))) if chosen is None else tuple(sorted(index[v] for v in chosen if v in index)))
        return tuple(key)

    def truth(self, year: int, key: tuple) -> int:
        grid = self.counts.get(year)
        if grid is None or any(len(k) == 0 for k in key):
            return 0
        return int(grid[np.ix_(*key)].sum())

    def mask(self, key: tuple) -> np.ndarray:
        m = np.zeros(self.shape, dtype=bool)
        if all(len(k) for k in key):
            m[np.ix_(*key)] = True
        return m.ravel()


NOT_REACHED = "-"


def _reached_schools(chosen: pd.DataFrame, listed: pd.DataFrame) -> dict[tuple[str, int], str]:
    """(pupil, school year) -> the school of the pupil's chosen record (with a leerjaar) that year, for listed pupils."""
    school_of = {(p, int(y)): s for p, y, s, lj in zip(chosen["pupil_hash"], chosen["school_year"], chosen["school_id"], chosen["leerjaar"], strict=True)
                 if lj is not None}
    return {(p, int(y)): school_of[(p, int(y))] for p, y in zip(listed["pupil_hash"], listed["school_year"], strict=True)
            if (p, int(y)) in school_of}


def _activity_groups(records: pd.DataFrame, listed: pd.DataFrame) -> list[str]:
    """Per leerjaar-3 record: 'd' when the pupil is on a list of an activity of an earlier school year, else 'n'."""
    years_listed: dict[str, list[int]] = defaultdict(list)
    for pupil, year in zip(listed["pupil_hash"], listed["school_year"], strict=True):
        years_listed[pupil].append(int(year))
    return ["d" if any(y < year for y in years_listed.get(pupil, ())) else "n"
            for pupil, year in zip(records["pupil_hash"], records["school_year"], strict=True)]


def _technical_classes(view: View) -> set[str]:
    alternative = view.dp if view.level == "vmbo" else view.any_n
    return {"core", "extra"} if alternative else {"core"}


def _selections(view: View, row: dict, grid: Grid, gender: GenderSemantics) -> dict[str, dict[str, set]]:
    """Per count column of one printed row, the product selection of atoms it is the sum of."""
    if view.command == "reach-pupils":  # counted at the school where reached (not a leerjaar-3 school), a year earlier
        where = set(grid.values("reached")) - {NOT_REACHED} if row["scope"] == "regio" else {row["scope"]}
        return {"pupils_reached": {"reached": where}}
    base: dict[str, set] = {}
    genders = grid.values("gender")
    if view.school is not None:
        base["school"] = {view.school}
    if view.leerweg is not None:
        base["leerweg"] = {view.leerweg}
    if view.geslacht is not None:
        base["gender"] = gender.raw(view.geslacht, genders)
    if row["scope"] != "regio":
        base["school"] = base.get("school", {row["scope"]}) & {row["scope"]}
    if view.split == "geslacht":
        base["gender"] = base.get("gender", set(genders)) & gender.raw(row["split"], genders)
    elif view.split == "leerweg":
        value = None if row["split"] == "onbekend" else row["split"]
        base["leerweg"] = base.get("leerweg", set(grid.values("leerweg"))) & {value}
    technical = _technical_classes(view)
    out: dict[str, dict[str, set]] = {}
    if view.command == "cohort-flow":
        out["pupils"] = {**base, **_flow_selection(row, {c.replace("other", "rest") for c in technical})}
        return out
    if view.command == "activity-effect":
        grp = {"deelnemers": "d", "niet-deelnemers": "n"}[row["group"]]
        out["pupils"] = {**base, "grp": {grp}, "class": {"core", "extra", "other"}}
        out["technical"] = {**base, "grp": {grp}, "class": technical}
    elif view.command == "inflow":
        out["pupils"] = {**base, "class": {"core", "extra", "other"}}
        out["technical"] = {**base, "class": technical}
        out["unknown_profile"] = {**base, "class": {"unknown"}}
    elif view.command in ("destinations", "progression"):
        group = row["from_group"]
        if group == "techniek":
            base["class"] = technical
        elif group == "overig":
            base["class"] = set(CLASSES) - technical
        elif group != "totaal":
            raise AuditError(f"unknown from_group {group!r}")
        if view.command == "destinations":
            out["graduates"] = dict(base)
            for d in DESTS:
                out[d] = {**base, "dest": {d}}
        elif view.level == "vmbo":
            out["enrolled"] = dict(base) if view.over_all_graduates else {**base, "dest": {"mbo_techniek", "mbo_overig"}}
            out["technical"] = {**base, "dest": {"mbo_techniek"}}
        else:
            out["enrolled"] = {**base, "dest": {"ho_techniek", "ho_overig"}}
            out["technical"] = {**base, "dest": {"ho_techniek"}}
    else:
        out["pupils"] = {**base, "class_from": technical}
        out["retained"] = {**base, "class_from": technical, "class_to": technical}
    return out


FLOW_NODE_STAGE = {"start": None, **{f"lj3_{k}": "stage2" for k in ("techniek", "overig", "elders")},
                   **{f"diploma_{k}": "stage3" for k in ("techniek", "overig")}, "geen_diploma": "stage3", **{d: "stage4" for d in DESTS}}


def _flow_node_values(node: str, technical: set[str]) -> set[str]:
    """The raw stage values a Sankey node stands for under a setting (technical: the technical profile classes)."""
    for prefix in ("lj3", "diploma"):
        if node == f"{prefix}_techniek":
            return {f"{prefix}_{c}" for c in technical}
        if node == f"{prefix}_overig":
            return {f"{prefix}_{c}" for c in ("core", "extra", "rest") if c not in technical}
    if node not in FLOW_NODE_STAGE or node == "start":
        raise AuditError(f"unknown cohort-flow node {node!r}")
    return {node}


def _flow_selection(row: dict, technical: set[str]) -> dict[str, set]:
    """A node: the pupils whose path passes it; a link: passes both, with no stage of data between them."""
    ends = [row["source"]] if row["kind"] == "node" else [row["source"], row["target"]]
    selection: dict[str, set] = {}
    for node in ends:
        if node != "start":
            selection[FLOW_NODE_STAGE[node]] = _flow_node_values(node, technical)
    if row["kind"] == "link":
        first = 0 if row["source"] == "start" else FLOW_STAGES.index(FLOW_NODE_STAGE[row["source"]]) + 1
        for stage in FLOW_STAGES[first:FLOW_STAGES.index(FLOW_NODE_STAGE[row["target"]])]:
            selection[stage] = {""}
    return selection


def _flow_rows(known: tuple[bool, bool, bool]) -> list[tuple[str, str, str]]:
    """Every node and link a cohort flow lists when the stages with data are `known`: (kind, source, target)."""
    stages = [["start"], *([["lj3_techniek", "lj3_overig", "lj3_elders"]] if known[0] else []),
              *([["diploma_techniek", "diploma_overig", "geen_diploma"]] if known[1] else []),
              *([list(DESTS)] if known[1] and known[2] else [])]
    rows = [("node", n, "") for stage in stages for n in stage]
    for a, b in itertools.pairwise(stages):
        rows += [("link", s, t) for s in a for t in b if s != "geen_diploma"]
    return rows


def _wilson(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = k / n
    centre = (p + Z95 * Z95 / (2 * n)) / (1 + Z95 * Z95 / n)
    half = Z95 / (1 + Z95 * Z95 / n) * np.sqrt(p * (1 - p) / n + Z95 * Z95 / (4 * n * n))
    return p, np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)


def share_solutions(share: str, low: str, high: str, k_known: int | None, n_known: int | None, n_max: int = 20000) -> list[tuple[int, int]]:
    """Every (numerator, denominator) that prints as this share and interval (six decimals)."""
    n = np.arange(1, n_max + 1, dtype=float) if n_known is None else np.array([float(n_known)])
    n = n[n > 0]
    values = [float(v) if v not in ("", None) else None for v in (share, low, high)]
    if values[0] is None:
        return []
    k = np.round(values[0] * n)
    if k_known is not None:
        keep = k == k_known
        n, k = n[keep], k[keep]
    p, lo, hi = _wilson(k, n)
    ok = np.abs(p - values[0]) <= 5.1e-7
    if values[1] is not None:
        ok &= np.abs(lo - values[1]) <= 5.1e-7
    if values[2] is not None:
        ok &= np.abs(hi - values[2]) <= 5.1e-7
    return [(int(a), int(b)) for a, b in zip(k[ok], n[ok], strict=True)]


# ---------------------------------------------------------------------------------------------
# Report


@dataclass
class Determined:
    metrics: list[str]
    year: int
    cell: str
    value: int
    how: str  # 'span' | 'lp'
    hidden_in: list[str]
    via: list[str]  # views of the published cells that the certificate uses
    via_kinds: list[str]
    hidden_kinds: list[str] = field(default_factory=list)  # View.kind of the views that print it hidden


@dataclass
class MetricReport:
    hidden_small: int = 0
    determined: int = 0
    loss_region: tuple[int, int] = (0, 0)  # (hidden, cells with true value >= 5), unfiltered tables
    loss_school: tuple[int, int] = (0, 0)
    loss_all_region: tuple[int, int] = (0, 0)  # the same over every view (region = all schools, school = one school)
    loss_all_school: tuple[int, int] = (0, 0)

    @staticmethod
    def rate(pair: tuple[int, int]) -> float:
        return pair[0] / pair[1] if pair[1] else 0.0


@dataclass
class AuditReport:
    gender_semantics: str
    views_run: int
    views_refused: list[str]
    metrics: dict[str, MetricReport]
    determined: list[Determined]
    absent_rows_used: int
    notes: list[str]
    seconds: dict[str, float]
    lp_solves: int = 0
    hidden_small: int = 0  # distinct hidden cells with true value 1-4 (a cell printed by two metrics counts once)

    @property
    def assumptions(self) -> str:
        return __doc__.split("Semantics coded here")[1]

    def table(self) -> str:
        lines = [f"{'metric':24} {'hidden<5':>8} {'determined':>10} {'loss regio':>12} {'loss school':>12}"
                 f" {'(all views) regio':>18} {'school':>8}"]
        for name, m in sorted(self.metrics.items()):
            lines.append(f"{name:24} {m.hidden_small:8d} {m.determined:10d} {m.rate(m.loss_region):11.1%} {m.rate(m.loss_school):12.1%}"
                         f" {m.rate(m.loss_all_region):18.1%} {m.rate(m.loss_all_school):8.1%}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Planning the views


def plan_views(levels_schools: dict[str, list[str]], gender: GenderSemantics, *, singles: Iterable[str] = ("school", "leerweg", "geslacht"),
               combos: Iterable[str] = ALL_COMBOS, school_views_with_school_filter: bool = True,
               commands: Iterable[str] = COMMANDS, levels: Iterable[str] = LEVELS) -> list[View]:
    """Every command x level x --by x --split x setting, for no filter, for each value of the single
    filters named in `singles` and for the combinations in `combos` ('school+geslacht', 'leerweg+geslacht').
    --leerweg is a vmbo filter: havo/vwo views never get it."""
    views = []
    singles, combos, commands = set(singles), set(combos), [c for c in COMMANDS if c in set(commands)]
    for level in [lv for lv in LEVELS if lv in set(levels)]:
        schools = levels_schools.get(level, [])
        leerwegen = VMBO_LEERWEGEN if level == "vmbo" else ()
        population: list[dict] = [{}]
        population += [{"school": s} for s in schools] if "school" in singles else []
        population += [{"leerweg": lw} for lw in leerwegen] if "leerweg" in singles else []
        population += [{"geslacht": g} for g in gender.filter_values] if "geslacht" in singles else []
        if "school+geslacht" in combos:
            population += [{"school": s, "geslacht": g} for s in schools for g in gender.filter_values]
        if "leerweg+geslacht" in combos:
            population += [{"leerweg": lw, "geslacht": g} for lw in leerwegen for g in gender.filter_values]
        alternative = ("--dp-technical",) if level == "vmbo" else ("--havo-vwo-technical", "n")
        for pop in population:
            for command in commands:
                if command in VMBO_ONLY and level != "vmbo":
                    continue
                settings = [()] if command == "reach-pupils" else [(), alternative]
                if command == "progression" and level == "vmbo":
                    settings += [("--over-all-graduates",), (*alternative, "--over-all-graduates")]
                splits = [None, "geslacht", "leerweg"] if command == "inflow" else [None]
                for by in ("regio", "school"):
                    if by == "school" and "school" in pop and not school_views_with_school_filter:
                        continue
                    for split in splits:
                        for s in settings:
                            views.append(View(command, level, by, split, s, **pop))
    return views


# ---------------------------------------------------------------------------------------------
# The audit: collect, then analyse


def _row_label(view: View, row: dict) -> str:
    extra = f" split={row['split']}" if view.split else ""
    if row.get("group"):
        extra += f" {row['group']}"
    if row.get("from_group"):
        extra += f" {row['from_group']}"
    if row.get("kind"):
        extra += f" {row['kind']} {row['source']}" + (f">{row['target']}" if row["target"] else "")
    return f"{row['school_year']} {row['scope']}{extra}"


@dataclass
class Publication:
    """Everything the command line printed for one database, with the truth beside it."""

    db_path: str
    atoms: dict[tuple[str, str], pd.DataFrame]
    gender: GenderSemantics
    results: list[ViewResult]  # exit status 0 only
    refused: list[str]  # views refused with exit status 2
    seconds: dict[str, float]


def collect(db_path: str | Path, *, singles: Iterable[str] = ("school", "leerweg", "geslacht"), combos: Iterable[str] = ALL_COMBOS,
            school_views_with_school_filter: bool = True, workers: int | None = None, runner: Runner = run_cli,
            progress: Callable[[str], None] | None = None, commands: Iterable[str] = COMMANDS,
            levels: Iterable[str] = LEVELS) -> Publication:
    """Run the command line over the views of plan_views (no filter first: it tells the school lists)."""
    say = progress or (lambda _m: None)
    workers = workers or min(2, os.cpu_count() or 1)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    atoms = compute_atoms(db_path)
    gender = detect_gender_semantics(db_path, runner)
    seconds["truth"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    commands, levels = tuple(commands), tuple(levels)
    unfiltered = plan_views({}, gender, singles=(), combos=(), commands=commands, levels=levels)
    results = run_views(db_path, unfiltered, workers, runner)
    levels_schools: dict[str, set] = defaultdict(set)
    for view, code, rows, _ in results:
        if code == 0 and view.by == "school":
            levels_schools[view.level] |= {r["scope"] for r in rows}
    for (_, level), frame in atoms.items():
        if len(frame):
            levels_schools[level] |= set(frame["school"])
    planned = plan_views({lv: sorted(s) for lv, s in levels_schools.items()}, gender, singles=singles, combos=combos,
                         school_views_with_school_filter=school_views_with_school_filter, commands=commands, levels=levels)
    filtered = [v for v in planned if v.filtered]
    say(f"gender semantics {gender.name}; {len(unfiltered)} unfiltered and {len(filtered)} filtered views on {workers} worker(s)")
    results += run_views(db_path, filtered, workers, runner)
    seconds["collect"] = time.perf_counter() - t0
    failed = [(v.label(), code, err) for v, code, _, err in results if code not in (0, 2)]
    if failed:
        raise AuditError(f"{len(failed)} command(s) failed, e.g. {failed[:3]}")
    return Publication(str(db_path), atoms, gender, [r for r in results if r[1] == 0],
                       [v.label() for v, code, _, _ in results if code == 2], seconds)


def audit(db_path: str | Path, *, singles: Iterable[str] = ("school", "leerweg", "geslacht"), combos: Iterable[str] = ALL_COMBOS,
          school_views_with_school_filter: bool = True, workers: int | None = None, runner: Runner = run_cli,
          max_determined: int | None = None, certificates: int = 3, label_span: bool = True,
          progress: Callable[[str], None] | None = None, commands: Iterable[str] = COMMANDS,
          levels: Iterable[str] = LEVELS) -> AuditReport:
    """Collect everything the command line publishes for the database and audit it (see the module docstring)."""
    publication = collect(db_path, singles=singles, combos=combos, school_views_with_school_filter=school_views_with_school_filter,
                          workers=workers, runner=runner, progress=progress, commands=commands, levels=levels)
    return analyse(publication, max_determined=max_determined, certificates=certificates, label_span=label_span, progress=progress)


def _build_cells(pub: Publication) -> tuple[dict[tuple[str, str], Grid], dict[tuple[str, str, int], dict[tuple, Cell]], int, list[str]]:
    """Map every printed count (and every row an output could have printed but did not) to its cell."""
    results, gender = pub.results, pub.gender
    grids: dict[tuple[str, str], Grid] = {}
    for (family, level), frame in pub.atoms.items():
        seen = {r["scope"] for v, _, rows, _ in results if (v.family, v.level) == (family, level) for r in rows} - {"regio"}
        seen |= {v.school for v, _, _, _ in results if (v.family, v.level) == (family, level) and v.school}
        grids[(family, level)] = Grid(family, level, frame, seen, set(frame["leerweg"]) if len(frame) else set(),
                                      set(frame["gender"]) if len(frame) else set())
    cells: dict[tuple[str, str, int], dict[tuple, Cell]] = defaultdict(dict)
    notes: list[str] = []

    def observe(view: View, row: dict, absent: bool = False) -> None:
        grid = grids[(view.family, view.level)]
        year = int(row["school_year"][:4]) + (view.command == "reach-pupils")  # reached in Y: block Y+1
        block = cells[(view.family, view.level, year)]
        keys = {}
        for column, selection in _selections(view, row, grid, gender).items():
            key = keys[column] = grid.key(selection)
            cell = block.get(key)
            if cell is None:
                cell = block[key] = Cell(key, year, truth=grid.truth(year, key))
            text = "0" if absent else (row[column] or "").strip()
            cell.observations.append(Observation(view, _row_label(view, row), column, text, row["scope"], absent))
        if absent or view.command not in SHARE_PARTS or not any(row.get(c) for c in ("share", "ci_low", "ci_high")):
            return
        num, den = SHARE_PARTS[view.command]
        k_text, n_text = row[num] or "", row[den] or ""
        if k_text.isdigit() and n_text.isdigit():
            return
        found = share_solutions(row["share"], row["ci_low"], row["ci_high"], int(k_text) if k_text.isdigit() else None,
                                int(n_text) if n_text.isdigit() else None)
        notes.append(f"share printed beside a hidden count: {view.label()} | {_row_label(view, row)}: (k, n) in {found[:3]}")
        if len(found) == 1:
            block[keys[num]].derived.append((found[0][0], "share"))
            block[keys[den]].derived.append((found[0][1], "share"))

    present: set[tuple] = set()
    years: dict[tuple[str, str], set] = defaultdict(set)
    schools: dict[tuple[str, str], set] = defaultdict(set)
    splits: dict[tuple, set] = defaultdict(set)
    for view, _, rows, _ in results:
        fl = (view.family, view.level)
        for r in rows:
            observe(view, r)
            present.add((view, r["school_year"], r["scope"], r.get("split") or "", r.get("from_group") or "",
                         (r["kind"], r["source"], r["target"]) if "kind" in r else None))
            years[fl].add(r["school_year"])
            if view.by == "school":
                schools[fl].add(r["scope"])
            if view.split:
                splits[(*fl, view.split)].add(r["split"])
    # rows an output could have printed but did not: all their counts are 0, if that is how the command line behaves
    absent = []
    for view, _, _, _ in results:
        if view.command in ("activity-effect", "reach-pupils"):
            continue  # their years start with the participant lists; rows without pupils are left out
        fl = (view.family, view.level)
        if view.command == "cohort-flow":
            scopes = [view.school] if view.school else ["regio"] if view.by == "regio" else sorted(schools[fl])
            for year in years[fl]:
                for scope in scopes:
                    for kind, source, target in _flow_rows(_flow_stages_known(pub.atoms[fl], int(year[:4]))):
                        if (view, year, scope, "", "", (kind, source, target)) not in present:
                            absent.append((view, {"school_year": year, "scope": scope, "kind": kind, "source": source, "target": target}))
            continue
        scopes = ["regio"] if view.by == "regio" else sorted(s for s in schools[fl] if view.school in (None, s))
        for year in years[fl]:
            for scope in scopes:
                for split in sorted(splits[(*fl, view.split)]) if view.split else [""]:
                    for group in FROM_GROUPS if view.family == "destinations" else ("",):
                        if (view, year, scope, split, group, None) not in present:
                            absent.append((view, {"school_year": year, "scope": scope, "split": split, "from_group": group}))
    nonzero = next(((v, r) for v, r in absent
                    if any(grids[(v.family, v.level)].truth(int(r["school_year"][:4]), grids[(v.family, v.level)].key(sel))
                           for sel in _selections(v, r, grids[(v.family, v.level)], gender).values())), None)
    if nonzero is None:
        for view, row in absent:
            observe(view, row, absent=True)
    else:
        notes.append(f"{len(absent)} rows missing from outputs, not all of them zero (e.g. {nonzero[0].label()} | "
                     f"{_row_label(*nonzero)}): a missing row is not read as 0")
    return grids, cells, (len(absent) if nonzero is None else 0), list(dict.fromkeys(notes))


def _flow_stages_known(atoms: pd.DataFrame, year: int) -> tuple[bool, bool, bool]:
    """Which flow stages have data for a start year: some pupil has a value there (public: the page draws the stage)."""
    part = atoms[atoms["year"] == year]
    return tuple(bool((part[stage] != "").any()) for stage in FLOW_STAGES)  # type: ignore[return-value]


def _listing_bound(cells: dict[tuple[str, str, int], dict[tuple, Cell]], notes: list[str]) -> None:
    """'A listed link or node has at least 1 pupil', for the flow's '<5' cells, when the output behaves so: only when every
    listed flow row holds a pupil (a publisher that lists empty flows too, as 0 or '<5', tells nothing by listing)."""
    flow_cells = [c for (family, _, _), block in cells.items() if family == "cohort_flow" for c in block.values()
                  if any(not o.absent for o in c.observations)]
    if not flow_cells:
        return
    empty = next((c for c in flow_cells if c.truth == 0), None)
    if empty is not None:
        notes.append(f"the cohort flow lists empty links or nodes too (e.g. {empty.describe()}): a listed flow is not read as at least 1")
        return
    for cell in flow_cells:
        cell.at_least_one = cell.kind == "ub"


def _resolve(cells: dict[tuple[str, str, int], dict[tuple, Cell]]) -> None:
    """What the attacker knows of each cell (eq / ub / lb), checked against the truth; AuditError when inconsistent."""
    problems: list[str] = []
    for (family, level, year), block in cells.items():
        for cell in block.values():
            where = f"{family}/{level} {year}: {cell.describe()}"
            texts = [o.text for o in cell.observations]
            if any(not (t in ("", "<5") or t.isdigit()) for t in texts):
                problems.append(f"unreadable count in {where}: {sorted(set(texts))}")
                continue
            shown = {int(t) for t in texts if t.isdigit()} | {v for v, _ in cell.derived}
            markers = {t for t in texts if t in ("", "<5")}
            if any(t.isdigit() and 1 <= int(t) <= 4 for t in texts):
                problems.append(f"a count 1-4 printed: {where}")
            if len(shown) > 1:
                problems.append(f"one cell printed with values {sorted(shown)}: {where}")
            elif shown:
                cell.kind, cell.value = "eq", shown.pop()
                if cell.value != cell.truth:
                    problems.append(f"printed {cell.value}, true value {cell.truth}: {where}")
            elif markers == {"<5"}:
                cell.kind = "ub"
                if cell.truth > 4:
                    problems.append(f"'<5' printed for true value {cell.truth}: {where}")
            elif markers == {""}:
                cell.kind = "lb"
                if cell.truth < 5:
                    problems.append(f"empty (5 or more) printed for true value {cell.truth}: {where}")
            else:
                problems.append(f"one cell printed as both '<5' and empty: {where}")
    if problems:
        raise AuditError(f"{len(problems)} inconsistencies between the output and the data, e.g.:\n  " + "\n  ".join(problems[:12]))


def _metric_reports(grids: dict, cells: dict) -> dict[str, MetricReport]:
    """Hidden small cells per metric, and the information loss (cells >= 5 hidden) at region and school level."""
    metrics: dict[str, MetricReport] = {}

    def bump(report: MetricReport, name: str, hidden: bool) -> None:
        h, t = getattr(report, name)
        setattr(report, name, (h + int(hidden), t + 1))

    for (family, level, _year), block in cells.items():
        n_schools = len(grids[(family, level)].values("school"))
        for cell in block.values():
            for metric in cell.metrics:
                report = metrics.setdefault(metric, MetricReport())
                if cell.hidden and 1 <= cell.truth <= 4:
                    report.hidden_small += 1
                if cell.truth < 5:
                    continue
                printed = [o for o in cell.observations if o.view.metric == metric and not o.absent]
                main = [o for o in printed if not o.view.filtered]
                for name, subset in (("loss_region", [o for o in main if o.scope == "regio"]),
                                     ("loss_school", [o for o in main if o.scope != "regio"])):
                    if subset:
                        bump(report, name, all(o.text in ("", "<5") for o in subset))
                if printed and len(cell.key[0]) in (1, n_schools):
                    bump(report, "loss_all_region" if len(cell.key[0]) == n_schools else "loss_all_school",
                         all(o.text in ("", "<5") for o in printed))
    return metrics


def analyse(pub: Publication, *, max_determined: int | None = None, certificates: int = 3, random_objectives: int = 1,
            label_span: bool = True, progress: Callable[[str], None] | None = None) -> AuditReport:
    """Audit a collected publication: every hidden count with true value 1-4, is it determined?

    max_determined: stop after this many determined cells (the report then says 'at least');
    certificates: per block, for how many determined cells found by the span to compute the published cells
    that give them away (the LP gives them for the others);
    label_span: tell 'span' (shown counts alone) from 'lp' (needs the bounds) for each determined cell
    (a rank test on the block: seconds per large block); without it `how` is 'lp|span'.
    """
    say = progress or (lambda _m: None)
    seconds = dict(pub.seconds)
    t0 = time.perf_counter()
    grids, cells, absent_used, notes = _build_cells(pub)
    _resolve(cells)
    _listing_bound(cells, notes)
    metrics = _metric_reports(grids, cells)
    seconds["map"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    determined: list[Determined] = []
    solves = 0
    with _one_blas_thread():
        for (family, level, year), block in sorted(cells.items()):
            budget = None if max_determined is None else max_determined - len(determined)
            if budget is not None and budget <= 0:
                notes.append(f"stopped after {len(determined)} determined cells (max_determined): the counts are lower bounds")
                break
            found, n = _audit_block(grids[(family, level)], year, list(block.values()), random_objectives=random_objectives,
                                    certificates=certificates, budget=budget, label_span=label_span)
            solves += n
            determined += found
            if found:
                say(f"{family}/{level} {year}: {len(found)} determined")
    for d in determined:
        for metric in d.metrics:
            metrics[metric].determined += 1
    seconds["lp"] = time.perf_counter() - t0
    hidden_small = sum(1 for block in cells.values() for c in block.values() if c.hidden and 1 <= c.truth <= 4)
    return AuditReport(pub.gender.name, len(pub.results), pub.refused, metrics, determined, absent_used, notes, seconds, solves,
                       hidden_small)


@contextlib.contextmanager
def _one_blas_thread():
    """OpenBLAS with one thread while the block analysis runs: its threaded pivoted QR on these
    rank-deficient 0/1 matrices is up to 20x slower on two cores (and erratic). Without a loaded
    OpenBLAS (or its symbols) this does nothing."""
    restore = []
    try:
        paths = sorted({line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "openblas" in line.lower()})
    except OSError:
        paths = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", ""):
            for prefix in ("scipy_openblas", "openblas"):
                setter, getter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None), getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    restore.append((setter, int(getter())))
                    setter(1)
    try:
        yield
    finally:
        for setter, threads in restore:
            setter(threads)


def _merge_columns(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns no row tells apart act as one variable: (index of one column per group, group of each column)."""
    if M.shape[1] == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    _, first, inverse = np.unique(np.packbits(M, axis=0).T, axis=0, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def _in_row_span(A: np.ndarray, T: np.ndarray) -> np.ndarray:
    """For each row t of T: is t a linear combination of the rows of A? (rank test by pivoted QR on A^T)."""
    if A.shape[0] == 0 or T.shape[0] == 0:
        return np.zeros(T.shape[0], dtype=bool)
    Q, Rq, _ = linalg.qr(A.T.astype(float), mode="economic", pivoting=True)  # scipy's LAPACK: numpy's is far slower here
    diagonal = np.abs(np.diag(Rq))
    rank = int((diagonal > diagonal.max() * max(A.shape) * 1e-12).sum()) if diagonal.size else 0
    basis = Q[:, :rank]
    T = T.astype(float)
    residual = T.T - basis @ (basis.T @ T.T)
    return np.abs(residual).max(axis=0) < 1e-6


def _audit_block(grid: Grid, year: int, cells: list[Cell], *, random_objectives: int, certificates: int,
                 budget: int | None, label_span: bool = True, push_rounds: int = 12) -> tuple[list[Determined], int]:
    """Determined hidden small cells of one block, by span and by LP (min == max)."""
    if not any(c.hidden and 1 <= c.truth <= 4 for c in cells):
        return [], 0
    cells = [c for c in cells if all(len(k) for k in c.key)]  # an empty selection is 0 and says nothing
    truth_atoms = grid.counts.get(year, np.zeros(grid.shape, dtype=np.int64)).ravel()
    full = np.array([grid.mask(c.key) for c in cells])  # cells x atoms
    kind = np.array([c.kind for c in cells])
    value = np.array([c.value if c.kind == "eq" else -1 for c in cells])
    targets = [i for i, c in enumerate(cells) if c.hidden and 1 <= c.truth <= 4]

    # the LP: atoms in a cell shown as 0 are 0; atoms no cell tells apart are one variable
    keep = ~full[(kind == "eq") & (value == 0)].any(axis=0)
    if year in grid.impossible:
        keep &= ~grid.impossible[year]
    first, inverse = _merge_columns(full[:, keep])
    R = full[:, keep][:, first].astype(float)
    x_true = np.bincount(inverse, weights=truth_atoms[keep], minlength=len(first))
    if np.abs(R @ x_true - np.array([c.truth for c in cells])).max(initial=0) > 1e-6:
        raise AuditError(f"internal: atoms do not add up in {grid.family}/{grid.level} {year}")
    rows_eq = _unique_rows(R, list(np.flatnonzero((kind == "eq") & (value > 0))))
    rows_ub = _unique_rows(R, list(np.flatnonzero(kind == "ub")))
    rows_lb = _unique_rows(R, list(np.flatnonzero(kind == "lb")))
    rows_one = _unique_rows(R, [i for i, c in enumerate(cells) if c.at_least_one])
    A_eq = sparse.csr_matrix(R[rows_eq]) if rows_eq else None
    b_eq = value[rows_eq].astype(float) if rows_eq else None
    ub_rows = rows_ub + rows_lb + rows_one
    A_ub = sparse.csr_matrix(np.vstack([R[rows_ub], -R[rows_lb], -R[rows_one]])) if ub_rows else None
    b_ub = np.array([4.0] * len(rows_ub) + [-5.0] * len(rows_lb) + [-1.0] * len(rows_one)) if ub_rows else None
    solves = 0

    def solve(c: np.ndarray):
        nonlocal solves
        solves += 1
        return linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")

    # targets with the same vector are one question
    groups: dict[bytes, list[int]] = defaultdict(list)
    for i in targets:
        groups[np.packbits(R[i] > 0).tobytes()].append(i)
    heads = [g[0] for g in groups.values()]
    T = R[heads]
    t_true = np.array([cells[i].truth for i in heads], dtype=float)
    state = np.zeros(len(heads), dtype=int)  # 0 open, 1 not determined, 2 determined
    via_rows: dict[int, set] = defaultdict(set)

    def knock_out(x: np.ndarray) -> None:
        state[(state == 0) & (np.abs(T @ x - t_true) >= 0.5)] = 1

    def duals(res) -> set:
        rows = set()
        if rows_eq:
            rows |= {rows_eq[j] for j in np.flatnonzero(np.abs(res.eqlin.marginals) > 1e-9)}
        if ub_rows:
            rows |= {ub_rows[j] for j in np.flatnonzero(np.abs(res.ineqlin.marginals) > 1e-9)}
        return rows

    # 1. in the span of the shown counts once the zeros are known: determined without an LP
    span_given_zeros = _in_row_span(R[rows_eq], T) if rows_eq else np.zeros(len(heads), dtype=bool)
    state[span_given_zeros] = 2
    # 2. vertices that prove cells open: a vertex where a cell differs from its true value. Objectives:
    #    random atom weights, then the open cells themselves, each pushed up or down at random
    rng = np.random.default_rng(year)
    for _ in range(random_objectives):
        if not (state == 0).any():
            break
        weights = rng.random(R.shape[1]) + 0.01
        for c in (weights, -weights):
            res = solve(c)
            if res.status == 0:
                knock_out(res.x)
    stale = 0
    for _ in range(push_rounds):
        still_open = np.flatnonzero(state == 0)
        if still_open.size == 0 or stale >= 2:
            break
        signs = rng.choice([-1.0, 1.0], size=still_open.size)
        res = solve(signs @ T[still_open] + 1e-3 * rng.random(R.shape[1]))
        if res.status == 0:
            knock_out(res.x)
        stale = stale + 1 if (state == 0).sum() > 0.9 * still_open.size else 0
    # 3. min and max of each open cell; every few cells found, those found join the equations and the
    #    span test runs again (a determined cell is known to the attacker: the feasible set is the same)
    since_refresh = 0
    for i in range(len(heads)):
        if budget is not None and (state == 2).sum() >= budget:
            break
        if since_refresh >= 8:
            since_refresh = 0
            still_open = np.flatnonzero(state == 0)
            if still_open.size:
                known = np.vstack([R[rows_eq], T[state == 2]])
                state[still_open[_in_row_span(known, T[still_open])]] = 2
        if state[i] != 0:
            continue
        low = solve(T[i])
        if low.status != 0:
            raise AuditError(f"LP failed ({low.message}) in {grid.family}/{grid.level} {year}: the published figures contradict each other")
        knock_out(low.x)
        if state[i] != 0:
            continue
        high = solve(-T[i])
        if high.status != 0:  # unbounded above
            state[i] = 1
            continue
        knock_out(high.x)
        if state[i] == 0 and -high.fun - low.fun < 0.5:
            state[i] = 2
            since_refresh += 1
            via_rows[i] = duals(low) | duals(high)
        elif state[i] == 0:
            state[i] = 1
    # certificates for a few cells found by the span
    for i in [i for i in np.flatnonzero(state == 2) if i not in via_rows][:certificates]:
        for c in (T[i], -T[i]):
            res = solve(c)
            if res.status == 0:
                via_rows[i] |= duals(res)

    # how: in the span of the shown counts (zeros included, nothing else), or only with the LP's bounds
    strict: dict[int, bool] = {}
    winners = [i for g, members in enumerate(groups.values()) if state[g] == 2 for i in members]
    if label_span and winners:
        eq_rows = np.flatnonzero(kind == "eq")
        possible = full[:, ~grid.impossible[year]] if year in grid.impossible else full  # structural zeros are public
        first_strict, _ = _merge_columns(possible[np.r_[eq_rows, winners]])
        A = np.unique(possible[eq_rows][:, first_strict], axis=0)
        strict = dict(zip(winners, _in_row_span(A, possible[winners][:, first_strict]), strict=True))
    found: list[Determined] = []
    for g, members in enumerate(groups.values()):
        if state[g] != 2:
            continue
        used = sorted(via_rows.get(g, ()))
        via = [f"{cells[j].observations[0].view.label()} | {cells[j].observations[0].row} {cells[j].observations[0].column}" for j in used]
        kinds = sorted({o.view.kind for j in used for o in cells[j].observations})
        for i in members:
            cell = cells[i]
            found.append(Determined(sorted(cell.metrics), year, cell.describe(), cell.truth, "span" if strict.get(i) else ("lp" if label_span else "lp|span"),
                                    sorted({o.view.label() for o in cell.observations}), via, kinds,
                                    sorted({o.view.kind for o in cell.observations if o.text in ("", "<5")})))
    if budget is not None:
        found = found[:max(budget, 0)]
    return found, solves


def _unique_rows(R: np.ndarray, rows: list[int]) -> list[int]:
    if not rows:
        return []
    _, first = np.unique(np.packbits(R[rows] > 0, axis=1), axis=0, return_index=True)
    return [rows[i] for i in sorted(first)]


def summarize(report: AuditReport, limit: int = 20) -> str:
    """The report as text: the per-metric table, then the determined cells by how and by the views that give them away."""
    lines = [f"gender semantics: {report.gender_semantics}; views: {report.views_run} printed, {len(report.views_refused)} refused (exit 2); "
             f"missing rows read as 0: {report.absent_rows_used}; LP solves: {report.lp_solves}", report.table()]
    if report.determined:
        how = Counter(d.how for d in report.determined)
        lines.append(f"determined hidden small counts: {len(report.determined)} ({', '.join(f'{k}: {v}' for k, v in sorted(how.items()))})")
        with_certificate = [d for d in report.determined if d.via_kinds]
        by_kind = Counter(k for d in with_certificate for k in d.via_kinds)
        lines.append(f"views whose printed cells give them away ({len(with_certificate)} cells with a certificate; cells using each kind):")
        lines += [f"  {n:5d}  {k}" for k, n in by_kind.most_common(limit)]
        lines.append("examples:")
        lines += [f"  [{d.how}] = {d.value}: {d.cell}" for d in report.determined[:limit]]
    lines += [f"note: {n}" for n in report.notes[:limit]]
    lines.append("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items()))
    return "\n".join(lines)
