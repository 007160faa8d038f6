"""The archive a server answers from, swapped whole when the store file changes.

A request takes `current()` once and keeps that archive to the end, so a reload
never changes data under a request in flight. Change is noticed by the store
file's identity (inode, size, mtime): an atomic rename always gives a new one.
While anyone subscribes to `feed`, each swap is compared with the archive it
replaces and the paths added, changed and removed are published there.

A server's holder (`search_ready=True`) builds each archive's search index and its
health findings (the doctor's, `Query.health`) with the archive, before it is served:
the first archive before the server listens, a reloaded one while the previous archive
keeps answering, so no request pays for either.

A store file that cannot be served (deleted, empty, not a store, damaged) never
replaces the archive: the last good one stays in service, `store_error` says why
(`/healthz` reports it), and the error is logged once per change of the file.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from newsgraph.archive.archive import Archive
from newsgraph.archive.changes import ChangeFeed, diff_archives
from newsgraph.collector import collector_paused, refreeze
from newsgraph.store import EventStore, StoreCorrupt, StoreError

log = logging.getLogger("newsgraph")

FileIdentity = tuple[int, int, int] | None


def file_identity(path: Path) -> FileIdentity:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


def _prepare(archive: Archive) -> None:
    """Build what an archive makes on first use and no request should wait for (cached properties)."""
    archive.search_index  # noqa: B018
    archive.health  # noqa: B018
    archive.unresolved_links  # noqa: B018


class ArchiveHolder:
    """Holds the current `Archive` of a store and rebuilds it when the store file is replaced."""

    def __init__(self, store: EventStore, search_ready: bool = False) -> None:
        self.store = store
        self.search_ready = search_ready  # build the search index before an archive is served (else on first search)
        self._lock = threading.Lock()
        self._identity: FileIdentity = None  # of the store file last read, whether it could be served or not
        self._served: FileIdentity = None  # of the store file the archive was built from
        self._archive = Archive([])
        if search_ready:  # served as it is while no store file exists yet
            _prepare(self._archive)
        self.loaded_at = 0.0
        self.store_error: str | None = None  # why the store file as it is now is not what is served
        self.feed = ChangeFeed()  # what each swap added, changed and removed, for live subscribers
        self.reload()
        if self.store_error:  # no good archive to keep serving: a server must not start on this file
            raise StoreCorrupt(self.store_error)

    def current(self) -> Archive:
        return self._archive

    def reload(self) -> bool:
        """Rebuild from the store when its file changed since it was last read; True when swapped.

        A store missing at the start is an empty archive, as before any load; one that goes
        missing later is an error like any other file that cannot be served (at the start,
        such a file is StoreCorrupt, raised by the constructor).
        """
        with self._lock:
            identity = file_identity(self.store.path)
            if identity == self._identity:
                return False
            self._identity = identity
            started = time.perf_counter()
            with collector_paused():
                archive = self._build()
                if archive is None:
                    return False
                previous, self._archive, self._served = self._archive, archive, identity
                self.loaded_at, self.store_error = time.time(), None
                change = diff_archives(previous, archive) if self.feed.subscribers else None
                del previous
                refreeze()  # millions of acyclic objects, kept until the next swap (newsgraph.collector)
            if change:  # published under the lock, so subscribers see swaps in order
                self.feed.publish(change)
        log.info("archive loaded: %d events in %.2f s", len(archive.events), time.perf_counter() - started)
        return True

    def _build(self) -> Archive | None:
        """The archive of the store file as it is; None when it cannot be served (`store_error` says why, logged)."""
        try:
            archive = Archive.from_documents(self.store.served_documents())
            if self.search_ready:
                _prepare(archive)
            return archive
        except (StoreCorrupt, StoreError, OSError) as error:
            self.store_error = str(error)
        except Exception as error:  # a document of the wrong shape: still no reason to stop serving
            self.store_error = f"{self.store.path}: not a newsgraph store ({type(error).__name__}: {error})"
        log.error("%s; the archive in service (%d events) stays", self.store_error, len(self._archive.events))
        return None

    @property
    def generation(self) -> str:
        """Names the store file the archive was built from: the same in every worker, new at every reload (ETags)."""
        return "-".join(map(str, self._served or ()))

    def changed(self) -> bool:
        return file_identity(self.store.path) != self._identity

    def health(self) -> dict[str, Any]:
        """What `/healthz` answers: "ok", or "degraded" with `storeError` while the store file cannot be served.

        `search` is "ready" when the archive in service has its search index, else "onFirstSearch"
        (a holder without `search_ready`, before anyone searched).

        Degraded is still answered with HTTP 200: the server keeps answering from its last
        good archive, and a restart would not help (it would refuse to start on the same file).
        """
        health: dict[str, Any] = {"status": "degraded" if self.store_error else "ok",
                                  "events": len(self._archive.events), "loadedAt": self.loaded_at,
                                  "search": "ready" if "search_index" in vars(self._archive) else "onFirstSearch"}
        if self.store_error:
            health["storeError"] = self.store_error
        return health
