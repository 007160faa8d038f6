"""Every field of the graph over HTTP, checked against the stored records; node lookups; error codes."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from newsgraph.api import QueryLimits
from newsgraph.load import load_files, load_texts
from newsgraph.parse import parse_event
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore, event_to_document
from tests.api_listings import (
    Listing,
    document_domains,
    document_tags,
    domain_of,
    event_markdown,
    inbound,
    most_common,
    page_through,
    publisher_names,
    resolve,
    tag_spellings,
)
from tests.drivers import ApiClient

SPECIMEN = Path(__file__).parent / "fixtures" / "specimen" / "iskander.md"
EVENT_FIELDS = """
    id path date headline summary summaryMarkdown summaryHtml coverImage
    sources { name url domain publisher { name domain eventCount } }
    related { path headline date context { name } event { path headline } }
    relatedBy(first: 100) { totalCount edges { node { path } } }
    tags { name }
"""
NODE = """
    __typename id
    ... on Event { path }
    ... on Tag { name }
    ... on Day { date eventCount }
    ... on Publisher { domain }
"""


def app_over(store: EventStore) -> ApiClient:
    return ApiClient(create_app(store, ServerSettings(reload_interval=0)))


@pytest.fixture(scope="module")
def events(bundled_store: EventStore) -> dict[str, dict[str, Any]]:
    """Every event with every field, paged through over HTTP.

    With no cost limit: a page of 100 events with every list is costed at the most 100 events may
    hold (364,608 fields: 100 related links of 20 context tags each, …), far over the default limit.
    """
    unlimited = ApiClient(create_app(bundled_store, ServerSettings(limits=QueryLimits(max_cost=None), reload_interval=0)))
    walk = page_through(unlimited, Listing("events", "events", node=EVENT_FIELDS), 100)
    return {node["path"]: node for node in walk.nodes}


def _text_of(summary_html: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", summary_html)).split())


# -- Event, Source, RelatedEvent ------------------------------------------------------------
def test_every_event_field_matches_its_record(events, documents) -> None:
    assert events.keys() == documents.keys()
    ids = [event["id"] for event in events.values()]
    assert len(set(ids)) == len(ids) and all(ids)
    for path, event in events.items():
        stored = documents[path]
        assert event["date"] == stored["date"]
        assert event["headline"] == stored["headline"]
        assert event["summary"] == stored["summary"]
        assert event["summaryMarkdown"] == stored["summary_markdown"]
        assert event["coverImage"] == stored["cover_image"]
        if stored["summary"]:
            assert event["summaryHtml"].startswith("<p>")
            assert _text_of(event["summaryHtml"]) == " ".join(stored["summary"].split())
        else:
            assert event["summaryHtml"] == ""
        assert path == f"/news/{stored['date'][:4]}/{stored['date'][5:7]}/{int(stored['date'][8:])}/" + path.rsplit("/", 1)[1]


def test_sources_name_their_publisher(events, documents) -> None:
    names = publisher_names(documents.values())
    counts = Counter(x for d in documents.values() for x in document_domains(d))
    for path, event in events.items():
        stored = documents[path]["sources"]
        assert [{"name": s["name"], "url": s["url"]} for s in event["sources"]] == stored
        for source in event["sources"]:
            domain = domain_of(source["url"])
            assert source["domain"] == domain
            assert source["publisher"] == {"name": most_common(names[domain]), "domain": domain, "eventCount": counts[domain]}


def test_tags_are_the_union_of_related_contexts(events, documents) -> None:
    spellings = tag_spellings(documents.values())
    for path, event in events.items():
        names = [tag["name"] for tag in event["tags"]]
        assert sorted(name.casefold() for name in names) == sorted(document_tags(documents[path]))
        assert names == sorted(names, key=str.casefold)
        assert all(name == most_common(spellings[name.casefold()]) for name in names)


def test_related_links_resolve_as_the_format_says(events, documents) -> None:
    for path, event in events.items():
        stored = documents[path]["related"]
        assert len(event["related"]) == len(stored)
        for related, item in zip(event["related"], stored, strict=True):
            assert (related["path"], related["headline"], related["date"]) == (item["path"], item["headline"], item["date"])
            assert [tag["name"].casefold() for tag in related["context"]] == [name.casefold() for name in item["context"]]
            target = resolve(item["path"], documents)
            assert (related["event"] or {}).get("path") == target, item["path"]
            if item["path"] in documents:  # a link to a bundled path always lands on that event
                assert related["event"]["path"] == item["path"]
                assert related["event"]["headline"] == documents[item["path"]]["headline"]
    linked = [r for e in events.values() for r in e["related"] if r["event"]]
    assert len(linked) > 100, "the bundle links inside itself"


def test_related_by_is_the_inverse_of_related(events, documents) -> None:
    linked = inbound(documents)
    for path, event in events.items():
        sources = [edge["node"]["path"] for edge in event["relatedBy"]["edges"]]
        assert event["relatedBy"]["totalCount"] == len(sources) == len(set(sources))
        assert set(sources) == linked.get(path, set())
        for source in sources:  # and each of them really links here
            assert any((r["event"] or {}).get("path") == path for r in events[source]["related"])
        assert sources == sorted(sources, key=lambda p: (documents[p]["date"], p), reverse=True)


def test_stats_count_the_archive(api: ApiClient, documents, events) -> None:
    stats = api.data("{ stats { events tags publishers dateFrom dateTo unresolvedRelatedLinks } }")["stats"]
    dates = sorted(d["date"] for d in documents.values())
    unresolved = sum(resolve(item["path"], documents) is None for d in documents.values() for item in d["related"])
    assert stats == {
        "events": len(documents),
        "tags": len({t for d in documents.values() for t in document_tags(d)}),
        "publishers": len({x for d in documents.values() for x in document_domains(d)}),
        "dateFrom": dates[0],
        "dateTo": dates[-1],
        "unresolvedRelatedLinks": unresolved,
    }
    assert unresolved == sum(r["event"] is None for e in events.values() for r in e["related"])


def test_an_empty_archive_has_empty_stats(store: EventStore) -> None:
    stats = app_over(store).data("{ stats { events tags publishers dateFrom dateTo unresolvedRelatedLinks } }")["stats"]
    assert stats == {"events": 0, "tags": 0, "publishers": 0, "dateFrom": None, "dateTo": None, "unresolvedRelatedLinks": 0}


# -- Tag ----------------------------------------------------------------------------------------
TAG_FIELDS = """
    id name slug eventCount
    events(first: 100, orderBy: DATE_ASC) { totalCount edges { node { path } } }
    relatedTags(first: 100) { tag { name } count }
    byDay: timeline(granularity: DAY) { period count }
    byMonth: timeline(granularity: MONTH) { period count }
    byYear: timeline(granularity: YEAR) { period count }
    timeline { period count }
"""


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")


def test_every_tag_field_matches_the_records(api: ApiClient, documents) -> None:
    spellings = tag_spellings(documents.values())
    tags = page_through(api, Listing("tags", "tags", node=TAG_FIELDS, order_type="TagOrder"), 100).nodes
    assert sorted(tag["name"].casefold() for tag in tags) == sorted(spellings)
    for tag in tags:
        key = tag["name"].casefold()
        members = [d for d in documents.values() if key in document_tags(d)]
        assert tag["name"] == most_common(spellings[key])
        assert tag["slug"] == _slug(tag["name"])
        assert tag["eventCount"] == tag["events"]["totalCount"] == len(members)
        assert [e["node"]["path"] for e in tag["events"]["edges"]] == [
            d["path"] for d in sorted(members, key=lambda d: (d["date"], d["path"]))]
        together = Counter(other for d in members for other in document_tags(d) if other != key)
        assert [(r["tag"]["name"].casefold(), r["count"]) for r in tag["relatedTags"]] == sorted(
            together.items(), key=lambda item: (-item[1], item[0]))
        for alias, width in (("byDay", 10), ("byMonth", 7), ("byYear", 4)):
            counts = Counter(d["date"][:width] for d in members)
            assert tag[alias] == [{"period": period, "count": counts[period]} for period in sorted(counts)]
        assert tag["timeline"] == tag["byMonth"]


def test_a_tag_by_name_in_any_case(api: ApiClient, documents) -> None:
    top = Counter(t for d in documents.values() for t in document_tags(d)).most_common(1)[0][0]
    found = api.data(f'{{ a: tag(name: {json.dumps(top.upper())}) {{ name eventCount }} '
                     f'b: tag(name: {json.dumps(top.lower())}) {{ name eventCount }} c: tag(name: "No such tag") {{ name }} }}')
    assert found["a"] == found["b"] and found["a"]["name"].casefold() == top
    assert found["c"] is None


def test_related_tags_default_to_ten_and_are_bounded(api: ApiClient, documents) -> None:
    top = Counter(t for d in documents.values() for t in document_tags(d)).most_common(1)[0][0]
    tag = api.data(f"{{ tag(name: {json.dumps(top)}) {{ relatedTags {{ count }} few: relatedTags(first: 2) {{ count }} }} }}")["tag"]
    assert len(tag["relatedTags"]) == 10 and tag["few"] == tag["relatedTags"][:2]
    for bad in (101, -1):
        error = api.error(f"{{ tag(name: {json.dumps(top)}) {{ relatedTags(first: {bad}) {{ count }} }} }}")
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and "`first`" in error["message"]


@pytest.mark.parametrize("prefix", ["s", "SYR", "u", "É", "isl", "zzz"])
@pytest.mark.parametrize("order", ["COUNT", "NAME"])
def test_tags_by_prefix_in_either_order(api: ApiClient, documents, prefix: str, order: str) -> None:
    counts = Counter(t for d in documents.values() for t in document_tags(d))
    folded = "".join(c for c in unicodedata.normalize("NFKD", prefix) if not unicodedata.combining(c)).casefold()
    wanted = [t for t in counts if t.startswith(folded)]
    wanted.sort(key=(lambda t: (-counts[t], t)) if order == "COUNT" else (lambda t: t))
    listing = Listing("tags", "tags", fixed=f"prefix: {json.dumps(prefix)}", node="name eventCount", order_type="TagOrder")
    walk = page_through(api, listing, 100, orderBy=order)
    assert [node["name"].casefold() for node in walk.nodes] == wanted


# -- Day -------------------------------------------------------------------------------------
def test_days_and_their_events(api: ApiClient, documents) -> None:
    counts = Counter(d["date"] for d in documents.values())
    days = api.data("{ days { id date eventCount events(first: 100) { totalCount edges { node { path } } } } }")["days"]
    assert [day["date"] for day in days] == sorted(counts)
    for day in days:
        members = [d for d in documents.values() if d["date"] == day["date"]]
        assert day["eventCount"] == day["events"]["totalCount"] == counts[day["date"]]
        assert [e["node"]["path"] for e in day["events"]["edges"]] == [
            d["path"] for d in sorted(members, key=lambda d: (d["date"], d["path"]), reverse=True)]
        single = api.data(f'{{ day(date: "{day["date"]}") {{ id date eventCount }} }}')["day"]
        assert single == {"id": day["id"], "date": day["date"], "eventCount": day["eventCount"]}


@pytest.mark.parametrize(
    ("arguments", "first", "last"),
    [('from: "2015-09-03", to: "2015-09-05"', "2015-09-03", "2015-09-05"), ('from: "2015-09-14"', "2015-09-14", "2015-09-15"),
     ('to: "2015-09-02"', "2015-09-01", "2015-09-02"), ('from: "2015-08-01", to: "2015-08-31"', None, None),
     ('from: "2015-09-07", to: "2015-09-07"', "2015-09-07", "2015-09-07")],
)
def test_days_between_two_dates(api: ApiClient, documents, arguments: str, first, last) -> None:
    counts = Counter(d["date"] for d in documents.values())
    days = api.data(f"{{ days({arguments}) {{ date eventCount }} }}")["days"]
    expected = [{"date": date, "eventCount": counts[date]} for date in sorted(counts) if first and first <= date <= last]
    assert days == expected


def test_a_day_without_events_is_null_and_a_backward_range_is_refused(api: ApiClient) -> None:
    assert api.data('{ day(date: "2015-10-01") { date } }') == {"day": None}
    error = api.error('{ days(from: "2015-09-10", to: "2015-09-01") { date } }')
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "`from`" in error["message"]


# -- Publisher -----------------------------------------------------------------------------
def test_every_publisher_field_matches_the_records(api: ApiClient, documents) -> None:
    names = publisher_names(documents.values())
    fields = "id name domain eventCount events(first: 100) { totalCount edges { node { path } } }"
    publishers = page_through(api, Listing("publishers", "publishers", node=fields, order_type=None), 100).nodes
    assert sorted(p["domain"] for p in publishers) == sorted(names)
    for publisher in publishers:
        members = [d for d in documents.values() if publisher["domain"] in document_domains(d)]
        assert publisher["name"] == most_common(names[publisher["domain"]])
        assert publisher["eventCount"] == publisher["events"]["totalCount"] == len(members)
        assert [e["node"]["path"] for e in publisher["events"]["edges"]] == [
            d["path"] for d in sorted(members, key=lambda d: (d["date"], d["path"]), reverse=True)]


def test_a_publisher_by_domain_or_name(api: ApiClient, documents) -> None:
    names = {domain: most_common(counter) for domain, counter in publisher_names(documents.values()).items()}
    counts = Counter(x for d in documents.values() for x in document_domains(d))
    top = max(counts, key=lambda domain: (counts[domain], domain))
    found = api.data(
        f'{{ a: publisher(name: "{top}") {{ domain }} b: publisher(name: "WWW.{top.upper()}") {{ domain }} '
        f'c: publisher(name: {json.dumps(names[top].lower())}) {{ domain eventCount }} '
        '  d: publisher(name: "no-such-outlet.example") { domain } }'
    )
    assert found["a"] == found["b"] == {"domain": top}
    # by name: the most cited publisher of that name
    same_name = [d for d in names if names[d].casefold() == names[top].casefold()]
    best = min(same_name, key=lambda d: (-counts[d], d))
    assert found["c"] == {"domain": best, "eventCount": counts[best]}
    assert found["d"] is None


# -- node, nodes and event lookups -------------------------------------------------------------
@pytest.fixture(scope="module")
def some_ids(api: ApiClient) -> dict[str, dict[str, Any]]:
    data = api.data(
        "{ events(first: 1) { edges { node { id path } } } tags(first: 1) { edges { node { id name } } }"
        "  days(from: \"2015-09-04\") { id date eventCount } publishers(first: 1) { edges { node { id domain } } } }"
    )
    return {
        "Event": data["events"]["edges"][0]["node"],
        "Tag": data["tags"]["edges"][0]["node"],
        "Day": data["days"][0],
        "Publisher": data["publishers"]["edges"][0]["node"],
    }


def test_node_finds_every_kind_by_id(api: ApiClient, some_ids) -> None:
    for type_name, known in some_ids.items():
        node = api.data(f"query($id: ID!) {{ node(id: $id) {{ {NODE} }} }}", {"id": known["id"]})["node"]
        assert node["__typename"] == type_name
        assert {key: node[key] for key in known} == known


def test_nodes_keeps_the_order_and_gives_null_for_what_is_gone(api: ApiClient, some_ids, store: EventStore) -> None:
    elsewhere = app_with_specimen(store).data("{ events { edges { node { id } } } }")["events"]["edges"][0]["node"]["id"]
    ids = [some_ids["Publisher"]["id"], elsewhere, some_ids["Event"]["id"], some_ids["Day"]["id"], some_ids["Tag"]["id"]]
    nodes = api.data(f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {NODE} }} }}", {"ids": ids})["nodes"]
    assert [node and node["__typename"] for node in nodes] == ["Publisher", None, "Event", "Day", "Tag"]
    assert [node and node["id"] for node in nodes] == [ids[0], None, *ids[2:]]
    assert api.data("query($id: ID!) { node(id: $id) { id } }", {"id": elsewhere}) == {"node": None}


def test_event_lookups(api: ApiClient, some_ids) -> None:
    event = some_ids["Event"]
    found = api.data(
        "query($path: String!, $bare: String!, $id: ID!, $tag: ID!) {"
        "  byPath: event(path: $path) { id path } bare: event(path: $bare) { id }"
        "  byId: event(id: $id) { path } aTag: event(id: $tag) { path }"
        '  missing: event(path: "/news/2015/09/1/no-such-event.md") { path } }',
        {"path": event["path"], "bare": event["path"].lstrip("/"), "id": event["id"], "tag": some_ids["Tag"]["id"]},
    )
    assert found == {"byPath": event, "bare": {"id": event["id"]}, "byId": {"path": event["path"]}, "aTag": None, "missing": None}


@pytest.mark.parametrize(
    ("query", "mentions"),
    [('{ node(id: "not an id!") { id } }', "id"), ('{ node(id: "Zm9vOmJhcg") { id } }', "type"),
     ('{ node(id: "RGF5Onllc3RlcmRheQ") { id } }', "date"), ("{ event { path } }", "`path` or `id`"),
     ('{ event(path: "/x.md", id: "RXZlbnQ6L3gubWQ") { path } }', "`path` or `id`"),
     ('{ nodes(ids: [' + ", ".join(['"RXZlbnQ6L3gubWQ"'] * 101) + ']) { id } }', "100")],
    ids=["garbage-id", "unknown-type", "bad-day-id", "no-argument", "both-arguments", "too-many-ids"],
)
def test_bad_ids_and_lookups_are_bad_user_input(api: ApiClient, query: str, mentions: str) -> None:
    error = api.error(query)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert mentions in error["message"]


# -- the specimen and crafted events -----------------------------------------------------------
def app_with_specimen(store: EventStore, *extra: tuple[str, str]) -> ApiClient:
    report = load_files(store, [SPECIMEN])
    assert report.rejected == 0, [str(p) for p in report.problems]
    if extra:
        assert load_texts(store, extra).rejected == 0
    return app_over(store)


def test_the_specimen_reads_as_published(store: EventStore) -> None:
    api = app_with_specimen(store)
    event = api.data(f"{{ events {{ edges {{ node {{ {EVENT_FIELDS} }} }} }} }}")["events"]["edges"][0]["node"]
    assert event["date"] == "2012-12-08"
    assert event["headline"].startswith("Russia arms Syria with Iskander missiles")
    assert event["summary"].endswith("[…]") and "&hellip;" in event["summaryMarkdown"]
    assert event["coverImage"] == "http://www.wnd.com/files/2012/12/Iskander.jpg"
    assert [(s["name"], s["domain"]) for s in event["sources"]] == [("Al Jazeera", "aljazeera.com"), ("WND", "wnd.com")]
    assert [tag["name"] for tag in event["tags"]] == ["NATO", "Russia", "Syria", "Turkey"]
    assert len(event["related"]) == 10 and all(r["event"] is None for r in event["related"])
    assert [t["name"] for t in event["related"][0]["context"]] == ["NATO", "Russia", "Syria", "Turkey"]
    assert event["related"][6]["date"] == "2016-07-04"
    stats = api.data("{ stats { events tags publishers dateFrom dateTo unresolvedRelatedLinks } }")["stats"]
    assert stats == {"events": 1, "tags": 4, "publishers": 2, "dateFrom": "2012-12-08", "dateTo": "2012-12-08",
                     "unresolvedRelatedLinks": 10}
    tags = api.data("{ tag(name: \"nato\") { name eventCount timeline(granularity: YEAR) { period count } } }")["tag"]
    assert tags == {"name": "NATO", "eventCount": 1, "timeline": [{"period": "2012", "count": 1}]}


def test_a_link_with_an_old_slug_spelling_resolves_by_its_words(store: EventStore) -> None:
    """The specimen links to `...mevla1-4t-aavuaoalu...` for the event about Mevlüt Çavuşoğlu."""
    headline = ("Turkish Foreign Minister Mevlüt Çavuşoğlu says Turkey's cooperation with Russia in combating the "
                "Islamic State in Syria does not include Russia's use of its Incirlik Air Base, which some have "
                "interpreted from his comments yesterday.")
    api = app_with_specimen(store, ("cavusoglu.md", event_markdown(dt.date(2016, 7, 4), headline)))
    specimen = api.data("{ events(orderBy: DATE_ASC, first: 1) { edges { node { path related { path event { path headline } } } } } }")
    node = specimen["events"]["edges"][0]["node"]
    linked = node["related"][6]
    assert "mevla1-4t-aavuaoalu" in linked["path"]
    assert linked["event"]["headline"] == headline and linked["event"]["path"] != linked["path"]
    assert [r["event"] is None for r in node["related"]].count(True) == 9
    target = api.data(f"{{ event(path: {json.dumps(linked['event']['path'])}) {{ relatedBy {{ edges {{ node {{ path }} }} }} }} }}")
    assert target["event"]["relatedBy"]["edges"] == [{"node": {"path": node["path"]}}]
    assert api.data("{ stats { unresolvedRelatedLinks } }")["stats"]["unresolvedRelatedLinks"] == 9


def test_summary_html_keeps_web_links_only_and_escapes_raw_html(store: EventStore) -> None:
    summary = ("Read [this](https://example.com/a) and [that](http://example.org/b?x=1&y=2). "
               "<script>alert(1)</script> [bad](javascript:alert(1)) [worse](JAVASCRIPT:alert(2)) "
               "[data](data:text/html;base64,PHNjcmlwdD4=) [mail](mailto:a@example.com) "
               "<img src=x onerror=alert(1)> **bold** and <a href=\"javascript:alert(3)\">raw</a>")
    assert load_texts(store, [("crafted.md", event_markdown(dt.date(2015, 9, 1), "Crafted summary", summary))]).rejected == 0
    out = app_over(store).data("{ events { edges { node { summaryHtml } } } }")["events"]["edges"][0]["node"]["summaryHtml"]
    assert '<a href="https://example.com/a">this</a>' in out
    assert '<a href="http://example.org/b?x=1&amp;y=2">that</a>' in out
    assert "<strong>bold</strong>" in out
    assert "<script" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<img" not in out and "&lt;img" in out
    hrefs = re.findall(r'href="([^"]*)"', out)
    assert hrefs == ["https://example.com/a", "http://example.org/b?x=1&amp;y=2"]
    assert out.count("<a ") == 2


# -- errors -----------------------------------------------------------------------------------
def test_an_unexpected_exception_is_masked_as_internal_server_error(store: EventStore) -> None:
    """A stored record whose summary is not text (inconsistent data) breaks one field, not the server."""
    event = parse_event(event_markdown(dt.date(2015, 9, 1), "Broken record", "Fine summary.")).event
    document = {**event_to_document(event), "summary_markdown": 1234567}
    store.write([document])
    api = app_over(store)
    body = api.post_graphql(f'{{ stats {{ events }} event(path: "{event.path}") {{ headline summaryHtml }} }}')
    assert body["data"] == {"stats": {"events": 1}, "event": None}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert error["path"] == ["event", "summaryHtml"]
    assert error["message"] == "Internal server error; it has been logged."  # nothing of the exception leaks
    assert api.data(f'{{ event(path: "{event.path}") {{ headline }} }}') == {"event": {"headline": "Broken record"}}


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [("{ events(first: 1) { edges { node { path } }", None, "GRAPHQL_PARSE_FAILED"),
     ("{ nope }", None, "GRAPHQL_VALIDATION_FAILED"),
     ("{ tag { name } }", None, "GRAPHQL_VALIDATION_FAILED"),
     ("{ events { edges { node { unknownField } } } }", None, "GRAPHQL_VALIDATION_FAILED"),
     ('{ day(date: "2015-02-30") { date } }', None, "BAD_USER_INPUT"),
     ("{ events(first: \"ten\") { totalCount } }", None, "BAD_USER_INPUT"),
     ("query($d: Date!) { day(date: $d) { date } }", {"d": "soon"}, "BAD_USER_INPUT"),
     ("query($d: Date!) { day(date: $d) { date } }", {}, "BAD_USER_INPUT"),
     ("query($n: Int) { events(first: $n) { totalCount } }", {"n": 1.5}, "BAD_USER_INPUT"),
     ("query($f: EventFilter) { events(filter: $f) { totalCount } }", {"f": {"colour": "red"}}, "BAD_USER_INPUT")],
    ids=["syntax", "unknown-field", "missing-argument", "unknown-nested-field", "bad-date-literal", "bad-int-literal",
         "bad-date-variable", "missing-variable", "bad-int-variable", "bad-filter-variable"],
)
def test_every_error_carries_a_code(api: ApiClient, query: str, variables, code: str) -> None:
    error = api.error(query, variables)
    assert error["extensions"]["code"] == code, error
    assert error["message"]
