"""Relay-style connection types shared by every growing list, and the page → connection step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from newsgraph.api.errors import UserInputError
from newsgraph.api.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageRequest, PagingError, paginate

N = TypeVar("N")
Item = TypeVar("Item")

First = Annotated[
    int | None,
    strawberry.argument(description=f"Page size from the start (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."),
]
After = Annotated[str | None, strawberry.argument(description="Return items after this edge cursor.")]
Last = Annotated[int | None, strawberry.argument(description=f"Page size from the end (at most {MAX_PAGE_SIZE}).")]
Before = Annotated[str | None, strawberry.argument(description="Return items before this edge cursor.")]


@strawberry.type(description="Where a page sits in its list, and the cursors to fetch its neighbours.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow the last edge of this page.")
    has_previous_page: bool = strawberry.field(description="More items precede the first edge of this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge (pass as `before`).")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge (pass as `after`).")


@strawberry.type(description="One item of a page and the cursor that marks its place in the list.")
class Edge(Generic[N]):
    item: strawberry.Private[Any]  # what `node` was made from, and its cursor is made from when asked for
    page: strawberry.Private[Page]

    @strawberry.field(description="Opaque; stays valid when the archive changes.")
    def cursor(self) -> str:
        return self.page.cursor_of(self.item)

    node: N = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list: its edges, paging information and the size of the whole list.")
class Connection(Generic[N]):
    edges: list[Edge[N]] = strawberry.field(description="The items of this page, in order.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    total_count: int = strawberry.field(description="How many items the whole list holds (all pages).")


def page_info(page: Page) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursor_of(page.items[0]) if page.items else None,
        end_cursor=page.cursor_of(page.items[-1]) if page.items else None,
    )


def paginate_or_reject(*args, **kwargs) -> Page:
    """`paging.paginate`, with its errors turned into BAD_USER_INPUT GraphQL errors."""
    try:
        return paginate(*args, **kwargs)
    except PagingError as error:
        raise UserInputError(str(error)) from None


def to_connection(page: Page[Item], wrap: Callable[[Item], N]) -> Connection[N]:
    return Connection(
        edges=[Edge(item=item, page=page, node=wrap(item)) for item in page.items],
        page_info=page_info(page),
        total_count=page.total_count,
    )


def page_request(first: int | None, after: str | None, last: int | None, before: str | None) -> PageRequest:
    return PageRequest(first=first, after=after, last=last, before=before)
