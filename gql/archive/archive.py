"""The read model: every index a query needs, built in one pass from the stored documents.

Immutable once built. Resolvers only read it; a reload builds a new one and swaps
it in, so a request in flight keeps the archive it started with.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

from gql.archive.links import resolve_link
from gql.archive.search import SearchDocument, SearchIndex
from gql.parse.model import Event
from gql.store.documents import Document, document_to_event

_HOST_PREFIXES = ("www.", "mobile.", "m.", "amp.")


def publisher_domain(url: str) -> str | None:
    """The outlet's domain of a source URL: host lower-cased, without `www.`/`mobile.`-like prefixes."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:  # not a URL at all, e.g. an unbalanced `[` taken for an IPv6 host
        return None
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix):]
    return host or None


def tag_key(name: str) -> str:
    """Tags compare case-insensitively."""
    return name.casefold()


@dataclass(frozen=True)
class Publisher:
    domain: str
    name: str  # the source name seen most often for this domain
    event_paths: tuple[str, ...]  # ascending archive order


@dataclass(frozen=True)
class Tag:
    key: str
    name: str  # the spelling seen most often
    event_paths: tuple[str, ...]  # ascending archive order


class Archive:
    """Events by path and by date, tags, publishers, inbound links and the search index."""

    def __init__(self, events: Iterable[Event]) -> None:
        ordered = sorted(events, key=lambda event: (event.date, event.path))
        self.events: dict[str, Event] = {event.path: event for event in ordered}
        self.ascending: list[str] = [event.path for event in ordered]  # archive order: (date, path)
        self.rank: dict[str, int] = {path: number for number, path in enumerate(self.ascending)}
        self.dates: list[dt.date] = [event.date for event in ordered]
        self.day_paths: dict[dt.date, list[str]] = defaultdict(list)
        for event in ordered:
            self.day_paths[event.date].append(event.path)
        self.resolved: dict[str, tuple[str | None, ...]] = {
            event.path: tuple(resolve_link(item.path, self.events, self.day_paths) for item in event.related)
            for event in ordered
        }
        self.related_by: dict[str, list[str]] = self._inbound()
        self.tags: dict[str, Tag] = self._tags()
        self.event_tags: dict[str, tuple[str, ...]] = self._event_tags()
        self.publishers: dict[str, Publisher] = self._publishers()

    @classmethod
    def from_documents(cls, documents: Iterable[Document]) -> Archive:
        return cls(document_to_event(document) for document in documents)

    # -- building -----------------------------------------------------------------------
    def _inbound(self) -> dict[str, list[str]]:
        inbound: dict[str, list[str]] = defaultdict(list)
        for source_path in self.ascending:
            for target in dict.fromkeys(self.resolved[source_path]):
                if target is not None and target != source_path:
                    inbound[target].append(source_path)
        return dict(inbound)

    def _tags(self) -> dict[str, Tag]:
        spellings: dict[str, Counter[str]] = defaultdict(Counter)
        members: dict[str, list[str]] = defaultdict(list)
        for path in self.ascending:
            seen: set[str] = set()
            for item in self.events[path].related:
                for name in item.context:
                    key = tag_key(name)
                    spellings[key][name] += 1
                    if key not in seen:
                        seen.add(key)
                        members[key].append(path)
        return {
            key: Tag(key, _most_common(spellings[key]), tuple(paths))
            for key, paths in sorted(members.items())
        }

    def _event_tags(self) -> dict[str, tuple[str, ...]]:
        tags: dict[str, list[str]] = defaultdict(list)
        for tag in self.tags.values():
            for path in tag.event_paths:
                tags[path].append(tag.key)
        return {path: tuple(sorted(keys)) for path, keys in tags.items()}

    def _publishers(self) -> dict[str, Publisher]:
        names: dict[str, Counter[str]] = defaultdict(Counter)
        members: dict[str, dict[str, None]] = defaultdict(dict)
        for path in self.ascending:
            for source in self.events[path].sources:
                domain = publisher_domain(source.url)
                if domain:
                    names[domain][source.name] += 1
                    members[domain][path] = None
        return {
            domain: Publisher(domain, _most_common(names[domain]), tuple(paths))
            for domain, paths in sorted(members.items())
        }

    # -- reading ------------------------------------------------------------------------
    def event(self, path: str) -> Event | None:
        return self.events.get(path)

    def tag(self, name: str) -> Tag | None:
        return self.tags.get(tag_key(name))

    def publishers_matching(self, name_or_domain: str) -> list[Publisher]:
        """By domain (`bbc.co.uk`): that one; else every publisher of that name (`BBC`: bbc.com and bbc.co.uk)."""
        wanted = name_or_domain.strip().lower()
        found = self.publishers.get(publisher_domain("http://" + wanted) or wanted)
        if found is not None:
            return [found]
        return [p for p in self.publishers.values() if p.name.casefold() == wanted.casefold()]

    def publisher(self, name_or_domain: str) -> Publisher | None:
        """By domain, or by name when no domain matches: the most cited of that name."""
        return min(self.publishers_matching(name_or_domain), key=lambda p: (-len(p.event_paths), p.domain), default=None)

    def date_range(self, date_from: dt.date | None, date_to: dt.date | None) -> range:
        """Archive-order positions of the events dated within [from, to]."""
        low = bisect_left(self.dates, date_from) if date_from else 0
        high = bisect_right(self.dates, date_to) if date_to else len(self.dates)
        return range(low, max(low, high))

    def unresolved_links(self) -> int:
        return sum(target is None for targets in self.resolved.values() for target in targets)

    def publisher_of(self, url: str) -> Publisher | None:
        domain = publisher_domain(url)
        return self.publishers.get(domain) if domain else None

    @cached_property
    def search_index(self) -> SearchIndex:
        """Built on first search, so a server that is never searched never pays for it."""
        return SearchIndex(
            SearchDocument(
                event.path,
                event.headline,
                event.summary + "\n" + "\n".join(source.name for source in event.sources),
            )
            for event in (self.events[path] for path in self.ascending)
        )

    def paths_at(self, positions: Sequence[int]) -> list[str]:
        return [self.ascending[position] for position in positions]


def _most_common(counter: Counter[str]) -> str:
    """The most frequent spelling; ties go to the alphabetically first, so the choice is stable."""
    return min(counter.items(), key=lambda item: (-item[1], item[0]))[0]
