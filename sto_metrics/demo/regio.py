"""The regio scale: the fictional Zaanstreek region, each vo school's export in its own messy shape.

School years 2017-2018 .. 2025-2026, about 2,000 pupils per year group, schools from
data/reference/schools.csv. Every vo school file has its own real-world shape (delimiter,
encoding, headers, value spellings) and a handful of deliberate, exactly recorded data
problems (MANIFEST.json); the mbo and ho files are cleaner, each in its own shape.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sto_metrics.demo import activities as demo_activities
from sto_metrics.demo.common import MANIFEST_NAME, _format_year, _read_csv
from sto_metrics.demo.duo import national_files
from sto_metrics.demo.model import (
    BB,
    GL,
    HAVO,
    HO_PROGRAMMES,
    KB,
    MBO_PROGRAMMES,
    PROFILE_TECH,
    PROFILES,
    TL,
    VWO,
    _Keys,
    _Simulation,
    _World,
    _year_ranges,
)
from sto_metrics.errors import UserError

# ---------------------------------------------------------------------------
# Reference data and the regio world
# ---------------------------------------------------------------------------

# Expected leerjaar-1 intake per school location and track (BB, KB, GL, TL, havo, vwo), and
# the relative odds of a technical vmbo profile. About 2,000 pupils per year group.
REGIO_SCHOOLS = {
    "31XA00": ((55, 65, 25, 95, 0, 0), 1.0),
    "31XB00": ((55, 60, 25, 55, 0, 0), 1.7),
    "31XC00": ((35, 45, 15, 80, 95, 70), 0.9),
    "31XC01": ((45, 45, 25, 0, 0, 0), 1.1),
    "31XD00": ((0, 0, 0, 0, 140, 115), 1.0),
    "31XE00": ((0, 0, 0, 0, 0, 130), 1.0),
    "31XF00": ((0, 0, 0, 105, 80, 0), 0.8),
    "31XG00": ((80, 60, 0, 0, 0, 0), 1.35),
    "31XH00": ((0, 0, 0, 0, 105, 95), 1.0),
    "31XJ00": ((0, 25, 15, 70, 50, 35), 0.85),
}
REGIO_MBO = ("25MA00", "25MB00")
REGIO_HBO = ("21HA00",)
REGIO_WO = ("21UA00",)


def _school_names() -> dict[str, str]:
    names = {row["school_id"]: row["name"] for row in _read_csv("schools.csv")}
    missing = [sid for sid in (*REGIO_SCHOOLS, *REGIO_MBO, *REGIO_HBO, *REGIO_WO) if sid not in names]
    if missing:
        raise UserError(f"De demoregio heeft deze scholen uit data/reference/schools.csv nodig, maar ze ontbreken: {', '.join(missing)}.")
    return names


def _profile_names() -> dict[str, str]:
    return {row["code"]: row["name"] for row in _read_csv("profiles.csv")}


def _regio_world(pupils_per_year: int) -> _World:
    intake = np.array([spec[0] for spec in REGIO_SCHOOLS.values()], dtype=float)
    intake *= pupils_per_year / intake.sum()
    n = intake.shape[0]
    return _World(
        first_year=2017,
        last_year=2025,
        burn_in=10,
        intake=intake,
        school_tech=np.array([spec[1] for spec in REGIO_SCHOOLS.values()]),
        mbo_home=np.zeros(n, dtype=np.int16),
        mbo_techcol=np.ones(n, dtype=np.int16),
        n_hbo=1,
        n_wo=1,
        outsider_mbo=0.06,
        outsider_ho=0.05,
    )


# ---------------------------------------------------------------------------
# The messy shapes of the regio vo files
# ---------------------------------------------------------------------------

EDU_VMBO_DASH = {BB: "VMBO-BB", KB: "VMBO-KB", GL: "VMBO-GL", TL: "VMBO-TL", HAVO: "HAVO", VWO: "VWO"}
TL_NAMES = {"TL_TECHNIEK": "Techniek", "TL_ZORG": "Zorg en welzijn", "TL_ECONOMIE": "Economie", "TL_LANDBOUW": "Landbouw"}
TL_SECTOR_NAMES = {"TL_TECHNIEK": "Sector techniek", "TL_ZORG": "Sector zorg en welzijn", "TL_ECONOMIE": "Sector economie", "TL_LANDBOUW": "Sector landbouw"}
TL_SHORT = {"TL_TECHNIEK": "tech", "TL_ZORG": "zorg", "TL_ECONOMIE": "eco", "TL_LANDBOUW": "landbouw"}

GENDER_STYLES = {
    "M/V/X": ("M", "V", "X"),
    "m/v/x": ("m", "v", "x"),
    "man/vrouw/anders": ("man", "vrouw", "anders"),
    "jongen/meisje/anders": ("jongen", "meisje", "anders"),
}


@dataclass(frozen=True)
class Shape:
    """How one export file looks. `columns` maps each header to the field it carries."""

    school_id: str
    delimiter: str
    encoding: str  # 'utf-8', 'utf-8-sig' (with BOM) or 'cp1252'
    line_end: str
    columns: tuple[tuple[str, str], ...]
    year_format: str  # '2023-2024', '2023/2024', '2023-24', '23-24' or '2023'
    education: dict
    profile_style: str  # 'code' or 'name'
    tl_labels: dict
    gender_style: str
    diploma: tuple[str, str]  # (passed, failed); empty outside exam years
    quote_all: bool = False
    title: str | None = None
    klas_style: str = ""  # 'letter' -> '3B'; 'hv' -> '4H' / '5V'
    trailing_empty: int = 0


VO_SHAPES = (
    Shape(
        "31XA00", ";", "utf-8", "\n",
        (("leerlingnummer", "key"), ("schooljaar", "year"), ("brin", "brin"), ("vestigingsnummer", "vestiging"), ("schoolnaam", "name"),
         ("onderwijstype", "education"), ("leerjaar", "leerjaar"), ("profiel", "profile"), ("geslacht", "gender"), ("diploma", "diploma")),
        "2023-2024", EDU_VMBO_DASH, "code", TL_NAMES, "M/V/X", ("ja", "nee"),
    ),
    Shape(
        "31XB00", ",", "utf-8-sig", "\r\n",
        (("llnr", "key"), ("teljaar", "year"), ("brinvestiging", "school"), ("vestigingsnaam", "name"), ("leerweg", "education"),
         ("klas", "klas"), ("profielnaam", "profile"), ("sekse", "gender"), ("geslaagd", "diploma")),
        "2023/2024", {BB: "BB", KB: "KB", GL: "GL", TL: "TL", HAVO: "HAVO", VWO: "VWO"}, "name", TL_SECTOR_NAMES,
        "man/vrouw/anders", ("J", "N"), quote_all=True, klas_style="letter",
    ),
    Shape(
        "31XC00", "\t", "cp1252", "\r\n",
        (("pgn", "key"), ("peiljaar", "year"), ("vestigingscode", "school"), ("instellingsnaam", "name"), ("afdeling", "education"),
         ("jaarlaag", "leerjaar"), ("profielcode", "profile"), ("geslacht", "gender"), ("uitslag", "diploma")),
        "2023-24",
        {BB: "basisberoepsgerichte leerweg", KB: "kaderberoepsgerichte leerweg", GL: "gemengde leerweg", TL: "theoretische leerweg",
         HAVO: "havo", VWO: "atheneum"},
        "code", TL_SHORT, "jongen/meisje/anders", ("geslaagd", "afgewezen"),
    ),
    Shape(
        "31XC01", "|", "cp1252", "\n",
        (("onderwijsnummer", "key"), ("schooljaar", "year"), ("brin", "brin"), ("vestiging", "vestiging"), ("naam_school", "name"),
         ("niveau", "education"), ("leerjaar", "leerjaar"), ("sector", "profile"), ("geslacht", "gender"), ("diploma", "diploma")),
        "23-24", {BB: "vmbo bb", KB: "vmbo kb", GL: "vmbo gl", TL: "vmbo tl", HAVO: "havo", VWO: "vwo"}, "code", TL_NAMES,
        "m/v/x", ("1", "0"),
    ),
    Shape(
        "31XD00", ";", "utf-8-sig", "\r\n",
        (("Leerlingnummer", "key"), ("Schooljaar", "year"), ("BRIN", "brin"), ("Vestiging", "vestiging"), ("Schoolnaam", "name"),
         ("Afdeling", "education"), ("Leerjaar", "leerjaar"), ("Profiel", "profile"), ("Geslacht", "gender"), ("Diploma", "diploma")),
        "2023", EDU_VMBO_DASH, "name", TL_SECTOR_NAMES, "M/V/X", ("ja", "nee"),
        title="Export Magister – leerlingen per teldatum 1 oktober",
    ),
    Shape(
        "31XE00", ",", "utf-8", "\n",
        (("leerling_id", "key"), ("roepnaam", "first_name"), ("achternaam", "last_name"), ("geboortedatum", "birth_date"),
         ("school_year", "year"), ("school_id", "school"), ("schoolnaam", "name"), ("opleiding", "education"), ("leerjaar", "leerjaar"),
         ("profiel", "profile"), ("gender", "gender"), ("examenuitslag", "diploma")),
        "2023-2024", {**EDU_VMBO_DASH, HAVO: "havo", VWO: "gymnasium"}, "code", TL_NAMES, "M/V/X", ("geslaagd", "gezakt"),
    ),
    Shape(
        "31XF00", "\t", "utf-8", "\n",
        (("studentnummer", "key"), ("teljaar", "year"), ("brinvest", "school"), ("schoolnaam", "name"), ("schoolsoort", "education"),
         ("leerjaar", "leerjaar"), ("richting", "profile"), ("geslacht", "gender"), ("diploma", "diploma")),
        "2023/2024", {**EDU_VMBO_DASH, TL: "mavo", HAVO: "havo"}, "name", TL_NAMES, "jongen/meisje/anders", ("ja", "nee"),
    ),
    Shape(
        "31XG00", ";", "utf-8", "\n",
        (("LLNR", "key"), ("Schooljaar", "year"), ("BRIN", "brin"), ("Vestnr", "vestiging"), ("Leerweg", "education"),
         ("Leerjaar", "leerjaar"), ("Profiel", "profile"), ("Geslacht", "gender"), ("Diploma", "diploma")),
        "2023-2024", {BB: "BL", KB: "KL", GL: "GL", TL: "TL", HAVO: "HAVO", VWO: "VWO"}, "code", TL_NAMES, "M/V/X", ("J", "N"),
        trailing_empty=2,
    ),
    Shape(
        "31XH00", "|", "utf-8-sig", "\r\n",
        (("ll_nr", "key"), ("peiljaar", "year"), ("brin_vestiging", "school"), ("schoolnaam", "name"), ("afdeling", "education"),
         ("klas", "klas"), ("profiel", "profile"), ("sekse", "gender"), ("uitslag", "diploma")),
        "23-24", {**EDU_VMBO_DASH, VWO: "atheneum"}, "code", TL_NAMES, "M/V/X", ("ja", "nee"), klas_style="hv",
    ),
    Shape(
        "31XJ00", ",", "cp1252", "\n",
        (("leerlingnummer", "key"), ("schooljaar", "year"), ("school", "school"), ("instellingsnaam", "name"), ("onderwijstype", "education"),
         ("jaarlaag", "leerjaar"), ("profielnaam", "profile"), ("geslacht", "gender"), ("diploma", "diploma")),
        "2023", EDU_VMBO_DASH, "name", TL_SECTOR_NAMES, "man/vrouw/anders", ("1", "0"), quote_all=True,
    ),
)  # fmt: skip

# Where the deliberate problems go (school id -> kind, count).
PROBLEM_PLAN = {
    "onbekend_profiel": ("31XA00", 3),
    "dubbele_leerling": ("31XC01", 2),
    "lege_regel": ("31XH00", 3),
}
IDENTIFYING_SCHOOL = "31XE00"
UNKNOWN_PROFILE = "XYZ"

FIRST_NAMES = (
    ("Daan", "Sem", "Finn", "Luuk", "Milan", "Levi", "Noah", "Jesse", "Thijs", "Bram", "Ruben", "Lars", "Stijn", "Mees", "Julian", "Ravi",
     "Yusuf", "Mohamed", "Tim", "Gijs"),
    ("Emma", "Julia", "Sophie", "Lotte", "Fleur", "Anna", "Sara", "Noor", "Lieke", "Eva", "Isa", "Zoë", "Fenna", "Tess", "Yasmina", "Amira",
     "Mila", "Roos", "Nina", "Chloë"),
)  # fmt: skip
LAST_NAMES = (
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs", "Vermeulen",
    "van den Berg", "Kramer", "van Dijk", "Yilmaz", "El Amrani", "Koç", "Schouten", "Post", "Kuiper", "Willems", "Hoekstra",
)  # fmt: skip


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    out, dash = [], False
    for ch in ascii_text:
        if ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash:
            out.append("_")
            dash = True
    return "".join(out).strip("_")


def _cell(value: str, delimiter: str, quote_all: bool) -> str:
    if quote_all or delimiter in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _join(values: list[str], delimiter: str, quote_all: bool) -> str:
    return delimiter.join(_cell(v, delimiter, quote_all) for v in values)


@dataclass
class _Written:
    """A file assembled in memory, with its manifest entry."""

    path: str
    data: bytes
    entry: dict


def _assemble(lines: list[str], line_end: str, encoding: str) -> bytes:
    text = "".join(line + line_end for line in lines)
    return text.encode(encoding)


def _profile_label(code: str, shape: Shape, names: dict[str, str]) -> str:
    if not code:
        return ""
    if code in shape.tl_labels:
        return shape.tl_labels[code]
    return names[code] if shape.profile_style == "name" else code


def _vo_school_file(shape, rows, keys, school_name, profile_names, sim, rng) -> tuple[_Written, list[dict], set[int]]:
    """One vo school's export over all years. Returns the file, its problems and the rows made unknown."""
    order = np.lexsort((keys(rows["pupil"]), rows["track"], rows["leerjaar"], rows["year"]))
    rows = {k: v[order] for k, v in rows.items()}
    n = rows["pupil"].size
    key_str = keys(rows["pupil"]).astype(str)
    gender_labels = GENDER_STYLES[shape.gender_style]
    profile_labels = [_profile_label(code, shape, profile_names) for code in PROFILES]
    year_labels = {y: _format_year(y, shape.year_format) for y in np.unique(rows["year"]).tolist()}
    brin, vestiging = shape.school_id[:4], shape.school_id[4:]
    class_letters = np.array(list("ABCD"))[rng.integers(0, 4, n)]
    fields = [field for _header, field in shape.columns]

    unknown_rows: set[int] = set()
    if PROBLEM_PLAN["onbekend_profiel"][0] == shape.school_id:
        eligible = np.flatnonzero((rows["track"] <= GL) & (rows["leerjaar"] == 3))
        unknown_rows = set(rng.choice(eligible, PROBLEM_PLAN["onbekend_profiel"][1], replace=False).tolist())

    identifying = {}
    if "first_name" in fields:
        pupils = np.unique(rows["pupil"])
        first = rng.integers(0, len(FIRST_NAMES[0]), pupils.size)
        last = rng.integers(0, len(LAST_NAMES), pupils.size)
        day = rng.integers(0, 365, pupils.size)
        for pupil, f, la, d in zip(pupils.tolist(), first.tolist(), last.tolist(), day.tolist(), strict=True):
            gender = int(sim.gender[pupil])
            first_name = FIRST_NAMES[gender if gender < 2 else (f % 2)][f]
            born = np.datetime64(f"{int(sim.intake_year[pupil]) - 13}-10-01") + np.timedelta64(d, "D")
            yyyy, mm, dd = str(born).split("-")
            identifying[pupil] = (first_name, LAST_NAMES[la], f"{dd}-{mm}-{yyyy}")

    lines: list[str] = []
    for i in range(n):
        track, lj, year = int(rows["track"][i]), int(rows["leerjaar"][i]), int(rows["year"][i])
        diploma = int(rows["diploma"][i])
        values = []
        for field in fields:
            if field == "key":
                values.append(key_str[i])
            elif field == "year":
                values.append(year_labels[year])
            elif field == "brin":
                values.append(brin)
            elif field == "vestiging":
                values.append(vestiging)
            elif field == "school":
                values.append(shape.school_id)
            elif field == "name":
                values.append(school_name)
            elif field == "education":
                values.append(shape.education[track])
            elif field == "leerjaar":
                values.append(str(lj))
            elif field == "klas":
                suffix = ("H" if track == HAVO else "V") if shape.klas_style == "hv" and track >= HAVO else class_letters[i]
                values.append(f"{lj}{suffix}")
            elif field == "profile":
                values.append(UNKNOWN_PROFILE if i in unknown_rows else profile_labels[int(rows["profile"][i])])
            elif field == "gender":
                values.append(gender_labels[int(rows["gender"][i])])
            elif field == "diploma":
                values.append("" if diploma < 0 else shape.diploma[0] if diploma else shape.diploma[1])
            elif field in ("first_name", "last_name", "birth_date"):
                values.append(identifying[int(rows["pupil"][i])][("first_name", "last_name", "birth_date").index(field)])
            else:  # pragma: no cover - a typo in VO_SHAPES
                raise AssertionError(field)
        values.extend([""] * shape.trailing_empty)
        lines.append(_join(values, shape.delimiter, shape.quote_all))

    header = _join([h for h, _f in shape.columns] + [""] * shape.trailing_empty, shape.delimiter, False)
    head = ([shape.title] if shape.title else []) + [header]
    data_lines: list[str] = list(lines)
    problems: list[dict] = []
    offset = len(head)  # line number of data row i is offset + i + 1

    if unknown_rows:
        problems.append(
            {"kind": "onbekend_profiel", "count": len(unknown_rows), "lines": sorted(offset + i + 1 for i in unknown_rows),
             "value": UNKNOWN_PROFILE,
             "toelichting": f"Profielcode '{UNKNOWN_PROFILE}' bestaat niet; de rest van de regel is geldig."}
        )  # fmt: skip

    if PROBLEM_PLAN["dubbele_leerling"][0] == shape.school_id:
        count = PROBLEM_PLAN["dubbele_leerling"][1]
        years = np.unique(rows["year"])
        chosen_years = np.sort(rng.choice(years, count, replace=False))
        inserts = []  # (position after which the copy goes, source row)
        for y in chosen_years.tolist():
            in_year = np.flatnonzero(rows["year"] == y)
            source = int(rng.choice(in_year))
            inserts.append((int(in_year[-1]), source))  # the copy closes that year's block
        for position, source in sorted(inserts, reverse=True):
            data_lines.insert(position + 1, lines[source])
        # Recompute line numbers of the copies after all insertions.
        dup_lines = [offset + position + 2 + k for k, (position, _source) in enumerate(sorted(inserts))]
        problems.append(
            {"kind": "dubbele_leerling", "count": count, "lines": dup_lines,
             "toelichting": "Dezelfde leerling staat twee keer in hetzelfde schooljaar (exact dezelfde regel); de genoemde regels zijn de kopieën."}
        )  # fmt: skip

    if PROBLEM_PLAN["lege_regel"][0] == shape.school_id:
        count = PROBLEM_PLAN["lege_regel"][1]
        positions = np.sort(rng.choice(np.arange(1, len(data_lines)), count, replace=False)).tolist()
        for position in reversed(positions):
            data_lines.insert(position, "")
        blank_lines = [offset + position + 1 + k for k, position in enumerate(positions)]
        problems.append(
            {"kind": "lege_regel", "count": count, "lines": blank_lines, "toelichting": "Lege regel midden in het bestand."}
        )  # fmt: skip

    identifying_columns = [h for h, f in shape.columns if f in ("first_name", "last_name", "birth_date")]
    if identifying_columns:
        problems.append(
            {"kind": "identificerende_kolom", "count": len(identifying_columns), "lines": [offset], "columns": identifying_columns,
             "toelichting": "Kolommen die een persoon identificeren (fictieve namen en geboortedata); de lader moet ze weglaten en dat melden."}
        )  # fmt: skip

    all_lines = head + data_lines
    data = _assemble(all_lines, shape.line_end, shape.encoding)
    name = f"vo/{shape.school_id}_{_slug(school_name)}.csv"
    entry = _shape_entry(name, "vo", shape.delimiter, shape.encoding, shape.line_end, shape.quote_all, shape.title, head[-1], shape.columns,
                         shape.year_format, data, n_rows=len(data_lines) - sum(1 for line in data_lines if not line))  # fmt: skip
    entry.update(
        {
            "school_id": shape.school_id,
            "school_name": school_name,
            "values": {
                "onderwijstype": sorted({shape.education[t] for t in np.unique(rows["track"]).tolist()}),
                "leerjaar": "klas (bijv. 3B, 4H, 5V)" if shape.klas_style else "getal 1-6",
                "profiel": "volledige namen" if shape.profile_style == "name" else "codes",
                "tl_sector": sorted(set(shape.tl_labels.values())),
                "geslacht": list(GENDER_STYLES[shape.gender_style]),
                "diploma": [*shape.diploma, "(leeg buiten examenjaren)"],
            },
            "trailing_empty_columns": shape.trailing_empty,
            "identifying_columns": identifying_columns,
        }
    )
    for problem in problems:
        problem["file"] = name
    return _Written(name, data, entry), problems, {int(order[i]) for i in unknown_rows}


def _shape_entry(name, kind, delimiter, encoding, line_end, quote_all, title, header_line, columns, year_format, data, n_rows) -> dict:
    return {
        "path": name,
        "kind": kind,
        "delimiter": delimiter,
        "delimiter_name": {";": "puntkomma", ",": "komma", "\t": "tab", "|": "pipe"}[delimiter],
        "encoding": "utf-8" if encoding == "utf-8-sig" else encoding,
        "bom": encoding == "utf-8-sig",
        "line_ending": "CRLF" if line_end == "\r\n" else "LF",
        "quoting": "alle velden" if quote_all else "waar nodig",
        "title_line": title,
        "header_line_number": 2 if title else 1,
        "header": [h for h, _f in columns],
        "fields": {h: f for h, f in columns},
        "year_format": year_format,
        "data_rows": n_rows,
        "lines": data.count(b"\n"),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


# mbo and ho files in the regio: cleaner, but each in its own shape.
MBO_SHAPES = {
    "25MA00": dict(
        delimiter=";", encoding="utf-8", line_end="\n", year_format="2023-2024",
        columns=(("studentnummer", "key"), ("schooljaar", "year"), ("instelling", "institution"), ("instellingsnaam", "institution_name"),
                 ("crebo", "code"), ("opleiding", "programme"), ("niveau", "level"), ("leerweg", "route"), ("sector", "sector")),
    ),
    "25MB00": dict(
        delimiter=",", encoding="utf-8-sig", line_end="\r\n", year_format="2023/2024",
        columns=(("deelnemernummer", "key"), ("studiejaar", "year"), ("brin", "institution"), ("crebocode", "code"),
                 ("kwalificatienaam", "programme"), ("kwalificatieniveau", "level"), ("bol_bbl", "route"), ("sectorkamer", "sector")),
    ),
}  # fmt: skip
HO_SHAPES = {
    "21HA00": dict(
        delimiter=";", encoding="utf-8", line_end="\n", year_format="2023-2024",
        columns=(("studentnummer", "key"), ("collegejaar", "year"), ("brin", "institution"), ("croho", "code"), ("opleidingsnaam", "programme"), ("type", "type"), ("croho_onderdeel", "sector")),
    ),
    "21UA00": dict(
        delimiter=",", encoding="utf-8", line_end="\n", year_format="2023",
        columns=(("student_id", "key"), ("collegejaar", "year"), ("instelling", "institution"), ("isat", "code"),
                 ("naam_opleiding", "programme"), ("soort", "type"), ("onderdeel", "sector")),
    ),
}  # fmt: skip
SBB_SPELLING_25MB = {"Techniek en gebouwde omgeving": "Techniek & gebouwde omgeving", "ICT en creatieve industrie": "ICT & creatieve industrie"}


def _follow_up_file(kind, institution_id, institution_name, shape, enrolments, inst_index, years, keys) -> _Written:
    rows_idx = []
    for year in years:
        sel = _year_ranges(enrolments, year)
        sel = sel[enrolments["institution"][sel] == inst_index]
        rows_idx.append((year, sel))
    lines = []
    for year, sel in rows_idx:
        pupil_keys = keys(enrolments["pupil"][sel])
        order = np.lexsort((enrolments["programme"][sel], pupil_keys))
        year_label = _format_year(year, shape["year_format"])
        for j in order.tolist():
            e = sel[j]
            programme = int(enrolments["programme"][e])
            values = []
            for _header, field in shape["columns"]:
                if field == "key":
                    values.append(str(pupil_keys[j]))
                elif field == "year":
                    values.append(year_label)
                elif field == "institution":
                    values.append(institution_id)
                elif field == "institution_name":
                    values.append(institution_name)
                elif kind == "mbo":
                    code, name, level, sector, _tech = MBO_PROGRAMMES[programme]
                    if institution_id == "25MB00":
                        sector = SBB_SPELLING_25MB.get(sector, sector)
                    values.append(
                        {"code": code, "programme": name, "level": str(level), "sector": sector,
                         "route": "BBL" if enrolments["route"][e] == 1 else "BOL"}[field]
                    )  # fmt: skip
                else:
                    code, name, _kind, ho_type, sector, _tech = HO_PROGRAMMES[programme]
                    values.append({"code": code, "programme": name, "type": ho_type, "sector": sector}[field])
            lines.append(_join(values, shape["delimiter"], False))
    header = _join([h for h, _f in shape["columns"]], shape["delimiter"], False)
    data = _assemble([header, *lines], shape["line_end"], shape["encoding"])
    name = f"{kind}/{institution_id}_{_slug(institution_name)}.csv"
    entry = _shape_entry(name, kind, shape["delimiter"], shape["encoding"], shape["line_end"], False, None, header, shape["columns"],
                         shape["year_format"], data, n_rows=len(lines))  # fmt: skip
    entry.update({"institution_id": institution_id, "institution_name": institution_name})
    return _Written(name, data, entry)


def _expected_inflow(vo_rows: dict[str, np.ndarray], unknown: set[int]) -> dict[str, dict]:
    """The vmbo inflow the files encode (metrics.md 1), for checking loader and metrics."""
    keep = np.ones(vo_rows["pupil"].size, dtype=bool)
    keep[list(unknown)] = False
    sel = (vo_rows["track"] <= TL) & (vo_rows["leerjaar"] == 3) & keep
    out = {}
    for year in np.unique(vo_rows["year"]).tolist():
        in_year = sel & (vo_rows["year"] == year)
        pupils = int(in_year.sum())
        technical = int(PROFILE_TECH[vo_rows["profile"][in_year]].sum())
        out[_format_year(year, "2023-2024")] = {"pupils": pupils, "technical": technical, "share": round(technical / pupils, 4)}
    return out


def _write_regio(out: Path, seed: int, pupils_per_year: int) -> dict:
    seeds = np.random.SeedSequence(seed).spawn(4)  # the first three streams do not depend on how many are spawned
    rng_sim, rng_keys, rng_files, rng_activities = (np.random.default_rng(s) for s in seeds)
    names = _school_names()
    profile_names = _profile_names()
    world = _regio_world(pupils_per_year)
    parts: list[tuple[int, dict]] = []
    sim = _Simulation(world, rng_sim, lambda year, rows: parts.append((year, rows)))
    sim.run()
    keys = _Keys(rng_keys)

    vo_rows = {k: np.concatenate([rows[k] for _y, rows in parts]) for k in parts[0][1]}
    vo_rows["year"] = np.concatenate([np.full(rows["pupil"].size, y, dtype=np.int16) for y, rows in parts])
    school_ids = list(REGIO_SCHOOLS)
    written: list[_Written] = []
    problems: list[dict] = []
    unknown_global: set[int] = set()
    for shape in VO_SHAPES:
        index = np.flatnonzero(vo_rows["school"] == school_ids.index(shape.school_id))
        rows = {k: v[index] for k, v in vo_rows.items()}
        file, file_problems, unknown_local = _vo_school_file(shape, rows, keys, names[shape.school_id], profile_names, sim, rng_files)
        written.append(file)
        problems.extend(file_problems)
        unknown_global |= {int(index[i]) for i in unknown_local}

    years = list(range(world.first_year, world.last_year + 1))
    mbo = sim.mbo.arrays()
    ho = sim.ho.arrays()
    for i, inst in enumerate(REGIO_MBO):
        written.append(_follow_up_file("mbo", inst, names[inst], MBO_SHAPES[inst], mbo, i, years, keys))
    for i, inst in enumerate(REGIO_HBO + REGIO_WO):
        written.append(_follow_up_file("ho", inst, names[inst], HO_SHAPES[inst], ho, i, years, keys))

    activity_written, activity_problems = demo_activities.activity_files(vo_rows, school_ids, keys, rng_activities, world.last_year)
    written += [_Written(path, data, entry) for path, data, entry in activity_written]
    problems.extend(activity_problems)
    written += national_files(seed, vo_rows, school_ids, names, years)  # DUO-layout files of a synthetic country

    for file in written:
        path = out / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.data)

    in_years = [_year_ranges(mbo, y) for y in years]
    dual_rows = int(sum(int(mbo["dual"][sel].sum()) for sel in in_years))
    outsiders_mbo = int(np.unique(mbo["pupil"][np.concatenate(in_years)][mbo["pupil"][np.concatenate(in_years)] >= sim.n_pupils]).size)
    ho_sel = np.concatenate([_year_ranges(ho, y) for y in years])
    outsiders_ho = int(np.unique(ho["pupil"][ho_sel][ho["pupil"][ho_sel] >= sim.n_pupils]).size)
    rows_by_kind = {kind: sum(f.entry["data_rows"] for f in written if f.entry["kind"] == kind) for kind in ("vo", "mbo", "ho")}
    problem_counts: dict[str, int] = {}
    for problem in problems:
        problem_counts[problem["kind"]] = problem_counts.get(problem["kind"], 0) + problem["count"]
    manifest = {
        "generator": "sto_metrics.demo",
        "seed": seed,
        "scale": "regio",
        "school_years": [_format_year(y, "2023-2024") for y in years],
        "note": (
            "Fictieve demoregio. Sleutels zijn verzonnen 9-cijferige nummers (dezelfde sleutel in vo, mbo en ho); namen en "
            "geboortedata zijn verzonnen; crebo- (99xxx) en crohocodes (98xxx) zijn fictief en verwijzen niet naar echte opleidingen. "
            "Regelnummers tellen vanaf 1 en omvatten titel- en kopregel."
        ),
        "files": [f.entry for f in written],
        "problems": problems,
        "problem_counts": problem_counts,
        "rows": rows_by_kind,
        "facts": {
            "vo_pupils": int(np.unique(vo_rows["pupil"]).size),
            "mbo_dual_enrolment_rows": dual_rows,
            "mbo_students_from_outside_region": outsiders_mbo,
            "ho_students_from_outside_region": outsiders_ho,
            "destinations_known_for_cohorts": [_format_year(y, "2023-2024") for y in years[:-1]],
            "destinations_not_yet_known_for_cohort": _format_year(years[-1], "2023-2024"),
            "expected_vmbo_inflow": _expected_inflow(vo_rows, unknown_global),
        },
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return {
        "out": str(out),
        "seed": seed,
        "scale": "regio",
        "files": {kind: sum(1 for f in written if f.entry["kind"] == kind) for kind in ("vo", "mbo", "ho")},
        "rows": rows_by_kind,
        "problems": problem_counts,
        "bytes": sum(len(f.data) for f in written),
    }
