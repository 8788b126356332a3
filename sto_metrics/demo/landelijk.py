"""The landelijk scale: national size, one clean shape, one file per school year and kind.

About a million vo pupils per school year, 2018-2019 .. 2025-2026, written in chunks with
bounded memory (for benchmarks).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sto_metrics.demo.common import MANIFEST_NAME, _format_year, _nl, _read_csv
from sto_metrics.demo.model import GENDERS, HO_PROGRAMMES, MBO_PROGRAMMES, PROFILES, _Keys, _Simulation, _World, _year_ranges
from sto_metrics.demo.regio import EDU_VMBO_DASH

LANDELIJK_PUPILS_PER_YEAR = 210_000  # leerjaar-1 intake; about 1 million vo pupils per school year
CHUNK_ROWS = 250_000


def _canonical_headers() -> dict[str, dict[str, str]]:
    """Per kind, field -> the first (canonical) alias in column_aliases.csv."""
    out: dict[str, dict[str, str]] = {"vo": {}, "mbo": {}, "ho": {}}
    for row in _read_csv("column_aliases.csv"):
        first = row["aliases"].split("|")[0]
        for kind in out if row["kind"] == "*" else [row["kind"]]:
            if kind in out:  # the exports' kinds only, not the activities register's
                out[kind].setdefault(row["field"], first)
    return out


def _location_ids(first_two: int, n: int) -> list[str]:
    """Fictional location ids: two digits, two letters, '00' (e.g. 40AB00)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [f"{first_two + i // 676:02d}{letters[i // 26 % 26]}{letters[i % 26]}00" for i in range(n)]


def _landelijk_world(rng: np.random.Generator, pupils_per_year: int) -> tuple[_World, list[str], list[str], list[str]]:
    n_schools = max(12, round(pupils_per_year / 140))
    kind = rng.choice(3, n_schools, p=(0.35, 0.30, 0.35))  # vmbo, havo/vwo, both
    patterns = np.array([(0.25, 0.28, 0.10, 0.37, 0, 0), (0, 0, 0, 0, 0.52, 0.48), (0.08, 0.12, 0.08, 0.32, 0.22, 0.18)])
    intake = patterns[kind] * rng.lognormal(0.0, 0.45, n_schools)[:, None] * rng.uniform(0.7, 1.3, (n_schools, 6))
    intake *= pupils_per_year / intake.sum()
    n_mbo = max(2, round(pupils_per_year / 3500))
    n_hbo, n_wo = max(1, round(pupils_per_year / 6000)), max(1, round(pupils_per_year / 15000))
    home = (np.arange(n_schools) % n_mbo).astype(np.int16)
    world = _World(
        first_year=2018,
        last_year=2025,
        burn_in=10,
        intake=intake,
        school_tech=rng.lognormal(0.0, 0.3, n_schools),
        mbo_home=home,
        mbo_techcol=((home + 1) % n_mbo).astype(np.int16),
        n_hbo=n_hbo,
        n_wo=n_wo,
        outsider_mbo=0.03,
        outsider_ho=0.05,
    )
    vo_ids = _location_ids(40, n_schools)
    mbo_ids = _location_ids(26, n_mbo)
    ho_ids = _location_ids(22, n_hbo) + _location_ids(23, n_wo)
    return world, vo_ids, mbo_ids, ho_ids


def _labelled(labels: list[str], codes: np.ndarray):
    """A pandas Categorical for `labels[codes]` (labels may repeat)."""
    import pandas as pd

    uniq, inverse = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes], categories=list(uniq))


def _write_chunked(path: Path, header: list[str], n: int, build: Callable[[slice], dict]) -> int:
    """Write `n` rows in chunks; `build(slice)` returns the columns of one chunk. Returns bytes written."""
    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(";".join(header) + "\n")
        for begin in range(0, n, CHUNK_ROWS):
            frame = pd.DataFrame(build(slice(begin, min(n, begin + CHUNK_ROWS))))
            frame.to_csv(handle, sep=";", header=False, index=False, lineterminator="\n")
    return path.stat().st_size


def _write_landelijk(out: Path, seed: int, pupils_per_year: int, progress: Callable[[str], None] | None) -> dict:
    seeds = np.random.SeedSequence(seed).spawn(3)
    rng_sim, rng_keys, rng_world = (np.random.default_rng(s) for s in seeds)
    world, vo_ids, mbo_ids, ho_ids = _landelijk_world(rng_world, pupils_per_year)
    keys = _Keys(rng_keys)
    headers = _canonical_headers()
    files: list[dict] = []

    def say(message: str) -> None:
        if progress:
            progress(message)

    vo_fields = ("pupil_key", "school_year", "school", "education", "leerjaar", "profile", "gender", "diploma")
    vo_header = [headers["vo"][f] for f in vo_fields]
    education = [EDU_VMBO_DASH[t] for t in range(6)]
    profiles = list(PROFILES)

    def emit_vo(year: int, rows: dict[str, np.ndarray]) -> None:
        label = _format_year(year, "2023-2024")
        n = rows["pupil"].size

        def build(part: slice) -> dict:
            return {
                "k": keys(rows["pupil"][part]),
                "y": label,
                "s": _labelled(vo_ids, rows["school"][part]),
                "e": _labelled(education, rows["track"][part]),
                "l": rows["leerjaar"][part],
                "p": _labelled(profiles, rows["profile"][part]),
                "g": _labelled(list(GENDERS), rows["gender"][part]),
                "d": _labelled(["", "nee", "ja"], rows["diploma"][part] + 1),
            }

        name = f"vo/vo_{label}.csv"
        size = _write_chunked(out / name, vo_header, n, build)
        files.append({"path": name, "kind": "vo", "school_year": label, "data_rows": n, "bytes": size})
        say(f"  vo {label}: {_nl(n)} rijen")

    sim = _Simulation(world, rng_sim, emit_vo)
    sim.run()

    years = list(range(world.first_year, world.last_year + 1))
    mbo, ho = sim.mbo.arrays(), sim.ho.arrays()
    mbo_fields = ("pupil_key", "school_year", "institution", "programme_code", "programme_name", "level", "route", "sector")
    ho_fields = ("pupil_key", "school_year", "institution", "programme_code", "programme_name", "ho_type", "sector")
    for kind, enrol, fields in (("mbo", mbo, mbo_fields), ("ho", ho, ho_fields)):
        header = [headers[kind][f] for f in fields]
        for year in years:
            label = _format_year(year, "2023-2024")
            sel = _year_ranges(enrol, year)
            sel = sel[np.lexsort((enrol["programme"][sel], enrol["pupil"][sel]))]

            def build(part: slice, sel=sel, kind=kind, enrol=enrol, label=label) -> dict:
                idx = sel[part]
                prog = enrol["programme"][idx]
                columns = {"k": keys(enrol["pupil"][idx]), "y": label}
                if kind == "mbo":
                    columns["i"] = _labelled(mbo_ids, enrol["institution"][idx])
                    columns["c"] = _labelled([p[0] for p in MBO_PROGRAMMES], prog)
                    columns["n"] = _labelled([p[1] for p in MBO_PROGRAMMES], prog)
                    columns["l"] = _labelled([str(p[2]) for p in MBO_PROGRAMMES], prog)
                    columns["r"] = _labelled(["BOL", "BBL"], enrol["route"][idx])
                    columns["s"] = _labelled([p[3] for p in MBO_PROGRAMMES], prog)
                else:
                    columns["i"] = _labelled(ho_ids, enrol["institution"][idx])
                    columns["c"] = _labelled([p[0] for p in HO_PROGRAMMES], prog)
                    columns["n"] = _labelled([p[1] for p in HO_PROGRAMMES], prog)
                    columns["t"] = _labelled([p[3] for p in HO_PROGRAMMES], prog)
                    columns["s"] = _labelled([p[4] for p in HO_PROGRAMMES], prog)
                return columns

            name = f"{kind}/{kind}_{label}.csv"
            size = _write_chunked(out / name, header, sel.size, build)
            files.append({"path": name, "kind": kind, "school_year": label, "data_rows": int(sel.size), "bytes": size})
            say(f"  {kind} {label}: {_nl(int(sel.size))} rijen")

    for entry in files:
        entry.update({"delimiter": ";", "encoding": "utf-8", "bom": False, "line_ending": "LF", "year_format": "2023-2024"})
    rows_by_kind = {kind: sum(f["data_rows"] for f in files if f["kind"] == kind) for kind in ("vo", "mbo", "ho")}
    manifest = {
        "generator": "sto_metrics.demo",
        "seed": seed,
        "scale": "landelijk",
        "pupils_per_year": pupils_per_year,
        "school_years": [_format_year(y, "2023-2024") for y in years],
        "note": (
            "Fictieve landelijke set voor prestatietests: één nette vorm (UTF-8, puntkomma, standaardkoppen uit column_aliases.csv), "
            "één bestand per soort en schooljaar. Scholen en instellingen staan niet in schools.csv; codes zijn fictief."
        ),
        "headers": {"vo": vo_header, "mbo": [headers["mbo"][f] for f in mbo_fields], "ho": [headers["ho"][f] for f in ho_fields]},
        "files": files,
        "problems": [],
        "problem_counts": {},
        "rows": rows_by_kind,
        "facts": {"vo_schools": len(vo_ids), "mbo_institutions": len(mbo_ids), "ho_institutions": len(ho_ids)},
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return {
        "out": str(out),
        "seed": seed,
        "scale": "landelijk",
        "files": {kind: sum(1 for f in files if f["kind"] == kind) for kind in ("vo", "mbo", "ho")},
        "rows": rows_by_kind,
        "problems": {},
        "bytes": sum(f["bytes"] for f in files),
    }
