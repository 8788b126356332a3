"""An export as DuckDB reads it: copied once, chunk by chunk, into the private read folder as UTF-8.

One pass over the bytes hashes them, checks the encoding and learns the file's lines (how many, which are
empty, the first one that is too long, the last with an odd number of quotes, which delimiters end a line).
A file that is not UTF-8 (UTF-16, Windows-1252 or a mix), or an .xlsx (read row by row), is rewritten as UTF-8
on the way. Memory is a small multiple of one chunk whatever the file's size: no whole-file bytes or text.
"""

from __future__ import annotations

import array
import codecs
import csv
import hashlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

import numpy as np

from sto_metrics.errors import UserError
from sto_metrics.loading.lines import iter_lines, split_lines

CHUNK_BYTES = 1 << 22  # 4 MB read and written per step
HEAD_BYTES = 65536  # a NUL byte in here means 'not a text file', further on 'a damaged file'
HEAD_TEXT_BYTES = 8 << 20  # enough for the header search: 15 lines of at most MAX_LINE_CHARS characters
BLANK_BYTES = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"
DELIMITERS = (";", ",", "\t", "|")
# An .xlsx is read cell by cell within these limits (a tiny zip can claim or hold an enormous sheet).
MAX_XLSX_ROWS = 1_048_576  # Excel's own limit
MAX_XLSX_COLUMNS = 1_000
MAX_CELL_CHARS = 10_000
MAX_XLSX_CHARS = 50_000_000

_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 bytes that continue a character: the rest count one each
_NOT_QUOTE_OR_BREAK = bytes(b for b in range(256) if b not in b'"\n')
_ODD_QUOTES = re.compile(rb'(?m)^(?:"")*"$')  # a line of quotes only, an odd number of them


class FileRefused(UserError):
    """A fatal problem with one file: nothing of it is stored."""


OpenBytes = Callable[[], BinaryIO]


# ---------------------------------------------------------------------------- what one pass learns


@dataclass
class Lines:
    """A UTF-8 file's lines as lines.split_lines counts them (0-based line numbers)."""

    count: int = 0
    empty: array.array = field(default_factory=lambda: array.array("q"))  # ascending
    first_long: tuple[int, int] | None = None  # (line, characters) of the first line over the limit
    last_odd_quotes: int = -1  # the last line holding an odd number of quotes (a cell may span lines after it)
    ending_delimiters: set[str] = field(default_factory=set)  # delimiters some line ends with

    def empty_after(self, line: int) -> int:
        """How many empty lines come after `line`."""
        return len(self.empty) - _bisect_right(self.empty, line)

    def empty_up_to(self, line: int) -> int:
        """How many empty lines there are up to and including `line`."""
        return _bisect_right(self.empty, line)


def _bisect_right(values: array.array, x: int) -> int:
    import bisect

    return bisect.bisect_right(values, x)


def _chars(data: bytes) -> int:
    """Characters in UTF-8 bytes (each character has exactly one byte that is not a continuation byte)."""
    return len(data.translate(None, _CONTINUATION))


class _LineCounter:
    """Feeds UTF-8 chunks in order; learns Lines without keeping more than one line's worth (up to a cap) in memory."""

    def __init__(self, limit_chars: int) -> None:
        self.lines = Lines()
        self._limit = limit_chars
        self._carry = b""
        self._folded: int | None = None  # characters of a line too long to keep, still open
        self._folded_quotes = 0  # and its quotes
        self._fold_at = 4 * limit_chars + 4  # past this many bytes a line is over the limit in any case

    def feed(self, chunk: bytes) -> None:
        data = self._carry + chunk
        held = b""
        if b"\r" in data:
            if data.endswith(b"\r"):
                data, held = data[:-1], b"\r"  # \r\n may be split between two chunks
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        cut = data.rfind(b"\n") + 1
        self._take(data[:cut])
        rest = data[cut:]
        if len(rest) > self._fold_at:
            self._folded = (self._folded or 0) + _chars(rest)
            self._folded_quotes += rest.count(b'"')
            rest = b""
        self._carry = rest + held

    def finish(self) -> Lines:
        data = self._carry.replace(b"\r", b"\n")
        if data or self._folded is not None:
            self._take(data if data.endswith(b"\n") else data + b"\n")
        self._carry = b""
        return self.lines

    def _take(self, complete: bytes) -> None:
        """Whole lines, each ending with \\n."""
        if not complete:
            return
        lines = self.lines
        data = np.frombuffer(complete, dtype=np.uint8)
        ends = np.flatnonzero(data == 10)  # where each line's \n is: searching bytes one by one is far slower
        starts = np.concatenate(([0], ends[:-1] + 1))
        lengths = ends - starts
        base = lines.count
        folded, self._folded = self._folded, None
        if folded is not None:
            self._long(base, folded + _chars(complete[: ends[0]]))
            lengths[0] = 1  # not an empty line, and already measured
        if lines.first_long is None and lengths.max() > self._limit:
            for index in np.flatnonzero(lengths > self._limit):
                line = complete[starts[index] : ends[index]]
                if _chars(line) > self._limit:
                    self._long(base + int(index), _chars(line))
                    break
        empty = np.flatnonzero(lengths == 0)
        if len(empty):
            lines.empty.extend((empty + base).tolist())
        first = 0  # the first line that starts in this piece
        if folded is not None:
            folded_quotes, self._folded_quotes = self._folded_quotes, 0
            if (folded_quotes + complete.count(b'"', 0, ends[0])) % 2:
                lines.last_odd_quotes = base
            first = 1
        scan = complete if folded is None else complete[ends[0] + 1 :]
        if b'"' in scan:
            quotes = scan.translate(None, _NOT_QUOTE_OR_BREAK)
            last = None
            for last in _ODD_QUOTES.finditer(quotes):  # noqa: B007 - only the last one is wanted
                pass
            if last is not None:
                lines.last_odd_quotes = base + first + quotes.count(b"\n", 0, last.start())
        last_bytes = np.bincount(data[ends[lengths > 0] - 1], minlength=256)  # the byte each non-empty line ends with
        lines.ending_delimiters.update(d for d in DELIMITERS if last_bytes[ord(d)])
        lines.count = base + len(ends)

    def _long(self, line: int, chars: int) -> None:
        if self.lines.first_long is None and chars > self._limit:
            self.lines.first_long = (line, chars)


# ---------------------------------------------------------------------------- the copy


@dataclass
class Export:
    """One export as UTF-8 in the read folder, with its content hash (of the bytes as given) and its lines."""

    name: str
    path: Path
    content_hash: str
    lines: Lines
    head: list[str]  # the first lines (HEADER_SEARCH_LINES at most), decoded
    whole_head: bool  # the head is the whole file

    def iter_lines(self, first: int = 0) -> Iterator[str]:
        """The file's lines from line `first` (0-based) on, streamed."""
        with open(self.path, encoding="utf-8", newline="") as handle:
            for number, line in enumerate(iter_lines(handle)):
                if number >= first:
                    yield line

    def line_texts(self, numbers: set[int]) -> dict[int, str]:
        """The text of a few lines (0-based), read in one streamed pass."""
        found: dict[int, str] = {}
        if not numbers:
            return found
        last = max(numbers)
        for number, line in enumerate(self.iter_lines()):
            if number in numbers:
                found[number] = line
            if number >= last:
                break
        return found

    def at_most_one_nonblank_line(self) -> bool:
        """At most one line with anything but spaces (lines past the head count when not empty)."""
        nonblank = sum(1 for line in self.head if line.strip())
        if not self.whole_head:
            beyond = self.lines.count - len(self.head)
            nonblank += beyond - self.lines.empty_after(len(self.head) - 1)
        return nonblank <= 1

    def narrow(self, delimiter: str) -> None:
        """Drop the delimiters that end lines (Excel's trailing empty columns), streamed into a new copy;
        a line of only delimiters stays one blank row. Line numbers and lengths checked before stay valid."""
        narrowed = self.path.with_name(f"narrow-{self.path.name}")
        with open(narrowed, "w", encoding="utf-8", newline="") as out:
            batch: list[str] = []
            for line in self.iter_lines():
                batch.append(f"{line.rstrip(delimiter) or line[:1]}\n")
                if len(batch) >= 4096:
                    out.write("".join(batch))
                    batch.clear()
            out.write("".join(batch))
        os.replace(narrowed, self.path)


def read_export(name: str, open_bytes: OpenBytes, folder: Path, *, limit_chars: int, head_lines: int) -> Export:
    """Copy an export into `folder` as UTF-8, learning its lines on the way; FileRefused for an empty, binary,
    damaged or oversized file (the same checks and messages as decoding it whole)."""
    path = folder / "export.csv"  # DuckDB reads a path as a glob: it only ever gets a name of ours
    with open_bytes() as handle:
        head = handle.read(HEAD_BYTES)
    if not head.strip(BLANK_BYTES) and _all_blank(open_bytes):
        raise FileRefused(f"{name}: het bestand is leeg.")
    if head.startswith(b"PK\x03\x04"):
        digest, lines = _xlsx_to_csv(name, open_bytes, path, limit_chars)
    else:
        encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else utf16_without_bom(head)
        if encoding:
            digest, lines = _transcode(name, open_bytes, path, limit_chars, encoding)
        else:
            if b"\x00" in head:
                raise FileRefused(f"{name}: dit is geen tekstbestand (CSV). Kies het exportbestand van de leerlingadministratie.")
            digest, lines, utf8 = _copy_utf8(name, open_bytes, path, limit_chars)
            if not utf8:
                _, lines = _transcode(name, open_bytes, path, limit_chars, "utf-8")
    first, whole = _head(path, head_lines)
    return Export(name, path, digest, lines, first, whole)


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK_BYTES):
        yield chunk


def _all_blank(open_bytes: OpenBytes) -> bool:
    with open_bytes() as handle:
        return all(not chunk.strip(BLANK_BYTES) for chunk in _chunks(handle))


def _hash(open_bytes: OpenBytes) -> str:
    digest = hashlib.sha256()
    with open_bytes() as handle:
        for chunk in _chunks(handle):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_utf8(name: str, open_bytes: OpenBytes, path: Path, limit_chars: int) -> tuple[str, Lines, bool]:
    """The bytes as they are (without a BOM); (content hash, lines, whether every byte was UTF-8). A NUL byte
    refuses the file with its line; past the first byte that is not UTF-8 nothing more is written."""
    digest = hashlib.sha256()
    counter = _LineCounter(limit_chars)
    check = codecs.getincrementaldecoder("utf-8")()
    utf8, newlines, first = True, 0, True
    with open_bytes() as handle, open(path, "wb") as out:
        for chunk in _chunks(handle):
            digest.update(chunk)
            if b"\x00" in chunk:
                # past the first 64 KB: a broken export; DuckDB would read the cell up to it and carry on
                line = newlines + chunk[: chunk.index(b"\x00")].count(b"\n") + 1
                raise FileRefused(f"{name}, regel {line}: de regel bevat een NUL-teken; het bestand is beschadigd of geen tekstbestand. "
                                  "Sla de export opnieuw op.")
            newlines += chunk.count(b"\n")
            if first and chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
            first = False
            if not utf8:
                continue
            try:
                check.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
                continue
            out.write(chunk)
            counter.feed(chunk)
    try:
        check.decode(b"", final=True)
    except UnicodeDecodeError:
        utf8 = False
    return digest.hexdigest(), counter.finish(), utf8


def _transcode(name: str, open_bytes: OpenBytes, path: Path, limit_chars: int, encoding: str) -> tuple[str, Lines]:
    """UTF-16, or UTF-8 with bytes that are not (read as Windows-1252), rewritten as UTF-8 chunk by chunk."""
    digest = hashlib.sha256()
    counter = _LineCounter(limit_chars)
    errors = "strict" if encoding.startswith("utf-16") else WINDOWS_1252_FALLBACK
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    first = True
    try:
        with open_bytes() as handle, open(path, "wb") as out:
            for chunk in _chunks(handle):
                digest.update(chunk)
                if first and encoding == "utf-8" and chunk.startswith(b"\xef\xbb\xbf"):
                    chunk = chunk[3:]
                first = False
                _write(out, counter, decoder.decode(chunk))
            _write(out, counter, decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        raise FileRefused(f"{name}: het bestand zegt UTF-16 te zijn maar is beschadigd. Sla het opnieuw op als CSV (UTF-8).") from None
    return digest.hexdigest(), counter.finish()


def _write(out: BinaryIO, counter: _LineCounter, text: str) -> None:
    data = text.encode("utf-8", errors="surrogatepass")
    out.write(data)
    counter.feed(data)


def _head(path: Path, count: int) -> tuple[list[str], bool]:
    """The first `count` lines of the UTF-8 copy, and whether they are all of it."""
    data = b""
    with open(path, "rb") as handle:
        while len(data) < HEAD_TEXT_BYTES and data.count(b"\n") + data.count(b"\r") <= 2 * count:
            piece = handle.read(HEAD_BYTES)
            if not piece:
                break
            data += piece
        whole = not handle.read(1)
    text = data.decode("utf-8", errors="replace")
    lines = split_lines(text) if text else []
    if not whole and lines and not text.endswith(("\n", "\r")):
        lines.pop()  # cut off: never a header candidate (the lines before it fill megabytes)
    return lines[:count], whole and len(lines) <= count


# ---------------------------------------------------------------------------- encodings


def _windows_1252_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: the bytes UTF-8 cannot read, as Windows-1252 (Latin-1 covers its five gaps)."""
    bad = error.object[error.start : error.end]
    return "".join(bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in bad), error.end


WINDOWS_1252_FALLBACK = "sto-windows-1252"
codecs.register_error(WINDOWS_1252_FALLBACK, _windows_1252_bytes)


def utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for UTF-16 text without a byte order mark (mostly ASCII: every other byte zero)."""
    head = data[:4096]
    if len(head) < 8 or len(head) % 2:
        head = head[: len(head) - len(head) % 2]
    if len(head) < 8:
        return None
    even_zero, odd_zero = head[0::2].count(0), head[1::2].count(0)
    half = len(head) // 2
    if odd_zero >= 0.9 * half and even_zero <= 0.1 * half:
        return "utf-16-le"
    if even_zero >= 0.9 * half and odd_zero <= 0.1 * half:
        return "utf-16-be"
    return None


# ---------------------------------------------------------------------------- .xlsx


def _xlsx_to_csv(name: str, open_bytes: OpenBytes, path: Path, limit_chars: int) -> tuple[str, Lines]:
    """The first sheet written row by row as semicolon-separated UTF-8; (hash of the workbook's bytes, lines)."""
    counter = _LineCounter(limit_chars)
    with open(path, "wb") as out, open_bytes() as workbook_bytes:
        buffered = _Buffered(out, counter)
        write_xlsx_rows(name, workbook_bytes, buffered)
        buffered.flush()
    return _hash(open_bytes), counter.finish()


class _Buffered:
    """Text written in small pieces, encoded and counted a chunk at a time."""

    def __init__(self, target: BinaryIO, counter: _LineCounter) -> None:
        self._target, self._counter = target, counter
        self._pieces: list[str] = []
        self._size = 0

    def write(self, text: str) -> None:
        self._pieces.append(text)
        self._size += len(text)
        if self._size >= CHUNK_BYTES // 4:
            self.flush()

    def flush(self) -> None:
        _write(self._target, self._counter, "".join(self._pieces))
        self._pieces.clear()
        self._size = 0


def write_xlsx_rows(name: str, workbook_bytes: BinaryIO, out: TextIO) -> None:
    """The first sheet of an Excel workbook as semicolon-separated text (values, never formulas), row by row."""
    import zipfile

    from openpyxl import load_workbook  # only needed for .xlsx exports

    unreadable = FileRefused(f"{name}: dit zipbestand is geen leesbaar Excel-werkboek (.xlsx). Sla het op als CSV (puntkomma-gescheiden) "
                             "en laad het opnieuw.")
    try:
        workbook = load_workbook(workbook_bytes, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise unreadable from None
    except Exception:  # openpyxl meets a damaged part with whatever its parser raises (ParseError, IndexError, ...)
        raise unreadable from None
    try:
        _write_first_sheet(name, workbook, out)
    except FileRefused:
        raise
    except Exception:  # a damaged sheet, or a first sheet that is a chart: refused like a damaged workbook, never a crash
        raise FileRefused(f"{name}: het eerste werkblad van dit Excel-werkboek is beschadigd of is geen tabel (bijvoorbeeld een grafiekblad). "
                          "Sla de tabel op als CSV (puntkomma-gescheiden) en laad die opnieuw.") from None
    finally:
        workbook.close()


def _write_first_sheet(name: str, workbook, out: TextIO) -> None:
    sheet = workbook.worksheets[0]
    # The sheet's dimension tag is the file's claim, not its cells: read only the cells that exist.
    sheet.reset_dimensions()
    written = 0

    class _Counting:
        def write(self, text: str) -> None:
            nonlocal written
            written += len(text)
            out.write(text)

    writer = csv.writer(_Counting(), delimiter=";", quotechar='"', lineterminator="\n")
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        writer.writerow(_xlsx_row(name, number, row))
        if written > MAX_XLSX_CHARS:
            raise FileRefused(f"{name}, regel {number}: het werkblad is groter dan een leerlingexport kan zijn. Sla het op als CSV en controleer het.")


def _xlsx_row(name: str, number: int, row: Sequence[object]) -> list[str]:
    """One sheet row as text cells without its trailing empty cells; FileRefused past the limits."""
    from openpyxl.utils import get_column_letter

    if number > MAX_XLSX_ROWS:
        raise FileRefused(f"{name}, regel {number}: het werkblad heeft meer dan {MAX_XLSX_ROWS:,} regels; dat is geen leerlingexport.".replace(",", "."))
    cells = ["" if value is None else _excel_cell(value) for value in row]
    while cells and not cells[-1]:
        cells.pop()
    if len(cells) > MAX_XLSX_COLUMNS:
        raise FileRefused(f"{name}, regel {number}: het werkblad heeft gegevens in kolom {get_column_letter(len(cells))}; een leerlingexport "
                          f"heeft hooguit {MAX_XLSX_COLUMNS} kolommen. Verwijder wat rechts naast de tabel staat of sla het op als CSV.")
    for column, cell in enumerate(cells, start=1):
        if len(cell) > MAX_CELL_CHARS:
            raise FileRefused(f"{name}, cel {get_column_letter(column)}{number}: de cel is {len(cell):,} tekens lang; ".replace(",", ".")
                              + "een exportcel is veel korter. Het bestand is beschadigd of geen leerlingexport.")
    return cells


def _excel_cell(value: object) -> str:
    """A cell as the text a CSV export would hold: whole numbers without '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
