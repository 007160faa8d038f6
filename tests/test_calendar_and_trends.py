"""`onThisDay` and `trendingTags` over real HTTP, checked against brute force over the stored documents.

Two archives: the bundled one (15 days of September 2015) and a generated one of 25 years (bench.corpus), where
a month and day has events in many years and windows of years hold thousands of tag occurrences.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from newsgraph.api import ARCHIVE, build_schema
from newsgraph.api.internals import why_off
from newsgraph.archive import Archive
from newsgraph.archive.trends import count_by_events, count_by_tags, preceding_window
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.api_listings import Listing, document_tags, fetch_error, fetch_page, newest_first, page_through
from tests.drivers import ApiClient, example, generated_store_in

GENERATED_EVENTS = 3000
GENERATED_SEED = 20
TRENDING = """query Trending($from: Date!, $to: Date!, $first: Int!, $minCount: Int!) {
  trendingTags(from: $from, to: $to, first: $first, minCount: $minCount) { tag { name } count previousCount score }
}"""
Row = tuple[str, int, int]  # (tag key, count in the window, count in the preceding window)


# -- fixtures: the generated archive in a store of its own ---------------------------------------------------
@pytest.fixture(scope="module")
def generated_store(tmp_path_factory: pytest.TempPathFactory) -> EventStore:
    return generated_store_in(tmp_path_factory.mktemp("generated"), GENERATED_EVENTS, GENERATED_SEED)


@pytest.fixture(scope="module")
def generated_documents(generated_store: EventStore) -> dict[str, dict[str, Any]]:
    return {document["path"]: document for document in generated_store.documents()}


@pytest.fixture(scope="module")
def generated_api(generated_store: EventStore) -> ApiClient:
    return ApiClient(create_app(generated_store, ServerSettings(reload_interval=0)))


@pytest.fixture(scope="module")
def generated_archive(generated_store: EventStore) -> Archive:
    return Archive.from_documents(generated_store.documents())


# -- brute force ----------------------------------------------------------------------------------------------
def _date(document: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(document["date"])


def on_this_day(documents: dict[str, dict[str, Any]], month: int, day: int) -> list[dict[str, Any]]:
    return [d for d in documents.values() if (_date(d).month, _date(d).day) == (month, day)]


def trending(documents: dict[str, dict[str, Any]], date_from: dt.date, date_to: dt.date, min_count: int) -> list[Row]:
    """Every tag with at least `min_count` events in [from, to], best first: score (exact), count, key."""
    length = (date_to - date_from).days + 1
    if date_from == dt.date.min:
        previous_days: tuple[dt.date, dt.date] | None = None
    else:
        start = dt.date.fromordinal(max(1, date_from.toordinal() - length))
        previous_days = (start, date_from - dt.timedelta(days=1))
    window: Counter[str] = Counter()
    previous: Counter[str] = Counter()
    for document in documents.values():
        day = _date(document)
        if date_from <= day <= date_to:
            window.update(document_tags(document))
        elif previous_days and previous_days[0] <= day <= previous_days[1]:
            previous.update(document_tags(document))
    rows = [(key, count, previous[key]) for key, count in window.items() if count >= min_count]
    return sorted(rows, key=lambda row: (-Fraction(row[1] + 1, row[2] + 1), -row[1], row[0]))


def fetch_trending(api: ApiClient, date_from: dt.date | str, date_to: dt.date | str, first: int = 100,
                   min_count: int = 3) -> list[dict[str, Any]]:
    variables = {"from": str(date_from), "to": str(date_to), "first": first, "minCount": min_count}
    return api.data(TRENDING, variables)["trendingTags"]


def check_trending(api: ApiClient, documents: dict[str, dict[str, Any]], date_from: dt.date, date_to: dt.date,
                   min_count: int, first: int = 100) -> list[Row]:
    """The API's answer is brute force's first `first` rows, each with its score; the rows are returned."""
    expected = trending(documents, date_from, date_to, min_count)[:first]
    answer = fetch_trending(api, date_from, date_to, first, min_count)
    got = [(item["tag"]["name"].casefold(), item["count"], item["previousCount"]) for item in answer]
    assert got == expected, (date_from, date_to, min_count)
    for item in answer:
        assert item["score"] == (item["count"] + 1) / (item["previousCount"] + 1)
        assert item["count"] >= min_count
    return expected


def listing(month: int, day: int) -> Listing:
    return Listing(f"onThisDay {month}/{day}", "onThisDay", fixed=f"month: {month}, day: {day}", node="path date")


# -- onThisDay on the bundled archive ---------------------------------------------------------------------------
@pytest.mark.parametrize("day", [1, 3, 8, 15])
def test_on_this_day_holds_that_days_events_newest_first_forward_and_back(api: ApiClient, documents, day: int) -> None:
    expected = newest_first(on_this_day(documents, 9, day))
    assert expected
    forward = page_through(api, listing(9, day), 4)
    assert forward.keys() == expected and forward.total_count == len(expected)
    assert page_through(api, listing(9, day), 3, backward=True).keys() == expected
    assert page_through(api, listing(9, day), 5, orderBy="DATE_ASC").keys() == expected[::-1]


def test_a_month_and_day_the_archive_lacks_is_an_empty_connection(api: ApiClient) -> None:
    for month, day in ((9, 16), (8, 31), (1, 1), (2, 29)):
        page = fetch_page(api, listing(month, day), first=5)
        assert page == {"totalCount": 0, "edges": [], "pageInfo": {"hasNextPage": False, "hasPreviousPage": False,
                                                                    "startCursor": None, "endCursor": None}}


def test_on_this_day_takes_the_shared_filter_and_order(api: ApiClient, documents) -> None:
    docs = on_this_day(documents, 9, 8)
    tag = Counter(t for d in docs for t in document_tags(d)).most_common(1)[0][0]
    with_tag = [d for d in docs if tag in document_tags(d)]
    assert 1 < len(with_tag) < len(docs)
    walk = page_through(api, listing(9, 8), 2, filter={"tagsAny": [tag.upper()]})
    assert walk.keys() == newest_first(with_tag)
    walk = page_through(api, listing(9, 8), 2, backward=True, orderBy="DATE_ASC", filter={"tagsAll": [tag]})
    assert walk.keys() == newest_first(with_tag)[::-1]
    # a date filter outside the day leaves nothing; one around it changes nothing
    assert fetch_page(api, listing(9, 8), filter={"dateTo": "2015-09-07"})["totalCount"] == 0
    assert page_through(api, listing(9, 8), 100, filter={"dateFrom": "2015-09-08", "dateTo": "2015-09-08"}).keys() \
        == newest_first(docs)


def test_relevance_ranks_the_days_events_as_search_does(api: ApiClient, documents) -> None:
    """With a text, RELEVANCE orders the day's matches as `search` orders them (the same scores)."""
    docs = {d["path"] for d in on_this_day(documents, 9, 8)}
    search = Listing("search", "search", fixed='text: "the"', node="path date")
    ranked = [path for path in page_through(api, search, 100).keys() if path in docs]
    walk = page_through(api, listing(9, 8), 3, filter={"text": "the"}, orderBy="RELEVANCE")
    assert walk.keys() == ranked and len(ranked) > 3
    error = fetch_error(api, listing(9, 8), orderBy="RELEVANCE")
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "RELEVANCE needs a search text" in error["message"]


@pytest.mark.parametrize(
    ("month", "day", "words"),
    [(0, 3, "`month` must be between 1 and 12, got 0"),
     (13, 3, "`month` must be between 1 and 12, got 13"),
     (9, 0, "`day` must be between 1 and 31, got 0"),
     (9, 32, "`day` must be between 1 and 31, got 32"),
     (4, 31, "`day` 31 is not a day of April, which has 30 days; give a day between 1 and 30"),
     (2, 30, "`day` 30 is not a day of February, which has 29 days; give a day between 1 and 29"),
     (-1, -1, "`month` must be between 1 and 12, got -1")],
)
def test_a_month_or_day_no_year_has_is_bad_user_input_saying_what_to_fix(api: ApiClient, month: int, day: int,
                                                                         words: str) -> None:
    error = api.error("query($m: Int!, $d: Int!) { onThisDay(month: $m, day: $d) { totalCount } }",
                      {"m": month, "d": day})
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["message"] == words
    assert error["path"] == ["onThisDay"]


def test_paging_errors_are_the_usual_ones(api: ApiClient) -> None:
    for arguments, words in (({"first": 101}, "`first` must be between 0 and 100"),
                             ({"after": "nope"}, "`after` is not a cursor"),
                             ({"filter": {"dateFrom": "2015-09-09", "dateTo": "2015-09-01"}}, "is after filter.dateTo")):
        error = fetch_error(api, listing(9, 3), **arguments)
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and words in error["message"], error
    cursor = fetch_page(api, listing(9, 3), first=1, filter={"text": "the"}, orderBy="RELEVANCE")["edges"][0]["cursor"]
    error = fetch_error(api, listing(9, 3), after=cursor)  # a relevance cursor in a date order
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "another ordering" in error["message"]


# -- onThisDay on a generated archive of 25 years ------------------------------------------------------------
@pytest.mark.parametrize(("month", "day"), [(1, 1), (2, 29), (3, 1), (7, 14), (12, 31)])
def test_on_this_day_spans_every_year_newest_year_first(generated_api: ApiClient, generated_documents,
                                                        month: int, day: int) -> None:
    docs = on_this_day(generated_documents, month, day)
    years = {_date(d).year for d in docs}
    assert len(years) >= (1 if (month, day) == (2, 29) else 4), years  # only 2000, 2004, … have a February 29
    assert all(year % 4 == 0 for year in years) or (month, day) != (2, 29)
    expected = newest_first(docs)
    forward = page_through(generated_api, listing(month, day), 2)
    assert forward.keys() == expected and forward.total_count == len(expected)
    assert [node["date"][:4] for node in forward.nodes] == sorted((node["date"][:4] for node in forward.nodes),
                                                                  reverse=True)
    assert page_through(generated_api, listing(month, day), 3, backward=True).keys() == expected
    assert page_through(generated_api, listing(month, day), 100, orderBy="DATE_ASC").keys() == expected[::-1]


def test_cursors_continue_from_the_middle_and_filters_narrow_the_years(generated_api: ApiClient,
                                                                       generated_documents) -> None:
    docs = on_this_day(generated_documents, 7, 14)
    expected = newest_first(docs)
    first = fetch_page(generated_api, listing(7, 14), first=3)
    middle = first["edges"][-1]["cursor"]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    assert page_through(generated_api, listing(7, 14), 4, start=middle).keys() == expected[3:]
    back = page_through(generated_api, listing(7, 14), 2, backward=True, start=first["edges"][1]["cursor"])
    assert back.keys() == expected[:1]
    # the other years only: what a caller does to look back from this year's 14 July
    older = [d for d in docs if d["date"] <= "2019-12-31"]
    assert 0 < len(older) < len(docs)
    assert page_through(generated_api, listing(7, 14), 3, filter={"dateTo": "2019-12-31"}).keys() == newest_first(older)
    # tags and publisher combine with the month and day
    tag = Counter(t for d in docs for t in document_tags(d)).most_common(1)[0][0]
    tagged = [d for d in docs if tag in document_tags(d)]
    assert page_through(generated_api, listing(7, 14), 2, filter={"tagsAny": [tag]}).keys() == newest_first(tagged)


def test_the_month_day_index_is_brute_forces_for_every_day_of_the_year(generated_archive: Archive,
                                                                       generated_documents) -> None:
    wanted: dict[tuple[int, int], list[str]] = {}
    for document in sorted(generated_documents.values(), key=lambda d: (d["date"], d["path"])):
        wanted.setdefault((_date(document).month, _date(document).day), []).append(document["path"])
    assert len(wanted) == 366
    assert {key: generated_archive.paths_at(positions) for key, positions in generated_archive.month_days.items()} \
        == wanted
    assert list(generated_archive.month_day_positions(2, 30)) == []


# -- trendingTags ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("min_count", [1, 2, 3, 5])
def test_trending_is_brute_forces_ranking_on_the_bundled_archive(api: ApiClient, documents, min_count: int) -> None:
    rows = check_trending(api, documents, dt.date(2015, 9, 8), dt.date(2015, 9, 15), min_count)
    assert rows and any(previous for _, _, previous in rows)  # both windows hold events of the tags shown
    if min_count == 1:  # one-off tags are there, and rank below growing ones
        assert any(count == 1 for _, count, _ in rows)


def test_trending_over_every_window_of_the_bundled_archive(api: ApiClient, documents) -> None:
    start = dt.date(2015, 9, 1)
    for offset in range(0, 15, 2):
        for length in (1, 3, 7):
            date_from = start + dt.timedelta(days=offset)
            check_trending(api, documents, date_from, date_from + dt.timedelta(days=length - 1), 1, first=20)


def test_the_score_min_count_and_ties(api: ApiClient, documents) -> None:
    answer = fetch_trending(api, "2015-09-08", "2015-09-15", first=100, min_count=3)
    keys = [(-item["score"], -item["count"], item["tag"]["name"].casefold()) for item in answer]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    scores = Counter(item["score"] for item in answer)
    assert any(n > 1 for n in scores.values())  # ties on score exist here, and go to the count, then the name
    assert all(item["count"] >= 3 for item in answer)
    top = answer[0]
    assert top["score"] == (top["count"] + 1) / (top["previousCount"] + 1) > 1
    assert fetch_trending(api, "2015-09-08", "2015-09-15", first=100, min_count=10_000) == []
    assert fetch_trending(api, "2015-09-08", "2015-09-15", first=0) == []
    assert len(fetch_trending(api, "2015-09-08", "2015-09-15", first=2)) == 2
    assert fetch_trending(api, "2016-01-01", "2016-12-31", first=100, min_count=1) == []  # no events in the window
    default = api.data('{ trendingTags(from: "2015-09-08", to: "2015-09-15") { tag { name } count } }')["trendingTags"]
    assert [(item["tag"]["name"], item["count"]) for item in default] == \
        [(item["tag"]["name"], item["count"]) for item in answer[:10]]


@pytest.mark.parametrize(
    ("date_from", "date_to", "min_count"),
    [("2010-03-01", "2010-03-31", 1), ("2010-01-01", "2010-12-31", 2), ("2012-01-01", "2016-12-31", 3),
     ("2000-01-01", "2024-12-31", 3), ("0001-01-01", "9999-12-31", 1), ("2024-07-01", "2024-12-31", 1)],
)
def test_trending_is_brute_forces_ranking_on_a_generated_archive(generated_api: ApiClient, generated_documents,
                                                                 date_from: str, date_to: str, min_count: int) -> None:
    rows = check_trending(generated_api, generated_documents, dt.date.fromisoformat(date_from),
                          dt.date.fromisoformat(date_to), min_count)
    assert rows


def test_both_ways_of_counting_a_window_are_brute_forces(generated_archive: Archive, generated_documents) -> None:
    """By events (a short window) and by tags (a window of more events than there are tags) give the same counts."""
    windows = [(dt.date(2003, 5, 1), dt.date(2003, 5, 31)), (dt.date(2001, 1, 1), dt.date(2020, 12, 31)),
               (dt.date(2000, 1, 1), dt.date(2024, 12, 31)), (dt.date(1999, 1, 1), dt.date(1999, 12, 31))]
    for date_from, date_to in windows:
        span = generated_archive.date_range(date_from, date_to)
        expected = Counter(tag for d in generated_documents.values() if date_from <= _date(d) <= date_to
                           for tag in document_tags(d))
        assert count_by_events(generated_archive, span) == count_by_tags(generated_archive, span) == dict(expected)
    assert len(generated_archive.date_range(*windows[2])) > len(generated_archive.tags)  # the request takes the tag way


def test_the_preceding_window_has_as_many_days_and_stops_at_the_first_day() -> None:
    assert preceding_window(dt.date(2015, 9, 8), dt.date(2015, 9, 15)) == (dt.date(2015, 8, 31), dt.date(2015, 9, 7))
    assert preceding_window(dt.date(2016, 3, 1), dt.date(2016, 3, 1)) == (dt.date(2016, 2, 29), dt.date(2016, 2, 29))
    assert preceding_window(dt.date(1, 1, 3), dt.date(1, 1, 10)) == (dt.date(1, 1, 1), dt.date(1, 1, 2))
    assert preceding_window(dt.date(1, 1, 1), dt.date(9999, 12, 31)) is None


@pytest.mark.parametrize(
    ("arguments", "code", "words"),
    [('from: "2015-09-15", to: "2015-09-08"', "BAD_USER_INPUT", "`from` 2015-09-15 is after `to` 2015-09-08"),
     ('from: "2015-09-08", to: "2015-09-15", first: 101', "BAD_USER_INPUT", "`first` must be between 0 and 100"),
     ('from: "2015-09-08", to: "2015-09-15", first: -1', "BAD_USER_INPUT", "`first` must be between 0 and 100"),
     ('from: "2015-09-08", to: "2015-09-15", minCount: 0', "BAD_USER_INPUT", "`minCount` must be at least 1"),
     ('from: "2015-09-08", to: "2015-02-30"', "BAD_USER_INPUT", ""),
     ('from: "2015-09-08"', "GRAPHQL_VALIDATION_FAILED", "to"),
     ('from: "2015-09-08", to: "2015-09-15", first: null', "BAD_USER_INPUT", "Int!")],
    ids=["reversed", "first-too-large", "first-negative", "min-count", "bad-date", "missing-to", "null-first"],
)
def test_trending_arguments_are_checked_with_codes(api: ApiClient, arguments: str, code: str, words: str) -> None:
    error = api.error(f"{{ trendingTags({arguments}) {{ count }} }}")
    assert error["extensions"]["code"] == code and words in error["message"], error


def test_every_new_field_has_a_description(api: ApiClient) -> None:
    introspection = api.data("""{
      __type(name: "Query") { fields { name description args { name description } } }
      trending: __type(name: "TrendingTag") { description fields { name description } }
    }""")
    fields = {field["name"]: field for field in introspection["__type"]["fields"]}
    for name in ("onThisDay", "trendingTags"):
        assert fields[name]["description"] and all(arg["description"] for arg in fields[name]["args"]), name
    assert "(count + 1) / (previousCount + 1)" in fields["trendingTags"]["description"]
    assert introspection["trending"]["description"] and all(f["description"] for f in introspection["trending"]["fields"])


def test_the_examples_run_on_the_bundled_archive(api: ApiClient) -> None:
    examples = Path(__file__).resolve().parent.parent / "schema" / "examples"
    for name in ("on-this-day", "trending"):
        data = api.data(*example(examples / f"{name}.graphql"))
        answer = next(iter(data.values()))
        assert answer["edges"] if name == "on-this-day" else answer, name


# -- the compiled engine answers as graphql-core does ----------------------------------------------------------
@pytest.mark.skipif(why_off() is not None, reason=f"compiled plans off: {why_off()}")
@pytest.mark.parametrize("query", [
    '{ onThisDay(month: 7, day: 14, first: 3) { totalCount pageInfo { hasNextPage endCursor } '
    'edges { cursor node { path date tags { name } } } } }',
    '{ onThisDay(month: 7, day: 14, last: 2, orderBy: DATE_ASC, filter: {dateTo: "2019-12-31"}) '
    '{ totalCount edges { node { path } } } }',
    '{ trendingTags(from: "2010-01-01", to: "2012-12-31", first: 5, minCount: 2) '
    '{ tag { name eventCount } count previousCount score } }',
    '{ a: onThisDay(month: 4, day: 31) { totalCount } b: trendingTags(from: "2010-01-02", to: "2010-01-01") { count } '
    'stats { events } }',
])
def test_compiled_plans_answer_these_fields_as_graphql_core_does(generated_archive: Archive, query: str) -> None:
    context = {"request": None, "response": None, ARCHIVE: generated_archive}
    compiled, reference = build_schema(), build_schema(compiled_plans=False)
    ours, theirs = (asyncio.run(schema.execute(query, context_value=context)) for schema in (compiled, reference))
    assert (ours.data, [e.formatted for e in ours.errors or []]) == (theirs.data, [e.formatted for e in theirs.errors or []])
    assert compiled.plans.stats()["compiled"] == 1 and compiled.plans.stats()["fallbacks"] == 0
