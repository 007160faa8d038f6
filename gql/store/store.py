"""The store of record: events as TinyDB documents in one JSON file, keyed by canonical path.

Writers take a file lock (two loads never interleave) and write a whole batch in
one atomic replacement. Readers take no lock: a rename is atomic, so they see
either the previous store or the next one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.table import Document as TinyDocument

from gql.store.documents import Document
from gql.store.storage import AtomicJSONStorage, read_store_file, remove_stale_temporaries

SCHEMA_VERSION = 1
EVENTS_TABLE = "events"
META_TABLE = "meta"
DEFAULT_STORE = Path("data/newsgraph.json")
STAT_KEY = "file_stat"  # the file's [size, mtime_ns, ctime_ns, inode] when read (see gql.loader)
BOOKKEEPING = ("file", "content_hash", STAT_KEY)  # where a document was read from, not what it says


class StoreError(Exception):
    """The store cannot be used as asked: locked by another writer, or of a newer schema."""


@dataclass(frozen=True)
class WriteSummary:
    """What one batch did to the store."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0


def default_store_path() -> Path:
    """`NEWSGRAPH_DB` when set, else `data/newsgraph.json`."""
    return Path(os.environ.get("NEWSGRAPH_DB") or DEFAULT_STORE)


class EventStore:
    """Upserts and removals of event documents, a batch at a time."""

    def __init__(self, path: str | os.PathLike[str], lock_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout)
        self._decoded_under_lock: dict | None = None  # what a writer read, reused by its write

    def documents(self) -> list[Document]:
        """Every stored event document (a snapshot; no lock needed).

        Read by a writer holding the lock, the decoded store is kept for its `write`: nobody
        else can change the file meanwhile, so a load decodes the store once, not twice.
        """
        data = read_store_file(self.path) or {}
        _check_version(self.path, data)
        if self.lock.is_locked:
            self._decoded_under_lock = data
        return list(data.get(EVENTS_TABLE, {}).values())

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lock for a whole read-decide-write (a load); StoreError when another writer keeps it.

        Reentrant: `write` inside the block takes the same lock again without waiting.
        The lock is an OS file lock, so a writer that dies (even by SIGKILL) releases it.
        """
        try:
            self.lock.acquire()
        except Timeout:
            raise StoreError(
                f"{self.path} is being written by another process (lock {self.lock.lock_file} "
                f"held for more than {self.lock.timeout:g} s); try again when that load ends"
            ) from None
        try:
            yield
        finally:
            if self.lock.lock_counter == 1:
                self._decoded_under_lock = None  # the last release: the file may change from now on
            self.lock.release()

    def write(self, upserts: Iterable[Document], removals: Iterable[str] = ()) -> WriteSummary:
        """Upsert documents by `path` and remove paths, as one atomic write under the writer lock."""
        with self.writing():
            return self._write_locked(list(upserts), set(removals))

    def _write_locked(self, upserts: list[Document], removals: set[str]) -> WriteSummary:
        remove_stale_temporaries(self.path)  # left by a writer killed mid-write; we hold the lock, so none is live
        storage_holder: list[AtomicJSONStorage] = []

        def make_storage(path: str) -> AtomicJSONStorage:
            storage_holder.append(AtomicJSONStorage(path))
            return storage_holder[0]

        database = TinyDB(self.path, storage=make_storage)
        storage = storage_holder[0]
        decoded, self._decoded_under_lock = self._decoded_under_lock, None  # used once: the write changes it
        with storage.deferred(decoded):
            _check_version(self.path, storage.read() or {})
            events = database.table(EVENTS_TABLE, cache_size=0)
            stored = {document["path"]: document for document in events.all()}
            # Every inserted document gets its id here: left to TinyDB, a new document could be given
            # the id of a replaced one (removed just before, re-inserted in the same call) and fail.
            next_id = max((document.doc_id for document in stored.values()), default=0) + 1
            replaced_ids: list[int] = []
            new_documents: list[TinyDocument] = []
            added = changed = unchanged = 0
            for document in upserts:
                previous = stored.get(document["path"])
                if previous is None:
                    added += 1
                    new_documents.append(TinyDocument(document, doc_id=next_id))
                    next_id += 1
                    continue
                if _content(previous) == _content(document):
                    unchanged += 1
                else:
                    changed += 1
                if dict(previous) != document:
                    replaced_ids.append(previous.doc_id)
                    new_documents.append(TinyDocument(document, doc_id=previous.doc_id))
            removed_ids = [stored[path].doc_id for path in removals if path in stored]
            if replaced_ids or removed_ids:
                events.remove(doc_ids=replaced_ids + removed_ids)
            if new_documents:
                events.insert_multiple(new_documents)
            if new_documents or removed_ids or not self.path.exists():
                database.table(META_TABLE).upsert(
                    TinyDocument({"schema_version": SCHEMA_VERSION}, doc_id=1)
                )
        return WriteSummary(added, changed, unchanged, len(removed_ids))


def _content(document: Document) -> Document:
    return {key: value for key, value in document.items() if key not in BOOKKEEPING}


def _check_version(path: Path, data: dict) -> None:
    meta = data.get(META_TABLE, {}).get("1", {})
    version = meta.get("schema_version", SCHEMA_VERSION)
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} has store schema {version}; this newsgraph reads up to {SCHEMA_VERSION}")
