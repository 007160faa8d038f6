"""The GraphQL object types: thin, synchronous wrappers that read the request's archive.

`Tag` and `Source` have no wrapper: their fields read the archive's own records
(`newsgraph.archive.Tag`, `newsgraph.parse.Source`), so a page of events with their links and
tags makes no object per tag or source. An `Event` and a `RelatedEvent` carry the
request's archive, so their lists (tags, related links, the linked event) are read
without an `Info` per object.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from newsgraph.api.connections import (
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    PageInfo,
    page_info,
    page_request,
    paginate_or_reject,
    to_connection,
)
from newsgraph.api.context import archive_of
from newsgraph.api.errors import UserInputError
from newsgraph.api.ids import to_global_id
from newsgraph.api.limits import check_deadline
from newsgraph.api.selection import Criteria, Order, Selection, ordered, select
from newsgraph.api.summary_cache import summary_html
from newsgraph.archive import (
    MAX_QUERY_TERMS,
    MAX_SIMILAR,
    MAX_TAG_EVENTS,
    MAX_TERM_EVENTS,
    MAX_THREAD_EVENTS,
    TAG_WEIGHT,
    Archive,
    highlight,
    publisher_domain,
)
from newsgraph.archive import Publisher as ArchivePublisher
from newsgraph.archive import Tag as ArchiveTag
from newsgraph.parse import Event as ArchiveEvent
from newsgraph.parse import RelatedItem, slugify

if TYPE_CHECKING:  # they name `Event` in turn: `Event.thread` and `Event.similar` name them lazily
    from newsgraph.api.story_types import SimilarConnection, Thread

EventOrder = strawberry.enum(
    Order,
    name="EventOrder",
    description="The order of an event listing.",
)


@strawberry.enum(description="How to bucket a timeline.")
class Granularity(Enum):
    DAY = "DAY"
    MONTH = "MONTH"
    YEAR = "YEAR"


@strawberry.input(description="Narrows an event listing; every given criterion must hold.")
class EventFilter:
    date_from: dt.date | None = strawberry.field(default=None, description="Events on or after this date.")
    date_to: dt.date | None = strawberry.field(default=None, description="Events on or before this date.")
    tags_all: list[str] | None = strawberry.field(default=None, description="Events carrying every one of these tags.")
    tags_any: list[str] | None = strawberry.field(default=None, description="Events carrying at least one of these tags.")
    publisher: str | None = strawberry.field(default=None, description="Events reported by this publisher (domain or name).")
    text: str | None = strawberry.field(default=None, description="Events matching this full-text search.")

    def criteria(self) -> Criteria:
        return Criteria(
            date_from=self.date_from,
            date_to=self.date_to,
            tags_all=tuple(self.tags_all or ()),
            tags_any=tuple(self.tags_any or ()),
            publisher=self.publisher,
            text=self.text,
        )


FilterArgument = Annotated[EventFilter | None, strawberry.argument(description="Criteria the events must meet.")]
OrderArgument = Annotated[Order, strawberry.argument(description="Sort order; RELEVANCE needs a search text.")]


@strawberry.interface(description="An object with a global id, fetchable again with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Global id: stable and opaque.")

    @classmethod
    def resolve_type(cls, obj: Any, _info: Any, _abstract_type: Any) -> str:
        """The type of an object a `Node` field returned, told by its Python class.

        Strawberry's default falls back on the implementing types' `is_type_of`,
        which the served schema does not keep (fastpath.skip_type_checks).
        """
        return _NODE_TYPE_NAMES[type(obj)]


def event_listing(
    scope: Callable[[Any, Archive], Iterable[int] | None], description: str, default_order: Order = Order.DATE_DESC
) -> Any:
    """A connection field over events, narrowed to what `scope(root, archive)` gives (None: all)."""

    def resolve(
        root: Any,
        info: Info,
        filter: FilterArgument = None,  # noqa: A002 - the public argument name
        order_by: OrderArgument = default_order,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Event]:
        archive = archive_of(info)
        criteria = filter.criteria() if filter else Criteria()
        selection = select(archive, criteria, scope(root, archive))
        page = paginate_events(archive, selection, order_by, page_request(first, after, last, before))
        return to_connection(page, lambda position: Event.at(archive, position))

    return strawberry.field(resolver=resolve, description=description)


def paginate_events(archive: Archive, selection: Selection, order: Order, request):
    items, key, kind, descending = ordered(archive, selection, order)
    return paginate_or_reject(items, key, kind, request, descending=descending)


@strawberry.type(description="A reporting outlet an event cites.")
class Source:
    """Never made: its fields read the archive's `newsgraph.parse.Source` records, which have the same attributes."""

    name: str = strawberry.field(description="The outlet as the event names it.")
    url: str = strawberry.field(description="The report's address (http or https).")

    @strawberry.field(description="Host of the URL without `www.`-like prefixes: the publisher's key.")
    def domain(self) -> str | None:
        return publisher_domain(self.url)

    @strawberry.field(description="The publisher behind this source, across the archive.")
    def publisher(self, info: Info) -> Publisher | None:
        found = archive_of(info).publisher_of(self.url)
        return Publisher(record=found) if found else None


@strawberry.type(description="A link from one event to another, with the tags the two share.")
class RelatedEvent:
    item: strawberry.Private[RelatedItem]
    target: strawberry.Private[str | None]
    # The request's archive, handed down by `Event.related`: the link's fields read it without an `Info`.
    archive: strawberry.Private[Archive]

    @strawberry.field(description="The linked path as written in the event's file.")
    def path(self) -> str:
        return self.item.path

    @strawberry.field(description="The linked event's headline as written in the link.")
    def headline(self) -> str:
        return self.item.headline

    @strawberry.field(description="The date in the linked path.")
    def date(self) -> dt.date | None:
        return self.item.date

    @strawberry.field(description="The tags the two events share (the link's context).")
    def context(self) -> list[Tag]:
        check_deadline()  # a list: where a query past its time limit stops, as in `archive_of`
        return [tag for tag in (self.archive.tag(name) for name in self.item.context) if tag]

    @strawberry.field(description="The linked event; null when it is not in the archive.")
    def event(self) -> Event | None:
        archive = self.archive
        return Event(record=archive.events[self.target], archive=archive) if self.target else None


_STORY_THREAD = (
    "The story this event belongs to, through time: the events reachable from it by related links in either "
    "direction (its own links and the links pointing at it), breadth-first, following only links whose context "
    "shares a tag with this event's own tags. It includes this event; an event without tags is its thread alone. "
    f"At most {MAX_THREAD_EVENTS} events: when a hop reaches more than there is room for, those nearest in time "
    "to this event are kept and `truncated` is true."
)
_STORY_SIMILAR = (
    f"Events most like this one: `score` = text + {TAG_WEIGHT:g} × tags. "
    f"Text: the BM25 weights, in the other event, of this event's {MAX_QUERY_TERMS} most distinctive headline and "
    f"summary words (by tf-idf; words in more than half the events, or in more than {MAX_TERM_EVENTS:,}, left "
    "out), divided by the same sum for this event and capped at 1. Tags: shared tags ÷ the tags of either "
    "(Jaccard). Candidates hold one of the words or share a tag of at most "
    f"{MAX_TAG_EVENTS:,} events (a larger tag still counts in the Jaccard). This event and the events its "
    f"related links point at are left out. The candidates are this event's {MAX_SIMILAR} best-scoring events: "
    "`filter` narrows them (`totalCount` counts what is left) and `orderBy` orders them, RELEVANCE (the default) "
    "being the score, best first, equal scores by path."
)
_SIMILAR_ORDER = Annotated[Order, strawberry.argument(description="Sort order; RELEVANCE is `score`, best first.")]


@strawberry.type(description="One news event of the archive.")
class Event(Node):
    record: strawberry.Private[ArchiveEvent]
    # The archive the event was read from (the request's): its tags and links are read there without an `Info`.
    archive: strawberry.Private[Archive]

    @classmethod
    def at(cls, archive: Archive, position: int) -> Event:
        return cls(record=archive.events[archive.ascending[position]], archive=archive)

    @strawberry.field(description="Global id (use with `node`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Event", self.record.path))

    @strawberry.field(description="Canonical path `/news/YYYY/MM/D/slug.md`: the event's identity.")
    def path(self) -> str:
        return self.record.path

    @strawberry.field(description="The day of the event.")
    def date(self) -> dt.date:
        return self.record.date

    @strawberry.field(description="One-sentence headline.")
    def headline(self) -> str:
        return self.record.headline

    @strawberry.field(description="Summary as plain text, entities decoded; empty when the file has none.")
    def summary(self) -> str:
        return self.record.summary

    @strawberry.field(description="Summary as the markdown it was written in.")
    def summary_markdown(self) -> str:
        return self.record.summary_markdown

    @strawberry.field(description="Summary as HTML: no raw HTML from the file, only http(s) links.")
    def summary_html(self) -> str:
        return summary_html(self.record.summary_markdown)

    @strawberry.field(description="URL of the event's picture (the `Cover Image` source item).")
    def cover_image(self) -> str | None:
        return self.record.cover_image

    @strawberry.field(description="The outlets that reported the event.")
    def sources(self) -> list[Source]:
        return list(self.record.sources)

    @strawberry.field(description="Other events this one links to, with their shared tags.")
    def related(self) -> list[RelatedEvent]:
        check_deadline()  # a list: where a query past its time limit stops, as in `archive_of`
        archive = self.archive
        targets = archive.resolved[self.record.path]
        return [RelatedEvent(item=item, target=target, archive=archive) for item, target in zip(self.record.related, targets, strict=True)]

    related_by: Connection[Event] = event_listing(
        lambda event, archive: archive.related_by_positions(event.record.path),
        "Events whose related links point here.",
    )

    @strawberry.field(description="The event's tags: the union of its related links' contexts.")
    def tags(self) -> list[Tag]:
        check_deadline()  # a list: where a query past its time limit stops, as in `archive_of`
        tags = self.archive.tags
        return [tags[key] for key in self.archive.event_tags.get(self.record.path, ())]

    @strawberry.field(description=_STORY_THREAD)
    def thread(self) -> Annotated[Thread, strawberry.lazy("newsgraph.api.story_types")]:
        from newsgraph.api.story_types import thread

        return thread(self)

    @strawberry.field(description=_STORY_SIMILAR)
    def similar(
        self,
        filter: FilterArgument = None,  # noqa: A002 - the public argument name
        order_by: _SIMILAR_ORDER = Order.RELEVANCE,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Annotated[SimilarConnection, strawberry.lazy("newsgraph.api.story_types")]:
        from newsgraph.api.story_types import similar

        return similar(self, filter, order_by, page_request(first, after, last, before))


@strawberry.type(description="A tag and how many events of a list carry it (`relatedTags`: the events of both tags).")
class TagCount:
    tag: Tag = strawberry.field(description="The tag.")
    count: int = strawberry.field(description="How many of the list's events carry it.")


@strawberry.type(description="How many events fall in one period of a timeline.")
class PeriodCount:
    period: str = strawberry.field(description="`YYYY-MM-DD`, `YYYY-MM` or `YYYY`, by granularity.")
    count: int = strawberry.field(description="Events in the period.")


_PERIOD_FORMATS = {Granularity.DAY: 10, Granularity.MONTH: 7, Granularity.YEAR: 4}


@strawberry.type(description="A subject events share: derived from the contexts of related links.")
class Tag(Node):
    """Never made: its fields read the archive's tag records (`newsgraph.archive.Tag`), which have these attributes."""

    key: strawberry.Private[str]
    event_paths: strawberry.Private[tuple[str, ...]]

    @classmethod
    def is_type_of(cls, obj: Any, _info: Any) -> bool:
        """Strawberry's default would look for a `Tag` instance; the records are what resolvers return."""
        return isinstance(obj, ArchiveTag)

    @strawberry.field(description="Global id (use with `node`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Tag", self.key))

    events: Connection[Event] = event_listing(
        lambda tag, archive: archive.tag_key_positions(tag.key), "The events carrying this tag."
    )
    name: str = strawberry.field(description="The tag's most common spelling.")

    @strawberry.field(description="URL-friendly form of the name.")
    def slug(self) -> str:
        return slugify(self.name)

    @strawberry.field(description="How many events carry the tag.")
    def event_count(self) -> int:
        return len(self.event_paths)

    @strawberry.field(description="Tags that appear on the same events, most frequent first.")
    def related_tags(
        self, info: Info, first: Annotated[int, strawberry.argument(description="How many (at most 100).")] = 10
    ) -> list[TagCount]:
        archive = archive_of(info)
        first = _bounded(first, "first")
        counts: Counter[str] = Counter()
        for path in self.event_paths:
            counts.update(key for key in archive.event_tags.get(path, ()) if key != self.key)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:first]
        return [TagCount(tag=archive.tags[key], count=count) for key, count in ranked]

    @strawberry.field(description="Event counts per period, oldest first; periods without events are left out.")
    def timeline(
        self,
        info: Info,
        granularity: Annotated[Granularity, strawberry.argument(description="Bucket size.")] = Granularity.MONTH,
    ) -> list[PeriodCount]:
        archive = archive_of(info)
        width = _PERIOD_FORMATS[granularity]
        counts = Counter(archive.events[path].date.isoformat()[:width] for path in self.event_paths)
        return [PeriodCount(period=period, count=count) for period, count in sorted(counts.items())]


@strawberry.type(description="One calendar day of the archive.")
class Day(Node):
    date: dt.date = strawberry.field(description="The day.")

    @strawberry.field(description="Global id (use with `node`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Day", self.date.isoformat()))

    @strawberry.field(description="How many events the day has.")
    def event_count(self, info: Info) -> int:
        return len(archive_of(info).day_paths.get(self.date, ()))

    events: Connection[Event] = event_listing(
        lambda day, archive: archive.day_positions(day.date), "The day's events."
    )


@strawberry.type(description="An outlet, identified by its domain, with every event that cites it.")
class Publisher(Node):
    record: strawberry.Private[ArchivePublisher]

    @strawberry.field(description="Global id (use with `node`).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Publisher", self.record.domain))

    @strawberry.field(description="The source name seen most often for this domain.")
    def name(self) -> str:
        return self.record.name

    @strawberry.field(description="The domain, without `www.`-like prefixes.")
    def domain(self) -> str:
        return self.record.domain

    @strawberry.field(description="How many events cite this publisher.")
    def event_count(self) -> int:
        return len(self.record.event_paths)

    events: Connection[Event] = event_listing(
        lambda publisher, archive: archive.publisher_positions(publisher.record.domain), "Events citing this publisher."
    )


# What `Node.resolve_type` answers: the Python class each node type's objects have.
_NODE_TYPE_NAMES: dict[type, str] = {Event: "Event", ArchiveTag: "Tag", Day: "Day", Publisher: "Publisher"}


@strawberry.type(description="One search result: the event, its score and a highlighted snippet.")
class SearchHit:
    cursor: str = strawberry.field(description="Opaque; pass as `after`/`before`.")
    node: Event = strawberry.field(description="The matching event.")
    score: float = strawberry.field(description="Relevance (BM25); higher is better.")
    query: strawberry.Private[Any]

    @strawberry.field(description="HTML: the matching passage with matches in `<mark>`; archive text is escaped.")
    def snippet_html(self) -> str:
        record = self.node.record
        sources = " · ".join(source.name for source in record.sources)  # a match may be in a source name only
        snippets = (highlight(text, self.query) for text in (record.summary, record.headline, sources))
        return next((snippet for snippet in snippets if snippet), "")


@strawberry.type(description="A page of search results.")
class SearchConnection:
    edges: list[SearchHit] = strawberry.field(description="The hits of this page, best first by default.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    total_count: int = strawberry.field(description="How many events match in all.")


@strawberry.type(description="Counts that describe the whole archive.")
class Stats:
    events: int = strawberry.field(description="Events in the archive.")
    tags: int = strawberry.field(description="Distinct tags.")
    publishers: int = strawberry.field(description="Distinct publishers (source domains).")
    date_from: dt.date | None = strawberry.field(description="Date of the oldest event.")
    date_to: dt.date | None = strawberry.field(description="Date of the newest event.")
    unresolved_related_links: int = strawberry.field(description="Related links whose target is not in the archive.")

    @strawberry.field(description="Findings of the archive doctor over the archive (`health.totalCount`).")
    def health_findings(self, info: Info) -> int:
        return len(archive_of(info).health.findings)


def _bounded(value: int, name: str, maximum: int = 100) -> int:
    if not 0 <= value <= maximum:
        raise UserInputError(f"`{name}` must be between 0 and {maximum}, got {value}")
    return value


__all__ = [
    "Day",
    "Edge",
    "Event",
    "EventFilter",
    "EventOrder",
    "Granularity",
    "Node",
    "PageInfo",
    "Publisher",
    "SearchConnection",
    "SearchHit",
    "Source",
    "Stats",
    "Tag",
    "event_listing",
    "page_info",
]
