"""`Event` ⇄ TinyDB document: the one place that knows the stored shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

from newsgraph.parse import Event, RelatedItem, Source

Document = dict[str, Any]
# The file's stat when it was read, as the load gives it (newsgraph.load's `file_stat`); the store records it
STAT_KEY = "file_stat"


def event_to_document(event: Event, file: str | None = None, content_hash: str | None = None) -> Document:
    """A JSON-ready dict; `file` and `content_hash` say where it was read from, for incremental loads."""
    return {
        "path": event.path,
        "date": event.date.isoformat(),
        "headline": event.headline,
        "summary": event.summary,
        "summary_markdown": event.summary_markdown,
        "sources": [{"name": s.name, "url": s.url} for s in event.sources],
        "cover_image": event.cover_image,
        "related": [
            {
                "path": r.path,
                "headline": r.headline,
                "date": r.date.isoformat() if r.date else None,
                "context": list(r.context),
            }
            for r in event.related
        ],
        "file": file,
        "content_hash": content_hash,
    }


def document_to_event(document: Document) -> Event:
    """The `Event` a stored document holds."""
    get = document.get
    return Event(  # positionally: path, date, headline, summary, summary_markdown, sources, cover_image, related
        document["path"],
        _date(document["date"]),
        document["headline"],
        get("summary", ""),
        get("summary_markdown", ""),
        tuple([Source(s["name"], s["url"]) for s in get("sources", ())]),
        get("cover_image"),
        tuple(
            [
                RelatedItem(r["path"], r["headline"], _date(day) if (day := r.get("date")) else None, tuple(r.get("context", ())))
                for r in get("related", ())
            ]
        ),
    )


_dates: dict[str, dt.date] = {}  # ISO text → date: an archive has a few thousand days and millions of dates


def _date(text: str) -> dt.date:
    try:
        return _dates[text]
    except KeyError:
        day = dt.date.fromisoformat(text)
        if len(_dates) < 100_000:
            _dates[text] = day
        return day
