"""The one line-splitting rule for every file the loaders read, the same as DuckDB's reader."""

from __future__ import annotations

import csv
import re

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The text's lines as DuckDB's reader counts them (its `skip` and row numbers): only \\n, \\r\\n and \\r end a line.

    str.splitlines() also breaks at \\x0c, \\u2028 and other characters, which would put the header one line off.
    """
    lines = _LINE_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()  # a final line break ends the last line, it does not start another
    return lines


class UnclosedQuote(ValueError):
    """A quoted cell still open at the end of the file; `line` is the 0-based line where its row starts."""

    def __init__(self, line: int) -> None:
        super().__init__(f"quote left open in the row starting at line {line + 1}")
        self.line = line


def record_starts(lines: list[str], delimiter: str, first: int = 0) -> list[int]:
    """The 0-based line where each CSV row of lines[first:] starts: a quoted cell may hold line breaks (RFC 4180).

    A quote opens a cell only at its start, as DuckDB reads it; a row DuckDB will refuse anyway counts one per line.
    Raises UnclosedQuote for a quote still open at the end of the file (DuckDB's serial reader would pass it).
    """
    if not any(line.count('"') % 2 for line in lines[first:]):
        # a cell spanning lines leaves an odd number of quotes on its first line (unless a literal quote evens it out:
        # then DuckDB refuses the file and names the line)
        return list(range(first, len(lines)))
    reader = csv.reader(iter(lines[first:]), delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    starts: list[int] = []
    consumed = 0
    try:
        for _row in reader:
            starts.append(first + consumed)
            consumed = reader.line_num
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise UnclosedQuote(first + consumed) from None
        return starts + list(range(first + consumed, len(lines)))  # DuckDB refuses that row and names its line
    return starts
