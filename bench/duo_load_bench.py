"""DUO load benchmark: loading a full-country year of DUO file 1 (about 3,000 vestigingen) against the floor, a bare
DuckDB read of the same file (every cell as text).

    python bench/duo_load_bench.py [--vestigingen 3000] [--repeat 3]

Prints the file size, rows, the load time (header recognition, staging, unpivot, '<5' bounds, profile lookup, one
transaction), the floor and their ratio. No timing is asserted anywhere in the tests.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sto_metrics import db
from sto_metrics.demo import duo as demo_duo
from sto_metrics.loading import loader, reference


def country_file(folder: Path, vestigingen: int, year: int = 2024) -> Path:
    """A synthetic file 1 for the whole country in DUO's layout (fixed seed)."""
    rng = np.random.default_rng(2026)
    others = demo_duo._other_vestigingen(rng, vestigingen)
    path = folder / f"01-leerlingen-vo-per-vestiging-naar-onderwijstype-{year}.csv"
    path.write_text("\n".join(demo_duo.pupil_file_lines(demo_duo.pupil_rows(rng, others), year)) + "\n", encoding="utf-8")
    return path


def best_of(repeat: int, action) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vestigingen", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="duo-bench-") as folder:
        path = country_file(Path(folder), args.vestigingen)
        data = path.read_bytes()

        def load_once():
            con = reference.open_database()  # a fresh in-memory database each time: the same file again would be refused
            try:
                result = loader.load_bytes(con, path.name, data, source_path=path)
                assert result.loaded, result.messages
                return result
            finally:
                con.close()

        def floor_once():
            con = db.connect()
            try:
                db.execute(con, "duo_read_floor", path=str(path))
                return None
            finally:
                con.close()

        load_seconds, result = best_of(args.repeat, load_once)
        floor_seconds, _ = best_of(args.repeat, floor_once)
    print(f"DUO file 1, {args.vestigingen} vestigingen: {len(data) / 1e6:.1f} MB, {result.rows_read} rows, {result.rows_loaded} cells stored")
    print(f"  load (recognise, stage, unpivot, bounds, profiles, store): {load_seconds:.2f} s")
    print(f"  floor (bare DuckDB read of the same file):                  {floor_seconds:.2f} s")
    print(f"  ratio load / floor: {load_seconds / floor_seconds:.1f}x")


if __name__ == "__main__":
    main()
