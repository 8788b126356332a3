"""The metric commands' output on the demo database, kept as files so a refactoring can prove it changed no figure.

`python -m tests.golden_cli` rewrites tests/golden/cli/*.csv (only when a figure is meant to change, say why in the
commit); tests/test_cli_golden.py runs the same commands and compares byte for byte.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from sto_metrics.cli import main

GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "cli"

FLOW_START = 2022  # leerjaar 2 in 2022-2023: the latest start year with a destination stage in the demo
SETTINGS = {"standaard": [], "dp": ["--dp-technical"], "n": ["--havo-vwo-technical", "n"], "alle": ["--over-all-graduates"]}


def invocations() -> dict[str, list[str]]:
    """file stem -> command-line arguments (without --db) of every existing metric command variant kept."""
    found: dict[str, list[str]] = {}
    for command in ("inflow", "destinations", "progression"):
        for level in ("vmbo", "havo-vwo"):
            for by in ("regio", "school"):
                splits = [None, "geslacht", "leerweg"] if command == "inflow" else [None]
                for split in splits:
                    for setting, flags in SETTINGS.items():
                        relevant = {"dp": level == "vmbo", "n": level == "havo-vwo", "alle": command == "progression" and level == "vmbo"}
                        if setting != "standaard" and not relevant[setting]:
                            continue
                        for raw in (False, True):
                            args = [command, "--level", level, "--by", by, *flags]
                            if split:
                                args += ["--split", split]
                            if raw:
                                args.append("--raw")
                            stem = "_".join(filter(None, [command, level, by, split, setting, "raw" if raw else None]))
                            found[stem] = args
    # the cohort flow from the Doorstroom page's default start year: region and every school, both D&P settings
    for by in ("regio", "school"):
        for setting, flags in (("standaard", []), ("dp", ["--dp-technical"])):
            for raw in (False, True):
                stem = "_".join(filter(None, ["cohort-flow", str(FLOW_START), by, setting, "raw" if raw else None]))
                found[stem] = ["cohort-flow", "--start", str(FLOW_START), "--by", by, *flags, *(["--raw"] if raw else [])]
    return found


def run(args: list[str], database: Path) -> bytes:
    """The command's standard output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*args, "--db", str(database)])
    if code != 0:
        raise RuntimeError(f"{args} exited {code}")
    return out.getvalue().encode("utf-8")


def write_all(database: Path) -> None:
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for stem, args in invocations().items():
        (GOLDEN_DIR / f"{stem}.csv").write_bytes(run(args, database))


if __name__ == "__main__":
    from sto_metrics.demo import prebuilt

    write_all(prebuilt.ensure_demo_database())
