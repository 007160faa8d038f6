"""What changed between two archives, and the feed that tells live subscribers about it.

The holder computes an `ArchiveChange` each time it swaps in a new archive (in
whatever thread the reload ran) and publishes it to its `ChangeFeed`; each
subscriber has a queue on its own event loop, filled thread-safely.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass

from newsgraph.archive.archive import Archive

log = logging.getLogger("newsgraph")

SUBSCRIBER_BACKLOG = 256  # changes a subscriber may fall behind by before it is dropped


@dataclass(frozen=True)
class ArchiveChange:
    """Canonical paths added, changed (same path, different content) and removed, each sorted."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def diff_archives(old: Archive, new: Archive) -> ArchiveChange:
    """Compare the events of two archives by path; `Event` records are values, so `!=` compares content."""
    before, after = old.events, new.events
    return ArchiveChange(
        added=tuple(sorted(after.keys() - before.keys())),
        changed=tuple(sorted(path for path, event in after.items() if path in before and before[path] != event)),
        removed=tuple(sorted(before.keys() - after.keys())),
    )


class ChangeFeed:
    """Fan-out of archive changes to async subscribers; `publish` may be called from any thread."""

    def __init__(self, backlog: int = SUBSCRIBER_BACKLOG) -> None:
        self._backlog = backlog
        self._lock = threading.Lock()
        self._subscribers: dict[asyncio.Queue[ArchiveChange | None], asyncio.AbstractEventLoop] = {}

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, change: ArchiveChange) -> None:
        """Deliver to every subscriber on its own loop; never blocks, whatever thread calls it."""
        with self._lock:
            subscribers = list(self._subscribers.items())
        for queue, loop in subscribers:
            try:
                loop.call_soon_threadsafe(self._deliver, queue, change)
            except RuntimeError:  # that loop is closed: the subscriber is gone
                self._drop(queue)

    def _deliver(self, queue: asyncio.Queue[ArchiveChange | None], change: ArchiveChange) -> None:
        if queue not in self._subscribers:
            return  # dropped (or gone) since this delivery was scheduled
        try:
            queue.put_nowait(change)
        except asyncio.QueueFull:
            # it has missed changes now: end its stream at once rather than let it believe it is current
            log.warning("a subscriber fell %d changes behind; ending its subscription", self._backlog)
            self._drop(queue)
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(None)

    def _drop(self, queue: asyncio.Queue[ArchiveChange | None]) -> None:
        with self._lock:
            self._subscribers.pop(queue, None)

    async def subscribe(self) -> AsyncIterator[ArchiveChange]:
        """Every change published from now on, until the caller stops iterating.

        A subscriber more than `backlog` changes behind is ended (the iteration stops):
        it has missed changes, and should subscribe again and re-read what it shows.
        """
        queue: asyncio.Queue[ArchiveChange | None] = asyncio.Queue(maxsize=self._backlog)
        with self._lock:
            self._subscribers[queue] = asyncio.get_running_loop()
        try:
            while (change := await queue.get()) is not None:
                yield change
        finally:
            self._drop(queue)
