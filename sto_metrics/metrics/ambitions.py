"""Ambitions (docs/metrics.md, ambitions): a region's targets held against the realised figures.

The region owns `data/ambities.csv`:

    metric,scope,split,baseline_year,baseline_value,target_year,target_value,note

- metric: inflow_vmbo, inflow_havo_vwo, progression_vmbo or progression_havo_vwo;
- scope: `regio` or a school id (`12AB00`);
- split (optional): `geslacht=V`, `leerweg=BB` (inflow) or `herkomst=techniek` / `herkomst=overig`
  (progression: behoud / instap);
- years as `2020-2021` (or the start year `2020`); values as percentages 0-100
  (`27`, `27,5` or `27,5%`); an empty baseline value is computed from the data.

Status rule, for a rising target (a falling one mirrors it): `behaald` when the latest
realised value reaches the target value; `op koers` when it is at or above the straight
trajectory from baseline to target for that year; `achter` when below it; `geen data` when
there is no baseline or latest value, or the latest value is suppressed (small numbers).
A target is a minimum to reach, unless the file states a baseline value above the target:
then it is a falling target (reach at most the target value).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from sto_metrics import published, schoolyear
from sto_metrics.errors import UserError
from sto_metrics.metrics import calculations, catalog, registry
from sto_metrics.paths import DATA_DIR
from sto_metrics.presentation import tabular
from sto_metrics.settings import MetricSettings

DEFAULT_TARGETS = DATA_DIR / "ambities.csv"
TARGETS_ENV = "STO_AMBITIES"


def targets_path() -> Path:
    """The region's ambitions file: STO_AMBITIES, else data/ambities.csv."""
    return Path(os.environ.get(TARGETS_ENV) or DEFAULT_TARGETS)
FILE_COLUMNS = ["metric", "scope", "split", "baseline_year", "baseline_value", "target_year", "target_value", "note"]
OUTPUT_COLUMNS = [
    "metric", "scope", "split", "baseline_year", "baseline_value", "target_year", "target_value",
    "latest_year", "latest_value", "trajectory_value", "status",
]
DETAIL_COLUMNS = ["scope_name", "latest_ci_low", "latest_ci_high", "needed_per_year", "note"]

STATUSES = ["behaald", "op koers", "achter", "geen data"]
STATUS_RULE_NL = (
    "Status: 'behaald' als de laatste gerealiseerde waarde de streefwaarde haalt; 'op koers' als zij op of boven "
    "de rechte lijn van nulmeting naar streefwaarde voor dat jaar ligt; 'achter' als zij daaronder ligt; 'geen data' "
    "als er geen nulmeting of recente waarde is, of als de waarde wegens kleine aantallen is afgeschermd. "
    "Een streefwaarde is een minimum, tenzij het bestand een hogere nulmetingswaarde noemt: dan is het een "
    "dalend doel en geldt het omgekeerde."
)


@dataclass(frozen=True)
class Ambition:
    metric: str
    scope: str
    split: str  # '' or 'field=value'
    baseline_year: int
    baseline_value: float | None  # fraction 0..1
    target_year: int
    target_value: float  # fraction 0..1
    note: str = ""


# ---------------------------------------------------------------------------- reading and validating

def parse_percentage(value: object) -> float | None:
    """'27', '27,5', '27.5%' -> 0.27, 0.275; None when empty; ValueError when not a number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | float):
        return float(value) / 100
    text = str(value).strip().rstrip("%").strip().replace(",", ".")
    if not text:
        return None
    return float(text) / 100


def read_targets(path: str | Path | None = None) -> pd.DataFrame:
    """The ambitions file as text columns (FILE_COLUMNS), exactly as the region wrote it."""
    path = Path(path) if path else targets_path()
    if not path.is_file():
        raise UserError(f"{path}: het ambitiebestand bestaat niet.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise UserError(f"{path}: het ambitiebestand is geen leesbare CSV (UTF-8, komma-gescheiden).") from None
    missing = [c for c in FILE_COLUMNS if c not in frame.columns and c not in ("split", "baseline_value", "note")]
    if missing:
        raise UserError(f"{path}: kolommen ontbreken in het ambitiebestand: {', '.join(missing)}.")
    for optional in ("split", "baseline_value", "note"):
        if optional not in frame.columns:
            frame[optional] = ""
    return frame[FILE_COLUMNS]


def validate(frame: pd.DataFrame, known_schools: set[str]) -> tuple[list[Ambition], list[str]]:
    """Parsed ambitions and Dutch messages for every invalid row (row numbers as in the file, header = 1)."""
    ambitions: list[Ambition] = []
    errors: list[str] = []
    seen: dict[tuple, int] = {}
    for index, row in enumerate(frame.fillna("").astype(str).to_dict("records")):
        line = index + 2
        problems = []
        metric = row["metric"].strip()
        scope = row["scope"].strip()
        split = row["split"].strip().replace(" ", "")
        targets = registry.ambition_metrics()
        if metric not in targets:
            problems.append(f"onbekende indicator '{metric}' (kies uit {', '.join(targets)})")
        if scope != registry.REGION_SCOPE and scope not in known_schools:
            problems.append(f"onbekende school '{scope}' (gebruik 'regio' of een vestigingscode uit de gegevens)")
        if split and metric in targets:
            field, _, value = split.partition("=")
            allowed = {b.name: b.values for b in targets[metric].breakdowns}
            if field not in allowed or value not in allowed[field]:
                options = ", ".join(f"{f}={v}" for f, values in allowed.items() for v in values) or "geen"
                problems.append(f"onbekende uitsplitsing '{split}' (kies uit {options})")
        baseline_year, target_year = schoolyear.parse(row["baseline_year"]), schoolyear.parse(row["target_year"])
        if baseline_year is None:
            problems.append("nulmetingsjaar ontbreekt of is geen schooljaar (zoals 2020-2021)")
        if target_year is None:
            problems.append("doeljaar ontbreekt of is geen schooljaar (zoals 2027-2028)")
        if baseline_year is not None and target_year is not None and target_year <= baseline_year:
            problems.append("het doeljaar moet na het nulmetingsjaar liggen")
        values = {}
        for column, label, required in (("baseline_value", "nulmetingswaarde", False), ("target_value", "streefwaarde", True)):
            try:
                values[column] = parse_percentage(row[column])
            except ValueError:
                problems.append(f"{label} '{row[column]}' is geen getal")
                continue
            if values[column] is None and required:
                problems.append(f"{label} ontbreekt")
            elif values[column] is not None and not 0 <= values[column] <= 1:
                problems.append(f"{label} moet tussen 0% en 100% liggen")
        key = (metric, scope, split)
        if key in seen:
            problems.append(f"dubbel: dezelfde indicator, school en uitsplitsing staan ook op regel {seen[key]}")
        seen.setdefault(key, line)
        if problems:
            errors.append(f"Regel {line}: " + "; ".join(problems) + ".")
            continue
        ambitions.append(Ambition(metric, scope, split, baseline_year, values["baseline_value"], target_year, values["target_value"], row["note"].strip()))
    return ambitions, errors


def save_targets(frame: pd.DataFrame, known_schools: set[str], path: str | Path | None = None) -> list[str]:
    """Validate and write atomically, keeping the previous file as .bak; returns errors (file untouched then)."""
    path = Path(path) if path else targets_path()
    _, errors = validate(frame, known_schools)
    if errors:
        return errors
    clean = frame[FILE_COLUMNS].fillna("").astype(str)
    # the region opens this file in Excel: a note typed as '=...' must stay text, as in every download
    clean["note"] = clean["note"].str.strip().map(tabular.safe_text)
    temporary = path.with_name(f".{path.name}.nieuw")
    try:
        temporary.unlink(missing_ok=True)  # a left-over would keep its own mode
        # 0640 whatever the umask: the region's own targets and notes
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640), "w", encoding="utf-8", newline="") as out:
            clean.to_csv(out, index=False, lineterminator="\n")
        if path.exists():
            shutil.copy2(path, path.with_name(path.name + ".bak"))
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return [f"Opslaan mislukt: {path} kon niet worden geschreven. Het bestand is niet gewijzigd."]
    return []


# ---------------------------------------------------------------------------- evaluation


def realised_series(ambition: Ambition, published_rows: pd.DataFrame) -> pd.DataFrame:
    """The realised share per school year for an ambition's scope and split, from its published table."""
    metric = registry.get(ambition.metric)
    field, _, value = ambition.split.partition("=")
    rows = published_rows[published_rows["scope"] == ambition.scope]
    selected = rows[rows[metric.breakdown(field).column].fillna("").astype(str) == value] if field else _figure_rows(rows, metric)
    shown = selected.copy()
    shown["year"] = shown["school_year"].map(schoolyear.start)
    return shown[["year", "share", "ci_low", "ci_high"]].sort_values("year").reset_index(drop=True)


def _figure_rows(rows: pd.DataFrame, metric: registry.Metric) -> pd.DataFrame:
    """The rows that carry the figure itself: no split value, and the metric's headline rows (progression's 'totaal')."""
    if "split" in rows:
        rows = rows[rows["split"].isna()]
    for column, value in metric.headline_rows.items():
        rows = rows[rows[column] == value]
    return rows


def table_key(ambition: Ambition) -> tuple[str, str, str | None]:
    """Which published table an ambition reads: (metric, by, split)."""
    metric = registry.get(ambition.metric)
    by = "regio" if ambition.scope == registry.REGION_SCOPE else "school"
    field = ambition.split.partition("=")[0]
    return metric.name, by, metric.breakdown(field).request if field else None


def trajectory(ambition: Ambition, baseline_value: float, year: int) -> float:
    """The straight line from baseline to target; the target itself from the target year on."""
    progress = min(max((year - ambition.baseline_year) / (ambition.target_year - ambition.baseline_year), 0.0), 1.0)
    return baseline_value + (ambition.target_value - baseline_value) * progress


def rising(ambition: Ambition) -> bool:
    """A target is a minimum, unless the file states a baseline value above it (a falling target)."""
    return ambition.baseline_value is None or ambition.target_value >= ambition.baseline_value


def status(ambition: Ambition, baseline_value: float | None, latest_value: float | None, latest_year: int | None) -> str:
    """docs/metrics.md, ambitions: behaald / op koers / achter / geen data (mirrored for a falling target)."""
    if baseline_value is None or latest_value is None or latest_year is None:
        return "geen data"
    sign = 1 if rising(ambition) else -1
    if sign * (latest_value - ambition.target_value) >= -1e-12:
        return "behaald"
    if sign * (latest_value - trajectory(ambition, baseline_value, latest_year)) >= -1e-12:
        return "op koers"
    return "achter"


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value) else float(value)


def evaluate_one(ambition: Ambition, published: pd.DataFrame, names: dict[str, str]) -> dict:
    """One ambition against its published table: baseline, latest, trajectory, status."""
    series = realised_series(ambition, published)
    by_year = {int(r.year): r for r in series.itertuples()}
    baseline_value = ambition.baseline_value
    if baseline_value is None and ambition.baseline_year in by_year:
        baseline_value = _number(by_year[ambition.baseline_year].share)
    known = [r for r in series.itertuples() if r.year >= ambition.baseline_year]
    latest = known[-1] if known else None
    latest_year = int(latest.year) if latest is not None else None
    latest_value = _number(latest.share) if latest is not None else None
    result = status(ambition, baseline_value, latest_value, latest_year)
    trajectory_value = trajectory(ambition, baseline_value, latest_year) if baseline_value is not None and latest_year is not None else None
    needed = None
    if result in ("op koers", "achter") and latest_year is not None and ambition.target_year > latest_year:
        needed = (ambition.target_value - latest_value) / (ambition.target_year - latest_year)
    return {
        "metric": ambition.metric,
        "scope": ambition.scope,
        "split": ambition.split,
        "baseline_year": schoolyear.label(ambition.baseline_year),
        "baseline_value": baseline_value,
        "target_year": schoolyear.label(ambition.target_year),
        "target_value": ambition.target_value,
        "latest_year": schoolyear.label(latest_year) if latest_year is not None else None,
        "latest_value": latest_value,
        "trajectory_value": trajectory_value,
        "status": result,
        "scope_name": names.get(ambition.scope, calculations.REGION_NAME if ambition.scope == registry.REGION_SCOPE else ambition.scope),
        "latest_ci_low": _number(latest.ci_low) if latest is not None and latest_value is not None else None,
        "latest_ci_high": _number(latest.ci_high) if latest is not None and latest_value is not None else None,
        "needed_per_year": needed,
        "note": ambition.note,
    }


def known_schools(con: duckdb.DuckDBPyConnection) -> set[str]:
    """School ids with vo data (the scopes an ambition may name)."""
    return set(catalog.school_ids(con))


def evaluate_with_series(con: duckdb.DuckDBPyConnection, targets: pd.DataFrame | str | Path | None = None,
                         settings: MetricSettings | None = None) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Every valid ambition with its status, and per ambition its published realised series (for charts)."""
    frame = targets if isinstance(targets, pd.DataFrame) else read_targets(targets)
    parsed, errors = validate(frame, known_schools(con))
    if errors:
        raise UserError("Het ambitiebestand bevat fouten:\n" + "\n".join(errors))
    names = calculations.school_names(con)
    tables: dict[tuple, pd.DataFrame] = {}
    rows, series = [], []
    for ambition in parsed:
        key = table_key(ambition)
        if key not in tables:
            metric, by, split = key
            tables[key] = published.table(con, metric, by=by, split=split, settings=settings or MetricSettings())
        rows.append(evaluate_one(ambition, tables[key], names))
        series.append(realised_series(ambition, tables[key]))
    return pd.DataFrame(rows, columns=OUTPUT_COLUMNS + DETAIL_COLUMNS), series


def evaluate(con: duckdb.DuckDBPyConnection, targets: pd.DataFrame | str | Path | None = None,
             settings: MetricSettings | None = None) -> pd.DataFrame:
    """Every valid ambition with its realised value and status; UserError listing invalid rows."""
    return evaluate_with_series(con, targets, settings)[0]
