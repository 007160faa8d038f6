"""The store's manifest: each event document's bookkeeping and place in the file, kept beside the store.

A load decides from each file's stat and hash which events changed (newsgraph.load) and
rewrites only those. With the manifest it does so without decoding the store (the
slowest step of a load that changes little) or encoding it again: unchanged documents are copied as bytes
(splice.py). The manifest is derived data. It names the store file it describes by
identity (size, mtime, ctime, inode; ctime cannot be set from user space and changes on
every write), so a store written by anything else (TinyDB itself, an editor, an older
newsgraph) no longer matches: the next write decodes the store and writes a fresh manifest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from newsgraph.store.documents import STAT_KEY, Document
from newsgraph.store.layout import SEPARATOR, TableLayout
from newsgraph.store.storage import replace_file

MANIFEST_VERSION = 2  # 1 placed each document by start and end; 2 by its length alone


class Entry(NamedTuple):
    """One stored event: its id, canonical path and bookkeeping, and the length of its `"id":{...}` bytes.

    Entries made by decoding a store (no manifest) have no length (0).
    """

    doc_id: int
    path: str
    file: str | None
    content_hash: str | None
    stat: list[int] | None
    length: int = 0


_DOC_ID, _LENGTH = attrgetter("doc_id"), attrgetter("length")


@dataclass(frozen=True)
class Manifest:
    """The events table of one store file, as `identity` names it.

    The documents follow each other in the order of `entries` from `body_start`, a
    SEPARATOR between two, so an entry's place is the sum of the lengths before it: a
    write that copies most documents reuses their entries as they are, whatever moved.
    """

    identity: list[int]
    schema_version: int
    body_start: int
    body_end: int
    entries: list[Entry]

    def span(self, entry: Entry) -> tuple[int, int]:
        """Where the entry's `"id":{...}` lies in the file: (first byte, byte after the last)."""
        start = self._starts[entry.doc_id]
        return start, start + entry.length

    @cached_property
    def _starts(self) -> dict[int, int]:
        steps = map(len(SEPARATOR).__add__, map(_LENGTH, self.entries))  # no Python frame per entry
        return dict(zip(map(_DOC_ID, self.entries), accumulate(steps, initial=self.body_start), strict=False))  # one start more: the end


def identity_of(status: os.stat_result) -> list[int]:
    """[size, mtime_ns, ctime_ns, inode]: what names the store file a manifest describes."""
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


def manifest_path(store: Path) -> Path:
    return store.with_name(store.name + ".manifest")


def entry_of(doc_id: int, document: Document, length: int = 0) -> Entry:
    return Entry(doc_id, document["path"], document.get("file"), document.get("content_hash"),
                 document.get(STAT_KEY), length)


def manifest_of(identity: list[int], schema_version: int, placed: TableLayout, events: dict[str, Document]) -> Manifest:
    """The manifest of a store file just written from `events`, placed as `placed` says."""
    entries = [entry_of(int(key), events[key], end - start) for key, start, end in placed.members]
    return Manifest(identity, schema_version, placed.body_start, placed.body_end, entries)


def read_manifest(store: Path, identity: list[int]) -> Manifest | None:
    """The manifest of the store file of this identity; None when there is none, it describes another file, or is unreadable."""
    try:
        raw: Any = orjson.loads(manifest_path(store).read_bytes())
        if not isinstance(raw, dict) or raw.get("version") != MANIFEST_VERSION or raw.get("identity") != identity:
            return None
        return Manifest(identity, raw["schema_version"], raw["body"][0], raw["body"][1],
                        list(map(Entry._make, raw["entries"])))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # derived data: the store itself is read instead


def write_manifest(store: Path, manifest: Manifest) -> None:
    """Write the manifest beside the store, by rename but without fsync.

    A crash may leave the old manifest, none, or (after a power loss) a damaged one: the
    first names another store file and the others do not decode, so each is ignored.
    """
    replace_file(manifest_path(store), orjson.dumps({
        "version": MANIFEST_VERSION, "identity": manifest.identity, "schema_version": manifest.schema_version,
        "body": [manifest.body_start, manifest.body_end], "entries": manifest.entries,
    }, default=tuple), durable=False)  # entries are NamedTuples, which orjson leaves to `default`


def remove_manifest(store: Path) -> None:
    """Forget the manifest (before a write that cannot make a new one), so no stale one outlives its file."""
    manifest_path(store).unlink(missing_ok=True)
