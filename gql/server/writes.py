"""The writer the mutations write through (newsgraph.api's `Writes`): markdown into the store, events out of it.

Each write is one atomic store write under the writer lock, as `newsgraph load` makes
(newsgraph.load's `load_texts`, or a removal), and then the holder reloads, so the
mutation's answer, and every request after it, reads the new archive. A store that
cannot be written now (another writer holds it, it is damaged) fails with STORE_UNAVAILABLE.

Under `serve --watch`, `watched` is the directory whose markdown files are the source of
the events read from them (in this process, or the `serve` that started this worker:
WATCHED_VARIABLE). The next reload would bring back a deleted event and put the file's
content back over an imported one, so neither write changes such an event while its file
is there: a delete fails with WATCHED_FILE, an imported document at its path is rejected
with an error naming the file. `newsgraph.Newsgraph.execute` writes through one too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from newsgraph.api import STORE_UNAVAILABLE, WATCHED_FILE, WriteFailed
from newsgraph.archive import Archive, ArchiveHolder
from newsgraph.load import DocumentOutcome, LoadOptions, load_texts, shown_name
from newsgraph.store import EventStore, StoreCorrupt, StoreError

WATCHED_VARIABLE = "NEWSGRAPH_WATCHED"  # the directory `serve --watch` loads from (newsgraph.server.watch.start_watcher)
T = TypeVar("T")


def watched_directory() -> str | None:
    """The directory `serve --watch` follows, as this process was told (None when nothing is watched)."""
    return os.environ.get(WATCHED_VARIABLE) or None


class StoreWrites:
    """Writes to the holder's store, each followed by the holder's reload."""

    def __init__(self, holder: ArchiveHolder, watched: str | None = None) -> None:
        self.holder = holder
        self.watched = watched

    def import_texts(self, pairs: list[tuple[str, str]], strict: bool) -> list[DocumentOutcome]:
        def write(store: EventStore) -> list[DocumentOutcome]:
            with store.writing():
                sources = self._watched_sources(store)
                report = load_texts(store, pairs, LoadOptions(strict=strict),
                                    refused=lambda path: _source_refusal(sources, path))
            return report.documents

        return self._then_reload(write)

    def delete(self, path: str) -> bool:
        def write(store: EventStore) -> bool:
            with store.writing():
                refusal = _source_refusal(self._watched_sources(store), path)
                if refusal:
                    raise WriteFailed(f"not deleted: {refusal}", WATCHED_FILE)
                return store.write((), [path]).removed > 0

        return self._then_reload(write)

    def current(self) -> Archive:
        return self.holder.current()

    def _then_reload(self, write: Callable[[EventStore], T]) -> T:
        try:
            outcome = write(self.holder.store)
            self.holder.reload()
        except (StoreError, StoreCorrupt) as error:
            raise WriteFailed(f"the store cannot be written now: {error}", STORE_UNAVAILABLE) from None
        return outcome

    def _watched_sources(self, store: EventStore) -> dict[str, str]:
        """Canonical path → file of the stored events read from files under the watched directory (none unwatched).

        Called under the writer lock, so no load changes them before the write that follows.
        """
        if self.watched is None:
            return {}
        prefix = self.watched.rstrip(os.sep) + os.sep
        return {entry.path: entry.file for entry in store.entries() if entry.file and entry.file.startswith(prefix)}


def _source_refusal(sources: dict[str, str], path: str) -> str | None:
    """Why a mutation may not change the event at `path` (its watched file is there), or None."""
    file = sources.get(path)
    if file is None or not os.path.exists(file):  # a file gone: the next reload removes its event anyway
        return None
    return (f"{path} is read from {shown_name(file)}, which this server watches (serve --watch) and reloads: "
            f"change or delete that file instead")
