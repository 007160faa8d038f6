"""Keyset paging over HTTP: every connection, both directions, both orders, limits, cursor errors,
and cursors that stay valid when the archive grows."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
from collections import Counter
from typing import Any

import pytest

from newsgraph.load import load_texts
from newsgraph.parse import canonical_path
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.api_listings import (
    Listing,
    document_domains,
    document_tags,
    event_listings,
    event_markdown,
    fetch_error,
    fetch_page,
    newest_first,
    oldest_first,
    page_through,
)
from tests.drivers import ApiClient

EVENT_LISTINGS = ("events", "tag.events", "day.events", "publisher.events", "relatedBy", "search")
SEARCH_WORD = "the"


@pytest.fixture(scope="module")
def listings(documents: dict[str, dict[str, Any]]) -> dict[str, tuple[Listing, list[dict[str, Any]]]]:
    return event_listings(documents, SEARCH_WORD)


def page_size_for(count: int) -> int:
    """Small enough for several pages, large enough to keep the request count down."""
    return max(2, count // 5)


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("order", ["DATE_DESC", "DATE_ASC"])
@pytest.mark.parametrize("kind", EVENT_LISTINGS)
def test_paging_visits_every_event_exactly_once(api: ApiClient, listings, kind: str, order: str, backward: bool) -> None:
    listing, expected = listings[kind]
    assert len(expected) >= 5, f"{kind}: pick a busier instance"
    walk = page_through(api, listing, page_size_for(len(expected)), backward=backward, orderBy=order)
    paths = walk.keys()
    assert len(paths) == len(set(paths)) == walk.total_count == len(expected)
    assert paths == (newest_first(expected) if order == "DATE_DESC" else oldest_first(expected))
    assert walk.pages > 2


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
def test_search_pages_by_relevance_best_first(api: ApiClient, listings, backward: bool) -> None:
    listing, expected = listings["search"]
    walk = page_through(api, listing, 17, backward=backward)  # RELEVANCE is search's default order
    assert sorted(walk.keys()) == sorted(d["path"] for d in expected)
    assert len(set(walk.keys())) == walk.total_count
    scores = [edge["score"] for edge in walk.edges]
    assert scores == sorted(scores, reverse=True)
    assert all("<mark>" in edge["snippetHtml"] for edge in walk.edges)


def test_both_directions_of_relevance_paging_agree(api: ApiClient, listings) -> None:
    listing, _ = listings["search"]
    forward = page_through(api, listing, 13, orderBy="RELEVANCE")
    backward = page_through(api, listing, 11, backward=True, orderBy="RELEVANCE")
    assert forward.keys() == backward.keys()


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("order", ["COUNT", "NAME"])
def test_tags_page_in_both_orders(api: ApiClient, documents, order: str, backward: bool) -> None:
    counts = Counter(t for d in documents.values() for t in document_tags(d))
    expected = sorted(counts, key=(lambda t: (-counts[t], t)) if order == "COUNT" else (lambda t: t))
    listing = Listing("tags", "tags", node="name eventCount", order_type="TagOrder")
    walk = page_through(api, listing, 23, backward=backward, orderBy=order)
    assert [node["name"].casefold() for node in walk.nodes] == expected
    assert [node["eventCount"] for node in walk.nodes] == [counts[t] for t in expected]


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
def test_publishers_page_most_cited_first(api: ApiClient, documents, backward: bool) -> None:
    counts = Counter(x for d in documents.values() for x in document_domains(d))
    expected = sorted(counts, key=lambda domain: (-counts[domain], domain))
    listing = Listing("publishers", "publishers", node="domain eventCount", order_type=None)
    walk = page_through(api, listing, 29, backward=backward)
    assert walk.keys("domain") == expected
    assert [node["eventCount"] for node in walk.nodes] == [counts[d] for d in expected]


# -- page sizes ----------------------------------------------------------------------------
def test_default_page_size_is_20_and_the_largest_is_100(api: ApiClient, documents) -> None:
    events = Listing("events", "events")
    everything = newest_first(documents.values())
    default = fetch_page(api, events)
    assert [edge["node"]["path"] for edge in default["edges"]] == everything[:20]
    assert default["pageInfo"]["hasNextPage"] and not default["pageInfo"]["hasPreviousPage"]
    largest = fetch_page(api, events, first=100)
    assert [edge["node"]["path"] for edge in largest["edges"]] == everything[:100]
    from_the_end = fetch_page(api, events, last=100)
    assert [edge["node"]["path"] for edge in from_the_end["edges"]] == everything[-100:]
    assert from_the_end["pageInfo"]["hasPreviousPage"] and not from_the_end["pageInfo"]["hasNextPage"]
    tags = fetch_page(api, Listing("tags", "tags", node="name", order_type="TagOrder"))
    publishers = fetch_page(api, Listing("publishers", "publishers", node="domain", order_type=None))
    assert len(tags["edges"]) == len(publishers["edges"]) == 20


def test_first_zero_gives_no_edges_but_says_more_follow(api: ApiClient) -> None:
    page = fetch_page(api, Listing("events", "events"), first=0)
    assert page["edges"] == [] and page["totalCount"] == 214
    assert page["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False, "startCursor": None, "endCursor": None}


def test_first_and_last_together_take_the_end_of_the_first_items(api: ApiClient, documents) -> None:
    page = fetch_page(api, Listing("events", "events"), first=10, last=3)
    assert [edge["node"]["path"] for edge in page["edges"]] == newest_first(documents.values())[7:10]


def test_after_and_before_together_give_the_items_between(api: ApiClient, documents) -> None:
    events = Listing("events", "events")
    edges = fetch_page(api, events, first=30)["edges"]
    between = fetch_page(api, events, after=edges[4]["cursor"], before=edges[25]["cursor"], first=100)
    assert [edge["node"]["path"] for edge in between["edges"]] == newest_first(documents.values())[5:25]
    assert between["pageInfo"]["hasNextPage"] and between["pageInfo"]["hasPreviousPage"]


def test_paging_past_the_end_gives_an_empty_page(api: ApiClient) -> None:
    events = Listing("events", "events")
    last_edge = fetch_page(api, events, last=1)["edges"][0]
    page = fetch_page(api, events, after=last_edge["cursor"])
    assert page["edges"] == [] and page["totalCount"] == 214
    assert not page["pageInfo"]["hasNextPage"]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [({"first": 101}, "first"), ({"first": -1}, "first"), ({"last": 101}, "last"), ({"last": -1}, "last"),
     ({"first": 1000000}, "first")],
)
@pytest.mark.parametrize("kind", EVENT_LISTINGS)
def test_page_sizes_out_of_bounds_are_bad_user_input(api: ApiClient, listings, kind: str, arguments, named) -> None:
    error = fetch_error(api, listings[kind][0], **arguments)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"`{named}`" in error["message"] and "100" in error["message"]


@pytest.mark.parametrize(
    "listing",
    [Listing("tags", "tags", node="name", order_type="TagOrder"),
     Listing("publishers", "publishers", node="domain", order_type=None)],
    ids=["tags", "publishers"],
)
def test_tag_and_publisher_page_sizes_are_bounded_too(api: ApiClient, listing: Listing) -> None:
    for arguments in ({"first": 101}, {"last": -5}):
        assert fetch_error(api, listing, **arguments)["extensions"]["code"] == "BAD_USER_INPUT"


# -- bad cursors ---------------------------------------------------------------------------
def _cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "", "!!!!", "é", "a", base64.urlsafe_b64encode(b"\xff\xfe").decode(),
     base64.urlsafe_b64encode(b'{"date": 1}').decode(), _cursor(), _cursor("date", 5), _cursor("date", ["x"], None)],
    ids=["word", "empty", "punctuation", "non-ascii", "bad-padding", "not-utf8", "json-object", "empty-list",
         "wrong-key-type", "nested-junk"],
)
@pytest.mark.parametrize("argument", ["after", "before"])
def test_garbage_cursors_are_bad_user_input(api: ApiClient, cursor: str, argument: str) -> None:
    error = fetch_error(api, Listing("events", "events"), **{argument: cursor})
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert f"`{argument}`" in error["message"] and "cursor" in error["message"]


def test_cursors_of_another_ordering_are_refused(api: ApiClient, listings) -> None:
    search, _ = listings["search"]
    relevance_cursor = fetch_page(api, search, first=1)["edges"][0]["cursor"]
    date_cursor = fetch_page(api, Listing("events", "events"), first=1)["edges"][0]["cursor"]
    tags = Listing("tags", "tags", node="name", order_type="TagOrder")
    count_cursor = fetch_page(api, tags, first=1, orderBy="COUNT")["edges"][0]["cursor"]
    publisher_cursor = fetch_page(api, Listing("publishers", "publishers", node="domain", order_type=None),
                                  first=1)["edges"][0]["cursor"]
    refusals = [
        fetch_error(api, Listing("events", "events"), after=relevance_cursor),
        fetch_error(api, search, before=date_cursor),  # search orders by RELEVANCE unless told
        fetch_error(api, search, after=relevance_cursor, orderBy="DATE_DESC"),
        fetch_error(api, tags, after=count_cursor, orderBy="NAME"),
        fetch_error(api, tags, after=publisher_cursor),
        fetch_error(api, listings["tag.events"][0], after=count_cursor),
    ]
    for error in refusals:
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "another ordering" in error["message"] and "orderBy" in error["message"]


def test_a_date_cursor_serves_both_date_orders_and_every_event_listing(api: ApiClient, listings, documents) -> None:
    """A cursor names a place in the date order, whichever way it is read and in whichever list."""
    events = Listing("events", "events")
    middle = fetch_page(api, events, first=100)["edges"][99]
    everything = newest_first(documents.values())
    ascending = fetch_page(api, events, after=middle["cursor"], orderBy="DATE_ASC", first=100)
    assert [e["node"]["path"] for e in ascending["edges"]] == everything[:99][::-1]
    day_listing, day_documents = listings["day.events"]
    on_the_day = fetch_page(api, day_listing, before=middle["cursor"], first=100)
    assert [e["node"]["path"] for e in on_the_day["edges"]] == [
        p for p in newest_first(day_documents) if everything.index(p) < 99
    ]


# -- cursors across a growing archive -------------------------------------------------------
def _added_events() -> list[tuple[str, str]]:
    """New events before, inside and after the bundled date range, some carrying a bundled tag."""
    days = [dt.date(2015, 8, 30), dt.date(2015, 9, 8), dt.date(2015, 9, 8), dt.date(2015, 9, 3), dt.date(2015, 9, 20)]
    files = []
    for number, day in enumerate(days):
        headline = f"Added event {number} {'aaa' if number % 2 else 'zzz'} on {day}"
        related = [("Some Syrian event", "/news/2015/09/5/elsewhere.md", ["Syria"])]
        files.append((f"added-{number}.md", event_markdown(day, headline, "An added event.", related=related)))
    return files


def test_cursors_stay_valid_when_events_are_added(bundled_store: EventStore, documents, tmp_path) -> None:
    copy = EventStore(tmp_path / "copy.json")
    shutil.copy(bundled_store.path, copy.path)
    before = ApiClient(create_app(copy, ServerSettings(reload_interval=0)))
    events = Listing("events", "events")
    seen = fetch_page(before, events, first=60)["edges"]
    mark = seen[-1]
    tag_listing = Listing("tag.events", "events", ('tag(name: "syria")',))
    tag_mark = fetch_page(before, tag_listing, first=4)["edges"][-1]

    report = load_texts(copy, _added_events())
    assert report.loaded == 5 and report.rejected == 0
    grown = {d["path"]: d for d in copy.documents()}
    after = ApiClient(create_app(copy, ServerSettings(reload_interval=0)))  # the archive rebuilt from the store

    order = newest_first(grown.values())
    position = order.index(mark["node"]["path"])
    rest = page_through(after, events, 40, start=mark["cursor"])
    assert rest.keys() == order[position + 1:]
    assert rest.total_count == len(grown) == len(documents) + 5
    back = page_through(after, events, 40, backward=True, start=mark["cursor"])
    assert back.keys() == order[:position]

    # every original event is seen once across the old and the new pages; an added one when it sorts past the mark
    visited = [edge["node"]["path"] for edge in seen] + rest.keys()
    assert sorted(p for p in visited if p in documents) == sorted(documents)
    mark_key = (mark["node"]["date"], mark["node"]["path"])
    added = set(grown) - set(documents)
    assert {p for p in added if p in visited} == {p for p in added if (grown[p]["date"], p) < mark_key}
    assert 0 < len(added & set(visited)) < len(added), "added events fall on both sides of the mark"

    syria = newest_first(d for d in grown.values() if "syria" in document_tags(d))
    tag_rest = page_through(after, tag_listing, 3, start=tag_mark["cursor"])
    assert tag_rest.keys() == syria[syria.index(tag_mark["node"]["path"]) + 1:]
    assert added & set(tag_rest.keys()), "the added Syria events show up past the tag's cursor"


def test_a_cursor_outlives_the_event_it_was_taken_from(bundled_store: EventStore, tmp_path) -> None:
    copy = EventStore(tmp_path / "copy.json")
    shutil.copy(bundled_store.path, copy.path)
    events = Listing("events", "events")
    first_page = fetch_page(ApiClient(create_app(copy, ServerSettings(reload_interval=0))), events, first=10)
    gone = first_page["edges"][-1]["node"]["path"]
    copy.write([], removals=[gone])
    after = ApiClient(create_app(copy, ServerSettings(reload_interval=0)))
    remaining = newest_first(copy.documents())
    rest = page_through(after, events, 100, start=first_page["edges"][-1]["cursor"])
    assert rest.keys() == remaining[9:]
    assert gone not in remaining


def test_event_ids_are_the_same_in_a_rebuilt_archive(api: ApiClient, bundled_store: EventStore, tmp_path) -> None:
    copy = EventStore(tmp_path / "copy.json")
    shutil.copy(bundled_store.path, copy.path)
    load_texts(copy, _added_events()[:1])
    rebuilt = ApiClient(create_app(copy, ServerSettings(reload_interval=0)))
    query = "{ events(first: 50, orderBy: DATE_ASC) { edges { node { id path } } } }"
    old = {e["node"]["path"]: e["node"]["id"] for e in api.data(query)["events"]["edges"]}
    new = {e["node"]["path"]: e["node"]["id"] for e in rebuilt.data(query)["events"]["edges"]}
    added = canonical_path(dt.date(2015, 8, 30), "Added event 0 zzz on 2015-08-30")
    assert added in new
    assert all(new[path] == old[path] for path in new.keys() & old.keys())
    assert len(new.keys() & old.keys()) == 49
