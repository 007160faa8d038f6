"""The benchmark queries, ours and the peer's equivalents, with variables drawn from the archive.

Four kinds, each asked with many different variables (a seeded draw, so runs compare):

- nested: 20 events from a random place in the newest-first listing, each with its
  sources and related links → the linked event → its tags;
- tag: a tag's page (name, count, 20 newest events); tags drawn in proportion to use,
  so the big tags come up as often as readers would ask for them;
- search: one word of a random headline, 20 best hits and the total;
- page1000: page 1,000 of the newest-first listing (20 per page), by its cursor; in
  an archive of fewer than 20,020 events, its last page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import orjson

from newsgraph.api.paging import encode_cursor
from newsgraph.archive import Archive
from newsgraph.archive.text import tokens

KINDS = ("nested", "tag", "search", "page1000")
PAGE = 20
DEEP_PAGE = 1_000

NESTED = """query Nested($after: String) {
  events(first: 20, after: $after) { edges { node {
    path headline date
    sources { name url }
    related { headline event { path headline tags { name } } }
  } } }
}"""
TAG = """query TagPage($name: String!) {
  tag(name: $name) { name eventCount events(first: 20) { totalCount edges { node { path headline date } } } }
}"""
SEARCH = """query Search($text: String!) {
  search(text: $text, first: 20) { totalCount edges { node { path headline } } }
}"""
LISTING = """query Listing($after: String) {
  events(first: 20, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { path headline date } } }
}"""

PEER_NESTED = """query Nested($after: String) {
  events(first: 20, sort_desc: date, after: $after) { nodes {
    path headline date
    sources_list(sort: position) { nodes { name url } }
    related_by_event_path_list(sort: position) { nodes { headline target_path {
      path headline event_tags_list { nodes { tag_key { name } } } } } }
  } }
}"""
PEER_TAG = """query TagPage($name: String!) {
  tags_row(key: $name) { name event_count }
  event_tags(first: 20, filter: {tag_key: {eq: $name}}, sort_desc: date) {
    totalCount nodes { event_path { path headline date } } }
}"""
PEER_SEARCH = """query Search($text: String!) {
  events(first: 20, search: $text) { totalCount nodes { path headline } }
}"""
PEER_LISTING = """query Listing($after: String) {
  events(first: 20, sort_desc: date, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { path headline date } }
}"""

OURS = {"nested": NESTED, "tag": TAG, "search": SEARCH, "page1000": LISTING}
PEERS = {"nested": PEER_NESTED, "tag": PEER_TAG, "search": PEER_SEARCH, "page1000": PEER_LISTING}

_TILDE_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def tilde_encode(text: str) -> str:
    """Datasette's tilde encoding (its cursors hold `sort value,tilde-encoded primary key`)."""
    return "".join(chr(b) if b in _TILDE_SAFE else "+" if b == 32 else f"~{b:02X}" for b in text.encode("utf-8"))


@dataclass(frozen=True)
class Draw:
    """One query's variables for us and for the peer."""

    ours: dict
    peer: dict


def _after_position(archive: Archive, position: int) -> Draw:
    """Variables for a newest-first page that starts just below archive position `position`."""
    if position >= len(archive.ascending):
        return Draw({"after": None}, {"after": None})
    path, date = archive.ascending[position], archive.dates[position].isoformat()
    return Draw({"after": encode_cursor("date", (date, path))}, {"after": f"{date},{tilde_encode(path)}"})


def draws(archive: Archive, kind: str, count: int, seed: int = 7) -> list[Draw]:
    """`count` variable sets for a query kind, the same for the same archive and seed."""
    rng = random.Random(f"{seed}-{kind}")
    total = len(archive.ascending)
    result: list[Draw] = []
    if kind == "page1000":
        display_index = min(DEEP_PAGE * PAGE - 1, max(0, total - PAGE - 1))  # the edge before the page
        return [_after_position(archive, total - 1 - display_index)] * count
    tagged = [path for path in archive.ascending[:: max(1, total // 50_000)] if archive.event_tags.get(path)]
    for _ in range(count):
        if kind == "nested":
            result.append(_after_position(archive, rng.randrange(min(total, PAGE), total) if total > PAGE else total))
        elif kind == "tag":
            key = rng.choice(archive.event_tags[rng.choice(tagged)])
            result.append(Draw({"name": archive.tags[key].name}, {"name": key}))
        elif kind == "search":
            while True:
                words = [w for w in tokens(archive.events[rng.choice(archive.ascending)].headline)
                         if len(w) >= 5 and w.isascii() and w.isalpha()]
                if words:
                    break
            word = rng.choice(words)
            result.append(Draw({"text": word}, {"text": word}))
        else:
            raise ValueError(f"unknown query kind {kind!r}")
    return result


def bodies(archive: Archive, kind: str, count: int, peer: bool = False) -> list[bytes]:
    """Encoded POST bodies for a query kind."""
    query = (PEERS if peer else OURS)[kind]
    return [orjson.dumps({"query": query, "variables": draw.peer if peer else draw.ours})
            for draw in draws(archive, kind, count)]
