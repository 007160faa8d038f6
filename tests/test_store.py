"""The TinyDB store: upsert by canonical path, one atomic write per batch, a lock between writers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tinydb import TinyDB

from newsgraph.parse import parse_event
from newsgraph.store import EventStore, StoreCorrupt, StoreError, event_to_document
from newsgraph.store import storage as storage_module
from newsgraph.store.manifest import manifest_path
from tests.conftest import BUNDLED_NEWS


def _documents(count: int) -> list[dict]:
    files = sorted(BUNDLED_NEWS.rglob("*.md"))[:count]
    return [event_to_document(parse_event(f.read_text("utf-8"), str(f)).event, str(f), "h") for f in files]


def _leftovers(store: EventStore) -> list[str]:
    """Files beside the store other than the store, its manifest and its lock file: temporaries a write left behind."""
    kept = (store.path, manifest_path(store.path), Path(store.lock.lock_file))
    return [p.name for p in store.path.parent.iterdir() if p not in kept]


def test_upsert_adds_then_leaves_identical_documents_unchanged(store: EventStore) -> None:
    documents = _documents(5)
    assert store.write(documents).added == 5
    again = store.write(documents)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 5)
    assert sorted(d["path"] for d in store.documents()) == sorted(d["path"] for d in documents)


def test_upsert_replaces_by_path_and_removes(store: EventStore) -> None:
    documents = _documents(3)
    store.write(documents)
    edited = {**documents[0], "summary": "edited"}
    summary = store.write([edited], removals=[documents[1]["path"], "/news/2000/01/1/absent.md"])
    assert (summary.changed, summary.removed) == (1, 1)
    stored = {d["path"]: d for d in store.documents()}
    assert stored[edited["path"]]["summary"] == "edited"
    assert documents[1]["path"] not in stored and len(stored) == 2


def test_the_file_is_a_tinydb_database(store: EventStore) -> None:
    store.write(_documents(4))
    database = TinyDB(store.path)
    assert len(database.table("events")) == 4
    assert database.table("meta").all() == [{"schema_version": 1}]
    database.close()


def test_a_batch_is_one_atomic_replacement(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    replaced: list[Path] = []
    real_replace = os.replace

    def counting_replace(source: str, target: Path) -> None:
        replaced.append(Path(target))
        real_replace(source, target)

    monkeypatch.setattr(storage_module.os, "replace", counting_replace)
    store.write(_documents(20))
    store.write([{**d, "summary": "x"} for d in _documents(20)], removals=[])
    assert replaced == [store.path, manifest_path(store.path)] * 2  # the second one spliced, as atomically
    assert _leftovers(store) == []


def test_a_failed_write_leaves_the_previous_store(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.write(_documents(3))
    before = store.path.read_bytes()

    def failing_fsync(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage_module.os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        store.write(_documents(10))
    assert store.path.read_bytes() == before
    assert _leftovers(store) == []


def test_a_corrupt_store_is_reported_and_never_overwritten(store: EventStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text('{"events": {"1": ', encoding="utf-8")
    with pytest.raises(StoreCorrupt, match="not a JSON store"):
        store.write(_documents(1))
    assert store.path.read_text(encoding="utf-8") == '{"events": {"1": '


def test_a_newer_store_schema_is_refused(store: EventStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps({"meta": {"1": {"schema_version": 99}}, "events": {}}), encoding="utf-8")
    with pytest.raises(StoreError, match="schema 99"):
        store.documents()


def test_a_second_writer_waits_for_the_lock_then_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "newsgraph.json"
    holder = EventStore(path)
    impatient = EventStore(path, lock_timeout=0.2)
    with holder.lock:
        with pytest.raises(StoreError, match="being written by another process"):
            impatient.write(_documents(1))
    assert impatient.write(_documents(1)).added == 1
