"""Room on the interpreter's frame stack for graphql-core's deep recursion.

CPython 3.11 keeps Python frames in 16 KiB chunks and frees a chunk as soon as
the frame at its base returns. graphql-core completes a value by recursion, about
ten frames per level of the query; when the busy part of that recursion straddles
a chunk boundary, every crossing allocates and frees a chunk, so the same query
costs several times as much depending only on how deep the stack happened to
be when execution began (docs/performance.md has the measurements).

`call_with_room` calls a function from a frame that declares 128 KiB of value
stack it never uses. The interpreter cannot fit that frame in the current chunk,
so it starts a 256 KiB chunk for it, and the recursion above it runs in the
remaining ~128 KiB (about 500 graphql-core frames, far past the depth limit)
without crossing a boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

ROOM_SLOTS = 16_384  # pointer-sized slots: 128 KiB, so the chunk made for the frame is 256 KiB

T = TypeVar("T")


def call_with_room(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)`, run at the bottom of a fresh, roomy frame-stack chunk."""
    return function(*args, **kwargs)


call_with_room.__code__ = call_with_room.__code__.replace(co_stacksize=call_with_room.__code__.co_stacksize + ROOM_SLOTS)


class RoomyExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, executing each operation with room to recurse."""

    def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        return call_with_room(super().execute_operation, *args, **kwargs)
