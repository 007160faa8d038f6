"""`Event.thread` and `Event.similar`, over real HTTP, against brute-force answers computed from the stored documents.

The brute force (here and in tests/api_listings.py) reads the documents the store holds, not the archive: links are
resolved by docs/format.md's rule, tags are the union of link contexts, and BM25 is recomputed from the texts (words
folded as docs/api.md says), so a wrong index, a wrong walk or a wrong score makes the two disagree. Checked on the
bundled archive (every event) and on a generated one (bench.corpus), plus a crafted archive whose threads are
written out by hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import random
import re
import unicodedata
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newsgraph.api import ARCHIVE, QueryLimits, build_schema
from newsgraph.archive import Archive
from newsgraph.archive import similar as similar_module
from newsgraph.archive import threads as threads_module
from newsgraph.archive.postings import HEADLINE_WEIGHT
from newsgraph.archive.ranking import K1, B
from newsgraph.load import load_texts
from newsgraph.parse import canonical_path
from newsgraph.server.app import ServerSettings, create_app
from newsgraph.store import EventStore
from tests.api_listings import (
    Listing,
    document_tags,
    event_markdown,
    fetch_error,
    fetch_page,
    page_through,
    resolve,
    searchable_words,
)
from tests.drivers import ApiClient, example, generated_store_in

Documents = dict[str, dict[str, Any]]
GENERATED_EVENTS = 1_500
GENERATED_SEED = 23
SAMPLED = 40  # generated events checked: the largest threads, then a random draw
TOLERANCE = 1e-9

THREAD = """query Thread($path: String!, $first: Int!, $after: String) {
  event(path: $path) { thread {
    totalCount firstDate lastDate truncated
    tags(first: $first) { count tag { name } }
    events(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { path date } } }
  } }
}"""
SIMILAR = """query Similar($path: String!, $first: Int!) {
  event(path: $path) { similar(first: $first) {
    totalCount pageInfo { hasNextPage hasPreviousPage } edges { cursor score sharedTags { name } node { path } }
  } }
}"""


# -- brute force: the archive as the documents say ----------------------------------------------------------------
@dataclass
class Links:
    """Every resolved link, from the documents alone: by tag of its context, and each event's own targets."""

    documents: Documents
    by_tag: dict[str, set[tuple[str, str]]]  # tag key → (source, target) of the links whose context holds it
    targets: dict[str, set[str]]  # path → the events its own links resolve to
    tags: dict[str, set[str]]

    @classmethod
    def of(cls, documents: Documents) -> Links:
        by_tag: dict[str, set[tuple[str, str]]] = defaultdict(set)
        targets: dict[str, set[str]] = defaultdict(set)
        for path, document in documents.items():
            for item in document["related"]:
                target = resolve(item["path"], documents)
                if target is not None and target != path:
                    targets[path].add(target)
                    for name in item["context"]:
                        by_tag[name.casefold()].add((path, target))
        return cls(documents, by_tag, targets, {path: document_tags(d) for path, d in documents.items()})

    def neighbours(self, start: str) -> dict[str, set[str]]:
        """The events one link away, either way, by the links whose context shares a tag with the start's."""
        found: dict[str, set[str]] = defaultdict(set)
        for tag in self.tags[start]:
            for source, target in self.by_tag[tag]:
                found[source].add(target)
                found[target].add(source)
        return found

    def thread(self, start: str, limit: int) -> tuple[list[str], bool]:
        """Breadth-first from the start; a level larger than the room left keeps its events nearest in time to the
        start (then by date, then by path)."""
        neighbours = self.neighbours(start)
        day = dt.date.fromisoformat(self.documents[start]["date"])

        def nearness(path: str) -> tuple:
            date = dt.date.fromisoformat(self.documents[path]["date"])
            return abs((date - day).days), date, path

        members, level = [start], [start]
        while level:
            reached = {other for path in level for other in neighbours[path]} - set(members)
            if not reached:
                return members, False
            level = sorted(reached, key=nearness)
            room = limit - len(members)
            if len(level) > room:
                return members + level[:room], True
            members += level
        return members, False

    def reachable(self, start: str) -> set[str]:
        """Everything the walk could reach with no bound (a plain BFS, in no particular order)."""
        neighbours, seen, queue = self.neighbours(start), {start}, deque([start])
        while queue:
            for other in neighbours[queue.popleft()] - seen:
                seen.add(other)
                queue.append(other)
        return seen


_UNDECOMPOSED = str.maketrans({"ı": "i", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h"})


def words(text: str) -> list[str]:
    """Search's words: NFKD without marks, case-folded, letters NFKD keeps whole folded by hand (docs/api.md)."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    return re.findall(r"[^\W_]+", folded.translate(_UNDECOMPOSED))


class Bm25:
    """BM25 over headline (each word counted HEADLINE_WEIGHT times), summary and source names, recomputed."""

    def __init__(self, documents: Documents) -> None:
        self.counts: dict[str, Counter[str]] = {}
        lengths = {}
        for path, d in documents.items():
            body = d["summary"] + "\n" + "\n".join(source["name"] for source in d["sources"])
            counted = words(d["headline"]) * HEADLINE_WEIGHT + words(body)
            self.counts[path], lengths[path] = Counter(counted), len(counted)
        self.total = len(documents)
        average = sum(lengths.values()) / self.total
        self.norm = {path: K1 * (1 - B + B * length / average) for path, length in lengths.items()}
        self.frequency = Counter(word for counts in self.counts.values() for word in counts)

    def idf(self, word: str) -> float:
        found = self.frequency[word]
        return math.log(1 + (self.total - found + 0.5) / (found + 0.5))

    def weight(self, word: str, path: str) -> float:
        tf = self.counts[path][word]
        return self.idf(word) * tf * (K1 + 1) / (tf + self.norm[path]) if tf else 0.0


def query_terms(bm25: Bm25, document: dict[str, Any]) -> list[str]:
    counts = Counter(words(document["headline"]) * HEADLINE_WEIGHT + words(document["summary"]))
    weighted = [(tf * bm25.idf(word), word) for word, tf in counts.items()
                if bm25.frequency[word] <= min(bm25.total * similar_module.COMMON_SHARE, similar_module.MAX_TERM_EVENTS)]
    weighted.sort(key=lambda item: (-item[0], item[1]))
    return [word for _, word in weighted[:similar_module.MAX_QUERY_TERMS]]


def similar_scores(links: Links, bm25: Bm25, start: str) -> tuple[dict[str, float], list[str]]:
    """(every candidate's score, the start's query terms): text (capped ratio) + TAG_WEIGHT × Jaccard of tags.
    A candidate holds a term or shares a tag carried by at most MAX_TAG_EVENTS events; its Jaccard counts every tag."""
    terms = query_terms(bm25, links.documents[start])
    itself = sum(bm25.weight(word, start) for word in terms)
    mine = links.tags[start]
    sizes = Counter(tag for tags in links.tags.values() for tag in tags)
    nominating = {tag for tag in mine if sizes[tag] <= similar_module.MAX_TAG_EVENTS}
    scores = {}
    for path in links.documents:
        if path == start or path in links.targets[start]:
            continue
        text = min(1.0, sum(bm25.weight(word, path) for word in terms) / itself) if itself else 0.0
        theirs = links.tags[path]
        tags = len(mine & theirs) / len(mine | theirs) if mine & theirs else 0.0
        if text or nominating & theirs:
            scores[path] = text + similar_module.TAG_WEIGHT * tags
    return scores, terms


# -- the API ------------------------------------------------------------------------------------------------------
def thread_over_http(api: ApiClient, path: str) -> dict[str, Any]:
    """The thread's fields, its 100 first tags and every event (paging by 100)."""
    variables: dict[str, Any] = {"path": path, "first": 100}
    thread = api.data(THREAD, variables)["event"]["thread"]
    nodes = [edge["node"] for edge in thread["events"]["edges"]]
    page = thread["events"]
    while page["pageInfo"]["hasNextPage"]:
        page = api.data(THREAD, {**variables, "after": page["pageInfo"]["endCursor"]})["event"]["thread"]["events"]
        nodes += [edge["node"] for edge in page["edges"]]
    return {**thread, "nodes": nodes}


def check_thread(api: ApiClient, links: Links, path: str, limit: int = threads_module.MAX_THREAD_EVENTS) -> dict:
    members, truncated = links.thread(path, limit)
    documents = links.documents
    got = thread_over_http(api, path)
    assert [node["path"] for node in got["nodes"]] == sorted(members, key=lambda p: (documents[p]["date"], p)), path
    assert got["totalCount"] == got["events"]["totalCount"] == len(members) <= limit
    assert got["truncated"] is truncated
    dates = [documents[member]["date"] for member in members]
    assert (got["firstDate"], got["lastDate"]) == (min(dates), max(dates))
    counts = Counter(tag for member in members for tag in links.tags[member])
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:100]
    assert [(t["tag"]["name"].casefold(), t["count"]) for t in got["tags"]] == ranked, path
    return got


def check_similar(api: ApiClient, links: Links, bm25: Bm25, path: str, first: int) -> list[dict[str, Any]]:
    """The first page (`first` edges) of the event's similar events, against the brute-force ranking."""
    similar = api.data(SIMILAR, {"path": path, "first": first})["event"]["similar"]
    hits = similar["edges"]
    scores, terms = similar_scores(links, bm25, path)
    paths = [hit["node"]["path"] for hit in hits]
    assert similar["totalCount"] == min(similar_module.MAX_SIMILAR, len(scores)), "the best 100 candidates"
    assert similar["pageInfo"] == {"hasNextPage": similar["totalCount"] > first, "hasPreviousPage": False}
    assert len(hits) == min(first, len(scores)) and len(set(paths)) == len(paths)
    assert path not in paths and not set(paths) & links.targets[path], "itself or a related target"
    assert [(-h["score"], p) for h, p in zip(hits, paths, strict=True)] == sorted(
        (-h["score"], p) for h, p in zip(hits, paths, strict=True)), "not best first, ties by path"
    for hit, found in zip(hits, paths, strict=True):
        assert hit["score"] == pytest.approx(scores[found], rel=TOLERANCE, abs=TOLERANCE), found
        shared = sorted(links.tags[path] & links.tags[found])
        assert [tag["name"].casefold() for tag in hit["sharedTags"]] == shared
        assert shared or set(terms) & set(bm25.counts[found]), f"{found} shares neither a word nor a tag"
    if hits:  # nothing left out scores higher than the last hit kept (up to float noise)
        floor = hits[-1]["score"]
        assert all(score <= floor + TOLERANCE for other, score in scores.items() if other not in paths)
    return hits


# -- fixtures ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bundled(documents: Documents) -> tuple[Links, Bm25]:
    return Links.of(documents), Bm25(documents)


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory: pytest.TempPathFactory) -> EventStore:
    return generated_store_in(tmp_path_factory.mktemp("generated"), GENERATED_EVENTS, GENERATED_SEED)


@pytest.fixture(scope="module")
def generated(generated_store: EventStore) -> tuple[ApiClient, Links, Bm25, list[str]]:
    documents = {d["path"]: d for d in generated_store.documents()}
    links = Links.of(documents)
    largest = sorted(documents, key=lambda path: (-len(links.reachable(path)), path))[:SAMPLED // 2]
    rest = sorted(set(documents) - set(largest))
    sample = largest + random.Random(GENERATED_SEED).sample(rest, SAMPLED - len(largest))
    return ApiClient(create_app(generated_store, ServerSettings(reload_interval=0))), links, Bm25(documents), sample


# -- threads --------------------------------------------------------------------------------------------------
def test_every_bundled_thread_is_the_brute_force_walk(api: ApiClient, bundled: tuple[Links, Bm25]) -> None:
    links, _ = bundled
    sizes = [check_thread(api, links, path)["totalCount"] for path in sorted(links.documents)]
    assert max(sizes) > 10 and sizes.count(1) < len(sizes), "the bundled archive has real threads"


def test_generated_threads_are_the_brute_force_walk(generated: tuple[ApiClient, Links, Bm25, list[str]]) -> None:
    api, links, _, sample = generated
    sizes = [check_thread(api, links, path)["totalCount"] for path in sample]
    assert max(sizes) > 5


def test_a_thread_is_bounded_and_keeps_the_events_nearest_in_time(
    bundled_store: EventStore, bundled: tuple[Links, Bm25], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the bound at 6 (the default, 200, is more than any bundled thread), large threads are cut as the
    brute force cuts them: whole hops first, then the events of the last hop nearest in time to the start."""
    links, _ = bundled
    monkeypatch.setattr(threads_module, "MAX_THREAD_EVENTS", 6)
    api = ApiClient(create_app(bundled_store, ServerSettings(reload_interval=0)))  # a new archive: nothing cached
    cut = 0
    for path in sorted(links.documents):
        got = check_thread(api, links, path, limit=6)
        if got["truncated"]:
            cut += 1
            assert got["totalCount"] == 6 and len(links.reachable(path)) > 6
        else:
            assert {node["path"] for node in got["nodes"]} == links.reachable(path)
    assert cut > 5


def test_thread_events_take_the_filters_and_orders_of_every_listing(
    api: ApiClient, bundled: tuple[Links, Bm25]
) -> None:
    links, _ = bundled
    documents = links.documents
    start = max(sorted(documents), key=lambda path: len(links.thread(path, 200)[0]))
    members, _ = links.thread(start, 200)
    listing = Listing("thread.events", "events", (f"event(path: {json.dumps(start)})", "thread"))
    ascending = sorted(members, key=lambda p: (documents[p]["date"], p))
    assert page_through(api, listing, 3).keys() == ascending  # oldest first by default
    assert page_through(api, listing, 4, backward=True).keys() == ascending
    assert page_through(api, listing, 5, orderBy="DATE_DESC").keys() == ascending[::-1]
    tag = Counter(t for p in members for t in links.tags[p]).most_common(2)[1][0]
    day = documents[ascending[len(ascending) // 2]]["date"]
    narrowed = page_through(api, listing, 2, filter={"tagsAny": [tag.upper()], "dateFrom": day})
    assert narrowed.keys() == [p for p in ascending if tag in links.tags[p] and documents[p]["date"] >= day]
    error = api.error(listing.query({"orderBy": "RELEVANCE"}), {"orderBy": "RELEVANCE"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_thread_tags_are_bounded_like_related_tags(api: ApiClient, bundled: tuple[Links, Bm25]) -> None:
    links, _ = bundled
    start = max(sorted(links.documents), key=lambda path: len(links.thread(path, 200)[0]))
    query = "query($path: String!, $first: Int!) { event(path: $path) { thread { tags(first: $first) { count } } } }"
    default = "query($path: String!) { event(path: $path) { thread { tags { count } } } }"
    assert len(api.data(default, {"path": start})["event"]["thread"]["tags"]) == 10
    assert api.data(query, {"path": start, "first": 0})["event"]["thread"]["tags"] == []
    for bad in (-1, 101):
        error = api.error(query, {"path": start, "first": bad})
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and "between 0 and 100" in error["message"]


# -- a crafted archive, its threads written out ----------------------------------------------------------------
def _crafted(store: EventStore) -> tuple[ApiClient, dict[str, str]]:
    """A -X-> B -Y-> D -Y-> C -X,W-> A, A -Z-> E -Z-> F <-Q- G: A's tags are X and Z. Headlines share only words
    every event has (not distinctive); A and D share words in their summaries."""
    days = {name: dt.date(2015, 1, number) for number, name in enumerate("ABCDEFG", 1)}
    headline = {name: f"Event {name} of the crafted story" for name in days}
    summary = {"A": "Storm over Ankara.", "D": "Storm over Ankara, again."}
    path = {name: canonical_path(days[name], headline[name]) for name in days}
    links: dict[str, list[tuple[str, Iterable[str]]]] = {
        "A": [("B", ["X"]), ("E", ["Z"])], "B": [("D", ["Y"])], "C": [("A", ["W", "X"])], "D": [("C", ["Y"])],
        "E": [("F", ["Z"])], "F": [], "G": [("F", ["Q"])],
    }
    texts = [(f"{name}.md", event_markdown(days[name], headline[name], summary.get(name, ""), related=[
        (headline[target], path[target], context) for target, context in links[name]])) for name in days]
    assert load_texts(store, texts).rejected == 0
    return ApiClient(create_app(store, ServerSettings(reload_interval=0))), path


def test_a_crafted_archive_has_the_threads_written_out(store: EventStore) -> None:
    api, path = _crafted(store)
    expected = {
        "A": "ABCEF",  # B by its link, C by the link to A (X), E, then F through E (Z); not D (Y), not G (Q)
        "B": "BCD",  # B's tag is Y: D, then C through D; not A (A's link to B is X)
        "C": "ABC",  # C's tags W, X: A by C's own link, then B by A's link (X); not E (Z)
        "F": "F",  # no related link, so no tag: its thread is itself, however many links point at it
        "G": "FG",
    }
    for name, members in expected.items():
        thread = thread_over_http(api, path[name])
        assert [node["path"] for node in thread["nodes"]] == [path[member] for member in members], name
        assert thread["firstDate"] == f"2015-01-0{'ABCDEFG'.index(members[0]) + 1}"
        assert thread["lastDate"] == f"2015-01-0{'ABCDEFG'.index(members[-1]) + 1}"
    tags = thread_over_http(api, path["A"])["tags"]
    assert [(t["tag"]["name"], t["count"]) for t in tags] == [("X", 2), ("Z", 2), ("W", 1), ("Y", 1)]


def test_a_crafted_event_is_never_similar_to_itself_or_its_links(store: EventStore) -> None:
    api, path = _crafted(store)
    hits = api.data(SIMILAR, {"path": path["A"], "first": 100})["event"]["similar"]["edges"]
    # D by its summary's words, C by a tag (X); not A itself, nor B and E (A's links); F and G share nothing
    assert [(hit["node"]["path"], [tag["name"] for tag in hit["sharedTags"]]) for hit in hits] == [
        (path["D"], []), (path["C"], ["X"])]
    assert hits[1]["score"] == pytest.approx(similar_module.TAG_WEIGHT / 3)  # Jaccard {X, Z} and {W, X}: 1/3
    assert 0 < hits[1]["score"] < hits[0]["score"] <= 1


# -- similar ----------------------------------------------------------------------------------------------------
def test_every_bundled_event_s_similar_events_are_the_brute_force_ranking(
    api: ApiClient, bundled: tuple[Links, Bm25]
) -> None:
    links, bm25 = bundled
    shared_tags = 0
    for path in sorted(links.documents):
        hits = check_similar(api, links, bm25, path, 100 if path < sorted(links.documents)[20] else 10)
        shared_tags += any(hit["sharedTags"] for hit in hits)
    assert shared_tags > 20, "tags take part in the ranking"


def test_generated_similar_events_are_the_brute_force_ranking(
    generated: tuple[ApiClient, Links, Bm25, list[str]]
) -> None:
    api, links, bm25, sample = generated
    for number, path in enumerate(sample):
        check_similar(api, links, bm25, path, (100, 10, 3)[number % 3])


def similar_listing(path: str) -> Listing:
    return Listing("similar", "similar", (f"event(path: {json.dumps(path)})",), edge_extra="score sharedTags { name }")


@pytest.fixture(scope="module")
def most_similar(api: ApiClient, bundled: tuple[Links, Bm25]) -> tuple[str, list[dict[str, Any]]]:
    """The bundled event with the most similar events, and all of them (one page of 100), checked by brute force."""
    links, bm25 = bundled
    start = max(sorted(links.documents), key=lambda path: len(similar_scores(links, bm25, path)[0]))
    edges = check_similar(api, links, bm25, start, 100)
    assert len(edges) > 30, "a long list to page through"
    return start, edges


def test_similar_pages_forward_and_back_with_cursors(
    api: ApiClient, most_similar: tuple[str, list[dict[str, Any]]]
) -> None:
    start, edges = most_similar
    listing = similar_listing(start)
    ranking = [edge["node"]["path"] for edge in edges]
    for size in (1, 3, 7, None):  # None: the default page (20)
        forward = page_through(api, listing, size)
        assert forward.keys() == ranking and forward.total_count == len(ranking)
        assert [edge["score"] for edge in forward.edges] == [edge["score"] for edge in edges]
        assert forward.edges == page_through(api, listing, size or 20, backward=True).edges, "same edges both ways"
    middle = edges[len(edges) // 2]["cursor"]
    after = fetch_page(api, listing, first=5, after=middle)
    assert [edge["node"]["path"] for edge in after["edges"]] == ranking[len(ranking) // 2 + 1:][:5]
    assert after["pageInfo"]["hasPreviousPage"] and after["pageInfo"]["hasNextPage"]
    before = fetch_page(api, listing, last=5, before=middle)
    assert [edge["node"]["path"] for edge in before["edges"]] == ranking[:len(ranking) // 2][-5:]
    assert page_through(api, listing, 4, start=middle).keys() == ranking[len(ranking) // 2 + 1:]
    assert page_through(api, listing, 4, backward=True, start=middle).keys() == ranking[:len(ranking) // 2]


def test_similar_takes_the_date_orders(
    api: ApiClient, documents: Documents, most_similar: tuple[str, list[dict[str, Any]]]
) -> None:
    start, edges = most_similar
    listing = similar_listing(start)
    scores = {edge["node"]["path"]: edge["score"] for edge in edges}
    oldest = sorted(scores, key=lambda path: (documents[path]["date"], path))
    for order, expected in (("DATE_ASC", oldest), ("DATE_DESC", oldest[::-1])):
        forward = page_through(api, listing, 6, orderBy=order)
        assert forward.keys() == expected, order
        assert page_through(api, listing, 9, backward=True, orderBy=order).keys() == expected, order
        assert all(edge["score"] == scores[edge["node"]["path"]] for edge in forward.edges), "the same scores"
    relevance = fetch_page(api, listing, first=2)["edges"][-1]["cursor"]
    error = fetch_error(api, listing, first=2, after=relevance, orderBy="DATE_DESC")
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "another ordering" in error["message"]


def test_similar_takes_the_filter_of_every_listing(
    api: ApiClient, bundled: tuple[Links, Bm25], most_similar: tuple[str, list[dict[str, Any]]]
) -> None:
    """The filter narrows the similar events (never adds to them) and keeps their scores and order."""
    links, bm25 = bundled
    documents = links.documents
    start, edges = most_similar
    listing = similar_listing(start)
    ranking = [edge["node"]["path"] for edge in edges]
    scores = {edge["node"]["path"]: edge["score"] for edge in edges}
    tag = Counter(t for path in ranking for t in links.tags[path]).most_common(1)[0][0]
    day = sorted(documents[path]["date"] for path in ranking)[len(ranking) // 3]
    word = next(word for word in query_terms(bm25, documents[start])
                if 1 < sum(word in searchable_words(documents[path]) for path in ranking) < len(ranking))
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"tagsAny": [tag.upper()]}, [p for p in ranking if tag in links.tags[p]]),
        ({"dateFrom": day}, [p for p in ranking if documents[p]["date"] >= day]),
        ({"tagsAll": [tag], "dateTo": day}, [p for p in ranking if tag in links.tags[p] and documents[p]["date"] <= day]),
        ({"text": word}, [p for p in ranking if word in searchable_words(documents[p])]),
        ({"text": "zzqqxx"}, []),
    ]
    for given, expected in cases:
        assert expected != ranking or not expected, f"{given} narrows"
        walk = page_through(api, listing, 4, filter=given)
        assert walk.keys() == expected and walk.total_count == len(expected), given
        assert all(edge["score"] == scores[edge["node"]["path"]] for edge in walk.edges), "similarity, not BM25"
        assert page_through(api, listing, 5, backward=True, filter=given).keys() == expected, given
    error = fetch_error(api, listing, filter={"dateFrom": "2015-09-10", "dateTo": "2015-09-01"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_similar_filters_only_the_best_100(generated: tuple[ApiClient, Links, Bm25, list[str]]) -> None:
    """The candidates are the 100 best: a filter narrows them, it does not reach further down the ranking."""
    api, links, bm25, sample = generated
    documents = links.documents
    start = next(path for path in sample if len(similar_scores(links, bm25, path)[0]) > 2 * similar_module.MAX_SIMILAR)
    best = [edge["node"]["path"] for edge in check_similar(api, links, bm25, start, 100)]
    assert len(best) == similar_module.MAX_SIMILAR
    day = sorted(documents[path]["date"] for path in best)[similar_module.MAX_SIMILAR // 2]
    walk = page_through(api, similar_listing(start), 30, filter={"dateFrom": day})
    assert walk.keys() == [path for path in best if documents[path]["date"] >= day]
    assert walk.total_count == len(walk.nodes) < similar_module.MAX_SIMILAR


def test_a_word_or_tag_past_its_cap_nominates_no_candidate(
    generated_store: EventStore, generated: tuple[ApiClient, Links, Bm25, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the caps lowered (the defaults, 1,000, are more than this archive's words and tags reach), a word in more
    events than MAX_TERM_EVENTS is not a term and a tag of more than MAX_TAG_EVENTS events brings no candidate; such
    a tag still counts in the Jaccard of the candidates found otherwise. The brute force applies the same caps."""
    _, links, bm25, sample = generated
    cap = 30
    monkeypatch.setattr(similar_module, "MAX_TERM_EVENTS", cap)
    monkeypatch.setattr(similar_module, "MAX_TAG_EVENTS", cap)
    api = ApiClient(create_app(generated_store, ServerSettings(reload_interval=0)))  # a new archive: nothing cached
    sizes = Counter(tag for tags in links.tags.values() for tag in tags)
    dropped_words = broad_only = broad_counted = 0
    for path in sample:
        document = links.documents[path]
        terms = set(query_terms(bm25, document))
        assert all(bm25.frequency[word] <= cap for word in terms)
        dropped_words += any(bm25.frequency[word] > cap for word in words(document["headline"]))
        paths = {hit["node"]["path"]: hit for hit in check_similar(api, links, bm25, path, 100)}
        broad = {tag for tag in links.tags[path] if sizes[tag] > cap}
        for other in links.documents:
            if other == path or other in links.targets[path] or not broad & links.tags[other]:
                continue
            holds_a_term = bool(terms & set(bm25.counts[other]))
            if not holds_a_term and not (links.tags[path] - broad) & links.tags[other]:
                broad_only += 1  # shares only tags past the cap, and no term: not a candidate
                assert other not in paths
            elif other in paths:
                broad_counted += 1  # found otherwise: the broad tags count in its Jaccard
                shared = {tag["name"].casefold() for tag in paths[other]["sharedTags"]}
                assert broad & links.tags[other] <= shared
    assert dropped_words and broad_only and broad_counted, (dropped_words, broad_only, broad_counted)


def test_similar_takes_first_and_last_from_0_to_100(api: ApiClient, documents: Documents) -> None:
    path = sorted(documents)[0]
    listing = similar_listing(path)
    total = fetch_page(api, listing, first=100)["totalCount"]
    assert len(fetch_page(api, listing)["edges"]) == min(20, total), "the default page of every connection"
    empty = fetch_page(api, listing, first=0)
    assert empty["edges"] == [] and empty["totalCount"] == total and empty["pageInfo"]["hasNextPage"] == (total > 0)
    assert len(fetch_page(api, listing, last=100)["edges"]) == total <= 100
    for name in ("first", "last"):
        for bad in (-1, 101, 10_000):
            error = fetch_error(api, listing, **{name: bad})
            assert error["extensions"]["code"] == "BAD_USER_INPUT" and "between 0 and 100" in error["message"]
    error = fetch_error(api, listing, after="not a cursor")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_the_example_queries_name_real_events(api: ApiClient) -> None:
    """schema/examples/thread.graphql and similar.graphql answer with a thread and with hits (not empty)."""
    examples = Path(__file__).resolve().parent.parent / "schema" / "examples"
    for name, key in (("thread", "thread"), ("similar", "similar")):
        event = api.data(*example(examples / f"{name}.graphql"))["event"]
        assert event[key]["totalCount"] > 1 if key == "thread" else event[key]["edges"], name


# -- the compiled engine answers as graphql-core does ------------------------------------------------------------
@pytest.mark.parametrize(("query", "code"), [
    ("""{ events(first: 3) { edges { node { path thread { totalCount firstDate lastDate truncated
         tags(first: 2) { count tag { name } } events(first: 2, orderBy: DATE_DESC) { totalCount edges { cursor } } }
         similar(first: 4) { totalCount pageInfo { hasNextPage endCursor }
           edges { cursor score sharedTags { name } node { path } } }
         byDate: similar(first: 3, orderBy: DATE_ASC, filter: { dateFrom: "2015-09-05" }) {
           totalCount edges { cursor score node { path date } } } } } } }""", None),
    ("{ events(first: 2) { edges { node { path similar(first: 101) { totalCount } } } } }", "BAD_USER_INPUT"),
    ('{ events(first: 2) { edges { node { similar(before: "bad") { edges { score } } } } } }', "BAD_USER_INPUT"),
    ("{ events(first: 2) { edges { node { thread { tags(first: -1) { count } totalCount } } } } }", "BAD_USER_INPUT"),
    ('{ events(first: 2) { edges { node { thread { events(after: "bad") { totalCount } } } } } }', "BAD_USER_INPUT"),
])
def test_the_compiled_engine_answers_as_graphql_core_does(bundled_store: EventStore, query: str, code: str | None) -> None:
    """The same answer (data, errors and where they null) from compiled plans and from graphql-core's execution."""
    context = {"request": None, "response": None, ARCHIVE: Archive.from_documents(bundled_store.documents())}
    answers = []
    for compiled in (True, False):
        schema = build_schema(QueryLimits(max_cost=None), compiled_plans=compiled)
        result = asyncio.run(schema.execute(query, context_value=context))
        answers.append((result.data, [error.formatted for error in result.errors or []]))
        if compiled and schema.plans is not None:
            assert schema.plans.stats()["compiled"] == 1, "read directly, not through graphql-core"
    assert answers[0] == answers[1]
    data, errors = answers[0]
    if code is None:
        assert not errors and data["events"]["edges"][0]["node"]["thread"]["totalCount"] >= 1
    else:
        assert errors and {error["extensions"]["code"] for error in errors} == {code}
