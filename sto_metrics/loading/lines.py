"""The one line-splitting rule for every file the loaders read, the same as DuckDB's reader."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import TextIO

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
READ_CHARS = 1 << 20  # text read per step when lines are streamed from a file


def split_lines(text: str) -> list[str]:
    """The text's lines as DuckDB's reader counts them (its `skip` and row numbers): only \\n, \\r\\n and \\r end a line.

    str.splitlines() also breaks at \\x0c, \\u2028 and other characters, which would put the header one line off.
    """
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()  # a final line break ends the last line, it does not start another
    return lines


def iter_lines(handle: TextIO) -> Iterator[str]:
    """split_lines over a text file opened with newline='', one piece at a time (never the whole file in memory)."""
    carry = ""
    while piece := handle.read(READ_CHARS):
        text = carry + piece
        held = text.endswith("\r")  # a \r\n may be split between two pieces
        lines = _LINE_BREAK.split(text[:-1] if held else text)
        carry = lines.pop() + ("\r" if held else "")
        yield from lines
    if carry:
        yield from split_lines(carry)


class UnclosedQuote(ValueError):
    """A quoted cell still open at the end of the file; `line` is the 0-based line where its row starts."""

    def __init__(self, line: int) -> None:
        super().__init__(f"quote left open in the row starting at line {line + 1}")
        self.line = line


def record_starts(lines: Iterable[str], delimiter: str, first: int = 0) -> Iterator[int]:
    """The 0-based line where each CSV row starts, for the lines from line `first` on (`lines` starts there):
    a quoted cell may hold line breaks (RFC 4180).

    A quote opens a cell only at its start, as DuckDB reads it; a row DuckDB will refuse anyway counts one per line.
    Raises UnclosedQuote for a quote still open at the end of the file (DuckDB's serial reader would pass it).
    """
    counted = _Counted(lines)
    reader = csv.reader(counted, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    consumed = 0
    try:
        for _row in reader:
            yield first + consumed
            consumed = reader.line_num
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise UnclosedQuote(first + consumed) from None
        # DuckDB refuses that row and names its line: every line from here on counts as a row of its own
        yield from range(first + consumed, first + reader.line_num + counted.rest())


class _Counted:
    """An iterator of lines that can count what is left after the CSV reader gave up."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> str:
        return next(self._lines)

    def rest(self) -> int:
        return sum(1 for _ in self._lines)
