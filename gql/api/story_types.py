"""The story around one event: its thread through time (`Event.thread`) and the events most like it (`Event.similar`).

Thin wrappers over the archive's pure results (newsgraph.archive's `thread_of` and `similar_events`,
which say how each is computed and bounded). `Event` (newsgraph.api.types) names these types lazily
(`strawberry.lazy`), since they name `Event` in turn; its two fields' descriptions are there.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from newsgraph.api.connections import Connection, PageInfo, page_info
from newsgraph.api.limits import check_deadline
from newsgraph.api.paging import PageRequest
from newsgraph.api.selection import Criteria, Order, Selection, select
from newsgraph.api.types import Event, EventFilter, Tag, TagCount, _bounded, event_listing, paginate_events
from newsgraph.archive import (
    MAX_SIMILAR,
    MAX_THREAD_EVENTS,
    TAG_WEIGHT,
    Archive,
    SimilarHit,
    StoryThread,
    similar_events,
    thread_of,
)


@strawberry.type(description="The story an event belongs to: events linked on its subjects, through time.")
class Thread:
    record: strawberry.Private[StoryThread]
    archive: strawberry.Private[Archive]

    @strawberry.field(description=f"How many events the thread holds, its starting event included (at most {MAX_THREAD_EVENTS}).")
    def total_count(self) -> int:
        return len(self.record.positions)

    @strawberry.field(description="Date of the thread's oldest event.")
    def first_date(self) -> dt.date:
        return self.archive.dates[self.record.positions[0]]

    @strawberry.field(description="Date of the thread's newest event.")
    def last_date(self) -> dt.date:
        return self.archive.dates[self.record.positions[-1]]

    @strawberry.field(description=f"More events were reachable than the {MAX_THREAD_EVENTS} the thread keeps.")
    def truncated(self) -> bool:
        return self.record.truncated

    @strawberry.field(description="The tags of the thread's events: the most carried first, ties by name (case-insensitively).")
    def tags(
        self, first: Annotated[int, strawberry.argument(description="How many (at most 100).")] = 10
    ) -> list[TagCount]:
        check_deadline()
        tags: dict[str, Any] = self.archive.tags  # the archive's tag records, which `Tag`'s fields read (types.Tag)
        return [TagCount(tag=tags[key], count=count) for key, count in self.record.tag_counts[:_bounded(first, "first")]]

    events: Connection[Event] = event_listing(
        lambda thread, archive: thread.record.positions,
        "The thread's events, oldest first by default.",
        Order.DATE_ASC,
    )


@strawberry.type(description="One similar event of a page: the event, how alike the two are and the tags they share.")
class SimilarEvent:
    cursor: str = strawberry.field(description="Opaque; pass as `after`/`before`.")
    node: Event = strawberry.field(description="The similar event.")
    hit: strawberry.Private[SimilarHit]
    archive: strawberry.Private[Archive]

    @strawberry.field(description=f"text + {TAG_WEIGHT:g} × tags, each in [0, 1] (see `Event.similar`); higher is closer.")
    def score(self) -> float:
        return self.hit.score

    @strawberry.field(description="The tags the two events share, by name (case-insensitively).")
    def shared_tags(self) -> list[Tag]:
        tags: dict[str, Any] = self.archive.tags  # the archive's tag records, which `Tag`'s fields read
        return [tags[key] for key in self.hit.shared_tags]


@strawberry.type(description="A page of the events most like another one.")
class SimilarConnection:
    edges: list[SimilarEvent] = strawberry.field(description="The similar events of this page, best first by default.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    total_count: int = strawberry.field(
        description=f"How many of the event's similar events (its best {MAX_SIMILAR}) meet the filter, in all."
    )


def thread(event: Event) -> Thread:
    """`Event.thread`: the event's thread, made once per archive."""
    check_deadline()
    found = thread_of(event.archive, event.record.path)
    assert found is not None  # the event is in its archive
    return Thread(record=found, archive=event.archive)


def similar(event: Event, filter: EventFilter | None, order: Order, request: PageRequest) -> SimilarConnection:  # noqa: A002
    """`Event.similar`: the event's best MAX_SIMILAR hits, narrowed by `filter` as any listing is, ordered by
    their score (RELEVANCE, ties by path) or by date, one page of them."""
    check_deadline()
    archive = event.archive
    hits = {hit.position: hit for hit in similar_events(archive, event.record.path, MAX_SIMILAR)}
    narrowed = select(archive, filter.criteria() if filter else Criteria(), hits.keys())
    scores = {position: hit.score for position, hit in hits.items()}
    page = paginate_events(archive, Selection.ranked_by(narrowed.positions, scores), order, request)
    return SimilarConnection(
        edges=[
            SimilarEvent(cursor=cursor, node=Event.at(archive, position), hit=hits[position], archive=archive)
            for cursor, position in page.edges
        ],
        page_info=page_info(page),
        total_count=page.total_count,
    )
