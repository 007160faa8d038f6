"""The records the parser produces: plain, immutable values with no behaviour of their own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple


class Severity(str, Enum):  # noqa: UP042 - StrEnum would change str(): 'error', not 'Severity.ERROR'
    ERROR = "error"  # the file is rejected
    WARNING = "warning"  # the file is loaded; something in it was skipped or odd


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located so a person can go and fix it."""

    file: str
    line: int
    message: str
    severity: Severity = Severity.WARNING

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class Source(NamedTuple):
    """A reporting outlet: the link text is its name.

    A named tuple, like RelatedItem: an archive makes millions of these from the
    store, and a tuple is made in a third of a frozen dataclass's time.
    """

    name: str
    url: str


class RelatedItem(NamedTuple):
    """A link to another event, as written: the target may or may not be in the archive."""

    path: str
    headline: str
    date: dt.date | None
    context: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    """One news event, identified by its canonical path."""

    path: str
    date: dt.date
    headline: str
    summary: str = ""  # plain text, entities decoded
    summary_markdown: str = ""  # the summary as written, for rendering
    sources: tuple[Source, ...] = ()
    cover_image: str | None = None
    related: tuple[RelatedItem, ...] = ()


@dataclass(frozen=True)
class ParseResult:
    """What parsing one file gives: an event (None when rejected) and its problems."""

    event: Event | None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def rejected(self) -> bool:
        return self.event is None
