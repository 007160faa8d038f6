"""parse_event on real inputs: the specimen, the bundled archive, messy variants of real
files, and files with problems (each problem asserted as `file:line: message`).

Expected values come from docs/format.md and from reading the input files, never from
running the parser.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata

import pytest

from newsgraph.parse import (
    Event,
    ParseLimits,
    RelatedItem,
    Source,
    canonical_path,
    date_from_path,
    parse_event,
    render_event,
    render_summary,
    slugify,
)
from tests.parse_inputs import (
    GUATEMALA,
    PARADE,
    SLOVAKIA,
    archive_locations,
    archive_text,
    edit,
    edit_lines,
    errors,
    line_of,
    messages,
    specimen_text,
    warnings,
)

SPECIMEN_PATH = (
    "/news/2012/12/8/russia-arms-syria-with-iskander-missiles-in-response-to-nato-s-stationing-of-patriot-"
    "missile-defense-systems-in-turkey.md"
)
SPECIMEN_LOCATION = SPECIMEN_PATH.lstrip("/")  # where the archive would keep it
SLOVAKIA_PATH = "/" + SLOVAKIA
SLOVAKIA_DAY = "### [2015-09-14](/news/2015/09/14/index.md)"
SLOVAKIA_HEADLINE = "# Slovakia announces renewed border controls with Hungary. "
SLOVAKIA_SUMMARY = (
    "Part of the story [European migrant crisis](http://en.wikipedia.org/wiki/European_migrant_crisis) "
    "(International / Relation)."
)
SLOVAKIA_SOURCE = (
    "1. [AP via The New York Times]"
    "(http://www.nytimes.com/aponline/2015/09/14/world/europe/ap-eu-europe-migrants-the-latest.html)"
)
SLOVAKIA_FIRST_RELATED = (
    "/news/2015/09/11/foreign-ministers-from-czech-republic-hungary-poland-and-slovakia-meet-with-officials-"
    "from-the-european-union-and-germany-to-discuss-differe.md"
)


def clean_event(location: str) -> Event:
    """The event of an untouched archive file, which must parse without any problem."""
    result = parse_event(archive_text(location), location)
    assert messages(result) == []
    assert result.event is not None
    return result.event


def again(event: Event) -> Event | None:
    """The event read back from its rendering."""
    return parse_event(render_event(event)).event


# -- the specimen -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def specimen() -> Event:
    result = parse_event(specimen_text(), SPECIMEN_LOCATION)
    assert messages(result) == []
    assert result.event is not None
    return result.event


def test_specimen_identity(specimen: Event) -> None:
    assert specimen.date == dt.date(2012, 12, 8)
    assert specimen.path == SPECIMEN_PATH
    assert specimen.headline == (
        "Russia arms Syria with Iskander missiles in response to NATO's stationing of Patriot missile "
        "defense systems in Turkey."
    )


def test_specimen_sources_keep_the_cover_image_apart(specimen: Event) -> None:
    assert specimen.sources == (
        Source("Al Jazeera", "http://www.aljazeera.com/news/middleeast/2012/12/201212720594268180.html"),
        Source("WND", "http://www.wnd.com/2012/12/russia-arms-syria-with-powerful-ballistic-missiles/"),
    )
    assert specimen.cover_image == "http://www.wnd.com/files/2012/12/Iskander.jpg"


def test_specimen_related_items_and_contexts(specimen: Event) -> None:
    assert [item.context for item in specimen.related] == [
        ("NATO", "Russia", "Syria", "Turkey"),
        ("Russia", "Syria", "Turkey"),
        ("Russia", "Syria", "Turkey"),
        ("Russia", "Syria", "Turkey"),
        ("Russia", "Syria", "Turkey"),
        ("NATO", "Russia", "Syria"),
        ("Russia", "Syria", "Turkey"),
        ("NATO", "Russia", "Syria"),
        ("NATO", "Syria", "Turkey"),
        ("Russia", "Syria", "Turkey"),
    ]
    first = specimen.related[0]
    assert first.date == dt.date(2015, 11, 24)
    assert first.path.startswith("/news/2015/11/24/turkish-f-16-fighter-jets-shoot-down-a-russian-sukhoi-su-24")
    assert first.headline.startswith("Turkish F-16 fighter jets shoot down a Russian Sukhoi Su-24 aircraft")
    assert first.headline.endswith("since the 1950s.")  # the space before `]` is not part of it
    # a link slug from an older spelling is kept as written (docs/format.md, Identity)
    assert specimen.related[6].path == (
        "/news/2016/07/4/turkish-foreign-minister-mevla1-4t-aavuaoalu-says-turkey-s-cooperation-with-russia-in-"
        "combating-the-islamic-state-in-syria-does-not-include.md"
    )
    assert specimen.related[6].date == dt.date(2016, 7, 4)


def test_specimen_summary_is_plain_text_with_entities_decoded(specimen: Event) -> None:
    assert specimen.summary.startswith("Hours after NATO agreed on Tuesday to send Patriot missiles to Turkey")
    assert specimen.summary.endswith("with pinpoint accuracy [\u2026]")
    assert specimen.summary_markdown.endswith("with pinpoint accuracy [&hellip;]")


def test_specimen_under_another_name_is_loaded_with_a_location_warning() -> None:
    result = parse_event(specimen_text(), "iskander.md")
    assert result.event is not None
    assert messages(result) == [f"iskander.md:1: file location disagrees with the canonical path {SPECIMEN_PATH}"]


# -- the bundled archive --------------------------------------------------------------------

ARCHIVE = archive_locations()
ARCHIVE_IDS = [location.removeprefix("news/")[:64] for location in ARCHIVE]


def test_archive_has_all_its_files() -> None:
    assert len(ARCHIVE) == 214


@pytest.mark.parametrize("location", ARCHIVE, ids=ARCHIVE_IDS)
def test_archive_file_parses_to_its_own_location(location: str) -> None:
    event = clean_event(location)
    assert event.path == "/" + location
    assert event.date == date_from_path(event.path)


@pytest.mark.parametrize("location", ARCHIVE, ids=ARCHIVE_IDS)
def test_archive_file_round_trips_through_the_renderer(location: str) -> None:
    event = clean_event(location)
    again = parse_event(render_event(event), location)
    assert messages(again) == []
    assert again.event == event


# -- messy but valid: the same event as the clean file ----------------------------------------


def renumber_descending(text: str) -> str:
    return edit_lines(text, r"^(\d+)\. ", lambda match: f"{100 - int(match[1])}. ")


SAME_EVENT = {
    "crlf": lambda text: text.replace("\n", "\r\n"),
    "old-mac-cr": lambda text: text.replace("\n", "\r"),
    "bom": lambda text: "\ufeff" + text,
    "bom-and-crlf": lambda text: "\ufeff" + text.replace("\n", "\r\n"),
    "stray-blank-lines": lambda text: "\n \n" + text.replace("\n", "\n\n\t\n") + "\n\n",
    "source-upper-no-colon": lambda text: edit(text, "### Source:", "### SOURCE"),
    "sources-plural": lambda text: edit(text, "### Source:", "### Sources"),
    "sources-h2-space-colon": lambda text: edit(text, "### Source:", "## sources :"),
    "related-lower-no-colon": lambda text: edit(text, "### Related:", "### related"),
    "related-upper": lambda text: edit(text, "### Related:", "#### RELATED:"),
    "all-numbered-one": lambda text: edit_lines(text, r"^\d+\. ", "1. "),
    "numbers-descending": renumber_descending,
    "dash-bullets": lambda text: edit_lines(text, r"^\d+\. ", "- "),
    "star-bullets": lambda text: edit_lines(text, r"^\d+\. ", "* "),
    "paren-numbers": lambda text: edit_lines(text, r"^(\d+)\. ", r"\1) "),
    "relative-related-link": lambda text: edit(
        text, f"]({SLOVAKIA_FIRST_RELATED})", f"]({SLOVAKIA_FIRST_RELATED[1:]})"
    ),
    "absolute-related-link": lambda text: edit(
        text, f"]({SLOVAKIA_FIRST_RELATED})", f"](https://example.org{SLOVAKIA_FIRST_RELATED})"
    ),
    "headline-without-trailing-space": lambda text: edit(text, SLOVAKIA_HEADLINE, SLOVAKIA_HEADLINE.rstrip()),
}


@pytest.mark.parametrize("transform", SAME_EVENT.values(), ids=SAME_EVENT.keys())
def test_messy_variant_gives_the_same_event(transform) -> None:
    text = archive_text(SLOVAKIA)
    messy = transform(text)
    assert messy != text
    result = parse_event(messy, SLOVAKIA)
    assert messages(result) == []
    assert result.event == clean_event(SLOVAKIA)


MISSING = {
    "no-summary": (lambda text: edit(text, SLOVAKIA_SUMMARY + "\n", ""), {"summary": "", "summary_markdown": ""}),
    "no-sources": (lambda text: edit(text, "### Source:\n\n" + SLOVAKIA_SOURCE + "\n", ""), {"sources": ()}),
    "no-related": (lambda text: text[: text.index("### Related:")], {"related": ()}),
    "day-and-headline-only": (
        lambda text: f"{SLOVAKIA_DAY}\n\n{SLOVAKIA_HEADLINE}\n",
        {"summary": "", "summary_markdown": "", "sources": (), "related": ()},
    ),
}


@pytest.mark.parametrize(("transform", "emptied"), MISSING.values(), ids=MISSING.keys())
def test_missing_sections_leave_their_fields_empty(transform, emptied) -> None:
    result = parse_event(transform(archive_text(SLOVAKIA)), SLOVAKIA)
    assert messages(result) == []
    assert result.event == dataclasses.replace(clean_event(SLOVAKIA), **emptied)


def test_non_ascii_headline_keeps_its_letters_and_folds_its_slug() -> None:
    event = clean_event(GUATEMALA)
    assert "Otto Pérez Molina" in event.headline
    assert "-otto-perez-molina-" in event.path


def test_decomposed_non_ascii_headline_has_the_same_path() -> None:
    text = archive_text(GUATEMALA)
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    result = parse_event(decomposed, GUATEMALA)
    assert messages(result) == []
    assert result.event.path == "/" + GUATEMALA
    assert result.event.headline == unicodedata.normalize("NFD", clean_event(GUATEMALA).headline)


def test_long_headline_slug_cut_at_a_dash_is_trimmed() -> None:
    event = clean_event(PARADE)
    # "...500 vehicles and 200 People's Liberation Army Air Force..." cut at 140 leaves "...army-"
    assert "Liberation Army Air Force" in event.headline
    assert event.path == "/" + PARADE
    assert event.path.endswith("-200-people-s-liberation-army.md")
    assert len(event.path.rsplit("/", 1)[1].removesuffix(".md")) == 139


def test_long_headline_slug_is_cut_at_140() -> None:
    headline = "Slovakia announces renewed border controls with Hungary. "
    text = edit(archive_text(SLOVAKIA), SLOVAKIA_HEADLINE, "# " + headline * 3)
    result = parse_event(text)
    # 56 characters per repetition ("slovakia-...-hungary-"): two whole ones, then 28 of the third
    slug = "slovakia-announces-renewed-border-controls-with-hungary-" * 2 + "slovakia-announces-renewed-b"
    assert result.event.path == f"/news/2015/09/14/{slug}.md"
    assert len(slug) == 140


def test_cover_image_only() -> None:
    text = specimen_text()
    for line in ("2. [WND](http://www.wnd.com/2012/12/russia-arms-syria-with-powerful-ballistic-missiles/)\n",
                 "1. [Al Jazeera](http://www.aljazeera.com/news/middleeast/2012/12/201212720594268180.html)\n"):
        text = edit(text, line, "")
    result = parse_event(text, SPECIMEN_LOCATION)
    assert messages(result) == []
    assert result.event.sources == ()
    assert result.event.cover_image == "http://www.wnd.com/files/2012/12/Iskander.jpg"
    assert again(result.event) == result.event


def test_a_first_headline_named_like_a_section_is_the_headline() -> None:
    text = edit(archive_text(SLOVAKIA), SLOVAKIA_HEADLINE, "# Sources ")
    result = parse_event(text)
    assert messages(result) == []
    assert result.event.headline == "Sources"
    assert result.event.path == "/news/2015/09/14/sources.md"
    assert len(result.event.sources) == 1 and len(result.event.related) == 10


def test_empty_list_items_take_nothing_from_their_neighbours() -> None:
    text = edit(archive_text(SLOVAKIA), SLOVAKIA_SOURCE + "\n", "1.\n" + SLOVAKIA_SOURCE + "\n2.\n")
    result = parse_event(text, SLOVAKIA)
    assert messages(result) == []
    assert result.event == clean_event(SLOVAKIA)


# -- problems: rejected files ----------------------------------------------------------------


def test_no_headline_is_rejected() -> None:
    text = edit(archive_text(SLOVAKIA), SLOVAKIA_HEADLINE + "\n", "")
    result = parse_event(text, SLOVAKIA)
    assert result.rejected
    assert messages(result) == [
        f"{SLOVAKIA}:{line_of(text, 'Part of the story')}: paragraph before the headline ignored",
        f"{SLOVAKIA}:1: no headline (# ...)",
    ]


def test_no_day_heading_is_rejected() -> None:
    result = parse_event(edit(archive_text(SLOVAKIA), SLOVAKIA_DAY + "\n", ""), SLOVAKIA)
    assert result.rejected
    assert messages(result) == [f"{SLOVAKIA}:1: no day heading (### [YYYY-MM-D](/news/YYYY/MM/D/index.md))"]


@pytest.mark.parametrize("before", ["", "\n\n\n"], ids=["first-line", "after-blank-lines"])
def test_impossible_date_is_rejected_at_its_line(before: str) -> None:
    text = before + edit(archive_text(SLOVAKIA), SLOVAKIA_DAY, "### [2015-02-30](/news/2015/02/30/index.md)")
    result = parse_event(text, "feb.md")
    assert result.rejected
    assert messages(result) == [f"feb.md:{line_of(text, '2015-02-30')}: impossible date 2015-02-30"]
    assert line_of(text, "2015-02-30") == len(before) + 1


def test_headline_without_letters_or_digits_is_rejected_at_the_headline() -> None:
    text = edit(archive_text(SLOVAKIA), SLOVAKIA_HEADLINE, "# \u2014 \u6d88\u9632\u5e81 ?! ")  # folds to nothing
    result = parse_event(text, SLOVAKIA)
    assert result.rejected
    assert errors(result) == [f"{SLOVAKIA}:3: headline has no letters or digits to form a path from"]


def test_too_many_related_items_are_rejected() -> None:
    text = archive_text(SLOVAKIA)
    result = parse_event(text, SLOVAKIA, ParseLimits(max_items_per_section=3))
    assert result.rejected
    first_item = line_of(text, SLOVAKIA_FIRST_RELATED)
    assert messages(result) == [f"{SLOVAKIA}:{first_item}: related section has more than 3 items (the limit)"]


def test_related_items_up_to_the_limit_are_accepted() -> None:
    text = archive_text(SLOVAKIA)
    cut = text[: text.index("\n4. [")] + "\n"
    result = parse_event(cut, SLOVAKIA, ParseLimits(max_items_per_section=3))
    assert messages(result) == []
    assert result.event.related == clean_event(SLOVAKIA).related[:3]


@pytest.mark.parametrize(("limit", "rejected"), [(2, True), (3, False)])
def test_the_cover_image_counts_towards_the_sources_limit(limit: int, rejected: bool) -> None:
    text = specimen_text()
    text = text[: text.index("### Related:")]  # its 10 related items would pass neither limit
    result = parse_event(text, SPECIMEN_LOCATION, ParseLimits(max_items_per_section=limit))
    assert result.rejected is rejected
    line = line_of(text, "[Al Jazeera]")
    expected = [f"{SPECIMEN_LOCATION}:{line}: sources section has more than {limit} items (the limit)"]
    assert messages(result) == (expected if rejected else [])


def test_lists_nested_too_deep_are_rejected_not_half_read() -> None:
    # markdown-it stops reading at its nesting limit and drops the rest of the file
    text = edit(archive_text(SLOVAKIA), SLOVAKIA_SUMMARY + "\n", SLOVAKIA_SUMMARY + "\n\n" + "- " * 12 + "deep\n")
    result = parse_event(text, SLOVAKIA)
    assert result.rejected
    line = line_of(text, "- - - ")
    assert messages(result) == [f"{SLOVAKIA}:{line}: lists nested too deep: the file cannot be read past this line"]


# -- problems: loaded with warnings ------------------------------------------------------------


def test_related_link_to_itself_is_dropped_with_a_warning() -> None:
    own = f"2. [Slovakia announces renewed border controls with Hungary. ]({SLOVAKIA_PATH}) _Context: Slovakia_\n"
    text = edit(archive_text(SLOVAKIA), "\n2. [Hungary declares", "\n" + own + "3. [Hungary declares")
    result = parse_event(text, SLOVAKIA)
    line = line_of(text, "2. [Slovakia announces")
    assert messages(result) == [f"{SLOVAKIA}:{line}: related link points to the event itself, ignored"]
    assert result.event == clean_event(SLOVAKIA)


def test_repeated_related_link_is_dropped_with_a_warning() -> None:
    text = archive_text(SLOVAKIA)
    first_item = text.splitlines()[line_of(text, SLOVAKIA_FIRST_RELATED) - 1]
    text = text.rstrip("\n") + "\n" + first_item.replace("1. ", "11. ", 1).replace("Hungary, Slovakia", "Other") + "\n"
    result = parse_event(text, SLOVAKIA)
    last_line = len(text.splitlines())
    assert messages(result) == [f"{SLOVAKIA}:{last_line}: related link repeated, ignored: {SLOVAKIA_FIRST_RELATED}"]
    assert result.event == clean_event(SLOVAKIA)  # the first one, with its own context, is kept


@pytest.mark.parametrize(
    ("href", "message"),
    [
        # markdown-it refuses javascript: links, so the item reads as text without a link
        ("javascript:alert(1)", "source item has no link: '[AP via The New York Times](javascript:alert(1))'"),
        ("ftp://example.org/story", "source link is not http(s), ignored: 'ftp://example.org/story'"),
        ("mailto:news@example.org", "source link is not http(s), ignored: 'mailto:news@example.org'"),
    ],
)
def test_source_link_that_is_not_http_is_not_stored(href: str, message: str) -> None:
    url = "http://www.nytimes.com/aponline/2015/09/14/world/europe/ap-eu-europe-migrants-the-latest.html"
    text = edit(archive_text(SLOVAKIA), f"({url})", f"({href})")
    result = parse_event(text, SLOVAKIA)
    assert messages(result) == [f"{SLOVAKIA}:{line_of(text, 'AP via The New York Times')}: {message}"]
    assert result.event == dataclasses.replace(clean_event(SLOVAKIA), sources=())


def test_nested_list_is_ignored_with_one_warning() -> None:
    text = edit(archive_text(SLOVAKIA), "\n2. [Hungary declares", "\n   - [Hungary declares")
    text = edit(text, "\n3. [Dozens of migrants", "\n     - [Dozens of migrants")  # nested twice: still one warning
    result = parse_event(text, SLOVAKIA)
    assert messages(result) == [f"{SLOVAKIA}:{line_of(text, '- [Hungary declares')}: nested list ignored"]
    clean = clean_event(SLOVAKIA)
    assert result.event.related == clean.related[:1] + clean.related[3:]


def test_list_item_holding_only_a_nested_list_gives_nothing() -> None:
    nested = "2.\n   - [BBC](http://www.bbc.com/news/world-europe-34245452)\n"
    text = edit(archive_text(SLOVAKIA), SLOVAKIA_SOURCE + "\n", SLOVAKIA_SOURCE + "\n" + nested)
    result = parse_event(text, SLOVAKIA)
    assert messages(result) == [f"{SLOVAKIA}:{line_of(text, '- [BBC]')}: nested list ignored"]
    assert result.event == clean_event(SLOVAKIA)


def test_unknown_section_is_skipped_with_a_warning() -> None:
    text = edit(archive_text(SLOVAKIA), "### Source:", "### Notes:")
    result = parse_event(text, SLOVAKIA)
    assert messages(result) == [f"{SLOVAKIA}:{line_of(text, '### Notes:')}: unknown section 'Notes:' ignored"]
    assert result.event == dataclasses.replace(clean_event(SLOVAKIA), sources=())


def test_location_disagreeing_with_the_canonical_path_is_a_warning() -> None:
    elsewhere = SLOVAKIA.replace("/14/", "/13/")
    result = parse_event(archive_text(SLOVAKIA), elsewhere)
    assert messages(result) == [f"{elsewhere}:1: file location disagrees with the canonical path {SLOVAKIA_PATH}"]
    assert result.event == clean_event(SLOVAKIA)


@pytest.mark.parametrize(
    "location",
    ["/srv/archive/" + SLOVAKIA, "data\\" + SLOVAKIA.replace("/", "\\"), SLOVAKIA_PATH, "<stdin>"],
    ids=["absolute", "windows", "canonical", "no-file"],
)
def test_locations_that_agree_give_no_warning(location: str) -> None:
    assert messages(parse_event(archive_text(SLOVAKIA), location)) == []


def test_second_headline_and_day_heading_are_ignored_with_warnings() -> None:
    extra = "# Another headline\n\n### [2015-09-15](/news/2015/09/15/index.md)\n\n"
    text = edit(archive_text(SLOVAKIA), "### Source:", extra + "### Source:")
    result = parse_event(text, SLOVAKIA)
    assert messages(result) == [
        f"{SLOVAKIA}:{line_of(text, '# Another')}: second headline ignored: 'Another headline'",
        f"{SLOVAKIA}:{line_of(text, '2015-09-15')}: second day heading ignored: 2015-09-15",
    ]
    assert result.event == clean_event(SLOVAKIA)


def test_odd_related_items_are_skipped_with_warnings() -> None:
    text = edit(archive_text(SLOVAKIA), "### Related:\n", "### Related:\n\nSee below.\n")
    text = edit(text, "_Context: Hungary, Slovakia_", "(Hungary)")
    text = text + "11. [Elsewhere](http://example.org/story)\n12. Just words\n"
    result = parse_event(text, SLOVAKIA)
    first_item = line_of(text, SLOVAKIA_FIRST_RELATED)
    assert messages(result) == [
        f"{SLOVAKIA}:{line_of(text, 'See below.')}: paragraph in the related section ignored",
        f"{SLOVAKIA}:{first_item}: text after a related link is not a context, ignored: '(Hungary)'",
        f"{SLOVAKIA}:{line_of(text, '[Elsewhere]')}: related link is not an archive path "
        "(/news/YYYY/MM/D/slug.md): 'http://example.org/story'",
        f"{SLOVAKIA}:{line_of(text, 'Just words')}: related item has no link: 'Just words'",
    ]
    clean = clean_event(SLOVAKIA)
    assert result.event.related == (clean.related[0]._replace(context=()),) + clean.related[1:]


def test_odd_source_items_are_skipped_with_warnings() -> None:
    extra = (
        "2. [](http://example.org/nameless)\n"
        "3. [Cover Image](http://example.org/a.jpg)\n"
        "4. [Cover image](http://example.org/b.jpg)\n"
    )
    text = edit(archive_text(SLOVAKIA), SLOVAKIA_SOURCE + "\n", SLOVAKIA_SOURCE + "\n" + extra)
    result = parse_event(text, SLOVAKIA)
    assert messages(result) == [
        f"{SLOVAKIA}:{line_of(text, 'nameless')}: source link has no name: 'http://example.org/nameless'",
        f"{SLOVAKIA}:{line_of(text, 'b.jpg')}: second cover image ignored",
    ]
    assert result.event == dataclasses.replace(clean_event(SLOVAKIA), cover_image="http://example.org/a.jpg")


def test_problems_name_the_file_as_given() -> None:
    result = parse_event("no markdown here", "some/dir/x.md")
    assert result.rejected
    assert all(str(problem).startswith(f"some/dir/x.md:{problem.line}: ") for problem in result.problems)
    assert errors(result) == ["some/dir/x.md:1: no day heading (### [YYYY-MM-D](/news/YYYY/MM/D/index.md))",
                              "some/dir/x.md:1: no headline (# ...)"]
    assert warnings(result) == ["some/dir/x.md:1: paragraph before the headline ignored"]


# -- the slug rule (docs/format.md, Identity) -------------------------------------------------------


@pytest.mark.parametrize(
    ("headline", "slug"),
    [
        ("Slovakia announces border controls with Hungary. ", "slovakia-announces-border-controls-with-hungary"),
        ("NATO's stationing", "nato-s-stationing"),
        ("U.S. District Judge", "u-s-district-judge"),
        ("  -- Hello,   World! --  ", "hello-world"),
        ("12,000 members", "12-000-members"),
        ("Otto Pérez Molina", "otto-perez-molina"),  # NFKD: é is e + accent, the accent goes
        ("Otto Pe\u0301rez Molina", "otto-perez-molina"),  # already decomposed
        ("M\u00fcnchen Hauptbahnhof", "munchen-hauptbahnhof"),
        ("\ufb01ve", "five"),  # the K in NFKD: the ﬁ ligature folds to "fi"
        # letters with no ASCII form are dropped, not dashed (the archive's own slugs agree)
        ("the eastern I\u011fd\u0131r Province", "the-eastern-igdr-province"),
        ("al-Rabu\u2019ah", "al-rabuah"),
        ("the 1979 Egypt\u2013Israel peace", "the-1979-egyptisrael-peace"),
        ("Agency (\u6d88\u9632\u5e81) advises", "agency-advises"),
        ("", ""),
        ("?!", ""),
        ("\u6d88\u9632\u5e81", ""),
    ],
)
def test_slugify(headline: str, slug: str) -> None:
    assert slugify(headline) == slug


def test_slug_is_cut_to_140_characters() -> None:
    assert slugify("a" * 200) == "a" * 140
    assert slugify("\u00e9" * 200) == "e" * 140  # cut after folding, in ASCII characters


def test_slug_is_trimmed_after_the_cut() -> None:
    assert slugify("abc " * 50) == ("abc-" * 35)[:-1]  # the 140th character is a dash: trimmed to 139
    assert slugify("!" * 10 + "x" * 200) == "x" * 139  # the leading dash counts in the 140, then goes


def test_canonical_path_pads_the_month_not_the_day() -> None:
    assert canonical_path(dt.date(2015, 9, 3), "Hello, World!") == "/news/2015/09/3/hello-world.md"
    assert canonical_path(dt.date(2012, 12, 8), "X") == "/news/2012/12/8/x.md"


@pytest.mark.parametrize(
    ("path", "date"),
    [
        ("/news/2015/09/3/x.md", dt.date(2015, 9, 3)),
        ("news/2016/07/4/y.md", dt.date(2016, 7, 4)),
        ("/news/2015/02/30/x.md", None),
        ("/news/2015/09/3/index.html", None),
        ("/other/2015/09/3/x.md", None),
    ],
)
def test_date_from_path(path: str, date: dt.date | None) -> None:
    assert date_from_path(path) == date


def test_related_item_records_the_link_as_written() -> None:
    event = clean_event(SLOVAKIA)
    assert event.related[0] == RelatedItem(
        path=SLOVAKIA_FIRST_RELATED,
        headline=(
            "Foreign ministers from Czech Republic, Hungary, Poland and Slovakia meet with officials from the "
            "European Union and Germany to discuss differences over migrant quotas."
        ),
        date=dt.date(2015, 9, 11),
        context=("Hungary", "Slovakia"),
    )
    assert event.summary == "Part of the story European migrant crisis (International / Relation)."
    assert event.summary_markdown == SLOVAKIA_SUMMARY
    assert re.fullmatch(r"/news/2015/09/14/[a-z0-9-]+\.md", event.path)


def test_a_link_to_an_invalid_ipv6_host_is_a_warning_not_an_exception() -> None:
    """urlsplit raises on `http://[x:y]/`: a source with it is ignored with a warning, a related link to it resolves
    to nothing, and a summary link to it is not rendered as a link."""
    text = ("### [2015-09-7](/news/2015/09/7/index.md)\n\n# Something happened in a place\n\n"
            "See [the host](http://[foo:bar]/).\n\n### Source:\n\n1. [Odd](http://[foo:bar]/)\n"
            "2. [BBC](https://www.bbc.com/news/1)\n\n### Related:\n\n"
            "1. [Elsewhere](http://[foo:bar]/news/2015/09/6/x.md) _Context: Syria_\n")
    result = parse_event(text, "news/2015/09/7/something-happened-in-a-place.md")
    assert result.event is not None, result.problems
    assert [source.url for source in result.event.sources] == ["https://www.bbc.com/news/1"]
    assert any("not a valid URL" in problem.message for problem in result.problems), result.problems
    assert "href" not in render_summary(result.event.summary_markdown)
