"""The calendar's Query fields: `onThisDay` (a month and day across the years) and `trendingTags` (growth
against the preceding window). Plain synchronous resolvers over the archive's precomputed indexes: the
month-day index (`Archive.month_day_positions`) and each tag's ascending positions (`newsgraph.archive.trends`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Annotated, cast

import strawberry
from strawberry.types import Info

from newsgraph.api.connections import After, Before, Connection, First, Last, page_request, to_connection
from newsgraph.api.context import archive_of
from newsgraph.api.errors import UserInputError
from newsgraph.api.selection import Criteria, Order, select
from newsgraph.api.types import Event, FilterArgument, OrderArgument, Tag, paginate_events
from newsgraph.archive import trending_tags as rank_trending_tags

MAX_TRENDING = 100
DEFAULT_TRENDING = 10
DEFAULT_MIN_COUNT = 3
LEAP_YEAR = 2000  # month lengths with February 29: an anniversary of a leap day is asked for every year

TRENDING_SCORE = (
    "score = (count + 1) / (previousCount + 1), where count is the tag's events in [from, to] and previousCount "
    "its events in the preceding window of as many days, [from - (to - from + 1 days), from - 1 day]"
)


def check_month_day(month: int, day: int) -> None:
    """A day some year has: month 1..12, day 1..31 and within the month (February 29 included)."""
    if not 1 <= month <= 12:
        raise UserInputError(f"`month` must be between 1 and 12, got {month}")
    if not 1 <= day <= 31:
        raise UserInputError(f"`day` must be between 1 and 31, got {day}")
    length = calendar.monthrange(LEAP_YEAR, month)[1]
    if day > length:
        raise UserInputError(
            f"`day` {day} is not a day of {calendar.month_name[month]}, which has {length} days; "
            f"give a day between 1 and {length}"
        )


def on_this_day(
    info: Info,
    month: Annotated[int, strawberry.argument(description="The month, 1 (January) to 12 (December).")],
    day: Annotated[int, strawberry.argument(description="The day of the month, 1 to 31 (29 for February).")],
    filter: FilterArgument = None,  # noqa: A002 - the public argument name
    order_by: OrderArgument = Order.DATE_DESC,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Connection[Event]:
    check_month_day(month, day)
    archive = archive_of(info)
    criteria = filter.criteria() if filter else Criteria()
    selection = select(archive, criteria, archive.month_day_positions(month, day))
    page = paginate_events(archive, selection, order_by, page_request(first, after, last, before))
    return to_connection(page, lambda position: Event.at(archive, position))


ON_THIS_DAY = (
    "Events dated on this month and day in any year (pass today's to look back): newest year first by default. "
    "Takes the filter and order of every event listing; `filter.dateTo` leaves out this year, for instance."
)


@strawberry.type(description=f"A tag's growth in a window of days against the window before it: {TRENDING_SCORE}.")
class TrendingTag:
    tag: Tag = strawberry.field(description="The tag.")
    count: int = strawberry.field(description="Events carrying the tag in the window [from, to].")
    previous_count: int = strawberry.field(
        description="Events carrying the tag in the preceding window: as many days, ending the day before `from`."
    )
    score: float = strawberry.field(description="(count + 1) / (previousCount + 1): above 1 means the tag grew.")


def trending_tags(
    info: Info,
    from_: Annotated[dt.date, strawberry.argument(name="from", description="First day of the window (inclusive).")],
    to: Annotated[dt.date, strawberry.argument(description="Last day of the window (inclusive).")],
    first: Annotated[
        int, strawberry.argument(description=f"How many tags (0 to {MAX_TRENDING}).")
    ] = DEFAULT_TRENDING,
    min_count: Annotated[
        int, strawberry.argument(description="Only tags with at least this many events in the window (at least 1).")
    ] = DEFAULT_MIN_COUNT,
) -> list[TrendingTag]:
    if from_ > to:
        raise UserInputError(f"`from` {from_} is after `to` {to}; give the earlier day first")
    if not 0 <= first <= MAX_TRENDING:
        raise UserInputError(f"`first` must be between 0 and {MAX_TRENDING}, got {first}")
    if min_count < 1:
        raise UserInputError(f"`minCount` must be at least 1, got {min_count}")
    archive = archive_of(info)
    return [  # `Tag` is served from the archive's tag records, which have its attributes (see types.Tag)
        TrendingTag(
            tag=cast(Tag, archive.tags[trend.key]), count=trend.count, previous_count=trend.previous_count,
            score=trend.score,
        )
        for trend in rank_trending_tags(archive, from_, to, min_count, first)
    ]


TRENDING = (
    f"Tags that grew most in [from, to] against the preceding window of as many days: {TRENDING_SCORE} (add-one "
    "smoothing, so a tag new in the window scores count + 1). Only tags with at least `minCount` events in the "
    "window count, so one-off tags do not win; ties go to the higher count, then the name. "
    "Best first, at most `first`."
)
