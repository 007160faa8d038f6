"""Atom feeds (/feeds/*.atom): parsed with a real feed parser and with ElementTree, checked against brute
force over the stored documents; conditional GETs; refusals; odd characters; and the explorer's
autodiscovery link in a real browser.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections import Counter
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import feedparser
import httpx
import pytest

from newsgraph.load import load_files, load_texts
from newsgraph.parse import Event
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.server.atom import ExplorerUrls, Feed, atom_document, entry_events
from newsgraph.store import EventStore
from tests.api_listings import (
    document_domains,
    document_tags,
    event_markdown,
    fold,
    most_common,
    newest_first,
    publisher_names,
    searchable_words,
    tag_spellings,
)
from tests.browser import browser, needs_browser  # noqa: F401 - `browser` is a fixture
from tests.drivers import REPO, ApiClient, running_server

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # pragma: no cover - depends on the environment (tests.browser skips the browser test)
    pass

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "http://testserver"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
BUNDLED_NEWS = REPO / "data" / "news"


# ---------------------------------------------------------------- helpers


def get(api: ApiClient, url: str, **headers: str) -> httpx.Response:
    return api.request("GET", url, headers=headers)


def feed_of(response: httpx.Response) -> Any:
    """The feed as feedparser reads it, after checking status, media type, well-formedness and the namespace."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    root = ET.fromstring(response.content)  # well-formed, or this raises
    assert root.tag == f"{ATOM}feed", root.tag
    assert all(child.tag.startswith(ATOM) for child in root.iter()), "an element outside the Atom namespace"
    for entry in root.iter(f"{ATOM}entry"):
        content = entry.find(f"{ATOM}content")
        assert content is None or (content.get("type") == "html" and len(content) == 0)  # HTML as escaped text
    parsed = feedparser.parse(response.content, sanitize_html=False, resolve_relative_uris=False)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def entry_id(path: str) -> str:
    return "tag:newsgraph,2026:" + path


def event_page(path: str) -> str:
    return f"{BASE}/#/event" + "/".join(quote(part, safe="!'()*") for part in path.split("/"))


def tag_names(documents: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Tag key → the spelling shown (the most frequent)."""
    return {key: most_common(counts) for key, counts in tag_spellings(documents.values()).items()}


def links(entry: Any, rel: str) -> list[tuple[str, str | None]]:
    return [(link["href"], link.get("title")) for link in entry.links if link["rel"] == rel]


def check_entries(parsed: Any, paths: list[str], documents: dict[str, dict[str, Any]]) -> None:
    """Every entry is the event at the same place in `paths`, with every part of it."""
    shown = tag_names(documents)
    assert [entry.id for entry in parsed.entries] == [entry_id(path) for path in paths]
    for entry, path in zip(parsed.entries, paths, strict=True):
        document = documents[path]
        assert entry.title == document["headline"].strip()
        assert entry.link == event_page(path)
        assert links(entry, "alternate") == [(event_page(path), None)]
        day = dt.date.fromisoformat(document["date"])
        assert entry.published == entry.updated == f"{day.isoformat()}T00:00:00Z"
        assert links(entry, "related") == [(source["url"], source["name"]) for source in document["sources"]]
        assert [tag.term for tag in entry.get("tags", [])] == [shown[key] for key in sorted(document_tags(document))]
        assert all(tag.scheme == f"{BASE}/#/tag/" for tag in entry.get("tags", []))
        assert entry.get("summary", "") == document["summary"].strip()


def newest_date(paths: list[str], documents: dict[str, dict[str, Any]]) -> str:
    return max(documents[path]["date"] for path in paths)


# ---------------------------------------------------------------- the four feeds


def test_the_newest_events(api: ApiClient, documents) -> None:
    response = get(api, "/feeds/events.atom")
    parsed = feed_of(response)
    expected = newest_first(documents.values())[:50]
    check_entries(parsed, expected, documents)
    feed = parsed.feed
    assert feed.id == "tag:newsgraph,2026:feeds/events"
    assert feed.title == "newsgraph: newest events"
    assert feed.updated == f"{newest_date(expected, documents)}T00:00:00Z"
    assert links(feed, "self") == [(f"{BASE}/feeds/events.atom", None)]
    assert links(feed, "alternate") == [(f"{BASE}/#/timeline", None)]
    assert response.headers["last-modified"] == "Tue, 15 Sep 2015 00:00:00 GMT"
    # the summary HTML is the API's summaryHtml, sent as escaped text and read back whole
    html = {e["node"]["path"]: e["node"]["summaryHtml"]
            for e in api.data("{ events(first: 50) { edges { node { path summaryHtml } } } }")["events"]["edges"]}
    assert any(html.values())
    for entry, path in zip(parsed.entries, expected, strict=True):
        assert (entry.content[0].value if "content" in entry else "") == html[path].strip()  # feedparser trims


@pytest.mark.parametrize(("limit", "count"), [(None, 50), ("1", 1), ("7", 7), ("200", 200)])
def test_limit_bounds_the_entries(api: ApiClient, documents, limit: str | None, count: int) -> None:
    response = get(api, "/feeds/events.atom" + (f"?limit={limit}" if limit else ""))
    parsed = feed_of(response)
    assert [entry.id for entry in parsed.entries] == [entry_id(p) for p in newest_first(documents.values())[:count]]
    suffix = f"?limit={limit}" if limit and limit != "50" else ""
    assert links(parsed.feed, "self") == [(f"{BASE}/feeds/events.atom{suffix}", None)]


def test_every_tag_of_the_bundled_archive(api: ApiClient, documents) -> None:
    shown = tag_names(documents)
    members: dict[str, list[dict[str, Any]]] = {key: [] for key in shown}
    for document in documents.values():
        for key in document_tags(document):
            members[key].append(document)
    assert len(shown) > 100
    for key, name in shown.items():
        response = get(api, f"/feeds/tags/{quote(name, safe='')}.atom?limit=5")
        parsed = feed_of(response)
        expected = newest_first(members[key])[:5]
        check_entries(parsed, expected, documents)
        assert parsed.feed.id == "tag:newsgraph,2026:feeds/tags/" + quote(key, safe="/:@!$&'()*+,;=-._~?")
        assert parsed.feed.title == f"newsgraph: {name}"
        assert links(parsed.feed, "self") == [(f"{BASE}/feeds/tags/{quote(name, safe=quote_safe())}.atom?limit=5", None)]
        assert links(parsed.feed, "alternate") == [(f"{BASE}/#/tag/{quote(name, safe=quote_safe())}", None)]
        day = dt.date.fromisoformat(newest_date(expected, documents))
        assert response.headers["last-modified"] == format_datetime(
            dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC), usegmt=True)


def quote_safe() -> str:
    return "!'()*"  # what encodeURIComponent leaves besides letters, digits and -._~ (the explorer's links)


def test_a_tag_in_any_spelling_is_one_feed(api: ApiClient, documents) -> None:
    counts = Counter(key for d in documents.values() for key in document_tags(d))
    key = counts.most_common(1)[0][0]
    name = tag_names(documents)[key]
    answers = [get(api, f"/feeds/tags/{quote(spelling)}.atom") for spelling in (name, name.upper(), name.lower())]
    assert len({response.content for response in answers}) == 1
    assert len({response.headers["etag"] for response in answers}) == 1
    assert len(feed_of(answers[0]).entries) == min(50, counts[key])


def test_publishers(api: ApiClient, documents) -> None:
    names = publisher_names(documents.values())
    busiest = Counter(domain for d in documents.values() for domain in document_domains(d)).most_common(12)
    for domain, count in busiest:
        parsed = feed_of(get(api, f"/feeds/publishers/{domain}.atom"))
        expected = newest_first(d for d in documents.values() if domain in document_domains(d))[:50]
        assert len(expected) == min(count, 50)
        check_entries(parsed, expected, documents)
        assert parsed.feed.id == f"tag:newsgraph,2026:feeds/publishers/{domain}"
        assert parsed.feed.title == f"newsgraph: {most_common(names[domain])} ({domain})"
        assert links(parsed.feed, "alternate") == [(f"{BASE}/#/publisher/{domain}", None)]
    # a `www.` host is its publisher's domain, as for sources
    domain = busiest[0][0]
    assert get(api, f"/feeds/publishers/www.{domain}.atom").content == get(api, f"/feeds/publishers/{domain}.atom").content


@pytest.mark.parametrize("word", ["syria", "Guatemala", "refugees", "the", "Pérez"])
def test_a_search_gives_its_newest_matches(api: ApiClient, documents, word: str) -> None:
    parsed = feed_of(get(api, f"/feeds/search.atom?q={quote(word)}"))
    matching = [d for d in documents.values() if fold(word) in searchable_words(d)]
    assert matching
    check_entries(parsed, newest_first(matching)[:50], documents)
    assert parsed.feed.title == f"newsgraph: “{word}”"
    assert links(parsed.feed, "alternate") == [(f"{BASE}/#/search?q={quote(word)}", None)]


def test_a_search_with_a_prefix_and_words(api: ApiClient, documents) -> None:
    parsed = feed_of(api.request("GET", "/feeds/search.atom", params={"q": "migra* hungary", "limit": "100"}))
    matching = [d for d in documents.values()
                if "hungary" in searchable_words(d) and any(w.startswith("migra") for w in searchable_words(d))]
    assert matching
    check_entries(parsed, newest_first(matching)[:100], documents)
    assert links(parsed.feed, "self") == [(f"{BASE}/feeds/search.atom?q=migra%2A+hungary&limit=100", None)]


def test_a_search_without_hits_is_an_empty_feed(api: ApiClient, documents) -> None:
    response = get(api, "/feeds/search.atom?q=xylophonequartz")
    parsed = feed_of(response)
    assert parsed.entries == []
    newest = max(d["date"] for d in documents.values())
    assert parsed.feed.updated == f"{newest}T00:00:00Z"  # an empty feed is as new as the archive


# ---------------------------------------------------------------- conditional GET


def test_if_none_match_gets_304(api: ApiClient) -> None:
    for url in ("/feeds/events.atom", "/feeds/tags/Germany.atom", "/feeds/publishers/nytimes.com.atom",
                "/feeds/search.atom?q=syria&limit=3"):
        first = get(api, url)
        etag = first.headers["etag"]
        assert etag.startswith('"') and first.headers["cache-control"] == "public, max-age=60"
        for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
            again = get(api, url, **{"if-none-match": header})
            assert again.status_code == 304 and again.content == b"", (url, header)
            assert again.headers["etag"] == etag
        assert get(api, url, **{"if-none-match": '"other"'}).status_code == 200


def test_the_tag_names_the_request(api: ApiClient) -> None:
    tags = {get(api, url).headers["etag"] for url in (
        "/feeds/events.atom", "/feeds/events.atom?limit=3", "/feeds/tags/Germany.atom", "/feeds/tags/Syria.atom",
        "/feeds/publishers/nytimes.com.atom", "/feeds/search.atom?q=syria", "/feeds/search.atom?q=germany")}
    assert len(tags) == 7
    other_host = api.request("GET", "/feeds/events.atom", headers={"host": "news.example"})
    assert other_host.headers["etag"] not in tags  # its links name another host
    assert b"http://news.example/feeds/events.atom" in other_host.content


def test_if_modified_since(api: ApiClient) -> None:
    url = "/feeds/tags/Germany.atom"
    modified = get(api, url).headers["last-modified"]
    assert modified == "Mon, 14 Sep 2015 00:00:00 GMT"
    for since in (modified, "Tue, 15 Sep 2015 00:00:00 GMT", "Sun, 01 Jan 2023 10:00:00 GMT"):
        answer = get(api, url, **{"if-modified-since": since})
        assert answer.status_code == 304 and answer.content == b"" and answer.headers["last-modified"] == modified
    for since in ("Sun, 13 Sep 2015 23:59:59 GMT", "not a date", ""):
        assert get(api, url, **{"if-modified-since": since}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110): a tag that does not match means 200
    assert get(api, url, **{"if-none-match": '"other"', "if-modified-since": modified}).status_code == 200


def test_ids_are_stable_across_reloads_and_tags_are_not(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "newsgraph.json")
    assert load_files(store, [BUNDLED_NEWS]).rejected == 0
    app = create_app(store, ServerSettings(reload_interval=0))
    api = ApiClient(app)
    before = get(api, "/feeds/tags/Germany.atom")
    ids = [entry.id for entry in feed_of(before).entries]
    report = load_texts(store, [("new.md", event_markdown(dt.date(2015, 9, 16), "Germany and Austria agree on a border plan", "",
                                                         [("Reuters", "https://www.reuters.com/x")],
                                                         [("Germany reopens train services", "/news/2015/09/14/x.md", ["Germany"])]))])
    assert report.rejected == 0
    assert app.state.holder.reload()
    after = get(api, "/feeds/tags/Germany.atom")
    assert after.headers["etag"] != before.headers["etag"]
    assert get(api, "/feeds/tags/Germany.atom", **{"if-none-match": before.headers["etag"]}).status_code == 200
    new_ids = [entry.id for entry in feed_of(after).entries]
    assert new_ids == [entry_id("/news/2015/09/16/germany-and-austria-agree-on-a-border-plan.md"), *ids]
    assert after.headers["last-modified"] == "Wed, 16 Sep 2015 00:00:00 GMT"
    # a fresh server over the same store file gives the same ids and the same tag
    again = get(ApiClient(create_app(store, ServerSettings(reload_interval=0))), "/feeds/tags/Germany.atom")
    assert [entry.id for entry in feed_of(again).entries] == new_ids and again.headers["etag"] == after.headers["etag"]


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(("url", "says"), [
    ("/feeds/tags/No%20such%20tag.atom", "No event carries the tag 'No such tag'"),
    ("/feeds/tags/.atom", "No event carries the tag ''"),
    ("/feeds/publishers/example.invalid.atom", "No event cites a source at the domain 'example.invalid'"),
])
def test_unknown_tags_and_publishers_are_404(api: ApiClient, url: str, says: str) -> None:
    response = get(api, url, **{"if-none-match": "*"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers
    assert says in response.text


@pytest.mark.parametrize(("url", "says"), [
    ("/feeds/search.atom", "q is missing"),
    ("/feeds/search.atom?q=", "q is missing"),
    ("/feeds/search.atom?q=%20%20", "q is missing"),
    ("/feeds/search.atom?q=!!!%20???", "has no words to search for"),
    ("/feeds/search.atom?q=*", "has no words to search for"),
    ("/feeds/search.atom?q=" + "word%20" * 201, "1000"),
    ("/feeds/events.atom?limit=0", "limit must be a whole number from 1 to 200; got '0'"),
    ("/feeds/events.atom?limit=201", "got '201'"),
    ("/feeds/events.atom?limit=-1", "got '-1'"),
    ("/feeds/events.atom?limit=1.5", "got '1.5'"),
    ("/feeds/events.atom?limit=ten", "got 'ten'"),
    ("/feeds/events.atom?limit=%D9%A3", "limit must be a whole number"),  # an Arabic-Indic 3 is not a limit
    ("/feeds/tags/Germany.atom?limit=", "got ''"),
    ("/feeds/events.atom?limit=" + "1" * 5000, "limit must be a whole number"),  # past int()'s 4,300 digits
])
def test_bad_q_and_limit_are_400(api: ApiClient, url: str, says: str) -> None:
    response = get(api, url)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert says in response.text


def test_feeds_are_read_only(api: ApiClient) -> None:
    response = api.request("POST", "/feeds/events.atom")
    assert response.status_code == 405 and "GET" in response.headers["allow"]


# ---------------------------------------------------------------- odd characters


ODD_HEADLINE = 'Tom & Jerry <b>"bold"</b> meet O\'Brien at the café — naïve ☃ 𝄞 ]]> <![CDATA[x]]> &#'
ODD_SUMMARY = 'A [link](https://example.org/a?b=1&c="2") and <script>alert("x")</script> & more'
ODD_TAGS = ["A & B <c>", "Ünïcode “quotes” 'here'", "AC/DC", "Pérez"]


@pytest.fixture
def odd(store: EventStore) -> ApiClient:
    day = dt.date(2015, 9, 3)
    texts = [
        ("odd.md", event_markdown(day, ODD_HEADLINE, ODD_SUMMARY,
                                  [("Agence <Pérez> & \"Fils\"", "https://example.org/news?a=1&b=<2>"),
                                   ("Script", "javascript:alert(1)")],
                                  [("Plain neighbour", "/news/2015/09/2/plain-neighbour.md", ODD_TAGS)])),
        ("plain.md", event_markdown(dt.date(2015, 9, 2), "Plain neighbour", "",
                                    [("Plain", "https://plain.example/x")],
                                    [("Odd", "/news/2015/09/3/odd.md", ODD_TAGS[:1])])),
    ]
    report = load_texts(store, texts)
    assert report.rejected == 0, [str(p) for p in report.problems]
    return ApiClient(create_app(store, ServerSettings(reload_interval=0)))


def test_odd_characters_survive_a_round_trip(odd: ApiClient) -> None:
    api = odd
    event = api.data('{ events(first: 1) { edges { node { path headline summaryHtml sources { name url } tags { name } } } } }'
                     )["events"]["edges"][0]["node"]
    assert event["headline"] == ODD_HEADLINE
    feeds = [get(api, "/feeds/events.atom"), get(api, "/feeds/search.atom?q=" + quote("jerry café")),
             *(get(api, f"/feeds/tags/{quote(name, safe='')}.atom") for name in ODD_TAGS),
             get(api, "/feeds/publishers/example.org.atom")]
    for response in feeds:
        parsed = feed_of(response)
        entry = parsed.entries[0]
        assert entry.title == ODD_HEADLINE
        assert entry.id == entry_id(event["path"])
        assert entry.content[0].value == event["summaryHtml"].strip()
        assert "&lt;script&gt;" in entry.content[0].value  # the API's HTML escapes the archive's markup ...
        assert [tag.term for tag in entry.tags] == [tag["name"] for tag in event["tags"]] == sorted(
            ODD_TAGS, key=str.casefold)
        # ... and the source with a javascript: URL is left out of the links
        assert links(entry, "related") == [("https://example.org/news?a=1&b=%3C2%3E", "Agence <Pérez> & \"Fils\"")]
        # ElementTree reads back the same text
        root = ET.fromstring(response.content)
        element = root.find(f"{ATOM}entry")
        assert element.findtext(f"{ATOM}title") == ODD_HEADLINE
        assert element.findtext(f"{ATOM}content") == event["summaryHtml"]
    tag_feed = feed_of(feeds[2])
    assert tag_feed.feed.title == "newsgraph: A & B <c>"
    assert [entry.title for entry in tag_feed.entries] == [ODD_HEADLINE, "Plain neighbour"]
    assert feed_of(feeds[4]).feed.id == "tag:newsgraph,2026:feeds/tags/ac/dc"


def test_characters_xml_cannot_hold_become_replacement_characters() -> None:
    """The builder, on its own: control characters and lone surrogates would make the document ill-formed."""
    event = Event(path="/news/2015/09/3/x.md", date=dt.date(2015, 9, 3), headline="bell \x07 nul \x00 half \ud800 ok",
                  summary="form \x0c feed")
    urls = ExplorerUrls("http://host")
    feed = Feed("tag:newsgraph,2026:feeds/test", "title \x1b", "sub", "http://host/feeds/test.atom", "http://host/#/")
    document = atom_document(feed, entry_events([event], lambda path: ["tag \x01"], lambda markdown: ""),
                             dt.datetime(2015, 9, 3, tzinfo=dt.UTC), urls)
    root = ET.fromstring(document)
    entry = root.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "bell \ufffd nul \ufffd half \ufffd ok"
    assert entry.findtext(f"{ATOM}summary") == "form \ufffd feed"
    assert entry.find(f"{ATOM}category").get("term") == "tag \ufffd"
    assert root.findtext(f"{ATOM}title") == "title \ufffd"
    assert not feedparser.parse(document).bozo


# ---------------------------------------------------------------- the explorer links to its feeds


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("feeds") / "newsgraph.json"
    with running_server("--db", str(db), "--data", str(BUNDLED_NEWS)) as base:
        yield base


@needs_browser
def test_the_explorer_tag_page_announces_its_feed(browser: Browser, server: str) -> None:  # noqa: F811
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.set_default_timeout(5000)
        page.route(lambda url: not url.startswith(server + "/"), lambda route: route.abort())
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        page.goto(f"{server}/#/tag/Germany")
        expect(page.locator("main h1")).to_have_text("Germany")
        alternate = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
        expect(alternate).to_have_count(1)
        href = alternate.get_attribute("href")
        assert href == f"{server}/feeds/tags/Germany.atom"
        assert alternate.get_attribute("title") == "newsgraph: Germany"
        visible = page.get_by_role("link", name="Atom feed")
        expect(visible).to_be_visible()
        assert visible.get_attribute("href") == href
        response = httpx.get(href)
        parsed = feed_of(response)
        assert parsed.feed.title == "newsgraph: Germany" and len(parsed.entries) == 8
        assert parsed.entries[0].link.startswith(f"{server}/#/event/news/2015/09/14/germany-reopens-train-services")

        # another view with a feed swaps the link; a view without one drops it
        page.get_by_role("link", name="Timeline", exact=True).first.click()
        expect(page.locator("main h1")).to_have_text("Timeline")
        expect(alternate).to_have_attribute("href", f"{server}/feeds/events.atom")
        page.goto(f"{server}/#/search?q=Guatemala")
        expect(page.locator("main h1")).to_have_text("Results for “Guatemala”")
        expect(alternate).to_have_attribute("href", f"{server}/feeds/search.atom?q=Guatemala")
        assert len(feed_of(httpx.get(alternate.get_attribute("href"))).entries) == 4
        page.locator(".results .event-title a").first.click()
        expect(page.locator("article h1")).to_be_visible()
        expect(alternate).to_have_count(0)
        assert not errors, errors
    finally:
        context.close()
