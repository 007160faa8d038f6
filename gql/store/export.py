"""Stored events back out: markdown files in the archive's layout, or JSON lines.

Markdown goes to `DIR/news/YYYY/MM/D/slug.md` (the canonical path under DIR), each
file written by `render_event`, so loading the export gives back the same events.
JSON lines hold one object per event, in archive order (date, then path), with the
fields the store keeps: path, date, headline, summary, summary_markdown, sources,
cover_image, related. Used by `newsgraph export` and by scripts (`Newsgraph.export`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import orjson

from newsgraph.parse import Event, render_event
from newsgraph.store.documents import Document, document_to_event, event_to_document
from newsgraph.store.store import BOOKKEEPING

FORMATS = ("md", "jsonl")


class ExportError(Exception):
    """An event cannot be written where the export would put it."""


def events_of(documents: Iterable[Document]) -> list[Event]:
    """Stored documents as events, in archive order."""
    return sorted((document_to_event(document) for document in documents), key=lambda event: (event.date, event.path))


def export_markdown(events: Iterable[Event], directory: Path) -> int:
    """Write one markdown file per event at its canonical path under `directory`; how many were written."""
    root = directory.resolve()
    count = 0
    for event in events:
        target = (root / event.path.lstrip("/")).resolve()
        if not target.is_relative_to(root) or target.suffix != ".md":
            raise ExportError(f"{event.path}: not a canonical path; refusing to write outside {root}")
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(render_event(event))
        count += 1
    return count


def event_record(event: Event) -> Document:
    """The JSON object of one event: its stored fields without where it was read from."""
    return {key: value for key, value in event_to_document(event).items() if key not in BOOKKEEPING}


def export_jsonl(events: Iterable[Event], stream: TextIO) -> int:
    """Write one JSON object per line; how many were written."""
    count = 0
    for event in events:
        stream.write(orjson.dumps(event_record(event)).decode("utf-8") + "\n")
        count += 1
    return count
