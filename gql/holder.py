"""The archive a server answers from, swapped whole when the store file changes.

A request takes `current()` once and keeps that archive to the end, so a reload
never changes data under a request in flight. Change is noticed by the store
file's identity (inode, size, mtime): an atomic rename always gives a new one.
While anyone subscribes to `feed`, each swap is compared with the archive it
replaces and the paths added, changed and removed are published there.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from newsgraph.archive import Archive
from newsgraph.changes import ChangeFeed, diff_archives
from newsgraph.collector import collector_paused
from newsgraph.store import EventStore

log = logging.getLogger("newsgraph")

FileIdentity = tuple[int, int, int] | None


def file_identity(path: Path) -> FileIdentity:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


class ArchiveHolder:
    """Holds the current `Archive` of a store and rebuilds it when the store file is replaced."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._identity: FileIdentity = None
        self._archive = Archive([])
        self.loaded_at = 0.0
        self.feed = ChangeFeed()  # what each swap added, changed and removed, for live subscribers
        self.reload()

    def current(self) -> Archive:
        return self._archive

    def reload(self) -> bool:
        """Rebuild from the store when its file changed since the last build; True when swapped."""
        with self._lock:
            identity = file_identity(self.store.path)
            if identity == self._identity:
                return False
            started = time.perf_counter()
            with collector_paused(freeze=True):  # millions of acyclic objects, kept until the next swap
                archive = Archive.from_documents(self.store.documents())
            previous, self._archive, self._identity, self.loaded_at = self._archive, archive, identity, time.time()
            if self.feed.subscribers:  # published under the lock, so subscribers see swaps in order
                change = diff_archives(previous, archive)
                if change:
                    self.feed.publish(change)
        log.info("archive loaded: %d events in %.2f s", len(archive.events), time.perf_counter() - started)
        return True

    @property
    def generation(self) -> str:
        """Names the store file the archive was built from: the same in every worker, new at every reload (ETags)."""
        return "-".join(map(str, self._identity or ()))

    def changed(self) -> bool:
        return file_identity(self.store.path) != self._identity
