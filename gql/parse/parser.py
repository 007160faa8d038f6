"""Markdown text → `Event`, read from markdown-it-py tokens (never regexes over the file).

Pure: the caller passes the text and the name to report problems under. The parser
never raises on any text; everything wrong comes back as a `Problem` with a line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from markdown_it.token import Token

from newsgraph.parse.markdown_rules import FormatMarkdown
from newsgraph.parse.model import Event, ParseResult, Problem, RelatedItem, Severity, Source
from newsgraph.parse.slug import canonical_path, date_from_path
from newsgraph.settings import DEFAULTS

# Only the rules the format uses: fewer rules, faster parsing, and no raw HTML tokens.
# At _MAX_NESTING markdown-it stops reading and drops the rest of the file without a
# word, so a file that gets that deep is rejected instead of loaded half-read.
#
# Block rules: heading, list and paragraph (always on in "zero"); every other construct
# (a fence, a quote, a table, a rule...) reads as paragraph text, which a section either
# keeps as summary text or warns about at its line. Inline rules: links (the day, sources,
# related), emphasis (`_Context: ..._`, and dropped from plain text), entities and escapes
# (decoded), newlines and code spans (plain text). The core chain stops after the block
# parse: the "inline" and "text_join" core rules are off, and `_parse_inline` runs
# markdown-it's inline parser on the inline tokens the reader reads, one by one, when it
# reads them (a nested list's items, an unknown section, the blocks warned about and a
# section over its item limit are never parsed inline). The readers take `text_special`
# tokens (escapes, entities) as text, as "text_join" would have made them.
# The text rule stops only at the characters the enabled inline rules start at (and at
# `]`, where a link label ends): markdown-it's default set also stops at `-`, `:`, `!`...
# for rules that are off here, where it only splits the same pending text at more places.
# FormatMarkdown: markdown-it with faster link helpers and an escape rule that keeps escaped characters
# in the text around them (newsgraph.parse.markdown_rules: the same reading, in fewer tokens).
_MAX_NESTING = 20
_MARKDOWN = FormatMarkdown("zero", {"maxNesting": _MAX_NESTING}).enable(
    ["heading", "list", "link", "emphasis", "entity", "escape", "newline", "backticks"]
).disable(["inline", "text_join"])
_INLINE_STARTS = "\n[]\\_*&`"  # newline, link (and label end), escape, emphasis, entity, backticks
_INLINE_START = _MARKDOWN.inline.terminator_re = re.compile("[" + re.escape(_INLINE_STARTS) + "]")
_TEXT_TYPES = ("text", "text_special", "code_inline")
_BREAK_TYPES = ("softbreak", "hardbreak")
_DATE_TEXT = re.compile(r"^\s*(\d{1,4})-(\d{1,2})-(\d{1,2})\s*$")
_SECTION_NAMES = {"source": "sources", "sources": "sources", "related": "related"}
_COVER_IMAGE = "cover image"
_CONTEXT_LABEL = "context:"
_WEB_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class ParseLimits:
    """Bounds on one file's content, enforced when it is loaded (a query's limits are `QueryLimits`, in the API):
    past the size and item bounds the file is rejected with a clear error; context tags past theirs are dropped
    with a warning (the event still loads).

    They also bound what one stored event can hold, which the query cost limit counts on
    (`newsgraph.api.limits.query_cost_rule` costs `sources`, `related`, `tags` and a link's
    `context` at these bounds): an event has at most `max_items_per_section` sources and
    related links, each link at most `max_context_tags` context tags, and the event at most
    `max_event_tags` tags (the union of its links' contexts, compared case-insensitively as
    the archive compares them).
    """

    max_items_per_section: int = DEFAULTS.max_items  # `load --max-items`
    max_context_tags: int = 20  # tags in one related link's `_Context: ..._`, as written (repeats dropped)
    max_event_tags: int = 30  # distinct tags of one event (case-insensitive), the union of its links' contexts


def parse_event(text: str, file: str = "<string>", limits: ParseLimits = ParseLimits()) -> ParseResult:
    """Parse one event file. `file` names it in problems and is checked against the canonical path."""
    return _EventReader(text, file, limits).read()


def plain_text(inline: Token) -> str:
    """The text a reader sees in an inline token: markup dropped, entities decoded."""
    return _plain(inline.children or ())


def _plain(children: list[Token] | tuple[()]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in _TEXT_TYPES:
            parts.append(child.content)
        elif child.type in _BREAK_TYPES:
            parts.append(" ")
    return "".join(parts)


def _parse_date_text(text: str) -> tuple[int, int, int] | None:
    match = _DATE_TEXT.match(text)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _section_of(title: str) -> str | None:
    return _SECTION_NAMES.get(title.strip().rstrip(":").strip().casefold())


def _archive_path(href: str) -> str:
    """A related link's target as a canonical-style path (`/news/...`), whatever form it came in."""
    path = unquote(_url_path(href))
    if path.startswith("news/"):
        path = "/" + path
    return path


def _url_path(href: str) -> str:
    """`urlsplit(href).path`; for a path from the root (a related link as written), without urlsplit's work.

    Such an href has no scheme (it starts with `/`) and no host (not with `//`): urlsplit
    then cuts it at the first `#`, then at the first `?`, and keeps the rest, once it has
    dropped tabs and line ends, which an href markdown-it gives never holds (it encodes them).
    """
    if href.startswith("/") and not href.startswith("//") and "\t" not in href and "\r" not in href \
            and "\n" not in href:
        return href.partition("#")[0].partition("?")[0]
    try:
        return urlsplit(href).path
    except ValueError:  # e.g. `http://[x]/`, an invalid IPv6 host: a path that resolves to nothing
        return href


class _EventReader:
    """One pass over the token stream, keeping the section it is in."""

    def __init__(self, text: str, file: str, limits: ParseLimits) -> None:
        self.file = file
        self.limits = limits
        body = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        self.lines = body.split("\n")
        self.env: dict[str, object] = {}  # markdown-it's, shared by the block and every inline parse of the file
        # markdown-it's core chain as far as it goes here (see _MARKDOWN): its "normalize" rule (line
        # ends, done above, and NULs) and the block parse; the inline parse is _parse_inline's.
        self.tokens: list[Token] = []
        _MARKDOWN.block.parse(body.replace("\0", "\ufffd"), _MARKDOWN, self.env, self.tokens)
        self.problems: list[Problem] = []
        self.date: dt.date | None = None
        self.date_line = 1
        self.headline: str | None = None
        self.headline_line = 1
        self.summary_blocks: list[tuple[str, str]] = []  # (plain text, markdown) per block
        self.sources: list[Source] = []
        self.cover_image: str | None = None
        self.related: list[tuple[RelatedItem, int]] = []
        self.section = "preamble"

    # -- problems -------------------------------------------------------------------------
    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message, Severity.WARNING))

    def reject(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message, Severity.ERROR))

    def _parse_inline(self, inline: Token) -> Token:
        """`inline` with its children: markdown-it's inline parse, as its "inline" core rule would have run it.

        Text where no inline rule can start (no character of _INLINE_STARTS: a section title, a
        plain paragraph) is what markdown-it's text rule makes of it, one text token, unparsed.
        """
        content = inline.content
        if _INLINE_START.search(content) is None:
            inline.children = [Token("text", "", 0, content=content)] if content else []
        else:
            inline.children = _MARKDOWN.inline.parse(content, _MARKDOWN, self.env, [])
        return inline

    # -- the walk ---------------------------------------------------------------------------
    def read(self) -> ParseResult:
        too_deep = next((t for t in self.tokens if t.nesting == 1 and t.level >= _MAX_NESTING - 1), None)
        if too_deep is not None:
            line = too_deep.map[0] + 1 if too_deep.map else 1
            self.reject(line, "lists nested too deep: the file cannot be read past this line")
            return ParseResult(None, tuple(self.problems))
        index = 0
        while index < len(self.tokens):
            token = self.tokens[index]
            if token.level == 0 and token.nesting == 1:
                end = self._block_end(index)
                self._top_level_block(self.tokens[index:end + 1])
                index = end + 1
            else:
                index += 1
        return self._result()

    def _block_end(self, start: int) -> int:
        depth = 0
        for index in range(start, len(self.tokens)):
            depth += self.tokens[index].nesting
            if depth == 0:
                return index
        return len(self.tokens) - 1

    def _top_level_block(self, block: list[Token]) -> None:
        opening = block[0]
        line = opening.map[0] + 1 if opening.map else 1
        if opening.type == "heading_open":
            self._heading(opening.tag, self._parse_inline(block[1]), line)
        elif self.section == "summary":
            self._summary_block(block, opening)
        elif self.section in ("sources", "related") and opening.type.endswith("list_open"):
            self._list(block, line)
        elif self.section == "unknown":
            pass  # already warned at the heading
        else:
            where = "before the headline" if self.headline is None else f"in the {self.section} section"
            self.warn(line, f"{opening.type.removesuffix('_open').replace('_', ' ')} {where} ignored")

    def _heading(self, tag: str, inline: Token, line: int) -> None:
        title = plain_text(inline)
        if tag == "h1" and self.headline is None:
            self.headline = title.strip()  # the first `#` is the headline, whatever it says
            self.headline_line = line
            self.section = "summary"
            return
        section = _section_of(title)
        if section is not None:
            self.section = section
            return
        if tag == "h1":
            self.warn(line, f"second headline ignored: {title.strip()[:80]!r}")
            return
        if self._day_heading(inline, title, line):
            return
        self.section = "unknown"
        self.warn(line, f"unknown section {title.strip()[:80]!r} ignored")

    def _day_heading(self, inline: Token, title: str, line: int) -> bool:
        """Take the date from `### [YYYY-MM-D](/news/YYYY/MM/D/index.md)`; False when it is no date."""
        parts = _parse_date_text(title)
        if parts is None:
            return False
        if self.date is not None:
            self.warn(line, f"second day heading ignored: {title.strip()}")
            return True
        try:
            self.date = dt.date(*parts)
            self.date_line = line
        except ValueError:
            self.reject(line, f"impossible date {title.strip()}")
        return True

    def _summary_block(self, block: list[Token], opening: Token) -> None:
        inlines = [self._parse_inline(token) for token in block if token.type == "inline"]
        plain = "\n".join(plain_text(token).strip() for token in inlines).strip()
        start, end = opening.map or (0, 0)
        markdown = "\n".join(self.lines[start:end]).strip(" \t\n")
        if plain:
            self.summary_blocks.append((plain, markdown))

    def _list(self, block: list[Token], line: int) -> None:
        list_level = block[0].level
        items: list[tuple[Token, int]] = []
        for position, token in enumerate(block):
            kind = token.type
            if kind == "list_item_open":
                if token.level == list_level + 1:
                    item_line = token.map[0] + 1 if token.map else line
                    inline = _item_text(block, position)
                    if inline is not None:
                        items.append((inline, item_line))
            elif kind.endswith("list_open") and token.level == list_level + 2:  # once, not per level
                self.warn(token.map[0] + 1 if token.map else line, "nested list ignored")
        limit = self.limits.max_items_per_section
        if len(items) + self._items_so_far() > limit:
            self.reject(line, f"{self.section} section has more than {limit} items (the limit)")
            return
        for inline, item_line in items:
            self._parse_inline(inline)
            if self.section == "sources":
                self._source_item(inline, item_line)
            else:
                self._related_item(inline, item_line)

    def _items_so_far(self) -> int:
        if self.section == "sources":
            return len(self.sources) + (self.cover_image is not None)
        return len(self.related)

    def _source_item(self, inline: Token, line: int) -> None:
        link = _first_link(inline)
        if link is None:
            self.warn(line, f"source item has no link: {plain_text(inline).strip()[:80]!r}")
            return
        href, name, _rest = link
        try:
            scheme = urlsplit(href).scheme.lower()
        except ValueError:  # e.g. `http://[x]/`, an invalid IPv6 host
            self.warn(line, f"source link is not a valid URL, ignored: {href[:80]!r}")
            return
        if scheme not in _WEB_SCHEMES:
            self.warn(line, f"source link is not http(s), ignored: {href[:80]!r}")
            return
        if name.casefold() == _COVER_IMAGE:
            if self.cover_image is None:
                self.cover_image = href
            else:
                self.warn(line, "second cover image ignored")
            return
        if not name:
            self.warn(line, f"source link has no name: {href[:80]!r}")
            return
        self.sources.append(Source(name=name, url=href))

    def _related_item(self, inline: Token, line: int) -> None:
        link = _first_link(inline)
        if link is None:
            self.warn(line, f"related item has no link: {plain_text(inline).strip()[:80]!r}")
            return
        href, headline, rest = link
        path = _archive_path(href)
        date = date_from_path(path)
        if date is None:
            self.warn(line, f"related link is not an archive path (/news/YYYY/MM/D/slug.md): {href[:80]!r}")
            return
        context = self._context(rest, line)
        limit = self.limits.max_context_tags
        if len(context) > limit:
            self.warn(line, f"related link has {len(context):,} context tags; the first {limit} are kept (the limit)")
            context = context[:limit]
        self.related.append((RelatedItem(path, headline, date, context), line))

    def _context(self, text: str, line: int) -> tuple[str, ...]:
        text = text.strip()
        if not text:
            return ()
        if not text.casefold().startswith(_CONTEXT_LABEL):
            self.warn(line, f"text after a related link is not a context, ignored: {text[:80]!r}")
            return ()
        names = (name.strip() for name in text[len(_CONTEXT_LABEL):].split(","))
        return tuple(dict.fromkeys(name for name in names if name))

    # -- the result -----------------------------------------------------------------------
    def _result(self) -> ParseResult:
        if self.date is None and not any(p.severity is Severity.ERROR for p in self.problems):
            self.reject(1, "no day heading (### [YYYY-MM-D](/news/YYYY/MM/D/index.md))")
        if not self.headline:
            self.reject(1, "no headline (# ...)")
        if any(p.severity is Severity.ERROR for p in self.problems) or self.date is None or not self.headline:
            return ParseResult(None, tuple(self.problems))
        path = canonical_path(self.date, self.headline)
        if path.endswith("/.md"):
            self.reject(self.headline_line, "headline has no letters or digits to form a path from")
            return ParseResult(None, tuple(self.problems))
        related = self._within_tag_limit(self._distinct_related(path))
        self._check_location(path)
        event = Event(
            path=path,
            date=self.date,
            headline=self.headline,
            summary="\n\n".join(plain for plain, _ in self.summary_blocks),
            summary_markdown="\n\n".join(markdown for _, markdown in self.summary_blocks),
            sources=tuple(self.sources),
            cover_image=self.cover_image,
            related=related,
        )
        return ParseResult(event, tuple(self.problems))

    def _distinct_related(self, own_path: str) -> list[tuple[RelatedItem, int]]:
        seen: set[str] = set()
        kept: list[tuple[RelatedItem, int]] = []
        for item, line in self.related:
            if item.path == own_path:
                self.warn(line, "related link points to the event itself, ignored")
            elif item.path in seen:
                self.warn(line, f"related link repeated, ignored: {item.path}")
            else:
                seen.add(item.path)
                kept.append((item, line))
        return kept

    def _within_tag_limit(self, related: list[tuple[RelatedItem, int]]) -> tuple[RelatedItem, ...]:
        """The links, with context tags past the event's limit dropped (a warning at each link that loses some).

        The event's tags are the union of the contexts of the links it keeps, compared
        case-insensitively (`str.casefold`, the archive's tag key): exactly what the archive
        will list as the event's tags. Tags already among them are always kept.
        """
        limit = self.limits.max_event_tags
        tags: set[str] = set()
        kept: list[RelatedItem] = []
        for item, line in related:
            context = []
            for name in item.context:
                key = name.casefold()
                if key in tags or len(tags) < limit:
                    tags.add(key)
                    context.append(name)
            if len(context) < len(item.context):
                self.warn(line, f"an event has at most {limit} distinct tags: "
                                f"{len(item.context) - len(context)} context tag(s) of this link are not kept")
                item = item._replace(context=tuple(context))
            kept.append(item)
        return tuple(kept)

    def _check_location(self, path: str) -> None:
        location = self.file.replace("\\", "/")
        if location.startswith("<"):
            return  # not a file: nothing to compare
        if not ("/" + location.lstrip("/")).endswith(path):
            self.warn(1, f"file location disagrees with the canonical path {path}")


def _item_text(block: list[Token], item_open: int) -> Token | None:
    """The inline token of a list item's own first paragraph; None for an empty item.

    Only tokens inside the item count: an empty item must not take its neighbour's
    text, nor an item holding only a nested list take the nested item's text.
    """
    item_level = block[item_open].level
    for index in range(item_open + 1, len(block)):  # indexes, not a slice: a slice per item is quadratic
        token = block[index]
        if token.type == "list_item_close" and token.level == item_level:
            return None
        if token.type == "inline" and token.level == item_level + 2:
            return token
    return None


def _first_link(inline: Token) -> tuple[str, str, str] | None:
    """(href, link text, text after the link) of the first link in an inline token."""
    children = inline.children or []
    for start, child in enumerate(children):
        if child.type != "link_open":
            continue
        depth, text_parts, end = 0, [], start
        for end in range(start, len(children)):
            token = children[end]
            kind = token.type
            if kind in _TEXT_TYPES:
                text_parts.append(token.content)
            elif kind in _BREAK_TYPES:
                text_parts.append(" ")
            elif kind == "link_open" or kind == "link_close":
                depth += token.nesting
            if depth == 0:
                break
        return str(child.attrs.get("href", "")), "".join(text_parts).strip(), _plain(children[end + 1:])
    return None
