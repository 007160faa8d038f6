"""A new store file from the old one's bytes: changed documents encoded again, every other one copied.

Pure: it reads the old file's bytes (anything that slices to bytes, such as an mmap)
and the manifest that places each document in them, and returns the new file as pieces,
bytes and `Span`s of the old file (copied by `replace_file`), with the manifest entries of
the new file. Consecutive unchanged documents are copied as one span, separators
included, and keep their entries, so a load that changes 1% of a store copies a few
hundred spans and encodes 1% of its documents. Each span's ends are checked against the
bytes (PlacesDiffer): a manifest that does not fit the file is never used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from newsgraph.store.documents import Document
from newsgraph.store.layout import SEPARATOR, encode_member
from newsgraph.store.manifest import Entry, Manifest, entry_of
from newsgraph.store.storage import Span


class PlacesDiffer(Exception):
    """The old file's bytes are not laid out as the manifest says (so the manifest must not be used)."""


class Bytes(Protocol):
    def __getitem__(self, index: slice, /) -> bytes: ...


@dataclass
class Spliced:
    """The new file's pieces (written in order, they are the file) and its events' entries and body range."""

    pieces: list[bytes | Span]
    entries: list[Entry]
    body_start: int
    body_end: int


@dataclass
class _Body:
    """The new events body, built a member (or a run of copied members) at a time."""

    start: int
    parts: list[bytes | Span] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    offset: int = 0  # where the next part starts

    def __post_init__(self) -> None:
        self.offset = self.start

    def copy(self, old: Bytes, manifest: Manifest, first: int, stop: int) -> None:
        """The old members `entries[first:stop]`, with the separators between them, as they were."""
        run = manifest.entries[first:stop]
        start, end = manifest.span(run[0])[0], manifest.span(run[-1])[1]
        if old[start:start + len(str(run[0].doc_id)) + 3] != b'"%d":' % run[0].doc_id or \
                old[end - 1:end + 1] not in (b"},", b"}\n"):
            raise PlacesDiffer(f"document {run[0].doc_id} or {run[-1].doc_id} is not where the manifest places it")
        self.parts.append(Span(start, end))
        self.entries += run
        self.offset += end - start + len(SEPARATOR)

    def encode(self, doc_id: int, document: Document) -> None:
        member = encode_member(str(doc_id), document)
        self.parts.append(member)
        self.entries.append(entry_of(doc_id, document, len(member)))
        self.offset += len(member) + len(SEPARATOR)

    def pieces(self) -> list[bytes | Span]:
        """The parts with a separator between two and a newline after the last (layout.py)."""
        pieces: list[bytes | Span] = []
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
    run_first: int | None = None  # where the current run of unchanged entries began
    for index, entry in enumerate(manifest.entries):
        document = replaced.get(entry.doc_id)
        if document is None and entry.doc_id not in removed:
            if run_first is None:
                run_first = index
            continue
        if run_first is not None:
            body.copy(old, manifest, run_first, index)
            run_first = None
        if document is not None:
            body.encode(entry.doc_id, document)
    if run_first is not None:
        body.copy(old, manifest, run_first, len(manifest.entries))
    for doc_id, document in added:
        body.encode(doc_id, document)
    pieces = [old[:manifest.body_start], *body.pieces(), old[manifest.body_end:]]
    return Spliced(pieces, body.entries, body.start, body.end)
