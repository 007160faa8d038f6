"""The parser's markdown-it set-up (issue 19: parse faster) reads every file exactly as the full parse did.

`newsgraph.parse.parser` parses blocks only, runs the inline parser on just the inline
tokens it reads, and stops the text rule only at the characters its inline rules start
at. The reference here is the configuration it replaced, kept only in this test: the same
rules, with markdown-it's whole core chain (`MarkdownIt.parse`: every inline token parsed,
`text_join`) and its default text terminators. Both feed the same reader, so every Event
and every problem (file, line, message, severity), and the outline `newsgraph doctor` and
`rewrite_related_links` use, must come out identical, on the bundled archive, the specimen,
the malformed fixtures, a generated corpus and generated markdown-ish text.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bench.corpus import generate_events
from newsgraph.parse import ParseLimits, ParseResult, outline_event, parse_event, render_event
from newsgraph.parse.outline import Outline, _PlacingReader
from newsgraph.parse.parser import _MARKDOWN, _MAX_NESTING, _EventReader
from tests.parse_inputs import ARCHIVE, MALFORMED, SPECIMEN, archive_locations, read_text

REFERENCE = MarkdownIt("zero", {"maxNesting": _MAX_NESTING}).enable(
    ["heading", "list", "link", "emphasis", "entity", "escape", "newline", "backticks"]
)  # the configuration before issue 19, parsed in full by MarkdownIt.parse


class _Reference:
    """A reader on the reference's tokens: every inline token parsed (and text-joined) up front."""

    lines: list[str]
    tokens: list[Token]

    def _full_parse(self) -> None:
        self.tokens = REFERENCE.parse("\n".join(self.lines))

    def _parse_inline(self, inline: Token) -> Token:
        return inline  # parsed already, by the core chain


class _ReferenceReader(_Reference, _EventReader):
    def __init__(self, text: str, file: str, limits: ParseLimits) -> None:
        super().__init__(text, file, limits)
        self._full_parse()


class _ReferencePlacingReader(_Reference, _PlacingReader):
    def __init__(self, text: str, file: str, limits: ParseLimits, place_links: bool) -> None:
        super().__init__(text, file, limits, place_links)
        self._full_parse()


def reference_parse(text: str, file: str, limits: ParseLimits = ParseLimits()) -> ParseResult:
    return _ReferenceReader(text, file, limits).read()


def reference_outline(text: str, file: str, limits: ParseLimits = ParseLimits()) -> Outline:
    reader = _ReferencePlacingReader(text, file, limits, True)
    result = reader.read()
    return Outline(result, reader.date_line, reader.headline_line, tuple(reader.source_lines),
                   tuple(reader.link_lines))


def assert_same(text: str, file: str, limits: ParseLimits = ParseLimits()) -> None:
    assert parse_event(text, file, limits) == reference_parse(text, file, limits)
    assert outline_event(text, file, limits, place_links=True) == reference_outline(text, file, limits)


def test_the_parser_runs_only_the_block_parse_and_the_rules_the_format_needs() -> None:
    assert _MARKDOWN.core.ruler.get_active_rules() == ["normalize", "block"]
    assert _MARKDOWN.block.ruler.get_active_rules() == ["list", "heading", "paragraph"]
    assert sorted(_MARKDOWN.inline.ruler.get_active_rules()) == sorted(
        ["text", "newline", "escape", "backticks", "emphasis", "link", "entity"])


def test_the_reference_differs_from_the_parser_s_set_up() -> None:
    """The comparison compares something: the reference parses inline in full, with the default terminators."""
    assert "inline" in REFERENCE.core.ruler.get_active_rules()
    assert REFERENCE.inline.terminator_re.search("a-b")
    assert not _MARKDOWN.inline.terminator_re.search("a-b")


def test_bundled_archive_and_specimen_parse_identically() -> None:
    locations = archive_locations()
    assert len(locations) == 214
    for location in locations:
        assert_same(read_text(ARCHIVE / location), location)
    assert_same(read_text(SPECIMEN), "iskander.md")
    assert_same(read_text(SPECIMEN), "news/2012/12/8/x.md")


@pytest.mark.parametrize("path", sorted(MALFORMED.iterdir()), ids=lambda path: path.name)
def test_malformed_fixtures_parse_identically(path: Path) -> None:
    assert_same(read_text(path), path.name)
    assert_same(read_text(path), path.name, ParseLimits(max_items_per_section=2, max_context_tags=1,
                                                        max_event_tags=2))


def test_generated_corpus_parses_identically() -> None:
    for number, event in enumerate(generate_events(600, seed=19)):
        text = render_event(event)
        assert_same(text, f"gen/{number}.md")
        if number % 50 == 0:  # the same file with CRLF line ends and a BOM
            assert_same("\ufeff" + text.replace("\n", "\r\n"), f"gen/{number}.md")


# Every character markdown-it's default terminators stop at, the ones this parser's text rule
# no longer stops at among them, in and around the constructs the format uses.
FRAGMENTS = [
    "### ", "# ", "## ", "\n", "\n\n", "\r\n", "1. ", "2) ", "- ", "* ", "+ ", "   ", "    ", "> ", "```", "~~~",
    "[", "]", "(", ")", "](", "](<", ">)", "<", ">", "_", "*", "**", "__", "`", "``", "\\", "&", "&amp;",
    "&hellip;", "&#35;", "&#x26;", "&#0;", "!", "![", "#", "$", "%", "%20", "+", "-", "---", ":", "=", "@", "^",
    "{", "}", "~", "~~", "|", "'", '"', " ", "  \n", "\\\n", "\t", "\x00", "\u00a0", "é", "消",
    "_Context:", "_Context: A, B_", " _Context: a, b, c_", "[2015-09-3](/news/2015/09/3/index.md)",
    "[2015-02-30](/news/2015/02/30/index.md)", "[x](/news/2015/09/4/x.md)", "(news/2015/09/3/y%20z.md)",
    "[A](http://a.example/x?y=1#z)", "[Cover Image](https://i.example/p.jpg)", "[B](javascript:alert(1))",
    "<http://auto.example>", "<b>html</b>", "Source:", "Sources", "Related", "Related:", "Cover Image",
    "http://a.example/x", "mailto:a@b", "[ref]", "[ref]: /news/2015/09/3/r.md",
]
HEADS = [
    "",
    "### [2015-09-3](/news/2015/09/3/index.md)\n\n# A generated headline \n\n",
    "### [2015-09-3](/news/2015/09/3/index.md)\n\n# A headline\n\nA summary.\n\n### Source:\n\n1. ",
    "### [2015-09-3](/news/2015/09/3/index.md)\n\n# A headline\n\n### Related:\n\n1. [",
]
markdownish = st.lists(st.sampled_from(FRAGMENTS) | st.text(string.printable, max_size=3), max_size=60).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(HEADS), markdownish)
def test_markdownish_text_parses_identically(head: str, body: str) -> None:
    assert_same(head + body, "gen/event.md", ParseLimits(max_items_per_section=3, max_context_tags=2,
                                                         max_event_tags=3))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_parses_identically(text: str) -> None:
    assert_same(text, "gen/event.md")


# -- the helpers, against markdown-it's own --------------------------------------------------

URL_PIECES = ["/", "//", "news", "/news/2015/09/3/x.md", "http:", "https://", "HTTP://", "mailto:", "a@b", "@", ":",
              "?", "#", "%", "%2", "%20", "%zz", "(", ")", "((", "\\", "\\ ", " ", "\t", "\n", "\x00", "\x7f", "<", ">",
              "[", "]", "[::1]", "é", "\u00a0", "\u2003", "ß", "xn--", ".", "..", "-", "_", "~", "'", '"', "&amp;",
              "&", ";", "=", "+", "$", ",", "!", "*", "javascript:", "data:image/png;", "\ud800", "\udc00", "消"]
url_like = st.lists(st.sampled_from(URL_PIECES) | st.text(max_size=3), max_size=20).map("".join)


@settings(max_examples=1500, deadline=None)
@given(url_like, st.integers(0, 4), st.integers(-2, 3))
def test_parse_link_destination_is_markdown_it_s(text: str, start: int, cut: int) -> None:
    from markdown_it.helpers import parseLinkDestination

    from newsgraph.parse.markdown_rules import parse_link_destination

    start = min(start, len(text))
    maximum = max(start, len(text) - max(cut, 0)) if cut >= 0 else len(text)
    ours, theirs = parse_link_destination(text, start, maximum), parseLinkDestination(text, start, maximum)
    assert (ours.ok, ours.pos, ours.str) == (theirs.ok, theirs.pos, theirs.str)


@settings(max_examples=1500, deadline=None)
@given(url_like)
@example("//@host/x")  # not a path from the root: markdown-it drops the empty user ("//host/x")
@example("/a#b?c")
@example("/news/2015/09/3/x.md")
def test_normalize_link_is_markdown_it_s(url: str) -> None:
    from markdown_it.common.normalize_url import normalizeLink

    from newsgraph.parse.markdown_rules import normalize_link

    try:
        expected: str | type[Exception] = normalizeLink(url)
    except Exception as error:  # noqa: BLE001 - whatever markdown-it raises, ours must raise too
        expected = type(error)
    if isinstance(expected, str):
        assert normalize_link(url) == expected
    else:
        with pytest.raises(expected):
            normalize_link(url)


@settings(max_examples=1500, deadline=None)
@given(url_like)
def test_url_path_is_urlsplit_s(href: str) -> None:
    from urllib.parse import urlsplit

    from newsgraph.parse.parser import _url_path

    try:
        expected: str | None = urlsplit(href).path
    except ValueError:
        expected = None
    if expected is not None:
        assert _url_path(href) == expected


def test_escapable_characters_are_markdown_it_s() -> None:
    from markdown_it.rules_inline.escape import _ESCAPED

    from newsgraph.parse.markdown_rules import ESCAPABLE

    assert ESCAPABLE == _ESCAPED


@pytest.mark.parametrize("text", [
    "a\\  \nb", "a\\ \nb", "a\\,  \nb", "a\\, \nb", "\\\n  b", "a\\", "\\\\", "\\a", "\\é", "\\\ud800\udc00x",
    "_a\\_b_", "*a\\*b*", "[a\\]b](/x)", "`a\\`b`", "a \\  \\ \n b", "&amp;\\&amp;", "a\\\tb  \nc",
])
def test_escapes_read_as_markdown_it_reads_them(text: str) -> None:
    head = "### [2015-09-3](/news/2015/09/3/index.md)\n\n# H " + text.replace("\n", " ") + "\n\n"
    related = "### Related:\n\n1. [" + text + "](/news/2015/09/4/x.md) _Context: " + text + "_\n"
    assert_same(head + text + "\n\n" + related, "gen/event.md")


def test_the_parse_benchmark_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """bench/parse_ab.py, tiny (its figures are in docs/performance.md): no timing asserted."""
    from bench import parse_ab

    assert parse_ab.main(["--events", "40", "--rounds", "1", "--sample", "40", "--bare-sample", "10",
                          "--work", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "parser, this tree" in printed and "full load, this tree" in printed
