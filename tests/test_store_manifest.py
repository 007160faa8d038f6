"""The store's manifest (gql/store/manifest.py) and spliced writes (gql/store/splice.py).

A write with a manifest that describes the file copies unchanged documents as bytes;
it must leave exactly what a write through TinyDB's table API leaves, and must never
trust a manifest of another file.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tinydb import TinyDB
from tinydb.storages import JSONStorage

from newsgraph.load import LoadOptions, load_files, reading
from newsgraph.store import EventStore
from newsgraph.store import store as store_module
from newsgraph.store.layout import decode_member
from newsgraph.store.manifest import identity_of, manifest_path, read_manifest, write_manifest
from tests.conftest import BUNDLED_NEWS
from tests.test_store import _documents

POOL = _documents(12)


def _by_path(store: EventStore) -> dict[str, dict]:
    return {document["path"]: document for document in store.documents()}


def _check_manifest_describes_the_file(store: EventStore) -> None:
    manifest = read_manifest(store.path, identity_of(store.path.stat()))
    assert manifest is not None
    raw = store.path.read_bytes()
    placed = {entry.path: decode_member(raw[slice(*manifest.span(entry))]) for entry in manifest.entries}
    assert placed == _by_path(store)
    for entry in manifest.entries:
        assert (entry.file, entry.content_hash) == (placed[entry.path]["file"], placed[entry.path]["content_hash"])


_batches = st.lists(
    st.tuples(
        st.lists(st.tuples(st.integers(0, len(POOL) - 1), st.sampled_from(["same", "content", "bookkeeping"])),
                 max_size=6, unique_by=lambda pick: pick[0]),
        st.sets(st.integers(0, len(POOL) - 1), max_size=3),
    ),
    min_size=1, max_size=5,
)


def _batch(picks: list[tuple[int, str]], round_number: int) -> list[dict]:
    made = []
    for index, change in picks:
        document = dict(POOL[index])
        if change == "content":
            document["summary"] = f"edited in round {round_number}"
        elif change == "bookkeeping":
            document["content_hash"] = f"hash {round_number}"
        made.append(document)
    return made


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=_batches)
def test_spliced_writes_leave_what_writes_through_tinydb_leave(tmp_path_factory: pytest.TempPathFactory,
                                                               batches: list) -> None:
    directory = tmp_path_factory.mktemp("splice")
    spliced, through_tinydb = EventStore(directory / "spliced.json"), EventStore(directory / "tinydb.json")
    for round_number, (picks, removed) in enumerate(batches):
        upserts = _batch(picks, round_number)
        removals = [POOL[index]["path"] for index in removed]
        manifest_path(through_tinydb.path).unlink(missing_ok=True)  # no manifest: TinyDB's table API
        expected = through_tinydb.write(upserts, removals)
        assert spliced.write(upserts, removals) == expected
        assert _by_path(spliced) == _by_path(through_tinydb)
        if "events" in (TinyDB(spliced.path, storage=JSONStorage).tables() if spliced.path.exists() else ()):
            _check_manifest_describes_the_file(spliced)
            database = TinyDB(spliced.path, storage=JSONStorage)  # still a TinyDB file, ids unique and kept
            assert sorted(d["path"] for d in database.table("events").all()) == sorted(_by_path(spliced))
            database.close()


def test_a_store_changed_by_another_writer_is_never_spliced_over(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "store.json")
    store.write(_documents(3))
    database = TinyDB(store.path, storage=JSONStorage)  # a script writing the store with TinyDB itself
    database.table("events").insert({**POOL[5], "summary": "inserted by TinyDB"})
    database.close()
    store.write([{**POOL[0], "summary": "edited"}])
    stored = _by_path(store)
    assert stored[POOL[5]["path"]]["summary"] == "inserted by TinyDB"  # kept: the stale manifest was not used
    assert stored[POOL[0]["path"]]["summary"] == "edited" and len(stored) == 4
    _check_manifest_describes_the_file(store)


@pytest.mark.parametrize("damage", [b"", b"{", b'{"version": 1}', b"[]", b"not json"])
def test_a_damaged_manifest_is_ignored_and_replaced(tmp_path: Path, damage: bytes) -> None:
    store = EventStore(tmp_path / "store.json")
    store.write(_documents(4))
    manifest_path(store.path).write_bytes(damage)
    assert len(store.entries()) == 4
    store.write([{**POOL[1], "summary": "edited"}, POOL[7]])
    assert _by_path(store)[POOL[1]["path"]]["summary"] == "edited" and len(_by_path(store)) == 5
    _check_manifest_describes_the_file(store)


def _settled_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bundled archive copied, with files' stats recorded at once (not held back as just changed)."""
    monkeypatch.setattr(reading, "RACY_NS", 0)
    news = tmp_path / "news"
    shutil.copytree(BUNDLED_NEWS, news)
    return news


def test_an_incremental_load_neither_decodes_nor_encodes_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    news = _settled_copy(tmp_path, monkeypatch)
    store = EventStore(tmp_path / "store.json")
    load_files(store, [news])
    edited = sorted(news.rglob("*.md"))[10]
    lines = edited.read_text(encoding="utf-8").split("\n")
    headline = next(number for number, line in enumerate(lines) if line.startswith("# "))
    lines[headline + 1:headline + 1] = ["", "A paragraph added later."]
    edited.write_text("\n".join(lines), encoding="utf-8")
    removed = sorted(news.rglob("*.md"))[20]
    removed.unlink()

    def no_decoding(path: Path) -> None:
        raise AssertionError(f"{path} was decoded")

    with monkeypatch.context() as patch:
        patch.setattr(store_module, "read_store_file", no_decoding)
        report = load_files(store, [news], LoadOptions(prune=True))
    assert (report.loaded, report.removed, report.unchanged) == (1, 1, 212)
    stored = EventStore(store.path).documents()
    assert len(stored) == 213
    assert sum("A paragraph added later." in d["summary_markdown"] for d in stored) == 1
    _check_manifest_describes_the_file(store)


@pytest.mark.parametrize("manifest", ["fitting", "absent", "misplaced"])
def test_a_touched_file_with_the_same_bytes_has_its_new_stat_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manifest: str
) -> None:
    news = _settled_copy(tmp_path, monkeypatch)
    store = EventStore(tmp_path / "store.json")
    load_files(store, [news])
    before = _by_path(store)
    touched = sorted(news.rglob("*.md"))[0]
    os.utime(touched, ns=(1_000_000_000, 1_000_000_000))
    if manifest == "absent":
        manifest_path(store.path).unlink()
    elif manifest == "misplaced":
        fitting = read_manifest(store.path, identity_of(store.path.stat()))
        write_manifest(store.path, dataclasses.replace(fitting, body_start=fitting.body_start + 7))
    report = load_files(store, [news])
    assert (report.loaded, report.unchanged) == (0, 214)
    after = _by_path(store)
    changed = [path for path in after if after[path] != before[path]]
    assert len(changed) == 1
    assert after[changed[0]]["file_stat"][1] == 1_000_000_000  # the new mtime, recorded
    assert {**after[changed[0]], "file_stat": None} == {**before[changed[0]], "file_stat": None}
    written = identity_of(store.path.stat())
    assert load_files(store, [news]).unchanged == 214
    assert identity_of(store.path.stat()) == written  # the next load found the stat recorded: nothing to write


@pytest.mark.parametrize("write", ["edit", "remove"])
@pytest.mark.parametrize("misplace", ["start+1", "start-3", "start+40", "length+1", "length-2"])
def test_a_manifest_that_does_not_fit_its_file_is_never_spliced_with(tmp_path: Path, misplace: str, write: str) -> None:
    store = EventStore(tmp_path / "store.json")
    store.write(_documents(6))
    manifest = read_manifest(store.path, identity_of(store.path.stat()))
    shift = int(misplace.removeprefix("start").removeprefix("length"))
    if misplace.startswith("start"):  # every document placed `shift` bytes away
        misplaced = dataclasses.replace(manifest, body_start=manifest.body_start + shift)
    else:  # the first document's length wrong: it and every one after it misplaced
        first = manifest.entries[0]
        misplaced = dataclasses.replace(manifest, entries=[first._replace(length=first.length + shift),
                                                           *manifest.entries[1:]])
    write_manifest(store.path, misplaced)  # same identity, wrong places
    if write == "edit":  # reads the stored document it replaces
        store.write([{**POOL[2], "summary": "edited"}, POOL[9]], removals=[POOL[4]["path"]])
        expected = {d["path"]: d for d in [*_documents(6), POOL[9]] if d["path"] != POOL[4]["path"]}
        expected[POOL[2]["path"]] = {**POOL[2], "summary": "edited"}
    else:  # reads no stored document: only the copied runs' ends are checked
        store.write([], removals=[POOL[5]["path"]])
        expected = {d["path"]: d for d in _documents(5)}
    assert _by_path(store) == expected
    _check_manifest_describes_the_file(store)


@pytest.mark.parametrize("refusal", [errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP])
def test_copied_documents_go_through_memory_where_the_system_will_not_copy_between_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusal: int
) -> None:
    store = EventStore(tmp_path / "store.json")
    store.write(_documents(6))
    refused = []

    def refuse(*arguments: object) -> int:
        refused.append(arguments)
        raise OSError(refusal, os.strerror(refusal))

    monkeypatch.setattr(os, "copy_file_range", refuse)
    store.write([{**POOL[2], "summary": "edited"}])
    assert refused  # the copies were tried, refused, and made otherwise
    assert _by_path(store) == {**{d["path"]: d for d in _documents(6)}, POOL[2]["path"]: {**POOL[2], "summary": "edited"}}
    _check_manifest_describes_the_file(store)
