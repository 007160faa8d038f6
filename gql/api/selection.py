"""Which events a listing holds and in which order: filters and sort keys over the archive.

No Strawberry here: the same selection serves `events`, `search`, tag, day and
publisher listings and `Event.similar`, so every list follows one convention.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeGuard, TypeVar

from newsgraph.api.errors import UserInputError
from newsgraph.archive import Archive, Matches, Positions, SearchQuery, SearchQueryError, parse_query

T = TypeVar("T")
R = TypeVar("R")

MAX_FILTER_TAGS = 50
MAX_TEXT_CHARS = 1_000  # the bundled archive has headlines of 800 characters: a headline must be searchable


class Order(Enum):
    DATE_DESC = "DATE_DESC"
    DATE_ASC = "DATE_ASC"
    RELEVANCE = "RELEVANCE"


@dataclass(frozen=True)
class Criteria:
    """The filter a client asked for, as plain values."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    tags_all: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    publisher: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Selection:
    """Matching archive positions, ascending; relevance scores when a text query was given, or when the
    caller ranked the positions itself (`ranked_by`)."""

    positions: Sequence[int]
    query: SearchQuery | None = None
    scores: Mapping[int, float] = field(default_factory=dict)
    matches: Matches | None = None  # the text's matches as the index keeps them, when only dates narrow them
    ranked: bool = False  # `scores` (one per position) were given by the caller: RELEVANCE orders by them

    @classmethod
    def ranked_by(cls, positions: Sequence[int], scores: Mapping[int, float]) -> Selection:
        """`positions` (ascending) ranked by the caller's `scores` (higher first), without a search text:
        RELEVANCE orders them by score, ties by path, as it orders search hits (e.g. `Event.similar`)."""
        return cls(positions, scores=scores, ranked=True)


def check_criteria(criteria: Criteria) -> None:
    if criteria.date_from and criteria.date_to and criteria.date_from > criteria.date_to:
        raise UserInputError(f"filter.dateFrom {criteria.date_from} is after filter.dateTo {criteria.date_to}")
    for name, tags in (("tagsAll", criteria.tags_all), ("tagsAny", criteria.tags_any)):
        if len(tags) > MAX_FILTER_TAGS:
            raise UserInputError(f"filter.{name} has {len(tags)} tags; at most {MAX_FILTER_TAGS} are allowed")
    if criteria.text is not None and len(criteria.text) > MAX_TEXT_CHARS:
        raise UserInputError(f"search text is {len(criteria.text)} characters; at most {MAX_TEXT_CHARS} are allowed")


def select(archive: Archive, criteria: Criteria, within: Iterable[int] | None = None) -> Selection:
    """The events matching every criterion (and within `within`, when a listing is already narrowed).

    `within` may be any iterable of positions; a `Positions` (ascending, distinct, as the
    archive's `*_positions` give) or a `range` is used as it is, without a set or a sort.
    """
    check_criteria(criteria)
    span = archive.date_range(criteria.date_from, criteria.date_to)
    narrowing: list[set[int] | Sequence[int]] = []
    if within is not None:
        narrowing.append(within if _ascending(within) else set(within))
    for name in criteria.tags_all:
        narrowing.append(archive.tag_positions(name))
    if criteria.tags_any:
        narrowing.append(set().union(*(archive.tag_positions(name) for name in criteria.tags_any)))
    if criteria.publisher is not None:
        publishers = archive.publishers_matching(criteria.publisher)  # a name may cover several domains
        if len(publishers) == 1:
            narrowing.append(archive.publisher_positions(publishers[0].domain))
        else:
            narrowing.append(set().union(*(archive.publisher_positions(p.domain) for p in publishers)))
    query, scores = None, {}
    if criteria.text is not None:
        query = _parse_text(criteria.text)
        if not narrowing:  # the text alone: the index's ranking, and its matches ascending
            matches = _user_input(archive.search_index.matches, query)  # document numbers are archive positions
            return Selection(_clip(matches.ascending, span), query, matches.scores, matches)
        scores = _user_input(archive.search_index.scores, query)
        narrowing.append(set(scores))
    if not narrowing:
        return Selection(span)
    if len(narrowing) == 1 and _ascending(narrowing[0]):
        return Selection(_clip(narrowing[0], span), query, scores)
    sets = [group if isinstance(group, set) else set(group) for group in narrowing]
    matched = sets[0] if len(sets) == 1 else set.intersection(*sorted(sets, key=len))
    positions = sorted(position for position in matched if span.start <= position < span.stop)
    return Selection(positions, query, scores)


def _ascending(positions: object) -> TypeGuard[Sequence[int]]:
    """Known ascending and distinct: the archive's `Positions`, or a forward `range`."""
    return isinstance(positions, Positions) or (isinstance(positions, range) and positions.step == 1)


def _clip(positions: Sequence[int], span: range) -> Sequence[int]:
    """The part of ascending, distinct `positions` inside `span` (a forward range)."""
    low = bisect_left(positions, span.start)
    high = bisect_left(positions, span.stop, low)
    return positions if low == 0 and high == len(positions) else positions[low:high]


def _parse_text(text: str) -> SearchQuery:
    return _user_input(parse_query, text)


def _user_input(search: Callable[[T], R], argument: T) -> R:
    """The search's answer; a text it cannot search (empty, too broad a prefix) is the client's to fix."""
    try:
        return search(argument)
    except SearchQueryError as error:
        raise UserInputError(str(error)) from None


def ordered(archive: Archive, selection: Selection, order: Order) -> tuple[Sequence[int], Callable[[int], tuple], str, bool]:
    """(items ascending by key, key, cursor kind, shown descending) for `paging.paginate`."""
    if order is Order.RELEVANCE:
        if selection.query is None and not selection.ranked:
            raise UserInputError("orderBy RELEVANCE needs a search text (filter.text or search(text:))")
        scores = selection.scores

        def relevance_key(position: int) -> tuple:
            return (-scores[position], archive.ascending[position])

        matches, positions = selection.matches, selection.positions
        if matches is not None and len(positions) == len(matches):
            ranked = archive.search_index.best_first(matches)  # sorted once while the index remembers it
        elif matches is not None and matches.best_first is not None and positions:  # ranked already: keep the span
            low, high = positions[0], positions[-1]
            ranked = [position for position in matches.best_first if low <= position <= high]
        else:
            ranked = archive.search_index.order(positions, scores)
        return ranked, relevance_key, "relevance", False

    def date_key(position: int) -> tuple:
        return (archive.dates[position].isoformat(), archive.ascending[position])

    return selection.positions, date_key, "date", order is Order.DATE_DESC
