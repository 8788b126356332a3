"""DUO-layout files for a synthetic country around the demo region (national comparison).

Written beside the region's exports under duo/: per school year the pupils per vestiging (file 1, the
older BRIN NUMMER + VESTIGINGSNUMMER key style up to 2022, INSTELLINGSCODE + VESTIGINGSCODE after), two
exam-candidate files of five school years each (file 2), per entry year the mbo entrants by prior
education (file 3) and DUO's crebo -> sectorkamer table. The region's own schools are in the files with
slightly different counts than their exports, and one school-year clearly off, so the Data page's
"DUO vs export" check has something to show. Everything here is fictional.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

import numpy as np

from sto_metrics.demo.model import MBO_PROGRAMMES, PROFILES

PROVINCES = ("Groningen", "Fryslân", "Drenthe", "Overijssel", "Flevoland", "Gelderland", "Utrecht", "Noord-Holland",
             "Zuid-Holland", "Zeeland", "Noord-Brabant", "Limburg")
REGION_PROVINCE = "Noord-Holland"
REGION_PLACE = "ZAANSTAD"
OTHER_VESTIGINGEN = 24  # two per province: enough for every area, small enough to check in
LEERWEG_LABEL = {0: "VMBO BL", 1: "VMBO KL", 2: "VMBO GL", 3: "VMBO TL"}
TL_SECTOR = {"TL_TECHNIEK": "Techniek", "TL_ZORG": "Zorg en welzijn", "TL_ECONOMIE": "Economie", "TL_LANDBOUW": "Landbouw"}
PROFILE_NAMES = {"BWI": "Bouwen, wonen en interieur", "PIE": "Produceren, installeren en energie", "MVI": "Media, vormgeving en ICT",
                 "M&T": "Mobiliteit en transport", "MaT": "Maritiem en techniek", "D&P": "Dienstverlening en producten",
                 "Z&W": "Zorg en welzijn", "E&O": "Economie en ondernemen", "HBR": "Horeca, bakkerij en recreatie", "GR": "Groen"}
EXAM_PROFILE = {"NT": "N&T", "NT/NG": "N&T / N&G", "NG": "N&G", "NG/EM": "N&G / E&M", "EM": "E&M", "EM/CM": "E&M / C&M", "CM": "C&M"}
VMBO_TECH = ("BWI", "PIE", "MVI", "M&T", "MaT")
VMBO_OTHER = ("D&P", "Z&W", "E&O", "HBR", "GR")
COUNT_HEADERS = [f"LEER- OF VERBLIJFSJAAR {j} - {g}" for j in range(1, 7) for g in ("MAN", "VROUW")]
# The one school-year whose DUO count is clearly off from the export (a missing class in the export, say).
OFF_SCHOOL, OFF_EXTRA = "31XB00", 45


@dataclass
class DuoFile:
    """A file assembled in memory with its manifest entry (the shape the demo writer expects)."""

    path: str
    data: bytes
    entry: dict


def _cell(n: int) -> str:
    return "" if n == 0 else "<5" if n < 5 else str(int(n))


def _line(cells: list[str], delimiter: str = ";") -> str:
    return delimiter.join('"' + str(c).replace('"', '""') + '"' for c in cells)


def _file(path: str, kind: str, lines: list[str], delimiter: str, *, bom: bool = False, **facts) -> DuoFile:
    data = (b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode("utf-8")
    entry = {"path": path, "kind": kind, "delimiter": delimiter, "encoding": "utf-8", "bom": bom, "line_ending": "LF",
             "header_line_number": 1, "data_rows": len(lines) - 1,
             "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), **facts}
    return DuoFile(path, data, entry)


def _other_vestigingen(rng: np.random.Generator, n: int) -> list[dict]:
    """Fictional vestigingen across the provinces: id, name, province, size per leerweg and technical odds."""
    found = []
    for i in range(n):
        province = PROVINCES[i % len(PROVINCES)]
        found.append({
            "brin": f"{60 + (i // 676) % 40:02d}{chr(65 + (i // 26) % 26)}{chr(65 + i % 26)}", "name": f"Voorbeeldcollege {i + 1} (fictief)",
            "place": f"PLAATS {i + 1}", "province": province,
            "size": rng.integers(60, 300, size=4) * (rng.random(4) < 0.8), "havo_vwo": int(rng.integers(0, 160)),
            "tech": float(np.clip(rng.normal(0.24 + 0.04 * (PROVINCES.index(province) % 3 - 1), 0.05), 0.05, 0.6)),
        })
    return found


def pupil_rows(rng: np.random.Generator, vestigingen: list[dict]) -> list[list]:
    """File-1 rows (key, name, place, province, onderwijstype, sector, afdeling, opleiding, code, 12 counts) for fictional vestigingen."""
    rows = []
    for v in vestigingen:
        brin, vest = v["brin"], "00"
        base = [brin, vest, v["name"], v["place"], v["province"]]
        for leerweg, size in enumerate(v["size"]):
            if not size:
                continue
            tech = rng.binomial(size, v["tech"])
            other = size - tech
            if leerweg == 3:  # TL: one row per sector
                profiles = [("TL_TECHNIEK", tech), *list(zip(("TL_ZORG", "TL_ECONOMIE", "TL_LANDBOUW"), rng.multinomial(other, (0.4, 0.5, 0.1)), strict=True))]
            else:
                profiles = (list(zip(VMBO_TECH, rng.multinomial(tech, (0.3, 0.3, 0.2, 0.15, 0.05)), strict=True))
                            + list(zip(VMBO_OTHER, rng.multinomial(other, (0.25, 0.3, 0.25, 0.12, 0.08)), strict=True)))
            for code, n in profiles:
                if not n:
                    continue
                counts = [0] * 12
                for lj in (3, 4):
                    total = n if lj == 3 else max(0, n + int(rng.integers(-3, 2)))
                    girls = int(rng.binomial(total, 0.3 if code in (*VMBO_TECH, "TL_TECHNIEK") else 0.6))
                    counts[(lj - 1) * 2], counts[(lj - 1) * 2 + 1] = total - girls, girls
                if leerweg == 3:
                    rows.append([*base, f"{LEERWEG_LABEL[leerweg]} lj 3-4", TL_SECTOR[code], "", "VMBO TL", "", *counts])
                else:
                    rows.append([*base, f"{LEERWEG_LABEL[leerweg]} lj 3-4", "", PROFILE_NAMES[code], f"{LEERWEG_LABEL[leerweg]} {code}", "", *counts])
        lower = int(v["size"].sum() + v["havo_vwo"])
        rows.append([*base, "Brugjaar 1-2", "", "", "Brugjaar", "", lower // 2, lower - lower // 2, lower // 2, lower - lower // 2, *([0] * 8)])
        if v["havo_vwo"]:
            hv = v["havo_vwo"]
            rows.append([*base, "HAVO/VWO lj 3", "", "", "HAVO/VWO", "", 0, 0, 0, 0, hv // 2, hv - hv // 2, *([0] * 6)])
    return rows


def pupil_file_lines(rows: list[list], year: int) -> list[str]:
    """File 1 as lines: the key columns of the year's style, counts written as DUO does ('<5', empty for 0)."""
    keys = ["BRIN NUMMER", "VESTIGINGSNUMMER"] if year <= 2022 else ["INSTELLINGSCODE", "VESTIGINGSCODE"]
    header = [*keys, "INSTELLINGSNAAM VESTIGING", "PLAATSNAAM VESTIGING", "PROVINCIE VESTIGING",
              "ONDERWIJSTYPE VO EN LEER- OF VERBLIJFSJAAR", "VMBO SECTOR", "AFDELING", "OPLEIDINGSNAAM", "ELEMENTCODE", *COUNT_HEADERS]
    return [_line(header)] + [_line([*row[:10], *(_cell(int(n)) for n in row[10:])]) for row in rows]


def _region_pupil_rows(vo_rows: dict, year: int, school_ids: list[str], names: dict[str, str], rng: np.random.Generator,
                       last_year: int) -> list[list]:
    """The region's own schools as DUO counts them: the exports' leerjaar 3-4 pupils, a pupil more or less here and there."""
    rows = []
    in_year = vo_rows["year"] == year
    for s, school_id in enumerate(school_ids):
        mine = in_year & (vo_rows["school"] == s)
        base = [school_id[:4], school_id[4:], names.get(school_id, school_id), REGION_PLACE, REGION_PROVINCE]
        for leerweg in range(4):
            cell = mine & (vo_rows["track"] == leerweg) & np.isin(vo_rows["leerjaar"], (3, 4))
            for profile in np.unique(vo_rows["profile"][cell]):
                code = PROFILES[int(profile)]
                counts = [0] * 12
                for lj in (3, 4):
                    sel = cell & (vo_rows["profile"] == profile) & (vo_rows["leerjaar"] == lj)
                    girls = int((sel & (vo_rows["gender"] == 1)).sum())
                    boys = int(sel.sum()) - girls  # DUO: man/vrouw; X counted with man
                    boys = max(0, boys + int(rng.choice((-1, 0, 0, 0, 1))))  # enrolments on 1 October, not linked pupils
                    counts[(lj - 1) * 2], counts[(lj - 1) * 2 + 1] = boys, girls
                if school_id == OFF_SCHOOL and year == last_year and leerweg == 0 and code == "PIE":
                    counts[4] += OFF_EXTRA
                if leerweg == 3:
                    rows.append([*base, f"{LEERWEG_LABEL[leerweg]} lj 3-4", TL_SECTOR.get(code, ""), "", "VMBO TL", "", *counts])
                else:
                    rows.append([*base, f"{LEERWEG_LABEL[leerweg]} lj 3-4", "", PROFILE_NAMES.get(code, ""), f"{LEERWEG_LABEL[leerweg]} {code}".strip(), "", *counts])
        lower = mine & (vo_rows["leerjaar"] <= 2)
        if lower.any():
            counts = [int((lower & (vo_rows["leerjaar"] == lj) & (vo_rows["gender"] == g)).sum()) for lj in (1, 2) for g in (0, 1)]
            rows.append([*base, "Brugjaar 1-2", "", "", "Brugjaar", "", *counts, *([0] * 8)])
        for track, label, years in ((4, "HAVO lj 4-5", (4, 5)), (5, "VWO lj 4-6", (4, 5, 6))):
            sel = mine & (vo_rows["track"] == track)
            if (sel & np.isin(vo_rows["leerjaar"], years)).any():
                counts = [int((sel & (vo_rows["leerjaar"] == lj) & (vo_rows["gender"] == g)).sum()) for lj in range(1, 7) for g in (0, 1)]
                counts[:6] = [0] * 6
                rows.append([*base, label, "", "", label.split()[0], "", *counts])
    return rows


def _exam_lines(vo_rows: dict, years: list[int], school_ids: list[str], names: dict[str, str], others: list[dict],
                rng: np.random.Generator) -> list[str]:
    """File 2 for five school years: the region's final-year havo/vwo pupils per profile, and the other vestigingen."""
    header = ["INSTELLINGSCODE", "VESTIGINGSCODE", "INSTELLINGSNAAM VESTIGING", "GEMEENTENAAM", "ONDERWIJSTYPE VO", "INSPECTIECODE", "OPLEIDINGSNAAM"]
    for year in years:
        for gender in ("MAN", "VROUW", "TOTAAL"):
            label = f"{year}-{year + 1}"
            header += [f"EXAMENKANDIDATEN SCHOOLJAAR {label} - {gender}", f"GESLAAGDEN SCHOOLJAAR {label} - {gender}",
                       f"SLAAGPERC SCHOOLJAAR {label} - {gender}"]
    lines = [_line(header)]

    def cells(candidates: list[tuple[int, int]], passed: list[tuple[int, int]]) -> list[str]:
        out = []
        for (km, kv), (gm, gv) in zip(candidates, passed, strict=True):
            for k, g in ((km, gm), (kv, gv), (km + kv, gm + gv)):
                out += [_cell(k), _cell(g), f"{100 * g / k:.1f}" if k >= 5 and g >= 5 else ""]
        return out

    for s, school_id in enumerate(school_ids):
        for track, final, kind in ((4, 5, "HAVO"), (5, 6, "VWO")):
            sel = (vo_rows["school"] == s) & (vo_rows["track"] == track) & (vo_rows["leerjaar"] == final)
            for code, shown in EXAM_PROFILE.items():
                profile = sel & (vo_rows["profile"] == PROFILES.index(code))
                per_year = [profile & (vo_rows["year"] == y) for y in years]
                if not any(p.any() for p in per_year):
                    continue
                candidates = [(int((p & (vo_rows["gender"] != 1)).sum()), int((p & (vo_rows["gender"] == 1)).sum())) for p in per_year]
                passed = [(int((p & (vo_rows["gender"] != 1) & (vo_rows["diploma"] == 1)).sum()),
                           int((p & (vo_rows["gender"] == 1) & (vo_rows["diploma"] == 1)).sum())) for p in per_year]
                lines.append(_line([school_id[:4], school_id, names.get(school_id, school_id), "ZAANSTAD", kind, "",
                                    f"{kind} - {shown}", *cells(candidates, passed)]))
    for v in others:
        if not v["havo_vwo"]:
            continue
        for kind in ("HAVO", "VWO"):
            size = v["havo_vwo"] // (2 if kind == "HAVO" else 3)
            shares = (0.12 + v["tech"] / 4, 0.12, 0.2, 0.06, 0.3, 0.1, 0.1 - v["tech"] / 4)
            per_year = [rng.multinomial(size, np.array(shares) / sum(shares)) for _ in years]
            for i, shown in enumerate(EXAM_PROFILE.values()):
                candidates = [(int(n - n // 2), int(n // 2)) for n in (counts[i] for counts in per_year)]
                passed = [(int(m * 0.9), int(f * 0.9)) for m, f in candidates]
                lines.append(_line([v["brin"], v["brin"] + "00", v["name"], v["place"].replace("PLAATS", "GEMEENTE"), kind, "",
                                    f"{kind} - {shown}", *cells(candidates, passed)]))
    return lines


def _mbo_lines(rng: np.random.Generator, scale: float) -> list[str]:
    """File 3 for one entry year: entrants per prior education and programme at ten fictional mbo institutions."""
    header = ["VOOROPLEIDING VO", "VOOROPLEIDING MBO", "INDICATIE KLEINE OPLEIDING", "INSTELLINGSCODE", "INSTELLINGSNAAM",
              "HOOFDGROEP CODE", "HOOFDGROEP NAAM", "NIVEAU", "LEERWEG", "BEROEPSOPLEIDING CODE", "BEROEPSOPLEIDING NAAM",
              "TOTAAL MBO", "INSTROOM MBO", "INSTROOM OPLEIDING"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for i in range(10):
        institution = f"{70 + i:02d}MB"
        for code, name, level, _sector, technical in MBO_PROGRAMMES:
            for prior, weight in (("VMBO-BB", 1.0), ("VMBO-KB", 1.2), ("VMBO-GL", 0.4), ("VMBO-TL", 1.1), ("HAVO", 0.3)):
                if (level == 4 and prior in ("VMBO-BB",)) or (level == 1 and prior != "VMBO-BB"):
                    continue
                mean = scale * weight * (0.8 if technical else 1.4) * (1.4 if prior == "VMBO-BB" and technical else 1.0)
                entrants = int(rng.poisson(mean))
                if entrants == 0:
                    continue
                writer.writerow([prior, "", "N", institution, f"ROC Voorbeeld {i + 1} (fictief)", "", "", level, "BOL", code, name,
                                 _cell(entrants * 3), _cell(entrants), _cell(entrants + int(rng.integers(0, 3)))])
    return buffer.getvalue().rstrip("\n").split("\n")


def national_files(seed: int, vo_rows: dict, school_ids: list[str], names: dict[str, str], years: list[int]) -> list[DuoFile]:
    """The DUO files of the synthetic country for the region's school years (deterministic in seed)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
    others = _other_vestigingen(rng, OTHER_VESTIGINGEN)
    files = []
    for year in years:
        rows = _region_pupil_rows(vo_rows, year, school_ids, names, rng, years[-1]) + pupil_rows(rng, others)
        files.append(_file(f"duo/01-leerlingen-vo-per-vestiging-naar-onderwijstype-{year}.csv", "duo_leerlingen",
                           pupil_file_lines(rows, year), ";", school_year=f"{year}-{year + 1}"))
    exam_spans = [years[max(0, len(years) - 10):len(years) - 5], years[-5:]]
    for span in [s for s in exam_spans if s]:
        files.append(_file(f"duo/examenkandidaten-en-geslaagden-{span[0]}-{span[-1] + 1}.csv", "duo_examen",
                           _exam_lines(vo_rows, span, school_ids, names, others, rng), ";",
                           school_years=[f"{y}-{y + 1}" for y in span]))
    for year in years[1:]:
        files.append(_file(f"duo/instromende-mbo-studenten-{year}.csv", "duo_mbo_instroom", _mbo_lines(rng, 6.0), ",", bom=True,
                           school_year=f"{year}-{year + 1}"))
    crebo = ["Erkende opleidingscode;Hoofdgroep naam;Subgroep naam;Dossier naam;Sectorkamer naam"]
    # DUO lists a crebo once per beroep: some twice here, in a seed-dependent order
    listed = [f"{code};;{{}};{name};{sector}" for code, name, _level, sector, _technical in MBO_PROGRAMMES]
    crebo += [listed[i].format("beroep 1") for i in rng.permutation(len(listed))]
    crebo += [listed[i].format("beroep 2") for i in rng.choice(len(listed), 3, replace=False)]
    files.append(_file("duo/combinatie-erkende-opleidingscode-en-beroep.csv", "duo_crebo", crebo, ";"))
    return files
