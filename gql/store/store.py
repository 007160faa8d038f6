"""The store of record: events as TinyDB documents in one JSON file, keyed by canonical path.

Writers take a file lock (two loads never interleave) and write a whole batch in
one atomic replacement. Readers take no lock: a rename is atomic, so they see
either the previous store or the next one.

Every write also leaves a manifest beside the file (manifest.py): where each document
lies and what file it was read from. A later write under the same lock that finds the
manifest describing the file splices the few changed documents into a copy of the old
bytes (splice.py) instead of decoding and encoding the whole store; without a matching
manifest it goes through TinyDB's table API and makes one.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.table import Document as TinyDocument

from newsgraph.settings import DEFAULTS, spec
from newsgraph.store.documents import STAT_KEY, Document
from newsgraph.store.layout import decode_member
from newsgraph.store.manifest import (
    Entry,
    Manifest,
    entry_of,
    identity_of,
    manifest_of,
    read_manifest,
    remove_manifest,
    write_manifest,
)
from newsgraph.store.splice import PlacesDiffer, splice
from newsgraph.store.storage import (
    AtomicJSONStorage,
    StoreCorrupt,
    read_store_file,
    remove_stale_temporaries,
    replace_file,
)

SCHEMA_VERSION = 1
EVENTS_TABLE = "events"
META_TABLE = "meta"
DEFAULT_STORE = DEFAULTS.db
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


@dataclass
class _Changes:
    """What a batch changes: documents replaced in place (by id) and added (with new ids), and the counts."""

    replaced: dict[int, Document] = field(default_factory=dict)
    added: list[tuple[int, Document]] = field(default_factory=list)
    removed: set[int] = field(default_factory=set)
    unchanged: int = 0
    changed: int = 0

    def summary(self) -> WriteSummary:
        return WriteSummary(len(self.added), self.changed, self.unchanged, len(self.removed))


def default_store_path() -> Path:
    """`NEWSGRAPH_DB` when set, else `data/newsgraph.json` (the setting `db`)."""
    return Path(os.environ.get(spec("db").env) or DEFAULT_STORE)


class EventStore:
    """Upserts and removals of event documents, a batch at a time."""

    def __init__(self, path: str | os.PathLike[str], lock_timeout: float = DEFAULTS.lock_timeout) -> None:
        self.path = Path(path)
        self.lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout)
        self._decoded_under_lock: dict | None = None  # what a writer read, reused by its write
        self._manifest_under_lock: Manifest | None = None

    def documents(self) -> list[Document]:
        """Every stored event document (a snapshot; no lock needed).

        Read by a writer holding the lock, the decoded store is kept for its `write`: nobody
        else can change the file meanwhile, so a load decodes the store once, not twice.
        """
        return list(self._events().values())

    def served_documents(self) -> list[Document]:
        """Every stored event document, for a server: StoreCorrupt when the file is not a store to answer from.

        A writer takes a missing or empty file for a new store; a server that took it so would
        serve an empty archive in place of a good one, so missing, empty and table-less files
        are errors here, like a file that is not JSON.
        """
        data = read_store_file(self.path)
        if data is None:
            raise StoreCorrupt(f"{self.path}: the store file is {'empty' if self.path.exists() else 'missing'}")
        _check_version(self.path, data)
        events = data.get(EVENTS_TABLE)
        if events is None and isinstance(data.get(META_TABLE), dict):
            events = {}  # what a load of no files writes: the meta table alone
        if not isinstance(events, dict):
            raise StoreCorrupt(f"{self.path}: not a newsgraph store (no {EVENTS_TABLE!r} table)")
        return list(events.values())

    def check_servable(self) -> None:
        """StoreCorrupt unless a server can answer from the file (a missing one is a new, empty store here).

        Cheap for a file the manifest describes, which only a whole write of ours makes; else it is read.
        """
        if self.path.exists() and self._manifest() is None:
            self.served_documents()

    def entries(self) -> list[Entry]:
        """Every stored event's path and bookkeeping (file, content hash, stat), without its content.

        From the manifest when it describes the store file (no decoding); else from the
        decoded store, kept for the write like `documents`.
        """
        manifest = self._manifest()
        if manifest is not None:
            if self.lock.is_locked:
                self._manifest_under_lock = manifest
            return manifest.entries
        return [entry_of(int(key), document) for key, document in self._events().items()]

    def _events(self) -> dict[str, Document]:
        """The decoded events table by document id; kept for the write when read under the writer lock."""
        data = self._decoded_under_lock if self.lock.is_locked else None
        if data is None:
            data = read_store_file(self.path) or {}
            _check_version(self.path, data)
            if self.lock.is_locked:
                self._decoded_under_lock = data
        return data.get(EVENTS_TABLE, {})

    def documents_at(self, entries: Iterable[Entry]) -> dict[str, Document]:
        """The stored documents of these entries (from `entries()` under the same writer lock), by path.

        Read alone from their places when the manifest gave the entries and fits the file;
        else from the decoded store.
        """
        wanted = list(entries)
        if not wanted:
            return {}
        manifest = self._manifest_under_lock if self.lock.is_locked else None
        if manifest is not None:
            with self._opened(manifest.identity) as opened:
                placed = _read_placed(opened[1], manifest, wanted) if opened is not None else None
            if placed is not None:
                return {entry.path: document for entry, document in zip(wanted, placed, strict=True)}
        by_path = {document["path"]: document for document in self._events().values()}
        return {entry.path: by_path[entry.path] for entry in wanted if entry.path in by_path}

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
                # the last release: the file may change from now on
                self._decoded_under_lock = self._manifest_under_lock = None
            self.lock.release()

    def write(self, upserts: Iterable[Document], removals: Iterable[str] = ()) -> WriteSummary:
        """Upsert documents by `path` and remove paths, as one atomic write under the writer lock.

        A path both upserted and removed is upserted.
        """
        with self.writing():
            remove_stale_temporaries(self.path)  # left by a writer killed mid-write; we hold the lock, so none is live
            documents = list(upserts)
            paths = set(removals).difference(document["path"] for document in documents)
            manifest = self._manifest_under_lock or self._manifest()
            self._manifest_under_lock = None  # used once: the write changes the file
            summary = self._write_spliced(manifest, documents, paths) if manifest is not None else None
            if summary is None:  # no manifest, or the file changed under it
                summary = self._write_through_tinydb(documents, paths)
            return summary

    def _manifest(self) -> Manifest | None:
        try:
            identity = identity_of(self.path.stat())
        except FileNotFoundError:
            return None
        manifest = read_manifest(self.path, identity)
        return manifest if manifest is not None and manifest.schema_version == SCHEMA_VERSION else None

    @contextlib.contextmanager
    def _opened(self, identity: list[int]) -> Iterator[tuple[int, mmap.mmap] | None]:
        """The store file open (its descriptor) and its bytes mapped; None when it is no longer the file of `identity`."""
        with open(self.path, "rb") as handle:
            if identity_of(os.fstat(handle.fileno())) != identity:
                yield None
                return
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                yield handle.fileno(), mapped

    def _write_spliced(self, manifest: Manifest, upserts: list[Document], removals: set[str]) -> WriteSummary | None:
        """The write as a splice of the old bytes; None when the file changed since the manifest was read or does not fit it."""
        by_path = {entry.path: entry for entry in manifest.entries}
        with self._opened(manifest.identity) as opened:
            if opened is None:
                return None
            descriptor, old = opened

            def previous(path: str) -> tuple[int, Document] | None:
                entry = by_path.get(path)
                if entry is None:
                    return None
                placed = _read_placed(old, manifest, [entry])
                if placed is None:
                    raise PlacesDiffer(f"document {entry.doc_id} is not where the manifest places it")
                return entry.doc_id, placed[0]

            next_id = max((entry.doc_id for entry in manifest.entries), default=0) + 1
            try:
                changes = _changes(upserts, previous, next_id)
                changes.removed = {by_path[path].doc_id for path in removals if path in by_path}
                if not (changes.replaced or changes.added or changes.removed):
                    return changes.summary()
                spliced = splice(old, manifest, changes.replaced, changes.removed, changes.added)
            except PlacesDiffer:  # the manifest does not fit the file: decode it instead
                return None
            replace_file(self.path, spliced.pieces, source=descriptor)
        identity = identity_of(self.path.stat())
        write_manifest(self.path, Manifest(identity, manifest.schema_version, spliced.body_start, spliced.body_end,
                                           spliced.entries))
        return changes.summary()

    def _write_through_tinydb(self, upserts: list[Document], removals: set[str]) -> WriteSummary:
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

            def previous(path: str) -> tuple[int, Document] | None:
                document = stored.get(path)
                return None if document is None else (document.doc_id, dict(document))

            # Every inserted document gets its id here: left to TinyDB, a new document could be given
            # the id of a replaced one (removed just before, re-inserted in the same call) and fail.
            next_id = max((document.doc_id for document in stored.values()), default=0) + 1
            changes = _changes(upserts, previous, next_id)
            changes.removed = {stored[path].doc_id for path in removals if path in stored}
            if changes.replaced or changes.removed:
                events.remove(doc_ids=[*changes.replaced, *changes.removed])
            new_documents = [TinyDocument(document, doc_id=doc_id)
                             for doc_id, document in [*changes.replaced.items(), *changes.added]]
            if new_documents:
                events.insert_multiple(new_documents)
            if new_documents or changes.removed or not self.path.exists():
                database.table(META_TABLE).upsert(TinyDocument({"schema_version": SCHEMA_VERSION}, doc_id=1))
                remove_manifest(self.path)  # the old one describes the old file; the new one follows the write
        if storage.written is not None and EVENTS_TABLE in storage.written[1]:
            data, layouts = storage.written
            write_manifest(self.path, manifest_of(identity_of(self.path.stat()), SCHEMA_VERSION, layouts[EVENTS_TABLE],
                                                  data[EVENTS_TABLE]))
        return changes.summary()


def _changes(
    upserts: list[Document], previous: Callable[[str], tuple[int, Document] | None], next_id: int
) -> _Changes:
    """Sort a batch's upserts into added, replaced (anything differs, bookkeeping included) and counts.

    Unchanged and changed count content only: a document whose file moved or whose stat
    was refreshed is rewritten but counted unchanged.
    """
    changes = _Changes()
    for document in upserts:
        found = previous(document["path"])
        if found is None:
            changes.added.append((next_id, document))
            next_id += 1
            continue
        doc_id, stored = found
        if _content(stored) == _content(document):
            changes.unchanged += 1
        else:
            changes.changed += 1
        if stored != document:
            changes.replaced[doc_id] = document
    return changes


def _read_placed(old: mmap.mmap, manifest: Manifest, entries: list[Entry]) -> list[Document] | None:
    """The documents at the entries' places in the store's bytes; None when a place holds anything else."""
    documents = []
    for entry in entries:
        start, end = manifest.span(entry)
        try:
            document = decode_member(old[start:end])
        except ValueError:
            return None
        if not isinstance(document, dict) or document.get("path") != entry.path:
            return None
        documents.append(document)
    return documents


def _content(document: Document) -> Document:
    return {key: value for key, value in document.items() if key not in BOOKKEEPING}


def _check_version(path: Path, data: dict) -> None:
    meta = data.get(META_TABLE, {}).get("1", {})
    version = meta.get("schema_version", SCHEMA_VERSION)
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path} has store schema {version}; this newsgraph reads up to {SCHEMA_VERSION}")
