"""Writing metric tables: csv, json and a readable table; safe to open in Excel.

Shared by the command line, the dashboard's downloads and the reports. Counts are written as
integers or as the suppression marker ('<5'); hidden counts and shares are empty (null in JSON);
shares are fractions 0..1 with '.' as the decimal point.
"""

from __future__ import annotations

import json
import math
from typing import TextIO

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHARE_DECIMALS = 6


def safe_text(value: str) -> str:
    """A text cell that Excel will not run as a formula: a leading apostrophe before = + - @ tab CR."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def cell_value(value):
    """One cell as a plain Python value for output: int, float (rounded), safe str or None."""
    if _is_missing(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return int(value)
    if isinstance(value, float) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"):
        return round(float(value), SHARE_DECIMALS)
    return safe_text(str(value))


def records(table: pd.DataFrame) -> list[dict]:
    """The table as a list of {column: value} with output-safe values."""
    columns = [str(c) for c in table.columns]
    return [{column: cell_value(value) for column, value in zip(columns, row, strict=True)} for row in table.itertuples(index=False)]


def safe_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of the table with every text cell made formula-safe (for xlsx/csv downloads)."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("str", "string"):
            out[column] = out[column].map(lambda v: safe_text(v) if isinstance(v, str) else v)
    out.columns = [safe_text(str(c)) for c in out.columns]
    return out


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.{SHARE_DECIMALS}f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(value)


def _csv_field(text: str) -> str:
    # quoted when it holds a separator, a quote or any line break (csv.writer leaves a lone CR bare)
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def to_csv(table: pd.DataFrame) -> str:
    """CSV text with a header row, ',' separator, '.' decimal point, '\\n' line ends."""
    lines = [",".join(_csv_field(safe_text(str(c))) for c in table.columns)]
    lines.extend(",".join(_csv_field(_csv_text(v)) for v in row.values()) for row in records(table))
    return "\n".join(lines) + "\n"


def to_json(table: pd.DataFrame) -> str:
    """JSON: a list of objects with the table's column names as keys."""
    return json.dumps(records(table), ensure_ascii=False, indent=1) + "\n"


def to_table(table: pd.DataFrame) -> str:
    """A readable fixed-width table (shares as percentages, hidden cells as '-')."""
    rows = records(table)
    columns = [str(c) for c in table.columns]
    share_columns = {"share", "ci_low", "ci_high"}

    def show(column, value):
        if value is None:
            return "-"
        if column in share_columns and isinstance(value, float):
            return f"{value * 100:.1f}%"
        return str(value)

    cells = [[show(c, row[c]) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [all(r[i] == "-" or r[i].replace("%", "").replace(".", "").replace("<", "").isdigit() for r in cells) and cells for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append("  ".join((v.rjust(w) if numeric[i] else v.ljust(w)) for i, (v, w) in enumerate(zip(r, widths, strict=True))).rstrip())
    return "\n".join(lines) + "\n"


WRITERS = {"csv": to_csv, "json": to_json, "table": to_table}


def write(table: pd.DataFrame, fmt: str, stream: TextIO) -> None:
    """Write the table to `stream` as 'csv', 'json' or 'table'."""
    stream.write(WRITERS[fmt](table))
