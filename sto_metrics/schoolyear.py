"""School years: written '2023-2024', held as their start year 2023 (docs/metrics.md, notation)."""

from __future__ import annotations

import datetime
import math
import re

_LENIENT = re.compile(r"^\s*(\d{4})(?:\s*[-/]\s*(\d{4}|\d{2}))?\s*$")


def label(start_year: int) -> str:
    """2023 -> '2023-2024'."""
    return f"{int(start_year)}-{int(start_year) + 1}"


def start(value: object) -> int:
    """'2023-2024' (or 2023) -> 2023; ValueError for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return int(str(value).strip()[:4])


def parse(value: object) -> int | None:
    """What a person types: '2020-2021', '2020/21' or '2020' -> 2020; None when empty or not a school year."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | float):
        return int(value) if 2000 <= value < 2100 else None
    found = _LENIENT.match(str(value))
    if not found:
        return None
    first = int(found.group(1))
    if found.group(2) and int(found.group(2)) % 100 != (first + 1) % 100:
        return None
    return first if 2000 <= first < 2100 else None


def current(today: datetime.date | None = None) -> int:
    """The start year of the school year on `today` (default: now); a Dutch school year starts on 1 August."""
    today = today or datetime.date.today()
    return today.year if today.month >= 8 else today.year - 1


def latest_loadable(today: datetime.date | None = None) -> int:
    """The last school year an export may hold: the next one (enrolments for it are made before the summer)."""
    return current(today) + 1
