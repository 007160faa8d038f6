"""A new store file from the old one's bytes: changed documents encoded again, every other one copied.

Pure: it reads the old file's bytes (anything that slices to bytes, such as an mmap)
and the manifest that places each document in them, and returns the new file as pieces
of bytes with the manifest entries of the new file. Consecutive unchanged documents are
copied as one slice, separators included, so a load that changes 1% of a store copies
a few hundred slices and encodes 1% of its documents. Each slice's ends are checked
against the bytes (PlacesDiffer): a manifest that does not fit the file is never used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from gql.store.documents import Document
from gql.store.layout import SEPARATOR, encode_member
from gql.store.manifest import Entry, Manifest, entry_of


class PlacesDiffer(Exception):
    """The old file's bytes are not laid out as the manifest says (so the manifest must not be used)."""


class Bytes(Protocol):
    def __getitem__(self, index: slice, /) -> bytes: ...


@dataclass
class Spliced:
    """The new file's pieces (written in order, they are the file) and its events' entries and body range."""

    pieces: list[bytes]
    entries: list[Entry]
    body_start: int
    body_end: int


@dataclass
class _Body:
    """The new events body, built a member (or a run of copied members) at a time."""

    start: int
    parts: list[bytes] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    offset: int = 0  # where the next part starts

    def __post_init__(self) -> None:
        self.offset = self.start

    def copy(self, old: Bytes, run: Sequence[Entry]) -> None:
        """Consecutive old members, with the separators between them, as they were."""
        first, last = run[0], run[-1]
        if old[first.start:first.start + len(str(first.doc_id)) + 3] != b'"%d":' % first.doc_id or \
                old[last.end:last.end + 1] not in (b",", b"\n"):
            raise PlacesDiffer(f"document {first.doc_id} or {last.doc_id} is not where the manifest places it")
        self.parts.append(old[first.start:last.end])
        shift = self.offset - run[0].start
        self.entries.extend(entry.moved(shift) for entry in run)
        self.offset += run[-1].end - run[0].start + len(SEPARATOR)

    def encode(self, doc_id: int, document: Document) -> None:
        member = encode_member(str(doc_id), document)
        self.parts.append(member)
        self.entries.append(entry_of(doc_id, document, self.offset, self.offset + len(member)))
        self.offset += len(member) + len(SEPARATOR)

    def pieces(self) -> list[bytes]:
        """The parts with a separator between two and a newline after the last (layout.py)."""
        pieces: list[bytes] = []
        for part in self.parts:
            pieces += (part, SEPARATOR)
        if pieces:
            pieces[-1] = b"\n"
        return pieces

    @property
    def end(self) -> int:
        return self.offset - len(SEPARATOR) + 1 if self.parts else self.start


def splice(
    old: Bytes, manifest: Manifest, replaced: dict[int, Document], removed: set[int], added: list[tuple[int, Document]]
) -> Spliced:
    """The file `old` (described by `manifest`) with documents replaced (by id, in place), removed, and added at the end."""
    body = _Body(manifest.body_start)
    run: list[Entry] = []
    for entry in manifest.entries:
        document = replaced.get(entry.doc_id)
        if document is None and entry.doc_id not in removed:
            run.append(entry)
            continue
        if run:
            body.copy(old, run)
            run = []
        if document is not None:
            body.encode(entry.doc_id, document)
    if run:
        body.copy(old, run)
    for doc_id, document in added:
        body.encode(doc_id, document)
    pieces = [old[:manifest.body_start], *body.pieces(), old[manifest.body_end:]]
    return Spliced(pieces, body.entries, body.start, body.end)
