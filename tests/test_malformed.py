"""parse_event on the broken inputs of tests/fixtures/malformed/: it never raises, and every
file is either rejected or loaded with warnings, each problem located as `file:line: message`.

Checks that belong to a loader (decoding bytes, a size limit, two files with one path in
a batch) are not made here; these tests only feed the parser text.
"""

from __future__ import annotations

import datetime as dt

import pytest

from newsgraph.parse import Event, ParseResult, Problem, Severity, parse_event, render_event
from tests.parse_inputs import MALFORMED, OVERSIZED_FILLER, edit, line_of, messages, oversized_event_text, read_text

FIXTURES = sorted(path.name for path in MALFORMED.iterdir())
SLOVAKIA_PATH = "/news/2015/09/14/slovakia-announces-renewed-border-controls-with-hungary.md"
NO_DAY = "no day heading (### [YYYY-MM-D](/news/YYYY/MM/D/index.md))"
NO_HEADLINE = "no headline (# ...)"


def parse_fixture(name: str) -> tuple[str, ParseResult]:
    """The fixture's text (bytes that are not UTF-8 replaced) and what parsing it gives."""
    text = read_text(MALFORMED / name)
    return text, parse_event(text, f"malformed/{name}")


def moved(name: str, path: str) -> str:
    """The warning every loaded fixture gets: it does not sit at its canonical path."""
    return f"malformed/{name}:1: file location disagrees with the canonical path {path}"


def test_the_fixture_set_is_complete() -> None:
    assert FIXTURES == [
        "binary-data.bin",
        "deep-nesting.md",
        "duplicate-path-1.md",
        "duplicate-path-2.md",
        "empty.md",
        "html-everywhere.md",
        "impossible-date.md",
        "invalid-utf8.md",
        "no-headline.md",
        "self-link.md",
    ]


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_is_rejected_or_loaded_with_located_problems(name: str) -> None:
    text, result = parse_fixture(name)  # must not raise
    assert result.problems, "every malformed fixture has something to report"
    has_error = any(problem.severity is Severity.ERROR for problem in result.problems)
    assert result.rejected is has_error
    last_line = max(1, len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")))
    for problem in result.problems:
        assert str(problem) == f"malformed/{name}:{problem.line}: {problem.message}"
        assert 1 <= problem.line <= last_line
        assert problem.message and "\n" not in problem.message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("binary-data.bin", ["paragraph before the headline ignored", NO_DAY, NO_HEADLINE]),
        ("empty.md", [NO_DAY, NO_HEADLINE]),
        ("no-headline.md", [NO_HEADLINE]),
        ("impossible-date.md", ["impossible date 2015-02-30"]),
    ],
)
def test_fixture_without_a_usable_head_is_rejected_at_line_1(name: str, expected: list[str]) -> None:
    _text, result = parse_fixture(name)
    assert result.rejected
    assert messages(result) == [f"malformed/{name}:1: {message}" for message in expected]


def test_deep_nesting_is_rejected_at_the_deep_list() -> None:
    text, result = parse_fixture("deep-nesting.md")
    assert text.count("- ") >= 5000
    assert result.rejected
    line = line_of(text, "- - - ")
    message = "lists nested too deep: the file cannot be read past this line"
    assert messages(result) == [f"malformed/deep-nesting.md:{line}: {message}"]


def test_self_link_is_dropped_with_a_warning() -> None:
    text, result = parse_fixture("self-link.md")
    assert result.event is not None
    line = line_of(text, f"]({SLOVAKIA_PATH})")
    assert sorted(messages(result)) == sorted([
        moved("self-link.md", SLOVAKIA_PATH),
        f"malformed/self-link.md:{line}: related link points to the event itself, ignored",
    ])
    assert SLOVAKIA_PATH not in [item.path for item in result.event.related]
    assert len(result.event.related) == 10  # the file's other related items are all kept


def test_duplicate_path_files_are_two_events_with_one_path() -> None:
    """Headlines that differ in case and punctuation only have the same slug; a loader must notice."""
    events: list[Event] = []
    for name in ("duplicate-path-1.md", "duplicate-path-2.md"):
        _text, result = parse_fixture(name)
        assert messages(result) == [moved(name, SLOVAKIA_PATH)]
        events.append(result.event)
    first, second = events
    assert first.path == second.path == SLOVAKIA_PATH
    assert first.headline == "Slovakia announces renewed border controls with Hungary."
    assert second.headline == "SLOVAKIA announces renewed border-controls with Hungary!"
    assert first.summary != second.summary


def test_invalid_utf8_decoded_with_replacement_changes_the_path() -> None:
    raw = (MALFORMED / "invalid-utf8.md").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    _text, result = parse_fixture("invalid-utf8.md")
    event = result.event
    assert "Otto P\ufffdrez Molina" in event.headline
    # U+FFFD has no ASCII form, so NFKD folding drops it: "prez", not the archive's "perez"
    assert "-otto-prez-molina-" in event.path
    assert messages(result) == [moved("invalid-utf8.md", event.path)]


# -- HTML is text ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html_event() -> Event:
    _text, result = parse_fixture("html-everywhere.md")
    assert result.event is not None
    assert messages(result) == [moved("html-everywhere.md", result.event.path)]
    return result.event


def test_html_in_the_headline_stays_text(html_event: Event) -> None:
    assert html_event.headline == (
        '<b>Slovakia</b> announces <script>alert("headline")</script> border controls <img src=x onerror=alert(1)>'
    )
    # the slug treats the markup as any other characters
    assert html_event.path == (
        "/news/2015/09/14/b-slovakia-b-announces-script-alert-headline-script-border-controls-img-src-x-onerror-"
        "alert-1.md"
    )


def test_html_in_the_summary_stays_text(html_event: Event) -> None:
    written = (
        "Part of the story <a href=\"javascript:alert('summary')\">European migrant crisis</a> "
        '<script>alert("summary")</script> &lt;script&gt;alert("entity")&lt;/script&gt; <!-- comment -->'
    )
    assert html_event.summary_markdown == written
    # plain text decodes entities: "&lt;script&gt;" becomes the characters "<script>", still only text
    assert html_event.summary == edit(edit(written, "&lt;", "<", count=2), "&gt;", ">", count=2)


def test_html_in_source_and_related_stays_text(html_event: Event) -> None:
    assert html_event.sources[0].name == '<script>alert("source")</script> AP <i>via</i> The New York Times'
    first = html_event.related[0]
    assert first.headline == '<script>alert("related")</script> Foreign ministers <b>meet</b>'
    assert first.context == ('<script>alert("context")</script>', "Hungary", "<b>Slovakia</b>")
    assert first.date == dt.date(2015, 9, 11)


def test_html_event_round_trips(html_event: Event) -> None:
    assert parse_event(render_event(html_event)).event == html_event


# -- made at test time -------------------------------------------------------------------------


def test_oversized_file_parses_whole() -> None:
    """Over 10 MiB: the size limit is a loader's to enforce; the parser itself reads such a file whole."""
    text = oversized_event_text()
    assert len(text.encode("utf-8")) > 10 * 1024 * 1024
    result = parse_event(text, "big.md")
    assert result.event is not None
    assert result.event.path == SLOVAKIA_PATH
    assert result.event.summary.startswith("Part of the story European migrant crisis (International / Relation).")
    sentence = OVERSIZED_FILLER.strip()  # the last one loses its trailing space
    assert result.event.summary.count(sentence) == text.count(sentence) > 200_000
    assert len(result.event.related) == 10
    assert [p.message for p in result.problems] == [f"file location disagrees with the canonical path {SLOVAKIA_PATH}"]


def test_problem_form() -> None:
    problem = Problem("news/x.md", 12, "something odd", Severity.WARNING)
    assert str(problem) == "news/x.md:12: something odd"
