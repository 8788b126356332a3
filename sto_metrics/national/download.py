"""`python -m sto_metrics duo-download`: fetch DUO's public files for the national comparison.

The addresses are in data/reference/duo_urls.csv (`kind,url,note`; `{year}`, `{first_year}` and `{next_year}`
are filled in), so a changed address is a one-line fix. The only part of the product that connects to the
internet; the dashboard never does.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import TextIO
from urllib.parse import urlparse

from sto_metrics.errors import InternalError, UserError
from sto_metrics.paths import reference_dir

URLS_FILE = "duo_urls.csv"
TIMEOUT_SECONDS = 30
CHUNK = 64 * 1024


class Offline(InternalError):
    """No connection to DUO's site (exit status 1: nothing the command line can fix)."""


def default_year(today: dt.date | None = None) -> int:
    """The latest peildatum whose files DUO has published: last year's 1 October (published in the spring after)."""
    return (today or dt.date.today()).year - 1


def urls(year: int) -> list[tuple[str, str]]:
    """(kind, url) per DUO file for peildatum year `year`, from the reference file."""
    path = reference_dir() / URLS_FILE
    if not path.is_file():
        raise UserError(f"Referentiebestand ontbreekt: {path}. Zet het terug (kolommen kind,url,note).")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if (row.get("url") or "").strip()]
    values = {"year": year, "first_year": year - 4, "next_year": year + 1}
    return [(row["kind"].strip(), row["url"].strip().format(**values)) for row in rows]


def _progress(name: str, done: int, total: int | None, out: TextIO) -> None:
    size = f"{done / 1_000_000:.1f} MB".replace(".", ",")
    if total:
        filled = int(30 * done / total)
        out.write(f"\r{name}: [{'#' * filled}{'.' * (30 - filled)}] {100 * done // total:3d}% {size}")
    else:
        out.write(f"\r{name}: {size}")
    out.flush()


def fetch(url: str, target: Path, *, out: TextIO | None = None) -> int:
    """Download url to target (written aside, then renamed); returns the bytes written; Offline when unreachable."""
    out = out or sys.stderr  # looked up now: the test harness swaps sys.stderr
    partial = target.with_name(target.name + ".deel")
    try:
        handle = partial.open("wb")
    except OSError as error:
        raise UserError(f"Kan niet schrijven in {target.parent} ({error.strerror or 'schrijffout'}). Kies een andere map.") from None
    done = 0
    with handle:
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
                total = int(response.headers.get("Content-Length") or 0) or None
                while chunk := response.read(CHUNK):
                    handle.write(chunk)
                    done += len(chunk)
                    _progress(target.name, done, total, out)
            out.write("\n")
        except urllib.error.HTTPError as error:
            handle.close()
            partial.unlink(missing_ok=True)
            raise UserError(f"{url}: DUO gaf foutcode {error.code}. Het adres is misschien veranderd: pas het aan in "
                            f"data/reference/{URLS_FILE}.") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as _error:
            handle.close()
            partial.unlink(missing_ok=True)
            raise Offline(f"Geen verbinding met {urlparse(url).netloc or url}: deze computer lijkt offline, of de site is niet "
                          "bereikbaar. Probeer het later opnieuw, of download de bestanden zelf van DUO's open-onderwijsdata-site "
                          "en laad ze met 'python -m sto_metrics load'.") from None
    partial.replace(target)
    return done


def download(out_dir: Path, year: int | None = None, *, out: TextIO | None = None) -> list[Path]:
    """Fetch every DUO file of peildatum `year` (default: last year) into out_dir; the paths written."""
    year = year or default_year()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for _kind, url in urls(year):
        target = out_dir / (Path(urlparse(url).path).name or "duo.csv")
        fetch(url, target, out=out)
        written.append(target)
    return written


def run(args) -> int:
    """`duo-download --out DIR [--year YYYY]`: exit 0 when every file was fetched."""
    if args.year is not None and not 2000 <= args.year <= 2100:
        raise UserError(f"--year {args.year}: geef een peiljaar zoals 2024.")
    files = download(Path(args.out), args.year)
    for path in files:
        print(f"Gedownload: {path}")
    print(f"Laad ze met: python -m sto_metrics load {args.out} --db DATABASE")
    return 0
