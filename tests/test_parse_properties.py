"""Properties of the parser over generated inputs (hypothesis).

1. parse_event never raises, on any text, and what it reports is well formed.
2. render_event → parse_event gives back every valid Event.
3. parse_event → render_event → parse_event gives back whatever event a text parsed to.
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsgraph.parse import (
    Event,
    ParseResult,
    RelatedItem,
    Severity,
    Source,
    canonical_path,
    parse_event,
    render_event,
    slugify,
)
from newsgraph.parse.writer import escape_text

MODEST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FILE = "gen/event.md"
HEAD = "### [2015-09-3](/news/2015/09/3/index.md)\n\n# A generated headline \n\n"

# -- 1. never raises ------------------------------------------------------------------------

MARKDOWN_FRAGMENTS = [
    "#", "# ", "###", "### ", "1. ", "2) ", "- ", "* ", "   ", "[", "](", ")", "<", ">", "_Context:", " _", "_", ",",
    "\n", "\n\n", "\r", "\r\n", "\ufeff", "&hellip;", "&amp;", "&#0;", "\\", "*", "`", "\x00", "\u00a0", "é",
    "[2015-09-3](/news/2015/09/3/index.md)", "[2015-02-30](x)", "/news/2015/09/4/x.md", "news/2015/09/3/y.md",
    "Source:", "Sources", "Related", "Cover Image", "http://a.example/x", "javascript:alert(1)", "<script>",
]
markdownish = st.lists(st.sampled_from(MARKDOWN_FRAGMENTS) | st.text(max_size=4), max_size=80).map("".join)


def assert_well_formed(result: ParseResult, text: str) -> None:
    """Rejected exactly when there is an error; every problem located in the text; a path from the content."""
    lines = max(1, len(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")))
    for problem in result.problems:
        assert str(problem) == f"{FILE}:{problem.line}: {problem.message}"
        assert 1 <= problem.line <= lines
    assert result.rejected == any(problem.severity is Severity.ERROR for problem in result.problems)
    if result.event is not None:
        event = result.event
        assert event.path == canonical_path(event.date, event.headline)
        assert slugify(event.headline)
        assert event.headline == event.headline.strip()


@MODEST
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    assert_well_formed(parse_event(text, FILE), text)


@MODEST
@given(st.sampled_from(["", HEAD, "\ufeff" + HEAD.replace("\n", "\r\n")]), markdownish)
def test_never_raises_on_markdownish_text(head: str, body: str) -> None:
    text = head + body
    assert_well_formed(parse_event(text, FILE), text)


# -- 2. render → parse gives every valid Event back -----------------------------------------

# One line of text: no control characters (the \n, \r and friends among them), surrogates,
# or line and paragraph separators; `visible` adds no spaces, so a text with one never strips to "".
line_chars = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
visible = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs"))
TRICKY_TEXT = [
    "#", "1.", "- ", "[", "]", "(", ")", "](", "*", "_", "`", "\\", "<b>", "&amp;", "&hellip;", "&#35;", ",",
    "Related", "Sources:", "Cover Image", "_Context: x_", "2015-09-3", "  ", "\u00a0", "é", "ﬁ", "消",
]
pieces = st.lists(st.sampled_from(TRICKY_TEXT) | st.text(line_chars, min_size=1, max_size=6), max_size=2).map("".join)


def one_line(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Stripped single-line text around a `core` that survives stripping, mixing in markdown to escape."""
    return st.builds(lambda before, middle, after: (before + middle + after).strip(), pieces, core, pieces)


alphanumeric = string.ascii_letters + string.digits
ascii_word = st.text(alphanumeric, min_size=1, max_size=8)
# the core gives the slug a path needs; a headline may also be just a section's name
headlines = one_line(ascii_word) | st.sampled_from(["Related", "Sources:", "source"])
texts = one_line(st.text(visible, min_size=1, max_size=8))
dates = st.dates()

URL_FRAGMENTS = [
    "/", "/news", "?q=1", "&b=2", "&amp;", "&#35;", ";", "#top", "(", ")", "%20", "~", "_", "-", ".", "!", "*", "'",
    "+", ",", "@", ":",
]
urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https"]),
    st.builds("{}.{}".format, st.text(alphanumeric.lower(), min_size=1, max_size=10), st.sampled_from(["com", "uk"])),
    st.lists(st.sampled_from(URL_FRAGMENTS) | st.text(alphanumeric, min_size=1, max_size=8), max_size=8).map("".join),
)
sources = st.builds(Source, name=texts.filter(lambda name: name.casefold() != "cover image"), url=urls)
# a tag keeps a core without commas, so it is never blank once commas are gone
no_comma = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs"), blacklist_characters=",")
tags = one_line(st.text(no_comma, min_size=1, max_size=8)).map(lambda tag: tag.replace(",", " ").strip())


@st.composite
def related_items(draw: st.DrawFn) -> RelatedItem:
    date, headline = draw(dates), draw(headlines)
    link_text = draw(st.sampled_from([headline, ""]) | texts)
    context = tuple(dict.fromkeys(draw(st.lists(tags, max_size=3))))
    return RelatedItem(path=canonical_path(date, headline), headline=link_text, date=date, context=context)


@st.composite
def events(draw: st.DrawFn) -> Event:
    date, headline = draw(dates), draw(headlines)
    path = canonical_path(date, headline)
    paragraphs = draw(st.lists(texts, max_size=2))
    related = draw(st.lists(related_items(), max_size=3, unique_by=lambda item: item.path))
    return Event(
        path=path,
        date=date,
        headline=headline,
        summary="\n\n".join(paragraphs),  # escaped text reads back as itself
        summary_markdown="\n\n".join(escape_text(paragraph) for paragraph in paragraphs),
        sources=tuple(draw(st.lists(sources, max_size=3))),
        cover_image=draw(st.none() | urls),
        related=tuple(item for item in related if item.path != path),
    )


@MODEST
@given(events())
def test_render_then_parse_gives_the_event_back(event: Event) -> None:
    result = parse_event(render_event(event))
    assert result.problems == ()
    assert result.event == event


# -- 3. parse → render → parse is stable ------------------------------------------------------


@MODEST
@given(st.sampled_from([HEAD, HEAD + "### Related:\n\n"]), markdownish)
@example(HEAD, "#\u00a0")  # not a heading (no space after #) only while the no-break space stays
@example(HEAD, "\\ \n1. ")  # a literal backslash, until the space after it is cut: then a line break
@example(HEAD + "### Source:\n\n", "1. [x](http://a.example/?a&amp;amp;b)")  # "&amp;" in a URL, as text
def test_a_parsed_event_survives_rendering(head: str, body: str) -> None:
    first = parse_event(head + body).event
    if first is not None:
        assert parse_event(render_event(first)).event == first
