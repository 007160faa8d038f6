"""Helpers for the API tests: page through any connection over HTTP, and brute-force answers.

The brute-force side works on the stored documents (`EventStore.documents()`) and is
written here independently of `newsgraph.archive`, so the two can disagree when one is wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.drivers import ApiClient

PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
VARIABLE_TYPES = {"first": "Int", "after": "String", "last": "Int", "before": "String", "filter": "EventFilter"}


# -- connections over HTTP ---------------------------------------------------------------
@dataclass(frozen=True)
class Listing:
    """A connection field somewhere in the schema, and how to reach it from the root."""

    label: str
    field: str  # the connection field: "events", "search", "relatedBy", "tags", ...
    parents: tuple[str, ...] = ()  # enclosing field calls, outermost first: ('tag(name: "Syria")',)
    fixed: str = ""  # arguments the connection always gets: 'text: "syria"'
    node: str = "path date"  # the node fields to ask for
    order_type: str | None = "EventOrder"  # None: the field has no `orderBy`
    edge_extra: str = ""  # more edge fields, e.g. "score snippetHtml" for search hits

    def query(self, arguments: dict[str, Any]) -> str:
        types = {**VARIABLE_TYPES, "orderBy": self.order_type}
        declared = ", ".join(f"${name}: {types[name]}" for name in arguments)
        passed = ", ".join([self.fixed] * bool(self.fixed) + [f"{name}: ${name}" for name in arguments])
        call = f"{self.field}({passed})" if passed else self.field
        body = f"{call} {{ totalCount {PAGE_INFO} edges {{ cursor {self.edge_extra} node {{ {self.node} }} }} }}"
        for parent in reversed(self.parents):
            body = f"{parent} {{ {body} }}"
        return f"query Page{f'({declared})' if declared else ''} {{ {body} }}"

    def connection(self, data: dict[str, Any]) -> dict[str, Any]:
        for call in (*self.parents, self.field):
            data = data[call.split("(", 1)[0].strip()]
            assert data is not None, f"{self.label}: {call} is null"
        return data


def _arguments(given: dict[str, Any]) -> dict[str, Any]:
    """Only the arguments given: an omitted one takes the schema default."""
    return {name: value for name, value in given.items() if value is not None}


def fetch_page(api: ApiClient, listing: Listing, **arguments: Any) -> dict[str, Any]:
    """One page of a listing (a connection dict); the request must succeed."""
    arguments = _arguments(arguments)
    return listing.connection(api.data(listing.query(arguments), arguments))


def fetch_error(api: ApiClient, listing: Listing, **arguments: Any) -> dict[str, Any]:
    """The single error a page request must fail with."""
    arguments = _arguments(arguments)
    return api.error(listing.query(arguments), arguments)


@dataclass
class Walk:
    """What paging through a whole listing gave: the nodes in display order, and the pages."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    total_count: int = 0
    pages: int = 0

    def keys(self, name: str = "path") -> list[Any]:
        return [node[name] for node in self.nodes]


def page_through(
    api: ApiClient,
    listing: Listing,
    size: int | None,
    backward: bool = False,
    start: str | None = None,
    **arguments: Any,
) -> Walk:
    """Every page of a listing, forward (`first`/`after`) or backward (`last`/`before`), checking
    each page's invariants on the way; `start` continues from a cursor. Nodes come back in display order."""
    walk = Walk()
    cursor = start
    sizing, moving = ("last", "before") if backward else ("first", "after")
    while True:
        page = fetch_page(api, listing, **arguments, **{sizing: size, moving: cursor})
        edges, info = page["edges"], page["pageInfo"]
        walk.pages += 1
        if walk.pages == 1:
            walk.total_count = page["totalCount"]
        assert page["totalCount"] == walk.total_count, f"{listing.label}: totalCount changed between pages"
        assert len(edges) <= (size if size is not None else 20), f"{listing.label}: page larger than asked"
        assert info["startCursor"] == (edges[0]["cursor"] if edges else None)
        assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if backward:
            walk.edges[:0] = edges
        else:
            walk.edges.extend(edges)
        if not more:
            break
        assert edges, f"{listing.label}: an empty page says more follow"
        cursor = info["startCursor"] if backward else info["endCursor"]
        assert walk.pages <= walk.total_count + 1, f"{listing.label}: paging does not end"
    walk.nodes = [edge["node"] for edge in walk.edges]
    return walk


# -- brute force over stored documents ----------------------------------------------------
def fold(text: str) -> str:
    """Case- and accent-free: `Pérez` → `perez`."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def folded_words(text: str) -> set[str]:
    return set(re.findall(r"[^\W_]+", fold(text)))


def searchable_words(document: dict[str, Any]) -> set[str]:
    """The words full-text search looks at: headline, summary and source names."""
    names = " ".join(source["name"] for source in document["sources"])
    return folded_words(f"{document['headline']} {document['summary']} {names}")


def document_tags(document: dict[str, Any]) -> set[str]:
    """Tags (case-folded): the union of the contexts of the event's related links."""
    return {name.casefold() for item in document["related"] for name in item["context"]}


def domain_of(url: str) -> str | None:
    """The publisher key of a URL: its host, lower-case, without a `www.`-like first label."""
    host = (urlsplit(url).hostname or "").lower()
    first, _, rest = host.partition(".")
    if first in {"www", "mobile", "m", "amp"} and "." in rest:
        host = rest
    return host or None


def document_domains(document: dict[str, Any]) -> set[str]:
    return {domain for domain in (domain_of(source["url"]) for source in document["sources"]) if domain}


def newest_first(documents: Iterable[dict[str, Any]]) -> list[str]:
    """Paths in DATE_DESC order: date, then path, both descending."""
    return [d["path"] for d in sorted(documents, key=lambda d: (d["date"], d["path"]), reverse=True)]


def oldest_first(documents: Iterable[dict[str, Any]]) -> list[str]:
    return newest_first(documents)[::-1]


def most_common(counter: Counter[str]) -> str:
    """The most frequent value; a tie goes to the alphabetically first."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[0][0]


def tag_spellings(documents: Iterable[dict[str, Any]]) -> dict[str, Counter[str]]:
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for document in documents:
        for item in document["related"]:
            for name in item["context"]:
                spellings[name.casefold()][name] += 1
    return spellings


def publisher_names(documents: Iterable[dict[str, Any]]) -> dict[str, Counter[str]]:
    """Domain → how often each source name was given for it."""
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for document in documents:
        for source in document["sources"]:
            domain = domain_of(source["url"])
            if domain:
                names[domain][source["name"]] += 1
    return names


def _slug_words(path: str) -> list[str]:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return [word for word in (name[:-3] if name.endswith(".md") else name).split("-") if word]


def _date_in(path: str) -> dt.date | None:
    parts = path.strip("/").split("/")
    try:
        return dt.date(int(parts[1]), int(parts[2]), int(parts[3])) if len(parts) == 5 and parts[0] == "news" else None
    except ValueError:
        return None


def resolve(link: str, documents: dict[str, dict[str, Any]]) -> str | None:
    """docs/format.md's rule: the exact path, else the same day's event sharing the most slug words
    (at least 80% of the link's; a cut last word counts when it starts a word there); a tie: None."""
    if link in documents:
        return link
    day, words = _date_in(link), _slug_words(link)
    if day is None or not words:
        return None
    scored: list[tuple[int, str]] = []
    for path, document in documents.items():
        if document["date"] != day.isoformat():
            continue
        candidate = _slug_words(path)
        shared = sum(word in candidate for word in words[:-1])
        shared += any(other == words[-1] or other.startswith(words[-1]) for other in candidate)
        scored.append((shared, path))
    scored.sort(reverse=True)
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1] if scored[0][0] >= 0.8 * len(words) else None


def inbound(documents: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """Path → the other events whose related links resolve to it."""
    linked: dict[str, set[str]] = defaultdict(set)
    for path, document in documents.items():
        for item in document["related"]:
            target = resolve(item["path"], documents)
            if target is not None and target != path:
                linked[target].add(path)
    return linked


# -- crafted events ------------------------------------------------------------------------
def event_markdown(
    day: dt.date,
    headline: str,
    summary: str = "",
    sources: Iterable[tuple[str, str]] = (),
    related: Iterable[tuple[str, str, Iterable[str]]] = (),
) -> str:
    """One event file in the archive's format: related items are (headline, path, context tags)."""
    lines = [f"### [{day.year}-{day.month:02d}-{day.day}](/news/{day.year}/{day.month:02d}/{day.day}/index.md)", "",
             f"# {headline} ", ""]
    if summary:
        lines += [summary, ""]
    sources = list(sources)
    if sources:
        lines += ["### Source:", ""] + [f"{n}. [{name}]({url})" for n, (name, url) in enumerate(sources, 1)] + [""]
    related = list(related)
    if related:
        lines += ["### Related:", ""]
        for n, (title, path, tags) in enumerate(related, 1):
            lines.append(f"{n}. [{title} ]({path}) _Context: {', '.join(tags)}_")
    return "\n".join(lines) + "\n"


def event_listings(documents: dict[str, dict[str, Any]], search_word: str = "the") -> dict[str, tuple[Listing, list[dict[str, Any]]]]:
    """Every kind of event listing, each on its busiest instance, with the documents it holds (brute force):
    `events`, `tag.events`, `day.events`, `publisher.events`, `relatedBy` and `search`."""
    docs = list(documents.values())
    tag = Counter(t for d in docs for t in document_tags(d)).most_common(1)[0][0]
    day = Counter(d["date"] for d in docs).most_common(1)[0][0]
    domain = Counter(x for d in docs for x in document_domains(d)).most_common(1)[0][0]
    linked = inbound(documents)
    target = max(linked, key=lambda path: (len(linked[path]), path))
    return {
        "events": (Listing("events", "events"), docs),
        # the tag asked for in upper case: names compare case-insensitively
        "tag.events": (Listing("tag.events", "events", (f"tag(name: {json.dumps(tag.upper())})",)),
                       [d for d in docs if tag in document_tags(d)]),
        "day.events": (Listing("day.events", "events", (f'day(date: "{day}")',)), [d for d in docs if d["date"] == day]),
        "publisher.events": (Listing("publisher.events", "events", (f"publisher(name: {json.dumps(domain)})",)),
                             [d for d in docs if domain in document_domains(d)]),
        "relatedBy": (Listing("relatedBy", "relatedBy", (f"event(path: {json.dumps(target)})",)),
                      [documents[path] for path in linked[target]]),
        "search": (Listing("search", "search", fixed=f"text: {json.dumps(search_word)}", edge_extra="score snippetHtml"),
                   [d for d in docs if fold(search_word) in searchable_words(d)]),
    }


# -- one query of (nearly) every field: tests/test_plans.py and tests/test_internals.py ---------
EVENT_FIELDS = """
  id path date headline summary summaryMarkdown summaryHtml coverImage
  sources { name url domain publisher { id name domain eventCount } }
  related { path headline date context { id name slug eventCount } event { id path headline tags { name } } }
  tags { id name slug eventCount }
  relatedBy(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { path } } }
"""
EVERYTHING = f"""{{
  events(first: 30) {{ totalCount pageInfo {{ endCursor }} edges {{ cursor node {{ {EVENT_FIELDS} }} }} }}
  tags(first: 5) {{ edges {{ node {{ id name slug eventCount relatedTags(first: 3) {{ count tag {{ name }} }} }} }} }}
  publishers(first: 5) {{ edges {{ node {{ id name domain eventCount }} }} }}
  days(from: "2015-01-01") {{ id date eventCount }}
  search(text: "the", first: 3) {{ totalCount edges {{ cursor score snippetHtml node {{ path }} }} }}
  stats {{ events tags publishers dateFrom dateTo unresolvedRelatedLinks }}
  oldest: events(first: 3, orderBy: DATE_ASC, filter: {{ dateFrom: "2015-01-01", text: "the" }}) {{ edges {{ node {{ path }} }} }}
  byName: tags(prefix: "s", orderBy: NAME, last: 3) {{ edges {{ cursor node {{ name timeline(granularity: YEAR) {{ period count }} }} }} }}
  newest: search(text: "the", orderBy: DATE_DESC, first: 2) {{ edges {{ node {{ path }} }} }}
}}"""
