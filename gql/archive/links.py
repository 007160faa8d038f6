"""Resolving related links to events (pure): FORMAT.md's exact-path, then same-day rule.

Real archives link with slugs from older spellings of a headline, so a link that
matches no path falls back to the same day's event whose slug shares the most
words with it, when at least 80% of the link's slug words are found there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from gql.parse.slug import date_from_path, slug_from_path

MIN_SHARED_WORDS = 0.8


def slug_words(path: str) -> list[str]:
    return [word for word in slug_from_path(path).split("-") if word]


def shared_words(link_words: Sequence[str], candidate_words: Sequence[str]) -> int:
    """How many link words the candidate has; a cut last word counts when it starts a word there."""
    present = set(candidate_words)
    count = sum(word in present for word in link_words[:-1])
    if link_words:
        last = link_words[-1]
        count += last in present or any(word.startswith(last) for word in candidate_words)
    return count


def resolve_link(path: str, paths: Mapping[str, object], day_paths: Mapping[dt.date, Sequence[str]]) -> str | None:
    """The archive path a related link means, or None (no match, or a tie)."""
    if path in paths:
        return path
    day = date_from_path(path)
    link_words = slug_words(path)
    if day is None or not link_words:
        return None
    best_path, best_count, tied = None, 0, False
    for candidate in day_paths.get(day, ()):
        count = shared_words(link_words, slug_words(candidate))
        if count > best_count:
            best_path, best_count, tied = candidate, count, False
        elif count == best_count and count:
            tied = True
    if best_path is None or tied or best_count < MIN_SHARED_WORDS * len(link_words):
        return None
    return best_path


class LinkResolver:
    """`resolve_link` over one archive, with each day's candidate slug words split once.

    Exact paths are a dict hit; only misses take the same-day rule, and a link path
    is resolved once however many events carry it. Same answers as `resolve_link`.
    """

    def __init__(self, paths: Mapping[str, object], day_paths: Mapping[dt.date, Sequence[str]]) -> None:
        self._paths = paths
        self._day_paths = day_paths
        self._day_words: dict[dt.date, list[tuple[str, frozenset[str], list[str]]]] = {}
        self._misses: dict[str, str | None] = {}

    def __call__(self, path: str) -> str | None:
        if path in self._paths:
            return path
        try:
            return self._misses[path]
        except KeyError:
            pass
        found = self._misses[path] = self._fuzzy(path)
        return found

    def _candidates(self, day: dt.date) -> list[tuple[str, frozenset[str], list[str]]]:
        words = self._day_words.get(day)
        if words is None:
            words = self._day_words[day] = [
                (candidate, frozenset(split), split)
                for candidate in self._day_paths.get(day, ())
                for split in (slug_words(candidate),)
            ]
        return words

    def _fuzzy(self, path: str) -> str | None:
        day = date_from_path(path)
        link_words = slug_words(path)
        if day is None or not link_words:
            return None
        head, last = link_words[:-1], link_words[-1]
        best_path, best_count, tied = None, 0, False
        for candidate, present, candidate_words in self._candidates(day):
            count = sum(word in present for word in head)
            count += last in present or any(word.startswith(last) for word in candidate_words)
            if count > best_count:
                best_path, best_count, tied = candidate, count, False
            elif count == best_count and count:
                tied = True
        if best_path is None or tied or best_count < MIN_SHARED_WORDS * len(link_words):
            return None
        return best_path
