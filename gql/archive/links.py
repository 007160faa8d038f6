"""Resolving related links to events (pure): FORMAT.md's exact-path, then same-day rule.

Real archives link with slugs from older spellings of a headline, so a link that
matches no path falls back to the same day's event whose slug shares the most
words with it, when at least 80% of the link's slug words are found there.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from gql.parse.slug import date_from_path, slug_from_path

MIN_SHARED_WORDS = 0.8


def slug_words(path: str) -> list[str]:
    return [word for word in slug_from_path(path).split("-") if word]


def resolve_misses(links: Iterable[str], day_paths: Mapping[dt.date, Sequence[str]]) -> dict[str, str | None]:
    """The archive path each link means (None: no match, or a tie), for links that are not archive paths.

    The links are grouped by the day in their path, so a day's candidate words are made
    once for all the links into that day and dropped before the next day's.
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
        candidates = [(candidate, frozenset(slug_words(candidate))) for candidate in day_paths.get(day, ())]
        for path, link_words in pending:
            found[path] = _best_candidate(link_words, candidates)
    return found


def _best_candidate(link_words: list[str], candidates: list[tuple[str, frozenset[str]]]) -> str | None:
    """The same-day rule over (path, slug word set) candidates: most link words found there, a cut
    last word counting when it starts a word there; a tie or under 80% of the link's words is no match."""
    head, last = link_words[:-1], link_words[-1]
    best_path, best_count, tied = None, 0, False
    for candidate, present in candidates:
        count = sum(word in present for word in head)
        count += last in present or any(word.startswith(last) for word in present)  # `any`: order is moot
        if count > best_count:
            best_path, best_count, tied = candidate, count, False
        elif count == best_count and count:
            tied = True
    if best_path is None or tied or best_count < MIN_SHARED_WORDS * len(link_words):
        return None
    return best_path
