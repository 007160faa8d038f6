"""Persistence: event documents in a TinyDB file, written atomically under a lock."""

from newsgraph.store.documents import Document, document_to_event, event_to_document
from newsgraph.store.storage import StoreCorrupt
from newsgraph.store.store import DEFAULT_STORE, EventStore, StoreError, WriteSummary, default_store_path

__all__ = [
    "DEFAULT_STORE",
    "Document",
    "EventStore",
    "StoreCorrupt",
    "StoreError",
    "WriteSummary",
    "default_store_path",
    "document_to_event",
    "event_to_document",
]
