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
from itertools import chain
from urllib.parse import urlsplit

from newsgraph.archive.doctor import Health, archive_health, is_placed
from newsgraph.archive.links import resolve_misses
from newsgraph.archive.search import SearchDocument, SearchIndex
from newsgraph.collector import collector_paused
from newsgraph.parse import Event
from newsgraph.store import Document, document_to_event

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


class _DomainCache:
    """`publisher_domain` per URL, computed once per scheme+host: sources of one outlet share it.

    The key is the URL cut before the first `/` after `scheme://`: its host is the URL's
    host (the netloc ends at the first `/`, `?` or `#` either way), so the answer is the same.
    """

    def __init__(self) -> None:
        self._domains: dict[str, str | None] = {}

    def __call__(self, url: str) -> str | None:
        if url.startswith("https://"):
            cut = url.find("/", 8)
        elif url.startswith("http://"):
            cut = url.find("/", 7)
        else:
            cut = -1
        key = url if cut < 0 else url[:cut]
        try:
            return self._domains[key]
        except KeyError:
            domain = self._domains[key] = publisher_domain(key)
            return domain


def tag_key(name: str) -> str:
    """Tags compare case-insensitively."""
    return name.casefold()


class Positions(tuple):
    """Archive positions, ascending and distinct: a listing `select` can slice without sorting."""

    __slots__ = ()


_NO_POSITIONS = Positions()


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
        with collector_paused():
            self._build(events)

    @classmethod
    def from_documents(cls, documents: Iterable[Document]) -> Archive:
        documents = documents if isinstance(documents, list) else list(documents)
        with collector_paused():
            archive = cls([document_to_event(document) for document in documents])
        archive.misplaced_files = {  # the doctor's path-mismatch: files not at their canonical path, as loaded
            document["path"]: file for document in documents
            if (file := document.get("file")) and not is_placed(file, document["path"])
        }
        return archive

    # -- building -----------------------------------------------------------------------
    misplaced_files: dict[str, str] = {}  # canonical path → where its file was, when not there (from_documents)

    def _build(self, events: Iterable[Event]) -> None:
        ordered = sorted(events, key=lambda event: (event.date, event.path))
        self.events: dict[str, Event] = {event.path: event for event in ordered}
        self.ascending: list[str] = [event.path for event in ordered]  # archive order: (date, path)
        self.rank: dict[str, int] = {path: number for number, path in enumerate(self.ascending)}
        self.dates: list[dt.date] = [event.date for event in ordered]
        self.day_paths: dict[dt.date, list[str]] = defaultdict(list)
        for event in ordered:
            self.day_paths[event.date].append(event.path)
        self.month_days: dict[tuple[int, int], Positions] = self._month_days()  # onThisDay: (month, day) → positions
        by_path = self.events
        misses = resolve_misses(  # exact paths are dict hits; only the rest take the same-day rule
            (item.path for event in ordered for item in event.related if item.path not in by_path), self.day_paths
        )
        self.resolved: dict[str, tuple[str | None, ...]] = {
            event.path: tuple([link if (link := item.path) in by_path else misses[link] for item in event.related])
            for event in ordered
        }
        self.related_by: dict[str, list[str]] = self._inbound()
        current = [self.events[path] for path in self.ascending]  # the last of a repeated path wins
        self.tags: dict[str, Tag] = self._tags(current)
        self.event_tags: dict[str, tuple[str, ...]] = self._event_tags()
        self.publishers: dict[str, Publisher] = self._publishers(current)
        self._positions: dict[tuple[str, object], Positions] = {}  # listing scope → its positions, made once
        for key, tag in self.tags.items():  # tag pages are the commonest listing: made now, not by the first reader
            self._scope_positions("tag", key, tag.event_paths)

    def _month_days(self) -> dict[tuple[int, int], Positions]:
        """Archive positions of each (month, day) over every year, ascending: one step per distinct date.

        `day_paths` holds the dates ascending, each date one run of archive order as long as its list,
        so the runs are cut by a running count, without a step per event in Python. The numbers are
        `rank`'s own int objects when paths are distinct (as from a store), so the index adds no ints.
        """
        count = len(self.ascending)
        numbers: Sequence[int] = list(self.rank.values()) if len(self.rank) == count else range(count)
        runs: dict[tuple[int, int], list[Sequence[int]]] = defaultdict(list)
        start = 0
        for date, paths in self.day_paths.items():
            stop = start + len(paths)
            runs[date.month, date.day].append(numbers[start:stop])
            start = stop
        return {key: Positions(chain.from_iterable(parts)) for key, parts in runs.items()}

    def _inbound(self) -> dict[str, list[str]]:
        inbound: dict[str, list[str]] = defaultdict(list)
        for source_path in self.ascending:
            for target in dict.fromkeys(self.resolved[source_path]):
                if target is not None and target != source_path:
                    inbound[target].append(source_path)
        return dict(inbound)

    def _tags(self, ordered: Sequence[Event]) -> dict[str, Tag]:
        occurrences: Counter[str] = Counter()  # every spelling of every context, each time it is written
        keys: dict[str, str] = {}  # spelling → key
        members: dict[str, list[str]] = defaultdict(list)
        for event in ordered:
            if not event.related:
                continue
            names = [name for item in event.related for name in item.context]
            if not names:
                continue
            occurrences.update(names)
            seen: dict[str, None] = {}
            for name in names:
                key = keys.get(name)
                if key is None:
                    key = keys[name] = tag_key(name)
                seen[key] = None
            path = event.path
            for key in seen:
                members[key].append(path)
        spellings: dict[str, Counter[str]] = defaultdict(Counter)
        for name, count in occurrences.items():
            spellings[keys[name]][name] = count
        return {
            key: Tag(key, _most_common(spellings[key]), tuple(paths))
            for key, paths in sorted(members.items())
        }

    def _event_tags(self) -> dict[str, tuple[str, ...]]:
        tags: dict[str, list[str]] = defaultdict(list)
        for key, tag in self.tags.items():  # in key order, so each event's list comes out sorted
            for path in tag.event_paths:
                tags[path].append(key)
        return {path: tuple(keys) for path, keys in tags.items()}

    def _publishers(self, ordered: Sequence[Event]) -> dict[str, Publisher]:
        names: dict[str, Counter[str]] = defaultdict(Counter)
        members: dict[str, dict[str, None]] = defaultdict(dict)
        domain_of = _DomainCache()
        for event in ordered:
            path = event.path
            for source in event.sources:
                domain = domain_of(source.url)
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

    @cached_property
    def unresolved_links(self) -> int:
        """Related links whose target is not in the archive: counted once per archive (`stats` asks on every request)."""
        return sum(target is None for targets in self.resolved.values() for target in targets)

    def publisher_of(self, url: str) -> Publisher | None:
        domain = publisher_domain(url)
        return self.publishers.get(domain) if domain else None

    @cached_property
    def search_index(self) -> SearchIndex:
        """Built on first search, so a server that is never searched never pays for it.

        Kept as long as the archive, so frozen out of later collections' sight (newsgraph.collector).
        """
        with collector_paused(freeze=True):
            return SearchIndex(
                SearchDocument(
                    event.path,
                    event.headline,
                    event.summary + "\n" + "\n".join(source.name for source in event.sources),
                )
                for event in (self.events[path] for path in self.ascending)
            )

    @cached_property
    def health(self) -> Health:
        """The doctor's findings on this archive (newsgraph.archive.doctor): made on first use, then kept."""
        with collector_paused(freeze=True):
            return archive_health(self)

    # -- listing scopes as ascending positions (a tag's with the archive; others on first use, then kept) --
    def tag_positions(self, name: str) -> Positions:
        """Archive positions of a tag's events (any spelling of the tag), ascending."""
        return self.tag_key_positions(tag_key(name))

    def tag_key_positions(self, key: str) -> Positions:
        """Archive positions of the events of the tag with this key (`Tag.key`), ascending."""
        tag = self.tags.get(key)
        return self._scope_positions("tag", key, tag.event_paths) if tag else _NO_POSITIONS

    def publisher_positions(self, domain: str) -> Positions:
        """Archive positions of the events citing the publisher of this domain, ascending."""
        publisher = self.publishers.get(domain)
        return self._scope_positions("publisher", domain, publisher.event_paths) if publisher else _NO_POSITIONS

    def related_by_positions(self, path: str) -> Positions:
        """Archive positions of the events linking to `path`, ascending."""
        sources = self.related_by.get(path)
        return self._scope_positions("related_by", path, sources) if sources else _NO_POSITIONS

    def month_day_positions(self, month: int, day: int) -> Positions:
        """Archive positions of the events dated on this month and day of any year, ascending."""
        return self.month_days.get((month, day), _NO_POSITIONS)

    def day_positions(self, date: dt.date) -> range:
        """Archive positions of the day's events: a day is one run of archive order."""
        return self.date_range(date, date)

    def _scope_positions(self, kind: str, key: object, paths: Sequence[str]) -> Positions:
        found = self._positions.get((kind, key))
        if found is None:
            rank = self.rank
            found = self._positions[(kind, key)] = Positions(sorted({rank[path] for path in paths}))
        return found

    def paths_at(self, positions: Sequence[int]) -> list[str]:
        return [self.ascending[position] for position in positions]


def _most_common(counter: Counter[str]) -> str:
    """The most frequent spelling; ties go to the alphabetically first, so the choice is stable."""
    return min(counter.items(), key=lambda item: (-item[1], item[0]))[0]
