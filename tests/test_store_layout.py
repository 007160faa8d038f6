"""The store file's layout (gql/store/layout.py): valid JSON, a line per document, any size, each document placed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinydb import TinyDB
from tinydb.storages import JSONStorage

from newsgraph.store import EventStore, StoreCorrupt, layout
from tests.test_store import _documents

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_tables = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.dictionaries(st.integers(1, 10_000).map(str), st.dictionaries(st.text(max_size=6), _json_values, max_size=4),
                    max_size=12),
    max_size=3,
)


def _encoded(data: dict) -> bytes:
    return b"".join(layout.encode_store(data))


def _decoded_line_by_line(raw: bytes) -> object:
    """Decoded as a store over orjson's size limit is: a line at a time."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layout, "ORJSON_MAX_BYTES", 0)
        return layout.decode_store(io.BytesIO(raw), len(raw))


@settings(max_examples=150, deadline=None)
@given(_tables)
def test_any_store_round_trips_and_stays_one_json_document(data: dict) -> None:
    raw = _encoded(data)
    assert json.loads(raw) == data  # any JSON reader (TinyDB's own storage included) reads the same object
    assert layout.decode_store(io.BytesIO(raw), len(raw)) == data
    assert _decoded_line_by_line(raw) == data


@pytest.mark.parametrize("documents", [0, 1, 2, 7, 13])
@pytest.mark.parametrize("group_bytes", [1, 120, layout.GROUP_BYTES])
def test_a_line_per_document_decodes_in_groups_across_their_boundaries(
    monkeypatch: pytest.MonkeyPatch, documents: int, group_bytes: int
) -> None:
    monkeypatch.setattr(layout, "GROUP_BYTES", group_bytes)
    data = {"events": {str(i): {"text": "line\n" + str(i) + "},\n", "n": i} for i in range(1, documents + 1)},
            "meta": {"1": {"schema_version": 1}}}
    raw = _encoded(data)
    assert raw.count(b"\n") == documents + 7  # a line per document; opening, 2 heads, 2 ends, meta, closing
    assert _decoded_line_by_line(raw) == data


@settings(max_examples=100, deadline=None)
@given(_tables)
def test_the_layout_places_every_document_where_it_was_written(data: dict) -> None:
    layouts: dict[str, layout.TableLayout] = {}
    raw = b"".join(layout.encode_store(data, layouts))
    assert set(layouts) == set(data)
    for name, table in data.items():
        placed = layouts[name]
        assert [key for key, _start, _end in placed.members] == list(table)
        for key, start, end in placed.members:
            assert raw[start:end] == layout.encode_member(key, table[key])
            assert layout.decode_member(raw[start:end]) == table[key]
        body = raw[placed.body_start:placed.body_end]
        assert body == b"".join(raw[start:end] + b",\n" for _key, start, end in placed.members)[:-2] + b"\n" * bool(table)


def test_a_store_of_several_documents_per_line_still_decodes() -> None:
    """What newsgraph wrote before a line held one document: slices of documents per line."""
    raw = (b'{\n"events":{\n"1":{"n":1},"2":{"n":2},\n"3":{"n":3}\n},\n'
           b'"meta":{\n"1":{"schema_version":1}\n}\n}\n')
    expected = {"events": {"1": {"n": 1}, "2": {"n": 2}, "3": {"n": 3}}, "meta": {"1": {"schema_version": 1}}}
    assert _decoded_line_by_line(raw) == expected
    assert layout.decode_store(io.BytesIO(raw), len(raw)) == expected


def test_tinydb_reads_what_the_store_writes(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "store.json")
    documents = _documents(5)
    store.write(documents)
    database = TinyDB(store.path, storage=JSONStorage)
    assert sorted(d["path"] for d in database.table("events").all()) == sorted(d["path"] for d in documents)
    database.close()


def test_a_store_written_by_tinydb_itself_is_read(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    documents = _documents(4)
    database = TinyDB(path, storage=JSONStorage)
    database.table("events").insert_multiple(documents)
    database.close()
    assert path.read_bytes().count(b"\n") == 0  # TinyDB's layout: one line
    store = EventStore(path)
    assert sorted(d["path"] for d in store.documents()) == sorted(d["path"] for d in documents)
    store.write(_documents(6))  # and rewritten in the line layout
    assert path.read_bytes().startswith(b"{\n")
    assert len(store.documents()) == 6


def test_a_file_too_large_for_orjson_in_another_layout_is_decoded_by_the_standard_library() -> None:
    data = {"events": {"1": {"headline": "ünïcode"}}}
    assert _decoded_line_by_line(json.dumps(data).encode()) == data


@pytest.mark.parametrize("cut", [3, 20, -30, -12, -2])
@pytest.mark.parametrize("limit", [0, layout.ORJSON_MAX_BYTES])
def test_a_cut_store_is_reported_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: int, limit: int
) -> None:
    monkeypatch.setattr(layout, "ORJSON_MAX_BYTES", limit)
    store = EventStore(tmp_path / "store.json")
    store.write(_documents(3))
    raw = store.path.read_bytes()
    store.path.write_bytes(raw[:cut])
    with pytest.raises(StoreCorrupt, match="not a JSON store"):
        store.documents()
    if limit == 0:  # read a line at a time, the error says where
        with pytest.raises(StoreCorrupt, match=r"\((lines? \d+|the file ends before)"):
            store.documents()
    assert store.path.read_bytes() == raw[:cut]
