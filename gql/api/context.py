"""What a resolver reads from the request context, which the server (or a script) fills in.

- ARCHIVE: the archive snapshot of this request.
- WRITES: what the mutations write through (`Writes`): the API parses no markdown and
  opens no file; the server hands it a writer over its store (newsgraph.server's
  `StoreWrites`), which reloads the archive after each write.
- CHANGES: the feed `eventsChanged` follows (`Changes`): what each reload changed.
- ACCESS: what the server found out about the caller's right to write (newsgraph.api.auth's
  `WriteAccess`): the API reads no header and compares no token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from strawberry.types import Info

from newsgraph.api.limits import check_deadline
from newsgraph.archive import Archive, ArchiveChange
from newsgraph.parse import Problem

ARCHIVE = "archive"
WRITES = "writes"  # a `Writes`; absent where nothing may be written
CHANGES = "changes"  # a `Changes`; absent where nothing is followed (a script)
ACCESS = "write access"  # a WriteAccess: may this caller run mutations, or why not


class WriteFailed(Exception):
    """A write a `Writes` could not make, said as the client is told it: the message, and its error code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class ImportOutcome(Protocol):
    """What became of one imported document (newsgraph.load's DocumentOutcome is one)."""

    @property
    def name(self) -> str: ...  # the name it was sent with
    @property
    def path(self) -> str | None: ...  # where it is stored; None when rejected
    @property
    def problems(self) -> Sequence[Problem]: ...


class Writes(Protocol):
    """The store, as the mutations may change it. Methods block (the API calls them off the event loop);
    each write is one atomic store write, after which `current()` is the archive that holds it.
    A write refused or impossible raises WriteFailed."""

    def import_texts(self, pairs: list[tuple[str, str]], strict: bool) -> Sequence[ImportOutcome]:
        """Parse (name, markdown) pairs and store the accepted ones; one outcome per pair, in order."""

    def delete(self, path: str) -> bool:
        """Remove the event at a canonical path; False when there was none."""

    def current(self) -> Archive:
        """The archive as it is now, after the writes."""


class Changes(Protocol):
    """What each reload of the archive changed, as it happens (newsgraph.archive's ChangeFeed is one)."""

    def subscribe(self) -> AsyncIterator[ArchiveChange]:
        """Every change from now on, until the caller stops iterating (or falls too far behind)."""


def archive_of(info: Info[Any, Any]) -> Archive:
    """The archive the request started with: a reload during the request does not change it.

    A resolver that fans out calls this first (or `limits.check_deadline` itself when
    its object carries the archive), so it is where a query past its time limit
    stops (one clock read, no per-field hook).
    """
    check_deadline()
    return info.context[ARCHIVE]
