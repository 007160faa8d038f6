"""`Event` ⇄ TinyDB document: the one place that knows the stored shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gql.parse.model import Event, RelatedItem, Source

Document = dict[str, Any]


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
    return Event(
        path=document["path"],
        date=dt.date.fromisoformat(document["date"]),
        headline=document["headline"],
        summary=document.get("summary", ""),
        summary_markdown=document.get("summary_markdown", ""),
        sources=tuple(Source(s["name"], s["url"]) for s in document.get("sources", ())),
        cover_image=document.get("cover_image"),
        related=tuple(
            RelatedItem(
                path=r["path"],
                headline=r["headline"],
                date=dt.date.fromisoformat(r["date"]) if r.get("date") else None,
                context=tuple(r.get("context", ())),
            )
            for r in document.get("related", ())
        ),
    )
