"""What the demo's modules share: the manifest's name, the reference CSVs, school-year labels, Dutch numbers."""

from __future__ import annotations

import csv

from sto_metrics.paths import DATA_DIR

MANIFEST_NAME = "MANIFEST.json"
REFERENCE = DATA_DIR / "reference"


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _format_year(year: int, style: str) -> str:
    return {
        "2023-2024": f"{year}-{year + 1}",
        "2023/2024": f"{year}/{year + 1}",
        "2023-24": f"{year}-{(year + 1) % 100:02d}",
        "23-24": f"{year % 100:02d}-{(year + 1) % 100:02d}",
        "2023": f"{year}",
    }[style]


def _nl(number: int) -> str:
    return f"{number:,}".replace(",", ".")
