"""The one line-splitting rule for every file the loaders read, the same as DuckDB's reader."""

from __future__ import annotations

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
