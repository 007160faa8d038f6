"""Resolving related links to events (pure): docs/format.md's exact-path, then same-day rule.

Real archives link with slugs from older spellings of a headline, so a link that
matches no path falls back to the same day's event whose slug shares the most
words with it, when at least 80% of the link's slug words are found there.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from newsgraph.parse import date_from_path, slug_from_path

MIN_SHARED_WORDS = 0.8
INDEX_FROM_EVENTS = 40  # a day with this many events is indexed by slug word before links are scored


def slug_words(path: str) -> list[str]:
    return [word for word in slug_from_path(path).split("-") if word]


def resolve_misses(links: Iterable[str], day_paths: Mapping[dt.date, Sequence[str]]) -> dict[str, str | None]:
    """The archive path each link means (None: no match, or a tie), for links that are not archive paths.

    The links are grouped by the day in their path, so a day's word index is made once
    for all the links into that day and dropped before the next day's.
    """
    found: dict[str, str | None] = {}
    by_day: dict[dt.date, list[tuple[str, list[str]]]] = defaultdict(list)
    for path in dict.fromkeys(links):
        day = date_from_path(path)
        link_words = slug_words(path)
        if day is None or not link_words:
            found[path] = None
        else:
            by_day[day].append((path, link_words))
    for day, pending in by_day.items():
        candidates = _DayWords(day_paths.get(day, ()))
        for path, link_words in pending:
            found[path] = candidates.best(link_words)
    return found


class _DayWords:
    """One day's events and the words of their slugs, for scoring links into that day.

    A small day is scanned event by event; a large one (a day of a million-event archive
    holds a hundred events) is indexed by word first, so a link is scored only against
    the events sharing a word with it.
    """

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)
        self.words = [frozenset(slug_words(path)) for path in self.paths]
        self._holders: dict[str, list[int]] | None = None
        self._vocabulary: list[str] = []

    def best(self, link_words: list[str]) -> str | None:
        """The same-day rule: most link words found in a slug, a cut last word counting when it starts
        a word there; a tie or under 80% of the link's words is no match."""
        counts = self._scanned(link_words) if len(self.paths) < INDEX_FROM_EVENTS else self._indexed(link_words)
        best_count = max(counts.values(), default=0)
        if best_count == 0 or best_count < MIN_SHARED_WORDS * len(link_words):
            return None
        winners = [number for number, count in counts.items() if count == best_count]
        return self.paths[winners[0]] if len(winners) == 1 else None  # a tie is no match

    def _scanned(self, link_words: list[str]) -> dict[int, int]:
        head, last = link_words[:-1], link_words[-1]
        return {
            number: sum(word in present for word in head)
            + (last in present or any(word.startswith(last) for word in present))  # `any`: order is moot
            for number, present in enumerate(self.words)
        }

    def _indexed(self, link_words: list[str]) -> Counter[int]:
        if self._holders is None:
            holders: dict[str, list[int]] = defaultdict(list)
            for number, present in enumerate(self.words):
                for word in present:
                    holders[word].append(number)
            self._holders, self._vocabulary = dict(holders), sorted(holders)
        head, last = link_words[:-1], link_words[-1]
        counts: Counter[int] = Counter()
        for word in head:
            counts.update(self._holders.get(word, ()))
        starting: set[int] = set()  # events with a word starting with the last link word (itself included)
        for word in self._vocabulary[bisect_left(self._vocabulary, last):]:
            if not word.startswith(last):
                break
            starting.update(self._holders[word])
        counts.update(starting)
        return counts
