"""The demo region's activities: a register and participant lists (docs/data-contract.md, activities).

A technology week for primary pupils (groep 7/8, head counts only), a Techcarrousel in vmbo leerjaar 2 and
meeloopdagen at the mbo college. Schools start the Techcarrousel in different years (some never), so the
before/after chart has something to show. Three schools keep participant lists; on them, pupils who go on to
choose a technical profile in leerjaar 3 took part a little more often, so the comparison shows a difference
(as self-selection would make it in real data). Each list carries one deliberate problem, recorded in the manifest.
"""

from __future__ import annotations

import hashlib

import numpy as np

from sto_metrics.demo.common import _format_year
from sto_metrics.demo.model import PROFILE_TECH, TL, V

FOLDER = "activiteiten"
REGISTER = f"{FOLDER}/activiteiten.csv"
PRIMARY_SCHOOLS = ("OBS De Linde", "Basisschool Het Anker", "CBS De Regenboog", "IKC De Zaanpoort", "Basisschool De Vlinder")
# vo school -> first school year of its Techcarrousel (None: never); lists are kept by the first three.
TECHCARROUSEL_START = {"31XA00": 2019, "31XB00": 2020, "31XG00": 2019, "31XC00": 2022, "31XC01": 2021, "31XF00": None, "31XJ00": None}
LIST_SCHOOLS = ("31XA00", "31XB00", "31XG00")
FIRST_YEAR = 2019
# The chance to take part for pupils who later choose a technical profile / the others.
CARROUSEL_P = (0.92, 0.78)
MEELOOP_P = (0.35, 0.12)
FAKE_NAMES = ("Sem", "Noor", "Daan", "Emma", "Lucas", "Julia", "Finn", "Tess", "Milan", "Sara")
NOT_FOUND_KEY = "099999999"  # below every demo key (9 digits from 100000000): never a vo pupil
REGISTER_HEADER = ["activiteit_id", "naam", "soort", "schooljaar", "datum", "school", "leerjaar", "deelnemers", "meisjes"]


def _later_technical(vo_rows: dict[str, np.ndarray]) -> dict[int, bool]:
    """pupil -> technical profile in their (first) vmbo leerjaar-3 year."""
    in_lj3 = np.flatnonzero((vo_rows["track"] <= TL) & (vo_rows["leerjaar"] == 3))
    technical = PROFILE_TECH[vo_rows["profile"][in_lj3]]
    found: dict[int, bool] = {}
    for pupil, tech in zip(vo_rows["pupil"][in_lj3].tolist(), technical.tolist(), strict=True):
        found.setdefault(pupil, bool(tech))
    return found


def _entry(path: str, kind: str, data: bytes, rows: int, header: list[str]) -> dict:
    return {"path": path, "kind": kind, "delimiter": ";", "encoding": "utf-8", "bom": False, "line_ending": "LF", "title_line": None,
            "header_line_number": 1, "header": header, "data_rows": rows,
            "lines": data.count(b"\n"), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def activity_files(vo_rows: dict[str, np.ndarray], school_ids: list[str], keys, rng: np.random.Generator,
                   last_year: int) -> tuple[list[tuple[str, bytes, dict]], list[dict]]:
    """The register and participant lists as (path, bytes, manifest entry), and the deliberate problems."""
    later_technical = _later_technical(vo_rows)
    register: list[list[str]] = []
    lists: dict[str, list[tuple[str, int]]] = {school: [] for school in LIST_SCHOOLS}  # school -> (activity id, pupil)
    number = 0
    for year in range(FIRST_YEAR, last_year + 1):
        label = _format_year(year, "2023-2024")
        for primary in PRIMARY_SCHOOLS[: 3 + (year >= 2021) + (year >= 2023)]:
            number += 1
            participants = int(rng.integers(38, 62))
            register.append([f"TW{number:03d}", "Techniekweek groep 7/8", "Week van de techniek", label, f"{8 + number % 5:02d}-10-{year}",
                             primary, "8", str(participants), str(int(rng.binomial(participants, 0.48)))])
        for school, start in TECHCARROUSEL_START.items():
            if start is None or year < start:
                continue
            in_lj2 = np.flatnonzero((vo_rows["year"] == year) & (vo_rows["school"] == school_ids.index(school))
                                    & (vo_rows["track"] <= TL) & (vo_rows["leerjaar"] == 2))
            for kind, name, chances, month in (("techcarrousel", "Techcarrousel", CARROUSEL_P, 11), ("meeloopdag", "Meeloopdag mbo-college", MEELOOP_P, 3)):
                if kind == "meeloopdag" and year < start + 1:
                    continue  # the meeloopdagen follow a year after the carrousel
                number += 1
                activity_id = f"{'TC' if kind == 'techcarrousel' else 'MD'}{number:03d}"
                pupils = vo_rows["pupil"][in_lj2]
                technical = np.array([later_technical.get(int(p), False) for p in pupils], dtype=bool)
                chance = np.where(technical, chances[0], chances[1])
                took_part = rng.random(pupils.size) < chance
                girls = int((vo_rows["gender"][in_lj2][took_part] == V).sum())
                date = f"{12 + number % 10:02d}-{month:02d}-{year + (month < 8)}"
                register.append([activity_id, name, kind, label, date, school, "2", str(int(took_part.sum())), str(girls)])
                if school in lists:
                    lists[school] += [(activity_id, int(p)) for p in pupils[took_part]]
    register_data = _csv([REGISTER_HEADER, *register])
    files = [(REGISTER, register_data, _entry(REGISTER, "activiteiten", register_data, len(register), REGISTER_HEADER))]
    problems: list[dict] = []
    for index, school in enumerate(LIST_SCHOOLS):
        path = f"{FOLDER}/deelnemers_{school}.csv"
        pupil_keys = keys(np.array([pupil for _a, pupil in lists[school]], dtype=np.int64)).tolist()
        rows = [[activity_id, str(key)] for (activity_id, _p), key in zip(lists[school], pupil_keys, strict=True)]
        header = ["activiteit_id", "leerlingnummer"]
        if index == 0:  # the school's system pads keys with a zero, one pupil is listed twice
            rows = [[a, f"0{k}"] for a, k in rows]
            rows.insert(10, list(rows[3]))
            problems.append({"kind": "dubbele_leerling", "count": 1, "lines": [12], "file": path,
                             "toelichting": "Dezelfde leerling staat twee keer op de lijst van dezelfde activiteit; de lader telt hem één keer."})
        elif index == 1:  # a name column that must not be stored
            header = ["activiteit_id", "leerlingnummer", "naam"]
            rows = [[*row, FAKE_NAMES[i % len(FAKE_NAMES)]] for i, row in enumerate(rows)]
            problems.append({"kind": "identificerende_kolom", "count": 1, "lines": [1], "columns": ["naam"], "file": path,
                             "toelichting": "Een kolom met (fictieve) voornamen; de lader moet hem weglaten en dat melden."})
        data = _csv([header, *rows, *([[rows[-1][0], NOT_FOUND_KEY]] if index == 2 else [])])
        entry = _entry(path, "deelnemerslijst", data, len(rows) + (index == 2), header)
        if index == 2:  # a participant from outside the region's vo data: the data-quality report counts it
            entry["niet_gevonden"] = {"count": 1, "lines": [len(rows) + 2], "toelichting": "Een leerlingnummer dat in geen vo-export staat."}
        files.append((path, data, entry))
    return files, problems


def _csv(rows: list[list[str]]) -> bytes:
    return "".join(";".join(row) + "\n" for row in rows).encode("utf-8")
