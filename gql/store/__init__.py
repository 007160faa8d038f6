"""Persistence: event documents in a TinyDB file, written atomically under a lock, and exported back out."""

from newsgraph.store.documents import STAT_KEY, Document, document_to_event, event_to_document
from newsgraph.store.export import ExportError, events_of, export_jsonl, export_markdown
from newsgraph.store.manifest import Entry
from newsgraph.store.storage import StoreCorrupt, replace_file
from newsgraph.store.store import DEFAULT_STORE, EventStore, StoreError, WriteSummary, default_store_path

__all__ = [
    "DEFAULT_STORE",
    "Document",
    "Entry",
    "EventStore",
    "ExportError",
    "STAT_KEY",
    "StoreCorrupt",
    "StoreError",
    "WriteSummary",
    "default_store_path",
    "document_to_event",
    "event_to_document",
    "events_of",
    "export_jsonl",
    "export_markdown",
    "replace_file",
]
