"""Keyset pagination (pure): cursors hold the sort key of an item, never an offset.

A cursor stays valid when events are added or removed: it names a place in the
order ("after the item with this key"), which every later archive still has.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

import orjson

T = TypeVar("T")
Key = tuple

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PagingError(ValueError):
    """A page request that cannot be served: a bad cursor or page size. The message says what to fix."""


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]  # in display order
    cursor_of: Callable[[T], str]  # an item's cursor, made only when asked for: most pages show no cursor
    has_next_page: bool
    has_previous_page: bool
    total_count: int

    @cached_property
    def edges(self) -> list[tuple[str, T]]:
        """(cursor, item) in display order."""
        return [(self.cursor_of(item), item) for item in self.items]


def encode_cursor(order: str, key: Key) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([order, *key])).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, order: str, argument: str) -> Key:
    """The key in a cursor made by `encode_cursor` for the same order; PagingError otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise PagingError(f"`{argument}` is not a cursor from this API; use an edge's `cursor` as it was given") from None
    if not isinstance(decoded, list) or not decoded or decoded[0] != order:
        raise PagingError(
            f"`{argument}` is a cursor for another ordering; page with cursors from the same `orderBy`"
        )
    return tuple(decoded[1:])


def check_page_size(request: PageRequest) -> None:
    for name in ("first", "last"):
        value = getattr(request, name)
        if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
            raise PagingError(f"`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {value}")


def paginate(
    items: Sequence[T],
    key: Callable[[T], Key],
    order: str,
    request: PageRequest,
    descending: bool = False,
) -> Page[T]:
    """One page of `items` (sorted ascending by `key`), shown ascending or descending."""
    check_page_size(request)
    low, high = 0, len(items)
    for argument, cursor in (("after", request.after), ("before", request.before)):
        if cursor is None:
            continue
        cursor_key = decode_cursor(cursor, order, argument)
        try:
            below, above = bisect_left(items, cursor_key, key=key), bisect_right(items, cursor_key, key=key)
        except TypeError:
            raise PagingError(f"`{argument}` does not hold a key of this list; use an edge's `cursor`") from None
        if (argument == "after") != descending:
            low = max(low, above)  # after in ascending display, or before in descending display
        else:
            high = min(high, below)
    high = max(low, high)
    window = range(low, high) if not descending else range(high - 1, low - 1, -1)
    if request.first is not None:
        window = window[: request.first]
    if request.last is not None:
        window = window[max(0, len(window) - request.last):]
    if request.first is None and request.last is None:
        window = window[:DEFAULT_PAGE_SIZE]
    shown = [items[index] for index in window]
    # The window's bounds say whether items lie beyond it, even when it is empty (`first: 0`).
    if descending:
        has_previous, has_next = window.start < len(items) - 1, window.stop >= 0
    else:
        has_previous, has_next = window.start > 0, window.stop < len(items)
    return Page(shown, lambda item: encode_cursor(order, key(item)), has_next, has_previous, len(items))
