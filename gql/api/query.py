"""The root Query type: the entry points into the archive."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from newsgraph.api import calendar_fields, health_fields
from newsgraph.api.connections import (
    After,
    Before,
    Connection,
    First,
    Last,
    page_request,
    paginate_or_reject,
    to_connection,
)
from newsgraph.api.context import archive_of
from newsgraph.api.errors import UserInputError
from newsgraph.api.ids import from_global_id
from newsgraph.api.selection import Criteria, Order, select
from newsgraph.api.types import (
    Day,
    Event,
    FilterArgument,
    Node,
    OrderArgument,
    Publisher,
    SearchConnection,
    SearchHit,
    Stats,
    Tag,
    event_listing,
    page_info,
    paginate_events,
)
from newsgraph.archive import (
    Archive,
    fold,
    folded_tag_names,
    publisher_count_key,
    publishers_by_count,
    tag_count_key,
    tag_name_key,
    tags_by_count,
    tags_by_name,
)

MAX_NODES = 100


@strawberry.enum(description="The order of a tag listing.")
class TagOrder(Enum):
    COUNT = "COUNT"
    NAME = "NAME"


def _node(archive: Archive, global_id: str) -> Node | None:
    type_name, key = from_global_id(global_id)
    if type_name == "Event":
        event = archive.event(key)
        return Event(record=event, archive=archive) if event else None
    if type_name == "Tag":
        return archive.tags.get(key)
    if type_name == "Publisher":
        publisher = archive.publishers.get(key)
        return Publisher(record=publisher) if publisher else None
    if type_name == "Day":
        day = _parse_date(key, "id")
        return Day(date=day) if day in archive.day_paths else None
    raise UserInputError(f"id names an unknown type {type_name!r}")


def _parse_date(text: str, argument: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserInputError(f"`{argument}` must be a date YYYY-MM-DD, got {text[:40]!r}") from None


Path = Annotated[str | None, strawberry.argument(description="Canonical path, e.g. /news/2015/09/3/slug.md.")]
GlobalId = Annotated[strawberry.ID | None, strawberry.argument(description="Global id from an `id` field.")]
Name = Annotated[str, strawberry.argument(description="Name, compared case-insensitively.")]


@strawberry.type(description="Read the news archive: events, tags, days, publishers and search.")
class Query:
    @strawberry.field(description="One event by path or id; null when there is no such event.")
    def event(self, info: Info, path: Path = None, id: GlobalId = None) -> Event | None:  # noqa: A002
        archive = archive_of(info)
        if (path is None) == (id is None):
            raise UserInputError("give exactly one of `path` or `id`")
        if id is not None:
            node = _node(archive, id)
            return node if isinstance(node, Event) else None
        assert path is not None  # exactly one of the two
        event = archive.event(path if path.startswith("/") else "/" + path)
        return Event(record=event, archive=archive) if event else None

    events: Connection[Event] = event_listing(lambda root, archive: None, "Every event, newest first by default.")

    @strawberry.field(description="Full-text search over headline, summary and source names, best match first.")
    def search(
        self,
        info: Info,
        text: Annotated[
            str, strawberry.argument(description='Words (all must match), "quoted phrases", prefix* matches.')
        ],
        filter: FilterArgument = None,  # noqa: A002
        order_by: OrderArgument = Order.RELEVANCE,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> SearchConnection:
        archive = archive_of(info)
        base = filter.criteria() if filter else Criteria()
        within = select(archive, base).positions if base.text is not None else None  # filter.text narrows too
        selection = select(archive, Criteria(**{**base.__dict__, "text": text}), within)
        page = paginate_events(archive, selection, order_by, page_request(first, after, last, before))
        return SearchConnection(
            edges=[
                SearchHit(cursor=cursor, node=Event.at(archive, position), score=selection.scores[position], query=selection.query)
                for cursor, position in page.edges
            ],
            page_info=page_info(page),
            total_count=page.total_count,
        )

    @strawberry.field(description="One tag by name; null when no event carries it.")
    def tag(self, info: Info, name: Name) -> Tag | None:
        return archive_of(info).tag(name)

    @strawberry.field(description="Tags, most used first by default.")
    def tags(
        self,
        info: Info,
        prefix: Annotated[str | None, strawberry.argument(description="Only tags whose name starts so (any case, any accents).")] = None,
        order_by: Annotated[TagOrder, strawberry.argument(description="COUNT (most events first) or NAME.")] = TagOrder.COUNT,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Tag]:
        archive = archive_of(info)
        by_count = order_by is TagOrder.COUNT
        tags = tags_by_count(archive) if by_count else tags_by_name(archive)  # sorted once per archive
        if prefix:
            wanted, folded = fold(prefix), folded_tag_names(archive)
            tags = [tag for tag in tags if folded[tag.key].startswith(wanted)]
        key = tag_count_key if by_count else tag_name_key
        page = paginate_or_reject(tags, key, "tags-" + order_by.value.lower(), page_request(first, after, last, before))
        return to_connection(page, lambda tag: tag)

    @strawberry.field(description="One day; null when the archive has no event that day.")
    def day(self, info: Info, date: Annotated[dt.date, strawberry.argument(description="The day.")]) -> Day | None:
        return Day(date=date) if date in archive_of(info).day_paths else None

    @strawberry.field(description="Days that have events, oldest first, with their counts: a calendar in one request.")
    def days(
        self,
        info: Info,
        from_: Annotated[dt.date | None, strawberry.argument(name="from", description="First day (inclusive).")] = None,
        to: Annotated[dt.date | None, strawberry.argument(description="Last day (inclusive).")] = None,
    ) -> list[Day]:
        if from_ and to and from_ > to:
            raise UserInputError(f"`from` {from_} is after `to` {to}; give the earlier day first")
        archive = archive_of(info)
        span = archive.date_range(from_, to)
        return [Day(date=date) for date in dict.fromkeys(archive.dates[span.start:span.stop])]

    on_this_day: Connection[Event] = strawberry.field(
        resolver=calendar_fields.on_this_day, description=calendar_fields.ON_THIS_DAY
    )
    trending_tags: list[calendar_fields.TrendingTag] = strawberry.field(
        resolver=calendar_fields.trending_tags, description=calendar_fields.TRENDING
    )

    @strawberry.field(description="One publisher by domain or name; null when none matches.")
    def publisher(
        self, info: Info, name: Annotated[str, strawberry.argument(description="Domain (bbc.co.uk) or name (BBC).")],
    ) -> Publisher | None:
        found = archive_of(info).publisher(name)
        return Publisher(record=found) if found else None

    @strawberry.field(description="Publishers (source domains), most cited first.")
    def publishers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Publisher]:
        page = paginate_or_reject(publishers_by_count(archive_of(info)), publisher_count_key, "publishers",
                                  page_request(first, after, last, before))
        return to_connection(page, lambda publisher: Publisher(record=publisher))

    @strawberry.field(description="Counts over the whole archive.")
    def stats(self, info: Info) -> Stats:
        archive = archive_of(info)
        return Stats(
            events=len(archive.events),
            tags=len(archive.tags),
            publishers=len(archive.publishers),
            date_from=archive.dates[0] if archive.dates else None,
            date_to=archive.dates[-1] if archive.dates else None,
            unresolved_related_links=archive.unresolved_links,
        )

    health: health_fields.Health = strawberry.field(resolver=health_fields.health, description=health_fields.HEALTH)

    @strawberry.field(description="Any object by its global id; null when it no longer exists.")
    def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]) -> Node | None:  # noqa: A002
        return _node(archive_of(info), id)

    @strawberry.field(description=f"Objects by global ids, in the same order (at most {MAX_NODES}); null for each one gone.")
    def nodes(
        self, info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global ids.")]
    ) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise UserInputError(f"`ids` has {len(ids)} ids; at most {MAX_NODES} are allowed")
        archive = archive_of(info)
        return [_node(archive, global_id) for global_id in ids]
