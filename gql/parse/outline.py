"""Where things are in an event file: the parse result plus the line of each part, for `newsgraph doctor`.

`outline_event` parses exactly as `parse_event` does (the same reader) and also keeps
what the parser drops or does not place: the line of the day heading and the headline,
every source item with a link (the ones the parser refuses, not http(s), included), and
every related link as written, with the place of its destination in the text.

`rewrite_related_links` changes related links' destinations and nothing else: every
other character of the file, its BOM and line ends included, stays as it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from markdown_it.helpers import parseLinkDestination
from markdown_it.token import Token

from newsgraph.parse.model import ParseResult
from newsgraph.parse.parser import _MARKDOWN, ParseLimits, _archive_path, _EventReader, _first_link

_LINE_END = re.compile(r"\r\n|\r|\n")  # what the parser turns into "\n", so its line numbers are these lines'


class SourceLine(NamedTuple):
    """A source item with a link, as written: its link text, its URL (as markdown-it reads it) and its line."""

    name: str
    url: str
    line: int


class LinkLine(NamedTuple):
    """A related link as written: the archive path it names, its line, and where its destination is.

    `span` is (line index from 0, start column, end column) of the destination in the text's
    lines (angle brackets excluded), None when it could not be placed or was not asked for.
    """

    path: str
    line: int
    span: tuple[int, int, int] | None


@dataclass(frozen=True)
class Outline:
    """A parsed file and where its parts are (lines from 1)."""

    result: ParseResult
    date_line: int
    headline_line: int
    sources: tuple[SourceLine, ...]
    related: tuple[LinkLine, ...]

    def related_line(self, path: str) -> int | None:
        """The line of the first related link naming `path`."""
        return next((link.line for link in self.related if link.path == path), None)


class _PlacingReader(_EventReader):
    """The parser's reader, keeping every source item and related link it meets with its line."""

    def __init__(self, text: str, file: str, limits: ParseLimits, place_links: bool) -> None:
        super().__init__(text, file, limits)
        self.place_links = place_links
        self.source_lines: list[SourceLine] = []
        self.link_lines: list[LinkLine] = []
        self.item_ends: dict[int, int] = {}  # an item's first line → the line after its last (token maps)

    def _list(self, block: list[Token], line: int) -> None:
        for token in block:
            if token.type == "list_item_open" and token.map:
                self.item_ends[token.map[0] + 1] = token.map[1] + 1
        super()._list(block, line)

    def _source_item(self, inline: Token, line: int) -> None:
        link = _first_link(inline)
        if link is not None:
            self.source_lines.append(SourceLine(link[1], link[0], line))
        super()._source_item(inline, line)

    def _related_item(self, inline: Token, line: int) -> None:
        link = _first_link(inline)
        if link is not None:
            href = link[0]
            span = self._destination(href, line) if self.place_links else None
            self.link_lines.append(LinkLine(_archive_path(href), line, span))
        super()._related_item(inline, line)

    def _destination(self, href: str, line: int) -> tuple[int, int, int] | None:
        """Where the first destination of the item at `line` that reads as `href` is written."""
        for index in range(line - 1, min(self.item_ends.get(line, line + 1) - 1, len(self.lines))):
            found = _destination_in(self.lines[index], href)
            if found is not None:
                return (index, *found)
        return None


def _destination_in(text: str, href: str) -> tuple[int, int] | None:
    """(start, end) columns of the first `](destination` in `text` that markdown-it would read as `href`."""
    start = text.find("](")
    while start >= 0:
        position = start + 2
        while position < len(text) and text[position] in " \t":
            position += 1
        parsed = parseLinkDestination(text, position, len(text))
        if parsed.ok and _MARKDOWN.normalizeLink(parsed.str) == href:
            bracketed = text.startswith("<", position)
            return (position + 1, parsed.pos - 1) if bracketed else (position, parsed.pos)
        start = text.find("](", start + 1)
    return None


def outline_event(text: str, file: str = "<string>", limits: ParseLimits = ParseLimits(),
                  place_links: bool = False) -> Outline:
    """`parse_event`'s result, with the lines of the file's parts; `place_links`: with each related link's `span`
    (which a rewrite needs: a tenth of the parse's time more)."""
    reader = _PlacingReader(text, file, limits, place_links)
    result = reader.read()
    return Outline(result, reader.date_line, reader.headline_line, tuple(reader.source_lines),
                   tuple(reader.link_lines))


def rewrite_related_links(text: str, targets: Mapping[str, str], file: str = "<string>",
                          limits: ParseLimits = ParseLimits()) -> tuple[str, list[tuple[int, str, str]]]:
    """`text` with each related link naming a path of `targets` pointing at its target instead.

    Only the destinations change (written bare: a canonical path needs no brackets or
    escapes); every other character, the BOM and each line end included, is kept. Returns
    the new text and (line, old path, new path) for each link changed; a link whose
    destination cannot be placed is left as it is.
    """
    outline = outline_event(text, file, limits, place_links=True)
    changes: list[tuple[int, str, str]] = []
    cuts: list[tuple[int, int, int, str]] = []
    for link in outline.related:
        target = targets.get(link.path)
        if target is None or target == link.path or link.span is None:
            continue
        cuts.append((*link.span, target))
        changes.append((link.line, link.path, target))
    if not cuts:
        return text, []
    body_start = len(text) - len(text.lstrip("\ufeff"))
    line_starts = [body_start] + [match.end() for match in _LINE_END.finditer(text, body_start)]
    pieces: list[str] = []
    done = len(text)
    for index, start, end, target in sorted(cuts, reverse=True):
        offset = line_starts[index]
        pieces += [text[offset + end:done], target]
        done = offset + start
    pieces.append(text[:done])
    return "".join(reversed(pieces)), changes

