"""Story threads (pure): the events one event's story runs through, following related links both ways.

A thread starts at one event and walks related links breadth-first, in either direction
(an event's own links, and the links of the events that point at it), keeping only the
links whose context (the tags written on the link) shares at least one tag with the
STARTING event's own tags: the walk stays on the start's subjects, however far it goes.
So an event without tags (no related link has a context) has a thread of itself alone.

The walk stops at MAX_THREAD_EVENTS events, the start included. When a hop reaches more
events than there is room for, the nearest in time to the start are kept (then by date,
then by path), and the thread says it was cut. The work is bounded by the thread, not by
the archive: each event taken costs its own links and those of the events pointing at it,
read from the archive's link indexes (`resolved`, `related_by`). Threads are kept per
archive (an LRU of THREAD_CACHE_ENTRIES), so the pages of one thread cost one walk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from newsgraph.archive.archive import Archive, Positions, tag_key
from newsgraph.archive.memo import PerArchive

MAX_THREAD_EVENTS = 200  # events of one thread at most, the start included
THREAD_CACHE_ENTRIES = 1_024  # threads kept per archive (each at most MAX_THREAD_EVENTS paths)


@dataclass(frozen=True)
class StoryThread:
    """One event's story: its events in archive order (date, then path), and their tags by frequency."""

    start: str  # the path the walk started from
    positions: Positions  # archive positions of the thread's events, ascending (so by date, then path)
    tag_counts: tuple[tuple[str, int], ...]  # (tag key, events of the thread carrying it): most first, ties by key
    truncated: bool  # more events were reachable than MAX_THREAD_EVENTS

    def __len__(self) -> int:
        return len(self.positions)


def thread_of(archive: Archive, path: str) -> StoryThread | None:
    """The thread of the event at `path` (None when the archive has no such event); computed once per archive."""
    if path not in archive.events:
        return None
    return _threads.get(archive, path, lambda: _walk(archive, path))


def thread_paths(archive: Archive, path: str, limit: int | None = None) -> tuple[list[str], bool]:
    """(the thread's paths in the order the walk takes them, whether it was cut): the walk alone, uncached.

    `limit`: the most events kept, the start included (default MAX_THREAD_EVENTS, read when called).
    """
    limit = max(1, MAX_THREAD_EVENTS if limit is None else limit)
    start_tags = frozenset(archive.event_tags.get(path, ()))
    taken = [path]
    if not start_tags:
        return taken, False
    start_day = archive.events[path].date
    dates = archive.dates
    rank = archive.rank
    seen = {path}
    level = [path]
    while level:
        reached: dict[str, None] = {}
        for current in level:
            for other in _linked(archive, current, start_tags):
                if other not in seen:
                    reached[other] = None
        if not reached:
            return taken, False

        def nearness(other: str) -> tuple[int, int]:
            number = rank[other]
            return abs((dates[number] - start_day).days), number

        level = sorted(reached, key=nearness)
        room = limit - len(taken)
        if len(level) > room:
            taken.extend(level[:room])
            return taken, True
        taken.extend(level)
        seen.update(level)
    return taken, False


def _linked(archive: Archive, path: str, start_tags: frozenset[str]) -> Iterator[str]:
    """The events one hop from `path` by a link whose context shares a tag with `start_tags`, either way."""
    event = archive.events[path]
    for item, target in zip(event.related, archive.resolved[path], strict=True):
        if target is not None and target != path and _on_subject(item.context, start_tags):
            yield target
    resolved, events = archive.resolved, archive.events
    for source in archive.related_by.get(path, ()):
        for item, target in zip(events[source].related, resolved[source], strict=True):
            if target == path and _on_subject(item.context, start_tags):
                yield source
                break


def _on_subject(context: tuple[str, ...], start_tags: frozenset[str]) -> bool:
    return any(tag_key(name) in start_tags for name in context)


def _walk(archive: Archive, path: str) -> StoryThread:
    paths, truncated = thread_paths(archive, path)
    rank = archive.rank
    positions = Positions(sorted(rank[member] for member in paths))
    counts: Counter[str] = Counter()
    event_tags = archive.event_tags
    for member in paths:
        counts.update(event_tags.get(member, ()))
    ranked = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return StoryThread(path, positions, ranked, truncated)


_threads: PerArchive[str, StoryThread] = PerArchive(THREAD_CACHE_ENTRIES)
