"""Synthetic demo region: vo, mbo and ho enrolment exports (docs/command-line.md, `demo`).

Two scales share one behavioural model (model.py):

- ``regio`` (regio.py): the fictional Zaanstreek region of data/reference/schools.csv, school
  years 2017-2018 .. 2025-2026, about 2,000 pupils per year group. Every vo school file has
  its own real-world shape (delimiter, encoding, headers, value spellings) and a handful of
  deliberate, exactly recorded data problems (MANIFEST.json).
- ``landelijk`` (landelijk.py): about a million vo pupils per school year, 2018-2019 ..
  2025-2026, written per school year and kind in one clean shape, with bounded memory (for
  benchmarks).

This module holds the entry point write_demo (the command line: sto_metrics/cli/demo.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sto_metrics.demo.common import MANIFEST_NAME
from sto_metrics.demo.landelijk import LANDELIJK_PUPILS_PER_YEAR, _write_landelijk
from sto_metrics.demo.regio import _write_regio
from sto_metrics.errors import UserError

SCALES = ("regio", "landelijk")


def _prepare_out(out: Path) -> None:
    """Refuse a file or a folder with foreign files; clear an earlier demo in the same folder."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is een bestaand bestand. Geef een map op (bestaand en leeg, of nieuw).")
    if out.is_dir():
        present = sorted(p for p in out.rglob("*") if p.is_file())
        if present:
            manifest = out / MANIFEST_NAME
            if not manifest.is_file():
                raise UserError(f"De map {out} is niet leeg en bevat geen eerdere demo (MANIFEST.json). Kies een lege of nieuwe map.")
            try:
                listed = {(out / entry["path"]).resolve() for entry in json.loads(manifest.read_text(encoding="utf-8"))["files"]}
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise UserError(f"De map {out} bevat een onleesbaar MANIFEST.json. Kies een lege of nieuwe map.") from error
            foreign = [p for p in present if p.resolve() not in listed and p != manifest]
            if foreign:
                raise UserError(
                    f"De map {out} bevat {len(foreign)} bestand(en) die niet bij de eerdere demo horen (bijv. {foreign[0].name}). "
                    "Kies een lege of nieuwe map."
                )
            for path in present:
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def write_demo(
    out_dir: Path,
    seed: int = 2026,
    scale: str = "regio",
    *,
    pupils_per_year: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Write a synthetic region to `out_dir`; returns a summary (files, rows, problems by kind).

    `pupils_per_year` (leerjaar-1 intake) overrides the scale's size; meant for tests.
    """
    if scale not in SCALES:
        raise UserError(f"Onbekende schaal '{scale}'. Kies regio of landelijk.")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise UserError("--seed moet een geheel getal van 0 of groter zijn.")
    if pupils_per_year is not None and pupils_per_year < 100:
        raise UserError("Het aantal leerlingen per jaar moet minstens 100 zijn.")
    out = Path(out_dir)
    try:
        _prepare_out(out)
        if scale == "regio":
            return _write_regio(out, seed, pupils_per_year or 2000)
        return _write_landelijk(out, seed, pupils_per_year or LANDELIJK_PUPILS_PER_YEAR, progress)
    except PermissionError as error:
        raise UserError(f"Geen schrijfrechten in {out}. Kies een andere map.") from error
    except OSError as error:
        raise UserError(f"Kan de demobestanden niet schrijven in {out} ({error.strerror or 'schrijffout'}).") from error
