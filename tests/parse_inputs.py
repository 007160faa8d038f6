"""Shared by the parser tests: where the inputs live, reading them, and editing real files.

Messy and broken inputs are made from real archive files by checked edits (`edit`,
`edit_lines`): an edit that finds nothing to change fails the test instead of
silently testing the untouched file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from newsgraph.parse import ParseResult, Severity

TESTS = Path(__file__).resolve().parent
ARCHIVE = TESTS.parent / "data"  # the bundled archive: data/news/YYYY/MM/D/<slug>.md
FIXTURES = TESTS / "fixtures"
SPECIMEN = FIXTURES / "specimen" / "iskander.md"  # copy of shared/specimen/iskander.md
MALFORMED = FIXTURES / "malformed"

# Real files with the parts the tests need, named by where they sit under data/.
SLOVAKIA = "news/2015/09/14/slovakia-announces-renewed-border-controls-with-hungary.md"  # summary, 1 source, 10 related
GUATEMALA = (  # non-ASCII headline ("Pérez"), no summary, 2 sources, 2 related
    "news/2015/09/3/the-president-of-guatemala-otto-perez-molina-resigns-after-being-charged-in-a-corruption-"
    "scandal-vice-president-alejandro-maldonado-is-sworn.md"
)
PARADE = (  # headline whose slug, cut at 140, ends in "-" and is trimmed to 139
    "news/2015/09/3/a-military-parade-is-held-in-beijing-featuring-12-000-members-of-the-people-s-liberation-"
    "army-500-vehicles-and-200-people-s-liberation-army.md"
)

TEN_MIB = 10 * 1024 * 1024
OVERSIZED_FILLER = "More of the same story, told at great length. "  # ASCII: one byte a character


def read_text(path: Path) -> str:
    """A file's text exactly as stored (no newline translation); bytes that are not UTF-8 become U+FFFD."""
    return path.read_bytes().decode("utf-8", errors="replace")


def archive_locations() -> list[str]:
    """Every event file of the bundled archive, as its location under data/ (`news/...`)."""
    return sorted(path.relative_to(ARCHIVE).as_posix() for path in (ARCHIVE / "news").rglob("*.md"))


def archive_text(location: str) -> str:
    return read_text(ARCHIVE / location)


def specimen_text() -> str:
    return read_text(SPECIMEN)


def edit(text: str, old: str, new: str, count: int = 1) -> str:
    """`text` with `old` replaced by `new`; `old` must occur exactly `count` times."""
    found = text.count(old)
    assert found == count, f"expected {old!r} {count} time(s) in the text, found it {found} time(s)"
    return text.replace(old, new)


def edit_lines(text: str, pattern: str, replacement: str | Callable[[re.Match[str]], str]) -> str:
    """`re.sub` over lines (`^`/`$` match at each line) that must change at least one line."""
    changed, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count, f"{pattern!r} matched no line"
    return changed


def line_of(text: str, needle: str) -> int:
    """1-based number of the one line that contains `needle`, counted from the text itself."""
    numbers = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(numbers) == 1, f"{needle!r} is on lines {numbers}, expected exactly one"
    return numbers[0]


def messages(result: ParseResult) -> list[str]:
    """Every problem as a person reads it: `file:line: message`."""
    return [str(problem) for problem in result.problems]


def errors(result: ParseResult) -> list[str]:
    return [str(problem) for problem in result.problems if problem.severity is Severity.ERROR]


def warnings(result: ParseResult) -> list[str]:
    return [str(problem) for problem in result.problems if problem.severity is Severity.WARNING]


def oversized_event_text(size: int = TEN_MIB + 1) -> str:
    """A real event file with plain sentences added to its summary until it is over `size` bytes (UTF-8).

    Made at test time rather than committed: the fixture for the loader's file size limit.
    The filler has no links on purpose: markdown-it spends ~0.1 ms on each link, so
    10 MiB of links takes tens of seconds to parse.
    """
    text = archive_text(SLOVAKIA)
    repeats = size // len(OVERSIZED_FILLER) + 1
    return edit(text, "(International / Relation).", "(International / Relation). " + OVERSIZED_FILLER * repeats)
