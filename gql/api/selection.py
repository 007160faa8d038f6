"""Which events a listing holds and in which order: filters and sort keys over the archive.

No Strawberry here: the same selection serves `events`, `search`, tag, day and
publisher listings, so every list follows one convention.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from gql.archive import Archive, SearchQuery, SearchQueryError, parse_query
from gql.api.errors import UserInputError

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
    """Matching archive positions, ascending; relevance scores when a text query was given."""

    positions: Sequence[int]
    query: SearchQuery | None = None
    scores: dict[int, float] = field(default_factory=dict)


def check_criteria(criteria: Criteria) -> None:
    if criteria.date_from and criteria.date_to and criteria.date_from > criteria.date_to:
        raise UserInputError(f"filter.dateFrom {criteria.date_from} is after filter.dateTo {criteria.date_to}")
    for name, tags in (("tagsAll", criteria.tags_all), ("tagsAny", criteria.tags_any)):
        if len(tags) > MAX_FILTER_TAGS:
            raise UserInputError(f"filter.{name} has {len(tags)} tags; at most {MAX_FILTER_TAGS} are allowed")
    if criteria.text is not None and len(criteria.text) > MAX_TEXT_CHARS:
        raise UserInputError(f"search text is {len(criteria.text)} characters; at most {MAX_TEXT_CHARS} are allowed")


def select(archive: Archive, criteria: Criteria, within: Iterable[int] | None = None) -> Selection:
    """The events matching every criterion (and within `within`, when a listing is already narrowed)."""
    check_criteria(criteria)
    span = archive.date_range(criteria.date_from, criteria.date_to)
    narrowing: list[set[int]] = []
    if within is not None:
        narrowing.append(set(within))
    for name in criteria.tags_all:
        narrowing.append(_tag_positions(archive, name))
    if criteria.tags_any:
        narrowing.append(set().union(*(_tag_positions(archive, name) for name in criteria.tags_any)))
    if criteria.publisher is not None:
        publishers = archive.publishers_matching(criteria.publisher)  # a name may cover several domains
        narrowing.append({archive.rank[path] for publisher in publishers for path in publisher.event_paths})
    query, scores = None, {}
    if criteria.text is not None:
        query = _parse_text(criteria.text)
        scores = {archive.rank[hit.key]: hit.score for hit in archive.search_index.search(query)}
        narrowing.append(set(scores))
    if not narrowing:
        return Selection(span)
    matched = set.intersection(*sorted(narrowing, key=len))
    positions = sorted(position for position in matched if span.start <= position < span.stop)
    return Selection(positions, query, scores)


def _tag_positions(archive: Archive, name: str) -> set[int]:
    tag = archive.tag(name)
    return {archive.rank[path] for path in tag.event_paths} if tag else set()


def _parse_text(text: str) -> SearchQuery:
    try:
        return parse_query(text)
    except SearchQueryError as error:
        raise UserInputError(str(error)) from None


def ordered(archive: Archive, selection: Selection, order: Order) -> tuple[Sequence[int], Callable[[int], tuple], str, bool]:
    """(items ascending by key, key, cursor kind, shown descending) for `paging.paginate`."""
    if order is Order.RELEVANCE:
        if selection.query is None:
            raise UserInputError("orderBy RELEVANCE needs a search text (filter.text or search(text:))")
        scores = selection.scores

        def relevance_key(position: int) -> tuple:
            return (-scores[position], archive.ascending[position])

        return sorted(selection.positions, key=relevance_key), relevance_key, "relevance", False

    def date_key(position: int) -> tuple:
        return (archive.dates[position].isoformat(), archive.ascending[position])

    return selection.positions, date_key, "date", order is Order.DATE_DESC
