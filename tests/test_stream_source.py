"""The streaming copy (sto_metrics/loading/source.py) learns the same lines as splitting the whole text would.

Chunks are made tiny here so that lines, \\r\\n pairs and UTF-8 characters fall across chunk borders.
"""

from __future__ import annotations

import io
import random

import pytest

from sto_metrics.loading import source
from sto_metrics.loading.lines import iter_lines, split_lines

LIMIT = 20


def _export(tmp_path, data: bytes, chunk: int, monkeypatch) -> source.Export:
    monkeypatch.setattr(source, "CHUNK_BYTES", chunk)
    folder = tmp_path / f"copy-{chunk}-{random.random()}"
    folder.mkdir()
    return source.read_export("x.csv", lambda: io.BytesIO(data), folder, limit_chars=LIMIT, head_lines=15)


def _expected(text: str) -> dict:
    """The same facts from the whole text, the plain way."""
    lines = split_lines(text)
    long = next(((i, len(line)) for i, line in enumerate(lines) if len(line) > LIMIT), None)
    odd = [i for i, line in enumerate(lines) if line.count('"') % 2]
    return {
        "count": len(lines),
        "empty": [i for i, line in enumerate(lines) if line == ""],
        "first_long": long,
        "last_odd_quotes": odd[-1] if odd else -1,
        "ending": {d for d in source.DELIMITERS if any(line.endswith(d) for line in lines)},
    }


def _learnt(export: source.Export) -> dict:
    lines = export.lines
    return {"count": lines.count, "empty": list(lines.empty), "first_long": lines.first_long,
            "last_odd_quotes": lines.last_odd_quotes, "ending": lines.ending_delimiters}


def test_a_small_file_by_hand(tmp_path, monkeypatch):
    text = 'a;b\r\n\r\n1;"x\r\ny";\r2;é\n\n'
    export = _export(tmp_path, text.encode(), 3, monkeypatch)
    # lines: 'a;b', '', '1;"x', 'y";', '2;é', '' (the final line break ends the last line)
    assert _learnt(export) == {"count": 6, "empty": [1, 5], "first_long": None, "last_odd_quotes": 3, "ending": {";"}}
    assert export.path.read_bytes() == text.encode()  # UTF-8 is copied as it is
    assert export.head == ["a;b", "", '1;"x', 'y";', "2;é", ""]


@pytest.mark.parametrize("seed", range(12))
def test_random_texts_match_splitting_the_whole_text(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    pieces = ["a", "bb", ";", ",", "|", "\t", '"', "é", "€", "\n", "\r\n", "\r", "\n\n", "x" * 25, "ë" * 30]
    text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 400)))
    for chunk in (1, 2, 7, 64):
        assert _learnt(_export(tmp_path, text.encode(), chunk, monkeypatch)) == _expected(text), chunk


def test_a_line_longer_than_any_chunk_is_measured_in_characters(tmp_path, monkeypatch):
    text = "kop;a\n" + "ë" * 500 + "\nnog;b\n"
    export = _export(tmp_path, text.encode(), 16, monkeypatch)
    assert export.lines.first_long == (1, 500) and export.lines.count == 3


def test_windows_1252_and_utf16_are_rewritten_as_utf8_with_the_hash_of_the_bytes_given(tmp_path, monkeypatch):
    import hashlib

    text = "naam;plaats\n‘De Één’;Zaandam – €\n"
    for data in (text.encode("cp1252"), text.encode("utf-16"), ("ok;é\n" + text).encode("utf-8")[:6] + text.encode("cp1252")):
        export = _export(tmp_path, data, 5, monkeypatch)
        assert export.content_hash == hashlib.sha256(data).hexdigest()
        assert export.path.read_text(encoding="utf-8").endswith(text)


def test_iter_lines_streams_what_split_lines_returns(tmp_path, monkeypatch):
    from sto_metrics.loading import lines

    monkeypatch.setattr(lines, "READ_CHARS", 3)
    for text in ["a\r\nb\rc\n\nd", "a\r", "\r\n\r\n", "x", "a\nb\n"]:
        path = tmp_path / "t.csv"
        path.write_bytes(text.encode())
        with open(path, encoding="utf-8", newline="") as handle:
            assert list(iter_lines(handle)) == split_lines(text), text
