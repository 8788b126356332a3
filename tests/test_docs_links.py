"""The project documents itself: no references to files outside the repository, no broken links.

Users of the project get the repository only, so nothing in it may point to the planning
notes that lived beside it (`../shared/...`, `spec/*.md`), and every relative Markdown link in
the README and in docs/ must lead to a file (and heading) that exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# References to documents that are not part of the repository.
OUTSIDE_REFERENCE = re.compile(r"\.\./shared|(?<![\w/.-])spec/[\w-]+\.md")
TEXT_SUFFIXES = {".py", ".md", ".sql", ".toml", ".txt", ".csv", ".json", ".cfg", ".ini", ".yml", ".yaml"}

# Already clean; must stay clean.
CLEAN_PATHS = ["README.md", "docs", "pages", "app_support.py", "dashboard.py"]


def _text_files(relative: str) -> list[Path]:
    path = REPO / relative
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts)


def _outside_references(relatives: list[str]) -> list[str]:
    found = []
    for relative in relatives:
        for file in _text_files(relative):
            for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
                if OUTSIDE_REFERENCE.search(line):
                    found.append(f"{file.relative_to(REPO)}:{number}: {line.strip()}")
    return found


def test_readme_docs_and_pages_refer_to_nothing_outside_the_repository():
    assert _outside_references(CLEAN_PATHS) == []


def test_engine_refers_to_nothing_outside_the_repository():
    assert _outside_references(["sto_metrics"]) == []


# ------------------------------------------------------------------------------ Markdown links

FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`+[^`\n]*`+")
INLINE_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _without_code(markdown: str) -> str:
    return INLINE_CODE.sub("", FENCED_BLOCK.sub("", markdown))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def _anchors(markdown_file: Path) -> set[str]:
    anchors: set[str] = set()
    for heading in HEADING.findall(FENCED_BLOCK.sub("", markdown_file.read_text(encoding="utf-8"))):
        slug, n = _slug(heading), 0
        while (slug if n == 0 else f"{slug}-{n}") in anchors:
            n += 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def _markdown_files() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _relative_links(markdown_file: Path) -> list[str]:
    text = _without_code(markdown_file.read_text(encoding="utf-8"))
    links = INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)
    return [link for link in links if not re.match(r"^[a-z][a-z0-9+.-]*:", link, re.IGNORECASE)]


def test_the_link_finder_sees_links_but_not_code():
    sample = "See [a](docs/a.md#x), ![img](b.png \"t\") and `[c](c.md)`.\n```\n[d](d.md)\n```\n[e]: e.md\n[f](https://x.nl)\n"
    text = _without_code(sample)
    found = INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)
    assert found == ["docs/a.md#x", "b.png", "https://x.nl", "e.md"]
    assert _slug("Suppression and `--raw`") == "suppression-and---raw"
    assert _slug("Pupil keys: pseudonymisation") == "pupil-keys-pseudonymisation"


@pytest.mark.parametrize("markdown_file", _markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_markdown_link_points_to_an_existing_file(markdown_file):
    broken = []
    for link in _relative_links(markdown_file):
        target, _, anchor = link.partition("#")
        path = (markdown_file.parent / target).resolve() if target else markdown_file
        if not path.exists():
            broken.append(f"{link}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(f"{link}: no heading with that anchor in {path.relative_to(REPO)}")
    assert broken == [], f"{markdown_file.relative_to(REPO)}: {broken}"
