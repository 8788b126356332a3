"""The synthetic demo region (sto_metrics/demo.py): deterministic, messy in the promised ways,
with exactly the recorded problems, and with the behavioural trends the pages should show.

The files are read back here independently of the loader: plain `csv` plus the reference tables.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from sto_metrics import cli
from sto_metrics.demo.generate import write_demo
from sto_metrics.errors import UserError

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def regio(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "a"
    write_demo(out, seed=2026)
    return out


@pytest.fixture(scope="module")
def manifest(regio) -> dict:
    return json.loads((regio / "MANIFEST.json").read_text(encoding="utf-8"))


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------- an independent reader


def _norm_header(text: str) -> str:
    return "".join(ch for ch in text.strip().lower() if ch not in " _-\ufeff")


def _norm_value(text: str) -> str:
    return " ".join(text.strip().lower().replace(",", " ").split())


def _reference(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _header_map(kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in _reference("column_aliases.csv"):
        if row["kind"] in ("*", kind):
            for alias in row["aliases"].split("|"):
                out.setdefault(_norm_header(alias), row["field"])
    return out


def _profile_vocabulary() -> dict[str, set[bool]]:
    """Every accepted profile spelling -> whether it is technical (must be one answer)."""
    vocab: dict[str, set[bool]] = defaultdict(set)
    for row in _reference("profiles.csv"):
        technical = row["technical"] == "true"
        for spelling in [row["code"], row["name"], *row["aliases"].split("|")]:
            vocab[_norm_value(spelling)].add(technical)
    return vocab


def _value_aliases(domain: str) -> dict[str, str]:
    return {row["alias"]: row["value"] for row in _reference("value_aliases.csv") if row["domain"] == domain}


YEAR_PATTERNS = (
    (re.compile(r"^(\d{4})[-/](\d{4})$"), "2023-2024"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "2023-24"),
    (re.compile(r"^(\d{2})-(\d{2})$"), "23-24"),
    (re.compile(r"^(\d{4})$"), "2023"),
)


def _start_year(text: str) -> int:
    for pattern, _style in YEAR_PATTERNS:
        match = pattern.match(text)
        if match:
            year = int(match.group(1))
            return year + 2000 if year < 100 else year
    raise AssertionError(f"onleesbaar schooljaar {text!r}")


def _read(folder: Path, entry: dict) -> tuple[list[str], list[list[str]], list[str]]:
    """Header, data rows (blank lines skipped) and raw physical lines of one file."""
    raw = (folder / entry["path"]).read_bytes()
    text = raw.decode(entry["encoding"])
    text = text.removeprefix("\ufeff")
    lines = text.split("\r\n" if entry["line_ending"] == "CRLF" else "\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    skip = entry["header_line_number"] - 1
    rows = list(csv.reader(io.StringIO("\n".join(lines[skip:])), delimiter=entry["delimiter"]))
    header = rows[0]
    return header, [r for r in rows[1:] if r], lines


def _vo_records(folder: Path, manifest: dict) -> list[dict]:
    """Every vo row as canonical values; asserts every value is an accepted spelling."""
    headers = _header_map("vo")
    vocab = _profile_vocabulary()
    education = _value_aliases("education")
    genders = _value_aliases("gender")
    diplomas = _value_aliases("diploma")
    records = []
    for entry in manifest["files"]:
        if entry["kind"] != "vo":
            continue
        header, rows, _lines = _read(folder, entry)
        fields = [headers.get(_norm_header(h), "") for h in header]
        for row in rows:
            assert len(row) == len(header), entry["path"]
            value = dict(zip(fields, row, strict=True))
            level, _, leerweg = education[value["education"].strip().lower()].partition(":")
            profile = value["profile"]
            technical = None
            if profile:
                spellings = vocab.get(_norm_value(profile))
                if spellings is not None:
                    assert len(spellings) == 1
                    technical = next(iter(spellings))
            school = value.get("school") or value["brin"] + value["vestiging"]
            records.append(
                {
                    "file": entry["path"],
                    "key": value["pupil_key"],
                    "year": _start_year(value["school_year"]),
                    "school": school,
                    "level": level,
                    "leerweg": leerweg,
                    "leerjaar": int(re.match(r"^(\d)", value["leerjaar"]).group(1)),
                    "profile": profile,
                    "technical": technical,
                    "gender": genders[value["gender"].lower()],
                    "diploma": diplomas[value["diploma"].lower()] if value["diploma"] else None,
                }
            )
    return records


@pytest.fixture(scope="module")
def vo_records(regio, manifest) -> list[dict]:
    return _vo_records(regio, manifest)


def _follow_up(folder: Path, manifest: dict, kind: str) -> list[dict]:
    headers = _header_map(kind)
    records = []
    for entry in manifest["files"]:
        if entry["kind"] == kind:
            header, rows, _lines = _read(folder, entry)
            fields = [headers[_norm_header(h)] for h in header]
            records += [dict(zip(fields, row, strict=True)) for row in rows]
    return records


# ---------------------------------------------------------------------------- determinism


def test_same_seed_same_bytes(regio, tmp_path):
    again = tmp_path / "b"
    write_demo(again, seed=2026)
    assert _files(again) == _files(regio)


def test_data_demo_is_the_default_output(regio):
    shipped = Path(__file__).resolve().parent.parent / "data" / "demo"
    if not (shipped / "MANIFEST.json").is_file():
        pytest.skip("data/demo is nog niet gegenereerd")
    assert _files(shipped) == _files(regio), "data/demo wijkt af: draai `python -m sto_metrics demo --out data/demo`"


# ---------------------------------------------------------------------------- shapes


def test_layout_and_sizes(regio, manifest):
    kinds = Counter(entry["kind"] for entry in manifest["files"])
    # the region's exports, its activities register and participant lists, and DUO's public files of a synthetic country
    assert kinds == {"vo": 10, "mbo": 2, "ho": 2, "activiteiten": 1, "deelnemerslijst": 3,
                     "duo_leerlingen": 9, "duo_examen": 2, "duo_mbo_instroom": 8, "duo_crebo": 1}
    listed = {entry["path"] for entry in manifest["files"]}
    assert listed | {"MANIFEST.json"} == set(_files(regio))
    assert sum(len(b) for b in _files(regio).values()) < 15_000_000
    schools = {row["school_id"]: row["name"] for row in _reference("schools.csv")}
    vo_ids = {entry["school_id"] for entry in manifest["files"] if entry["kind"] == "vo"}
    assert vo_ids == {sid for sid, row in schools.items() if sid.startswith("31")}


def test_shapes_really_vary(regio, manifest):
    delimiters, encodings, line_ends, year_formats = set(), set(), set(), set()
    for entry in manifest["files"]:
        if entry["kind"] != "vo":
            continue
        raw = (regio / entry["path"]).read_bytes()
        bom = raw.startswith(b"\xef\xbb\xbf")
        try:
            raw.decode("utf-8")
            encoding = "utf-8-bom" if bom else "utf-8"
        except UnicodeDecodeError:
            encoding = "not-utf-8"
        crlf = b"\r\n" in raw
        assert crlf == (raw.count(b"\r\n") == raw.count(b"\n")), "mixed line ends"
        header_line = raw.decode(entry["encoding"]).lstrip("\ufeff").splitlines()[entry["header_line_number"] - 1]
        delimiter = max(";,\t|", key=header_line.count)
        assert delimiter == entry["delimiter"]
        assert bom == entry["bom"]
        assert ("CRLF" if crlf else "LF") == entry["line_ending"]
        delimiters.add(delimiter)
        encodings.add(encoding)
        line_ends.add(crlf)
        year_formats.add(entry["year_format"])
    assert delimiters == {";", ",", "\t", "|"}
    assert encodings == {"utf-8", "utf-8-bom", "not-utf-8"}
    assert line_ends == {True, False}
    assert year_formats == {"2023-2024", "2023/2024", "2023-24", "23-24", "2023"}
    entries = [e for e in manifest["files"] if e["kind"] == "vo"]
    assert sum(1 for e in entries if e["title_line"]) == 1
    assert sum(1 for e in entries if e["trailing_empty_columns"]) == 1
    assert {e["quoting"] for e in entries} == {"alle velden", "waar nodig"}
    assert {"klas" in [h.lower() for h in e["header"]] for e in entries} == {True, False}
    assert {e["values"]["profiel"] for e in entries} == {"codes", "volledige namen"}


def test_cp1252_files_keep_windows_characters(regio, manifest):
    cp1252 = [e for e in manifest["files"] if e["encoding"] == "cp1252"]
    assert cp1252
    names = {row["school_id"]: row["name"] for row in _reference("schools.csv")}
    for entry in cp1252:
        raw = (regio / entry["path"]).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        text = raw.decode("cp1252")
        assert "–" in text or "‘" in text
        assert names[entry["school_id"]] in text
    assert "31XJ00" in {e["school_id"] for e in cp1252}  # ‘De Één’ is not Latin-1


def test_every_value_is_an_accepted_spelling(vo_records, manifest):
    unknown = [r for r in vo_records if r["profile"] and r["technical"] is None]
    assert len(unknown) == manifest["problem_counts"]["onbekend_profiel"]
    assert {r["profile"] for r in unknown} == {"XYZ"}
    # profile exactly where the domain says it belongs
    for r in vo_records:
        needs = (r["level"] == "vmbo" and r["leerjaar"] >= 3) or (r["level"] in ("havo", "vwo") and r["leerjaar"] >= 4)
        assert bool(r["profile"]) == needs
        exam = r["leerjaar"] == {"vmbo": 4, "havo": 5, "vwo": 6}[r["level"]]
        assert (r["diploma"] is not None) == exam
    assert {r["gender"] for r in vo_records} == {"M", "V", "X"}
    assert {r["year"] for r in vo_records} == set(range(2017, 2026))


# ---------------------------------------------------------------------------- deliberate problems


def test_manifest_problems_match_the_files(regio, manifest):
    by_file: dict[tuple[str, str], dict] = {(p["file"], p["kind"]): p for p in manifest["problems"]}
    assert set(manifest["problem_counts"]) == {"onbekend_profiel", "dubbele_leerling", "lege_regel", "identificerende_kolom"}
    identifying = {_norm_header(a) for row in _reference("column_aliases.csv") if row["field"] == "identifying" for a in row["aliases"].split("|")}
    vocab = _profile_vocabulary()
    vo_headers = _header_map("vo")
    totals: Counter = Counter()
    for entry in manifest["files"]:
        header, rows, lines = _read(regio, entry)
        first_data = entry["header_line_number"] + 1
        blank = [n for n, line in enumerate(lines, 1) if n >= first_data and line == ""]
        seen: set[str] = set()
        copies = []
        for n, line in enumerate(lines, 1):
            if n >= first_data and line:
                if line in seen:
                    copies.append(n)
                seen.add(line)
        unknown = []
        if entry["kind"] == "vo":
            column = [vo_headers.get(_norm_header(h)) for h in header].index("profile")
            for n, line in enumerate(lines, 1):
                if n >= first_data and line:
                    value = next(csv.reader([line], delimiter=entry["delimiter"]))[column]
                    if value and _norm_value(value) not in vocab:
                        unknown.append(n)
        kind_headers = vo_headers if entry["kind"] == "vo" else _header_map(entry["kind"])
        id_columns = [h for h in header if _norm_header(h) in identifying and kind_headers.get(_norm_header(h)) == "identifying"]
        found = {"lege_regel": blank, "dubbele_leerling": copies, "onbekend_profiel": unknown}
        for kind, where in found.items():
            recorded = by_file.get((entry["path"], kind))
            assert (recorded["lines"] if recorded else []) == where, (entry["path"], kind)
            if recorded:
                assert recorded["count"] == len(where)
                totals[kind] += len(where)
        recorded = by_file.get((entry["path"], "identificerende_kolom"))
        assert (recorded["columns"] if recorded else []) == id_columns
        if recorded:
            totals["identificerende_kolom"] += len(id_columns)
        assert entry["data_rows"] == len(rows)
    assert dict(totals) == manifest["problem_counts"]
    # the activities' participant lists add a pupil listed twice and a name column
    assert manifest["problem_counts"] == {"onbekend_profiel": 3, "dubbele_leerling": 3, "lege_regel": 3, "identificerende_kolom": 4}


def test_duplicates_are_same_pupil_same_year(vo_records):
    counts = Counter((r["file"], r["key"], r["year"]) for r in vo_records)
    doubled = [k for k, n in counts.items() if n > 1]
    assert len(doubled) == 2
    assert len({f for f, _k, _y in doubled}) == 1


# ---------------------------------------------------------------------------- behaviour


def _share(records):
    return sum(1 for r in records if r["technical"]) / len(records)


def test_technical_share_rises_from_20_to_27_percent(vo_records, manifest):
    lj3: dict[int, dict[str, dict]] = defaultdict(dict)
    for r in vo_records:
        if r["level"] == "vmbo" and r["leerjaar"] == 3 and r["technical"] is not None:
            lj3[r["year"]][r["key"]] = r  # distinct pupils
    share = {year: _share(list(rows.values())) for year, rows in lj3.items()}
    early = sum(share[y] for y in range(2017, 2021)) / 4
    late = sum(share[y] for y in range(2023, 2026)) / 3
    assert 0.17 <= early <= 0.23
    assert 0.24 <= late <= 0.30
    assert share[2025] - share[2017] > 0.04
    boys = _share([r for y in range(2023, 2026) for r in lj3[y].values() if r["gender"] == "M"])
    girls = _share([r for y in range(2023, 2026) for r in lj3[y].values() if r["gender"] == "V"])
    assert boys > 0.30 and girls < 0.10
    dp = sum(1 for y in lj3 for r in lj3[y].values() if r["profile"] == "D&P") / sum(len(v) for v in lj3.values())
    assert 0.08 <= dp <= 0.18
    expected = manifest["facts"]["expected_vmbo_inflow"]
    for year, rows in lj3.items():
        assert expected[f"{year}-{year + 1}"]["pupils"] == len(rows)


def test_pupils_progress_and_link_to_mbo_and_ho(regio, manifest, vo_records):
    by_key = defaultdict(list)
    for r in vo_records:
        by_key[r["key"]].append(r)
    assert all(re.fullmatch(r"[1-9]\d{8}", k) for k in by_key)
    # pupils are followed year by year: mostly one leerjaar up, some repeat
    steps = Counter()
    for rows in by_key.values():
        years = {r["year"]: r for r in rows}
        for y, r in years.items():
            if y + 1 in years and r["level"] == years[y + 1]["level"]:
                steps[years[y + 1]["leerjaar"] - r["leerjaar"]] += 1
    assert 0.015 < steps[0] / sum(steps.values()) < 0.06
    mbo = _follow_up(regio, manifest, "mbo")
    ho = _follow_up(regio, manifest, "ho")
    vo_keys = set(by_key)
    assert {_start_year(r["school_year"]) for r in mbo} == set(range(2017, 2026))
    assert {_start_year(r["school_year"]) for r in ho} == set(range(2017, 2026))
    mbo_keys, ho_keys = {r["pupil_key"] for r in mbo}, {r["pupil_key"] for r in ho}
    assert len(mbo_keys & vo_keys) > 3000 and len(mbo_keys - vo_keys) > 100
    assert len(ho_keys & vo_keys) > 2000 and len(ho_keys - vo_keys) > 100
    # every sector, route and ho type is an accepted spelling
    mbo_sectors = {_norm_value(a) for row in _reference("mbo_sectors.csv") for a in [row["name"], *row["aliases"].split("|")]}
    ho_sectors = {_norm_value(a) for row in _reference("ho_sectors.csv") for a in [row["name"], *row["aliases"].split("|")]}
    assert {_norm_value(r["sector"]) for r in mbo} <= mbo_sectors
    assert {_norm_value(r["sector"]) for r in ho} <= ho_sectors
    assert {r["route"].lower() for r in mbo} <= set(_value_aliases("route"))
    assert {r["ho_type"].lower() for r in ho} <= set(_value_aliases("ho_type"))
    # dual enrolment: a few pupils with two mbo programmes in one year
    per_year = Counter((r["pupil_key"], r["school_year"]) for r in mbo)
    assert 10 <= sum(1 for n in per_year.values() if n > 1) <= 300


def test_vmbo_graduates_progress_into_mbo_techniek(regio, manifest, vo_records):
    technical_mbo = {_norm_value(a) for row in _reference("mbo_sectors.csv") if row["technical"] == "true" for a in [row["name"], *row["aliases"].split("|")]}
    mbo = _follow_up(regio, manifest, "mbo")
    mbo_by = defaultdict(list)
    for r in mbo:
        mbo_by[(r["pupil_key"], _start_year(r["school_year"]))].append(_norm_value(r["sector"]) in technical_mbo)
    stats = {True: [0, 0], False: [0, 0]}
    cohort_2025 = 0
    for r in vo_records:
        if r["level"] == "vmbo" and r["diploma"] == "true" and r["technical"] is not None:
            if r["year"] == 2025:
                cohort_2025 += 1
                assert (r["key"], 2026) not in mbo_by
                continue
            found = mbo_by.get((r["key"], r["year"] + 1))
            if found:
                stats[r["technical"]][0] += 1
                stats[r["technical"]][1] += any(found)
    behoud = stats[True][1] / stats[True][0]
    instap = stats[False][1] / stats[False][0]
    assert 0.62 <= behoud <= 0.82
    assert 0.06 <= instap <= 0.16
    assert cohort_2025 > 500  # diplomas known, destinations not yet


# ---------------------------------------------------------------------------- command line and input errors


def test_cli_writes_rewrites_and_other_seed_differs(regio, tmp_path, capsys):
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out), "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "Demoregio geschreven" in text and "rijen" in text and "onbekend_profiel" in text
    first = _files(out)
    assert cli.main(["demo", "--out", str(out), "--seed", "3"]) == 0  # an earlier demo may be replaced
    assert _files(out) == first
    default = _files(regio)
    assert first.keys() == default.keys()
    assert all(first[name] != default[name] for name in first)


def test_bad_out_is_a_dutch_user_error(tmp_path, capsys):
    a_file = tmp_path / "bestand.csv"
    a_file.write_text("x", encoding="utf-8")
    assert cli.main(["demo", "--out", str(a_file)]) == 2
    assert "bestaand bestand" in capsys.readouterr().err
    foreign = tmp_path / "vol"
    foreign.mkdir()
    (foreign / "eigen.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="niet leeg"):
        write_demo(foreign)
    assert (foreign / "eigen.txt").read_text(encoding="utf-8") == "x"
    with pytest.raises(UserError, match="schaal"):
        write_demo(tmp_path / "x", scale="wereld")
    with pytest.raises(UserError, match="seed"):
        write_demo(tmp_path / "y", seed=-1)


# ---------------------------------------------------------------------------- landelijk (tiny)


def test_landelijk_small_is_clean_and_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    summary = write_demo(a, scale="landelijk", pupils_per_year=3000)
    write_demo(b, scale="landelijk", pupils_per_year=3000)
    assert _files(a) == _files(b)
    manifest = json.loads((a / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["school_years"] == [f"{y}-{y + 1}" for y in range(2018, 2026)]
    assert summary["files"] == {"vo": 8, "mbo": 8, "ho": 8}
    assert 3000 * 4 * 8 < summary["rows"]["vo"] < 3000 * 6 * 8
    for kind in ("vo", "mbo", "ho"):
        headers = _header_map(kind)
        for entry in (e for e in manifest["files"] if e["kind"] == kind):
            raw = (a / entry["path"]).read_bytes()
            assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
            lines = raw.decode("utf-8").splitlines()
            header = lines[0].split(";")
            assert header == manifest["headers"][kind]
            assert all(_norm_header(h) in headers for h in header)
            assert len(lines) - 1 == entry["data_rows"] > 0
            assert {line.split(";")[1] for line in lines[1:]} == {entry["school_year"]}
    vo = (a / "vo" / "vo_2020-2021.csv").read_text(encoding="utf-8").splitlines()[1:]
    profiles = Counter(line.split(";")[5] for line in vo)
    assert {"BWI", "TL_TECHNIEK", "NT/NG", "EM"} <= set(profiles)
